/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/janitor.h"

#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/msg.h"
#include "engine/backend.h"
#include "engine/owner.h"

/* Is container id listed?  -1 when the list fails. */
static int listed(struct engine *e, const char *id)
{
	json_t *list = engine_container_list(e), *c;
	int found = 0;
	size_t i;

	if (!list)
		return -1;
	json_array_foreach(list, i, c)
		if (!strcmp(json_string_value(json_object_get(c, "id")), id))
			found = 1;
	json_decref(list);
	return found;
}

/* After a removal of container id failed: is it gone, another run's
 * sweep having removed it first?  dockerd answers 404 when that run was
 * done, 409 ("removal ... already in progress") while it is at it: then
 * the container goes within seconds.  False when that can't be told.
 * e's error stays the removal's. */
static bool removed_meanwhile(struct engine *e, const char *id)
{
	struct pbrx_error saved;
	bool missing = engine_missing(e);
	int found = 1;

	if (missing)
		return true;
	saved = engine_error_save(e);
	for (int tries = 0; tries < 100 && found == 1; tries++) {
		if (tries)
			nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
		found = listed(e, id);
	}
	engine_error_restore(e, &saved, missing);
	return found == 0;
}

void janitor_sweep(struct engine *e)
{
	json_t *list, *c;
	size_t i;

	list = engine_container_list(e);
	if (!list) {
		msg_warn("%s; containers left by earlier runs are not looked for", engine_error(e));
		return;
	}
	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *name = json_string_value(json_object_get(c, "name"));
		long pid = 0;

		if (!owner_stale(name, &pid))
			continue;
		msg_say("removing container %s (%.12s) left by an earlier run (process %ld is gone)",
		        name, id, pid);
		/* By name: buildah keys the runs and the /tmp directory of a
		 * container by it, and no live process can make another
		 * container of this name. */
		if (engine_container_remove(e, name) < 0 && !removed_meanwhile(e, id))
			msg_warn("%s; container %s stays", engine_error(e), name);
	}
	json_decref(list);
}
