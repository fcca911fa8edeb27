/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cachedir.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/progress.h"
#include "base/xalloc.h"
#include "doc/doc.h"
#include "doc/plan.h"
#include "engine/engine.h"
#include "image/layout.h"
#include "image/oci.h"
#include "exec/assemble.h"
#include "exec/dockerfile.h"
#include "exec/fsdiff.h"
#include "exec/libcheck.h"
#include "exec/pylayers.h"
#include "exec/proxyenv.h"
#include "exec/reaper.h"
#include "exec/rollback.h"
#include "exec/steps.h"
#include "py/pyname.h"

struct assemble {
	struct assemble_opts o;
	struct assemble_image *imgs;
	size_t n;
	char *suffix;                 /* of every tmp_ref */
	const json_t *doc;            /* the document (borrowed) */
	const json_t *wheels;         /* .wheels; NULL before wheel-build */
	const char *wheelhouse;       /* .wheels.wheelhouse */
	/* .wheels.metadata.extensions and .plan.package_manager, for
	 * libcheck_run() */
	const json_t *extensions;
	const char *package_manager;
	char *cache_repo;             /* the project's name, normalised */
	struct pylayers pl;           /* what the Python layers share; read
	                               * when an image has some */
	bool python;                  /* some image has "python_layers" */
	/* The base image has a python3 (.base.python): cached layers are
	 * written from their changes at epoch (exec/fsdiff.h). */
	bool write_layers;
	long long epoch;
	struct strv env;              /* the steps' environment: the host's
	                               * proxy variables (exec/proxyenv.h) */
};

/* The image the plan names as from, or the temporary tag of an earlier
 * plan image when from is that image's final ref. */
static const char *resolve_from(const struct assemble_image *imgs, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(imgs[j].ref, imgs[i].from) == 0)
			return imgs[j].tmp_ref;
	return imgs[i].from;
}

/* ---- container images ------------------------------------------------- */

/* What the image runs: the plan's entrypoint and cmd, or where the plan
 * has null, the ones image from has.  Borrowed; NULL when there is none. */
struct command {
	const json_t *entrypoint, *cmd;
};

static const json_t *nonempty(const json_t *v)
{
	return json_is_array(v) && json_array_size(v) ? v : NULL;
}

/* What img runs (its config checked by check_config()): the plan's
 * entrypoint and cmd, each where it has one, else from's. */
static struct command command_of(const struct assemble_image *img, const json_t *from_config)
{
	json_t *config = json_object_get(img->plan, "config");
	json_t *ep = json_object_get(config, "entrypoint");
	json_t *cmd = json_object_get(config, "cmd");
	struct command c;

	c.entrypoint = nonempty(json_is_array(ep) ? ep : json_object_get(from_config, "Entrypoint"));
	c.cmd = nonempty(json_is_array(cmd) ? cmd : json_object_get(from_config, "Cmd"));
	return c;
}

static char *change_json(const char *keyword, const json_t *v)
{
	char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *s = xasprintf("%s %s", keyword, j);

	free(j);
	return s;
}

/* The commit changes of img: what it runs, and a LABEL for each label.
 * ENV, USER and WORKDIR are the container's, hence from's.
 *
 * A commit keeps the container's Entrypoint and Cmd where the changes
 * leave them empty (dockerd's merge(): with no Entrypoint, an empty Cmd
 * is the container's too), and the container runs ENGINE_KEEP_ALIVE.  So: with an
 * entrypoint, the container's is replaced and both are set; with only a
 * cmd, the container keeps the image's (null) entrypoint and CMD is set;
 * with neither, a container never started is made with the image's
 * (null) ones, and one that runs steps gets CMD ["/bin/sh"].
 * steps_commit() makes the container so (struct steps_job).  Free with strv_free(). */
static struct strv commit_changes(const struct assemble_image *img, struct command c, bool with_labels)
{
	json_t *labels = json_object_get(json_object_get(img->plan, "config"), "labels");
	struct strv v = {0};
	const char *key;
	json_t *val;

	if (c.entrypoint) {
		strv_push(&v, change_json("ENTRYPOINT", c.entrypoint));
		strv_push(&v, c.cmd ? change_json("CMD", c.cmd) : xstrdup("CMD []"));
	} else if (c.cmd) {
		strv_push(&v, change_json("CMD", c.cmd));
	} else if (json_array_size(json_object_get(img->plan, "steps"))) {
		/* The container ran ENGINE_KEEP_ALIVE, and dockerd can't commit it with
		 * neither Entrypoint nor Cmd: give it what debian:* has. */
		msg_warn("%s: neither the plan nor its from image says what it runs; "
		         "it gets CMD [\"/bin/sh\"]", img->name);
		strv_push(&v, xstrdup("CMD [\"/bin/sh\"]"));
	}
	/* A cached layer keeps only what runs: the labels of the image
	 * that made it (its revision, its date) are not its own. */
	if (!with_labels)
		labels = NULL;
	json_object_foreach(labels, key, val) {
		/* Dockerfile LABEL takes double-quoted strings with backslash
		 * escapes: JSON strings of plain text are that. */
		json_t *k = json_string(key);
		char *ks = json_dumps(k, JSON_ENCODE_ANY), *vs;

		vs = json_dumps(val, JSON_ENCODE_ANY);
		strv_push(&v, xasprintf("LABEL %s=%s", ks, vs));
		free(ks);
		free(vs);
		json_decref(k);
	}
	return v;
}

