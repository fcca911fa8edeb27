/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of engine/imageref: references that must pass and fail.
 * Prints each failed case; exits 1 when any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/imageref.h"

static int failed;

static void expect(bool got, bool want, const char *what, const char *s)
{
	if (got != want) {
		printf("%s('%s'): %s, expected %s\n", what, s, got ? "true" : "false",
		       want ? "true" : "false");
		failed = 1;
	}
}

/* ref, the Engine API's name and tag-or-digest, its host, its name. */
static const char *const splits[][5] = {
	{"alpine", "alpine", "", "", "alpine"},
	{"python:3-alpine", "python", "3-alpine", "", "python"},
	{"localhost:5000/a/b", "localhost:5000/a/b", "", "localhost:5000", "localhost:5000/a/b"},
	{"localhost:5000/a:1", "localhost:5000/a", "1", "localhost:5000", "localhost:5000/a"},
	{"localhost/a", "localhost/a", "", "localhost", "localhost/a"},
	{"acme/a:1", "acme/a", "1", "", "acme/a"},
	{"r.io/a:1@sha256:ab", "r.io/a:1", "sha256:ab", "r.io", "r.io/a"},
	{"r.io:80/a@sha256:ab", "r.io:80/a", "sha256:ab", "r.io:80", "r.io:80/a"},
};

int main(void)
{
	static const char *const good[] = {
		"python:alpine", "python", "library/python:3.12-slim", "a/b/c",
		"localhost/foo", "localhost:5000/foo:tag", "registry.example.org/acme/foo-base:latest",
		"my-registry:443/x_y__z.w:V1.0_rc-1", "a--b", "foo@sha256:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"foo:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		NULL,
	};
	static const char *const bad[] = {
		"", "Python", "python:alpine; rm -rf /", "-foo", "foo-", "foo_", "a___b", "a..b",
		"foo:", "foo:-tag", "foo:.tag", "foo/", "/foo", "foo//bar", "bad_host:5000/x/y",
		"-host.org/x", "host.org:/x", "host.org:50a/x", "foo@sha256:0123",
		"foo@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"foo@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"foo bar", NULL,
	};
	char tag[200], name[300];

	for (size_t i = 0; good[i]; i++)
		expect(imageref_full(good[i]), true, "imageref_full", good[i]);
	for (size_t i = 0; bad[i]; i++)
		expect(imageref_full(bad[i]), false, "imageref_full", bad[i]);
	expect(imageref_component("a.b", 3), true, "imageref_component", "a.b");
	expect(imageref_component("a.b", 2), false, "imageref_component", "a. (n=2)");
	expect(imageref_component("a__b", 4), true, "imageref_component", "a__b");
	expect(imageref_domain("example.org:5000", 16), true, "imageref_domain", "example.org:5000");
	expect(imageref_domain("example..org", 12), false, "imageref_domain", "example..org");
	expect(imageref_domain("ex-.org", 7), false, "imageref_domain", "ex-.org");
	expect(imageref_name("acme/sub"), true, "imageref_name", "acme/sub");
	expect(imageref_name("acme:1"), false, "imageref_name", "acme:1");
	expect(imageref_tag("_x"), true, "imageref_tag", "_x");
	memset(tag, 'a', 128);
	tag[128] = '\0';
	expect(imageref_tag(tag), true, "imageref_tag", "a x 128");
	tag[128] = 'a';
	tag[129] = '\0';
	expect(imageref_tag(tag), false, "imageref_tag", "a x 129");
	memset(name, 'a', 255);
	name[255] = '\0';
	expect(imageref_name(name), true, "imageref_name", "a x 255");
	name[255] = 'a';
	name[256] = '\0';
	expect(imageref_name(name), false, "imageref_name", "a x 256");
	for (size_t i = 0; i < sizeof splits / sizeof *splits; i++) {
		const char *const *c = splits[i];
		char *n, *rest;
		char host[64];

		imageref_split(c[0], &n, &rest);
		snprintf(host, sizeof host, "%.*s", (int)imageref_domain_len(c[0]), c[0]);
		if (strcmp(n, c[1]) || strcmp(rest, c[2]) || strcmp(host, c[3]) ||
		    imageref_name_len(c[0]) != strlen(c[4])) {
			printf("imageref_split('%s'): '%s' '%s' host '%s' name length %zu\n", c[0], n,
			       rest, host, imageref_name_len(c[0]));
			failed = 1;
		}
		free(n);
		free(rest);
	}
	return failed;
}
