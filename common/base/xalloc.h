/* SPDX-License-Identifier: Apache-2.0 */
/* xalloc: allocation that cannot fail (it exits with EXIT_FAIL instead),
 * so call sites never check for NULL.  Every result is owned by the
 * caller and released with free(). */
#ifndef PBRX_XALLOC_H
#define PBRX_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow *ptr so it holds at least need elements of size bytes; *cap is
 * updated.  Amortised doubling.  Inline, as it is called for every
 * element appended and almost always has nothing to do. */
void xgrow_slow(void **ptr, size_t *cap, size_t need, size_t size);
static inline void xgrow(void **ptr, size_t *cap, size_t need, size_t size)
{
	if (need > *cap)
		xgrow_slow(ptr, cap, need, size);
}
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The strings given, up to a NULL, joined: xasprintf("%s%s", a, b) for
 * code that runs per element of something large, without formatting
 * everything twice. */
char *xconcat(const char *first, ...) __attribute__((sentinel));

#endif
