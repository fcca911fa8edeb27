/* SPDX-License-Identifier: Apache-2.0 */
/* layercache: see layercache.h. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/layercache.h"
#include "base/msg.h"
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

char *layercache_find(struct engine *e, const char *ref)
{
	json_t *info = engine_image_inspect(e, ref);
	const char *id;
	char *out;

	if (!info && engine_missing(e))
		return NULL;
	if (!info)
		msg_die(EXIT_FAIL, "%s: %s", ref, engine_error(e));
	id = json_string_value(json_object_get(info, "Id"));
	out = id ? xstrdup(id) : NULL;
	json_decref(info);
	return out;
}

char *layercache_image_id(struct engine *e, const char *name)
{
	char *id = layercache_find(e, name);

	if (!id)
		msg_die(EXIT_FAIL, "%s: no such image", name);
	return id;
}
