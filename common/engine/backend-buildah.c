/* SPDX-License-Identifier: Apache-2.0 */
/* engine-buildah: the engine interface over the buildah command, with no
 * daemon, as root or rootless.  Every buildah command is an argv array
 * run through posix_spawn; nothing goes through a shell.
 *
 * A working container is "buildah from"; what Docker gives a container
 * once (mounts, user, network, the /tmp tmpfs) buildah takes on each
 * "buildah run", so the container's spec is kept here.  The tmpfs on /tmp
 * is a scratch directory on the host bind-mounted at /tmp instead: a
 * "buildah run --mount type=tmpfs" lasts one command, and the steps hand
 * files to each other in /tmp.  Like a tmpfs it never reaches a layer,
 * and mount targets under it are made in it, not in the container.
 *
 * Isolation: --isolation chroot unless BUILDAH_ISOLATION says otherwise;
 * the OCI runtimes fail on hybrid cgroup hosts and in many rootless
 * setups; chroot needs no cgroups and no user namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/backend.h"
#include "engine/imageref.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/spawn.h"
#include "engine/regauth.h"
#include "base/xalloc.h"
#include "image/layout.h"
#include "image/oci.h"

/* A working container as "buildah from" made it, with what each run
 * needs. */
struct bcontainer {
	char *id;
	char *user, *network;
	char *scratch;            /* host directory mounted at /tmp, or NULL */
	struct strv volumes;      /* "--volume=..." or "--mount=..." options */
};

struct buildah {
	struct bcontainer *c;
	size_t n, cap;
	atomic_bool cancel;  /* e_cancel: end the buildah process in flight */
};

#define B(e) ((struct buildah *)(e)->impl)

static const struct engine_ops ops;

/* ---- running buildah ------------------------------------------------ */

/* One buildah command. */
struct call {
	const char *what;          /* the subcommand, for messages */
	const char *obj;           /* what it works on, for messages */
	struct strv argv;          /* buildah's arguments, argv[0] "buildah" */
	bool stream;               /* output live (to output, else stderr) */
	bool own_group;            /* in a process group of its own */
	engine_output_fn *output;
	void *arg;
	struct buf out, err;       /* stdout (not streamed); stderr, or in
	                            * stream mode buildah's own error lines */
	struct buf line;           /* stream mode: the unfinished line */
};

static struct call call_new(const char *what, const char *obj)
{
	struct call c = {.what = what, .obj = obj};

	strv_add(&c.argv, "buildah");
	strv_add(&c.argv, what);
	return c;
}

static void call_free(struct call *c)
{
	strv_free(&c->argv);
	buf_free(&c->out);
	buf_free(&c->err);
	buf_free(&c->line);
}

/* buildah's own lines in a stream: kept for the error message, not
 * shown.  "buildah run" adds these to a command that fails. */
static bool own_line(const char *s, size_t n)
{
	int code;
	char tail;
	char *t = xstrndup(s, n);
	bool own = !strncmp(t, "Error: ", 7) ||
	           sscanf(t, "subprocess exited with status %d%c", &code, &tail) == 1;

	free(t);
	return own;
}

static void emit(struct call *c, const char *s, size_t n)
{
	if (c->output)
		c->output(1, s, n, c->arg);
	else
		(void)!write(STDERR_FILENO, s, n);
}

/* Stream mode: pass complete lines on, keep buildah's own. */
static void stream_feed(struct call *c, const char *s, size_t n, bool eof)
{
	size_t start = 0;

	buf_add(&c->line, s, n);
	for (size_t i = 0; i < c->line.len; i++) {
		if (c->line.p[i] != '\n' && c->line.p[i] != '\r')
			continue;
		if (own_line(c->line.p + start, i - start))
			buf_add(&c->err, c->line.p + start, i + 1 - start);
		else
			emit(c, c->line.p + start, i + 1 - start);
		start = i + 1;
	}
	/* A long unfinished line (a progress bar) need not wait. */
	if (c->line.len - start > 4096 || (eof && c->line.len > start)) {
		if (own_line(c->line.p + start, c->line.len - start))
			buf_add(&c->err, c->line.p + start, c->line.len - start);
		else
			emit(c, c->line.p + start, c->line.len - start);
		start = c->line.len;
	}
	memmove(c->line.p, c->line.p + start, c->line.len - start);
	c->line.len -= start;
}

/* spawn's stream: buildah's stdout and stderr, interleaved. */
static void stream_piece(int stream, const char *data, size_t len, void *arg)
{
	(void)stream;
	stream_feed(arg, data, len, false);
}

/* Run c; its exit status, or -1 (with e's error set) when it could not
 * run, was cancelled or died of a signal. */
static int call_run(struct engine *e, struct call *c)
{
	struct spawn_spec s = {
		.argv = c->argv.v,
		.out = c->stream ? SPAWN_STREAM : SPAWN_CAPTURE,
		.err = c->stream ? SPAWN_MERGE : SPAWN_CAPTURE,
		.output = stream_piece,
		.arg = c,
		.own_group = c->own_group,
		.cancel = &B(e)->cancel,
	};
	struct spawn_result r = {0};
	struct pbrx_error err = {0};
	int status = spawn_run(&s, &r, &err);

	if (c->stream)
		stream_feed(c, "", 0, true);
	buf_add(&c->out, r.out.p ? r.out.p : "", r.out.len);
	if (r.err.len)
		buf_add(&c->err, r.err.p, r.err.len);
	spawn_result_free(&r);
	if (status < 0) {
		engine_fail(e, false, "%s (%s): %s", c->what, c->obj, err.msg);
		error_free(&err);
	}
	return status;
}

