/* SPDX-License-Identifier: Apache-2.0 */
/* image-assemble: run the plan's image steps through the container
 * engine (one container per image, exec each step, commit with the
 * plan's config; Dockerfile images through the build endpoint), tag every
 * image only when all are built, and add the "images" section.
 * See image-assemble(1) and pbrx-document(5). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "doc/doc.h"
#include "doc/plan.h"
#include "engine/engine.h"
#include "engine/layercache.h"
#include "base/buf.h"
#include "base/capture.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/quote.h"
#include "py/pyname.h"
#include "base/xalloc.h"

static void usage(FILE *f)
{
	fputs("usage: image-assemble [-hqv] [--version] [--engine ENGINE] [--no-cache] [--prepare]\n",
	      f);
}

/* One plan image while it is built. */
struct image {
	const json_t *plan;    /* borrowed: .plan.images[i] */
	char *path;            /* ".plan.images[i]", for messages */
	const char *name, *ref, *kind, *from;
	char *tmp_ref;         /* name:pbrx-tmp-...: its tag until all are done */
	char *id;
};

/* ---- cleanup ---------------------------------------------------------- */

/* What must go when the run fails or is interrupted (base/cleanup.h):
 * the containers made and the temporary tags.  The threads that build
 * (the main one, the workers of build_all) change the lists with the
 * cleanup lock held, and hold it across each create, commit, build and
 * the final tagging, so an interrupt never misses an object that exists:
 * it waits for the request in flight, then removes everything, on a
 * connection of its own. */
static struct {
	struct engine *d;
	struct strv containers;
	struct strv refs;
	/* The engine of the Dockerfile build in flight, which holds the lock
	 * for as long as it lasts: a signal cancels it rather than wait.
	 * Under its own mutex, which the build's thread holds to set it and
	 * clear it (before that engine is freed). */
	pthread_mutex_t building_lock;
	struct engine *building;
} rb = {.building_lock = PTHREAD_MUTEX_INITIALIZER};

/* Remove the last copy of s from v (base/buf has no removal). */
static void list_del(struct strv *v, const char *s)
{
	for (size_t i = v->n; i-- > 0;) {
		if (strcmp(v->v[i], s) == 0) {
			free(v->v[i]);
			/* The NULL after the last goes down too. */
			memmove(v->v + i, v->v + i + 1, (v->n - i) * sizeof *v->v);
			v->n--;
			return;
		}
	}
}

/* The cleanup's remove(): every container, then every temporary tag,
 * newest first (a script image is a child of the base).  Removing a tag
 * never removes an image that has another tag, so the previous images
 * keep theirs. */
static void rb_remove(void)
{
	for (size_t i = rb.containers.n; i-- > 0;) {
		if (engine_container_remove(rb.d, rb.containers.v[i]) < 0)
			msg_warn("%s", engine_error(rb.d));
		else
			msg_note("removed container %.12s", rb.containers.v[i]);
	}
	for (size_t i = rb.refs.n; i-- > 0;) {
		int r, tries = 0;

		/* A cancelled Dockerfile build's RUN container, which uses
		 * the image, is removed by the daemon after the build's
		 * connection closed: give it ten seconds. */
		while ((r = engine_image_remove(rb.d, rb.refs.v[i], false)) < 0 &&
		       cleanup_interrupted() && !engine_missing(rb.d) && tries++ < 100)
			nanosleep(&(struct timespec){0, 100000000}, NULL);
		if (r < 0)
			msg_warn("%s", engine_error(rb.d));
		else
			msg_note("removed temporary image %s", rb.refs.v[i]);
	}
}

/* The cleanup's interrupted(): say so, and cancel the Dockerfile build in
 * flight, which holds the lock. */
static void rb_interrupted(int sig)
{
	fprintf(stderr, "%s: %s: removing containers and temporary images\n", msg_progname(),
	        strsignal(sig));
	pthread_mutex_lock(&rb.building_lock);
	if (rb.building)
		engine_cancel(rb.building);
	pthread_mutex_unlock(&rb.building_lock);
}

static void rb_free(void)
{
	strv_free(&rb.containers);
	strv_free(&rb.refs);
	engine_free(rb.d);
}

static void rb_start(const struct engine *e)
{
	struct pbrx_error err = {0};

	rb.d = engine_dup(e);
	if (cleanup_start(rb_remove, rb_interrupted, &err) < 0)
		error_exit(&err);
}

/* ---- removing containers in the background --------------------------- */

/* A committed container is removed by a thread of its own, on a
 * connection of its own, while the main thread goes on with the next
 * image: removing a container whose layer holds the packages takes as
 * long as a step.  The container stays in rb.containers until it is
 * gone, and the thread removes it holding the cleanup lock, so an interrupt
 * either sees it removed or removes it itself. */
static struct {
	pthread_t thread;
	pthread_cond_t cond;
	struct engine *d;
	char **queue;
	size_t n, cap;
	bool started, end;
	char *failure;  /* the first removal that failed, for the main thread */
} reaper;

