/* SPDX-License-Identifier: Apache-2.0 */
#include "exec/pylayers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cachedir.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "doc/doc.h"
#include "image/layer.h"
#include "py/install.h"

/* Seconds since 1970 of an RFC 3339 UTC time as cfg-extras writes it
 * ("2023-11-14T22:13:20Z"); -1 when it is not one. */
static long long parse_created(const char *s)
{
	struct tm tm = {0};
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;

	if (!end || *end)
		return -1;
	return (long long)timegm(&tm);
}

long long pylayers_epoch(const json_t *doc, struct pbrx_error *e)
{
	const json_t *project = json_object_get(doc, "project");
	/* null: cfg-extras knew no time (no git, no SOURCE_DATE_EPOCH). */
	const char *created = json_is_null(json_object_get(project, "created"))
	                              ? NULL
	                              : doc_want_string(project, ".project", "created", e);
	long long t = created ? parse_created(created) : 0;

	if (e->msg)
		return -1;
	if (t < 0)
		return doc_error(e, ".project.created", "'%s' is not a time as "
		                 "YYYY-MM-DDTHH:MM:SSZ", created);
	return t;
}

int pylayers_read(struct pylayers *pl, const json_t *doc, bool no_cache, struct pbrx_error *e)
{
	const json_t *base = doc_want(doc, "", "base", JSON_OBJECT, e);
	const json_t *wheels = doc_need(doc, "", "wheels", JSON_OBJECT, e);
	const json_t *python = base ? json_object_get(base, "python") : NULL;

	memset(pl, 0, sizeof *pl);
	pl->no_cache = no_cache;
	if (e->msg)
		return -1;
	if (!json_is_object(python))
		return doc_error(e, ".base.python", "missing: the plan has Python layers, which "
		                 "need the base image's install scheme; run image-inspect first");
	if (scheme_read(python, &pl->scheme, e) < 0)
		return error_wrap(e, ".base.python");
	pl->wheelhouse = doc_need_string(wheels, ".wheels", "wheelhouse", e);
	pl->bytecode = doc_want_string(wheels, ".wheels", "bytecode", e);
	pl->files = doc_need(wheels, ".wheels", "files", JSON_ARRAY, e);
	if (e->msg)
		return -1;
	if (pl->wheelhouse[0] != '/')
		return doc_error(e, ".wheels.wheelhouse", "'%s' is not an absolute path",
		                 pl->wheelhouse);
	if (pl->bytecode && pl->bytecode[0] != '/')
		return doc_error(e, ".wheels.bytecode", "'%s' is not an absolute path", pl->bytecode);
	if ((pl->epoch = pylayers_epoch(doc, e)) < 0)
		return -1;
	/* Without a cache directory, layers are written for this run only. */
	if (!(pl->cache = cachedir("layers", true))) {
		pl->scratch = xasprintf("%s/pbrx-layers-XXXXXX", getenv("TMPDIR") ?: "/tmp");
		if (!mkdtemp(pl->scratch)) {
			free(pl->scratch);
			pl->scratch = NULL;
			return error_set(e, EXIT_FAIL, "cannot make a temporary directory: %s",
			                 strerror(errno));
		}
	}
	return 0;
}

/* The SHA-256 .wheels.files gives file (borrowed), or NULL. */
static const char *sha_of(const struct pylayers *pl, const char *file)
{
	size_t i;
	json_t *f;

	json_array_foreach(pl->files, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "file")) ?: "", file))
			return json_string_value(json_object_get(f, "sha256"));
	return NULL;
}

int pylayers_check(const struct pylayers *pl, const json_t *layers, const char *path,
                   struct pbrx_error *e)
{
	size_t i, k;
	json_t *l, *w;

	json_array_foreach(layers, i, l) {
		char *at = xasprintf("%s.python_layers[%zu]", path, i), *wat;

		if (!json_is_object(l))
			doc_error(e, at, "expected an object");
		doc_need_string(l, at, "name", e);
		json_array_foreach(doc_need(l, at, "wheels", JSON_ARRAY, e), k, w) {
			const char *file;

			wat = xasprintf("%s.wheels[%zu]", at, k);
			if (!e->msg && !json_is_object(w))
				doc_error(e, wat, "expected an object");
			file = doc_need_string(w, wat, "file", e);
			doc_need(w, wat, "requested", JSON_TRUE, e);
			if (!e->msg && (!*file || strchr(file, '/') || file[0] == '.'))
				doc_error(e, wat, "'%s' is not a wheel file name", file);
			if (!e->msg && !sha_of(pl, file))
				doc_error(e, wat, "%s: no such wheel in .wheels.files", file);
			free(wat);
		}
		free(at);
		if (e->msg)
			return -1;
	}
	return 0;
}

/* The cache key of layer spec: the SHA-256 of everything its bytes
 * depend on (pbrx's version: the installer's rules; the scheme; the
 * epoch; each wheel's content, whether it is requested, and whether its
 * bytecode is there). */
static void layer_key(const struct pylayers *pl, const json_t *spec, char key[DIGEST_HEX_LEN])
{
	char *scheme = xasprintf("%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n", pl->scheme.purelib,
	                         pl->scheme.platlib, pl->scheme.scripts, pl->scheme.data,
	                         pl->scheme.headers, pl->scheme.python, pl->scheme.version,
	                         pl->scheme.cache_tag);
	struct buf b = {0};
	size_t i;
	json_t *w;

	char *base = pl->scheme.base ? json_dumps(pl->scheme.base, JSON_COMPACT | JSON_SORT_KEYS)
	                             : NULL;

	buf_addf(&b, "pbrx %s python layer\n%s%s\n%lld\n", PBRX_VERSION, scheme, base ? base : "",
	         pl->epoch);
	free(base);
	json_array_foreach(json_object_get(spec, "wheels"), i, w) {
		const char *file = json_string_value(json_object_get(w, "file"));

		buf_addf(&b, "%s %s %d %d\n", file, sha_of(pl, file),
		         json_is_true(json_object_get(w, "requested")), pl->bytecode != NULL);
	}
	digest_hex(b.p, b.len, key);
	buf_free(&b);
	free(scheme);
}

