/* SPDX-License-Identifier: Apache-2.0 */
/* buf: growable byte buffers and string vectors, the two containers
 * every module builds its output in. */
#ifndef PBRX_BUF_H
#define PBRX_BUF_H

#include <stddef.h>

/* Bytes, always NUL-terminated once anything was added (p is NULL
 * before).  Zero-initialise; buf_free releases. */
struct buf {
	char *p;
	size_t len, cap;
};

void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents, now the caller's (free); b is empty again.  Never NULL. */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);
/* The last line of b that holds more than its line end ("\n", "\r\n"):
 * its start (borrowed), *len its length without the line end; NULL when
 * there is none.  What a program's output says last, for a message. */
const char *buf_last_line(const struct buf *b, size_t *len);

/* A NULL-terminated vector of malloc'd strings that it owns: v is
 * usable as an argv.  Zero-initialise; strv_free releases. */
struct strv {
	char **v;
	size_t n, cap;
};

/* Append a copy of s. */
void strv_add(struct strv *s, const char *str);
/* Append str itself (malloc'd; the vector owns it now). */
void strv_push(struct strv *s, char *str);
/* Append a copy of each string of NULL-terminated v (NULL: none). */
void strv_addv(struct strv *s, char *const *v);
void strv_free(struct strv *s);

#endif