static void *reaper_thread(void *arg)
{
	(void)arg;
	cleanup_lock();
	for (;;) {
		char *cid;

		/* A cleanup under way holds the lock until the process
		 * ends: this never wakes up to a removed list. */
		while (!reaper.n && !reaper.end)
			cleanup_wait(&reaper.cond);
		if (!reaper.n)
			break;
		cid = reaper.queue[0];
		memmove(reaper.queue, reaper.queue + 1, --reaper.n * sizeof *reaper.queue);
		if (engine_container_remove(reaper.d, cid) < 0) {
			if (!reaper.failure)
				reaper.failure = xasprintf("remove container %.12s: %s", cid,
				                           engine_error(reaper.d));
		} else {
			list_del(&rb.containers, cid);
			msg_note("removed container %.12s", cid);
		}
		free(cid);
	}
	cleanup_unlock();
	return NULL;
}

/* Have container cid removed.  Called with the cleanup lock held. */
static void reap(struct engine *d, const char *cid)
{
	if (!reaper.started) {
		reaper.d = engine_dup(d);
		pthread_cond_init(&reaper.cond, NULL);
		if (pthread_create(&reaper.thread, NULL, reaper_thread, NULL) != 0)
			msg_die(EXIT_FAIL, "cannot start a thread");
		reaper.started = true;
	}
	xgrow((void **)&reaper.queue, &reaper.cap, reaper.n + 1, sizeof *reaper.queue);
	reaper.queue[reaper.n++] = xstrdup(cid);
	pthread_cond_signal(&reaper.cond);
}

/* Wait until every container handed to reap() is removed; dies when one
 * could not be. */
static void reaper_finish(void)
{
	if (!reaper.started)
		return;
	cleanup_lock();
	reaper.end = true;
	pthread_cond_signal(&reaper.cond);
	cleanup_unlock();
	pthread_join(reaper.thread, NULL);
	reaper.started = false;
	engine_free(reaper.d);
	free(reaper.queue);
	if (reaper.failure)
		msg_die(EXIT_FAIL, "%s", reaper.failure);
}

/* ---- the document ----------------------------------------------------- */

/* The strings of array arr (at path), appended to *v. */
static void argv_read(const json_t *arr, const char *path, struct strv *v)
{
	doc_check_strings(arr, path);
	for (size_t i = 0; i < json_array_size(arr); i++)
		strv_add(v, json_string_value(json_array_get(arr, i)));
}

/* The mounts of image img: a "source" is a host path, the volume
 * "wheelhouse" is .wheels.wheelhouse.  Malloc'd array; strings borrowed. */
static struct engine_mount *mounts_of(const struct image *img, const char *wheelhouse,
                                      bool wheels, size_t *n)
{
	json_t *arr = doc_need(img->plan, img->path, "mounts", JSON_ARRAY);
	struct engine_mount *m = xcalloc(json_array_size(arr) + 1, sizeof *m);
	size_t i, k = 0;
	json_t *v;

	json_array_foreach(arr, i, v) {
		char *path = xasprintf("%s.mounts[%zu]", img->path, i);
		struct plan_mount pm;

		plan_mount_read(v, path, &pm);
		m[k].target = pm.target;
		m[k].read_only = pm.read_only;
		if (pm.source) {
			m[k++].source = pm.source;
		} else if (wheels) {
			if (!wheelhouse)
				doc_die(".wheels.wheelhouse", "missing: %s mounts the wheelhouse; "
				        "run wheel-build first", img->path);
			m[k++].source = wheelhouse;
		}
		/* else: steps that read no wheels (a "packages" layer) run
		 * in the same container whether wheel-build ran yet or not. */
		free(path);
	}
	*n = k;
	return m;
}

/* Die now, before the engine is asked, on a mount of img that breaks
 * plan_mount_read()'s rule. */
static void check_mounts(const struct image *img)
{
	json_t *v;
	size_t i;

	json_array_foreach(doc_want(img->plan, img->path, "mounts", JSON_ARRAY), i, v) {
		char *path = xasprintf("%s.mounts[%zu]", img->path, i);
		struct plan_mount pm;

		plan_mount_read(v, path, &pm);
		free(path);
	}
}

/* The image the plan names as from, or the temporary tag of an earlier
 * plan image when from is that image's final ref. */
static const char *resolve_from(const struct image *imgs, size_t i)
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

static struct command command_of(const struct image *img, const json_t *from_config)
{
	char *path = xasprintf("%s.config", img->path);
	json_t *config = doc_need(img->plan, img->path, "config", JSON_OBJECT);
	json_t *ep = json_object_get(config, "entrypoint");
	json_t *cmd = json_object_get(config, "cmd");
	struct command c;

	if (ep && !json_is_null(ep))
		doc_check_strings(doc_need(config, path, "entrypoint", JSON_ARRAY), path);
	if (cmd && !json_is_null(cmd))
		doc_check_strings(doc_need(config, path, "cmd", JSON_ARRAY), path);
	c.entrypoint = nonempty(json_is_array(ep) ? ep : json_object_get(from_config, "Entrypoint"));
	c.cmd = nonempty(json_is_array(cmd) ? cmd : json_object_get(from_config, "Cmd"));
	free(path);
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
 * build_container() makes the container so.  Free with strv_free(). */
static struct strv commit_changes(const struct image *img, struct command c, bool with_labels)
{
	char *path = xasprintf("%s.config", img->path);
	json_t *config = doc_need(img->plan, img->path, "config", JSON_OBJECT);
	json_t *labels = doc_want(config, path, "labels", JSON_OBJECT);
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

