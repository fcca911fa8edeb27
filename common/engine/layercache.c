/* SPDX-License-Identifier: Apache-2.0 */
/* layercache: see layercache.h. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/layercache.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/progress.h"
#include "base/xalloc.h"

/* Hex digits of the key in a tag: 160 bits, collision-free for a cache,
 * and short enough to read in `docker images`. */
#define KEY_HEX 40

/* Hash s and a separator that no JSON text or image ID contains, so that
 * ("ab", "c") and ("a", "bc") differ. */
static void put(EVP_MD_CTX *ctx, const char *s)
{
	EVP_DigestUpdate(ctx, s, strlen(s));
	EVP_DigestUpdate(ctx, "\n", 1);
}

static void put_json(EVP_MD_CTX *ctx, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!s)
		msg_die(EXIT_FAIL, "cannot encode a layer's steps");
	put(ctx, s);
	free(s);
}

char *layercache_key(const char *parent_id, const json_t *steps, const json_t *inputs)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *hex;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		msg_die(EXIT_FAIL, "cannot start SHA-256");
	/* The version of this scheme: a change to what a layer holds
	 * changes every key. */
	put(ctx, "pbrx-layer-1");
	put(ctx, parent_id);
	put_json(ctx, steps);
	if (inputs)
		put_json(ctx, inputs);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	hex = xmalloc(2 * mdlen + 1);
	for (unsigned int i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	hex[KEY_HEX] = '\0';
	return hex;
}

char *layercache_ref(const char *repo, const char *layer, const char *key)
{
	return xasprintf("pbrx-cache/%s:%s-%s", repo, layer, key);
}

int layercache_find(struct engine *e, const char *ref, char **id, struct pbrx_error *err)
{
	json_t *info = engine_image_inspect(e, ref);
	const char *s;

	*id = NULL;
	if (!info && engine_missing(e))
		return 0;
	if (!info)
		return error_set(err, EXIT_FAIL, "%s: %s", ref, engine_error(e));
	s = json_string_value(json_object_get(info, "Id"));
	*id = s ? xstrdup(s) : NULL;
	json_decref(info);
	return 0;
}

char *layercache_image_id(struct engine *e, const char *name, struct pbrx_error *err)
{
	char *id;

	if (layercache_find(e, name, &id, err) < 0)
		return NULL;
	if (!id)
		error_set(err, EXIT_FAIL, "%s: no such image", name);
	return id;
}

/* The layer name of step k of steps, or NULL. */
static const char *layer_of(const json_t *steps, size_t k)
{
	return json_string_value(json_object_get(json_array_get(steps, k), "layer"));
}

int layercache_walk(const struct layercache_walk *w, const char *from, char **top, size_t *next,
                    struct pbrx_error *err)
{
	/* Containers start from names, keys from IDs (buildah takes an ID
	 * only without "sha256:"). */
	char *parent_id = layercache_image_id(w->e, from, err), *parent = xstrdup(from);
	size_t k = 0, n = json_array_size(w->steps);
	const char *layer;
	bool look = !w->no_cache || w->fresh_from;
	int rc = parent_id ? 0 : EXIT_FAIL;

	while (!rc && k < n && (layer = layer_of(w->steps, k))) {
		size_t end = k + 1;
		json_t *run, *in, *ks;
		char *key, *ref, *id = NULL;

		if (w->stop_before && strcmp(layer, w->stop_before) == 0)
			break;
		if (w->no_cache && w->fresh_from && !strcmp(layer, w->fresh_from))
			look = false;
		while (end < n && layer_of(w->steps, end) && !strcmp(layer_of(w->steps, end), layer))
			end++;
		run = json_array();
		for (size_t i = k; i < end; i++)
			json_array_append(run, json_array_get(w->steps, i));
		in = w->inputs ? w->inputs(w->ctx, layer) : NULL;
		ks = w->key_steps ? w->key_steps(w->ctx, run) : json_incref(run);
		key = layercache_key(parent_id, ks, in);
		ref = layercache_ref(w->repo, layer, key);
		if (look && layercache_find(w->e, ref, &id, err) < 0) {
			rc = EXIT_FAIL;
		} else if (id) {
			progress_layer(w->who, layer, ref, true);
		} else {
			msg_note("%s: %s: building %s", w->who, layer, ref);
			rc = w->build(w->ctx, parent, k, end, in, ref, &id);
		}
		free(parent_id);
		free(parent);
		parent_id = id;
		parent = ref;
		free(key);
		json_decref(ks);
		json_decref(in);
		json_decref(run);
		k = end;
	}
	free(parent_id);
	if (rc) {
		free(parent);
		return rc;
	}
	*top = parent;
	*next = k;
	return 0;
}