/* The message buildah gave: its last "Error: " line without the prefix,
 * else its last line.  Malloc'd. */
static char *buildah_message(const struct call *c, int status)
{
	const char *s = c->err.p ? c->err.p : "", *best = NULL;
	size_t n;

	for (const char *p = s; *p;) {
		n = strcspn(p, "\n");
		if (n && !strncmp(p, "Error: ", 7))
			best = p + 7;
		p += n + (p[n] == '\n');
	}
	if (best)
		return xstrndup(best, strcspn(best, "\n"));
	if ((best = buf_last_line(&c->err, &n)))
		return xstrndup(best, n);
	return xasprintf("exit status %d", status);
}

/* Run c and check it: 0, or -1 with e's error "what (obj): message";
 * missing when buildah's message says so. */
static int call_check(struct engine *e, struct call *c)
{
	int status = call_run(e, c);
	char *m;

	if (status <= 0)
		return status;
	m = buildah_message(c, status);
	engine_fail(e, strstr(m, "image not known") || strstr(m, "not found") ||
	            strstr(m, "No such file"), "%s (%s): %s", c->what, c->obj, m);
	free(m);
	return -1;
}

static bool isolation_set(void)
{
	const char *s = getenv("BUILDAH_ISOLATION");
	return s && *s;
}

/* Buildah wants a name or a bare ID; "sha256:" IDs are the Docker API's. */
static const char *bare(const char *name)
{
	return strncmp(name, "sha256:", 7) ? name : name + 7;
}

/* "sha256:" and the first line of s, trimmed.  Malloc'd. */
static char *image_id(const char *s)
{
	size_t n = strcspn(s, "\r\n");
	return strncmp(s, "sha256:", 7) ? xasprintf("sha256:%.*s", (int)n, s) : xstrndup(s, n);
}

/* ---- opening ------------------------------------------------------ */

bool engine_buildah_installed(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save;
	bool found = false;

	copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *f = xasprintf("%s/buildah", *dir ? dir : ".");
		found = access(f, X_OK) == 0;
		free(f);
	}
	free(copy);
	return found;
}

struct engine *engine_buildah_open(struct pbrx_error *err)
{
	struct engine *e;
	struct call c;

	if (!engine_buildah_installed()) {
		error_set(err, EXIT_FAIL, "buildah is not on PATH");
		return NULL;
	}
	e = engine_new(&ops, xcalloc(1, sizeof(struct buildah)));
	c = call_new("version", "buildah");
	if (call_check(e, &c) < 0) {
		error_set(err, EXIT_FAIL, "%s", engine_error(e) + strlen("buildah: "));
		call_free(&c);
		engine_free(e);
		return NULL;
	}
	call_free(&c);
	return e;
}

static void bc_free(struct bcontainer *c)
{
	free(c->id);
	free(c->user);
	free(c->network);
	free(c->scratch);
	strv_free(&c->volumes);
}

static void e_free(struct engine *e)
{
	struct buildah *b = B(e);

	for (size_t i = 0; i < b->n; i++)
		bc_free(&b->c[i]);
	free(b->c);
	free(b);
}

/* The "buildah run" option that bind-mounts src on dst: "--volume=SRC:DST"
 * splits at every ':', "--mount=type=bind,..." at every ',', so a path
 * with a ':' takes the second.  NULL when a path has both (reported on
 * e).  Malloc'd. */
static char *mount_option(struct engine *e, const char *src, const char *dst, bool ro)
{
	if (!strchr(src, ':') && !strchr(dst, ':'))
		return xasprintf("--volume=%s:%s%s", src, dst, ro ? ":ro" : "");
	if (!strchr(src, ',') && !strchr(dst, ','))
		/* Read-only unless told: buildah's default for --mount. */
		return xasprintf("--mount=type=bind,source=%s,destination=%s,%s", src, dst,
		                 ro ? "ro" : "rw");
	engine_fail(e, false, "%s: buildah can't mount a path with both ':' and ','", src);
	return NULL;
}