		if (!json_is_string(val))
			doc_die(path, "labels.%s: expected a string", key);
		vs = json_dumps(val, JSON_ENCODE_ANY);
		strv_push(&v, xasprintf("LABEL %s=%s", ks, vs));
		free(ks);
		free(vs);
		json_decref(k);
	}
	free(path);
	return v;
}

/* Run one step of img in container cid; dies naming image, step and
 * command when it fails. */
static void run_step(struct engine *d, const struct image *img, const char *cid,
                     const json_t *step, size_t k)
{
	char *path = xasprintf("%s.steps[%zu]", img->path, k);
	const char *name = doc_need_string(step, path, "name");
	struct strv argv = {0};
	struct capture cap = {0};
	/* Package managers need root, whatever USER the image has. */
	struct engine_run_spec spec = {.user = "0"};
	char *shown;
	int code = -1, rc;

	argv_read(doc_need(step, path, "argv", JSON_ARRAY), path, &argv);
	if (!argv.n)
		doc_die(path, "argv: expected a command");
	free(path);
	spec.argv = argv.v;
	shown = quote_argv(argv.v);
	if (msg_verbosity() < 0) {
		spec.output = capture_output;
		spec.arg = &cap;
	}
	msg_info("%s: %s: %s", img->name, name, shown);
	rc = engine_run(d, cid, &spec, &code);
	if (rc < 0 || code != 0)
		cleanup_hold();
	if (rc < 0)
		msg_die(EXIT_FAIL, "%s: %s: %s", img->name, name, engine_error(d));
	if (code != 0) {
		capture_show(&cap);
		msg_die(EXIT_FAIL, "%s: step %s failed (exit status %d): %s", img->name, name, code,
		        shown);
	}
	capture_free(&cap);
	free(shown);
	strv_free(&argv);
}

/* "image-assemble: STEP: COMMAND; ..." for the history of img's layer.
 * Malloc'd. */
static char *history_text(const struct image *img, const json_t *steps)
{
	char *s = xstrdup("image-assemble:");
	size_t k;
	json_t *step;

	json_array_foreach(steps, k, step) {
		json_t *argv = json_object_get(step, "argv");
		struct strv v = {0};
		char *shown, *t;

		if (!json_array_size(argv))
			continue;
		argv_read(argv, img->path, &v);
		shown = quote_argv(v.v);
		t = xasprintf("%s%s %s", s, k ? ";" : "", shown);
		free(s);
		free(shown);
		strv_free(&v);
		s = t;
	}
	if (!json_array_size(steps)) {
		char *t = xasprintf("%s configuration only", s);
		free(s);
		s = t;
	}
	return s;
}

/* Build img in a container from from: exec its steps, commit it as
 * img->tmp_ref.  A script image without steps is only a commit of a
 * container never started: no layer, only its config. */
/* The extensions of the project's wheel (.wheels.metadata.extensions,
 * borrowed) and the plan's package manager, for check_libraries(). */
static const json_t *extensions;
static const char *package_manager;

/* The Debian package a shared library is in by Debian Policy 8.1's rule
 * (libfoo.so.1 in libfoo1, libfoo-2.so.3 in libfoo-2-3), malloc'd; NULL
 * for a name without a version. */
static char *debian_package(const char *soname)
{
	const char *so = strstr(soname, ".so.");
	char *r, *p;

	if (!so || so == soname || !so[4])
		return NULL;
	r = isdigit((unsigned char)so[-1]) ? xasprintf("%.*s-%s", (int)(so - soname), soname, so + 4)
	                                  : xasprintf("%.*s%s", (int)(so - soname), soname, so + 4);
	for (p = r; *p; p++)
		*p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
	return r;
}

/* Is soname among the libraries listed in text: "\tSONAME (" lines of
 * ldconfig -p, or "/SONAME" lines of find? */
static bool lists_library(const char *text, const char *soname)
{
	size_t n = strlen(soname);

	for (const char *p = text; (p = strstr(p, soname)); p += n) {
		bool start = p > text && (p[-1] == '\t' || p[-1] == '/');
		bool end = p[n] == ' ' || p[n] == '\n' || p[n] == '\0';
		if (start && end)
			return true;
	}
	return false;
}

/* The base image has its runtime packages: warn for every library an
 * extension of the project's wheel needs (DT_NEEDED, see wheel-build(1))
 * that the image lacks.  The builder had it (the extension was linked
 * against it); the runtime selection of bindep.txt forgot its package,
 * and the image would fail only when the extension is imported. */