/* libcheck_run() for the image j builds (its ctx: the run). */
static int check_libraries(const struct steps_job *j, const char *cid, struct pbrx_error *err)
{
	const struct assemble *a = j->ctx;

	return libcheck_run(j->e, cid, a->extensions, a->package_manager, j->who, err);
}

/* How img's steps run on e, committed with changes. */
static struct steps_job job_of(const struct assemble *a, struct engine *e,
                               const struct assemble_image *img, struct command c,
                               char *const *changes)
{
	return (struct steps_job){
		.e = e, .who = img->name, .plan = img->plan, .path = img->path,
		.wheelhouse = a->wheelhouse, .wheels = a->wheels, .env = a->env.v,
		.entrypoint = c.entrypoint != NULL, .cmd = c.cmd != NULL, .changes = changes,
		.check = check_libraries, .ctx = a,
		.write_layers = a->write_layers, .epoch = a->epoch,
	};
}

/* The cached layers at the start of img's steps, on top of from
 * (steps_cached()).  With prepare, only those that need no wheels (the
 * "dependencies" layer waits for wheel-build). */
static char *cached_layers(const struct assemble *a, struct engine *e,
                           const struct assemble_image *img, const char *from, struct command c,
                           bool prepare, size_t *next, struct pbrx_error *err)
{
	/* A cached layer keeps only what runs (commit_changes()). */
	struct strv changes = commit_changes(img, c, false);
	struct steps_job j = job_of(a, e, img, c, changes.v);
	char *top;

	if (prepare)
		j.wheelhouse = NULL;
	top = steps_cached(&j, &(struct steps_cache){
		.repo = a->cache_repo ? a->cache_repo : "unnamed", .no_cache = a->o.no_cache,
		.stop_before = prepare ? "dependencies" : NULL,
		.fresh_from = a->o.prepared ? "dependencies" : NULL,
	}, from, next, err);
	strv_free(&changes);
	return top;
}

/* img's from, inspected: a new reference, or NULL with *err. */
static json_t *inspect_from(struct engine *e, const struct assemble_image *img, const char *from,
                            struct pbrx_error *err)
{
	json_t *info = engine_image_inspect(e, from);

	if (!info)
		error_set(err, EXIT_FAIL, "%s: %s", img->name, engine_error(e));
	return info;
}

/* Build img from from: its cached layers, then a container that runs the
 * remaining steps, committed with the plan's config as img->tmp_ref. */
static int build_container(const struct assemble *a, struct engine *e, struct assemble_image *img,
                           const char *from, struct pbrx_error *err)
{
	json_t *steps = json_object_get(img->plan, "steps"), *rest;
	json_t *from_img = engine_image_inspect(e, from);
	struct steps_job j;
	struct command c;
	struct strv changes;
	char *top;
	size_t next;

	if (!from_img) {
		cleanup_hold();
		return error_set(err, EXIT_FAIL, "%s: %s", img->name, engine_error(e));
	}
	c = command_of(img, json_object_get(from_img, "Config"));
	changes = commit_changes(img, c, true);
	top = cached_layers(a, e, img, from, c, false, &next, err);
	if (top) {
		rest = json_array();
		for (size_t i = next; i < json_array_size(steps); i++)
			json_array_append(rest, json_array_get(steps, i));
		j = job_of(a, e, img, c, changes.v);
		img->id = steps_commit(&j, top, rest, true, img->tmp_ref,
		                       strcmp(img->kind, "base") == 0 && json_array_size(a->extensions),
		                       err);
		json_decref(rest);
		free(top);
	}
	strv_free(&changes);
	json_decref(from_img);
	return img->id ? 0 : -1;
}

/* ---- images whose Python layers pbrx writes ---------------------------- */

/* The image config of img over from (its Docker-API "Config"), as the
 * commit of a container would make it (commit_changes()): what a commit
 * of from keeps (fsdiff_config(): user, environment, directory, ports,
 * volumes, stop signal, labels), what it runs as command_of() says, and
 * the plan's labels over from's.  New. */
static json_t *image_config(const struct assemble_image *img, const json_t *from_config,
                            struct command c)
{
	json_t *config = fsdiff_config(from_config, NULL), *labels;

	json_object_del(config, "Entrypoint");
	json_object_del(config, "Cmd");
	if (c.entrypoint)
		json_object_set(config, "Entrypoint", (json_t *)c.entrypoint);
	if (c.cmd)
		json_object_set(config, "Cmd", (json_t *)c.cmd);
	labels = json_object_get(config, "Labels");
	if (!labels) {
		labels = json_object();
		json_object_set_new(config, "Labels", labels);
	}
	json_object_update(labels, json_object_get(json_object_get(img->plan, "config"), "labels"));
	if (!json_object_size(labels))
		json_object_del(config, "Labels");
	return config;
}

/* A history entry's created_by for python layer spec: what it installs. */
static char *layer_created_by(const json_t *spec)
{
	struct buf b = {0};
	size_t i;
	json_t *w;

	buf_addf(&b, "pbrx: %s:", json_string_value(json_object_get(spec, "name")));
	json_array_foreach(json_object_get(spec, "wheels"), i, w)
		buf_addf(&b, " %s", json_string_value(json_object_get(w, "file")));
	return buf_take(&b);
}


/* The libraries check of an image with Python layers over image top
 * (its packages; inspected: info): the system libraries are top's, so
 * its list is kept by top's ID in the cache directory "libs" and asked
 * of a container of top only once. */
