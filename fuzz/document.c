/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the document reader and the typed accessors every stage uses
 * on it (bad shapes die with the JSON path; here they return), and the
 * writer, which must give jansson's json_dumps text byte for byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "fuzz.h"

static void walk(const json_t *doc)
{
	json_t *bindep = doc_want(doc, "", "bindep", JSON_OBJECT), *sel, *plan, *v;
	size_t i;

	doc_want_string(doc_want(doc, "", "project", JSON_OBJECT) ?
				doc_need(doc, "", "project", JSON_OBJECT) : doc, ".project", "name");
	if (bindep) {
		sel = doc_need(bindep, ".bindep", "selections", JSON_OBJECT);
		doc_need(doc_need(sel, ".bindep.selections", "runtime", JSON_OBJECT),
			 ".bindep.selections.runtime", "packages", JSON_ARRAY);
	}
	plan = doc_want(doc, "", "plan", JSON_OBJECT);
	if (plan) {
		json_array_foreach(doc_need(plan, ".plan", "images", JSON_ARRAY), i, v) {
			if (!json_is_object(v))
				doc_die(".plan.images[]", "expected an object");
			doc_check_strings(doc_need(v, ".plan.images[]", "steps", JSON_ARRAY),
					  ".plan.images[].steps");
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
	/* volatile: it must survive the longjmp out of doc_parse */
	json_t *volatile doc = NULL;

	fuzz_quiet();
	if (FUZZ_GUARD()) {
		json_decref(doc);
		return 0;
	}
	doc = doc_parse((const char *)data, size, "<stdin>");
	check_dump(doc);
	walk(doc);
	json_decref(doc);
	return 0;
}
