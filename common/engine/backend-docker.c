/* SPDX-License-Identifier: Apache-2.0 */
/* backend-docker: the engine interface over the Docker Engine API client
 * (engine/docker.h): dockerd, or Podman's Docker-compatible service. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/docker.h"
#include "engine/backend.h"
#include "base/error.h"
#include "base/msg.h"
#include "engine/regauth.h"
#include "base/xalloc.h"
#include "image/layout.h"
#include "image/oci.h"

#define D(e) ((struct docker *)(e)->impl)

/* The client's last failure as the engine's. */
static void fail(struct engine *e)
{
	engine_fail(e, docker_status(D(e)) == 404, "%s", docker_error(D(e)));
}

static const struct engine_ops ops;

/* An image ID as dockerd gives it, "sha256:HEX": Podman's service
 * answers a commit and a build with the bare HEX.  Takes id. */
static char *full_id(char *id)
{
	char *s;

	if (!id || !strncmp(id, "sha256:", 7) || strlen(id) != 64)
		return id;
	s = xasprintf("sha256:%s", id);
	free(id);
	return s;
}

struct engine *engine_docker_open(struct pbrx_error *err)
{
	struct docker *d = docker_new();

	if (docker_ping(d) < 0) {
		error_set(err, EXIT_FAIL, "%s", docker_error(d));
		docker_free(d);
		return NULL;
	}
	return engine_new(&ops, d);
}

static void e_free(struct engine *e)
{
	docker_free(D(e));
}

static void e_cancel(struct engine *e)
{
	docker_cancel(D(e));
}

/* A connection of its own, no traffic yet: the version is negotiated on
 * its first request. */
static struct engine *e_dup(const struct engine *e)
{
	(void)e;
	return engine_new(&ops, docker_new());
}

/* The image's history as its config has it ("History", oldest first),
 * from what GET /images/{name}/history says of it, or NULL when that
 * can't be told: the endpoint gives each entry's layer size, not
 * whether it made a layer, so an entry of size 0 is taken for an empty
 * layer only when the entries with a size are exactly the layers. */
static json_t *history_of(struct engine *e, const char *name, size_t nlayers)
{
	json_t *h = docker_image_history(D(e), name), *out = NULL, *v;
	size_t i, sized = 0, n = json_array_size(h);

	json_array_foreach(h, i, v)
		sized += json_integer_value(json_object_get(v, "Size")) > 0;
	if (!json_is_array(h) || (sized != nlayers && n != nlayers))
		goto out;
	out = json_array();
	for (i = n; i-- > 0;) {
		json_t *entry = json_array_get(h, i), *o = json_object();
		time_t t = (time_t)json_integer_value(json_object_get(entry, "Created"));
		const char *by = json_string_value(json_object_get(entry, "CreatedBy"));
		const char *comment = json_string_value(json_object_get(entry, "Comment"));
		char created[32];
		struct tm tm;

		strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		json_object_set_new(o, "created", json_string(created));
		if (by && *by)
			json_object_set_new(o, "created_by", json_string(by));
		if (comment && *comment)
			json_object_set_new(o, "comment", json_string(comment));
		if (n != nlayers && json_integer_value(json_object_get(entry, "Size")) == 0)
			json_object_set_new(o, "empty_layer", json_true());
		json_array_append_new(out, o);
	}
out:
	json_decref(h);
	return out;
}

static json_t *e_image_inspect(struct engine *e, const char *name)
{
	json_t *j = docker_image_inspect(D(e), name), *h;

	if (!j) {
		fail(e);
		return NULL;
	}
	h = history_of(e, name, json_array_size(json_object_get(json_object_get(j, "RootFS"),
	                                                         "Layers")));
	if (h)
		json_object_set_new(j, "History", h);
	return j;
}

static int e_image_pull(struct engine *e, const char *name, bool quiet)
{
	if (docker_image_pull(D(e), name, quiet) < 0) {
		fail(e);
		return -1;
	}
	return 0;
}

