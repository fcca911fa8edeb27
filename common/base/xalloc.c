/* SPDX-License-Identifier: Apache-2.0 */
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/msg.h"

static void *check(void *p)
{
	if (!p)
		msg_die(EXIT_FAIL, "out of memory");
	return p;
}

void *xmalloc(size_t size) { return check(malloc(size ? size : 1)); }
void *xcalloc(size_t count, size_t size)
{
	return check(calloc(count ? count : 1, size ? size : 1));
}
void *xrealloc(void *ptr, size_t size) { return check(realloc(ptr, size ? size : 1)); }

void xgrow_slow(void **ptr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / size)
		msg_die(EXIT_FAIL, "out of memory");
	*ptr = xrealloc(*ptr, n * size);
	*cap = n;
}

char *xstrdup(const char *s) { return check(strdup(s)); }
char *xstrndup(const char *s, size_t n) { return check(strndup(s, n)); }

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	int len;
	char *buf;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		msg_die(EXIT_FAIL, "bad format string");
	buf = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(buf, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return buf;
}

char *xconcat(const char *first, ...)
{
	va_list ap;
	size_t len = 0;
	char *buf, *p;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		len += strlen(s);
	va_end(ap);
	p = buf = xmalloc(len + 1);
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *)) {
		size_t n = strlen(s);

		memcpy(p, s, n);
		p += n;
	}
	va_end(ap);
	*p = '\0';
	return buf;
}
