/* SPDX-License-Identifier: Apache-2.0 */
/* select: bindep-filter's job as a library: which selections the
 * operands ask for, which bindep file and platform, and the packages
 * each selection gets, as bindep picks them (its profiles and platform
 * atoms together), for the "bindep" section of pbrx-document(5). */
#ifndef PBRX_SELECT_H
#define PBRX_SELECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "distro/platform.h"

struct pbrx_error;

/* A named selection: the profiles it turns on. */
struct select_selection {
	char *name;
	struct strv profiles;
};

struct select_list {
	struct select_selection *v;
	size_t n, cap;
};

/* The selections the operands args (nargs of them) ask for: PROFILE
 * operands make "selected", NAME=P1[,P2...] a named one; none make
 * "runtime" (default) and "compile" (compile), or with brief "selected"
 * (default).  0, or -1 with *e (EXIT_USAGE) on a bad operand; *out is
 * the caller's (select_list_free) either way. */
int select_from_args(char *const *args, int nargs, bool brief, struct select_list *out,
		     struct pbrx_error *e);
void select_list_free(struct select_list *l);

struct select_request {
	const char *file;        /* -f: a path, "-" for stdin; NULL: look for it */
	const struct platform_choice *platform;  /* --os-release, --platform */
	const struct select_list *sels;
	bool brief;              /* only the names of the one selection */
};

/* Select the packages of request r for document doc (borrowed: its
 * .project.dir says where the bindep file is, its .base.os_release the
 * platform when r names none).  0 with *section the new "bindep" section
 * (the caller's), or with r->brief the names, in order, appended to
 * *names instead.  Warns about mistakes bindep accepts silently.  -1
 * with *e on failure (EXIT_USAGE for bad input: "FILE:LINE:COL: what"). */
int select_packages(const json_t *doc, const struct select_request *r, json_t **section,
		    struct strv *names, struct pbrx_error *e);

#endif
