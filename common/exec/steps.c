/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/capture.h"
#include "base/digest.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/progress.h"
#include "base/quote.h"
#include "base/xalloc.h"
#include "doc/doc.h"
#include "doc/plan.h"
#include "engine/engine.h"
#include "engine/layercache.h"
#include "exec/fsdiff.h"
#include "exec/reaper.h"
#include "exec/rollback.h"
#include "exec/steps.h"
#include "image/oci.h"

/* The strings of array arr, appended to *v. */
static void argv_read(const json_t *arr, struct strv *v)
{
	for (size_t i = 0; i < json_array_size(arr); i++)
		strv_add(v, json_string_value(json_array_get(arr, i)));
}

/* The mounts of j's plan object (plan_mounts_check() accepted them): a
 * "source" is a host path, the volume "wheelhouse" is j->wheelhouse,
 * left out unless wheels is set (the caller made sure there is one
 * then).  Malloc'd array; strings borrowed. */
static struct engine_mount *mounts_of(const struct steps_job *j, bool wheels, size_t *n)
{
	json_t *arr = json_object_get(j->plan, "mounts");
	struct engine_mount *m = xcalloc(json_array_size(arr) + 1, sizeof *m);
	size_t i, k = 0;
	json_t *v;

	json_array_foreach(arr, i, v) {
		struct plan_mount pm;

		plan_mount_get(v, &pm);
		m[k].target = pm.target;
		m[k].read_only = pm.read_only;
		if (pm.source)
			m[k++].source = pm.source;
		else if (wheels && j->wheelhouse)
			m[k++].source = j->wheelhouse;
		/* else: steps that read no wheels (a "packages" layer) run
		 * in the same container whether wheel-build ran yet or not. */
	}
	*n = k;
	return m;
}

/* Run step k of j's plan object in container cid: 0, or -1 with *err
 * naming the plan object, the step and the command.  Its output goes to
 * the progress events, which show it (all of it, or the end of it when
 * it fails) as the run's mode says. */
static int run_step(const struct steps_job *j, const char *cid, const json_t *step,
                    struct pbrx_error *err)
{
	const char *name = json_string_value(json_object_get(step, "name"));
	struct strv argv = {0}, env = {0};
	/* Package managers need root, whatever USER the image has. */
	struct engine_run_spec spec = {.user = "0", .output = progress_output};
	struct progress_step *ps;
	char *shown;
	int code = -1, rc;

	argv_read(json_object_get(step, "argv"), &argv);
	spec.argv = argv.v;
	shown = quote_argv(argv.v);
	/* pip's warning about running as root says nothing in a container
	 * made for the step; its progress lines say little more (a
	 * failure's error it prints all the same), so it runs quietly but
	 * with -v. */
	strv_addv(&env, j->env);
	strv_add(&env, "PIP_ROOT_USER_ACTION=ignore");
	if (msg_verbosity() <= 0)
		strv_add(&env, "PIP_QUIET=1");
	spec.env = env.v;
	ps = progress_step_start(j->who, name, argv.v, NULL);
	spec.arg = ps;
	rc = engine_run(j->e, cid, &spec, &code);
	/* A signal's cleanup stops the step: not its failure. */
	progress_step_end(ps, cleanup_interrupted() ? PROGRESS_STOPPED : rc < 0 ? -1 : code);
	if (rc < 0 || code != 0)
		cleanup_hold();
	if (rc < 0) {
		error_set(err, EXIT_FAIL, "%s: %s: %s", j->who, name, engine_error(j->e));
	} else if (code != 0) {
		error_set(err, EXIT_FAIL, "%s: step %s failed (exit status %d): %s", j->who, name,
		          code, shown);
		rc = -1;
	}
	free(shown);
	strv_free(&env);
	strv_free(&argv);
	return rc < 0 ? -1 : 0;
}

/* "PROG: STEP: COMMAND; ..." for the history of the layer of steps.
 * Malloc'd. */
static char *history_text(const json_t *steps)
{
	struct buf b = {0};
	size_t k;
	json_t *step;

	buf_addf(&b, "%s:", msg_progname());
	json_array_foreach(steps, k, step) {
		json_t *argv = json_object_get(step, "argv");
		struct strv v = {0};
		char *shown;

		if (!json_array_size(argv))
			continue;
		argv_read(argv, &v);
		shown = quote_argv(v.v);
		buf_addf(&b, "%s %s", k ? ";" : "", shown);
		free(shown);
		strv_free(&v);
	}
	if (!json_array_size(steps))
		buf_adds(&b, " configuration only");
	return buf_take(&b);
}

