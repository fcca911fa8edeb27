/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/push.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "doc/doc.h"
#include "engine/regauth.h"

const json_t *push_images_of(const json_t *doc, struct pbrx_error *e)
{
	json_t *plan, *images = doc_want(doc, "", "images", JSON_ARRAY, e), *img;
	const char *path = ".images";
	size_t i;

	if (!images) {
		plan = doc_need(doc, "", "plan", JSON_OBJECT, e);
		images = doc_need(plan, ".plan", "images", JSON_ARRAY, e);
		path = ".plan.images";
	}
	if (e->msg)
		return NULL;
	if (!json_array_size(images)) {
		doc_error(e, path, "no images to push");
		return NULL;
	}
	json_array_foreach(images, i, img) {
		char *p = xasprintf("%s[%zu]", path, i);
		if (!json_is_object(img))
			doc_error(e, p, "expected an object");
		doc_need_string(img, p, "ref", e);
		free(p);
		if (e->msg)
			return NULL;
	}
	return images;
}

/* The engine's failure as *err, saying where credentials came from when
 * the registry refused them (the file's name only, never what it
 * holds).  -1. */
static int push_failed(const struct engine *e, struct pbrx_error *err)
{
	const char *m = engine_error(e), *env = getenv("REGISTRY_AUTH_FILE");
	char *path;

	if (!strstr(m, "unauthorized") && !strstr(m, "authentication required") &&
	    !strstr(m, "no basic auth credentials"))
		return engine_error_to(e, err);
	path = !strcmp(engine_name(e), "buildah") && env && *env ? xstrdup(env)
	                                                           : regauth_config_path();
	error_set(err, EXIT_FAIL, "%s (credentials: %s)", m, path);
	free(path);
	return -1;
}

/* Push ref; its entry of the "pushed" section (new), or NULL with *err. */
static json_t *push_one(struct engine *e, const char *ref, const struct engine_push_spec *spec,
                        struct pbrx_error *err)
{
	struct engine_push_result r;
	json_t *img = engine_image_inspect(e, ref), *out;

	/* Ask first: the engines' own words for a missing image differ and
	 * buildah's mention a registry lookup. */
	if (!img) {
		if (engine_missing(e))
			error_set(err, EXIT_FAIL,
			          "%s: no such image here (build it first: pbrx-build-images)", ref);
		else
			engine_error_to(e, err);
		return NULL;
	}
	json_decref(img);
	msg_info("%s: pushing", ref);
	if (engine_push(e, ref, spec, &r) < 0) {
		push_failed(e, err);
		return NULL;
	}
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

json_t *push_images(struct engine *e, const json_t *images, const struct engine_push_spec *spec,
                    struct pbrx_error *err)
{
	json_t *pushed, *img, *one;
	size_t i;

	/* dockerd and Podman's service verify with their own certs.d, on
	 * their host: nothing the client can hand over. */
	if (spec->cert_dir && strcmp(engine_name(e), "buildah")) {
		error_set(err, EXIT_USAGE, "--cert-dir: only with buildah (%s reads "
		          "/etc/docker/certs.d or /etc/containers/certs.d on its own host)",
		          engine_name(e));
		return NULL;
	}
	pushed = json_array();
	json_array_foreach(images, i, img) {
		one = push_one(e, json_string_value(json_object_get(img, "ref")), spec, err);
		if (!one) {
			json_decref(pushed);
			return NULL;
		}
		json_array_append_new(pushed, one);
	}
	return pushed;
}