static int e_image_read_file(struct engine *e, const char *image, const char *path,
                             char **data, size_t *len)
{
	char *name = engine_container_name("pbrx-read-file");
	int rc = docker_image_read_file(D(e), image, path, name, data, len);

	if (rc < 0)
		fail(e);
	free(name);
	return rc;
}

static int e_image_tag(struct engine *e, const char *image, const char *repo_tag)
{
	if (docker_image_tag(D(e), image, repo_tag) < 0) {
		fail(e);
		return -1;
	}
	return 0;
}

/* The docker-archive is made in memory, as POST /build's context is:
 * it holds the new layers only. */
static char *e_image_load(struct engine *e, const struct oci_image *img, const char *repo_tag,
                          bool quiet)
{
	struct pbrx_error err = {0};
	struct buf tar = {0};
	json_t *j = NULL;
	char *id = NULL;
	bool podman;

	/* Podman's service takes only the new layers in an oci-archive,
	 * its storage finding the base's by their uncompressed digest, as
	 * buildah's does (backend-buildah.c); the ref name is then not a
	 * tag, so the image is tagged after. */
	podman = docker_is_podman(D(e));
	if ((podman ? oci_layout_archive(img, NULL, NULL, &tar, &err)
	            : oci_docker_archive(img, repo_tag, NULL, &tar, &err)) < 0) {
		engine_fail(e, false, "load (%s): %s", repo_tag ? repo_tag : img->id, err.msg);
		error_free(&err);
		goto out;
	}
	if (docker_image_load(D(e), tar.p, tar.len, quiet) < 0) {
		fail(e);
		goto out;
	}
	if (podman && repo_tag && docker_image_tag(D(e), img->id, repo_tag) < 0) {
		fail(e);
		goto out;
	}
	/* The answer names the image, not always its ID: ask for it. */
	if (!(j = docker_image_inspect(D(e), repo_tag ? repo_tag : img->id))) {
		fail(e);
		goto out;
	}
	id = full_id(xstrdup(json_string_value(json_object_get(j, "Id")) ?
	                     json_string_value(json_object_get(j, "Id")) : ""));
out:
	json_decref(j);
	buf_free(&tar);
	return id;
}

/* An entry of a docker-archive no larger than this is kept in memory (a
 * config, manifest.json); a larger one is a layer, written to the layout
 * as it comes. */
#define SMALL_ENTRY ((la_int64_t)1 << 20)

/* Read the docker-archive in f into l: *small gets each small entry's
 * bytes by name, *blobs each large one's digest. */
static int read_archive(struct engine *e, const char *name, FILE *f, struct layout *l,
                        json_t *small, json_t *blobs)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	struct pbrx_error err = {0};
	char chunk[65536], digest[LAYER_DIGEST_LEN];
	int r, rc = -1;

	archive_read_support_format_tar(a);
	if (archive_read_open_FILE(a, f) != ARCHIVE_OK) {
		engine_fail(e, false, "export (%s): %s", name, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(ent);
		struct layout_blob b;
		la_ssize_t n;

		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		if (archive_entry_size(ent) <= SMALL_ENTRY) {
			struct buf m = {0};
			while ((n = archive_read_data(a, chunk, sizeof chunk)) > 0)
				buf_add(&m, chunk, (size_t)n);
			json_object_set_new(small, path, json_stringn_nocheck(m.p ? m.p : "", m.len));
			buf_free(&m);
			if (n < 0)
				goto bad;
			continue;
		}
		if (layout_blob_begin(l, &b, &err) < 0)
			goto fail;
		while ((n = archive_read_data(a, chunk, sizeof chunk)) > 0)
			if (layout_blob_write(&b, chunk, (size_t)n, &err) < 0) {
				layout_blob_abort(&b);
				goto fail;
			}
		if (n < 0) {
			layout_blob_abort(&b);
			goto bad;
		}
		if (layout_blob_end(l, &b, digest, &err) < 0)
			goto fail;
		json_object_set_new(blobs, path, json_string(digest));
	}
	if (r != ARCHIVE_EOF)
		goto bad;
	rc = 0;
	goto out;
bad:
	engine_fail(e, false, "export (%s): %s", name, archive_error_string(a));
	goto out;
fail:
	engine_fail(e, false, "export (%s): %s", name, err.msg);
	error_free(&err);
out:
	archive_read_free(a);
	return rc;
}