static void e_cancel(struct engine *e)
{
	atomic_store(&B(e)->cancel, true);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct engine *e_dup(const struct engine *e)
{
	struct buildah *from = B(e), *b = xcalloc(1, sizeof *b);

	b->c = xcalloc(from->n + 1, sizeof *b->c);
	b->n = b->cap = from->n;
	for (size_t i = 0; i < from->n; i++) {
		struct bcontainer *s = &from->c[i], *d = &b->c[i];
		d->id = xstrdup(s->id);
		d->user = dup_or_null(s->user);
		d->network = dup_or_null(s->network);
		d->scratch = dup_or_null(s->scratch);
		strv_addv(&d->volumes, s->volumes.v);
	}
	return engine_new(&ops, b);
}

/* ---- images ------------------------------------------------------- */

/* The member key of o, or null (new). */
static json_t *member(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return v ? json_incref(v) : json_null();
}

static json_t *e_image_inspect(struct engine *e, const char *name)
{
	struct call c = call_new("inspect", name);
	json_t *j = NULL, *out = NULL, *config, *manifest, *layers, *digests, *l, *oci;
	json_t *sizes = NULL;
	json_error_t jerr;
	const char *id, *digest, *from;
	json_int_t size = 0;
	size_t i;

	strv_add(&c.argv, "--type");
	strv_add(&c.argv, "image");
	strv_add(&c.argv, "--");
	strv_add(&c.argv, bare(name));
	if (call_check(e, &c) < 0)
		goto out;
	j = json_loads(c.out.p, 0, &jerr);
	id = json_string_value(json_object_get(j, "FromImageID"));
	config = json_object_get(json_object_get(j, "Docker"), "config");
	if (!id || !json_is_object(config)) {
		engine_fail(e, false, "inspect (%s): no FromImageID or Docker.config in the answer",
		            name);
		goto out;
	}
	/* The size of an image is that of its layers; buildah gives it
	 * only in the manifest.  Layers stored uncompressed are listed by
	 * their diff ID and uncompressed size: those sizes are what an
	 * image written on top lists (image/oci.h), so that its manifest
	 * gives its size too. */
	oci = json_object_get(j, "OCIv1");
	manifest = json_loads(json_string_value(json_object_get(j, "Manifest")) ?: "", 0, &jerr);
	layers = json_object_get(manifest, "layers");
	sizes = json_array();
	json_array_foreach(layers, i, l) {
		json_int_t n = json_integer_value(json_object_get(l, "size"));
		const json_t *diff = json_array_get(json_object_get(json_object_get(oci, "rootfs"),
		                                                    "diff_ids"), i);

		size += n > 0 ? n : 0;
		if (sizes && n >= 0 && json_equal(json_object_get(l, "digest"), (json_t *)diff))
			json_array_append_new(sizes, json_integer(n));
		else
			json_decref(sizes), sizes = NULL;
	}
	json_decref(manifest);
	digests = json_array();
	digest = json_string_value(json_object_get(j, "FromImageDigest"));
	from = json_string_value(json_object_get(j, "FromImage"));
	if (digest && *digest && from && *from) {
		char *repo = xstrndup(from, imageref_name_len(from));
		json_array_append_new(digests, json_sprintf("%s@%s", repo, digest));
		free(repo);
	}
	out = json_pack("{s:s+, s:o, s:{s:o, s:o, s:o, s:o, s:o, s:o}, s:I}",
	                "Id", strncmp(id, "sha256:", 7) ? "sha256:" : "", id,
	                "RepoDigests", digests,
	                "Config",
	                "User", member(config, "User"),
	                "Env", member(config, "Env"),
	                "WorkingDir", member(config, "WorkingDir"),
	                "Cmd", member(config, "Cmd"),
	                "Entrypoint", member(config, "Entrypoint"),
	                "Labels", member(config, "Labels"),
	                "Size", size);
	/* What an image written on top of this one needs (image/oci.h). */
	if (sizes && json_array_size(sizes) == json_array_size(json_object_get(
			json_object_get(oci, "rootfs"), "diff_ids")))
		json_object_set(out, "LayerSizes", sizes);
	json_object_set_new(out, "Architecture", member(oci, "architecture"));
	json_object_set_new(out, "Os", member(oci, "os"));
	json_object_set_new(out, "RootFS", json_pack("{s:s, s:o}", "Type", "layers", "Layers",
	                                             member(json_object_get(oci, "rootfs"),
	                                                    "diff_ids")));
	if (json_is_array(json_object_get(oci, "history")))
		json_object_set_new(out, "History", member(oci, "history"));
	json_object_set_new(json_object_get(out, "Config"), "ExposedPorts",
	                    member(config, "ExposedPorts"));
	json_object_set_new(json_object_get(out, "Config"), "Volumes", member(config, "Volumes"));
	json_object_set_new(json_object_get(out, "Config"), "StopSignal",
	                    member(config, "StopSignal"));
out:
	json_decref(sizes);
	json_decref(j);
	call_free(&c);
	return out;
}

static int e_image_pull(struct engine *e, const char *name, bool quiet)
{
	struct call c = call_new("pull", name);
	int rc;

	if (quiet)
		strv_add(&c.argv, "--quiet");
	strv_add(&c.argv, "--");
	strv_add(&c.argv, name);
	c.stream = !quiet;
	rc = call_check(e, &c);
	call_free(&c);
	return rc;
}

static int e_image_tag(struct engine *e, const char *image, const char *repo_tag)
{
	struct call c = call_new("tag", image);
	int rc;

	strv_add(&c.argv, "--");
	strv_add(&c.argv, bare(image));
	strv_add(&c.argv, repo_tag);
	rc = call_check(e, &c);
	call_free(&c);
	return rc;
}

static int e_image_remove(struct engine *e, const char *name, bool force)
{
	struct call c = call_new("rmi", name);
	int rc;

	if (force)
		strv_add(&c.argv, "--force");
	strv_add(&c.argv, "--");
	strv_add(&c.argv, bare(name));
	rc = call_check(e, &c);
	call_free(&c);
	return rc;
}

/* A temporary file name in TMPDIR (the file is made, empty).  Malloc'd;
 * NULL (e's error set, "op (obj): PATH: why") when it can't be made. */
static char *temp_file(struct engine *e, const char *op, const char *obj, const char *what)
{
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/pbrx-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", what);
	int fd = mkstemp(path);

	if (fd < 0) {
		engine_fail(e, false, "%s (%s): %s: %s", op, obj, path, strerror(errno));
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/* The text of a small file buildah wrote (--iidfile, --digestfile);
 * "" when there is none.  Malloc'd. */
static char *read_small(const char *path)
{
	struct pbrx_error ignored = {0};
	size_t len;
	char *text = fs_read(path, &len, &ignored);

	error_free(&ignored);
	return text ? text : xstrdup("");
}

static char *e_build(struct engine *e, const struct engine_build_spec *s)
{
	struct call c = call_new("build", s->dockerfile ? s->dockerfile : s->context_dir);
	char *iid = temp_file(e, "build", c.obj, "iid"), *file = NULL, *id = NULL, *text;
	const char *key;
	json_t *v;

	if (!iid)
		goto out;
	if (!isolation_set()) {
		strv_add(&c.argv, "--isolation");
		strv_add(&c.argv, "chroot");
	}
	/* No io.buildah.version label: the image's labels are the plan's. */
	strv_add(&c.argv, "--identity-label=false");
	if (s->network_mode) {
		strv_add(&c.argv, "--network");
		strv_add(&c.argv, s->network_mode);
	}
	if (s->quiet)
		strv_add(&c.argv, "--quiet");
	strv_add(&c.argv, "--iidfile");
	strv_add(&c.argv, iid);
	if (s->repo_tag) {
		strv_add(&c.argv, "--tag");
		strv_add(&c.argv, s->repo_tag);
	}
	json_object_foreach((json_t *)s->labels, key, v) {
		char *l = xasprintf("%s=%s", key, json_string_value(v) ? json_string_value(v) : "");
		strv_add(&c.argv, "--label");
		strv_add(&c.argv, l);
		free(l);
	}
	if (s->dockerfile_text) {
		/* Outside the context: the project's tree stays as it was. */
		FILE *f;
		if (!(file = temp_file(e, "build", c.obj, "Dockerfile")))
			goto out;
		f = fopen(file, "w");
		if (!f || fputs(s->dockerfile_text, f) == EOF || fclose(f) == EOF) {
			engine_fail(e, false, "build (%s): %s: %s", c.obj, file, strerror(errno));
			goto out;
		}
	}
	strv_add(&c.argv, "--file");
	strv_add(&c.argv, file ? file : s->dockerfile);
	strv_add(&c.argv, "--");
	strv_add(&c.argv, s->context_dir);
	c.stream = true;
	if (!s->quiet)
		c.output = NULL;
	if (call_check(e, &c) == 0) {
		text = read_small(iid);
		if (*text)
			id = image_id(text);
		else
			engine_fail(e, false, "build (%s): no image ID in %s", c.obj, iid);
		free(text);
	}
out:
	if (iid)
		unlink(iid);
	free(iid);
	if (file) {
		unlink(file);
		free(file);
	}
	call_free(&c);
	return id;
}

/* ---- containers --------------------------------------------------- */

static struct bcontainer *find(struct engine *e, const char *id)
{
	struct buildah *b = B(e);

	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->c[i].id, id))
			return &b->c[i];
	engine_fail(e, true, "run (%s): no such working container", id);
	return NULL;
}

/* rm -rf dir; what buildah's user namespace made (other subordinate
 * IDs, rootless) goes through "buildah unshare". */
static void remove_scratch(struct engine *e, const char *dir)
{
	struct call c;

	if (fs_try_remove_tree(dir))
		return;
	c = call_new("unshare", dir);
	strv_add(&c.argv, "rm");
	strv_add(&c.argv, "-rf");
	strv_add(&c.argv, "--");
	strv_add(&c.argv, dir);
	if (call_check(e, &c) < 0)
		msg_warn("%s; remove %s by hand", engine_error(e), dir);
	call_free(&c);
}

/* The host directory mounted at /tmp in container id.  Malloc'd. */
static char *scratch_dir(const char *id)
{
	const char *tmp = getenv("TMPDIR");
	return xasprintf("%s/pbrx-buildah-tmp-%s", tmp && *tmp ? tmp : "/tmp", id);
}

static int e_container_remove(struct engine *e, const char *id);

static char *e_container_create(struct engine *e, const struct engine_container_spec *s)
{
	struct call c = call_new("from", s->image);
	struct buildah *b = B(e);
	struct bcontainer bc = {0};
	char *id = NULL;

	strv_add(&c.argv, "--pull=never");
	strv_add(&c.argv, "--quiet");
	if (s->name) {
		strv_add(&c.argv, "--name");
		strv_add(&c.argv, s->name);
	}
	strv_add(&c.argv, "--");
	strv_add(&c.argv, bare(s->image));
	for (size_t i = 0; i < s->nmounts; i++) {
		char *v = mount_option(e, s->mounts[i].source, s->mounts[i].target,
		                       s->mounts[i].read_only);
		if (!v) {
			bc_free(&bc);
			goto out;
		}
		strv_add(&bc.volumes, v);
		free(v);
	}
	if (call_check(e, &c) < 0) {
		bc_free(&bc);
		goto out;
	}
	id = xstrndup(c.out.p, strcspn(c.out.p, "\r\n"));
	bc.id = xstrdup(id);
	if (s->tmpfs_tmp) {
		/* Named after the container, so any engine object can find
		 * and remove it (image-assemble cleans up on a connection of
		 * its own).  Mounted first: the others go under it. */
		char *v;
		bc.scratch = scratch_dir(id);
		if (mkdir(bc.scratch, 01777) < 0 || chmod(bc.scratch, 01777) < 0) {
			engine_fail(e, false, "from (%s): %s: %s", s->image, bc.scratch,
			            strerror(errno));
			v = NULL;
		} else {
			v = mount_option(e, bc.scratch, "/tmp", false);
		}
		if (!v) {
			/* The container is made: it goes, the failure stays. */
			struct pbrx_error saved = engine_error_save(e);
			e_container_remove(e, id);
			engine_error_restore(e, &saved, false);
			bc_free(&bc);
			free(id);
			id = NULL;
			goto out;
		}
		xgrow((void **)&bc.volumes.v, &bc.volumes.cap, bc.volumes.n + 2, sizeof(char *));
		/* A container without mounts had no vector, so no NULL yet. */
		bc.volumes.v[bc.volumes.n] = NULL;
		memmove(bc.volumes.v + 1, bc.volumes.v, (bc.volumes.n + 1) * sizeof(char *));
		bc.volumes.v[0] = v;
		bc.volumes.n++;
	}
	bc.user = dup_or_null(s->user);
	bc.network = dup_or_null(s->network_mode);
	xgrow((void **)&b->c, &b->cap, b->n + 1, sizeof *b->c);
	b->c[b->n++] = bc;
out:
	call_free(&c);
	return id;
}

/* A container's name in buildah's list; borrowed. */
static const char *container_name(const json_t *container)
{
	return json_string_value(json_object_get(container, "containername"));
}

/* buildah's own working containers, not those of Podman in the same
 * storage (--all): they are not ours to remove.  No container at all is
 * "null". */
static json_t *e_container_list(struct engine *e)
{
	struct call c = call_new("containers", "--json");
	json_t *all, *out = NULL;
	json_error_t jerr;

	strv_add(&c.argv, "--json");
	if (call_check(e, &c) < 0)
		goto out;
	all = json_loads(c.out.p, JSON_DECODE_ANY, &jerr);
	if (!json_is_array(all) && !json_is_null(all)) {
		engine_fail(e, false, "containers (--json): %s",
		            all ? "expected an array" : jerr.text);
		json_decref(all);
		goto out;
	}
	out = engine_container_entries(all, "id", container_name);
	json_decref(all);
out:
	call_free(&c);
	return out;
}

static int e_container_start(struct engine *e, const char *id)
{
	return find(e, id) ? 0 : -1;
}

static int e_run(struct engine *e, const char *id, const struct engine_run_spec *s,
                 int *exit_code)
{
	struct bcontainer *bc = find(e, id);
	struct call c;
	const char *user;
	int status;

	if (!bc)
		return -1;
	c = call_new("run", id);
	if (!isolation_set()) {
		strv_add(&c.argv, "--isolation");
		strv_add(&c.argv, "chroot");
	}
	/* Else buildah makes an empty /etc/hosts to mount on, and it stays
	 * in the layer. */
	strv_add(&c.argv, "--no-hosts");
	/* chroot isolation has the host's network and takes no other. */
	if (bc->network && isolation_set()) {
		strv_add(&c.argv, "--network");
		strv_add(&c.argv, bc->network);
	}
	user = s->user ? s->user : bc->user;
	if (user) {
		strv_add(&c.argv, "--user");
		strv_add(&c.argv, user);
	}
	if (s->workdir) {
		strv_add(&c.argv, "--workingdir");
		strv_add(&c.argv, s->workdir);
	}
	/* buildah run takes no variable from its own environment: the
	 * values go on its command line (readable in /proc by this user). */
	for (char *const *v = s->env; v && *v; v++) {
		strv_add(&c.argv, "--env");
		strv_add(&c.argv, *v);
	}
	for (size_t i = 0; i < bc->volumes.n; i++)
		strv_add(&c.argv, bc->volumes.v[i]);
	strv_add(&c.argv, "--");
	strv_add(&c.argv, id);
	strv_addv(&c.argv, s->argv);
	c.stream = true;
	c.own_group = true;
	c.output = s->output;
	c.arg = s->arg;
	status = call_run(e, &c);
	if (status < 0) {
		call_free(&c);
		return -1;
	}
	/* 125: buildah itself failed, unless the command said otherwise. */
	if (status == 125 && c.err.p && strstr(c.err.p, "Error: ") &&
	    !strstr(c.err.p, "subprocess exited with status 125")) {
		char *m = buildah_message(&c, status);
		engine_fail(e, false, "run (%s): %s", id, m);
		free(m);
		call_free(&c);
		return -1;
	}
	*exit_code = status;
	call_free(&c);
	return 0;
}

static int e_image_read_file(struct engine *e, const char *image, const char *path,
                             char **data, size_t *len)
{
	struct engine_container_spec spec = {.name = "pbrx-read-file", .image = image,
	                                     .network_mode = "none"};
	char *id = engine_container_create(e, &spec);
	struct call c;
	int rc = -1, status;

	if (!id)
		return -1;
	/* Through cat in the image: no mount, which needs "buildah
	 * unshare" when rootless; symlinks resolve inside the image. */
	c = call_new("run", image);
	if (!isolation_set()) {
		strv_add(&c.argv, "--isolation");
		strv_add(&c.argv, "chroot");
	}
	strv_add(&c.argv, "--no-hosts");
	strv_add(&c.argv, "--");
	strv_add(&c.argv, id);
	strv_add(&c.argv, "cat");
	strv_add(&c.argv, "--");
	strv_add(&c.argv, path);
	status = call_run(e, &c);
	if (status == 0) {
		*len = c.out.len;
		*data = xmalloc(c.out.len + 1);
		memcpy(*data, c.out.p, c.out.len);
		(*data)[c.out.len] = '\0';
		rc = 0;
	} else if (status > 0) {
		char *m = c.err.p ? xstrndup(c.err.p, strcspn(c.err.p, "\n")) : xstrdup("");
		engine_fail(e, strstr(m, "No such file") != NULL, "run (%s:%s): %s", image, path,
		            *m ? m : "cat failed");
		free(m);
	}
	call_free(&c);
	{
		/* Keep the reason of the failure, not the removal's. */
		struct pbrx_error saved = engine_error_save(e);
		bool missing = engine_missing(e);
		engine_container_remove(e, id);
		engine_error_restore(e, &saved, missing);
	}
	free(id);
	return rc;
}

/* Add the buildah config options for one Dockerfile line of a commit. */
static int config_change(struct engine *e, struct call *c, const char *line)
{
	size_t kw = strcspn(line, " ");
	const char *rest = line + kw + strspn(line + kw, " ");
	json_error_t jerr;

	if (!strncmp(line, "CMD", kw) || !strncmp(line, "ENTRYPOINT", kw)) {
		json_t *a = json_loads(rest, 0, &jerr);
		if (!json_is_array(a)) {
			json_decref(a);
			engine_fail(e, false, "config (%s): not a JSON array: %s", c->obj, line);
			return -1;
		}
		strv_add(&c->argv, *line == 'C' ? "--cmd" : "--entrypoint");
		/* An empty one is none: "" for buildah. */
		strv_add(&c->argv, json_array_size(a) ? rest : "");
		json_decref(a);
	} else if (!strncmp(line, "LABEL", kw)) {
		/* LABEL "k"="v": JSON strings. */
		json_t *k = NULL, *v = NULL;
		char *arr = xasprintf("[%s]", rest), *eq;
		/* The first '=' after the key's closing quote. */
		eq = NULL;
		for (char *p = arr + 2; *p && !eq; p++) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				eq = p + 1;
		}
		if (eq && *eq == '=') {
			*eq = ',';
			json_t *pair = json_loads(arr, 0, &jerr);
			k = json_incref(json_array_get(pair, 0));
			v = json_incref(json_array_get(pair, 1));
			json_decref(pair);
		}
		free(arr);
		if (!json_is_string(k) || !json_is_string(v)) {
			json_decref(k);
			json_decref(v);
			engine_fail(e, false, "config (%s): cannot read %s", c->obj, line);
			return -1;
		}
		arr = xasprintf("%s=%s", json_string_value(k), json_string_value(v));
		strv_add(&c->argv, "--label");
		strv_add(&c->argv, arr);
		free(arr);
		json_decref(k);
		json_decref(v);
	} else if (!strncmp(line, "ENV", kw)) {
		strv_add(&c->argv, "--env");
		strv_add(&c->argv, rest);
	} else if (!strncmp(line, "USER", kw)) {
		strv_add(&c->argv, "--user");
		strv_add(&c->argv, rest);
	} else if (!strncmp(line, "WORKDIR", kw)) {
		strv_add(&c->argv, "--workingdir");
		strv_add(&c->argv, rest);
	} else {
		engine_fail(e, false, "config (%s): unsupported change: %s", c->obj, line);
		return -1;
	}
	return 0;
}

