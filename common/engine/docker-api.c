/* SPDX-License-Identifier: Apache-2.0 */
/* docker-api: the Engine API's endpoints (images, containers, exec,
 * archive, commit, build, push) over docker-http.  Reference: the
 * Engine API v1.41 documentation
 * (https://docs.docker.com/engine/api/v1.41/). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/docker-http.h"
#include "engine/imageref.h"
#include "base/msg.h"
#include "base/xalloc.h"

/* GET /images/NAME/WHAT (endpoint: its template, for messages): the
 * answer, or NULL with the failure recorded. */
static json_t *image_get(struct docker *d, const char *name, const char *what,
                         const char *endpoint)
{
	char *path = http_path_with("/images/", name, what);
	json_t *out = NULL;

	http_request_json(d, "GET", endpoint, name, path, true, NULL, &out);
	free(path);
	return out;
}

json_t *docker_image_inspect(struct docker *d, const char *name)
{
	return image_get(d, name, "/json", "/images/{name}/json");
}

json_t *docker_image_history(struct docker *d, const char *name)
{
	return image_get(d, name, "/history", "/images/{name}/history");
}

int docker_image_pull(struct docker *d, const char *name, bool quiet)
{
	struct xfer x = {.sink = SINK_PROGRESS, .progress_out = quiet ? NULL : stderr};
	struct buf path = {0};
	struct curl_slist *hdrs;
	char *repo, *tag;
	int ret;

	imageref_split(name, &repo, &tag);
	buf_adds(&path, "/images/create");
	http_query(&path, "fromImage", repo);
	/* Without a tag the API pulls every tag of the repository. */
	http_query(&path, "tag", *tag ? tag : "latest");
	/* base64 of "{}": anonymous; some daemons want the header present. */
	hdrs = curl_slist_append(NULL, "X-Registry-Auth: e30=");
	ret = http_request(d, &x, "POST", "/images/create", name, path.p, true, NULL, NULL, 0, hdrs);
	http_xfer_free(&x);
	buf_free(&path);
	free(repo);
	free(tag);
	return ret;
}

/* One line of a push's progress stream: errors kept (not shown: the
 * caller reports them once), the layers counted, the digest kept, status
 * changes shown as "NAME: LAYER: STATUS" (the byte counts of "Pushing"
 * repeat for every chunk and are left out). */
static void push_line(struct xfer *x)
{
	struct docker_push_result *r = x->push;
	json_t *j = json_loadb(x->line.p, x->line.len, JSON_ALLOW_NUL, NULL);
	json_t *detail = json_object_get(j, "progressDetail");
	const char *err, *status, *id, *digest;

	if (!json_is_object(j))
		goto out;
	err = json_string_value(json_object_get(json_object_get(j, "errorDetail"), "message"));
	if (!err)
		err = json_string_value(json_object_get(j, "error"));
	if (err) {
		if (!x->prog.error)
			x->prog.error = xstrdup(err);
		goto out;
	}
	digest = json_string_value(json_object_get(json_object_get(j, "aux"), "Digest"));
	if (digest && !r->digest)
		r->digest = xstrdup(digest);
	status = json_string_value(json_object_get(j, "status"));
	id = json_string_value(json_object_get(j, "id"));
	if (id)
		r->layers_known = true;
	/* Podman's service sends no "aux", only the line the docker CLI
	 * prints, "TAG: digest: sha256:HEX size: N". */
	if (status && !r->digest && (digest = strstr(status, ": digest: sha256:")) &&
	    strspn(digest + 17, "0123456789abcdef") == 64)
		r->digest = xstrndup(digest + 10, 71);
	if (!status || (json_is_object(detail) && json_object_size(detail)))
		goto out;
	if (id && !strcmp(status, "Pushed"))
		r->layers_pushed++;
	else if (id && (!strcmp(status, "Layer already exists") ||
	                !strncmp(status, "Mounted from ", 13)))
		r->layers_existing++;
	/* Progress: an info line, which a renderer's quiet mode leaves out. */
	if (x->progress_out)
		msg_info("%s: %s%s%s%s", x->push_name, id ? "layer " : "", id ? id : "",
		         id ? ": " : "", status);
out:
	json_decref(j);
}