/* The bytes of small entry path, or NULL. */
static const char *small_bytes(const json_t *small, const char *path, size_t *len)
{
	json_t *v = json_object_get(small, path ? path : "");

	*len = json_string_length(v);
	return json_string_value(v);
}

/* A docker-archive (moby's image/tarexport: manifest.json names the
 * config and one path per layer, bottom first; with the containerd
 * store the paths are an OCI layout's blobs). */
static int e_image_export(struct engine *e, const char *name, struct layout *l, char **config,
                          size_t *config_len, struct strv *layers)
{
	char *path = xasprintf("%s/.export.tar", layout_tmpdir(l));
	json_t *small = json_object(), *blobs = json_object(), *manifest = NULL, *p, *lv;
	struct pbrx_error err = {0};
	const char *bytes;
	FILE *f = fopen(path, "w+b");
	size_t len, i;
	int rc = -1;

	if (!f) {
		engine_fail(e, false, "export (%s): %s: %s", name, path, strerror(errno));
		goto out;
	}
	if (docker_image_save(D(e), name, f) < 0) {
		fail(e);
		goto out;
	}
	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
		engine_fail(e, false, "export (%s): %s: %s", name, path, strerror(errno));
		goto out;
	}
	if (read_archive(e, name, f, l, small, blobs) < 0)
		goto out;
	bytes = small_bytes(small, "manifest.json", &len);
	manifest = bytes ? json_loadb(bytes, len, 0, NULL) : NULL;
	p = json_array_get(manifest, 0);
	bytes = small_bytes(small, json_string_value(json_object_get(p, "Config")), &len);
	if (!bytes || !json_is_array(json_object_get(p, "Layers"))) {
		engine_fail(e, false, "export (%s): the archive has no manifest.json or config", name);
		goto out;
	}
	*config = xstrndup(bytes, len);
	*config_len = len;
	json_array_foreach(json_object_get(p, "Layers"), i, lv) {
		const char *lp = json_string_value(lv), *d = lp ? json_string_value(
			json_object_get(blobs, lp)) : NULL;
		char digest[LAYER_DIGEST_LEN];
		struct layout_blob b;

		/* A layer small enough to be kept in memory. */
		if (!d && lp && (bytes = small_bytes(small, lp, &len))) {
			if (layout_blob_begin(l, &b, &err) < 0 ||
			    layout_blob_write(&b, bytes, len, &err) < 0 ||
			    layout_blob_end(l, &b, digest, &err) < 0) {
				layout_blob_abort(&b);
				engine_fail(e, false, "export (%s): %s", name, err.msg);
				error_free(&err);
				goto out;
			}
			d = digest;
		}
		if (!d) {
			engine_fail(e, false, "export (%s): layer %zu (%s) is not in the archive", name,
			            i, lp ? lp : "?");
			goto out;
		}
		strv_add(layers, d);
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	unlink(path);
	free(path);
	json_decref(manifest);
	json_decref(small);
	json_decref(blobs);
	return rc;
}

static int e_image_remove(struct engine *e, const char *name, bool force)
{
	if (docker_image_remove(D(e), name, force) < 0) {
		fail(e);
		return -1;
	}
	return 0;
}

