/* SPDX-License-Identifier: Apache-2.0 */
/* similar: "did you mean" help for names that look like typos. */
#ifndef PBRX_SIMILAR_H
#define PBRX_SIMILAR_H

#include <stddef.h>

/* Damerau-Levenshtein (optimal string alignment) distance of a and b,
 * counting an adjacent swap ("apline"/"alpine") as one edit. */
size_t similar_distance(const char *a, const char *b);
/* The candidate closest to word within max edits (and not equal to it),
 * or NULL.  Ties go to the earliest candidate. */
const char *similar_best(const char *word, const char *const *candidates,
			 size_t n, size_t max);

#endif