int docker_image_push(struct docker *d, const char *name, const char *auth, bool insecure,
                      bool quiet, struct docker_push_result *result)
{
	struct xfer x = {.sink = SINK_PROGRESS, .progress_out = quiet ? NULL : stderr,
	                 .on_line = push_line, .push = result, .push_name = name};
	struct buf path = {0}, hdr = {0};
	struct curl_slist *hdrs;
	char *p, *repo, *tag;
	int ret;

	*result = (struct docker_push_result){0};
	imageref_split(name, &repo, &tag);
	p = http_path_with("/images/", repo, "/push");
	buf_adds(&path, p);
	/* Without a tag the API pushes every tag of the repository. */
	http_query(&path, "tag", *tag ? tag : "latest");
	if (insecure)
		http_query(&path, "tlsVerify", "false");
	/* The header holds a secret: never in a message (-v shows only the
	 * URL, and no CURLOPT_VERBOSE is ever set on the handle). */
	buf_adds(&hdr, "X-Registry-Auth: ");
	buf_adds(&hdr, auth && *auth ? auth : "e30=");
	hdrs = curl_slist_append(NULL, hdr.p);
	ret = http_request(d, &x, "POST", "/images/{name}/push", name, path.p, true, NULL, NULL, 0, hdrs);
	explicit_bzero(hdr.p, hdr.len);
	if (ret < 0) {
		free(result->digest);
		result->digest = NULL;
	}
	http_xfer_free(&x);
	buf_free(&path);
	buf_free(&hdr);
	free(p);
	free(repo);
	free(tag);
	return ret;
}

int docker_image_tag(struct docker *d, const char *image, const char *repo_tag)
{
	struct buf path = {0};
	char *p = http_path_with("/images/", image, "/tag"), *repo, *tag;
	int ret;

	imageref_split(repo_tag, &repo, &tag);
	buf_adds(&path, p);
	http_query(&path, "repo", repo);
	if (*tag)
		http_query(&path, "tag", tag);
	ret = http_request_json(d, "POST", "/images/{name}/tag", repo_tag, path.p, true, NULL, NULL);
	buf_free(&path);
	free(p);
	free(repo);
	free(tag);
	return ret;
}

int docker_image_remove(struct docker *d, const char *name, bool force)
{
	char *p = http_path_with("/images/", name, force ? "?force=1" : "");
	int ret = http_request_json(d, "DELETE", "/images/{name}", name, p, true, NULL, NULL);

	free(p);
	return ret;
}

/* A JSON array of a NULL-terminated argv (new); an empty argv gives
 * [""], which is how the API says "none" for Entrypoint. */
static json_t *argv_json(char *const *argv)
{
	json_t *a = json_array();

	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	if (json_array_size(a) == 0)
		json_array_append_new(a, json_string(""));
	return a;
}

static void set_string(json_t *o, const char *key, const char *value)
{
	if (value)
		json_object_set_new(o, key, json_string(value));
}

/* The short form of an ID for messages, 12 hex digits as the CLI shows,
 * in out; returned, unless id is a container's name (not hex), which is
 * returned whole. */
static const char *short_id(const char *id, char out[13])
{
	const char *h = strncmp(id, "sha256:", 7) ? id : id + 7;
	snprintf(out, 13, "%s", h);
	return h[strspn(h, "0123456789abcdef")] ? id : out;
}

char *docker_container_create(struct docker *d, const struct docker_container_spec *spec)
{
	json_t *body = json_object(), *host = json_object(), *mounts = json_array(), *out = NULL;
	struct buf path = {0};
	char *id = NULL;

	json_object_set_new(body, "Image", json_string(spec->image));
	if (spec->cmd)
		json_object_set_new(body, "Cmd", argv_json(spec->cmd));
	if (spec->entrypoint)
		json_object_set_new(body, "Entrypoint", argv_json(spec->entrypoint));
	if (spec->env) {
		json_t *env = argv_json(spec->env);
		if (!spec->env[0])
			json_array_clear(env);
		json_object_set_new(body, "Env", env);
	}
	set_string(body, "WorkingDir", spec->workdir);
	set_string(body, "User", spec->user);
	set_string(host, "NetworkMode", spec->network_mode);
	for (size_t i = 0; i < spec->nmounts; i++) {
		const struct docker_mount *m = &spec->mounts[i];
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind",
		                                        "Source", m->source, "Target", m->target,
		                                        "ReadOnly", m->read_only));
	}
	if (spec->nmounts)
		json_object_set(host, "Mounts", mounts);
	/* exec: pip runs build helpers from /tmp; Docker's tmpfs default is
	 * fine, but say it so Podman does the same. */
	if (spec->tmpfs_tmp)
		json_object_set_new(host, "Tmpfs", json_pack("{s:s}", "/tmp", "rw,exec,mode=1777"));
	json_object_set_new(body, "HostConfig", host);

	buf_adds(&path, "/containers/create");
	if (spec->name)
		http_query(&path, "name", spec->name);
	if (http_request_json(d, "POST", "/containers/create", spec->name ? spec->name : spec->image,
	                 path.p, true, body, &out) == 0) {
		const char *s = json_string_value(json_object_get(out, "Id"));
		json_t *w = json_object_get(out, "Warnings");
		size_t i;
		json_t *v;

		json_array_foreach(w, i, v)
			if (json_string_value(v) && *json_string_value(v))
				msg_warn("docker: %s", json_string_value(v));
		if (s)
			id = xstrdup(s);
		else
			http_fail(d, "POST", "/containers/create", spec->name ? spec->name : spec->image,
			     "no Id in the answer");
	}
	json_decref(out);
	json_decref(mounts);
	json_decref(body);
	buf_free(&path);
	return id;
}