static char *e_build(struct engine *e, const struct engine_build_spec *s)
{
	struct docker_build_spec spec = {
		.context_dir = s->context_dir, .dockerfile = s->dockerfile,
		.dockerfile_text = s->dockerfile_text, .repo_tag = s->repo_tag,
		.network_mode = s->network_mode, .labels = s->labels, .quiet = s->quiet,
	};
	char *id = full_id(docker_build_spec(D(e), &spec));

	if (!id)
		fail(e);
	return id;
}

static char *e_container_create(struct engine *e, const struct engine_container_spec *s)
{
	struct docker_mount *m = xcalloc(s->nmounts + 1, sizeof *m);
	struct docker_container_spec spec = {
		.name = s->name, .image = s->image, .cmd = s->cmd, .entrypoint = s->entrypoint,
		.user = s->user, .network_mode = s->network_mode, .mounts = m,
		.nmounts = s->nmounts, .tmpfs_tmp = s->tmpfs_tmp,
	};
	char *id;

	for (size_t i = 0; i < s->nmounts; i++)
		m[i] = (struct docker_mount){s->mounts[i].source, s->mounts[i].target,
		                             s->mounts[i].read_only};
	id = docker_container_create(D(e), &spec);
	if (!id)
		fail(e);
	free(m);
	return id;
}

/* A container's own name among its "Names" in the API's list: "/NAME";
 * a legacy link adds "/OTHER/ALIAS" names in no set order.  Borrowed;
 * NULL when there is none. */
static const char *own_name(const json_t *container)
{
	const json_t *names = json_object_get(container, "Names");
	size_t i;
	json_t *v;

	json_array_foreach(names, i, v) {
		const char *s = json_string_value(v);
		if (s && *s) {
			s += *s == '/';
			if (*s && !strchr(s, '/'))
				return s;
		}
	}
	return NULL;
}

static json_t *e_container_list(struct engine *e)
{
	json_t *all = docker_container_list(D(e)), *out;

	if (!all) {
		fail(e);
		return NULL;
	}
	out = engine_container_entries(all, "Id", own_name);
	json_decref(all);
	return out;
}

static int e_container_start(struct engine *e, const char *id)
{
	if (docker_container_start(D(e), id) < 0) {
		fail(e);
		return -1;
	}
	return 0;
}

static int e_run(struct engine *e, const char *id, const struct engine_run_spec *s,
                 int *exit_code)
{
	if (docker_exec(D(e), id, s, exit_code) < 0) {
		fail(e);
		return -1;
	}
	return 0;
}

static char *e_commit(struct engine *e, const char *id, const char *repo_tag,
                      char *const *changes)
{
	char *img = full_id(docker_commit(D(e), id, repo_tag, changes));

	if (!img)
		fail(e);
	return img;
}

static int e_container_remove(struct engine *e, const char *id)
{
	if (docker_container_remove(D(e), id) < 0) {
		fail(e);
		return -1;
	}
	return 0;
}

/* The credentials go from the docker configuration straight into the
 * request's header, and are wiped after.  A registry on loopback is
 * insecure for dockerd by default; Podman's service needs to be told
 * (tlsVerify=false), or it refuses a plain HTTP registry there. */
static int e_push(struct engine *e, const char *name, const struct engine_push_spec *spec,
                  struct engine_push_result *result)
{
	struct docker_push_result r;
	char *registry = regauth_registry(name), *auth = NULL;
	struct pbrx_error err = {0};
	int ret = -1;

	*result = (struct engine_push_result){0};
	if (regauth_header(registry, &auth, &err) < 0) {
		engine_fail(e, false, "push (%s): %s", name, err.msg);
		goto out;
	}
	if (docker_image_push(D(e), name, auth, regauth_loopback(registry), spec->quiet, &r) < 0) {
		fail(e);
		goto out;
	}
	*result = (struct engine_push_result){r.digest, r.layers_known, r.layers_pushed,
	                                     r.layers_existing};
	ret = 0;
out:
	regauth_free_secret(auth);
	error_free(&err);
	free(registry);
	return ret;
}

static const struct engine_ops ops = ENGINE_OPS("docker");
