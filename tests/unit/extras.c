/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of py/extras: which extras each image installs.  Prints
 * each failed case; exits 1 when any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "py/extras.h"

static int failed;

static void expect(json_t *got, const char *want, const char *what)
{
	char *s = json_dumps(got, JSON_COMPACT);

	if (strcmp(s, want) != 0) {
		printf("%s: %s, expected %s\n", what, s, want);
		failed = 1;
	}
	free(s);
	json_decref(got);
}

int main(void)
{
	json_t *extras = json_loads("{\"Foo.Bar-base\": [], \"foo_bar_cli\": [], \"db\": [],"
				    " \"unused\": []}", 0, NULL);
	json_t *scripts = json_loads("[{\"name\": \"foo-bar-cli\", \"extras\": [\"DB\", "
				     "\"foo-bar_base\", \"nope\"]}, {\"name\": \"other\", "
				     "\"extras\": [\"db\"]}, {\"name\": \"foo.bar.cli\"}]", 0, NULL);
	json_t *none = json_array();
	struct extras_index ix;

	/* as the extras object spells them, base first, unique */
	expect(extras_for_images("foo-bar", scripts, extras),
	       "[\"Foo.Bar-base\",\"foo_bar_cli\",\"db\"]", "extras_for_images");
	expect(extras_for_images("baz", scripts, extras), "[\"foo_bar_cli\",\"db\",\"Foo.Bar-base\"]",
	       "extras_for_images without NAME_base");
	expect(extras_for_images("foo", none, NULL), "[]", "extras_for_images of nothing");
	extras_index_init(&ix, extras);
	if (!extras_base(&ix, "foo_bar") || strcmp(extras_base(&ix, "foo_bar"), "Foo.Bar-base")) {
		printf("extras_base: wrong\n");
		failed = 1;
	}
	/* the base's extra is left out of a script's */
	expect(extras_for_script(&ix, "Foo.Bar-base", "foo-bar-cli",
				 json_object_get(json_array_get(scripts, 0), "extras"), NULL, NULL),
	       "[\"foo_bar_cli\",\"db\"]", "extras_for_script");
	extras_index_free(&ix);
	json_decref(extras);
	json_decref(scripts);
	json_decref(none);
	return failed;
}
