/* SPDX-License-Identifier: Apache-2.0 */
/* pipconf: the host files a user's pip settings name, carried into a
 * build container so that pip there finds them.
 *
 * pip's configuration files and PIP_* variables may name files by host
 * path: a CA bundle (cert), a client certificate (client-cert),
 * constraints and requirements files.  Mounting only the configuration
 * file into a container leaves pip there with a dangling path ("Could
 * not open requirements file"), or with the image's CA bundle where the
 * host's names a TLS-inspecting proxy's CA.  Mounting them at the same
 * path would shadow the image's own files (its CA bundle, which a
 * package install may want to rewrite).  So each one is mounted
 * read-only under a directory of the container's /tmp (a tmpfs: never
 * in a layer), and the setting is passed as its PIP_ variable naming
 * that copy: pip reads variables after every configuration file, so
 * the variable wins for that one setting and the files still give all
 * the others.
 *
 * Local find-links directories are left to the caller, which mounts
 * them with its own --find-links (pipconf_collect lists them). */
#ifndef PBRX_PIPCONF_H
#define PBRX_PIPCONF_H

#include <stddef.h>

#include "base/buf.h"

struct pipconf {
	/* "PIP_NAME=VALUE" to set in the container for every PIP_ path
	 * variable of env (paths rewritten) and every file setting that
	 * names a local path. */
	struct strv env;
	/* Host path i is mounted read-only at target i. */
	struct strv sources, targets;
	/* The local find-links directories the configuration files name,
	 * host paths in their order. */
	struct strv find_links;
};

/* Read what pip would: the configuration files in files (NULL-terminated,
 * in pip's order of loading: global, user, PIP_CONFIG_FILE; missing ones
 * are skipped), then the PIP_ variables of env (NULL-terminated
 * "KEY=VALUE").  Fill *pc (zeroed first) with the settings that name
 * existing absolute paths, mounted under target_dir/N.  Free with
 * pipconf_free. */
void pipconf_collect(struct pipconf *pc, char *const *files, char *const *env,
                     const char *target_dir);
void pipconf_free(struct pipconf *pc);
/* Is entry ("PIP_NAME=VALUE") a variable pipconf_collect gives in env
 * (its value a path)?  The caller passes the others through as they
 * are. */
int pipconf_is_path_variable(const char *entry);

#endif