static int check_written(const struct assemble *a, struct engine *e,
                         const struct assemble_image *img, const char *top,
                         const json_t *info, struct pbrx_error *err)
{
	static char *const keep_alive[] = ENGINE_KEEP_ALIVE;
	char *const cmd[] = {"image-assemble", NULL};
	const char *id = json_string_value(json_object_get(info, "Id")), *cid;
	char *dir = cachedir("libs", true), *path = NULL, *libs = NULL, *made;
	struct pbrx_error ignored = {0};
	int rc = -1;

	if (dir && id && strlen(id) == 71 && !strncmp(id, "sha256:", 7)) {
		path = xasprintf("%s/%s.txt", dir, id + 7);
		libs = fs_read(path, NULL, &ignored);
		error_free(&ignored);
	}
	if (!libs) {
		cleanup_lock();
		made = engine_container_create(e, &(struct engine_container_spec){
			.name = "pbrx-check", .image = top, .entrypoint = keep_alive, .cmd = cmd,
			.user = "0", .network_mode = "none", .tmpfs_tmp = true,
		});
		if (!made) {
			cleanup_hold();
			error_set(err, EXIT_FAIL, "%s: %s", img->name, engine_error(e));
			goto out;
		}
		cid = rollback_add_container(made);
		free(made);
		cleanup_unlock();
		if (engine_container_start(e, cid) < 0) {
			cleanup_hold();
			error_set(err, EXIT_FAIL, "%s: %s", img->name, engine_error(e));
			goto out;
		}
		if (!(libs = libcheck_list(e, cid, img->name, err)))
			goto out;
		cleanup_lock();
		if (reaper_add(e, cid, err) < 0) {
			cleanup_hold();
			goto out;
		}
		cleanup_unlock();
		/* Only a cache: a failure costs a container next time. */
		if (path && fs_write_whole(path, libs, strlen(libs)) < 0)
			msg_note("cannot keep %s: %s", path, strerror(errno));
	}
	libcheck_compare(libs, a->extensions, a->package_manager, img->name);
	rc = 0;
out:
	free(libs);
	free(path);
	free(dir);
	return rc;
}

/* With an oci output, the earlier plan image img starts from when pbrx
 * wrote it and img has no steps: img is written over it without the
 * engine.  NULL otherwise. */
static const struct assemble_image *written_below(const struct assemble *a,
                                                  const struct assemble_image *img)
{
	if (!a->o.output || json_array_size(json_object_get(img->plan, "steps")))
		return NULL;
	for (const struct assemble_image *j = a->imgs; j < img; j++)
		if (j->oci && !strcmp(j->ref, img->from))
			return j;
	return NULL;
}

/* What engine_image_inspect() says of img once loaded, from its config:
 * what an image written over it reads.  New. */
