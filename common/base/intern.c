/* SPDX-License-Identifier: Apache-2.0 */
#include "base/intern.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/* FNV-1a: short names, no adversary worth a keyed hash (the input is the
 * project's own files, and a bad spread costs time, never correctness). */
static size_t hash(const char *s, size_t len)
{
	size_t h = (size_t)14695981039346656037ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= (size_t)1099511628211ULL;
	}
	return h;
}

/* The slot holding s, or the empty slot where it would go. */
static size_t probe(const struct intern *t, const char *s, size_t len, size_t h)
{
	size_t mask = t->nslots - 1, i = h & mask;

	for (; t->slots[i]; i = (i + 1) & mask) {
		const struct intern_entry *e = &t->v[t->slots[i] - 1];

		if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0)
			break;
	}
	return i;
}

static void rehash(struct intern *t)
{
	size_t mask;

	free(t->slots);
	t->nslots = t->nslots ? 2 * t->nslots : 64;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	mask = t->nslots - 1;
	for (size_t k = 0; k < t->n; k++) {
		size_t i = t->v[k].hash & mask;

		while (t->slots[i])
			i = (i + 1) & mask;
		t->slots[i] = k + 1;
	}
}

size_t intern_add(struct intern *t, const char *s, size_t len, bool *added)
{
	size_t h = hash(s, len), i;
	struct intern_entry *e;

	if (2 * (t->n + 1) > t->nslots)
		rehash(t);
	i = probe(t, s, len, h);
	if (added)
		*added = !t->slots[i];
	if (t->slots[i])
		return t->slots[i] - 1;
	xgrow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	e = &t->v[t->n];
	e->s = xmalloc(len + 1);
	memcpy(e->s, s, len);
	e->s[len] = '\0';
	e->len = len;
	e->hash = h;
	t->slots[i] = ++t->n;
	return t->n - 1;
}

size_t intern_find(const struct intern *t, const char *s, size_t len)
{
	size_t i;

	if (!t->nslots)
		return INTERN_NONE;
	i = probe(t, s, len, hash(s, len));
	return t->slots[i] ? t->slots[i] - 1 : INTERN_NONE;
}

void intern_free(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].s);
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
