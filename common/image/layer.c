/* SPDX-License-Identifier: Apache-2.0 */
/* layer: normalised layer tars with libarchive, their digests with
 * OpenSSL.  The gzip blob is made in the same pass: the tar writer's
 * output goes to the file, to the diff ID's hash and into a second
 * libarchive writer in "raw" format with the gzip filter. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "image/layer.h"

enum kind { K_FILE, K_DIR, K_LINK };

struct entry {
	char *path;        /* normalised, no leading or trailing '/' */
	enum kind kind;
	unsigned mode;
	long long mtime;
	char *data;        /* K_FILE from memory; K_LINK: the target */
	size_t len;
	char *host;        /* K_FILE from the host: read when written */
	size_t seq;        /* order of adding: the later of two wins */
};

struct layer {
	long long epoch;
	struct entry *v;
	size_t n, cap;
};

struct layer *layer_new(long long epoch)
{
	struct layer *l = xcalloc(1, sizeof *l);

	l->epoch = epoch < 0 ? 0 : epoch;
	return l;
}

void layer_free(struct layer *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].data);
		free(l->v[i].host);
	}
	free(l->v);
	free(l);
}

static char *norm_path(const char *path)
{
	size_t n;

	for (;;) {
		if (*path == '/')
			path++;
		else if (path[0] == '.' && path[1] == '/')
			path += 2;
		else
			break;
	}
	n = strlen(path);
	while (n && path[n - 1] == '/')
		n--;
	return xstrndup(path, n);
}

static struct entry *add(struct layer *l, const char *path, enum kind kind, unsigned mode)
{
	struct entry *e;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	e = &l->v[l->n];
	memset(e, 0, sizeof *e);
	e->path = norm_path(path);
	e->kind = kind;
	e->mode = mode & 07777;
	e->mtime = l->epoch;
	e->seq = l->n++;
	return e;
}

void layer_add_file(struct layer *l, const char *path, unsigned mode,
                    const void *data, size_t len)
{
	struct entry *e = add(l, path, K_FILE, mode);

	e->data = xmalloc(len + 1);
	memcpy(e->data, data, len);
	e->len = len;
}

void layer_add_dir(struct layer *l, const char *path, unsigned mode)
{
	add(l, path, K_DIR, mode);
}

void layer_add_symlink(struct layer *l, const char *path, const char *target)
{
	struct entry *e = add(l, path, K_LINK, 0777);

	e->data = xstrdup(target);
	e->len = strlen(target);
}

