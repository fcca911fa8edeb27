/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "py/extras.h"
#include "py/pyname.h"

void extras_index_init(struct extras_index *ix, const json_t *extras)
{
	const char *key;
	json_t *v;

	memset(ix, 0, sizeof(*ix));
	ix->key = xcalloc(json_object_size(extras) + 1, sizeof(*ix->key));
	json_object_foreach((json_t *)extras, key, v) {
		char *c = pyname_canonical(key, strlen(key));
		bool added;
		size_t id = intern_add(&ix->canon, c, strlen(c), &added);

		if (added)
			ix->key[id] = key;
		free(c);
	}
}

const char *extras_index_find(const struct extras_index *ix, const char *want)
{
	char *c = pyname_canonical(want, strlen(want));
	size_t id = intern_find(&ix->canon, c, strlen(c));

	free(c);
	return id == INTERN_NONE ? NULL : ix->key[id];
}

void extras_index_free(struct extras_index *ix)
{
	intern_free(&ix->canon);
	free(ix->key);
}

const char *extras_base(const struct extras_index *ix, const char *name)
{
	/* normalising folds '-' and '_' alike: NAME_base as written */
	char *want = xasprintf("%s_base", name);
	const char *key = extras_index_find(ix, want);

	free(want);
	return key;
}

static void add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return;
	json_array_append_new(arr, json_string(s));
}

json_t *extras_for_script(const struct extras_index *ix, const char *base, const char *script,
			  const json_t *ep_extras, extras_unknown_fn *unknown, void *arg)
{
	const char *named = extras_index_find(ix, script);
	json_t *ex = json_array(), *v;
	size_t k;

	if (named)
		add_unique(ex, named);
	json_array_foreach(ep_extras, k, v) {
		const char *e = extras_index_find(ix, json_string_value(v));

		if (!e) {
			if (unknown)
				unknown(k, json_string_value(v), arg);
		} else if (!(base && strcmp(e, base) == 0)) {
			add_unique(ex, e);
		}
	}
	return ex;
}

json_t *extras_for_images(const char *name, const json_t *scripts, const json_t *extras)
{
	struct extras_index ix;
	const char *base;
	json_t *all = json_array(), *sc;
	size_t i;

	extras_index_init(&ix, extras);
	base = extras_base(&ix, name);
	if (base)
		json_array_append_new(all, json_string(base));
	json_array_foreach(scripts, i, sc) {
		const char *s = json_string_value(json_object_get(sc, "name"));
		json_t *ex, *v;
		size_t k;

		if (!s)
			continue;
		ex = extras_for_script(&ix, base, s, json_object_get(sc, "extras"), NULL, NULL);
		json_array_foreach(ex, k, v)
			add_unique(all, json_string_value(v));
		json_decref(ex);
	}
	extras_index_free(&ix);
	return all;
}
