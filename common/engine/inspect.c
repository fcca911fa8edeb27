/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cachedir.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "distro/osrelease.h"
#include "engine/engine.h"
#include "py/scheme.h"

/* Reading a file of an image costs a container (create, copy, remove):
 * a third of a second, a tenth of a build that finds everything else
 * cached; running its Python a little more.  An image ID is the hash of
 * the image's content, so what was learnt once for an ID holds for ever:
 * it is kept in $XDG_CACHE_HOME/pbrx/KIND/ID.json (default ~/.cache), one
 * file an image, KIND "os-release" or "scheme" (the scheme with what the
 * image has along its paths; an older "python" was without).  The cache is only an
 * optimisation: any failure to use it is a note, and the image is asked
 * again. */
static char *cache_path(const char *kind, const char *id)
{
	const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
	char *dir, *path;

	if (strspn(hex, "0123456789abcdef") != strlen(hex) || strlen(hex) != 64 ||
	    !(dir = cachedir(kind, false)))
		return NULL;
	path = xasprintf("%s/%s.json", dir, hex);
	free(dir);
	return path;
}

/* What is cached of kind for image id (new): an object of strings, or
 * NULL. */
static json_t *cache_get(const char *kind, const char *id)
{
	char *path = cache_path(kind, id);
	json_error_t err;
	json_t *v, *val;
	const char *key;

	if (!path)
		return NULL;
	v = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	json_object_foreach(v, key, val) {
		const json_t *sub;
		const char *k;

		/* A member may be an object of strings (the scheme's "base"). */
		json_object_foreach((json_t *)(json_is_object(val) ? val : NULL), k, sub)
			if (!json_is_string(sub))
				val = NULL;
		if (!json_is_string(val) && !json_is_object(val)) {
			json_decref(v);
			v = NULL;
			break;
		}
	}
	if (v)
		msg_note("%s from the cache %s", kind, path);
	free(path);
	return v;
}

/* Keep fields of kind for image id: written whole under a temporary
 * name, then renamed, so that a reader never sees half a file. */
static void cache_put(const char *kind, const char *id, const json_t *fields)
{
	char *path = cache_path(kind, id), *text;

	if (!path)
		return;
	free(cachedir(kind, true));
	text = json_dumps(fields, JSON_COMPACT);
	if (fs_write_whole(path, text, strlen(text)) < 0)
		msg_note("cannot keep %s in %s: %s", kind, path, strerror(errno));
	free(text);
	free(path);
}

/* The image's os-release as a JSON object of KEY -> value (new), read
 * where os-release(5) says: /etc/os-release, else /usr/lib/os-release.
 * NULL with *err. */
static json_t *read_os_release(struct engine *d, const char *image, const char *id,
                               struct pbrx_error *err)
{
	static const char *const paths[] = {"/etc/os-release", "/usr/lib/os-release"};
	json_t *cached = cache_get("os-release", id);

	if (cached)
		return cached;

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		char *text, *name;
		size_t len;
		json_t *fields;

		if (engine_image_read_file(d, id, paths[i], &text, &len) < 0) {
			if (engine_missing(d))
				continue;
			engine_error_to(d, err);
			return NULL;
		}
		name = xasprintf("%s:%s", image, paths[i]);
		fields = osr_parse(text, len, name, err);
		free(name);
		free(text);
		if (!fields) {
			/* The image's file, not the user's input: the job failed. */
			err->status = EXIT_FAIL;
			return NULL;
		}
		msg_note("%s: read %s", image, paths[i]);
		cache_put("os-release", id, fields);
		return fields;
	}
	msg_warn("%s: no /etc/os-release or /usr/lib/os-release; platform unknown", image);
	return json_object();
}

/* What python3 -c PROBE said, stream by stream. */
struct probe_output {
	struct buf out, err;
};

static void probe_output(int stream, const char *data, size_t len, void *arg)
{
	struct probe_output *o = arg;

	buf_add(stream == 1 ? &o->out : &o->err, data, len);
}

/* Run the scheme probe (py/scheme.h) with the image's python3, in a
 * container of its own with no network: 0 and its JSON (new), or NULL
 * with *why (malloc'd) when the image has no Python pip can install
 * into or no container of it starts; -1 with *err when the engine
 * fails. */
