/* SPDX-License-Identifier: Apache-2.0 */
/* pkgmgr: a distribution's package manager, which one a platform has and
 * the container steps (argv arrays, never a shell) that install packages
 * with it and point it at a mirror.  A step is {"name", "argv"}, as the
 * plan has them (pbrx-document(5)). */
#ifndef PBRX_PKGMGR_H
#define PBRX_PKGMGR_H

#include <jansson.h>
#include <stdbool.h>

struct pbrx_error;

/* The package manager of the platform (id and version may be NULL; atoms:
 * "platform:..." strings), or NULL when none is known.  Static. */
const char *pkgmgr_for(const char *id, const char *version, const json_t *atoms);

/* Is name one of apk, apt-get, dnf, microdnf, yum, zypper, pacman,
 * emerge? */
bool pkgmgr_known(const char *name);

/* The name of the package dumb-init (the images' entrypoint) for pm:
 * Gentoo's has its category.  Static. */
const char *pkgmgr_dumb_init(const char *pm);

/* A new array of the strings given, NULL-terminated: an argv. */
json_t *pkgmgr_argv(const char *first, ...) __attribute__((sentinel));

/* Append to steps those that install pkgs (sorted names, borrowed) with
 * pm and leave no cache or package lists behind, named "packages". */
void pkgmgr_install_steps(json_t *steps, const char *pm, const json_t *pkgs);

/* Append the "mirror" steps: save pm's repository configuration into
 * directory saved, then switch it to url (checked by the caller: no
 * character that means anything to sed in a '#'-delimited s command).
 * 0, or -1 with *e (EXIT_USAGE) when pm has no mirror support (emerge). */
int pkgmgr_mirror_steps(json_t *steps, const char *pm, const char *url, const char *saved,
			struct pbrx_error *e);

/* Append the "mirror-restore" step: the configuration saved back. */
void pkgmgr_mirror_restore_step(json_t *steps, const char *pm, const char *saved);

#endif
