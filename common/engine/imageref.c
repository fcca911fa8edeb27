/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "engine/imageref.h"

static bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool ascii_alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

/* One path component of a Docker reference:
 * [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*  (distribution/reference grammar). */
bool imageref_component(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (lower_alnum(s[i])) {
			i++;
		} else if (s[i] == '.' || s[i] == '_') {
			size_t j = i + 1;
			if (s[i] == '_' && j < n && s[j] == '_')
				j++;
			if (j >= n || !lower_alnum(s[j]))
				return false;
			i = j;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
			if (i >= n || !lower_alnum(s[i]))
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* A registry host: dns labels joined by dots, optional :port. */
bool imageref_domain(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] != ':') {
		size_t start = i;
		while (i < n && (ascii_alnum(s[i]) || s[i] == '-'))
			i++;
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		if (i < n && s[i] == '.')
			i++;
		else
			break;
	}
	if (i < n && s[i] == ':') {
		size_t start = ++i;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		if (i == start)
			return false;
	}
	return i == n;
}

/* [domain/]component(/component)*; a first part is a domain when it has
 * a '.' or ':' or is "localhost", as the docker CLI decides. */
bool imageref_name(const char *s)
{
	const char *p = s, *slash = strchr(s, '/');
	size_t len = strlen(s);

	if (len == 0 || len > 255)
		return false;
	if (slash && (memchr(s, '.', (size_t)(slash - s)) || memchr(s, ':', (size_t)(slash - s)) ||
		      (slash - s == 9 && strncmp(s, "localhost", 9) == 0))) {
		if (!imageref_domain(s, (size_t)(slash - s)))
			return false;
		p = slash + 1;
	}
	for (;;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (!imageref_component(p, n))
			return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

/* [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
bool imageref_tag(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || !(ascii_alnum(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!ascii_alnum(s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* NAME[:TAG][@sha256:HEX] */
bool imageref_full(const char *s)
{
	char *copy = xstrdup(s), *at = strchr(copy, '@'), *colon, *slash;
	bool ok = true;

	if (at) {
		*at++ = '\0';
		ok = strncmp(at, "sha256:", 7) == 0 && strlen(at + 7) == 64 &&
		     strspn(at + 7, "0123456789abcdef") == 64;
	}
	colon = strrchr(copy, ':');
	slash = strrchr(copy, '/');
	if (ok && colon && (!slash || colon > slash)) {
		*colon++ = '\0';
		ok = imageref_tag(colon);
	}
	ok = ok && imageref_name(copy);
	free(copy);
	return ok;
}
