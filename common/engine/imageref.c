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
	const char *p = s;
	size_t len = strlen(s), host = imageref_domain_len(s);

	if (len == 0 || len > 255)
		return false;
	if (host) {
		if (!imageref_domain(s, host))
			return false;
		p = s + host + 1;
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
	const char *at = strchr(s, '@');
	size_t n = imageref_name_len(s);
	char *name = xstrndup(s, n), *tag = xstrndup(s + n, at ? (size_t)(at - s) - n : strlen(s) - n);
	bool ok = true;

	if (at)
		ok = strncmp(at + 1, "sha256:", 7) == 0 && strlen(at + 8) == 64 &&
		     strspn(at + 8, "0123456789abcdef") == 64;
	if (ok && *tag)
		ok = imageref_tag(tag + 1);
	ok = ok && imageref_name(name);
	free(name);
	free(tag);
	return ok;
}

size_t imageref_domain_len(const char *ref)
{
	size_t n = strcspn(ref, "/");

	if (ref[n] == '/' && (memchr(ref, '.', n) || memchr(ref, ':', n) ||
	                      (n == 9 && strncmp(ref, "localhost", 9) == 0)))
		return n;
	return 0;
}

size_t imageref_name_len(const char *ref)
{
	size_t n = strcspn(ref, "@");
	const char *colon = memrchr(ref, ':', n), *slash = memrchr(ref, '/', n);

	return colon && (!slash || colon > slash) ? (size_t)(colon - ref) : n;
}

void imageref_split(const char *ref, char **name, char **rest)
{
	const char *at = strchr(ref, '@');
	size_t n = at ? (size_t)(at - ref) : imageref_name_len(ref);

	*name = xstrndup(ref, n);
	*rest = xstrdup(ref[n] ? ref + n + 1 : "");
}