static char *join(const char *a, const char *b)
{
	return *a ? xasprintf("%s/%s", a, b) : xstrdup(b);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One directory's entries below prefix, recursively. */
static int add_dir(struct layer *l, const char *dir, const char *prefix,
                   struct pbrx_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct strv names = {0};
	int rc = 0;

	if (!d)
		return error_set(err, EXIT_FAIL, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_add(&names, de->d_name);
	closedir(d);
	/* readdir's order is the file system's: sorted, the walk is the same
	 * everywhere (layer_write() sorts again anyway). */
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, compare_names);
	for (size_t i = 0; i < names.n && !rc; i++) {
		char *host = xasprintf("%s/%s", dir, names.v[i]);
		char *path = join(prefix, names.v[i]);
		struct stat st;
		struct entry *e;
		char target[4096];
		ssize_t n;

		if (lstat(host, &st) < 0) {
			rc = error_set(err, EXIT_FAIL, "%s: %s", host, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			e = add(l, path, K_DIR, st.st_mode);
			if (st.st_mtime < e->mtime)
				e->mtime = st.st_mtime;
			rc = add_dir(l, host, path, err);
		} else if (S_ISREG(st.st_mode)) {
			e = add(l, path, K_FILE, st.st_mode);
			e->host = xstrdup(host);
			e->len = (size_t)st.st_size;
			if (st.st_mtime < e->mtime)
				e->mtime = st.st_mtime;
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(host, target, sizeof target - 1);
			if (n < 0) {
				rc = error_set(err, EXIT_FAIL, "%s: %s", host, strerror(errno));
			} else {
				target[n] = '\0';
				layer_add_symlink(l, path, target);
				e = &l->v[l->n - 1];
				if (st.st_mtime < e->mtime)
					e->mtime = st.st_mtime;
			}
		} else {
			rc = error_set(err, EXIT_USAGE, "%s: not a file, directory or symlink", host);
		}
		free(host);
		free(path);
	}
	strv_free(&names);
	return rc;
}

int layer_add_tree(struct layer *l, const char *dir, const char *prefix,
                   struct pbrx_error *err)
{
	char *p = norm_path(prefix ? prefix : "");
	int rc = add_dir(l, dir, p, err);

	free(p);
	return rc;
}

static int compare_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorted by path, the last added of each path kept. */
static void sort_entries(struct layer *l)
{
	size_t j = 0;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof *l->v, compare_entries);
	for (size_t i = 0; i < l->n; i++) {
		if (i + 1 < l->n && !strcmp(l->v[i].path, l->v[i + 1].path)) {
			free(l->v[i].path);
			free(l->v[i].data);
			free(l->v[i].host);
			continue;
		}
		l->v[j] = l->v[i];
		l->v[j].seq = j;
		j++;
	}
	l->n = j;
}

void layer_digest(const void *data, size_t len, char out[LAYER_DIGEST_LEN])
{
	unsigned char md[32];

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

static void hex_final(EVP_MD_CTX *md, char out[LAYER_DIGEST_LEN])
{
	unsigned char h[32];

	EVP_DigestFinal_ex(md, h, NULL);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", h[i]);
}

/* Where the bytes of one output go: a file (may be NULL) and a hash. */
struct sink {
	FILE *f;
	EVP_MD_CTX *md;
	unsigned long long size;
	int errnum;            /* a write error, reported at the end */
	struct archive *gz;    /* the tar writer's sink only: the gzip writer */
};

static la_ssize_t sink_write(struct archive *a, void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	(void)a;
	EVP_DigestUpdate(s->md, p, n);
	s->size += n;
	if (s->f && fwrite(p, 1, n, s->f) != n && !s->errnum)
		s->errnum = errno ? errno : EIO;
	if (s->gz && archive_write_data(s->gz, p, n) < 0 && !s->errnum)
		s->errnum = EIO;
	return (la_ssize_t)n;
}

static int open_sink(struct sink *s, const char *path, struct pbrx_error *err)
{
	s->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
	if (path && !(s->f = fopen(path, "wb")))
		return error_set(err, EXIT_FAIL, "%s: %s", path, strerror(errno));
	return 0;
}

/* Close s: -1 with *err when a write failed. */
static int close_sink(struct sink *s, const char *path, struct pbrx_error *err)
{
	int rc = 0;

	if (s->f && fclose(s->f) && !s->errnum)
		s->errnum = errno;
	s->f = NULL;
	if (s->errnum && !err->msg)
		rc = error_set(err, EXIT_FAIL, "%s: %s", path ? path : "layer",
		               strerror(s->errnum));
	EVP_MD_CTX_free(s->md);
	return s->errnum ? -1 : rc;
}

/* The gzip writer: libarchive's raw format (the bytes given, no tar
 * around them) through its gzip filter, with no timestamp in the header
 * and no name, and no blocking (no padding after the stream). */
static struct archive *gzip_open(struct sink *s, struct pbrx_error *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_bytes_per_block(a, 0);
	if (archive_write_set_options(a, "gzip:!timestamp") != ARCHIVE_OK ||
	    archive_write_open(a, s, NULL, sink_write, NULL) != ARCHIVE_OK) {
		error_set(err, EXIT_FAIL, "gzip: %s", archive_error_string(a));
		goto fail;
	}
	archive_entry_set_pathname(e, "layer.tar");
	archive_entry_set_filetype(e, AE_IFREG);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		error_set(err, EXIT_FAIL, "gzip: %s", archive_error_string(a));
		goto fail;
	}
	archive_entry_free(e);
	return a;
fail:
	archive_entry_free(e);
	archive_write_free(a);
	return NULL;
}

/* The header of entry x, normalised. */
static void set_header(struct archive_entry *ae, const struct entry *x)
{
	archive_entry_set_pathname(ae, x->path);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, (time_t)x->mtime, 0);
	archive_entry_set_perm(ae, x->mode);
	switch (x->kind) {
	case K_FILE:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_size(ae, (la_int64_t)x->len);
		break;
	case K_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		break;
	case K_LINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, x->data);
		break;
	}
}