static json_t *info_of(const struct oci_image *img)
{
	json_t *cfg = json_loadb(img->config, img->config_len, 0, NULL), *out;

	out = json_pack("{s:s, s:O?, s:O?, s:O?, s:{s:s, s:O?}}", "Id", img->id,
	                "Config", json_object_get(cfg, "config"),
	                "Architecture", json_object_get(cfg, "architecture"),
	                "Os", json_object_get(cfg, "os"),
	                "RootFS", "Type", "layers",
	                "Layers", json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"));
	if (json_is_array(json_object_get(cfg, "history")))
		json_object_set(out, "History", json_object_get(cfg, "history"));
	json_decref(cfg);
	return out;
}

/* Build img from from: its cached layers (the packages), then its
 * Python layers, written here (exec/pylayers.h), and the image of them
 * loaded into the engine as img->tmp_ref. */
static int build_python(const struct assemble *a, struct engine *e, struct assemble_image *img,
                        const char *from, struct pbrx_error *err)
{
	const struct assemble_image *below = written_below(a, img);
	const json_t *specs = json_object_get(img->plan, "python_layers"), *spec;
	size_t n = json_array_size(specs), next, i;
	struct oci_layer *layers = xcalloc(n + 1, sizeof *layers);
	json_t *from_img = NULL, *top_img = NULL, *config = NULL, *history;
	struct oci_image *oci = NULL;
	struct command c;
	char *top = NULL;
	int rc = -1;

	if (below) {
		/* Written, not loaded: the engine doesn't have it. */
		from_img = json_incref(below->info);
		c = command_of(img, json_object_get(from_img, "Config"));
		top_img = json_incref(below->info);
	} else {
		if (!(from_img = inspect_from(e, img, from, err)))
			goto out;
		c = command_of(img, json_object_get(from_img, "Config"));
		if (!(top = cached_layers(a, e, img, from, c, false, &next, err)))
			goto out;
		if (!(top_img = inspect_from(e, img, top, err)))
			goto out;
		if (a->o.output)
			img->export_ref = xstrdup(top);
	}
	json_array_foreach(specs, i, spec) {
		bool reused;

		if (pylayers_layer(&a->pl, spec, img->name, &layers[i], &reused, err) < 0)
			goto out;
		msg_note("%s: %s: %s %.19s (%.1f MB)", img->name,
		         json_string_value(json_object_get(spec, "name")),
		         reused ? "cached" : "wrote", layers[i].res.diff_id,
		         (double)layers[i].res.size / 1e6);
		progress_written(img->name, json_string_value(json_object_get(spec, "name")),
		                 layers[i].res.diff_id, reused);
		if (!img->written)
			img->written = json_array();
		json_array_append_new(img->written, json_pack("{s:O, s:s, s:I, s:b}", "name",
			json_object_get(spec, "name"), "diff_id", layers[i].res.diff_id,
			"size", (json_int_t)layers[i].res.size, "reused", reused));
	}
	config = image_config(img, json_object_get(top_img, "Config"), c);
	/* The history goes on from the one below, when the engine told it
	 * (a history must name every layer, or none). */
	history = json_object_get(top_img, "History");
	for (i = 0; history && i < n; i++)
		layers[i].created_by = layer_created_by(json_array_get(specs, i));
	oci = oci_image_new(&(struct oci_image_spec){
		.architecture = json_string_value(json_object_get(top_img, "Architecture")) ?: "amd64",
		.os = json_string_value(json_object_get(top_img, "Os")),
		.epoch = a->pl.epoch,
		.config = config,
		.base_diff_ids = json_object_get(json_object_get(top_img, "RootFS"), "Layers"),
		.base_layer_sizes = json_object_get(top_img, "LayerSizes"),
		.base_history = history,
		.config_created_by = history ? "pbrx: config" : NULL,
		.layers = layers,
		.nlayers = n,
	}, err);
	if (!oci)
		goto out;
	if (a->o.output) {
		img->id = xstrdup(oci->id);
		img->info = info_of(oci);
		img->oci = oci;
		oci = NULL;
		if (!img->load) {
			rc = 0;
			goto out;
		}
	}
	cleanup_lock();
	free(img->id);
	img->id = engine_image_load(e, img->oci ? img->oci : oci, img->tmp_ref, true);
	if (!img->id) {
		cleanup_hold();
		error_set(err, EXIT_FAIL, "%s: %s", img->name, engine_error(e));
		goto out;
	}
	rollback_add_image(img->tmp_ref);
	cleanup_unlock();
	if (top && strcmp(img->kind, "base") == 0 && json_array_size(a->extensions) &&
	    check_written(a, e, img, top, top_img, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && !err->msg)
		error_set(err, EXIT_FAIL, "%s: failed", img->name);
	oci_image_free(oci);
	for (i = 0; i < n; i++) {
		free((char *)layers[i].tar_path);
		free((char *)layers[i].created_by);
	}
	free(layers);
	json_decref(config);
	json_decref(top_img);
	json_decref(from_img);
	free(top);
	return rc;
}

/* --prepare: the cached layers of every image that starts from outside
 * the plan, as far as they need no wheels (the distribution packages),
 * so that they are built while wheel-build runs. */
static int prepare_layers(const struct assemble *a, struct engine *e, struct pbrx_error *err)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct assemble_image *img = &a->imgs[i];
		json_t *from_img;
		char *top;
		size_t next;

		if (!strcmp(img->kind, "dockerfile") || strcmp(resolve_from(a->imgs, i), img->from))
			continue;
		if (!(from_img = inspect_from(e, img, img->from, err)))
			return -1;
		top = cached_layers(a, e, img, img->from,
		                    command_of(img, json_object_get(from_img, "Config")), true, &next,
		                    err);
		json_decref(from_img);
		if (!top)
			return -1;
		free(top);
	}
	return 0;
}

/* ---- building side by side -------------------------------------------- */

/* Images that don't need each other are built at the same time, as a
 * Dockerfile builder runs independent stages: the script images of one
 * base are siblings.  Their steps are mostly waiting (on pip, on the
 * engine's commits), so a few at once pay even on one core; more would
 * only crowd the engine. */
enum { MAX_PARALLEL = 4 };

static int build_one(const struct assemble *a, struct engine *e, size_t i, struct pbrx_error *err)
{
	struct assemble_image *img = &a->imgs[i];

	/* Its time in the images section: from here to built. */
	progress_image(img->name, false);
	if (strcmp(img->kind, "dockerfile") == 0) {
		img->id = dockerfile_build(e, a->imgs, i, err);
		if (!img->id)
			return -1;
	} else {
		msg_note("%s: from %s", img->name, img->from);
		if (json_is_array(json_object_get(img->plan, "python_layers"))
		        ? build_python(a, e, img, resolve_from(a->imgs, i), err) < 0
		        : build_container(a, e, img, resolve_from(a->imgs, i), err) < 0)
			return -1;
	}
	msg_note("%s: built %s", img->name, img->id);
	progress_image(img->name, true);
	return 0;
}

/* Can image i be built once the images marked in built are?  A container
 * image needs the plan image it starts from; a Dockerfile may name any
 * image before it (dockerfile_build()), so it needs them all. */
static bool buildable(const struct assemble_image *imgs, size_t i, const bool *built)
{
	for (size_t j = 0; j < i; j++) {
		if (built[j])
			continue;
		if (strcmp(imgs[i].kind, "dockerfile") == 0 || strcmp(imgs[j].ref, imgs[i].from) == 0)
			return false;
	}
	return true;
}

/* One round of images built side by side: each worker, on a connection
 * of its own, takes the next index until none is left. */
struct round {
	const struct assemble *a;
	const size_t *todo;
	size_t n;
	atomic_size_t next;
};

struct worker {
	pthread_t thread;
	struct engine *e;
	struct round *round;
};

/* A failure ends the process here: the other workers may be waiting for
 * the cleanup lock, which the failure holds for good, so nothing could
 * join them; msg_die's cleanup removes what every worker made. */