static void check_libraries(struct engine *d, const struct image *img, const char *cid)
{
	char *ldconfig[] = {"ldconfig", "-p", NULL};
	/* musl has no ldconfig -p: list the library directories instead. */
	char *find[] = {"find", "/lib", "/usr/lib", "/usr/local/lib", "-name", "*.so*", NULL};
	struct capture cap = {0};
	struct engine_run_spec spec = {.argv = ldconfig, .output = capture_output, .arg = &cap};
	const json_t *ext, *lib, *other;
	size_t i, j, k;
	int code;

	if (!json_array_size(extensions))
		return;
	if (engine_run(d, cid, &spec, &code) < 0) {
		cleanup_hold();
		msg_die(EXIT_FAIL, "%s: %s", img->name, engine_error(d));
	}
	if (code != 0) {
		capture_reset(&cap);
		spec.argv = find;
		if (engine_run(d, cid, &spec, &code) < 0) {
			cleanup_hold();
			msg_die(EXIT_FAIL, "%s: %s", img->name, engine_error(d));
		}
	}
	json_array_foreach(extensions, i, ext) {
		const char *file = json_string_value(json_object_get(ext, "file"));
		json_array_foreach(json_object_get(ext, "needed"), j, lib) {
			const char *soname = json_string_value(lib);
			bool in_wheel = false;
			char *pkg;

			if (!file || !soname)
				continue;
			/* Libraries the wheel brings itself (auditwheel's .libs). */
			json_array_foreach(extensions, k, other) {
				const char *f = json_string_value(json_object_get(other, "file"));
				const char *base = f ? strrchr(f, '/') : NULL;
				in_wheel |= f && strcmp(base ? base + 1 : f, soname) == 0;
			}
			if (in_wheel || lists_library(cap.out.p ? cap.out.p : "", soname))
				continue;
			pkg = package_manager && !strcmp(package_manager, "apt-get") ? debian_package(soname)
			                                                               : NULL;
			if (pkg)
				msg_warn("%s: %s, needed by %s, is not in the image: add the runtime package "
				         "that provides it to bindep.txt, probably '%s [platform:dpkg]'",
				         img->name, soname, file, pkg);
			else
				msg_warn("%s: %s, needed by %s, is not in the image: add the runtime package "
				         "that provides it to bindep.txt (without the compile profile)",
				         img->name, soname, file);
			free(pkg);
		}
	}
	capture_free(&cap);
}

/* ---- cached layers ------------------------------------------------------ */

/* Set by options and the document, for the layers. */
static bool no_cache;            /* --no-cache: rebuild every layer */
static char *cache_repo;         /* the project's name, normalised */
static const json_t *wheels;     /* .wheels, borrowed; NULL before wheel-build */

/* What the steps of layer read besides their parent image: for
 * "dependencies", the project's requirements and every wheel but the
 * project's own (by SHA-256), so a change to the project's source alone
 * finds the layer again.  Other layers read nothing else (pbrx-document(5)).
 * New reference or NULL. */
