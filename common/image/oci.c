/* SPDX-License-Identifier: Apache-2.0 */
/* oci: image configs, manifests and the archives and layouts engines
 * load.  References: the OCI image spec v1.0 (config.md, manifest.md,
 * image-layout.md) and Docker's image spec v1.2 with moby's
 * image/tarexport (the docker-archive's manifest.json). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "image/oci.h"

#define MT_MANIFEST OCI_MT_MANIFEST
#define MT_INDEX OCI_MT_INDEX
#define MT_CONFIG OCI_MT_CONFIG
#define MT_LAYER OCI_MT_LAYER
#define MT_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"

/* The canonical bytes of j: compact, keys sorted.  Malloc'd. */
static char *canonical(const json_t *j, size_t *len)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	/* json_dumps fails only when out of memory. */
	if (!s)
		msg_die(EXIT_FAIL, "out of memory");
	*len = strlen(s);
	return s;
}

static char *rfc3339(long long epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(s);
}

static bool is_digest(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7) || strlen(s) != LAYER_DIGEST_LEN - 1)
		return false;
	return strspn(s + 7, "0123456789abcdef") == 64;
}

struct oci_image *oci_image_new(const struct oci_image_spec *spec, struct pbrx_error *err)
{
	struct oci_image *img = xcalloc(1, sizeof *img);
	json_t *cfg = json_object(), *rootfs = json_object(), *ids = json_array();
	char *created = rfc3339(spec->epoch);
	size_t nbase = json_array_size(spec->base_diff_ids), i;
	json_t *v;

	img->epoch = spec->epoch;
	img->nbase = nbase;
	img->ndiff_ids = nbase + spec->nlayers;
	img->diff_ids = xcalloc(img->ndiff_ids + 1, sizeof *img->diff_ids);
	img->base_sizes = xcalloc(nbase + 1, sizeof *img->base_sizes);
	json_array_foreach(spec->base_diff_ids, i, v) {
		const char *s = json_string_value(v);
		json_t *size = json_array_get(spec->base_layer_sizes, i);
		if (!is_digest(s)) {
			error_set(err, EXIT_USAGE, "base layer %zu: not a sha256 digest", i);
			goto fail;
		}
		img->diff_ids[i] = xstrdup(s);
		img->base_sizes[i] = json_is_integer(size) ? json_integer_value(size) : -1;
		json_array_append_new(ids, json_string(s));
	}
	img->layers = xcalloc(spec->nlayers + 1, sizeof *img->layers);
	img->nlayers = spec->nlayers;
	for (i = 0; i < spec->nlayers; i++) {
		const struct oci_layer *l = &spec->layers[i];
		if (!l->tar_path || !is_digest(l->res.diff_id) ||
		    (l->gz_path && !is_digest(l->res.gz_digest))) {
			error_set(err, EXIT_USAGE, "layer %zu: no tar or no digest", i);
			goto fail;
		}
		img->layers[i] = *l;
		img->layers[i].tar_path = xstrdup(l->tar_path);
		img->layers[i].created_by = NULL;  /* borrowed: used above only */
		img->layers[i].gz_path = l->gz_path ? xstrdup(l->gz_path) : NULL;
		img->diff_ids[nbase + i] = xstrdup(l->res.diff_id);
		json_array_append_new(ids, json_string(l->res.diff_id));
	}
	json_object_set_new(rootfs, "type", json_string("layers"));
	json_object_set_new(rootfs, "diff_ids", ids);
	ids = NULL;
	json_object_set_new(cfg, "architecture", json_string(spec->architecture));
	json_object_set_new(cfg, "os", json_string(spec->os ? spec->os : "linux"));
	json_object_set_new(cfg, "created", json_string(created));
	json_object_set_new(cfg, "config", spec->config ? json_deep_copy(spec->config) : json_object());
	json_object_set_new(cfg, "rootfs", rootfs);
	rootfs = NULL;
	if (spec->base_history || spec->created_by || spec->config_created_by) {
		json_t *h = spec->base_history ? json_deep_copy(spec->base_history) : json_array();
		for (i = 0; i < spec->nlayers; i++) {
			const char *by = spec->layers[i].created_by ? spec->layers[i].created_by
			                                            : spec->created_by;
			json_t *o = json_pack("{s:s}", "created", created);

			if (by)
				json_object_set_new(o, "created_by", json_string(by));
			json_array_append_new(h, o);
		}
		if (spec->config_created_by)
			json_array_append_new(h, json_pack("{s:s, s:s, s:b}", "created", created,
			                                   "created_by", spec->config_created_by,
			                                   "empty_layer", 1));
		json_object_set_new(cfg, "history", h);
	}
	img->config = canonical(cfg, &img->config_len);
	layer_digest(img->config, img->config_len, img->id);
	json_decref(cfg);
	free(created);
	return img;
fail:
	json_decref(cfg);
	json_decref(rootfs);
	json_decref(ids);
	free(created);
	oci_image_free(img);
	return NULL;
}