static char *e_commit(struct engine *e, const char *id, const char *repo_tag,
                      char *const *changes)
{
	struct call c = call_new("config", id);
	char *iid = NULL, *img = NULL, *text;

	for (char *const *l = changes; l && *l; l++)
		if (config_change(e, &c, *l) < 0)
			goto out;
	strv_add(&c.argv, "--");
	strv_add(&c.argv, id);
	if (changes && *changes && call_check(e, &c) < 0)
		goto out;
	call_free(&c);

	c = call_new("commit", id);
	if (!(iid = temp_file(e, "commit", id, "iid")))
		goto out;
	strv_add(&c.argv, "--quiet");
	strv_add(&c.argv, "--identity-label=false");
	strv_add(&c.argv, "--iidfile");
	strv_add(&c.argv, iid);
	strv_add(&c.argv, "--");
	strv_add(&c.argv, id);
	if (repo_tag)
		strv_add(&c.argv, repo_tag);
	if (call_check(e, &c) < 0)
		goto out;
	text = read_small(iid);
	if (*text)
		img = image_id(text);
	else
		engine_fail(e, false, "commit (%s): no image ID in %s", id, iid);
	free(text);
out:
	if (iid) {
		unlink(iid);
		free(iid);
	}
	call_free(&c);
	return img;
}

