/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "doc/doc.h"
#include "doc/plan.h"

/* String member key of o (at path): *s it, or NULL when absent; -1 with
 * *e when it is there and not a string, as doc_want_string says it. */
static int want_string(const json_t *o, const char *path, const char *key, const char **s,
		       struct pbrx_error *e)
{
	const json_t *v = json_object_get(o, key);

	*s = NULL;
	if (v && !json_is_string(v))
		return error_set(e, EXIT_USAGE, "%s.%s: expected a string", path, key);
	*s = json_string_value(v);
	return 0;
}

int plan_mount_check(const json_t *o, const char *path, struct plan_mount *m,
		     struct pbrx_error *e)
{
	const char *volume;
	json_t *ro;

	if (!json_is_object(o))
		return error_set(e, EXIT_USAGE, "%s: expected an object", path);
	if (want_string(o, path, "target", &m->target, e) < 0)
		return -1;
	if (!m->target)
		return error_set(e, EXIT_USAGE, "%s.target: missing (expected a string)", path);
	if (want_string(o, path, "source", &m->source, e) < 0 ||
	    want_string(o, path, "volume", &volume, e) < 0)
		return -1;
	ro = json_object_get(o, "read_only");
	if (!json_is_boolean(ro))
		return error_set(e, EXIT_USAGE, "%s: read_only: expected true or false", path);
	m->read_only = json_is_true(ro);
	if (m->target[0] != '/')
		return error_set(e, EXIT_USAGE, "%s: target '%s' is not an absolute path", path,
				 m->target);
	if (!m->source == !volume)
		return error_set(e, EXIT_USAGE, "%s: expected either source or volume", path);
	if (volume && strcmp(volume, PLAN_VOLUME_WHEELHOUSE) != 0)
		return error_set(e, EXIT_USAGE, "%s: unknown volume '%s' (the one volume is '"
				 PLAN_VOLUME_WHEELHOUSE "')", path, volume);
	if (m->source && !m->read_only)
		return error_set(e, EXIT_USAGE, "%s: the host directory %s must be mounted "
				 "read-only", path, m->source);
	return 0;
}

int plan_mount_read(const json_t *o, const char *path, struct plan_mount *m,
                    struct pbrx_error *e)
{
	if (e->msg)
		return -1;
	if (plan_mount_check(o, path, m, e) < 0)
		return error_wrap(e, "%s", doc_input_name());
	return 0;
}

int plan_mounts_check(const json_t *obj, const char *path, bool required, bool *wheelhouse,
                      struct pbrx_error *e)
{
	json_t *arr = required ? doc_need(obj, path, "mounts", JSON_ARRAY, e)
	                       : doc_want(obj, path, "mounts", JSON_ARRAY, e), *o;
	size_t i;

	if (wheelhouse)
		*wheelhouse = false;
	json_array_foreach(arr, i, o) {
		char *mpath = xasprintf("%s.mounts[%zu]", path, i);
		struct plan_mount m;

		plan_mount_read(o, mpath, &m, e);
		free(mpath);
		if (e->msg)
			return -1;
		if (wheelhouse)
			*wheelhouse |= !m.source;
	}
	return e->msg ? -1 : 0;
}

void plan_mount_get(const json_t *o, struct plan_mount *m)
{
	m->source = json_string_value(json_object_get(o, "source"));
	m->target = json_string_value(json_object_get(o, "target"));
	m->read_only = json_is_true(json_object_get(o, "read_only"));
}

int plan_steps_check(const json_t *obj, const char *path, struct pbrx_error *e)
{
	json_t *arr = doc_need(obj, path, "steps", JSON_ARRAY, e), *s;
	bool cached = true;  /* every step so far names a layer */
	size_t i;

	json_array_foreach(arr, i, s) {
		char *spath = xasprintf("%s.steps[%zu]", path, i);
		char *apath = xasprintf("%s.argv", spath);
		const char *layer, *user;
		json_t *argv;

		if (!json_is_object(s))
			doc_error(e, spath, "expected an object");
		doc_need_string(s, spath, "name", e);
		layer = doc_want_string(s, spath, "layer", e);
		if (layer && (!*layer || !cached))
			doc_error(e, spath, "layer: the cached layers must come first, each with a name");
		cached &= layer != NULL;
		user = doc_want_string(s, spath, "user", e);
		if (user && !*user)
			doc_error(e, spath, "user: expected a user (UID:GID), or no member for root");
		argv = doc_need(s, spath, "argv", JSON_ARRAY, e);
		if (doc_check_strings(argv, apath, e) == 0 && !json_array_size(argv))
			doc_error(e, apath, "expected a command");
		free(apath);
		free(spath);
		if (e->msg)
			return -1;
	}
	return e->msg ? -1 : 0;
}

json_t *plan_mount_json(const struct plan_mount *m)
{
	json_t *o = json_object();

	if (m->source)
		json_object_set_new(o, "source", json_string(m->source));
	else
		json_object_set_new(o, "volume", json_string(PLAN_VOLUME_WHEELHOUSE));
	json_object_set_new(o, "target", json_string(m->target));
	json_object_set_new(o, "read_only", json_boolean(m->source || m->read_only));
	return o;
}
