/* SPDX-License-Identifier: Apache-2.0 */
/* platform: what bindep-filter and image-plan both take to name the
 * platform packages are chosen for: an os-release file (--os-release)
 * and --platform values, one rule for both.  A value is an atom, "platform:NAME" or NAME alone,
 * whose NAME holds what the atoms of osrelease.h can hold: lower case
 * letters, digits, ':', '.', '-' and '_' (python-distro turns the spaces
 * of an ID into '_'). */
#ifndef PBRX_PLATFORM_H
#define PBRX_PLATFORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct pbrx_error;

/* The options naming the platform, as both tools take them: one
 * --os-release FILE, any number of --platform NAME. */
struct platform_choice {
	const char *os_release;  /* NULL: not given */
	char **platforms;        /* the --platform values, borrowed from argv */
	size_t nplatforms;
	size_t cap;
};

/* Their getopt_long values, above every character. */
enum { PLATFORM_OPT_OS_RELEASE = 0x100, PLATFORM_OPT_PLATFORM };
/* Their entries of a struct option list. */
#define PLATFORM_LONGOPTS \
	{"os-release", required_argument, NULL, PLATFORM_OPT_OS_RELEASE}, \
	{"platform", required_argument, NULL, PLATFORM_OPT_PLATFORM}

/* Take option ch with its argument arg into *c when it is one of them:
 * 1, else 0 (the tool's own). */
int platform_option(int ch, char *arg, struct platform_choice *c);
/* Free what platform_option() gathered; *c is zeroed. */
void platform_choice_free(struct platform_choice *c);

/* Is name (after "platform:") one an atom can have? */
bool platform_name_ok(const char *name);

/* The atom "platform:NAME" for the --platform value arg (malloc'd), or
 * NULL with *e (EXIT_USAGE, "--platform 'ARG': what is wrong"). */
char *platform_atom(const char *arg, struct pbrx_error *e);

/* Append to atoms (an array of strings) the atom of each of the n
 * --platform values in args that it does not hold yet.  0, or -1 with
 * *e at the first bad value (atoms then holds those before it). */
int platform_add_atoms(json_t *atoms, char *const *args, size_t n, struct pbrx_error *e);

/* The fields of the os-release file at path (osr_parse), a new object;
 * NULL with *e (EXIT_USAGE: "PATH: why" when unreadable, "PATH:LINE:
 * what" when malformed). */
json_t *platform_os_release_read(const char *path, struct pbrx_error *e);

#endif