static int run_probe(struct engine *e, const char *image, const char *id, json_t **scheme,
                     char **why, struct pbrx_error *err)
{
	static char *const keep_alive[] = ENGINE_KEEP_ALIVE;
	char *const cmd[] = {"image-inspect", NULL};
	char *const argv[] = {"python3", "-c", (char *)scheme_probe, NULL};
	struct probe_output o = {0};
	struct engine_run_spec run = {.argv = argv, .user = "0", .output = probe_output, .arg = &o};
	struct scheme s = {0};
	struct pbrx_error bad = {0};
	json_error_t jerr;
	char *cid;
	int code = -1, rc = -1;

	*scheme = NULL;
	*why = NULL;
	cid = engine_container_create(e, &(struct engine_container_spec){
		.name = "pbrx-inspect", .image = id, .entrypoint = keep_alive, .cmd = cmd,
		.user = "0", .network_mode = "none", .tmpfs_tmp = true,
	});
	if (!cid)
		return engine_error_to(e, err);
	rc = 0;
	/* A container that won't start (no /bin/sh to keep it alive) can't
	 * run the steps either: no scheme, as without python3. */
	if (engine_container_start(e, cid) < 0) {
		*why = xasprintf("%s", engine_error(e));
		goto out;
	}
	if (engine_run(e, cid, &run, &code) < 0) {
		rc = engine_error_to(e, err);
		goto out;
	}
	if (code != 0) {
		/* The last line says why (no python3, a Python pip can't serve);
		 * an engine that could not start the program says it on stdout. */
		size_t n = 0;
		const char *last = buf_last_line(o.err.len ? &o.err : &o.out, &n);

		*why = xasprintf("python3 -c PROBE: exit status %d%s%.*s", code, last ? ": " : "",
		                 (int)n, last ? last : "");
		goto out;
	}
	*scheme = json_loadb(o.out.p ? o.out.p : "", o.out.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*scheme || scheme_read(*scheme, &s, &bad) < 0) {
		*why = xasprintf("python3 -c PROBE: %s", *scheme ? bad.msg : jerr.text);
		json_decref(*scheme);
		*scheme = NULL;
	}
	scheme_free(&s);
	error_free(&bad);
out:
	if (engine_container_remove(e, cid) < 0 && rc == 0)
		msg_warn("%s: %s", image, engine_error(e));
	free(cid);
	buf_free(&o.out);
	buf_free(&o.err);
	return rc;
}

/* Where pip installs in the image and with which interpreter
 * (py/scheme.h): from the cache, else asked of the image's python3 and
 * kept.  json null, with a note saying why, when the image has no
 * Python pip can install into (its steps will say so, if they need
 * one).  New; NULL with *err when the engine fails. */
static json_t *read_python(struct engine *e, const char *image, const char *id,
                           struct pbrx_error *err)
{
	json_t *scheme = cache_get("scheme", id);
	char *why;

	if (scheme)
		return scheme;
	if (run_probe(e, image, id, &scheme, &why, err) < 0)
		return NULL;
	if (!scheme) {
		msg_note("%s: no Python scheme: %s", image, why);
		free(why);
		return json_null();
	}
	msg_note("%s: pip installs into %s", image,
	         json_string_value(json_object_get(scheme, "purelib")));
	cache_put("scheme", id, scheme);
	return scheme;
}

/* A member of the image's Config, or null (new). */
static json_t *config_get(const json_t *config, const char *key)
{
	json_t *v = json_object_get(config, key);
	return v ? json_incref(v) : json_null();
}

static json_t *config_string(const json_t *config, const char *key)
{
	const char *s = json_string_value(json_object_get(config, key));
	return json_string(s ? s : "");
}

/* The base section for image (as named by the user), inspected as img.
 * NULL with *err. */
static json_t *make_base(struct engine *d, const char *image, const json_t *img,
                         struct pbrx_error *err)
{
	const char *id = json_string_value(json_object_get(img, "Id"));
	json_t *digests = json_object_get(img, "RepoDigests");
	json_t *config = json_object_get(img, "Config");
	json_t *env = json_object_get(config, "Env");
	json_t *digest = json_array_get(digests, 0);
	json_t *osr, *python;

	if (!id) {
		error_set(err, EXIT_FAIL, "%s: inspect (%s): no Id in the answer", engine_name(d),
		          image);
		return NULL;
	}
	if (!(osr = read_os_release(d, image, id, err)))
		return NULL;
	if (!(python = read_python(d, image, id, err))) {
		json_decref(osr);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:O, s:o, s:o, s:{s:o, s:o, s:o, s:o, s:o}}",
	                 "image", image,
	                 "id", id,
	                 "repo_digest", json_is_string(digest) ? digest : json_null(),
	                 "os_release", osr,
	                 "python", python,
	                 "config",
	                 "user", config_string(config, "User"),
	                 "env", json_is_array(env) ? json_incref(env) : json_array(),
	                 "workdir", config_string(config, "WorkingDir"),
	                 "cmd", config_get(config, "Cmd"),
	                 "entrypoint", config_get(config, "Entrypoint"));
}

json_t *inspect_base(struct engine *e, const char *image, struct pbrx_error *err)
{
	json_t *img = engine_image_inspect(e, image), *base;

	if (!img) {
		if (!engine_missing(e))
			return engine_error_to(e, err), NULL;
		msg_info("%s: not present; pulling it", image);
		if (engine_image_pull(e, image, msg_verbosity() < 0) < 0)
			return engine_error_to(e, err), NULL;
		if (!(img = engine_image_inspect(e, image)))
			return engine_error_to(e, err), NULL;
	}
	base = make_base(e, image, img, err);
	json_decref(img);
	if (base)
		msg_note("%s: %s", image, json_string_value(json_object_get(base, "id")));
	return base;
}