json_t *docker_container_list(struct docker *d)
{
	json_t *out = NULL;

	if (http_request_json(d, "GET", "/containers/json", NULL, "/containers/json?all=1", true,
	                 NULL, &out) < 0)
		return NULL;
	if (!json_is_array(out)) {
		json_decref(out);
		http_fail(d, "GET", "/containers/json", NULL, "expected an array in the answer");
		return NULL;
	}
	return out;
}

/* "method /containers/ID suffix", no body, the answer into *out (NULL:
 * dropped); op names the endpoint in messages. */
static int container_call(struct docker *d, const char *method, const char *op, const char *id,
                          const char *suffix, json_t **out)
{
	char *p = http_path_with("/containers/", id, suffix), sid[13];
	int ret = http_request_json(d, method, op, short_id(id, sid), p, true, NULL, out);

	free(p);
	return ret;
}

int docker_container_start(struct docker *d, const char *id)
{
	return container_call(d, "POST", "/containers/{id}/start", id, "/start", NULL);
}

int docker_container_wait(struct docker *d, const char *id, long *status)
{
	json_t *out = NULL;
	char sid[13];
	int ret = container_call(d, "POST", "/containers/{id}/wait", id, "/wait", &out);

	short_id(id, sid);
	if (ret == 0) {
		json_t *code = json_object_get(out, "StatusCode");
		if (json_is_integer(code))
			*status = (long)json_integer_value(code);
		else
			ret = http_fail(d, "POST", "/containers/{id}/wait", sid, "no StatusCode in the answer");
	}
	json_decref(out);
	return ret;
}

int docker_container_remove(struct docker *d, const char *id)
{
	return container_call(d, "DELETE", "/containers/{id}", id, "?force=1&v=1", NULL);
}

static void to_stderr(int stream, const char *data, size_t len, void *arg)
{
	(void)stream;
	(void)arg;
	fwrite(data, 1, len, stderr);
	fflush(stderr);
}

int docker_exec(struct docker *d, const char *id, const struct engine_run_spec *spec,
                int *exit_code)
{
	json_t *body = json_object(), *out = NULL;
	char *path = http_path_with("/containers/", id, "/exec"), *eid = NULL, sid[13];
	struct xfer x = {.sink = SINK_DEMUX, .out = spec->output ? spec->output : to_stderr,
	                 .arg = spec->arg};
	static const char start[] = "{\"Detach\":false,\"Tty\":false}";
	int ret = -1;

	short_id(id, sid);
	json_object_set_new(body, "AttachStdout", json_true());
	json_object_set_new(body, "AttachStderr", json_true());
	json_object_set_new(body, "Tty", json_false());
	json_object_set_new(body, "Cmd", argv_json(spec->argv));
	if (spec->env)
		json_object_set_new(body, "Env", argv_json(spec->env));
	set_string(body, "WorkingDir", spec->workdir);
	set_string(body, "User", spec->user);
	if (http_request_json(d, "POST", "/containers/{id}/exec", sid, path, true, body, &out) < 0)
		goto out;
	if (!json_string_value(json_object_get(out, "Id"))) {
		http_fail(d, "POST", "/containers/{id}/exec", sid, "no Id in the answer");
		goto out;
	}
	eid = xstrdup(json_string_value(json_object_get(out, "Id")));
	json_decref(out);
	out = NULL;

	/* Without Tty the answer is application/vnd.docker.raw-stream: no
	 * length, no chunking, frames until EOF. */
	free(path);
	path = http_path_with("/exec/", eid, "/start");
	if (http_request(d, &x, "POST", "/exec/{id}/start", sid, path, true, "application/json",
	            start, sizeof start - 1, NULL) < 0)
		goto out;
	if (!docker_demux_complete(&x.demux))
		msg_warn("docker: POST /exec/{id}/start (%s): stream ended inside a frame", sid);

	free(path);
	path = http_path_with("/exec/", eid, "/json");
	/* The exec can still read as running for a moment after EOF. */
	for (int tries = 0; tries < 200; tries++) {
		json_t *code;

		json_decref(out);
		out = NULL;
		if (http_request_json(d, "GET", "/exec/{id}/json", sid, path, true, NULL, &out) < 0)
			goto out;
		code = json_object_get(out, "ExitCode");
		if (!json_is_true(json_object_get(out, "Running")) && json_is_integer(code)) {
			*exit_code = (int)json_integer_value(code);
			ret = 0;
			goto out;
		}
		nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
	}
	http_fail(d, "GET", "/exec/{id}/json", sid, "the command still runs after its output ended");
out:
	http_xfer_free(&x);
	json_decref(out);
	json_decref(body);
	free(eid);
	free(path);
	return ret;
}