static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	struct round *r = w->round;
	struct pbrx_error err = {0};
	size_t k;

	while ((k = atomic_fetch_add(&r->next, 1)) < r->n)
		if (build_one(r->a, w->e, r->todo[k], &err) < 0)
			error_exit(&err);
	return NULL;
}

/* Build the round's images: by the calling thread when there is one,
 * else by workers.  0, or -1 with *err. */
static int build_round(struct round *r, struct engine *e, struct pbrx_error *err)
{
	struct worker workers[MAX_PARALLEL];
	size_t nworkers = r->n < MAX_PARALLEL ? r->n : MAX_PARALLEL, started;
	int rc = 0;

	if (nworkers == 1)
		return build_one(r->a, e, r->todo[0], err);
	/* Made and freed here, never in a worker: the engines share
	 * libcurl's global state. */
	for (started = 0; started < nworkers; started++) {
		workers[started] = (struct worker){.e = engine_dup(e), .round = r};
		if (pthread_create(&workers[started].thread, NULL, worker_thread, &workers[started])) {
			engine_free(workers[started].e);
			/* The workers started take no more images. */
			atomic_store(&r->next, r->n);
			rc = error_set(err, EXIT_FAIL, "cannot start a thread");
			break;
		}
	}
	for (size_t w = 0; w < started; w++) {
		pthread_join(workers[w].thread, NULL);
		engine_free(workers[w].e);
	}
	return rc;
}

/* Build every image, each as soon as what it starts from is built. */
static int build_all(const struct assemble *a, struct engine *e, struct pbrx_error *err)
{
	bool *built = xcalloc(a->n + 1, sizeof *built);
	size_t *todo = xcalloc(a->n + 1, sizeof *todo);
	int rc = 0;

	for (size_t left = a->n; left && !rc;) {
		struct round r = {.a = a, .todo = todo};

		for (size_t i = 0; i < a->n; i++)
			if (!built[i] && buildable(a->imgs, i, built))
				todo[r.n++] = i;
		if (r.n == 0) {
			rc = error_set(err, EXIT_FAIL, "the plan's images start from each other in a loop");
			break;
		}
		atomic_init(&r.next, 0);
		rc = build_round(&r, e, err);
		for (size_t k = 0; k < r.n; k++)
			built[todo[k]] = true;
		left -= r.n;
	}
	free(todo);
	free(built);
	return rc;
}

/* ---- finishing -------------------------------------------------------- */

/* Give every image its final ref, then drop the temporary tags; the
 * interrupt's cleanup waits until both are done. */
static int tag_all(const struct assemble *a, struct engine *e, struct pbrx_error *err)
{
	cleanup_lock();
	for (size_t i = 0; i < a->n; i++) {
		/* Failing, the lock stays held for good. */
		if (engine_image_tag(e, a->imgs[i].tmp_ref, a->imgs[i].ref) < 0)
			return error_set(err, EXIT_FAIL, "%s: tag: %s", a->imgs[i].name, engine_error(e));
		msg_note("tagged %s", a->imgs[i].ref);
	}
	for (size_t i = a->n; i-- > 0;) {
		if (engine_image_remove(e, a->imgs[i].tmp_ref, false) < 0)
			msg_warn("%s", engine_error(e));
		rollback_drop_image(a->imgs[i].tmp_ref);
	}
	cleanup_unlock();
	return 0;
}

/* img's layers, bottom first, as the engine lists them (info: its
 * inspection): each {"diff_id"}, and for those pbrx wrote for it their
 * "name", "size" (bytes of the tar) and whether the cache had them
 * ("reused").  New. */
static json_t *layers_of(const struct assemble_image *img, const json_t *info)
{
	json_t *out = json_array(), *d, *w;
	size_t i, k;

	json_array_foreach(json_object_get(json_object_get(info, "RootFS"), "Layers"), i, d) {
		json_t *o = json_pack("{s:O}", "diff_id", d);

		json_array_foreach(img->written, k, w)
			if (json_equal(json_object_get(w, "diff_id"), d))
				json_object_update_missing(o, w);
		json_array_append_new(out, o);
	}
	return out;
}

/* The images section (l: the output layout they went to, or NULL: the
 * engine, tagged): a new reference, or NULL with *err. */
static json_t *images_section(const struct assemble *a, struct engine *e, const struct layout *l,
                              struct pbrx_error *err)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < a->n; i++) {
		const struct assemble_image *img = &a->imgs[i];
		json_t *info;

		if (img->oci) {
			/* Its layers' bytes: no engine has unpacked it. */
			info = json_deep_copy(img->info);
			json_object_set_new(info, "Size", json_integer((json_int_t)layout_layers_size(
				l, img->oci->diff_ids, img->oci->ndiff_ids)));
		} else {
			info = inspect_from(e, img, l ? img->tmp_ref : img->ref, err);
		}

		if (!info) {
			json_decref(arr);
			return NULL;
		}
		unsigned built, cached;
		double secs;

		/* What the progress events said of it (base/progress.h). */
		progress_tally(img->name, &built, &cached, &secs);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:o, s:{s:i, s:i}, s:f}",
		                                     "name", img->name, "ref", img->ref, "id", img->id,
		                                     "size",
		                                     json_integer_value(json_object_get(info, "Size")),
		                                     "layers", layers_of(img, info), "layer_counts",
		                                     "new", (int)built, "reused", (int)cached,
		                                     "seconds", (double)(long)(secs * 10) / 10));
		json_decref(info);
	}
	return arr;
}

