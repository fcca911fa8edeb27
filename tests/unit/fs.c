/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of base/fs's whole-file copy and comparison, the two that
 * move wheels from the builder's output into the wheelhouse.  Prints
 * each failed case; exits 1 when any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/xalloc.h"

static int failed;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("%s\n", what);
		failed = 1;
	}
}

int main(void)
{
	char dir[] = "/tmp/pbrx-unit-fs.XXXXXX";
	char *a, *b, *c, *missing, *big, *copy, *text;
	struct pbrx_error e = {0};
	size_t len, n = 200000;
	struct stat st;

	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	a = xasprintf("%s/a", dir);
	b = xasprintf("%s/b", dir);
	c = xasprintf("%s/c", dir);
	missing = xasprintf("%s/missing", dir);
	copy = xasprintf("%s/copy", dir);
	/* Larger than one block of the comparison, differing in the last byte. */
	big = xcalloc(n, 1);
	memset(big, 'w', n);
	check(fs_write_whole(a, big, n) == 0, "write a");
	check(fs_write_whole(b, big, n) == 0, "write b");
	big[n - 1] = 'x';
	check(fs_write_whole(c, big, n) == 0, "write c");
	check(fs_same_bytes(a, b), "same bytes: equal files");
	check(!fs_same_bytes(a, c), "same bytes: the last byte differs");
	check(!fs_same_bytes(a, missing), "same bytes: a missing file");
	check(!fs_same_bytes(missing, a), "same bytes: a missing first file");
	check(fs_write_whole(b, big, n - 1) == 0, "write b shorter");
	check(!fs_same_bytes(a, b), "same bytes: sizes differ");
	/* A copy over an existing file: whole, the same bytes, no temporary left. */
	check(fs_copy_whole(c, a) == 0, "copy c over a");
	check(fs_same_bytes(a, c), "copy: the same bytes");
	text = fs_read(a, &len, &e);
	check(text && len == n && text[n - 1] == 'x', "copy: read back");
	free(text);
	error_free(&e);
	check(fs_copy_whole(missing, copy) < 0 && stat(copy, &st) < 0, "copy of a missing file: nothing made");
	free(missing);
	missing = xasprintf("%s/no-such-dir/x", dir);
	check(fs_copy_whole(a, missing) < 0, "copy into a missing directory fails");
	fs_remove_tree(dir);
	check(stat(dir, &st) < 0, "removed");
	free(a);
	free(b);
	free(c);
	free(missing);
	free(copy);
	free(big);
	return failed;
}
