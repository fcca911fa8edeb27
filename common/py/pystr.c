/* SPDX-License-Identifier: Apache-2.0 */
#include "py/pystr.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xalloc.h"

/* The code point at s (valid UTF-8, n > 0) and its length in *len. */
static unsigned decode(const char *s, size_t n, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80 || n < 2) {
		*len = 1;
		return u[0];
	}
	if (u[0] < 0xe0) {
		*len = 2;
		return (u[0] & 0x1fu) << 6 | (u[1] & 0x3fu);
	}
	if (u[0] < 0xf0 && n >= 3) {
		*len = 3;
		return (u[0] & 0x0fu) << 12 | (u[1] & 0x3fu) << 6 | (u[2] & 0x3fu);
	}
	if (n >= 4) {
		*len = 4;
		return (u[0] & 0x07u) << 18 | (u[1] & 0x3fu) << 12 | (u[2] & 0x3fu) << 6 |
		       (u[3] & 0x3fu);
	}
	*len = 1;
	return u[0];
}

bool pystr_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned c = u[i], cp;
		size_t k;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return false;
		if (n - i < k + 1)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((u[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (u[i + j] & 0x3fu);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* str.isspace(): Unicode's White_Space plus the four ASCII separators
 * Python counts (0x1c-0x1f). */
static bool is_space(unsigned c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

size_t pystr_space(const char *s, size_t n)
{
	size_t len;
	unsigned c;

	if (!n)
		return 0;
	c = decode(s, n, &len);
	return is_space(c) ? len : 0;
}

size_t pystr_word(const char *s, size_t n)
{
	size_t len;
	unsigned c;

	if (!n)
		return 0;
	c = decode(s, n, &len);
	if (c < 0x80)
		return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
		       c == '_' ? 1 : 0;
	return is_space(c) ? 0 : len;
}

/* The line boundaries of str.splitlines(). */
static size_t linebreak(const char *s, size_t n)
{
	size_t len;
	unsigned c = decode(s, n, &len);

	if (c == '\r')
		return n > 1 && s[1] == '\n' ? 2 : 1;
	if (c == '\n' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e ||
	    c == 0x85 || c == 0x2028 || c == 0x2029)
		return len;
	return 0;
}

bool pystr_next_line(const char *text, size_t n, size_t *pos, const char **line, size_t *len)
{
	size_t i = *pos, br = 0;

	if (i >= n)
		return false;
	*line = text + i;
	while (i < n && !(br = linebreak(text + i, n - i))) {
		size_t k;

		decode(text + i, n - i, &k);
		i += k;
	}
	*len = (size_t)(text + i - *line);
	*pos = i + br;
	return true;
}

void pystr_strip(const char **s, size_t *n)
{
	size_t k;

	while (*n && (k = pystr_space(*s, *n))) {
		*s += k;
		*n -= k;
	}
	/* From the end: step back to the start of the last character. */
	while (*n) {
		size_t start = *n - 1, len;

		while (start && ((unsigned char)(*s)[start] & 0xc0) == 0x80)
			start--;
		if (!is_space(decode(*s + start, *n - start, &len)))
			break;
		*n = start;
	}
}

/* posixpath.normpath: "." and empty components dropped, ".." taking the
 * one before (or kept at the front of a relative path). */
char *pystr_normpath(const char *p)
{
	struct strv comps = {0};
	struct buf b = {0};
	size_t slashes = 0;
	char *copy, *save, *c;

	if (!*p)
		return xstrdup(".");
	while (p[slashes] == '/')
		slashes++;
	/* POSIX lets "//" mean something else; posixpath keeps exactly two. */
	slashes = slashes == 2 ? 2 : slashes ? 1 : 0;
	copy = xstrdup(p);
	for (c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..") && comps.n && strcmp(comps.v[comps.n - 1], "..")) {
			free(comps.v[--comps.n]);
			comps.v[comps.n] = NULL;
			continue;
		}
		if (!strcmp(c, "..") && slashes && !comps.n)
			continue;
		strv_add(&comps, c);
	}
	free(copy);
	for (size_t i = 0; i < slashes; i++)
		buf_addc(&b, '/');
	for (size_t i = 0; i < comps.n; i++) {
		if (i)
			buf_addc(&b, '/');
		buf_adds(&b, comps.v[i]);
	}
	strv_free(&comps);
	if (!b.len)
		buf_addc(&b, '.');
	return buf_take(&b);
}