/* ---- an oci output ---------------------------------------------------- */

/* The diff IDs of config (its bytes): into *ids.  0, or -1 with *err. */
static int config_diff_ids(const char *who, const char *config, size_t len, struct strv *ids,
                           struct pbrx_error *err)
{
	json_t *cfg = json_loadb(config, len, 0, NULL), *v;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"), i, v)
		strv_add(ids, json_string_value(v) ?: "");
	json_decref(cfg);
	if (!ids->n)
		return error_set(err, EXIT_FAIL, "%s: its config lists no layers", who);
	return 0;
}

/* img into layout l: the layers below its own from the engine (once per
 * engine image: *exported lists those done), the layers pbrx wrote, its
 * config and manifest. */
static int output_image(const struct assemble_image *img, struct engine *e, struct layout *l,
                        struct strv *exported, struct pbrx_error *err)
{
	const char *src = img->oci ? img->export_ref : img->tmp_ref;
	char *config = NULL;
	size_t len = 0;
	bool done = false;
	struct strv ids = {0};
	int rc = -1;

	for (size_t i = 0; src && i < exported->n; i++)
		done |= !strcmp(exported->v[i], src);
	/* An image the engine built is exported for its config too. */
	if (src && (!done || !img->oci)) {
		msg_note("%s: exporting %s", img->name, src);
		if (engine_image_export(e, src, l, &config, &len) < 0) {
			error_set(err, EXIT_FAIL, "%s: %s", img->name, engine_error(e));
			goto out;
		}
		strv_add(exported, src);
	}
	if (!img->oci) {
		rc = config_diff_ids(img->name, config, len, &ids, err) < 0 ? -1 :
		     layout_add_image(l, img->ref, config, len, ids.v, ids.n, err);
		goto out;
	}
	for (size_t i = 0; i < img->oci->nlayers; i++)
		if (layout_add_file(l, img->oci->layers[i].res.diff_id, img->oci->layers[i].tar_path,
		                    err) < 0)
			goto out;
	rc = layout_add_image(l, img->ref, img->oci->config, img->oci->config_len,
	                      img->oci->diff_ids, img->oci->ndiff_ids, err);
out:
	strv_free(&ids);
	free(config);
	return rc;
}

/* Write every image to the output layout and put it in place, remove
 * the temporary tags of those the engine has, and add the "images" and
 * "output" sections to doc. */
static int finish_output(const struct assemble *a, struct engine *e, json_t *doc,
                         struct pbrx_error *err)
{
	struct strv exported = {0};
	struct layout *l;
	json_t *images = NULL;
	int rc = -1;

	cleanup_lock();
	if (!(l = layout_new(a->o.output, a->o.output_archive, err))) {
		cleanup_unlock();
		return -1;
	}
	rollback_add_path(layout_tmpdir(l));
	cleanup_unlock();
	for (size_t i = 0; i < a->n; i++)
		if (output_image(&a->imgs[i], e, l, &exported, err) < 0)
			goto out;
	if (!(images = images_section(a, e, l, err)))
		goto out;
	cleanup_lock();
	if (layout_commit(l, a->epoch, err) < 0)
		goto out_locked;
	msg_note("wrote %s", a->o.output);
	/* The temporary tags the engine has go: nothing was tagged. */
	for (size_t i = a->n; i-- > 0;) {
		if (a->imgs[i].oci && !a->imgs[i].load)
			continue;
		if (engine_image_remove(e, a->imgs[i].tmp_ref, false) < 0)
			msg_warn("%s", engine_error(e));
		rollback_drop_image(a->imgs[i].tmp_ref);
	}
	doc_set(doc, "images", images);
	images = NULL;
	doc_set(doc, "output", json_pack("{s:s, s:s}", "kind",
	                                 a->o.output_archive ? "oci-archive" : "oci",
	                                 "path", a->o.output));
	rc = 0;
out_locked:
	cleanup_unlock();
out:
	/* Not committed, it goes here (layout_free()), not in a cleanup. */
	cleanup_lock();
	rollback_drop_path(layout_tmpdir(l));
	layout_free(l);
	cleanup_unlock();
	strv_free(&exported);
	if (rc < 0) {
		json_decref(images);
		return -1;
	}
	cleanup_end();
	rollback_free();
	progress_summary(doc);
	return 0;
}

int assemble_output(const char *arg, struct assemble_opts *o, struct pbrx_error *e)
{
	o->output = NULL;
	o->output_archive = false;
	if (!strcmp(arg, "engine"))
		return 0;
	if (!strncmp(arg, "oci:", 4) && arg[4]) {
		o->output = arg + 4;
	} else if (!strncmp(arg, "oci-archive:", 12) && arg[12]) {
		o->output = arg + 12;
		o->output_archive = true;
	} else {
		return error_set(e, EXIT_USAGE, "--output: expected engine, oci:DIR or "
		                 "oci-archive:FILE, not '%s'", arg);
	}
	return 0;
}

/* "pbrx-tmp-PID-RANDOM": unique per run, a valid tag. */
static char *run_suffix(void)
{
	unsigned char r[4] = {0};
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, r, sizeof r) != (ssize_t)sizeof r) {
		unsigned long t = (unsigned long)time(NULL);
		memcpy(r, &t, sizeof r);
	}
	if (fd >= 0)
		close(fd);
	return xasprintf("pbrx-tmp-%ld-%02x%02x%02x%02x", (long)getpid(), r[0], r[1], r[2], r[3]);
}

