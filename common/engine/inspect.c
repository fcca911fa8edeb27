/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/inspect.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "distro/osrelease.h"
#include "engine/engine.h"

/* Reading a file of an image costs a container (create, copy, remove):
 * a third of a second, a tenth of a build that finds everything else
 * cached.  An image ID is the hash of the image's content, so what was
 * read once for an ID holds for ever: it is kept in
 * $XDG_CACHE_HOME/pbrx/os-release/ID.json (default ~/.cache), one file an
 * image.  The cache is only an optimisation: any failure to use it is a
 * note, and the file is read from the image again. */
static char *cache_path(const char *id)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
	struct passwd *pw;

	if (strspn(hex, "0123456789abcdef") != strlen(hex) || strlen(hex) != 64)
		return NULL;
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/pbrx/os-release/%s.json", xdg, hex);
	if ((!home || home[0] != '/') && (pw = getpwuid(getuid())))
		home = pw->pw_dir;
	if (!home || home[0] != '/')
		return NULL;
	return xasprintf("%s/.cache/pbrx/os-release/%s.json", home, hex);
}

/* The cached os-release fields of image id (new), or NULL. */
static json_t *cache_get(const char *id)
{
	char *path = cache_path(id);
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
		if (!json_is_string(val)) {
			json_decref(v);
			v = NULL;
			break;
		}
	}
	if (v)
		msg_note("os-release from the cache %s", path);
	free(path);
	return v;
}

/* mkdir -p of path's directory. */
static int make_dirs(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* Keep fields for image id: written whole under a temporary name, then
 * renamed, so that a reader never sees half a file. */
static void cache_put(const char *id, const json_t *fields)
{
	char *path = cache_path(id), *tmp;

	if (!path)
		return;
	tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	if (make_dirs(tmp) < 0 || json_dump_file(fields, tmp, JSON_COMPACT) < 0 ||
	    rename(tmp, path) < 0) {
		msg_note("cannot keep os-release in %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(path);
}

/* The image's os-release as a JSON object of KEY -> value (new), read
 * where os-release(5) says: /etc/os-release, else /usr/lib/os-release.
 * NULL with *err. */
static json_t *read_os_release(struct engine *d, const char *image, const char *id,
                               struct pbrx_error *err)
{
	static const char *const paths[] = {"/etc/os-release", "/usr/lib/os-release"};
	json_t *cached = cache_get(id);

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
		cache_put(id, fields);
		return fields;
	}
	msg_warn("%s: no /etc/os-release or /usr/lib/os-release; platform unknown", image);
	return json_object();
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
	json_t *osr;

	if (!id) {
		error_set(err, EXIT_FAIL, "%s: inspect (%s): no Id in the answer", engine_name(d),
		          image);
		return NULL;
	}
	if (!(osr = read_os_release(d, image, id, err)))
		return NULL;
	return json_pack("{s:s, s:s, s:O, s:o, s:{s:o, s:o, s:o, s:o, s:o}}",
	                 "image", image,
	                 "id", id,
	                 "repo_digest", json_is_string(digest) ? digest : json_null(),
	                 "os_release", osr,
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
