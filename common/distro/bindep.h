/* SPDX-License-Identifier: Apache-2.0 */
/* bindep: bindep.txt files, parsed and evaluated as OpenStack's bindep
 * does (bindep/depends.py: its parsley grammar, _partition, _evaluate and
 * the platform/user truth table). */
#ifndef PBRX_BINDEP_H
#define PBRX_BINDEP_H

#include <stdbool.h>
#include <stddef.h>

struct pbrx_error;

#include "base/intern.h"

struct bindep_profile {
	bool positive; /* false for "!name" */
	bool platform; /* a "platform:..." atom (bindep's _partition) */
	size_t id;     /* the name's number in the file's profiles */
	const char *name; /* borrowed from the file's profiles */
	int line, col;
};

/* One selector term: a single profile, or an AND-group "(a !b c)". */
struct bindep_term {
	bool group;
	struct bindep_profile *profiles; /* borrowed from the file */
	size_t n;
};

struct bindep_rule {
	const char *name; /* borrowed from the file's packages */
	size_t pkg;       /* the name's number in the file's packages */
	int line;
	struct bindep_term *terms; /* borrowed from the file */
	size_t nterms;
	/* "OP VERSION" without the space: ">=1.0"; borrowed from the file */
	const char **constraints;
	size_t nconstraints;
};

/* A parsed file owns every name once (interned: a 20,000-line file names
 * a few hundred packages and profiles) and every rule's terms, profiles
 * and constraints in one array each, so parsing allocates per new name
 * instead of per line, and evaluating compares numbers, not strings. */
struct bindep_file {
	struct bindep_rule *rules;
	size_t n, cap;
	struct intern packages;    /* numbered in order of first use */
	struct intern profiles;    /* ditto: "compile", "platform:dpkg"... */
	struct intern constraints;
	/* What the rules point into, in rule order. */
	struct bindep_term *terms;
	size_t nterms, terms_cap;
	struct bindep_profile *uses;
	size_t nuses, uses_cap;
	const char **cons;
	size_t ncons, cons_cap;
};

/* Parse bindep file text, named name in messages.  CRLF and lone CR end
 * lines (python's universal newlines, as bindep opens the file); a
 * missing final newline is accepted (bindep's grammar rejects it).
 * Returns a new file owned by the caller (bindep_free), or NULL with *e
 * (EXIT_USAGE, "NAME:LINE:COL: what", COL counting characters). */
struct bindep_file *bindep_parse(const char *text, size_t len, const char *name,
                                 struct pbrx_error *e);
void bindep_free(struct bindep_file *f);

/* The profiles of f that a selection turns on: its user profiles and the
 * platform atoms together, as bindep passes them.  A new array of
 * f->profiles.n flags, by profile number (free). */
bool *bindep_profiles_on(const struct bindep_file *f, char *const *profiles, size_t n);

/* Is rule (of f) active for the profiles that are on? */
bool bindep_rule_active(const struct bindep_rule *rule, const bool *on);

#endif