/* Run python3 -c fsdiff_program with args in container cid; its stdout
 * into out (NULL: stderr's way), its stderr kept for a failure. */
struct diff_output {
	FILE *out;
	bool write_failed;
	struct capture err;
};

static void diff_output(int stream, const char *data, size_t len, void *arg)
{
	struct diff_output *o = arg;

	if (stream == 1 && o->out) {
		if (fwrite(data, 1, len, o->out) != len)
			o->write_failed = true;
	} else {
		capture_output(stream, data, len, &o->err);
	}
}

static int run_fsdiff(const struct steps_job *j, const char *cid, const char *what, FILE *out,
                      char *const *args, struct pbrx_error *err)
{
	char *argv[8] = {"python3", "-c", (char *)fsdiff_program};
	struct diff_output o = {.out = out, .err = {.keep = 64 * 1024}};
	struct engine_run_spec spec = {.argv = argv, .user = "0", .output = diff_output, .arg = &o};
	int code, rc = 0;

	for (size_t i = 0; args[i] && i < 4; i++)
		argv[3 + i] = args[i];
	if (engine_run(j->e, cid, &spec, &code) < 0) {
		cleanup_hold();
		rc = error_set(err, EXIT_FAIL, "%s: %s: %s", j->who, what, engine_error(j->e));
	} else if (code != 0 || o.write_failed) {
		cleanup_hold();
		capture_show(&o.err);
		rc = error_set(err, EXIT_FAIL, "%s: %s: %s", j->who, what,
		               o.write_failed ? strerror(errno) : "the layer's program failed");
	}
	capture_free(&o.err);
	return rc;
}

/* The layer of what steps changed in container cid since the snapshot,
 * written by pbrx (exec/fsdiff.h), and the image of it over from loaded
 * as repo_tag: its ID (malloc'd), or NULL with *err, the cleanup lock
 * held for good. */