/* A host file's content, which must still have the size it had when
 * added (a header already promised it). */
static int copy_host(struct archive *w, const struct entry *x, struct pbrx_error *err)
{
	char chunk[65536];
	size_t left = x->len;
	int fd = open(x->host, O_RDONLY);

	if (fd < 0)
		return error_set(err, EXIT_FAIL, "%s: %s", x->host, strerror(errno));
	while (left) {
		ssize_t n = read(fd, chunk, left < sizeof chunk ? left : sizeof chunk);
		if (n <= 0) {
			close(fd);
			return error_set(err, EXIT_FAIL, "%s: %s", x->host,
			                 n < 0 ? strerror(errno) : "changed size while written");
		}
		if (archive_write_data(w, chunk, (size_t)n) < 0) {
			close(fd);
			return error_set(err, EXIT_FAIL, "%s: %s", x->path, archive_error_string(w));
		}
		left -= (size_t)n;
	}
	close(fd);
	return 0;
}

int layer_write(struct layer *l, const char *tar_path, const char *gz_path,
                struct layer_result *res, struct pbrx_error *err)
{
	/* A pax header holds a non-ASCII path in UTF-8, which libarchive
	 * converts from the locale's charset, and in the C locale it can't:
	 * this thread writes in C.UTF-8, so paths go out as the bytes given. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old = (locale_t)0;
	struct sink tar = {0}, gz = {0};
	struct archive *w;
	struct archive_entry *ae;
	int rc = -1;

	if (utf8)
		old = uselocale(utf8);
	w = archive_write_new();
	ae = archive_entry_new();
	memset(res, 0, sizeof *res);
	sort_entries(l);
	if (open_sink(&tar, tar_path, err) < 0 ||
	    (gz_path && (open_sink(&gz, gz_path, err) < 0 || !(tar.gz = gzip_open(&gz, err)))))
		goto out;
	archive_write_set_format_pax_restricted(w);
	if (archive_write_open(w, &tar, NULL, sink_write, NULL) != ARCHIVE_OK) {
		error_set(err, EXIT_FAIL, "layer: %s", archive_error_string(w));
		goto out;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *x = &l->v[i];

		archive_entry_clear(ae);
		set_header(ae, x);
		if (archive_write_header(w, ae) != ARCHIVE_OK) {
			error_set(err, EXIT_FAIL, "%s: %s", x->path, archive_error_string(w));
			goto out;
		}
		if (x->kind == K_FILE && x->host) {
			if (copy_host(w, x, err) < 0)
				goto out;
		} else if (x->kind == K_FILE && archive_write_data(w, x->data, x->len) < 0) {
			error_set(err, EXIT_FAIL, "%s: %s", x->path, archive_error_string(w));
			goto out;
		}
	}
	if (archive_write_close(w) != ARCHIVE_OK) {
		error_set(err, EXIT_FAIL, "layer: %s", archive_error_string(w));
		goto out;
	}
	if (tar.gz && archive_write_close(tar.gz) != ARCHIVE_OK) {
		error_set(err, EXIT_FAIL, "gzip: %s", archive_error_string(tar.gz));
		goto out;
	}
	rc = 0;
out:
	archive_entry_free(ae);
	archive_write_free(w);
	if (tar.gz)
		archive_write_free(tar.gz);
	if (tar.md) {
		hex_final(tar.md, res->diff_id);
		res->size = tar.size;
	}
	if (gz.md) {
		hex_final(gz.md, res->gz_digest);
		res->gz_size = gz.size;
	}
	if (tar.md && close_sink(&tar, tar_path, err) < 0)
		rc = -1;
	if (gz.md && close_sink(&gz, gz_path, err) < 0)
		rc = -1;
	if (rc < 0)
		res->gz_digest[0] = res->diff_id[0] = '\0';
	if (!gz_path)
		res->gz_digest[0] = '\0';
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return rc;
}