/* The first entry of a tar stream in memory: a regular file's content
 * (into *data) or a symlink's target (into *link).  0, or -1 with *why. */
static int tar_first(const struct buf *tar, char **data, size_t *len, char **link,
                     const char **why)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ret = -1;

	*data = *link = NULL;
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, tar->p, tar->len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		*why = archive_error_string(a) ? archive_error_string(a) : "empty archive";
		*why = xstrdup(*why);
		goto out;
	}
	if (archive_entry_filetype(e) == AE_IFLNK) {
		*link = xstrdup(archive_entry_symlink(e));
		ret = 0;
	} else if (archive_entry_filetype(e) == AE_IFREG) {
		struct buf b = {0};
		char chunk[16384];
		la_ssize_t n;

		buf_add(&b, "", 0);
		while ((n = archive_read_data(a, chunk, sizeof chunk)) > 0)
			buf_add(&b, chunk, (size_t)n);
		if (n < 0) {
			*why = xstrdup(archive_error_string(a));
			buf_free(&b);
			goto out;
		}
		*data = b.p;
		*len = b.len;
		ret = 0;
	} else {
		*why = xstrdup("not a regular file");
	}
out:
	archive_read_free(a);
	return ret;
}

int docker_container_read_file(struct docker *d, const char *id, const char *path,
                               char **data, size_t *len)
{
	char sid[13], *cur = xstrdup(path);
	int ret = -1, depth;

	short_id(id, sid);
	for (depth = 0; depth < 16; depth++) {
		struct xfer x = {.sink = SINK_BUFFER};
		struct buf p = {0};
		char *link = NULL, *what;
		const char *why = NULL;
		char *p0 = http_path_with("/containers/", id, "/archive");
		int r;

		buf_adds(&p, p0);
		free(p0);
		http_query(&p, "path", cur);
		what = xasprintf("%s:%s", sid, cur);
		r = http_request(d, &x, "GET", "/containers/{id}/archive", what, p.p, true, NULL, NULL, 0, NULL);
		if (r == 0 && tar_first(&x.body, data, len, &link, &why) < 0) {
			http_fail(d, "GET", "/containers/{id}/archive", what, "%s", why);
			free((char *)why);
			r = -1;
		}
		free(what);
		buf_free(&p);
		http_xfer_free(&x);
		if (r < 0)
			break;
		if (!link) {
			ret = 0;
			break;
		}
		/* The archive endpoint answers with the link itself, as docker cp
		 * without -L: resolve it against the link's directory. */
		if (link[0] == '/') {
			free(cur);
			cur = link;
		} else {
			char *slash = strrchr(cur, '/');
			char *next = xasprintf("%.*s/%s", slash ? (int)(slash - cur) : 0, cur, link);
			free(link);
			free(cur);
			cur = next;
		}
	}
	if (depth == 16)
		http_fail(d, "GET", "/containers/{id}/archive", sid, "%s: too many levels of symbolic links", path);
	free(cur);
	return ret;
}