/* Kill the "buildah run" processes of container id, each the leader of
 * its process group (see e_run), with all they started: a removed Docker
 * container takes its execs with it, buildah leaves them running.  Found
 * in /proc, since they may be another process's children (wheel-build
 * runs the steps in a child).  SIGTERM first: buildah then removes its
 * bundle directory in /var/tmp; SIGKILL after 5 s. */
static void kill_runs(const char *id)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t groups[64];
	size_t ngroups = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[64], buf[8192];
		pid_t pid = (pid_t)atol(de->d_name);
		ssize_t n;
		int fd;
		bool run = false, match = false;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		{
			const char *a0 = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
			if (strcmp(a0, "buildah") || getpgid(pid) != pid)
				continue;
		}
		for (char *a = buf; a < buf + n; a += strlen(a) + 1) {
			if (!strcmp(a, "run"))
				run = true;
			else if (run && !strcmp(a, id))
				match = true;
		}
		if (match && ngroups < sizeof groups / sizeof groups[0] && kill(-pid, SIGTERM) == 0)
			groups[ngroups++] = pid;
	}
	closedir(d);
	for (int tries = 0; ngroups && tries < 50; tries++) {
		size_t alive = 0;
		for (size_t i = 0; i < ngroups; i++) {
			/* Our own child must be reaped to be gone. */
			waitpid(groups[i], NULL, WNOHANG);
			if (kill(-groups[i], 0) == 0)
				groups[alive++] = groups[i];
		}
		ngroups = alive;
		if (ngroups)
			nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	for (size_t i = 0; i < ngroups; i++)
		kill(-groups[i], SIGKILL);
}

