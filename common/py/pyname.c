/* SPDX-License-Identifier: Apache-2.0 */
#include "py/pyname.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

char *pyname_canonical(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *p = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-' || s[i] == '_' || s[i] == '.') {
			if (p == out || p[-1] != '-')
				*p++ = '-';
		} else {
			*p++ = (char)tolower((unsigned char)s[i]);
		}
	}
	*p = '\0';
	return out;
}

bool pyname_same(const char *a, const char *b)
{
	char *ca = pyname_canonical(a, strlen(a)), *cb = pyname_canonical(b, strlen(b));
	bool same = strcmp(ca, cb) == 0;

	free(ca);
	free(cb);
	return same;
}

static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool pyname_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || !ascii_alnum(s[0]) || !ascii_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ascii_alnum(s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

bool pyname_script_valid(const char *s)
{
	if (!*s || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!ascii_alnum(*s) && !strchr("_.-", *s))
			return false;
	return true;
}
