/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of distro/platform: the one rule for --platform values.
 * Prints each failed case; exits 1 when any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/error.h"
#include "distro/platform.h"

static int failed;

/* platform_atom(arg) is want (NULL: an error). */
static void expect(const char *arg, const char *want)
{
	struct pbrx_error e = {0};
	char *got = platform_atom(arg, &e);

	if (want ? !got || strcmp(got, want) : got != NULL || !e.msg) {
		printf("platform_atom('%s'): %s, expected %s\n", arg, got ? got : e.msg,
		       want ? want : "an error");
		failed = 1;
	}
	free(got);
	error_free(&e);
}

int main(void)
{
	char *args[] = {"apk", "platform:apk", "weird_distro", "bad!"};
	json_t *atoms = json_array();
	struct pbrx_error e = {0};
	char *s;

	expect("alpine", "platform:alpine");
	expect("platform:debian-12", "platform:debian-12");
	/* what osrelease's atoms can hold: python-distro's ID has '_' for ' ' */
	expect("weird_distro-1.2", "platform:weird_distro-1.2");
	expect("platform:rocky:9", "platform:rocky:9");
	expect("", NULL);
	expect("platform:", NULL);
	expect("Alpine", NULL);
	expect("alpine linux", NULL);
	expect("a/b", NULL);
	expect("a+b", NULL);
	if (platform_add_atoms(atoms, args, 3, &e) != 0 || e.msg) {
		printf("platform_add_atoms: failed\n");
		failed = 1;
	}
	s = json_dumps(atoms, JSON_COMPACT);
	if (strcmp(s, "[\"platform:apk\",\"platform:weird_distro\"]") != 0) {
		printf("platform_add_atoms: %s\n", s);
		failed = 1;
	}
	free(s);
	if (platform_add_atoms(atoms, args, 4, &e) != -1 || !e.msg ||
	    strcmp(e.msg, "--platform 'bad!': lower case letters, digits, ':', '.', '_' and '-'")) {
		printf("platform_add_atoms: no error for 'bad!'\n");
		failed = 1;
	}
	error_free(&e);
	json_decref(atoms);
	return failed;
}
