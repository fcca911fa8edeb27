/* SPDX-License-Identifier: Apache-2.0 */
/* intern: a set of strings, each stored once and numbered 0, 1, 2... in
 * the order first added, so a caller that meets the same names many times
 * (bindep profiles and packages, console script images) compares and
 * indexes by number instead of calling strcmp over arrays. */
#ifndef PBRX_INTERN_H
#define PBRX_INTERN_H

#include <stdbool.h>
#include <stddef.h>

#define INTERN_NONE ((size_t)-1)

struct intern_entry {
	char *s; /* owned, NUL-terminated */
	size_t len;
	size_t hash;
};

/* Zero-initialise ({0}) before use; intern_free releases the contents. */
struct intern {
	struct intern_entry *v; /* by number */
	size_t n, cap;
	size_t *slots; /* open addressing: number + 1, 0 for empty */
	size_t nslots; /* a power of two, at least twice n */
};

/* The number of s[0..len), added (copied) when new; *added (may be NULL)
 * tells which.  s may hold NUL bytes only if every caller passes len. */
size_t intern_add(struct intern *t, const char *s, size_t len, bool *added);
/* The number of s[0..len), or INTERN_NONE when it is not in t. */
size_t intern_find(const struct intern *t, const char *s, size_t len);
/* String number i (borrowed: lives as long as t). */
static inline const char *intern_name(const struct intern *t, size_t i) { return t->v[i].s; }
/* Free every string and the table; t itself belongs to the caller. */
void intern_free(struct intern *t);

#endif