static json_t *layer_inputs(const char *layer)
{
	const char *pw = json_string_value(json_object_get(wheels, "project_wheel"));
	json_t *md = json_object_get(wheels, "metadata"), *files, *f, *in;
	size_t i;

	if (strcmp(layer, "dependencies") != 0)
		return NULL;
	if (!wheels || !pw)
		doc_die(".wheels", "missing: a \"dependencies\" layer needs the wheels; run "
		        "wheel-build first");
	files = doc_need(wheels, ".wheels", "files", JSON_ARRAY);
	in = json_pack("{s:O, s:[]}", "requires_dist",
	               json_object_get(md, "requires_dist") ? json_object_get(md, "requires_dist")
	                                                      : json_null(), "wheels");
	json_array_foreach(files, i, f) {
		char path[64];
		const char *file, *sum;

		snprintf(path, sizeof path, ".wheels.files[%zu]", i);
		if (!json_is_object(f))
			doc_die(path, "expected an object");
		file = doc_need_string(f, path, "file");
		sum = doc_need_string(f, path, "sha256");
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
static json_t *key_steps(const json_t *steps)
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

/* The layer name of steps[k], or NULL: steps without one are not cached. */
static const char *layer_of(const struct image *img, const json_t *steps, size_t k)
{
	json_t *l = json_object_get(json_array_get(steps, k), "layer");
	char path[96];

	if (!l)
		return NULL;
	if (!json_is_string(l) || !*json_string_value(l)) {
		snprintf(path, sizeof path, "%s.steps[%zu].layer", img->path, k);
		doc_die(path, "expected a layer name");
	}
	return json_string_value(l);
}

/* ---- container images ------------------------------------------------- */

/* A container from from that runs steps (a JSON array), committed as
 * repo_tag with changes: the new image's ID.  Kept alive by ENGINE_KEEP_ALIVE; the
 * steps' text is only sh's $0, never run: docker history shows the
 * container's Cmd as the layer's "created by".  A container without steps
 * is never started: its commit adds no layer, only config. */
static char *commit_steps(struct engine *d, const struct image *img, const char *from,
                          const json_t *steps, size_t first, const char *wheelhouse,
                          bool with_wheels, struct command c, char *const *changes,
                          const char *repo_tag, bool check)
{
	static char *const keep_alive[] = ENGINE_KEEP_ALIVE;
	/* The engine adds a number and the owner token (engine.h). */
	char *cname = xasprintf("pbrx-%s", img->name), *cid, *id;
	char *what = history_text(img, steps);
	char *const cmd[] = {what, NULL};
	char *const full[] = {keep_alive[0], keep_alive[1], keep_alive[2], what, NULL};
	struct engine_container_spec spec = {
		.name = cname, .image = from, .network_mode = "host", .tmpfs_tmp = true,
	};
	size_t k;
	json_t *step;

	for (char *p = cname; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			*p = '-';
	/* As commit_changes() needs it. */
	if (c.entrypoint) {
		spec.entrypoint = keep_alive;
		spec.cmd = cmd;
	} else if (c.cmd || json_array_size(steps) || check) {
		spec.cmd = full;
	}
	if (json_array_size(steps))
		spec.mounts = mounts_of(img, wheelhouse, with_wheels, &spec.nmounts);

	cleanup_lock();
	cid = engine_container_create(d, &spec);
	if (!cid)
		msg_die(EXIT_FAIL, "%s: %s", img->name, engine_error(d));
	/* The list owns the ID from here (cid borrows it until reap()), so
	 * a msg_die on the way, whose cleanup removes the container, leaks
	 * nothing. */
	strv_add(&rb.containers, cid);
	free(cid);
	cid = rb.containers.v[rb.containers.n - 1];
	cleanup_unlock();
	msg_note("%s: container %.12s from %s", img->name, cid, from);

	if (json_array_size(steps) || check) {
		if (engine_container_start(d, cid) < 0) {
			cleanup_hold();
			msg_die(EXIT_FAIL, "%s: %s", img->name, engine_error(d));
		}
		json_array_foreach(steps, k, step)
			run_step(d, img, cid, step, first + k);
		if (check)
			check_libraries(d, img, cid);
	}
	for (size_t i = 0; changes && changes[i]; i++)
		msg_note("%s: commit change %s", img->name, changes[i]);

	cleanup_lock();
	id = engine_commit(d, cid, repo_tag, changes);
	if (!id)
		msg_die(EXIT_FAIL, "%s: commit: %s", img->name, engine_error(d));
	if (strncmp(repo_tag, "pbrx-cache/", 11) != 0)
		strv_add(&rb.refs, repo_tag);
	reap(d, cid);
	cleanup_unlock();

	free((void *)spec.mounts);
	free(what);
	free(cname);
	return id;
}

/* What an image's cached layers are built with (build_layer). */
struct layer_job {
	struct engine *d;
	const struct image *img;
	const json_t *steps;
	const char *wheelhouse;
	struct command c;
	char *const *changes;
};

static json_t *walk_inputs(void *ctx, const char *layer)
{
	(void)ctx;
	return layer_inputs(layer);
}

static json_t *walk_key_steps(void *ctx, const json_t *run)
{
	(void)ctx;
	return key_steps(run);
}

/* layercache_walk()'s build: steps [first, end) committed as ref; a
 * layer reads the wheels when it has inputs (layer_inputs()). */
static int build_layer(void *ctx, const char *parent, size_t first, size_t end,
                       const json_t *inputs, const char *ref, char **id)
{
	const struct layer_job *j = ctx;
	json_t *run = json_array();

	for (size_t i = first; i < end; i++)
		json_array_append(run, json_array_get(j->steps, i));
	*id = commit_steps(j->d, j->img, parent, run, first, j->wheelhouse, inputs != NULL, j->c,
	                   j->changes, ref, false);
	json_decref(run);
	return EXIT_OK;
}

/* The cached layers at the start of img's steps, on top of from: each
 * found by its key, or built and tagged.  Stops before a layer whose
 * inputs are not known yet when prepare is set (the "dependencies" layer
 * before wheel-build).  Returns the name of the last (malloc'd: its cache
 * tag, or from itself when there are none) and sets *next to the first
 * step not done.  Containers are made from names, not IDs: buildah
 * takes an ID only without its "sha256:". */
static char *cached_layers(struct engine *d, const struct image *img, const char *from,
                           const char *wheelhouse, struct command c, bool prepare, size_t *next)
{
	json_t *steps = doc_need(img->plan, img->path, "steps", JSON_ARRAY);
	struct strv changes = commit_changes(img, c, false);
	struct layer_job job = {d, img, steps, wheelhouse, c, changes.v};
	struct pbrx_error err = {0};
	char *top = NULL;

	/* Bad layer names die here: the walk takes strings only. */
	for (size_t k = 0; k < json_array_size(steps); k++)
		layer_of(img, steps, k);
	if (layercache_walk(&(struct layercache_walk){
		.e = d, .steps = steps, .repo = cache_repo ? cache_repo : "unnamed",
		.who = img->name, .no_cache = no_cache,
		.stop_before = prepare ? "dependencies" : NULL,
		.inputs = walk_inputs, .key_steps = walk_key_steps,
		.build = build_layer, .ctx = &job,
	}, from, &top, next, &err)) {
		cleanup_hold();
		error_exit(&err);
	}
	strv_free(&changes);
	return top;
}

/* Build img from from: its cached layers, then a container that runs the
 * remaining steps, committed with the plan's config as img->tmp_ref. */
static void build_container(struct engine *d, struct image *img, const char *from,
                            const char *wheelhouse)
{
	json_t *steps = doc_need(img->plan, img->path, "steps", JSON_ARRAY), *rest;
	json_t *from_img = engine_image_inspect(d, from);
	struct command c;
	struct strv changes;
	char *top;
	size_t next;

	if (!from_img) {
		cleanup_hold();
		msg_die(EXIT_FAIL, "%s: %s", img->name, engine_error(d));
	}
	c = command_of(img, json_object_get(from_img, "Config"));
	changes = commit_changes(img, c, true);
	top = cached_layers(d, img, from, wheelhouse, c, false, &next);
	rest = json_array();
	for (size_t i = next; i < json_array_size(steps); i++)
		json_array_append(rest, json_array_get(steps, i));
	img->id = commit_steps(d, img, top, rest, next, wheelhouse, true, c, changes.v, img->tmp_ref,
	                       strcmp(img->kind, "base") == 0 && json_array_size(extensions));
	json_decref(rest);
	free(top);
	strv_free(&changes);
	json_decref(from_img);
}

/* --prepare: the cached layers of every image that starts from outside
 * the plan, as far as they need no wheels (the distribution packages),
 * so that they are built while wheel-build runs. */
static void prepare_layers(struct engine *d, struct image *imgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct image *img = &imgs[i];
		json_t *from_img;
		struct command c;
		size_t next;

		if (!strcmp(img->kind, "dockerfile") || strcmp(resolve_from(imgs, i), img->from))
			continue;
		from_img = engine_image_inspect(d, img->from);
		if (!from_img)
			msg_die(EXIT_FAIL, "%s: %s", img->name, engine_error(d));
		c = command_of(img, json_object_get(from_img, "Config"));
		free(cached_layers(d, img, img->from, NULL, c, true, &next));
		json_decref(from_img);
	}
}

/* ---- Dockerfile images ------------------------------------------------ */

/* Does FROM operand word (n bytes) name earlier image j?  By its ref, by
 * its name (any tag: the Dockerfile means the one built now), and by the
 * name without the prefix, as pbrx's Dockerfiles said "FROM foo-base". */
static bool names_image(const char *word, size_t n, const struct image *j)
{
	const char *slash = strrchr(j->name, '/');
	const char *local = slash ? slash + 1 : j->name;
	const char *cands[] = {j->ref, j->name, local};

	for (size_t c = 0; c < sizeof cands / sizeof cands[0]; c++) {
		size_t m = strlen(cands[c]);
		if (n >= m && strncmp(word, cands[c], m) == 0 &&
		    (n == m || (c > 0 && word[m] == ':' && memchr(word + m + 1, '/', n - m - 1) == NULL)))
			return true;
	}
	return false;
}

/* text with every FROM that names an earlier plan image (see names_image)
 * pointing at that image's temporary tag, so the build uses the base built
 * in this run and the old tags stay untouched until all images are done.
 * *hits counts the rewritten lines.  Malloc'd. */
static char *rewrite_from(const char *text, const struct image *imgs, size_t i, int *hits)
{
	size_t cap = 0, len = 0;
	char *out = NULL;
	bool continued = false;
	const char *line = text;

	*hits = 0;
	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t llen = eol ? (size_t)(eol - line + 1) : strlen(line);
		const char *p = line, *end = line + llen, *word = NULL, *repl = NULL;
		size_t wlen = 0;
		bool was_continued = continued;

		/* A line ending in a backslash continues on the next one. */
		{
			const char *q = end;
			while (q > line && strchr("\r\n \t", q[-1]))
				q--;
			continued = q > line && q[-1] == '\\';
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (!was_continued && end - p > 5 && strncasecmp(p, "FROM", 4) == 0 &&
		    (p[4] == ' ' || p[4] == '\t')) {
			p += 4;
			for (;;) {
				while (p < end && (*p == ' ' || *p == '\t'))
					p++;
				word = p;
				while (p < end && !isspace((unsigned char)*p))
					p++;
				wlen = (size_t)(p - word);
				if (wlen < 2 || strncmp(word, "--", 2) != 0)
					break;
			}
			for (size_t j = 0; j < i && wlen; j++) {
				if (names_image(word, wlen, &imgs[j]))
					repl = imgs[j].tmp_ref;
			}
		}
		if (repl) {
			size_t before = (size_t)(word - line), rlen = strlen(repl);
			size_t after = llen - before - wlen;
			xgrow((void **)&out, &cap, len + before + rlen + after + 1, 1);
			memcpy(out + len, line, before);
			memcpy(out + len + before, repl, rlen);
			memcpy(out + len + before + rlen, word + wlen, after);
			len += before + rlen + after;
			msg_note("%s: FROM %.*s -> %s", imgs[i].name, (int)wlen, word, repl);
			(*hits)++;
		} else {
			xgrow((void **)&out, &cap, len + llen + 1, 1);
			memcpy(out + len, line, llen);
			len += llen;
		}
		line += llen;
	}
	xgrow((void **)&out, &cap, len + 1, 1);
	out[len] = '\0';
	return out;
}

/* The text of the Dockerfile at path; dies (exit 2) when it can't be
 * read or holds a NUL byte. */
static char *read_text(const char *path)
{
	struct pbrx_error err = {0};
	size_t len;
	char *s = fs_read(path, &len, &err);

	if (!s)
		error_exit(&err);
	if (strlen(s) != len)
		msg_die(EXIT_USAGE, "%s: contains a NUL byte", path);
	return s;
}

/* Build img from its Dockerfile, in its context directory, as
 * img->tmp_ref, with the plan's labels. */
static void build_dockerfile(struct engine *d, struct image *img, const struct image *imgs,
                             size_t i)
{
	const char *file = doc_need_string(img->plan, img->path, "dockerfile");
	const char *context = doc_need_string(img->plan, img->path, "context");
	char *cpath = xasprintf("%s.config", img->path);
	json_t *config = doc_need(img->plan, img->path, "config", JSON_OBJECT);
	char *text = read_text(file), *rewritten;
	struct engine_build_spec spec = {
		.context_dir = context, .repo_tag = img->tmp_ref, .network_mode = "host",
		.labels = doc_want(config, cpath, "labels", JSON_OBJECT),
		.quiet = msg_verbosity() < 0,
	};
	int hits;

	rewritten = rewrite_from(text, imgs, i, &hits);
	if (hits == 0)
		msg_warn("%s: no FROM line names %s; built as it is", file, imgs[0].name);
	spec.dockerfile = file;
	spec.dockerfile_text = rewritten;
	msg_info("%s: build %s", img->name, file);

	cleanup_lock();
	/* A signal's cleanup waits for the lock: it cancels the build first
	 * (or, when it came before this, the build cancels itself). */
	pthread_mutex_lock(&rb.building_lock);
	rb.building = d;
	if (cleanup_interrupted())
		engine_cancel(d);
	pthread_mutex_unlock(&rb.building_lock);
	img->id = engine_build(d, &spec);
	pthread_mutex_lock(&rb.building_lock);
	rb.building = NULL;
	pthread_mutex_unlock(&rb.building_lock);
	/* Cancelled: the signal thread cleans up and ends the process; it
	 * needs the lock. */
	if (!img->id && cleanup_interrupted())
		cleanup_yield();
	if (!img->id)
		msg_die(EXIT_FAIL, "%s: build %s: %s", img->name, file, engine_error(d));
	strv_add(&rb.refs, img->tmp_ref);
	cleanup_unlock();

	free(rewritten);
	free(text);
	free(cpath);
}

/* ---- building side by side -------------------------------------------- */

/* Images that don't need each other are built at the same time, as a
 * Dockerfile builder runs independent stages: the script images of one
 * base are siblings.  Their steps are mostly waiting (on pip, on the
 * engine's commits), so a few at once pay even on one core; more would
 * only crowd the engine. */
enum { MAX_PARALLEL = 4 };

static void build_one(struct engine *d, struct image *imgs, size_t i, const char *wheelhouse)
{
	struct image *img = &imgs[i];

	if (strcmp(img->kind, "dockerfile") == 0) {
		build_dockerfile(d, img, imgs, i);
	} else {
		msg_info("%s: from %s", img->name, img->from);
		build_container(d, img, resolve_from(imgs, i), wheelhouse);
	}
	msg_note("%s: built %s", img->name, img->id);
}

/* Can image i be built once the images marked in built are?  A container
 * image needs the plan image it starts from; a Dockerfile may name any
 * image before it (rewrite_from), so it needs them all. */
static bool buildable(const struct image *imgs, size_t i, const bool *built)
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
	struct image *imgs;
	const size_t *todo;
	size_t n;
	atomic_size_t next;
	const char *wheelhouse;
};

struct worker {
	pthread_t thread;
	struct engine *d;
	struct round *round;
};

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	struct round *r = w->round;
	size_t k;

	while ((k = atomic_fetch_add(&r->next, 1)) < r->n)
		build_one(w->d, r->imgs, r->todo[k], r->wheelhouse);
	return NULL;
}