static char *write_changes(const struct steps_job *j, const char *cid, const char *from,
                           const char *what, const char *repo_tag, struct pbrx_error *err)
{
	char epoch[32], *path = xasprintf("%s/pbrx-layer-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	char *args[] = {"tar", FSDIFF_SNAPSHOT, epoch, NULL}, *sum = NULL, *id = NULL;
	struct oci_layer layer = {.tar_path = path, .created_by = what};
	struct oci_image *img = NULL;
	json_t *info = NULL, *config = NULL;
	struct stat st;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;

	snprintf(epoch, sizeof epoch, "%lld", j->epoch);
	if (!f) {
		cleanup_hold();
		error_set(err, EXIT_FAIL, "%s: %s: %s", j->who, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	msg_note("%s: %s: writing the layer of the changes", j->who, repo_tag);
	if (run_fsdiff(j, cid, "the layer of the changes", f, args, err) < 0) {
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0 || stat(path, &st) < 0 || !(sum = digest_file(path, err))) {
		cleanup_hold();
		if (!err->msg)
			error_set(err, EXIT_FAIL, "%s: %s: %s", j->who, path, strerror(errno));
		goto out;
	}
	snprintf(layer.res.diff_id, sizeof layer.res.diff_id, "sha256:%s", sum);
	layer.res.size = (unsigned long long)st.st_size;
	if (!(info = engine_image_inspect(j->e, from))) {
		cleanup_hold();
		error_set(err, EXIT_FAIL, "%s: %s", j->who, engine_error(j->e));
		goto out;
	}
	config = fsdiff_config(json_object_get(info, "Config"), j->changes);
	img = oci_image_new(&(struct oci_image_spec){
		.architecture = json_string_value(json_object_get(info, "Architecture")) ?: "amd64",
		.os = json_string_value(json_object_get(info, "Os")),
		.epoch = j->epoch,
		.config = config,
		.base_diff_ids = json_object_get(json_object_get(info, "RootFS"), "Layers"),
		.base_layer_sizes = json_object_get(info, "LayerSizes"),
		.base_history = json_object_get(info, "History"),
		.layers = &layer,
		.nlayers = 1,
	}, err);
	if (!img) {
		cleanup_hold();
		goto out;
	}
	/* The history names the layer when the engine told what is below. */
	cleanup_lock();
	id = engine_image_load(j->e, img, repo_tag, true);
	if (!id) {
		cleanup_hold();
		error_set(err, EXIT_FAIL, "%s: %s", j->who, engine_error(j->e));
		goto out;
	}
	cleanup_unlock();
	msg_note("%s: %s: layer %.19s, %llu bytes", j->who, repo_tag, layer.res.diff_id,
	         layer.res.size);
out:
	oci_image_free(img);
	json_decref(config);
	json_decref(info);
	unlink(path);
	free(path);
	free(sum);
	return id;
}

/* The layer name the steps share (a cached layer's), or NULL. */
static const char *layer_of(const json_t *steps)
{
	return json_string_value(json_object_get(json_array_get(steps, 0), "layer"));
}

/* Kept alive by ENGINE_KEEP_ALIVE; the steps' text is only sh's $0, never
 * run: docker history shows the container's Cmd as the layer's "created
 * by".  A container without steps is never started: its commit adds no
 * layer, only config. */
char *steps_commit(const struct steps_job *j, const char *from, const json_t *steps,
                   bool with_wheels, const char *repo_tag, bool check, struct pbrx_error *err)
{
	static char *const keep_alive[] = ENGINE_KEEP_ALIVE;
	/* The engine adds a number and the owner token (engine.h). */
	char *cname = xasprintf("pbrx-%s", j->who), *made, *id = NULL;
	char *what = history_text(steps);
	char *const cmd[] = {what, NULL};
	char *const full[] = {keep_alive[0], keep_alive[1], keep_alive[2], what, NULL};
	struct engine_container_spec spec = {
		.name = cname, .image = from, .network_mode = "host", .tmpfs_tmp = true,
	};
	const char *cid;
	size_t k;
	json_t *step;

	/* A cached layer of steps, for an image with a python3. */
	bool write = j->write_layers && json_array_size(steps) && !check &&
	             strncmp(repo_tag, "pbrx-cache/", 11) == 0;

	check = check && j->check;
	for (char *p = cname; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			*p = '-';
	/* As the changes need it (struct steps_job). */
	if (j->entrypoint) {
		spec.entrypoint = keep_alive;
		spec.cmd = cmd;
	} else if (j->cmd || json_array_size(steps) || check) {
		spec.cmd = full;
	}
	if (json_array_size(steps))
		spec.mounts = mounts_of(j, with_wheels, &spec.nmounts);

	cleanup_lock();
	made = engine_container_create(j->e, &spec);
	if (!made) {
		error_set(err, EXIT_FAIL, "%s: %s", j->who, engine_error(j->e));
		goto out;
	}
	/* The list owns the ID from here (cid borrows it until the reaper
	 * removes it), so a failure on the way, whose cleanup removes the
	 * container, leaks nothing. */
	cid = rollback_add_container(made);
	free(made);
	cleanup_unlock();
	msg_note("%s: container %.12s from %s", j->who, cid, from);

	if (json_array_size(steps) || check) {
		if (engine_container_start(j->e, cid) < 0) {
			cleanup_hold();
			error_set(err, EXIT_FAIL, "%s: %s", j->who, engine_error(j->e));
			goto out;
		}
		if (write) {
			char *args[] = {"snapshot", FSDIFF_SNAPSHOT, NULL};

			if (run_fsdiff(j, cid, "the file system before the steps", NULL, args, err) < 0)
				goto out;
		}
		json_array_foreach(steps, k, step)
			if (run_step(j, cid, step, err) < 0)
				goto out;
		if (check && j->check(j, cid, err) < 0)
			goto out;
	}
	for (size_t i = 0; j->changes && j->changes[i]; i++)
		msg_note("%s: commit change %s", j->who, j->changes[i]);

	if (write) {
		if (!(id = write_changes(j, cid, from, what, repo_tag, err)))
			goto out;
		progress_layer(j->who, layer_of(steps), repo_tag, false);
		cleanup_lock();
		if (reaper_add(j->e, cid, err) < 0) {
			free(id);
			id = NULL;
			goto out;
		}
		cleanup_unlock();
		goto out;
	}
	cleanup_lock();
	id = engine_commit(j->e, cid, repo_tag, j->changes);
	if (!id) {
		error_set(err, EXIT_FAIL, "%s: commit: %s", j->who, engine_error(j->e));
		goto out;
	}
	if (strncmp(repo_tag, "pbrx-cache/", 11) != 0)
		rollback_add_image(repo_tag);
	/* A layer when steps ran; configuration alone adds none. */
	if (json_array_size(steps) || check)
		progress_layer(j->who, layer_of(steps), repo_tag, false);
	if (reaper_add(j->e, cid, err) < 0) {
		free(id);
		id = NULL;
		goto out;
	}
	cleanup_unlock();

out:
	free((void *)spec.mounts);
	free(what);
	free(cname);
	return id;
}

/* ---- cached layers ------------------------------------------------------ */

/* What the steps of layer read besides their parent image: for
 * "dependencies", the project's requirements and every wheel but the
 * project's own (by SHA-256), so a change to the project's source alone
 * finds the layer again.  Other layers read nothing else (pbrx-document(5)).
 * New reference or NULL. */
static json_t *layer_inputs(const json_t *wheels, const char *layer)
{
	const char *pw = json_string_value(json_object_get(wheels, "project_wheel"));
	json_t *md = json_object_get(wheels, "metadata"), *files, *f, *in;
	size_t i;

	/* The caller checked them (assemble_read()). */
	if (strcmp(layer, "dependencies") != 0 || !wheels || !pw)
		return NULL;
	files = json_object_get(wheels, "files");
	in = json_pack("{s:O, s:[]}", "requires_dist",
	               json_object_get(md, "requires_dist") ? json_object_get(md, "requires_dist")
	                                                      : json_null(), "wheels");
	json_array_foreach(files, i, f) {
		const char *file = json_string_value(json_object_get(f, "file"));
		const char *sum = json_string_value(json_object_get(f, "sha256"));

		if (strcmp(file, pw) != 0)
			json_array_append_new(json_object_get(in, "wheels"),
			                      json_sprintf("%s %s", sum, file));
	}
	return in;
}

/* The steps of a layer as its key sees them: the project's wheel file
 * name, which changes with every version (pbr makes one per commit),
 * replaced by a placeholder; its content is not an input (layer_inputs).
 * New reference. */
static json_t *key_steps(const json_t *wheels, const json_t *steps)
{
	const char *pw = json_string_value(json_object_get(wheels, "project_wheel"));
	json_t *copy = json_deep_copy(steps), *step, *a;
	size_t i, j;

	if (!pw)
		return copy;
	json_array_foreach(copy, i, step) {
		json_array_foreach(json_object_get(step, "argv"), j, a) {
			const char *s = json_string_value(a), *hit = s ? strstr(s, pw) : NULL;
			if (hit)
				json_array_set_new(json_object_get(step, "argv"), j,
				                   json_sprintf("%.*s<project wheel>%s", (int)(hit - s), s,
				                                hit + strlen(pw)));
		}
	}
	return copy;
}

/* A walk of j's layers; build_layer() keeps the first failure in err. */
struct walk {
	const struct steps_job *j;
	const json_t *steps;
	struct pbrx_error err;
};

static json_t *walk_inputs(void *ctx, const char *layer)
{
	const struct walk *w = ctx;

	return layer_inputs(w->j->wheels, layer);
}

static json_t *walk_key_steps(void *ctx, const json_t *run)
{
	const struct walk *w = ctx;

	return key_steps(w->j->wheels, run);
}

/* layercache_walk()'s build: steps [first, end) committed as ref; a
 * layer reads the wheels when it has inputs (layer_inputs()). */
static int build_layer(void *ctx, const char *parent, size_t first, size_t end,
                       const json_t *inputs, const char *ref, char **id)
{
	struct walk *w = ctx;
	json_t *run = json_array();

	for (size_t i = first; i < end; i++)
		json_array_append(run, json_array_get(w->steps, i));
	*id = steps_commit(w->j, parent, run, inputs != NULL, ref, false, &w->err);
	json_decref(run);
	return *id ? EXIT_OK : w->err.status;
}

char *steps_cached(const struct steps_job *j, const struct steps_cache *c, const char *from,
                   size_t *next, struct pbrx_error *err)
{
	json_t *steps = json_object_get(j->plan, "steps");
	struct walk w = {.j = j, .steps = steps};
	char *top = NULL;

	if (layercache_walk(&(struct layercache_walk){
		.e = j->e, .steps = steps, .repo = c->repo, .who = j->who,
		.no_cache = c->no_cache, .stop_before = c->stop_before, .fresh_from = c->fresh_from,
		.inputs = walk_inputs, .key_steps = walk_key_steps,
		.build = build_layer, .ctx = &w,
	}, from, &top, next, err)) {
		/* The engine failed (*err), or a build did (w.err, the lock
		 * already held). */
		cleanup_hold();
		if (w.err.msg) {
			error_free(err);
			*err = w.err;
		}
		free(top);
		return NULL;
	}
	return top;
}