void oci_image_free(struct oci_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->ndiff_ids; i++)
		free(img->diff_ids[i]);
	for (size_t i = 0; i < img->nlayers; i++) {
		free((char *)img->layers[i].tar_path);
		free((char *)img->layers[i].gz_path);
	}
	free(img->diff_ids);
	free(img->base_sizes);
	free(img->layers);
	free(img->config);
	free(img);
}

/* ---- where the files go: a directory or a tar ---- */

struct out {
	const char *dir;        /* a directory, or */
	struct archive *a;      /* a tar being written */
	long long epoch;        /* the tar's mtimes */
	const char *what;       /* for messages */
};

static la_ssize_t mem_write(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	buf_add(arg, p, n);
	return (la_ssize_t)n;
}

/* A tar to path, or to *mem when path is NULL. */
static int out_tar(struct out *o, const char *path, struct buf *mem, long long epoch,
                   struct pbrx_error *err)
{
	int r;

	memset(o, 0, sizeof *o);
	o->a = archive_write_new();
	o->epoch = epoch;
	o->what = path ? path : "archive";
	archive_write_set_format_pax_restricted(o->a);
	r = path ? archive_write_open_filename(o->a, path)
	         : archive_write_open(o->a, mem, NULL, mem_write, NULL);
	if (r != ARCHIVE_OK) {
		error_set(err, EXIT_FAIL, "%s: %s", o->what, archive_error_string(o->a));
		archive_write_free(o->a);
		o->a = NULL;
		return -1;
	}
	return 0;
}

/* Close o; rc is what happened so far. */
static int out_close(struct out *o, int rc, struct pbrx_error *err)
{
	if (!o->a)
		return rc;
	if (archive_write_close(o->a) != ARCHIVE_OK && rc == 0)
		rc = error_set(err, EXIT_FAIL, "%s: %s", o->what, archive_error_string(o->a));
	archive_write_free(o->a);
	o->a = NULL;
	return rc;
}

static int out_header(struct out *o, const char *name, mode_t type, long long size,
                      struct pbrx_error *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_mtime(e, (time_t)o->epoch, 0);
	if (type == AE_IFREG)
		archive_entry_set_size(e, (la_int64_t)size);
	if (archive_write_header(o->a, e) != ARCHIVE_OK)
		rc = error_set(err, EXIT_FAIL, "%s: %s: %s", o->what, name,
		               archive_error_string(o->a));
	archive_entry_free(e);
	return rc;
}

static int out_mkdir(struct out *o, const char *name, struct pbrx_error *err)
{
	char *p;
	int rc = 0;

	if (o->a)
		return out_header(o, name, AE_IFDIR, 0, err);
	p = xasprintf("%s/%s", o->dir, name);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = error_set(err, EXIT_FAIL, "%s: %s", p, strerror(errno));
	free(p);
	return rc;
}