/* Build every image, each as soon as what it starts from is built.  A
 * failure in any worker ends the process through msg_die, whose cleanup
 * (base/cleanup.h) removes what every worker made. */
static void build_all(struct engine *d, struct image *imgs, size_t n, const char *wheelhouse)
{
	bool *built = xcalloc(n + 1, sizeof *built);
	size_t *todo = xcalloc(n + 1, sizeof *todo);
	struct worker workers[MAX_PARALLEL];

	for (size_t left = n; left;) {
		struct round r = {.imgs = imgs, .todo = todo, .wheelhouse = wheelhouse};
		size_t nworkers;

		for (size_t i = 0; i < n; i++)
			if (!built[i] && buildable(imgs, i, built))
				todo[r.n++] = i;
		if (r.n == 0)
			msg_die(EXIT_FAIL, "the plan's images start from each other in a loop");
		atomic_init(&r.next, 0);
		nworkers = r.n < MAX_PARALLEL ? r.n : MAX_PARALLEL;
		if (nworkers == 1) {
			build_one(d, imgs, todo[0], wheelhouse);
		} else {
			/* Made and freed here, never in a worker: the engines
			 * share libcurl's global state. */
			for (size_t w = 0; w < nworkers; w++) {
				workers[w] = (struct worker){.d = engine_dup(d), .round = &r};
				if (pthread_create(&workers[w].thread, NULL, worker_thread, &workers[w]))
					msg_die(EXIT_FAIL, "cannot start a thread");
			}
			for (size_t w = 0; w < nworkers; w++) {
				pthread_join(workers[w].thread, NULL);
				engine_free(workers[w].d);
			}
		}
		for (size_t k = 0; k < r.n; k++)
			built[todo[k]] = true;
		left -= r.n;
	}
	free(todo);
	free(built);
}