int docker_image_read_file(struct docker *d, const char *image, const char *path,
                           const char *name, char **data, size_t *len)
{
	/* Never started: the command only has to exist in the create call,
	 * since an image without Cmd and Entrypoint can't be created. */
	static char *const cmd[] = {"/pbrx-read-file", NULL};
	struct docker_container_spec spec = {.name = name, .image = image, .cmd = cmd,
	                                     .network_mode = "none"};
	char *id = docker_container_create(d, &spec);
	char *err;
	long status;
	int ret;

	if (!id)
		return -1;
	ret = docker_container_read_file(d, id, path, data, len);
	err = xstrdup(d->err);
	status = d->status;
	if (docker_container_remove(d, id) < 0)
		msg_warn("docker: %s", d->err);
	if (ret < 0) {
		free(d->err);
		d->err = err;
		d->status = status;
	} else {
		free(err);
	}
	free(id);
	return ret;
}

char *docker_commit(struct docker *d, const char *id, const char *repo_tag, char *const *changes)
{
	struct buf path = {0};
	json_t *out = NULL, *empty = json_object();
	char *image = NULL, sid[13];

	buf_adds(&path, "/commit");
	http_query(&path, "container", id);
	if (repo_tag) {
		char *repo, *tag;
		imageref_split(repo_tag, &repo, &tag);
		http_query(&path, "repo", repo);
		if (*tag)
			http_query(&path, "tag", tag);
		free(repo);
		free(tag);
	}
	/* One Dockerfile line per changes parameter, repeated. */
	for (size_t i = 0; changes && changes[i]; i++)
		http_query(&path, "changes", changes[i]);
	/* Not paused: the builder's commit runs beside its wheel build,
	 * whose user can write nothing a commit takes (wheel-build(1)). */
	http_query(&path, "pause", "false");
	/* An empty config: the container's is kept, changes applied on top.
	 * Podman refuses a commit without a body ("Decode(): EOF"). */
	if (http_request_json(d, "POST", "/commit", repo_tag ? repo_tag : short_id(id, sid), path.p, true,
	                 empty, &out) == 0) {
		const char *s = json_string_value(json_object_get(out, "Id"));
		if (s)
			image = xstrdup(s);
		else
			http_fail(d, "POST", "/commit", repo_tag ? repo_tag : short_id(id, sid),
			     "no Id in the answer");
	}
	json_decref(out);
	json_decref(empty);
	buf_free(&path);
	return image;
}

static la_ssize_t tar_write(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	buf_add(arg, p, n);
	return (la_ssize_t)n;
}

/* A tar of directory dir's content (paths relative to it) into out, plus,
 * when extra_name is not NULL, a regular file of that name holding
 * extra_len bytes of extra.  NULL, or the reason it failed (malloc'd). */
static char *tar_dir(const char *dir, const char *extra_name, const char *extra,
                     size_t extra_len, struct buf *out)
{
	struct archive *disk = archive_read_disk_new(), *w = archive_write_new();
	struct archive_entry *e = NULL;
	char *root = xstrdup(dir), *why = NULL;
	size_t rootlen = strlen(root);
	char chunk[65536];

	while (rootlen > 1 && root[rootlen - 1] == '/')
		root[--rootlen] = '\0';
	archive_write_set_format_pax_restricted(w);
	archive_write_open(w, out, NULL, tar_write, NULL);
	archive_read_disk_set_standard_lookup(disk);
	archive_read_disk_set_symlink_physical(disk);
	if (archive_read_disk_open(disk, root) != ARCHIVE_OK) {
		why = xasprintf("%s: %s", dir, archive_error_string(disk));
		goto out;
	}
	for (;;) {
		const char *name;
		int r;

		archive_entry_free(e);
		e = archive_entry_new();
		r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			why = xasprintf("%s: %s", dir, archive_error_string(disk));
			goto out;
		}
		archive_read_disk_descend(disk);
		name = archive_entry_pathname(e);
		if (strncmp(name, root, rootlen) || (name[rootlen] && name[rootlen] != '/'))
			continue;
		name += rootlen;
		while (*name == '/')
			name++;
		if (!*name)
			continue;
		archive_entry_set_pathname(e, name);
		if (archive_write_header(w, e) < ARCHIVE_WARN) {
			why = xasprintf("%s: %s", name, archive_error_string(w));
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFREG) {
			la_ssize_t n;
			while ((n = archive_read_data(disk, chunk, sizeof chunk)) > 0)
				archive_write_data(w, chunk, (size_t)n);
			if (n < 0) {
				why = xasprintf("%s: %s", name, archive_error_string(disk));
				goto out;
			}
		}
	}
	if (extra_name) {
		archive_entry_free(e);
		e = archive_entry_new();
		archive_entry_set_pathname(e, extra_name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)extra_len);
		if (archive_write_header(w, e) < ARCHIVE_WARN ||
		    archive_write_data(w, extra, extra_len) < 0) {
			why = xasprintf("%s: %s", extra_name, archive_error_string(w));
			goto out;
		}
	}
	if (archive_write_close(w) != ARCHIVE_OK)
		why = xasprintf("%s: %s", dir, archive_error_string(w));
