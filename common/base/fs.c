/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/xalloc.h"

char *fs_read(const char *path, size_t *len, struct pbrx_error *e)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 0, n = 0, got;
	char *text = NULL;
	int saved;

	if (!f) {
		error_set(e, EXIT_USAGE, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		xgrow((void **)&text, &cap, n + 65536, 1);
		got = fread(text + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	saved = ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	if (saved) {
		free(text);
		error_set(e, EXIT_USAGE, "%s: %s", path, strerror(saved));
		return NULL;
	}
	text[n] = '\0';
	if (len)
		*len = n;
	return text;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		msg_warn("%s: %s", path, strerror(errno));
	return 0;
}

static int remove_entry_quietly(const char *path, const struct stat *st, int flag,
				struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

void fs_remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool fs_try_remove_tree(const char *path)
{
	struct stat st;

	nftw(path, remove_entry_quietly, 16, FTW_DEPTH | FTW_PHYS);
	return lstat(path, &st) < 0 && errno == ENOENT;
}

bool fs_same_bytes(const char *a, const char *b)
{
	struct stat sa, sb;
	FILE *fa, *fb;
	char ba[65536], bb[65536];
	bool same;

	/* Files of different sizes differ: no need to read them. */
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0 || sa.st_size != sb.st_size)
		return false;
	fa = fopen(a, "rb");
	fb = fa ? fopen(b, "rb") : NULL;
	same = fa && fb;

	while (same) {
		size_t na = fread(ba, 1, sizeof ba, fa), nb = fread(bb, 1, sizeof bb, fb);

		same = na == nb && !memcmp(ba, bb, na) && !ferror(fa) && !ferror(fb);
		if (na < sizeof ba)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* The temporary name of this process beside path that a whole file is
 * written under (malloc'd). */
static char *whole_tmp(const char *path)
{
	return xasprintf("%s.%ld.tmp", path, (long)getpid());
}

/* The end of a whole file's write: close f (NULL: it could not be
 * opened, rc -1), the temporary file tmp (freed), and rename it to path
 * when rc is 0; else, or when that fails, remove it.  rc, or -1 with
 * errno. */
static int whole_done(FILE *f, char *tmp, const char *path, int rc)
{
	int saved;

	if (!f || fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	saved = errno;
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return rc;
}

int fs_copy_whole(const char *from, const char *to)
{
	char *tmp = whole_tmp(to);
	FILE *in = fopen(from, "rb"), *out = in ? fopen(tmp, "wb") : NULL;
	char buf[65536];
	size_t n;
	int rc = in && out ? 0 : -1, saved;

	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in && ferror(in))
		rc = -1;
	rc = whole_done(out, tmp, to, rc);
	saved = errno;
	if (in)
		fclose(in);
	errno = saved;
	return rc;
}

int fs_write_whole(const char *path, const void *data, size_t len)
{
	char *tmp = whole_tmp(path);
	FILE *f = fopen(tmp, "wb");

	return whole_done(f, tmp, path, f && fwrite(data, 1, len, f) == len ? 0 : -1);
}