/* ---- finishing -------------------------------------------------------- */

/* Give every image its final ref, then drop the temporary tags; the
 * interrupt handler waits until both are done. */
static void tag_all(struct engine *d, struct image *imgs, size_t n)
{
	cleanup_lock();
	for (size_t i = 0; i < n; i++) {
		if (engine_image_tag(d, imgs[i].tmp_ref, imgs[i].ref) < 0)
			msg_die(EXIT_FAIL, "%s: tag: %s", imgs[i].name, engine_error(d));
		msg_note("tagged %s", imgs[i].ref);
	}
	for (size_t i = n; i-- > 0;) {
		if (engine_image_remove(d, imgs[i].tmp_ref, false) < 0)
			msg_warn("%s", engine_error(d));
		list_del(&rb.refs, imgs[i].tmp_ref);
	}
	cleanup_unlock();
}

/* The images section (new reference). */
static json_t *images_section(struct engine *d, const struct image *imgs, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *info = engine_image_inspect(d, imgs[i].ref);
		json_t *size;

		if (!info)
			msg_die(EXIT_FAIL, "%s: %s", imgs[i].name, engine_error(d));
		size = json_object_get(info, "Size");
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I}", "name", imgs[i].name,
		                                     "ref", imgs[i].ref, "id", imgs[i].id,
		                                     "size", json_integer_value(size)));
		json_decref(info);
	}
	return arr;
}

