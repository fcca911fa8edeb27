/* SPDX-License-Identifier: Apache-2.0 */
/* layout: a whole-image OCI layout; see layout.h.  Reference: the OCI
 * image spec v1.0 (image-layout.md, manifest.md, descriptor.md). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "image/layout.h"
#include "image/oci.h"

struct layout {
	char *target;
	bool archive;
	char *tmp;          /* the layout being written */
	char *blobs;        /* tmp/blobs/sha256 */
	json_t *manifests;  /* the index's descriptors */
	unsigned serial;    /* of temporary blob names */
	bool committed;
};

static char *blob_path(const struct layout *l, const char *digest)
{
	return xasprintf("%s/%s", l->blobs, digest + 7);
}

int layout_target_check(const char *target, bool archive, struct pbrx_error *err)
{
	struct stat st;
	char *marker;
	DIR *d;
	struct dirent *ent;
	bool empty = true, layout;

	if (lstat(target, &st) < 0)
		return errno == ENOENT ? 0 : error_set(err, EXIT_USAGE, "%s: %s", target, strerror(errno));
	if (archive)
		return S_ISREG(st.st_mode) ? 0 : error_set(err, EXIT_USAGE, "%s: not a regular file: "
		                                           "not replaced", target);
	if (!S_ISDIR(st.st_mode))
		return error_set(err, EXIT_USAGE, "%s: not a directory: not replaced", target);
	marker = xasprintf("%s/oci-layout", target);
	layout = access(marker, F_OK) == 0;
	free(marker);
	if (layout)
		return 0;
	if (!(d = opendir(target)))
		return error_set(err, EXIT_USAGE, "%s: %s", target, strerror(errno));
	while ((ent = readdir(d)))
		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
			empty = false;
	closedir(d);
	return empty ? 0 : error_set(err, EXIT_USAGE, "%s: not empty and not an OCI image "
	                             "layout: not replaced", target);
}

struct layout *layout_new(const char *target, bool archive, struct pbrx_error *err)
{
	struct layout *l;
	char *blobs;

	/* Checked before the build too; again, for what came since. */
	if (layout_target_check(target, archive, err) < 0)
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->target = xstrdup(target);
	l->archive = archive;
	l->tmp = xasprintf("%s.pbrx-tmp-%ld", target, (long)getpid());
	l->blobs = xasprintf("%s/blobs/sha256", l->tmp);
	l->manifests = json_array();
	/* Left by a run of this pid that was killed: not ours to keep. */
	fs_remove_tree(l->tmp);
	blobs = xasprintf("%s/blobs", l->tmp);
	if (mkdir(l->tmp, 0755) < 0 || mkdir(blobs, 0755) < 0 || mkdir(l->blobs, 0755) < 0) {
		error_set(err, EXIT_FAIL, "%s: %s", errno == ENOENT ? target : l->tmp,
		          strerror(errno));
		free(blobs);
		layout_free(l);
		return NULL;
	}
	free(blobs);
	return l;
}

const char *layout_tmpdir(const struct layout *l)
{
	return l->tmp;
}

bool layout_has(const struct layout *l, const char *digest)
{
	char *p = blob_path(l, digest);
	bool has = access(p, F_OK) == 0;

	free(p);
	return has;
}

/* The size of blob digest, or -1 when l lacks it. */
static long long blob_size(const struct layout *l, const char *digest)
{
	char *p = blob_path(l, digest);
	struct stat st;
	long long n = stat(p, &st) == 0 ? (long long)st.st_size : -1;

	free(p);
	return n;
}

int layout_add_file(struct layout *l, const char *digest, const char *path,
                    struct pbrx_error *err)
{
	char *dst, chunk[65536];
	int in = -1, out = -1, rc = 0;
	ssize_t n;

