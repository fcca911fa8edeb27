/* SPDX-License-Identifier: Apache-2.0 */
#include "base/similar.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

size_t similar_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), w = lb + 1, result;
	size_t *d = xcalloc((la + 1) * w, sizeof(*d));

	for (size_t i = 0; i <= la; i++)
		d[i * w] = i;
	for (size_t j = 0; j <= lb; j++)
		d[j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = min3(d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1,
					d[(i - 1) * w + j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[(i - 2) * w + j - 2] + 1 < v)
				v = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = v;
		}
	}
	result = d[la * w + lb];
	free(d);
	return result;
}

const char *similar_best(const char *word, const char *const *candidates,
			 size_t n, size_t max)
{
	const char *best = NULL;
	size_t best_d = max + 1;

	for (size_t i = 0; i < n; i++) {
		size_t dist;

		if (strcmp(word, candidates[i]) == 0)
			continue;
		dist = similar_distance(word, candidates[i]);
		if (dist < best_d) {
			best = candidates[i];
			best_d = dist;
		}
	}
	return best;
}
