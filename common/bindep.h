/* SPDX-License-Identifier: Apache-2.0 */
/* bindep: bindep.txt files, parsed and evaluated as OpenStack's bindep
 * does (bindep/depends.py: its parsley grammar, _partition, _evaluate and
 * the platform/user truth table). */
#ifndef PBRX_BINDEP_H
#define PBRX_BINDEP_H

#include <stdbool.h>
#include <stddef.h>

struct bindep_profile {
	bool positive; /* false for "!name" */
	char *name;
	int line, col;
};

/* One selector term: a single profile, or an AND-group "(a !b c)". */
struct bindep_term {
	bool group;
	struct bindep_profile *profiles;
	size_t n;
};

struct bindep_rule {
	char *name;
	int line;
	struct bindep_term *terms;
	size_t nterms;
	char **constraints; /* "OP VERSION" without the space: ">=1.0" */
	size_t nconstraints;
};

struct bindep_file {
	struct bindep_rule *rules;
	size_t n, cap;
};

struct bindep_error {
	int line, col; /* 1-based; col counts characters */
	char msg[512];
};

/* Parse bindep file text.  CRLF and lone CR end lines (python's universal
 * newlines, as bindep opens the file); a missing final newline is
 * accepted (bindep's grammar rejects it).  Returns a new file owned by
 * the caller (bindep_free), or NULL with *err filled. */
struct bindep_file *bindep_parse(const char *text, size_t len, struct bindep_error *err);
void bindep_free(struct bindep_file *f);

/* Is rule active for the given profiles (user profiles and platform
 * atoms together, as bindep passes them)? */
bool bindep_rule_active(const struct bindep_rule *rule, char *const *profiles, size_t n);

#endif