static int e_container_remove(struct engine *e, const char *id)
{
	struct buildah *b = B(e);
	struct call c = call_new("rm", id);
	char *scratch = scratch_dir(id);
	struct stat st;
	int rc;

	kill_runs(id);
	strv_add(&c.argv, "--");
	strv_add(&c.argv, id);
	rc = call_check(e, &c);
	call_free(&c);
	for (size_t i = 0; i < b->n; i++) {
		if (strcmp(b->c[i].id, id))
			continue;
		bc_free(&b->c[i]);
		b->c[i] = b->c[--b->n];
		break;
	}
	if (lstat(scratch, &st) == 0)
		remove_scratch(e, scratch);
	free(scratch);
	return rc;
}

/* ---- push --------------------------------------------------------- */

struct push_out {
	const char *name;
};

/* buildah push's lines, one at a time, shown as "NAME: LINE": progress
 * (msg_info), which a renderer's quiet mode leaves out.  Not on a
 * terminal, buildah 1.28 says "Copying blob sha256:..." for every layer,
 * sent or found in the registry, so the layers are not counted. */
static void push_output(int stream, const char *data, size_t len, void *arg)
{
	struct push_out *p = arg;
	size_t n = len;

	(void)stream;
	while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (!n)
		return;
	msg_info("%s: %.*s", p->name, (int)n, data);
}

