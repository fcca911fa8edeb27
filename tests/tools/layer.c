/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of image/layer: normalised layer tars, run by
 * tests/image-write.bats, which checks its tars further.  Run with a scratch
 * directory DIR: checks determinism, order, modes, owners and the mtime
 * clamp by reading the tars back with libarchive, and leaves DIR/m.tar
 * (entries from memory) and DIR/t.tar with DIR/t.tar.gz (a host tree)
 * for tests/image-write.bats to check with GNU tar and sha256sum; prints
 * "DIFF_ID GZ_DIGEST" of t.tar.  Prints each failed case; exits 1 when
 * any failed. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "image/layer.h"

#define EPOCH 1700000000LL

static int failed;

#define CHECK(cond, ...) do { if (!(cond)) { printf(__VA_ARGS__); putchar('\n'); failed = 1; } } while (0)

static void put(const char *path, const char *text, mode_t mode, time_t mtime)
{
	FILE *f = fopen(path, "w");
	struct timeval tv[2] = {{mtime, 0}, {mtime, 0}};

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	utimes(path, tv);
}

static struct layer *memory_layer(void)
{
	struct layer *l = layer_new(EPOCH);

	/* added out of order, one path twice: the later wins */
	layer_add_file(l, "/usr/bin/tool", 0755, "#!/bin/sh\n", 10);
	layer_add_dir(l, "usr/", 0755);
	layer_add_symlink(l, "./usr/bin/alias", "tool");
	layer_add_dir(l, "usr/bin", 0755);
	layer_add_file(l, "etc/conf", 0600, "old", 3);
	layer_add_file(l, "etc/conf", 0640, "new\n", 4);
	layer_add_dir(l, "etc", 0755);
	return l;
}

/* What a tar holds, one line per entry: "type mode uid gid uname gname
 * mtime path [target]". */
static char *listing(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t cap = 0;
	char *out = NULL;
	FILE *f = open_memstream(&out, &cap);

	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 10240) != ARCHIVE_OK) {
		fprintf(f, "unreadable: %s", archive_error_string(a));
	} else {
		while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
			mode_t t = archive_entry_filetype(e);
			fprintf(f, "%c %04o %lld %lld '%s' '%s' %lld %s%s%s%s\n",
			        t == AE_IFDIR ? 'd' : t == AE_IFLNK ? 'l' : t == AE_IFREG ? '-' : '?',
			        (unsigned)archive_entry_perm(e),
			        (long long)archive_entry_uid(e), (long long)archive_entry_gid(e),
			        archive_entry_uname(e) ? archive_entry_uname(e) : "",
			        archive_entry_gname(e) ? archive_entry_gname(e) : "",
			        (long long)archive_entry_mtime(e), archive_entry_pathname(e),
			        archive_entry_atime_is_set(e) || archive_entry_ctime_is_set(e) ?
			        " (atime/ctime)" : "",
			        t == AE_IFLNK ? " -> " : "", t == AE_IFLNK ? archive_entry_symlink(e) : "");
		}
	}
	archive_read_free(a);
	fclose(f);
	return out;
}

static void write_ok(struct layer *l, const char *tar, const char *gz, struct layer_result *r)
{
	struct pbrx_error e = {0};

	if (layer_write(l, tar, gz, r, &e) < 0) {
		printf("layer_write(%s): %s\n", tar, e.msg);
		failed = 1;
	}
	error_free(&e);
}

/* Write l (freed) to tar (and gz), and check what the tar holds. */
static void write_expect(struct layer *l, const char *tar, const char *gz,
                         struct layer_result *r, const char *want, const char *what)
{
	char *list;

	write_ok(l, tar, gz, r);
	layer_free(l);
	list = listing(tar);
	CHECK(!strcmp(list, want), "%s listing:\n%s", what, list);
	free(list);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&p, &cap);
	char chunk[4096];
	size_t n;

	while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	if (f)
		fclose(f);
	fclose(m);
	*len = cap;
	return p;
}

