/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "doc/doc.h"
#include "doc/plan.h"

void plan_mount_read(const json_t *o, const char *path, struct plan_mount *m)
{
	const char *volume;
	json_t *ro;

	if (!json_is_object(o))
		doc_die(path, "expected an object");
	m->target = doc_need_string(o, path, "target");
	m->source = doc_want_string(o, path, "source");
	volume = doc_want_string(o, path, "volume");
	ro = json_object_get(o, "read_only");
	if (!json_is_boolean(ro))
		doc_die(path, "read_only: expected true or false");
	m->read_only = json_is_true(ro);
	if (m->target[0] != '/')
		doc_die(path, "target '%s' is not an absolute path", m->target);
	if (!m->source == !volume)
		doc_die(path, "expected either source or volume");
	if (volume && strcmp(volume, "wheelhouse") != 0)
		doc_die(path, "unknown volume '%s' (the one volume is 'wheelhouse')", volume);
	if (m->source && !m->read_only)
		doc_die(path, "the host directory %s must be mounted read-only", m->source);
}