	if (layout_has(l, digest))
		return 0;
	dst = blob_path(l, digest);
	/* Layers are large, and the cache keeps its files unchanged. */
	if (link(path, dst) == 0)
		goto done;
	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		rc = error_set(err, EXIT_FAIL, "%s: %s", in < 0 ? path : dst, strerror(errno));
		goto done;
	}
	while ((n = read(in, chunk, sizeof chunk)) > 0)
		if (write(out, chunk, (size_t)n) != n) {
			rc = error_set(err, EXIT_FAIL, "%s: %s", dst, strerror(errno));
			goto done;
		}
	if (n < 0)
		rc = error_set(err, EXIT_FAIL, "%s: %s", path, strerror(errno));
done:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && !rc)
		rc = error_set(err, EXIT_FAIL, "%s: %s", dst, strerror(errno));
	if (rc)
		unlink(dst);
	free(dst);
	return rc;
}

/* ---- blobs digested as they are written ---- */

int layout_blob_begin(struct layout *l, struct layout_blob *b, struct pbrx_error *err)
{
	memset(b, 0, sizeof *b);
	b->tmp = xasprintf("%s/.tmp-%u", l->blobs, l->serial++);
	b->md = EVP_MD_CTX_new();
	if (!b->md || !EVP_DigestInit_ex(b->md, EVP_sha256(), NULL)) {
		layout_blob_abort(b);
		return error_set(err, EXIT_FAIL, "SHA-256: cannot start");
	}
	if ((b->fd = open(b->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		error_set(err, EXIT_FAIL, "%s: %s", b->tmp, strerror(errno));
		layout_blob_abort(b);
		return -1;
	}
	return 0;
}

int layout_blob_write(struct layout_blob *b, const void *data, size_t len,
                      struct pbrx_error *err)
{
	const char *p = data;

	EVP_DigestUpdate(b->md, data, len);
	b->size += len;
	while (len) {
		ssize_t n = write(b->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, EXIT_FAIL, "%s: %s", b->tmp, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void layout_blob_abort(struct layout_blob *b)
{
	if (b->fd > 0)
		close(b->fd);
	if (b->tmp)
		unlink(b->tmp);
	free(b->tmp);
	EVP_MD_CTX_free(b->md);
	memset(b, 0, sizeof *b);
}

int layout_blob_end(struct layout *l, struct layout_blob *b, char digest[LAYER_DIGEST_LEN],
                    struct pbrx_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char *dst;
	int rc = 0;

	EVP_DigestFinal_ex(b->md, md, &mdlen);
	memcpy(digest, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(digest + 7 + 2 * i, 3, "%02x", md[i]);
	if (close(b->fd) < 0) {
		b->fd = -1;
		rc = error_set(err, EXIT_FAIL, "%s: %s", b->tmp, strerror(errno));
		layout_blob_abort(b);
		return rc;
	}
	b->fd = -1;
	dst = blob_path(l, digest);
	if (layout_has(l, digest)) {
		unlink(b->tmp);
	} else if (rename(b->tmp, dst) < 0) {
		rc = error_set(err, EXIT_FAIL, "%s: %s", dst, strerror(errno));
		unlink(b->tmp);
	}
	free(dst);
	free(b->tmp);
	b->tmp = NULL;
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
	return rc;
}

int layout_add_layer(struct layout *l, const char *path, char diff_id[LAYER_DIGEST_LEN],
                     struct pbrx_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct layout_blob b;
	char chunk[65536];
	la_ssize_t n;
	int rc = -1;

	/* The raw format: the tar itself, uncompressed by whichever filter
	 * its first bytes name (none for a plain tar). */
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		error_set(err, EXIT_FAIL, "%s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	if (layout_blob_begin(l, &b, err) < 0) {
		archive_read_free(a);
		return -1;
	}
	while ((n = archive_read_data(a, chunk, sizeof chunk)) > 0)
		if (layout_blob_write(&b, chunk, (size_t)n, err) < 0)
			goto out;
	if (n < 0) {
		error_set(err, EXIT_FAIL, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	rc = layout_blob_end(l, &b, diff_id, err);
out:
	if (rc < 0)
		layout_blob_abort(&b);
	archive_read_free(a);
	return rc;
}

/* ---- images ---- */

/* Bytes as the blob of their digest, into digest. */
static int put_bytes(struct layout *l, const char *data, size_t len,
                     char digest[LAYER_DIGEST_LEN], struct pbrx_error *err)
{
	char *p;
	int rc = 0;

	layer_digest(data, len, digest);
	if (layout_has(l, digest))
		return 0;
	p = blob_path(l, digest);
	if (fs_write_whole(p, data, len) < 0)
		rc = error_set(err, EXIT_FAIL, "%s: %s", p, strerror(errno));
	free(p);
	return rc;
}

int layout_add_image(struct layout *l, const char *ref, const char *config, size_t config_len,
                     char *const *diff_ids, size_t ndiff, struct pbrx_error *err)
{
	json_t *man = json_object(), *layers = json_array(), *desc;
	char digest[LAYER_DIGEST_LEN], *bytes = NULL;
	size_t len;
	int rc = -1;

	if (put_bytes(l, config, config_len, digest, err) < 0)
		goto out;
	for (size_t i = 0; i < ndiff; i++) {
		long long size = blob_size(l, diff_ids[i]);

		/* Whole images only: a layer missing here would be missing
		 * for whoever reads the layout. */
		if (size < 0) {
			error_set(err, EXIT_FAIL, "%s: layer %s: no blob in the layout", ref,
			          diff_ids[i]);
			goto out;
		}
		json_array_append_new(layers, oci_descriptor(OCI_MT_LAYER, diff_ids[i], size));
	}
	json_object_set_new(man, "schemaVersion", json_integer(2));
	json_object_set_new(man, "mediaType", json_string(OCI_MT_MANIFEST));
	json_object_set_new(man, "config", oci_descriptor(OCI_MT_CONFIG, digest,
	                                                  (long long)config_len));
	json_object_set(man, "layers", layers);
	bytes = json_dumps(man, JSON_COMPACT | JSON_SORT_KEYS);
	if (!bytes)
		msg_die(EXIT_FAIL, "out of memory");
	len = strlen(bytes);
	if (put_bytes(l, bytes, len, digest, err) < 0)
		goto out;
	desc = oci_descriptor(OCI_MT_MANIFEST, digest, (long long)len);
	json_object_set_new(desc, "annotations", json_pack("{s:s}", OCI_MT_REF_NAME, ref));
	json_array_append_new(l->manifests, desc);
	rc = 0;
out:
	free(bytes);
	json_decref(layers);
	json_decref(man);
	return rc;
}

unsigned long long layout_layers_size(const struct layout *l, char *const *diff_ids,
                                      size_t ndiff)
{
	unsigned long long total = 0;

	for (size_t i = 0; i < ndiff; i++) {
		long long n = blob_size(l, diff_ids[i]);
		total += n > 0 ? (unsigned long long)n : 0;
	}
	return total;
}

/* ---- putting it in place ---- */

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* One entry of the archive: a directory (host NULL) or host file. */
static int tar_entry(struct archive *a, const char *name, const char *host, long long epoch,
                     struct pbrx_error *err)
{
	struct archive_entry *e = archive_entry_new();
	char chunk[65536];
	struct stat st;
	int fd = -1, rc = -1;
	ssize_t n;

	archive_entry_set_pathname(e, name);
	archive_entry_set_mtime(e, (time_t)epoch, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (!host) {
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
	} else {
		if ((fd = open(host, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
			error_set(err, EXIT_FAIL, "%s: %s", host, strerror(errno));
			goto out;
		}
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)st.st_size);
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		error_set(err, EXIT_FAIL, "%s: %s", name, archive_error_string(a));
		goto out;
	}
	while (fd >= 0 && (n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 || archive_write_data(a, chunk, (size_t)n) < 0) {
			error_set(err, EXIT_FAIL, "%s: %s", name,
			          n < 0 ? strerror(errno) : archive_error_string(a));
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	archive_entry_free(e);
	return rc;
}

/* The tar of the layout at tmp into path: its entries in byte order
 * (blobs/, blobs/sha256/, each blob, index.json, oci-layout). */
static int write_tar(const struct layout *l, const char *path, long long epoch,
                     struct pbrx_error *err)
{
	struct archive *a = archive_write_new();
	struct dirent **names = NULL;
	int n = scandir(l->blobs, &names, NULL, byte_order), rc = -1;
	char *host;

	archive_write_set_format_pax_restricted(a);
	if (n < 0 || archive_write_open_filename(a, path) != ARCHIVE_OK) {
		error_set(err, EXIT_FAIL, "%s: %s", n < 0 ? l->blobs : path,
		          n < 0 ? strerror(errno) : archive_error_string(a));
		goto out;
	}
	if (tar_entry(a, "blobs/", NULL, epoch, err) < 0 ||
	    tar_entry(a, "blobs/sha256/", NULL, epoch, err) < 0)
		goto close;
	for (int i = 0; i < n; i++) {
		char *name;
		int r;

		if (names[i]->d_name[0] == '.')
			continue;
		name = xasprintf("blobs/sha256/%s", names[i]->d_name);
		host = xasprintf("%s/%s", l->blobs, names[i]->d_name);
		r = tar_entry(a, name, host, epoch, err);
		free(name);
		free(host);
		if (r < 0)
			goto close;
	}
	host = xasprintf("%s/index.json", l->tmp);
	rc = tar_entry(a, "index.json", host, epoch, err);
	free(host);
	host = xasprintf("%s/oci-layout", l->tmp);
	if (!rc)
		rc = tar_entry(a, "oci-layout", host, epoch, err);
	free(host);
close:
	if (archive_write_close(a) != ARCHIVE_OK && !rc)
		rc = error_set(err, EXIT_FAIL, "%s: %s", path, archive_error_string(a));
out:
	archive_write_free(a);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Put directory tmp at target: an earlier layout there is moved aside
 * first and removed after, or put back when the new one can't go. */
static int replace_dir(const char *tmp, const char *target, struct pbrx_error *err)
{
	char *old = xasprintf("%s.pbrx-old-%ld", target, (long)getpid());
	bool had = rename(target, old) == 0;
	int rc = 0;

	if (!had && errno != ENOENT) {
		rc = error_set(err, EXIT_FAIL, "%s: %s", target, strerror(errno));
	} else if (rename(tmp, target) < 0) {
		rc = error_set(err, EXIT_FAIL, "%s: %s", target, strerror(errno));
		if (had)
			rename(old, target);
	} else if (had) {
		fs_remove_tree(old);
	}
	free(old);
	return rc;
}

int layout_commit(struct layout *l, long long epoch, struct pbrx_error *err)
{
	static const char version[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	json_t *index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
	                          OCI_MT_INDEX, "manifests", l->manifests);
	char *bytes = json_dumps(index, JSON_COMPACT | JSON_SORT_KEYS), *p, *tar = NULL;
	int rc = 0;

	if (!bytes)
		msg_die(EXIT_FAIL, "out of memory");
	p = xasprintf("%s/index.json", l->tmp);
	if (fs_write_whole(p, bytes, strlen(bytes)) < 0)
		rc = error_set(err, EXIT_FAIL, "%s: %s", p, strerror(errno));
	free(p);
	p = xasprintf("%s/oci-layout", l->tmp);
	if (!rc && fs_write_whole(p, version, sizeof version - 1) < 0)
		rc = error_set(err, EXIT_FAIL, "%s: %s", p, strerror(errno));
	free(p);
	if (!rc && l->archive) {
		/* Inside the temporary directory: a cleanup removes it too. */
		tar = xasprintf("%s/.layout.tar", l->tmp);
		rc = write_tar(l, tar, epoch, err);
		if (!rc && rename(tar, l->target) < 0)
			rc = error_set(err, EXIT_FAIL, "%s: %s", l->target, strerror(errno));
		if (rc)
			unlink(tar);
	} else if (!rc) {
		rc = replace_dir(l->tmp, l->target, err);
	}
	l->committed = rc == 0 && !l->archive;
	free(tar);
	free(bytes);
	json_decref(index);
	return rc;
}

void layout_free(struct layout *l)
{
	if (!l)
		return;
	if (!l->committed)
		fs_remove_tree(l->tmp);
	json_decref(l->manifests);
	free(l->target);
	free(l->tmp);
	free(l->blobs);
	free(l);
}