/* buildah push NAME docker://NAME.  Credentials: buildah reads
 * REGISTRY_AUTH_FILE itself; otherwise those of the docker configuration
 * (helpers run here, see regauth.h) go to a private temporary
 * --authfile, so both engines push with the same ones, and buildah never
 * falls back to files of its own.  TLS: a registry on loopback may be
 * plain HTTP, which dockerd allows by default and buildah only with
 * --tls-verify=false (which also skips certificate checks, as dockerd
 * does there); not when the caller gave a --cert-dir or a certs.d
 * directory names the registry: someone said what to trust. */
static int e_push(struct engine *e, const char *name, const struct engine_push_spec *spec,
                  struct engine_push_result *result)
{
	struct call c = call_new("push", name);
	struct push_out po = {name};
	char *registry = regauth_registry(name), *certs = NULL;
	struct pbrx_error err = {0};
	char *digestfile = temp_file(e, "push", name, "digest"), *dest = xasprintf("docker://%s", name);
	const char *env = getenv("REGISTRY_AUTH_FILE");
	char *authfile = NULL;
	int rc = -1;

	*result = (struct engine_push_result){0};
	if (!digestfile)
		goto out;
	if (!env || !*env) {
		if (!(authfile = temp_file(e, "push", name, "auth")))
			goto out;
		if (regauth_authfile(registry, authfile, &err) < 0) {
			engine_fail(e, false, "push (%s): %s", name, err.msg);
			goto out;
		}
		strv_add(&c.argv, "--authfile");
		strv_add(&c.argv, authfile);
	}
	if (spec->cert_dir) {
		strv_add(&c.argv, "--cert-dir");
		strv_add(&c.argv, spec->cert_dir);
		strv_add(&c.argv, "--tls-verify=true");
	} else if (regauth_loopback(registry) && !(certs = regauth_certs_dir(registry))) {
		strv_add(&c.argv, "--tls-verify=false");
	}
	strv_add(&c.argv, "--digestfile");
	strv_add(&c.argv, digestfile);
	if (spec->quiet)
		strv_add(&c.argv, "--quiet");
	strv_add(&c.argv, "--");
	strv_add(&c.argv, bare(name));
	strv_add(&c.argv, dest);
	c.stream = !spec->quiet;
	c.output = push_output;
	c.arg = &po;
	rc = call_check(e, &c);
	if (rc == 0) {
		char *d = read_small(digestfile);
		d[strcspn(d, "\r\n")] = '\0';
		if (*d)
			result->digest = d;
		else
			free(d);
	}
out:
	if (digestfile)
		unlink(digestfile);
	if (authfile)
		unlink(authfile);
	free(authfile);
	call_free(&c);
	free(certs);
	error_free(&err);
	free(registry);
	free(digestfile);
	free(dest);
	return rc;
}

/* ---- loading an image pbrx wrote ---------------------------------- */

/* An OCI layout in a temporary directory, copied into containers-storage
 * by skopeo (the same library as buildah pull; it reuses the base's
 * layers by their uncompressed digests), or by buildah pull oci:DIR
 * when skopeo can't be run. */
/* Does name start with a registry host ("HOST.DOMAIN/", "HOST:PORT/",
 * "localhost/")? */
static bool has_registry(const char *name)
{
	const char *slash = strchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : 0;

	return slash && (memchr(name, '.', n) || memchr(name, ':', n) ||
	                 (n == 9 && !strncmp(name, "localhost", 9)));
}