/* The "config" of img's plan object: an object whose "entrypoint" and
 * "cmd" are null or arrays of strings, its "labels" an object of
 * strings.  0, or -1 with *e. */
static int check_config(const struct assemble_image *img, struct pbrx_error *e)
{
	static const char *const commands[] = {"entrypoint", "cmd"};
	json_t *config = doc_need(img->plan, img->path, "config", JSON_OBJECT, e), *v;
	char *path = xasprintf("%s.config", img->path), *at;
	const char *key;

	for (size_t k = 0; k < 2 && !e->msg; k++) {
		if (json_is_null(json_object_get(config, commands[k])))
			continue;
		at = xasprintf("%s.%s", path, commands[k]);
		doc_check_strings(doc_want(config, path, commands[k], JSON_ARRAY, e), at, e);
		free(at);
	}
	json_object_foreach(doc_want(config, path, "labels", JSON_OBJECT, e), key, v)
		if (!json_is_string(v) && !e->msg) {
			at = xasprintf("%s.labels", path);
			doc_error(e, at, "%s: expected a string", key);
			free(at);
		}
	free(path);
	return e->msg ? -1 : 0;
}

/* Image i of the plan (v, at img->path) into img, checked: what it is,
 * what it runs, its mounts and steps (doc/plan.h's rules), or its
 * Dockerfile.  *wheelhouse says whether it mounts the wheelhouse, *deps
 * whether a step makes the "dependencies" layer.  0, or -1 with *e. */
static int load_image(struct assemble_image *img, const json_t *v, bool *wheelhouse,
                      bool *deps, struct pbrx_error *e)
{
	json_t *step;
	size_t k;

	*wheelhouse = *deps = false;
	if (!json_is_object(v))
		return doc_error(e, img->path, "expected an object");
	img->plan = v;
	img->name = doc_need_string(v, img->path, "name", e);
	img->ref = doc_need_string(v, img->path, "ref", e);
	img->kind = doc_need_string(v, img->path, "kind", e);
	img->from = doc_want_string(v, img->path, "from", e);
	if (e->msg)
		return -1;
	if (strcmp(img->kind, "base") && strcmp(img->kind, "script") &&
	    strcmp(img->kind, "dockerfile"))
		return doc_error(e, img->path, "kind: expected \"base\", \"script\" or \"dockerfile\"");
	if (check_config(img, e) < 0)
		return -1;
	if (!strcmp(img->kind, "dockerfile")) {
		doc_need_string(v, img->path, "dockerfile", e);
		doc_need_string(v, img->path, "context", e);
		return e->msg ? -1 : 0;
	}
	if (!img->from && !doc_need_string(v, img->path, "from", e))
		return -1;
	if (plan_mounts_check(v, img->path, false, wheelhouse, e) < 0 ||
	    plan_steps_check(v, img->path, e) < 0)
		return -1;
	json_array_foreach(json_object_get(v, "steps"), k, step)
		*deps |= !strcmp(json_string_value(json_object_get(step, "layer")) ?: "",
		                 "dependencies");
	if (json_object_get(v, "python_layers")) {
		if (!doc_need(v, img->path, "python_layers", JSON_ARRAY, e))
			return -1;
		/* They go on top of the cached layers: a step with no layer
		 * would have to run between. */
		json_array_foreach(json_object_get(v, "steps"), k, step)
			if (!json_object_get(step, "layer")) {
				char *at = xasprintf("%s.steps[%zu]", img->path, k);

				doc_error(e, at, "an image with python_layers may only have steps "
				          "that make a cached layer (\"layer\")");
				free(at);
				return -1;
			}
	}
	return 0;
}

/* What a "dependencies" layer reads of .wheels, checked: the project's
 * wheel, and each file's name and SHA-256.  0, or -1 with *e. */
static int check_wheel_files(const json_t *wheels, struct pbrx_error *e)
{
	json_t *f;
	size_t i;

	if (!wheels || !json_object_get(wheels, "project_wheel"))
		return doc_error(e, ".wheels", "missing: a \"dependencies\" layer needs the wheels; "
		                 "run wheel-build first");
	doc_need_string(wheels, ".wheels", "project_wheel", e);
	json_array_foreach(doc_need(wheels, ".wheels", "files", JSON_ARRAY, e), i, f) {
		char path[64];

		snprintf(path, sizeof path, ".wheels.files[%zu]", i);
		if (!json_is_object(f))
			doc_error(e, path, "expected an object");
		doc_need_string(f, path, "file", e);
		doc_need_string(f, path, "sha256", e);
		if (e->msg)
			return -1;
	}
	return e->msg ? -1 : 0;
}

/* The plan's images, checked, into a: 0, or -1 with *e.  Unless the run
 * only prepares (the layers that need no wheels), an image that mounts
 * the wheelhouse or makes a "dependencies" layer needs wheel-build's
 * section. */