/* The images built, with their sizes, for people. */
static void summary(const json_t *images)
{
	size_t i;
	json_t *v;

	json_array_foreach(images, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		double mb = (double)json_integer_value(json_object_get(v, "size")) / 1e6;

		if (id && strncmp(id, "sha256:", 7) == 0)
			id += 7;
		msg_info("%s %.12s %.1f MB", json_string_value(json_object_get(v, "ref")),
		         id ? id : "", mb);
	}
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

/* The plan's images, checked (malloc'd array; strings borrowed). */
static struct image *load_images(const json_t *plan, const char *suffix, size_t *n)
{
	json_t *arr = doc_need(plan, ".plan", "images", JSON_ARRAY);
	struct image *imgs = xcalloc(json_array_size(arr) + 1, sizeof *imgs);
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		struct image *img = &imgs[i];

		img->path = xasprintf(".plan.images[%zu]", i);
		if (!json_is_object(v))
			doc_die(img->path, "expected an object");
		img->plan = v;
		img->name = doc_need_string(v, img->path, "name");
		img->ref = doc_need_string(v, img->path, "ref");
		img->kind = doc_need_string(v, img->path, "kind");
		img->from = doc_want_string(v, img->path, "from");
		if (strcmp(img->kind, "base") && strcmp(img->kind, "script") &&
		    strcmp(img->kind, "dockerfile"))
			doc_die(img->path, "kind: expected \"base\", \"script\" or \"dockerfile\"");
		if (!img->from && strcmp(img->kind, "dockerfile"))
			doc_need_string(v, img->path, "from");
		check_mounts(img);
		img->tmp_ref = xasprintf("%s:%s", img->name, suffix);
	}
	*n = json_array_size(arr);
	return imgs;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"engine", required_argument, NULL, 'e'},
		{"no-cache", no_argument, NULL, 'C'},
		{"prepare", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct engine *d;
	struct image *imgs;
	const char *engine = NULL;
	json_t *doc, *plan;
	const char *wheelhouse = NULL;
	char *suffix;
	size_t n;
	int ch;
	bool prepare = false;

	msg_init("image-assemble");
	/* A closed stdout or engine socket is an error to report, after the
	 * cleanup, not a silent death that leaves containers behind. */
	signal(SIGPIPE, SIG_IGN);
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
		case 'C':
			no_cache = true;
			break;
		case 'P':
			prepare = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}

	doc = doc_read();
	plan = doc_need(doc, "", "plan", JSON_OBJECT);
	wheels = doc_want(doc, "", "wheels", JSON_OBJECT);
	/* A temporary wheelhouse is not removed here: whoever ends the
	 * pipeline does (wheel-build(1)). */
	if (wheels)
		wheelhouse = doc_need_string(wheels, ".wheels", "wheelhouse");
	if (wheels && json_object_get(wheels, "metadata"))
		extensions = doc_want(doc_need(wheels, ".wheels", "metadata", JSON_OBJECT),
		                      ".wheels.metadata", "extensions", JSON_ARRAY);
	package_manager = doc_want_string(plan, ".plan", "package_manager");
	if (json_is_string(json_object_get(plan, "project")))
		cache_repo = pyname_canonical(json_string_value(json_object_get(plan, "project")),
		                              strlen(json_string_value(json_object_get(plan, "project"))));
	suffix = run_suffix();
	imgs = load_images(plan, suffix, &n);

	d = engine_open(engine);
	/* Not with --prepare: pbrx-build-images runs it beside wheel-build,
	 * whose sweep would race this one for the same containers (each
	 * saying it removes them), and the main run sweeps after both. */
	if (!prepare)
		engine_sweep(d);
	rb_start(d);
	if (prepare) {
		/* Only the cache changes: the document goes on as it came. */
		prepare_layers(d, imgs, n);
		reaper_finish();
		cleanup_end();
		doc_write(doc);
		goto out;
	}
	build_all(d, imgs, n, wheelhouse);
	reaper_finish();
	tag_all(d, imgs, n);
	doc_set(doc, "images", images_section(d, imgs, n));
	cleanup_end();
	summary(json_object_get(doc, "images"));
	doc_write(doc);

out:
	for (size_t i = 0; i < n; i++) {
		free(imgs[i].path);
		free(imgs[i].tmp_ref);
		free(imgs[i].id);
	}
	free(imgs);
	free(suffix);
	free(cache_repo);
	json_decref(doc);
	engine_free(d);
	rb_free();
	return EXIT_OK;
}