out:
	archive_entry_free(e);
	archive_read_free(disk);
	archive_write_free(w);
	free(root);
	return why;
}

char *docker_build(struct docker *d, const char *context_dir, const char *dockerfile,
                   const char *repo_tag, const char *network_mode, bool quiet)
{
	struct docker_build_spec spec = {
		.context_dir = context_dir, .dockerfile = dockerfile, .repo_tag = repo_tag,
		.network_mode = network_mode, .quiet = quiet,
	};
	return docker_build_spec(d, &spec);
}

/* The name the replacement Dockerfile gets in the context: one a project
 * is unlikely to have. */
#define BUILD_DOCKERFILE ".pbrx-build.Dockerfile"

char *docker_build_spec(struct docker *d, const struct docker_build_spec *spec)
{
	struct xfer x = {.sink = SINK_PROGRESS, .progress_out = spec->quiet ? NULL : stderr};
	struct buf tar = {0}, path = {0};
	const char *obj = spec->repo_tag ? spec->repo_tag : spec->dockerfile;
	const char *name = spec->dockerfile_text ? BUILD_DOCKERFILE : spec->dockerfile;
	char *why, *id = NULL;

	why = tar_dir(spec->context_dir, spec->dockerfile_text ? name : NULL,
	              spec->dockerfile_text,
	              spec->dockerfile_text ? strlen(spec->dockerfile_text) : 0, &tar);
	if (why) {
		http_fail(d, "POST", "/build", obj, "build context: %s", why);
		free(why);
		goto out;
	}
	buf_adds(&path, "/build");
	http_query(&path, "dockerfile", name);
	if (spec->repo_tag)
		http_query(&path, "t", spec->repo_tag);
	if (spec->network_mode)
		http_query(&path, "networkmode", spec->network_mode);
	if (spec->labels && json_object_size(spec->labels)) {
		char *labels = json_dumps(spec->labels, JSON_COMPACT);
		http_query(&path, "labels", labels);
		free(labels);
	}
	http_query(&path, "rm", "1");
	http_query(&path, "forcerm", "1");
	if (http_request(d, &x, "POST", "/build", obj, path.p, true, "application/x-tar",
	            tar.p, tar.len, NULL) < 0)
		goto out;
	if (x.prog.aux_id) {
		id = xstrdup(x.prog.aux_id);
	} else if (spec->repo_tag) {
		/* Older daemons and Podman may not send aux.ID. */
		json_t *img = docker_image_inspect(d, spec->repo_tag);
		const char *s = json_string_value(json_object_get(img, "Id"));
		if (s)
			id = xstrdup(s);
		json_decref(img);
	} else {
		http_fail(d, "POST", "/build", obj, "the daemon did not say which image it built");
	}
out:
	http_xfer_free(&x);
	buf_free(&tar);
	buf_free(&path);
	return id;
}


int docker_image_save(struct docker *d, const char *name, FILE *f)
{
	struct xfer x = {.sink = SINK_FILE, .file = f};
	char *path = http_path_with("/images/", name, "/get");
	int ret = http_request(d, &x, "GET", "/images/{name}/get", name, path, true, NULL, NULL, 0,
	                       NULL);

	free(path);
	http_xfer_free(&x);
	return ret;
}

int docker_image_load(struct docker *d, const void *tar, size_t len, bool quiet)
{
	struct xfer x = {.sink = SINK_PROGRESS, .progress_out = quiet ? NULL : stderr};
	int ret;

	/* The answer is a progress stream ("Loaded image: NAME"); a failure
	 * may come inside it, after a 200. */
	ret = http_request(d, &x, "POST", "/images/load", "docker-archive",
	                   quiet ? "/images/load?quiet=1" : "/images/load?quiet=0", true,
	                   "application/x-tar", tar, len, NULL);
	http_xfer_free(&x);
	return ret;
}
