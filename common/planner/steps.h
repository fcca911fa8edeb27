/* SPDX-License-Identifier: Apache-2.0 */
/* planner/steps: the container steps of the plan (pbrx-document(5)):
 * where they work in the container, the package steps of the builder and
 * the base image, pip's, and the cached layers they form.  A step is
 * {"name", "argv"[, "layer"]}; argv arrays, never a shell. */
#ifndef PBRX_PLANNER_STEPS_H
#define PBRX_PLANNER_STEPS_H

#include <jansson.h>
#include <stdbool.h>

#include "doc/plan.h"

struct pbrx_error;
struct planner_project;

/* Where the steps work in the container: under PLAN_ROOT (doc/plan.h). */
#define STEPS_SRC PLAN_ROOT "/src"        /* the project's tree, read-only */
#define STEPS_BUILD PLAN_ROOT "/build"    /* pip's throwaway copy of it */
#define STEPS_WHEELS PLAN_ROOT "/wheels"  /* the wheelhouse */
#define STEPS_OUT PLAN_OUT                /* where pip writes new wheels */
/* The user the builder's steps after its packages run as: nobody, by
 * number (no image needs a passwd entry for it).  It can write only
 * /tmp's tmpfs, so the project's build cannot change the builder's root
 * file system, which is committed while the wheels build. */
#define STEPS_BUILD_USER "65534:65534"
#define STEPS_MIRROR PLAN_ROOT "/mirror"  /* the saved repository configuration */

/* A new reference to the one shared JSON string of literal s: the
 * literals every image repeats (step names, pip's options, the
 * wheelhouse's path) are allocated once, not once per image.  Keyed by
 * the literal's address: only ever call it with string literals. */
json_t *steps_lit(const char *s);
/* Drop the table's references (the plan keeps its own). */
void steps_lit_free(void);

/* Append {"name": name, "argv": argv} to steps; steals argv. */
void steps_add(json_t *steps, const char *name, json_t *argv);

/* "foo" or "foo[a,b]": the project with extras (an array of strings),
 * for pip.  Malloc'd. */
char *steps_with_extras(const char *what, const json_t *extras);

/* pip installing requirement req from the wheelhouse alone.  New. */
json_t *steps_pip_install(const char *req);

/* Append the steps installing the packages names (strings; borrowed)
 * with package manager pm, from mirror (NULL: the distribution's
 * repositories; restore: point pm back at them after), as the cached
 * layer "packages".  Returns the names sorted bytewise, as installed (a
 * new array), or NULL with *e (pm has no mirror support). */
json_t *steps_packages(json_t *steps, const char *pm, const char *mirror, const json_t *names,
		       bool restore, struct pbrx_error *e);

/* Append the steps installing project p with extras ex (borrowed) into
 * the base image: from its wheel, when built, with its dependencies in
 * a cached layer of their own; else by name. */
void steps_project(json_t *steps, const struct planner_project *p, const json_t *ex);

/* Append the builder's steps after its packages: as root, the last of
 * the packages' layer, which takes every user's write permission from
 * the root file system; a throwaway copy of the read-only source given
 * to STEPS_BUILD_USER; as that user, the wheels of the project with all
 * extras (borrowed) and of everything it requires, into STEPS_OUT. */
void steps_wheels(json_t *steps, const json_t *all_extras);
/* The command that builds wheels into STEPS_OUT, finding what the
 * wheelhouse has already: the builder's "extras_command", to which
 * wheel-build appends PROJECT-WHEEL[EXTRAS] for extras only the wheel
 * declares.  New. */
json_t *steps_wheels_command(void);

#endif
