/* SPDX-License-Identifier: Apache-2.0 */
/* fs: whole files in and out of memory, and trees removed. */
#ifndef PBRX_FS_H
#define PBRX_FS_H

#include <stdbool.h>
#include <stddef.h>

struct pbrx_error;

/* The whole text of path ("-": stdin), NUL-terminated, *len (may be
 * NULL) its length.  Malloc'd; NULL with *e (EXIT_USAGE: "PATH: why")
 * when it can't be read. */
char *fs_read(const char *path, size_t *len, struct pbrx_error *e);
/* Write len bytes of data to path whole: under a temporary name of this
 * process beside it, then renamed, so that a reader never sees half a
 * file and two writers never mix theirs.  0, or -1 with errno (the
 * temporary file removed). */
int fs_write_whole(const char *path, const void *data, size_t len);
/* Copy file from to path to whole, as fs_write_whole() writes (the new
 * file this process's, with its umask's mode).  0, or -1 with errno. */
int fs_copy_whole(const char *from, const char *to);
/* Do files a and b hold the same bytes?  false when either can't be read. */
bool fs_same_bytes(const char *a, const char *b);
/* rm -rf path without following symlinks; what can't be removed is
 * warned about, a missing path is fine. */
void fs_remove_tree(const char *path);
/* The same, silently, for a caller with a second way (another user's
 * files): is path gone? */
bool fs_try_remove_tree(const char *path);

#endif
