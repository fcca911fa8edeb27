/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the document reader and the typed accessors every stage uses
 * on it (bad shapes are errors with the JSON path), and the writer, which
 * must give jansson's json_dumps text byte for byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "doc/doc.h"
#include "fuzz.h"

static void walk(const json_t *doc, struct pbrx_error *e)
{
	json_t *bindep = doc_want(doc, "", "bindep", JSON_OBJECT, e), *sel, *plan, *v;
	size_t i;

	doc_want_string(doc_want(doc, "", "project", JSON_OBJECT, e) ?
				doc_need(doc, "", "project", JSON_OBJECT, e) : doc, ".project", "name", e);
	if (bindep) {
		sel = doc_need(bindep, ".bindep", "selections", JSON_OBJECT, e);
		doc_need(doc_need(sel, ".bindep.selections", "runtime", JSON_OBJECT, e),
			 ".bindep.selections.runtime", "packages", JSON_ARRAY, e);
	}
	plan = doc_want(doc, "", "plan", JSON_OBJECT, e);
	if (plan) {
		json_array_foreach(doc_need(plan, ".plan", "images", JSON_ARRAY, e), i, v) {
			if (!json_is_object(v))
				doc_error(e, ".plan.images[]", "expected an object");
			doc_check_strings(doc_need(v, ".plan.images[]", "steps", JSON_ARRAY, e),
					  ".plan.images[].steps", e);
		}
	}
}

static void check_dump(const json_t *doc)
{
	size_t len;
	char *ours = doc_dump(doc, &len), *theirs = json_dumps(doc, JSON_INDENT(2));

	if (!theirs || strlen(theirs) != len || memcmp(ours, theirs, len) != 0)
		abort();
	free(ours);
	free(theirs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pbrx_error e = {0};
	json_t *doc;

	fuzz_quiet();
	doc = doc_parse((const char *)data, size, "<stdin>", &e);
	if (doc) {
		check_dump(doc);
		walk(doc, &e);
		json_decref(doc);
	}
	error_free(&e);
	return 0;
}
