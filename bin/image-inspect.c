/* SPDX-License-Identifier: Apache-2.0 */
/* image-inspect: look at the base image through the container engine,
 * pulling it when absent, and add the "base" section (ID, digest,
 * os-release fields, config) to the document.
 * See image-inspect(1) and pbrx-document(5). */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc/doc.h"
#include "engine/engine.h"
#include "base/msg.h"
#include "distro/osrelease.h"
#include "base/xalloc.h"

#define DEFAULT_IMAGE "python:alpine"

static void usage(FILE *f)
{
	fputs("usage: image-inspect [-hqv] [--version] [--engine ENGINE] [IMAGE]\n", f);
}

/* ---- the os-release cache ---- */

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
 * where os-release(5) says: /etc/os-release, else /usr/lib/os-release. */
static json_t *read_os_release(struct engine *d, const char *image, const char *id)
{
	static const char *const paths[] = {"/etc/os-release", "/usr/lib/os-release"};
	json_t *cached = cache_get(id);

	if (cached)
		return cached;

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		char *text;
		size_t len;
		int line;
		const char *err;
		json_t *fields;

		if (engine_image_read_file(d, id, paths[i], &text, &len) < 0) {
			if (engine_missing(d))
				continue;
			engine_die(d);
		}
		fields = osr_parse(text, len, &line, &err);
		free(text);
		if (!fields)
			msg_die(EXIT_FAIL, "%s:%s:%d: %s", image, paths[i], line, err);
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

/* The base section for image (as named by the user), inspected as img. */
static json_t *make_base(struct engine *d, const char *image, const json_t *img)
{
	const char *id = json_string_value(json_object_get(img, "Id"));
	json_t *digests = json_object_get(img, "RepoDigests");
	json_t *config = json_object_get(img, "Config");
	json_t *env = json_object_get(config, "Env");
	json_t *digest = json_array_get(digests, 0);

	if (!id)
		msg_die(EXIT_FAIL, "%s: inspect (%s): no Id in the answer", engine_name(d), image);
	return json_pack("{s:s, s:s, s:O, s:o, s:{s:o, s:o, s:o, s:o, s:o}}",
	                 "image", image,
	                 "id", id,
	                 "repo_digest", json_is_string(digest) ? digest : json_null(),
	                 "os_release", read_os_release(d, image, id),
	                 "config",
	                 "user", config_string(config, "User"),
	                 "env", json_is_array(env) ? json_incref(env) : json_array(),
	                 "workdir", config_string(config, "WorkingDir"),
	                 "cmd", config_get(config, "Cmd"),
	                 "entrypoint", config_get(config, "Entrypoint"));
}

/* The image to inspect when none is named: the plan's, else the default. */
static const char *default_image(const json_t *doc)
{
	json_t *plan = doc_want(doc, "", "plan", JSON_OBJECT);
	const char *s = plan ? doc_want_string(plan, ".plan", "base_image") : NULL;
	return s ? s : DEFAULT_IMAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"engine", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *image, *engine = NULL;
	struct engine *d;
	json_t *doc, *img, *base;
	int ch;

	msg_init("image-inspect");
	while ((ch = getopt_long(argc, argv, "hqv", longopts, NULL)) != -1) {
		switch (engine_stage_option(ch, optarg, &engine)) {
		case ENGINE_OPT_TAKEN:
			continue;
		case ENGINE_OPT_BAD:
			usage(stderr);
			return EXIT_USAGE;
		case ENGINE_OPT_NONE:
			break;
		}
		switch (ch) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EXIT_USAGE;
	}

	doc = doc_read();
	image = optind < argc ? argv[optind] : default_image(doc);
	if (!*image)
		msg_die(EXIT_USAGE, "empty image name");
	d = engine_open(engine);
	/* The first stage of pbrx-build-images: the containers a run that
	 * died left go before this run makes any (reading os-release). */
	engine_sweep(d);
	img = engine_image_inspect(d, image);
	if (!img) {
		if (!engine_missing(d))
			engine_die(d);
		msg_info("%s: not present; pulling it", image);
		if (engine_image_pull(d, image, msg_verbosity() < 0) < 0)
			engine_die(d);
		img = engine_image_inspect(d, image);
		if (!img)
			engine_die(d);
	}
	base = make_base(d, image, img);
	msg_note("%s: %s", image, json_string_value(json_object_get(base, "id")));
	doc_set(doc, "base", base);
	doc_write(doc);

	json_decref(img);
	json_decref(doc);
	engine_free(d);
	return EXIT_OK;
}
