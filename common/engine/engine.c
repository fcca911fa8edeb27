/* SPDX-License-Identifier: Apache-2.0 */
/* engine: which engine, and the calls passed on to its back end. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/progress.h"
#include "base/stage.h"
#include "base/xalloc.h"
#include "doc/doc.h"
#include "engine/backend.h"
#include "engine/janitor.h"
#include "engine/owner.h"
#include "image/oci.h"

json_t *engine_container_entries(const json_t *all, const char *id_key,
                                 const char *(*name_of)(const json_t *entry))
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(all, i, v) {
		const char *id = json_string_value(json_object_get(v, id_key));
		const char *name = name_of(v);

		if (id && name)
			json_array_append_new(out, json_pack("{s:s, s:s}", "id", id, "name", name));
	}
	return out;
}

struct engine *engine_new(const struct engine_ops *ops, void *impl)
{
	struct engine *e = xcalloc(1, sizeof *e);

	e->ops = ops;
	e->impl = impl;
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
	error_free(&e->err);
	error_set(&e->err, EXIT_FAIL, "%s: %s", e->ops->name, s);
	e->missing = missing;
	free(s);
}

struct pbrx_error engine_error_save(const struct engine *e)
{
	return (struct pbrx_error){e->err.status, e->err.msg ? xstrdup(e->err.msg) : NULL};
}

void engine_error_restore(struct engine *e, struct pbrx_error *saved, bool missing)
{
	error_free(&e->err);
	e->err = *saved;
	*saved = (struct pbrx_error){0};
	e->missing = missing;
}

int engine_error_to(const struct engine *e, struct pbrx_error *err)
{
	return error_set(err, EXIT_FAIL, "%s", engine_error(e));
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
	case 'G':
		if (progress_set_mode(arg) < 0) {
			msg_warn("unknown progress mode '%s' (auto, tty, plain or quiet)", arg);
			return ENGINE_OPT_BAD;
		}
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

int engine_stage_args(int argc, char **argv, const struct option *longopts,
                      void (*usage)(FILE *), engine_own_option_fn *own, void *ctx,
                      const char **engine)
{
	int ch;

	while ((ch = getopt_long(argc, argv, STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (engine_stage_option(ch, optarg, engine)) {
		case ENGINE_OPT_TAKEN:
			continue;
		case ENGINE_OPT_BAD:
			stage_usage_error(usage);
		case ENGINE_OPT_NONE:
			break;
		}
		/* Shared options, and getopt's misuse ('?', ':'). */
		if (stage_option(ch, usage))
			continue;
		if (!own || own(ch, optarg, ctx) < 0)
			stage_usage_error(usage);
	}
	return optind;
}

int engine_stage_begin(struct engine_stage *st, const char *name,
                       int (*check)(const json_t *doc, void *ctx, struct pbrx_error *err),
                       void *ctx, struct pbrx_error *err)
{
	*st = (struct engine_stage){0};
	if (!(st->doc = doc_read(err)))
		return -1;
	if ((check && check(st->doc, ctx, err) < 0) || !(st->e = engine_connect(name, err))) {
		json_decref(st->doc);
		st->doc = NULL;
		return -1;
	}
	return 0;
}

int engine_stage_end(struct engine_stage *st, struct pbrx_error *err)
{
	int rc = doc_write(st->doc, err);

	json_decref(st->doc);
	engine_free(st->e);
	*st = (struct engine_stage){0};
	return rc;
}

struct engine *engine_connect(const char *name, struct pbrx_error *err)
{
	struct engine *e;
	struct pbrx_error why = {0};
	const char *host;

	if (!name || !*name)
		name = getenv("PBRX_ENGINE");
	if (!name || !*name)
		name = "auto";
	if (!engine_name_valid(name)) {
		error_set(err, EXIT_USAGE, "unknown engine '%s' (docker, buildah or auto)", name);
		return NULL;
	}
	host = getenv("DOCKER_HOST");
	/* auto: the Docker API when it is configured or answers. */
	if (!strcmp(name, "docker") || (!strcmp(name, "auto") && host && *host)) {
		if (!(e = engine_docker_open(err)))
			error_wrap(err, "docker");
		else if (strcmp(name, "docker"))
			msg_note("engine: docker (DOCKER_HOST=%s)", host);
		return e;
	}
	if (!strcmp(name, "auto") && (e = engine_docker_open(&why))) {
		msg_note("engine: docker (the default socket answers)");
		return e;
	}
	error_free(&why);
	if (!strcmp(name, "buildah") || engine_buildah_installed()) {
		if (!(e = engine_buildah_open(err)))
			error_wrap(err, "buildah");
		else if (strcmp(name, "buildah"))
			msg_note("engine: buildah");
		return e;
	}
	error_set(err, EXIT_FAIL, "no container engine: DOCKER_HOST is not set, "
	          "unix:///var/run/docker.sock does not answer /_ping, and buildah is not on PATH");
	return NULL;
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
	error_free(&e->err);
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

bool engine_runs_side_by_side(const struct engine *e)
{
	return strcmp(e->ops->name, "buildah") != 0;
}

const char *engine_error(const struct engine *e)
{
	return e->err.msg ? e->err.msg : "";
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

int engine_image_export(struct engine *e, const char *name, struct layout *l, char **config,
                        size_t *config_len)
{
	struct strv layers = {0};
	json_t *cfg = NULL, *ids;
	int rc = -1;

	*config = NULL;
	if (e->ops->image_export(e, name, l, config, config_len, &layers) < 0)
		goto out;
	/* What the engine sent must be the image its config describes:
	 * the same layers, in the same order. */
	cfg = json_loadb(*config, *config_len, 0, NULL);
	ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(ids)) {
		engine_fail(e, false, "export (%s): the config has no rootfs.diff_ids", name);
		goto out;
	}
	if (json_array_size(ids) != layers.n) {
		engine_fail(e, false, "export (%s): %zu layers, but the config lists %zu", name,
		            layers.n, json_array_size(ids));
		goto out;
	}
	for (size_t i = 0; i < layers.n; i++) {
		const char *want = json_string_value(json_array_get(ids, i));

		if (!want || strcmp(want, layers.v[i])) {
			engine_fail(e, false, "export (%s): layer %zu is %s, but the config says %s",
			            name, i, layers.v[i], want ? want : "nothing");
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0) {
		free(*config);
		*config = NULL;
	}
	json_decref(cfg);
	strv_free(&layers);
	return rc;
}

char *engine_image_load(struct engine *e, const struct oci_image *img, const char *repo_tag,
                        bool quiet)
{
	char *id = e->ops->image_load(e, img, repo_tag, quiet);

	/* The ID is the config's digest by construction: another one means
	 * the engine rewrote the config, and pbrx's own record would lie. */
	if (id && strcmp(id, img->id)) {
		engine_fail(e, false, "load (%s): the image's ID is %s, not %s",
		            repo_tag ? repo_tag : img->id, id, img->id);
		free(id);
		return NULL;
	}
	return id;
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

void engine_sweep(struct engine *e, const json_t *doc)
{
	if (json_is_true(json_object_get(json_object_get(doc, "base"), "swept")))
		return;
	janitor_sweep(e);
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