int main(int argc, char **argv)
{
	struct layer_result r1, r2, rt, rt2;
	struct pbrx_error e = {0};
	struct layer *l;
	char *dir, *m1, *m2, *t, *t2, *tree, *s, *gz;
	char digest[LAYER_DIGEST_LEN];
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: layer DIR\n");
		return 2;
	}
	dir = argv[1];
	m1 = xasprintf("%s/m.tar", dir);
	m2 = xasprintf("%s/m2.tar", dir);
	t = xasprintf("%s/t.tar", dir);
	t2 = xasprintf("%s/t2.tar", dir);
	gz = xasprintf("%s/t.tar.gz", dir);
	tree = xasprintf("%s/tree", dir);

	/* from memory: sorted, the later entry of a path kept, owners 0 */
	write_expect(memory_layer(), m1, NULL, &r1,
	             "d 0755 0 0 '' '' 1700000000 etc/\n"
	             "- 0640 0 0 '' '' 1700000000 etc/conf\n"
	             "d 0755 0 0 '' '' 1700000000 usr/\n"
	             "d 0755 0 0 '' '' 1700000000 usr/bin/\n"
	             "l 0777 0 0 '' '' 1700000000 usr/bin/alias -> tool\n"
	             "- 0755 0 0 '' '' 1700000000 usr/bin/tool\n", "memory layer");
	CHECK(!r1.gz_digest[0], "no gzip asked, gz_digest '%s'", r1.gz_digest);
	/* the same entries again: the same bytes */
	l = memory_layer();
	write_ok(l, m2, NULL, &r2);
	layer_free(l);
	CHECK(!strcmp(r1.diff_id, r2.diff_id), "two writes: %s, %s", r1.diff_id, r2.diff_id);
	s = slurp(m1, &len);
	layer_digest(s, len, digest);
	CHECK(!strcmp(digest, r1.diff_id) && len == r1.size,
	      "diff ID %s size %llu, the file's %s %zu", r1.diff_id, r1.size, digest, len);
	free(s);

	/* from the host: modes kept, mtimes clamped to the epoch */
	mkdir(tree, 0755);
	s = xasprintf("%s/sub", tree);
	mkdir(s, 0700);
	free(s);
	s = xasprintf("%s/sub/new", tree);
	put(s, "future\n", 0644, (time_t)EPOCH + 1000);   /* newer: clamped */
	free(s);
	s = xasprintf("%s/old", tree);
	put(s, "past\n", 0750, (time_t)EPOCH - 1000);     /* older: kept */
	free(s);
	s = xasprintf("%s/link", tree);
	symlink("old", s);
	free(s);
	s = xasprintf("%s/sub", tree);
	{
		struct timeval tv[2] = {{EPOCH - 5, 0}, {EPOCH - 5, 0}};
		utimes(s, tv);
	}
	free(s);
	l = layer_new(EPOCH);
	if (layer_add_tree(l, tree, "/app", &e) < 0) {
		printf("layer_add_tree: %s\n", e.msg);
		failed = 1;
		error_free(&e);
	}
	layer_add_dir(l, "app", 0755);
	/* the symlink's own mtime is now: clamped */
	write_expect(l, t, gz, &rt,
	             "d 0755 0 0 '' '' 1700000000 app/\n"
	             "l 0777 0 0 '' '' 1700000000 app/link -> old\n"
	             "- 0750 0 0 '' '' 1699999000 app/old\n"
	             "d 0700 0 0 '' '' 1699999995 app/sub/\n"
	             "- 0644 0 0 '' '' 1700000000 app/sub/new\n", "tree layer");
	CHECK(rt.gz_digest[0] && strcmp(rt.gz_digest, rt.diff_id), "gzip digest '%s'", rt.gz_digest);
	s = slurp(gz, &len);
	layer_digest(s, len, digest);
	CHECK(!strcmp(digest, rt.gz_digest) && len == rt.gz_size && len > 10 &&
	      !memcmp(s, "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8),
	      "gzip blob: digest %s size %zu, header not reproducible", digest, len);
	free(s);
	/* the tree again, gzip included: the same bytes */
	l = layer_new(EPOCH);
	layer_add_tree(l, tree, "app", &e);
	layer_add_dir(l, "/app/", 0755);
	s = xasprintf("%s/t2.tar.gz", dir);
	write_ok(l, t2, s, &rt2);
	free(s);
	layer_free(l);
	CHECK(!strcmp(rt.diff_id, rt2.diff_id) && !strcmp(rt.gz_digest, rt2.gz_digest),
	      "tree twice: %s %s, %s %s", rt.diff_id, rt.gz_digest, rt2.diff_id, rt2.gz_digest);

	/* a host tree with a FIFO is refused */
	s = xasprintf("%s/fifo", tree);
	mkfifo(s, 0644);
	free(s);
	l = layer_new(EPOCH);
	CHECK(layer_add_tree(l, tree, NULL, &e) < 0 && e.msg && strstr(e.msg, "fifo"),
	      "FIFO: %s", e.msg ? e.msg : "accepted");
	error_free(&e);
	layer_free(l);

	printf("%s %s\n", rt.diff_id, rt.gz_digest);
	free(m1);
	free(m2);
	free(t);
	free(t2);
	free(gz);
	free(tree);
	return failed;
}