static int load_images(struct assemble *a, const json_t *plan, struct pbrx_error *e)
{
	json_t *arr = doc_need(plan, ".plan", "images", JSON_ARRAY, e), *v;
	size_t i;

	if (!arr)
		return -1;
	a->imgs = xcalloc(json_array_size(arr) + 1, sizeof *a->imgs);
	json_array_foreach(arr, i, v) {
		struct assemble_image *img = &a->imgs[i];
		bool wheelhouse, deps;

		a->n = i + 1;
		img->path = xasprintf(".plan.images[%zu]", i);
		if (load_image(img, v, &wheelhouse, &deps, e) < 0)
			return -1;
		img->tmp_ref = xasprintf("%s:%s", img->name, a->suffix);
		if (a->o.prepare)
			continue;
		if (wheelhouse && !a->wheelhouse)
			return doc_error(e, ".wheels.wheelhouse", "missing: %s mounts the wheelhouse; "
			                 "run wheel-build first", img->path);
		if (deps && check_wheel_files(a->wheels, e) < 0)
			return -1;
		if (json_object_get(v, "python_layers")) {
			/* The run's shared part is read with the first image. */
			if (!a->python && pylayers_read(&a->pl, a->doc, a->o.no_cache, e) < 0)
				return -1;
			a->python = true;
			if (pylayers_check(&a->pl, json_object_get(v, "python_layers"), img->path,
			                   e) < 0)
				return -1;
		}
	}
	return 0;
}

/* With an oci output, which of the images pbrx writes the engine needs
 * all the same (assemble_image.load): those a later image's container
 * starts from, and every one before a Dockerfile image, which may name
 * any (dockerfile_build()).  A written image over a written one needs
 * no engine (written_below()). */
static void mark_loads(struct assemble *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct assemble_image *img = &a->imgs[i];

		img->load = !a->o.output;
		for (size_t j = i + 1; j < a->n && !img->load; j++) {
			const json_t *p = a->imgs[j].plan;
			img->load = !strcmp(a->imgs[j].kind, "dockerfile") ||
			            (!strcmp(a->imgs[j].from ?: "", img->ref) &&
			             (!json_is_array(json_object_get(p, "python_layers")) ||
			              json_array_size(json_object_get(p, "steps"))));
		}
	}
}

/* ---- the run ---------------------------------------------------------- */

struct assemble *assemble_read(const json_t *doc, const struct assemble_opts *o,
                               struct pbrx_error *e)
{
	struct assemble *a;
	json_t *plan;
	const char *project;

	/* A target the layout can't replace is bad input, said before
	 * anything is built. */
	if (o->output && !o->prepare && layout_target_check(o->output, o->output_archive, e) < 0)
		return NULL;
	a = xcalloc(1, sizeof *a);
	plan = doc_need(doc, "", "plan", JSON_OBJECT, e);

	a->o = *o;
	a->doc = doc;
	a->wheels = doc_want(doc, "", "wheels", JSON_OBJECT, e);
	/* A temporary wheelhouse is not removed here: whoever ends the
	 * pipeline does (wheel-build(1)). */
	if (a->wheels)
		a->wheelhouse = doc_need_string(a->wheels, ".wheels", "wheelhouse", e);
	if (a->wheels && json_object_get(a->wheels, "metadata"))
		a->extensions = doc_want(doc_need(a->wheels, ".wheels", "metadata", JSON_OBJECT, e),
		                         ".wheels.metadata", "extensions", JSON_ARRAY, e);
	a->package_manager = doc_want_string(plan, ".plan", "package_manager", e);
	project = json_string_value(json_object_get(plan, "project"));
	if (project)
		a->cache_repo = pyname_canonical(project, strlen(project));
	a->suffix = run_suffix();
	a->write_layers = json_is_object(json_object_get(json_object_get(doc, "base"), "python"));
	if (!e->msg && (a->epoch = pylayers_epoch(doc, e)) < 0) {
		assemble_free(a);
		return NULL;
	}
	proxyenv_add(&a->env);
	if (e->msg || load_images(a, plan, e) < 0) {
		assemble_free(a);
		return NULL;
	}
	mark_loads(a);
	return a;
}

int assemble_run(struct assemble *a, struct engine *e, json_t *doc, struct pbrx_error *err)
{
	json_t *images;

	/* Not with --prepare: pbrx-build-images runs it beside wheel-build,
	 * whose sweep would race this one for the same containers (each
	 * saying it removes them), and the main run sweeps after both. */
	if (!a->o.prepare)
		engine_sweep(e, doc);
	if (rollback_start(e, err) < 0)
		return -1;
	if (a->o.prepare) {
		/* Only the cache changes: the document goes on as it came. */
		if (prepare_layers(a, e, err) < 0 || reaper_finish(err) < 0)
			return -1;
		cleanup_end();
		rollback_free();
		return 0;
	}
	if (build_all(a, e, err) < 0 || reaper_finish(err) < 0 ||
	    (!a->o.output && tag_all(a, e, err) < 0))
		return -1;
	if (a->o.output)
		return finish_output(a, e, doc, err);
	if (!(images = images_section(a, e, NULL, err)))
		return -1;
	doc_set(doc, "images", images);
	cleanup_end();
	rollback_free();
	/* Run alone, the stage shows its summary; a driver shows its own. */
	progress_summary(doc);
	return 0;
}

void assemble_free(struct assemble *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->imgs[i].path);
		free(a->imgs[i].tmp_ref);
		free(a->imgs[i].id);
		json_decref(a->imgs[i].written);
		oci_image_free(a->imgs[i].oci);
		json_decref(a->imgs[i].info);
		free(a->imgs[i].export_ref);
	}
	free(a->imgs);
	free(a->suffix);
	free(a->cache_repo);
	pylayers_free(&a->pl);
	strv_free(&a->env);
	free(a);
}