/* A layer found in the cache: its tar and the digest and size kept
 * beside it.  0, or -1 when it isn't there (or can't be trusted). */
static int cached(const char *tar, const char *meta, struct layer_result *res)
{
	json_t *m = json_load_file(meta, 0, NULL);
	const char *diff = json_string_value(json_object_get(m, "diff_id"));
	json_int_t size = json_integer_value(json_object_get(m, "size"));
	struct stat st;
	int rc = -1;

	if (diff && strlen(diff) == LAYER_DIGEST_LEN - 1 && stat(tar, &st) == 0 &&
	    st.st_size == size) {
		memset(res, 0, sizeof *res);
		memcpy(res->diff_id, diff, LAYER_DIGEST_LEN);
		res->size = (unsigned long long)size;
		rc = 0;
	}
	json_decref(m);
	return rc;
}

/* install_options.base_lookup over the probe's "base": what the image
 * has at path, as far as the probe looked. */
static enum install_base_kind base_lookup(const char *path, char **target, void *arg)
{
	const char *k = json_string_value(json_object_get(arg, path));

	if (!k)
		return INSTALL_BASE_NONE;
	if (!strncmp(k, "symlink:", 8)) {
		*target = xstrdup(k + 8);
		return INSTALL_BASE_SYMLINK;
	}
	return strcmp(k, "dir") ? INSTALL_BASE_OTHER : INSTALL_BASE_DIR;
}

/* Install spec's wheels into a new layer and write it to tar. */
static int write_layer(const struct pylayers *pl, const json_t *spec, const char *who,
                       const char *tar, struct layer_result *res, struct pbrx_error *e)
{
	struct layer *l = layer_new(pl->epoch);
	size_t i;
	json_t *w;
	int rc = 0;

	json_array_foreach(json_object_get(spec, "wheels"), i, w) {
		const char *file = json_string_value(json_object_get(w, "file"));
		char *path = xasprintf("%s/%s", pl->wheelhouse, file), *pyc = NULL;
		struct install_options o = {
			.requested = json_is_true(json_object_get(w, "requested")),
			.base_lookup = pl->scheme.base ? base_lookup : NULL,
			.base_arg = pl->scheme.base,
		};
		struct stat st;

		if (pl->bytecode) {
			pyc = xasprintf("%s/%s", pl->bytecode, sha_of(pl, file));
			/* wheel-build compiled every wheel it listed: a missing
			 * directory is a cache someone emptied. */
			if (stat(pyc, &st) < 0) {
				rc = error_set(e, EXIT_FAIL, "%s: %s: no bytecode in %s (%s); run "
				               "wheel-build again", who, file, pyc, strerror(errno));
				free(pyc);
				free(path);
				break;
			}
		}
		o.pyc_dir = pyc;
		rc = install_wheel(l, path, &pl->scheme, &o, e);
		free(pyc);
		free(path);
		if (rc < 0) {
			error_wrap(e, "%s: %s", who, json_string_value(json_object_get(spec, "name")));
			break;
		}
	}
	if (rc == 0)
		rc = layer_write(l, tar, NULL, res, e);
	layer_free(l);
	return rc;
}

int pylayers_layer(const struct pylayers *pl, const json_t *spec, const char *who,
                   struct oci_layer *out, bool *reused, struct pbrx_error *e)
{
	char key[DIGEST_HEX_LEN];
	const char *dir;
	char *tar, *meta, *tmp;
	json_t *m;
	int rc;

	memset(out, 0, sizeof *out);
	*reused = false;
	layer_key(pl, spec, key);
	dir = pl->cache ? pl->cache : pl->scratch;
	tar = xasprintf("%s/%s.tar", dir, key);
	meta = xasprintf("%s/%s.json", dir, key);
	if (!pl->no_cache && cached(tar, meta, &out->res) == 0) {
		*reused = true;
		out->tar_path = tar;
		free(meta);
		return 0;
	}
	/* Written whole under a name of this process, then renamed: a
	 * reader never sees half a layer, and two builds may race. */
	tmp = xasprintf("%s/%s.%ld.tmp", dir, key, (long)getpid());
	rc = write_layer(pl, spec, who, tmp, &out->res, e);
	if (rc == 0 && rename(tmp, tar) < 0)
		rc = error_set(e, EXIT_FAIL, "%s: %s", tar, strerror(errno));
	unlink(tmp);
	free(tmp);
	if (rc == 0) {
		m = json_pack("{s:s, s:I}", "diff_id", out->res.diff_id, "size",
		              (json_int_t)out->res.size);
		tmp = json_dumps(m, JSON_COMPACT);
		if (fs_write_whole(meta, tmp, strlen(tmp)) < 0)
			msg_note("cannot keep %s: %s", meta, strerror(errno));
		free(tmp);
		json_decref(m);
		out->tar_path = tar;
	} else {
		free(tar);
	}
	free(meta);
	return rc;
}

void pylayers_free(struct pylayers *pl)
{
	if (pl->scratch)
		fs_remove_tree(pl->scratch);
	free(pl->scratch);
	free(pl->cache);
	scheme_free(&pl->scheme);
	memset(pl, 0, sizeof *pl);
}
