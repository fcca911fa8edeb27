/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/msg.h"
#include "base/xalloc.h"

void buf_add(struct buf *b, const void *data, size_t n)
{
	xgrow((void **)&b->p, &b->cap, b->len + n + 1, 1);
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_addc(struct buf *b, char c) { buf_add(b, &c, 1); }

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg_die(EXIT_FAIL, "out of memory");
	xgrow((void **)&b->p, &b->cap, b->len + (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *buf_take(struct buf *b)
{
	char *p = b->p ? b->p : xstrdup("");

	*b = (struct buf){0};
	return p;
}

void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){0};
}

void strv_push(struct strv *s, char *str)
{
	xgrow((void **)&s->v, &s->cap, s->n + 2, sizeof *s->v);
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void strv_add(struct strv *s, const char *str) { strv_push(s, xstrdup(str)); }

void strv_addv(struct strv *s, char *const *v)
{
	for (; v && *v; v++)
		strv_add(s, *v);
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct strv){0};
}

const char *buf_last_line(const struct buf *b, size_t *len)
{
	size_t end = b->len, start;

	while (end && (b->p[end - 1] == '\n' || b->p[end - 1] == '\r'))
		end--;
	if (!end)
		return NULL;
	for (start = end; start && b->p[start - 1] != '\n'; start--)
		;
	*len = end - start;
	return b->p + start;
}