static int out_bytes(struct out *o, const char *name, const void *data, size_t len,
                     struct pbrx_error *err)
{
	char *p;
	FILE *f;
	int rc = 0;

	if (o->a) {
		if (out_header(o, name, AE_IFREG, (long long)len, err) < 0)
			return -1;
		if (archive_write_data(o->a, data, len) < 0)
			return error_set(err, EXIT_FAIL, "%s: %s: %s", o->what, name,
			                 archive_error_string(o->a));
		return 0;
	}
	p = xasprintf("%s/%s", o->dir, name);
	if (!(f = fopen(p, "wb")) || fwrite(data, 1, len, f) != len) {
		rc = error_set(err, EXIT_FAIL, "%s: %s", p, strerror(errno));
		if (f)
			fclose(f);
	} else if (fclose(f)) {
		rc = error_set(err, EXIT_FAIL, "%s: %s", p, strerror(errno));
	}
	free(p);
	return rc;
}

/* Host file host (size bytes) as name: in a directory a hard link when
 * it can be (layers are large), else a copy. */
static int out_file(struct out *o, const char *name, const char *host, unsigned long long size,
                    struct pbrx_error *err)
{
	char chunk[65536], *p = NULL;
	int fd = -1, dst = -1, rc = 0;
	ssize_t n;

	if (!o->a) {
		p = xasprintf("%s/%s", o->dir, name);
		unlink(p);
		if (link(host, p) == 0)
			goto out;
		if ((dst = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
			rc = error_set(err, EXIT_FAIL, "%s: %s", p, strerror(errno));
			goto out;
		}
	} else if (out_header(o, name, AE_IFREG, (long long)size, err) < 0) {
		return -1;
	}
	if ((fd = open(host, O_RDONLY)) < 0) {
		rc = error_set(err, EXIT_FAIL, "%s: %s", host, strerror(errno));
		goto out;
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		if (o->a ? archive_write_data(o->a, chunk, (size_t)n) < 0
		         : write(dst, chunk, (size_t)n) != n) {
			rc = error_set(err, EXIT_FAIL, "%s: %s", o->a ? o->what : p,
			               o->a ? archive_error_string(o->a) : strerror(errno));
			goto out;
		}
	}
	if (n < 0)
		rc = error_set(err, EXIT_FAIL, "%s: %s", host, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (dst >= 0 && close(dst) < 0 && !rc)
		rc = error_set(err, EXIT_FAIL, "%s: %s", p, strerror(errno));
	free(p);
	return rc;
}

/* ---- docker-archive ---- */

int oci_docker_archive(const struct oci_image *img, const char *repo_tag, const char *path,
                       struct buf *mem, struct pbrx_error *err)
{
	json_t *m = json_object(), *layers = json_array(), *top;
	char *name, *manifest = NULL;
	struct out o;
	size_t len;
	int rc = -1;

	if (out_tar(&o, path, mem, img->epoch, err) < 0)
		goto out;
	name = xasprintf("%s.json", img->id + 7);
	json_object_set_new(m, "Config", json_string(name));
	rc = out_bytes(&o, name, img->config, img->config_len, err);
	free(name);
	for (size_t i = 0; i < img->ndiff_ids; i++)
		json_array_append_new(layers, json_sprintf("%s/layer.tar", img->diff_ids[i] + 7));
	for (size_t i = 0; i < img->nlayers && !rc; i++) {
		const struct oci_layer *l = &img->layers[i];
		name = xasprintf("%s/layer.tar", l->res.diff_id + 7);
		name[64] = '\0';
		rc = out_mkdir(&o, name, err);
		name[64] = '/';
		if (!rc)
			rc = out_file(&o, name, l->tar_path, l->res.size, err);
		free(name);
	}
	json_object_set_new(m, "Layers", layers);
	layers = NULL;
	json_object_set_new(m, "RepoTags", repo_tag ? json_pack("[s]", repo_tag) : json_null());
	top = json_pack("[O]", m);
	manifest = canonical(top, &len);
	json_decref(top);
	if (!rc)
		rc = out_bytes(&o, "manifest.json", manifest, len, err);
	rc = out_close(&o, rc, err);
out:
	free(manifest);
	json_decref(m);
	json_decref(layers);
	return rc;
}

/* ---- OCI image layout ---- */

json_t *oci_descriptor(const char *media_type, const char *digest, long long size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest,
	                 "size", (json_int_t)size);
}

static int put_blob(struct out *o, const char *digest, const void *data, size_t len,
                    struct pbrx_error *err)
{
	char *name = xasprintf("blobs/sha256/%s", digest + 7);
	int rc = out_bytes(o, name, data, len, err);

