/* SPDX-License-Identifier: Apache-2.0 */
/* engine: which engine, and the calls passed on to its back end. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/backend.h"
#include "base/msg.h"
#include "engine/owner.h"
#include "base/xalloc.h"

struct engine *engine_new(const struct engine_ops *ops, void *impl)
{
	struct engine *e = xcalloc(1, sizeof *e);

	e->ops = ops;
	e->impl = impl;
	e->error = xstrdup("");
	return e;
}

void engine_fail(struct engine *e, bool missing, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		msg_die(EXIT_FAIL, "out of memory");
	va_end(ap);
	free(e->error);
	e->error = xasprintf("%s: %s", e->ops->name, s);
	e->missing = missing;
	free(s);
}

bool engine_name_valid(const char *name)
{
	return !strcmp(name, "docker") || !strcmp(name, "buildah") || !strcmp(name, "auto");
}

enum engine_opt engine_stage_option(int ch, const char *arg, const char **engine)
{
	switch (ch) {
	case 'e':
		/* Podman's Docker-compatible service is "docker", reached
		 * through DOCKER_HOST. */
		if (!engine_name_valid(arg)) {
			msg_warn("unknown engine '%s' (docker, buildah or auto)", arg);
			return ENGINE_OPT_BAD;
		}
		*engine = arg;
		return ENGINE_OPT_TAKEN;
	case 'q':
		msg_set_verbosity(-1);
		return ENGINE_OPT_TAKEN;
	case 'v':
		msg_set_verbosity(msg_verbosity() + 1);
		return ENGINE_OPT_TAKEN;
	case 'V':
		printf("%s %s\n", msg_progname(), PBRX_VERSION);
		exit(EXIT_OK);
	}
	return ENGINE_OPT_NONE;
}

struct engine *engine_open(const char *name)
{
	struct engine *e;
	char *why = NULL, *why_buildah = NULL;
	const char *host;

	if (!name || !*name)
		name = getenv("PBRX_ENGINE");
	if (!name || !*name)
		name = "auto";
	if (!engine_name_valid(name))
		msg_die(EXIT_USAGE, "unknown engine '%s' (docker, buildah or auto)", name);
	if (!strcmp(name, "docker")) {
		if (!(e = engine_docker_open(&why)))
			msg_die(EXIT_FAIL, "docker: %s", why);
		return e;
	}
	if (!strcmp(name, "buildah")) {
		if (!(e = engine_buildah_open(&why)))
			msg_die(EXIT_FAIL, "buildah: %s", why);
		return e;
	}
	/* auto: the Docker API when it is configured or answers. */
	host = getenv("DOCKER_HOST");
	if (host && *host) {
		if (!(e = engine_docker_open(&why)))
			msg_die(EXIT_FAIL, "docker: %s", why);
		msg_note("engine: docker (DOCKER_HOST=%s)", host);
		return e;
	}
	if ((e = engine_docker_open(&why))) {
		msg_note("engine: docker (the default socket answers)");
		return e;
	}
	if (engine_buildah_installed()) {
		if (!(e = engine_buildah_open(&why_buildah)))
			msg_die(EXIT_FAIL, "buildah: %s", why_buildah);
		msg_note("engine: buildah");
		free(why);
		return e;
	}
	msg_die(EXIT_FAIL, "no container engine: DOCKER_HOST is not set, "
	        "unix:///var/run/docker.sock does not answer /_ping, and buildah is not on PATH");
}

struct engine *engine_dup(const struct engine *e)
{
	return e->ops->dup(e);
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	e->ops->free(e);
	free(e->error);
	free(e);
}

void engine_cancel(struct engine *e)
{
	e->ops->cancel(e);
}

const char *engine_name(const struct engine *e)
{
	return e->ops->name;
}

const char *engine_error(const struct engine *e)
{
	return e->error;
}

bool engine_missing(const struct engine *e)
{
	return e->missing;
}

void engine_host_ids(const struct engine *e, unsigned long *uid, unsigned long *gid)
{
	bool mapped = !strcmp(e->ops->name, "buildah");

	*uid = mapped ? 0 : (unsigned long)getuid();
	*gid = mapped ? 0 : (unsigned long)getgid();
}

noreturn void engine_die(const struct engine *e)
{
	msg_die(EXIT_FAIL, "%s", e->error);
}

json_t *engine_image_inspect(struct engine *e, const char *name)
{
	return e->ops->image_inspect(e, name);
}

int engine_image_pull(struct engine *e, const char *name, bool quiet)
{
	return e->ops->image_pull(e, name, quiet);
}

int engine_image_read_file(struct engine *e, const char *image, const char *path,
                           char **data, size_t *len)
{
	return e->ops->image_read_file(e, image, path, data, len);
}

int engine_image_tag(struct engine *e, const char *image, const char *repo_tag)
{
	return e->ops->image_tag(e, image, repo_tag);
}

int engine_image_remove(struct engine *e, const char *name, bool force)
{
	return e->ops->image_remove(e, name, force);
}

char *engine_build(struct engine *e, const struct engine_build_spec *spec)
{
	return e->ops->build(e, spec);
}

char *engine_container_name(const char *prefix)
{
	/* Atomic: image-assemble builds images side by side, in threads. */
	static atomic_uint serial;
	char *numbered = xasprintf("%s-%u", prefix ? prefix : "pbrx", atomic_fetch_add(&serial, 1));
	char *name = owner_name(numbered);

	free(numbered);
	return name;
}

char *engine_container_create(struct engine *e, const struct engine_container_spec *spec)
{
	struct engine_container_spec named = *spec;
	char *name = engine_container_name(spec->name), *id;

	named.name = name;
	id = e->ops->container_create(e, &named);
	free(name);
	return id;
}

json_t *engine_container_list(struct engine *e)
{
	return e->ops->container_list(e);
}

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
	char *err;
	bool missing = e->missing;
	int found = 1;

	if (missing)
		return true;
	err = xstrdup(e->error);
	for (int tries = 0; tries < 100 && found == 1; tries++) {
		if (tries)
			nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
		found = listed(e, id);
	}
	free(e->error);
	e->error = err;
	e->missing = missing;
	return found == 0;
}

void engine_sweep(struct engine *e)
{
	json_t *list, *c;
	size_t i;

	if (getenv("PBRX_SWEPT"))
		return;
	list = engine_container_list(e);
	if (!list) {
		msg_warn("%s; containers left by earlier runs are not looked for", e->error);
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
			msg_warn("%s; container %s stays", e->error, name);
	}
	json_decref(list);
}

int engine_container_start(struct engine *e, const char *id)
{
	return e->ops->container_start(e, id);
}

int engine_run(struct engine *e, const char *id, const struct engine_run_spec *spec,
               int *exit_code)
{
	return e->ops->run(e, id, spec, exit_code);
}

char *engine_commit(struct engine *e, const char *id, const char *repo_tag,
                    char *const *changes)
{
	return e->ops->commit(e, id, repo_tag, changes);
}

int engine_container_remove(struct engine *e, const char *id)
{
	return e->ops->container_remove(e, id);
}

int engine_push(struct engine *e, const char *name, const struct engine_push_spec *spec,
                struct engine_push_result *result)
{
	return e->ops->push(e, name, spec, result);
}
