/* SPDX-License-Identifier: Apache-2.0 */
/* image-push: push every image of the document to its registry, the base
 * image first, and add the "pushed" section (each reference with its
 * manifest digest).  The images are the "images" section's, written by
 * image-assemble, else the plan's (.plan.images), for images built
 * earlier.  See image-push(1) and pbrx-document(5). */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doc/doc.h"
#include "engine/engine.h"
#include "base/msg.h"
#include "engine/regauth.h"
#include "base/xalloc.h"

static void usage(FILE *f)
{
	fputs("usage: image-push [-hqv] [--version] [--engine ENGINE] [--cert-dir DIR]\n", f);
}

/* The images to push: .images (built by this run), else .plan.images.
 * Borrowed; *path names it for messages. */
static json_t *images_of(const json_t *doc, const char **path)
{
	json_t *plan, *images = doc_want(doc, "", "images", JSON_ARRAY);

	*path = ".images";
	if (!images) {
		plan = doc_need(doc, "", "plan", JSON_OBJECT);
		images = doc_need(plan, ".plan", "images", JSON_ARRAY);
		*path = ".plan.images";
	}
	if (!json_array_size(images))
		doc_die(*path, "no images to push");
	return images;
}

/* Die with the engine's message, saying where credentials came from
 * when the registry refused them (the file's name only, never what it
 * holds). */
static noreturn void die_push(const struct engine *e)
{
	const char *m = engine_error(e), *env = getenv("REGISTRY_AUTH_FILE");
	char *path;

	if (!strstr(m, "unauthorized") && !strstr(m, "authentication required") &&
	    !strstr(m, "no basic auth credentials"))
		engine_die(e);
	path = !strcmp(engine_name(e), "buildah") && env && *env ? xstrdup(env)
	                                                           : regauth_config_path();
	msg_die(EXIT_FAIL, "%s (credentials: %s)", m, path);
}

/* Push ref; its entry of the "pushed" section (new). */
static json_t *push_one(struct engine *e, const char *ref, const struct engine_push_spec *spec)
{
	struct engine_push_result r;
	json_t *img = engine_image_inspect(e, ref), *out;

	/* Ask first: the engines' own words for a missing image differ and
	 * buildah's mention a registry lookup. */
	if (!img) {
		if (engine_missing(e))
			msg_die(EXIT_FAIL, "%s: no such image here (build it first: pbrx-build-images)",
			        ref);
		engine_die(e);
	}
	json_decref(img);
	msg_info("%s: pushing", ref);
	if (engine_push(e, ref, spec, &r) < 0)
		die_push(e);
	if (r.layers_known)
		msg_info("%s: pushed%s%s (layers: %lu sent, %lu already in the registry)", ref,
		         r.digest ? " " : "", r.digest ? r.digest : "", r.layers_pushed,
		         r.layers_existing);
	else
		msg_info("%s: pushed%s%s", ref, r.digest ? " " : "", r.digest ? r.digest : "");
	out = json_pack("{s:s, s:o, s:o, s:o}", "ref", ref,
	                "digest", r.digest ? json_string(r.digest) : json_null(),
	                "layers_pushed", r.layers_known ? json_integer((json_int_t)r.layers_pushed)
	                                                : json_null(),
	                "layers_existing", r.layers_known ? json_integer((json_int_t)r.layers_existing)
	                                                  : json_null());
	free(r.digest);
	return out;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"engine", required_argument, NULL, 'e'},
		{"cert-dir", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *engine = NULL, *path;
	struct engine_push_spec spec = {0};
	struct stat st;
	struct engine *e;
	json_t *doc, *images, *img, *pushed;
	size_t i;
	int ch;

	msg_init("image-push");
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
		case 'c':
			spec.cert_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (spec.cert_dir && (stat(spec.cert_dir, &st) < 0 || !S_ISDIR(st.st_mode)))
		msg_die(EXIT_USAGE, "--cert-dir %s: not a directory", spec.cert_dir);
	/* A closed stdout is reported when the document is written. */
	signal(SIGPIPE, SIG_IGN);

	doc = doc_read();
	images = images_of(doc, &path);
	json_array_foreach(images, i, img) {
		char *p = xasprintf("%s[%zu]", path, i);
		if (!json_is_object(img))
			doc_die(p, "expected an object");
		doc_need_string(img, p, "ref");
		free(p);
	}
	e = engine_open(engine);
	/* dockerd and Podman's service verify with their own certs.d, on
	 * their host: nothing the client can hand over. */
	if (spec.cert_dir && strcmp(engine_name(e), "buildah"))
		msg_die(EXIT_USAGE, "--cert-dir: only with buildah (%s reads /etc/docker/certs.d "
		        "or /etc/containers/certs.d on its own host)", engine_name(e));
	spec.quiet = msg_verbosity() < 0;
	pushed = json_array();
	json_array_foreach(images, i, img)
		json_array_append_new(pushed, push_one(e, json_string_value(json_object_get(img, "ref")), &spec));
	doc_set(doc, "pushed", pushed);
	doc_write(doc);

	json_decref(doc);
	engine_free(e);
	return EXIT_OK;
}