static char *e_image_load(struct engine *e, const struct oci_image *img, const char *repo_tag,
                          bool quiet)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/pbrx-load.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *src = NULL, *dst = NULL, *id = NULL;
	struct pbrx_error err = {0};
	struct call c = {.what = "load", .obj = repo_tag};
	json_t *j = NULL;
	int rc;

	if (!repo_tag) {
		engine_fail(e, false, "load (%s): an image needs a name", img->id);
		free(dir);
		return NULL;
	}
	if (!mkdtemp(dir)) {
		engine_fail(e, false, "load (%s): %s: %s", repo_tag, dir, strerror(errno));
		free(dir);
		return NULL;
	}
	if (oci_layout_dir(img, NULL, dir, &err) < 0) {
		engine_fail(e, false, "load (%s): %s", repo_tag, err.msg);
		error_free(&err);
		goto out;
	}
	src = xasprintf("oci:%s", dir);
	/* A name without a registry is buildah's own, "localhost/NAME", as
	 * its commit and tag make it; containers-storage alone would take
	 * it for docker.io's. */
	dst = xasprintf("containers-storage:%s%s", has_registry(repo_tag) ? "" : "localhost/",
	                repo_tag);
	strv_add(&c.argv, "skopeo");
	strv_add(&c.argv, "copy");
	if (quiet)
		strv_add(&c.argv, "--quiet");
	strv_add(&c.argv, "--");
	strv_add(&c.argv, src);
	strv_add(&c.argv, dst);
	c.stream = !quiet;
	rc = call_run(e, &c);
	if (rc < 0) {
		/* skopeo could not be run: buildah itself (tag it after). */
		call_free(&c);
		c = call_new("pull", repo_tag);
		if (quiet)
			strv_add(&c.argv, "--quiet");
		strv_add(&c.argv, "--");
		strv_add(&c.argv, src);
		c.stream = !quiet;
		if (call_check(e, &c) < 0 || e_image_tag(e, img->id, repo_tag) < 0)
			goto out;
	} else if (rc > 0) {
		char *m = buildah_message(&c, rc);
		engine_fail(e, false, "load (%s): skopeo copy: %s", repo_tag, m);
		free(m);
		goto out;
	}
	if ((j = e_image_inspect(e, repo_tag)))
		id = xstrdup(json_string_value(json_object_get(j, "Id")) ?: "");
out:
	call_free(&c);
	json_decref(j);
	fs_try_remove_tree(dir);
	free(dir);
	free(src);
	free(dst);
	return id;
}

static void remove_scratch(struct engine *e, const char *dir);

/* Blob digest of the OCI layout dir, parsed: a new reference, or NULL
 * with e's error. */
static json_t *layout_json(struct engine *e, const char *name, const char *dir,
                           const char *digest)
{
	char *p = digest ? xasprintf("%s/blobs/sha256/%s", dir, digest + 7)
	                 : xasprintf("%s/index.json", dir);
	struct pbrx_error err = {0};
	char *bytes = strncmp(digest ? digest : "sha256:", "sha256:", 7) ? NULL
	                                                                : fs_read(p, NULL, &err);
	json_t *j = bytes ? json_loads(bytes, 0, NULL) : NULL;

	if (!j)
		engine_fail(e, false, "export (%s): %s: %s", name, p,
		            err.msg ? err.msg : "not a JSON document");
	error_free(&err);
	free(bytes);
	free(p);
	return j;
}

/* buildah push --disable-compression to an OCI layout beside l's, whose
 * layers, uncompressed already, are read into l (through libarchive's
 * filters all the same: a layer some storage keeps compressed comes
 * out so). */
static int e_image_export(struct engine *e, const char *name, struct layout *l, char **config,
                          size_t *config_len, struct strv *layers)
{
	char *dir = xasprintf("%s/.export", layout_tmpdir(l)), *dest = xasprintf("oci:%s", dir);
	struct call c = call_new("push", name);
	json_t *index = NULL, *man = NULL, *d;
	struct pbrx_error err = {0};
	const char *cfg;
	size_t i;
	int rc = -1;

	strv_add(&c.argv, "--quiet");
	strv_add(&c.argv, "--disable-compression");
	strv_add(&c.argv, "--");
	strv_add(&c.argv, bare(name));
	strv_add(&c.argv, dest);
	if (call_check(e, &c) < 0)
		goto out;
	if (!(index = layout_json(e, name, dir, NULL)) ||
	    !(man = layout_json(e, name, dir, json_string_value(json_object_get(
		    json_array_get(json_object_get(index, "manifests"), 0), "digest")))))
		goto out;
	cfg = json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
	if (cfg && !strncmp(cfg, "sha256:", 7)) {
		char *p = xasprintf("%s/blobs/sha256/%s", dir, cfg + 7);
		*config = fs_read(p, config_len, &err);
		free(p);
	}
	if (!*config) {
		engine_fail(e, false, "export (%s): no config: %s", name, err.msg ? err.msg : "?");
		goto out;
	}
	json_array_foreach(json_object_get(man, "layers"), i, d) {
		const char *digest = json_string_value(json_object_get(d, "digest"));
		char diff_id[LAYER_DIGEST_LEN], *p;
		int r;

		if (!digest || strncmp(digest, "sha256:", 7) || strchr(digest, '/')) {
			engine_fail(e, false, "export (%s): layer %zu: a bad digest", name, i);
			goto out;
		}
		p = xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
		r = layout_add_layer(l, p, diff_id, &err);
		free(p);
		if (r < 0) {
			engine_fail(e, false, "export (%s): %s", name, err.msg);
			goto out;
		}
		strv_add(layers, diff_id);
	}
	rc = 0;
out:
	error_free(&err);
	json_decref(index);
	json_decref(man);
	remove_scratch(e, dir);
	call_free(&c);
	free(dest);
	free(dir);
	return rc;
}

static const struct engine_ops ops = ENGINE_OPS("buildah");