	free(name);
	return rc;
}

static int layout(struct out *o, const struct oci_image *img, const char *ref_name,
                  struct pbrx_error *err)
{
	json_t *man = json_object(), *layers = json_array(), *desc, *index;
	char digest[LAYER_DIGEST_LEN], *bytes = NULL, *name;
	size_t len;
	int rc;

	rc = out_bytes(o, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, err);
	if (!rc)
		rc = out_mkdir(o, "blobs", err);
	if (!rc)
		rc = out_mkdir(o, "blobs/sha256", err);
	if (!rc)
		rc = put_blob(o, img->id, img->config, img->config_len, err);
	for (size_t i = 0; i < img->nbase; i++)
		json_array_append_new(layers, oci_descriptor(MT_LAYER, img->diff_ids[i],
		                                         img->base_sizes[i]));
	for (size_t i = 0; i < img->nlayers && !rc; i++) {
		const struct oci_layer *l = &img->layers[i];
		const char *d = l->gz_path ? l->res.gz_digest : l->res.diff_id;
		json_array_append_new(layers, oci_descriptor(l->gz_path ? MT_LAYER_GZ : MT_LAYER, d,
		                                         (long long)(l->gz_path ? l->res.gz_size
		                                                                : l->res.size)));
		name = xasprintf("blobs/sha256/%s", d + 7);
		rc = out_file(o, name, l->gz_path ? l->gz_path : l->tar_path,
		              l->gz_path ? l->res.gz_size : l->res.size, err);
		free(name);
	}
	json_object_set_new(man, "schemaVersion", json_integer(2));
	json_object_set_new(man, "mediaType", json_string(MT_MANIFEST));
	json_object_set_new(man, "config", oci_descriptor(MT_CONFIG, img->id, (long long)img->config_len));
	json_object_set_new(man, "layers", layers);
	bytes = canonical(man, &len);
	layer_digest(bytes, len, digest);
	if (!rc)
		rc = put_blob(o, digest, bytes, len, err);
	free(bytes);
	desc = oci_descriptor(MT_MANIFEST, digest, (long long)len);
	if (ref_name)
		json_object_set_new(desc, "annotations",
		                    json_pack("{s:s}", "org.opencontainers.image.ref.name", ref_name));
	index = json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2, "mediaType", MT_INDEX,
	                  "manifests", desc);
	bytes = canonical(index, &len);
	if (!rc)
		rc = out_bytes(o, "index.json", bytes, len, err);
	free(bytes);
	json_decref(index);
	json_decref(man);
	return rc;
}

int oci_layout_dir(const struct oci_image *img, const char *ref_name, const char *dir,
                   struct pbrx_error *err)
{
	struct out o = {.dir = dir, .what = dir};

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return error_set(err, EXIT_FAIL, "%s: %s", dir, strerror(errno));
	return layout(&o, img, ref_name, err);
}

int oci_layout_archive(const struct oci_image *img, const char *ref_name, const char *path,
                       struct buf *mem, struct pbrx_error *err)
{
	struct out o;

	if (out_tar(&o, path, path ? NULL : mem, img->epoch, err) < 0)
		return -1;
	return out_close(&o, layout(&o, img, ref_name, err), err);
}
