/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/msg.h"
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

void plan_mount_read(const json_t *o, const char *path, struct plan_mount *m)
{
	struct pbrx_error e = {0};
	char where[512], what[512];
	size_t n;

	if (plan_mount_check(o, path, m, &e) == 0)
		return;
	/* "PATH: what": a JSON path holds no ": ", so the first one ends it.
	 * Copied into fixed buffers: nothing to leak when a caller catches
	 * the exit (the fuzz harnesses do). */
	n = (size_t)(strstr(e.msg, ": ") - e.msg);
	snprintf(where, sizeof where, "%.*s", (int)n, e.msg);
	snprintf(what, sizeof what, "%s", e.msg + n + 2);
	error_free(&e);
	doc_die(where, "%s", what);
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
