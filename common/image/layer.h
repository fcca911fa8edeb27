/* SPDX-License-Identifier: Apache-2.0 */
/* layer: a normalised layer tar, written here rather than committed by
 * an engine, so that its bytes, and with them the image ID, depend only
 * on its content.
 *
 * Entries come from memory (layer_add_file/dir/symlink) or from a
 * directory tree on the host (layer_add_tree).  layer_write() writes
 * them sorted by path (byte order), owner 0:0 with no user or group
 * names, mtime clamped to the caller's epoch (SOURCE_DATE_EPOCH: a
 * host file's own mtime when older, else the epoch; entries from memory
 * get the epoch), in pax-restricted format (plain ustar headers, a pax
 * header only when a name or size needs one; no atime, ctime or xattrs),
 * uncompressed.  The same entries give the same bytes.
 *
 * Errors: functions returning int give 0 or -1 with *err filled. */
#ifndef PBRX_LAYER_H
#define PBRX_LAYER_H

#include <stdbool.h>
#include <stddef.h>

struct pbrx_error;

/* The entries of one layer.  Free with layer_free(). */
struct layer;

/* "sha256:" and 64 hex digits, NUL-terminated. */
#define LAYER_DIGEST_LEN (7 + 64 + 1)

/* What layer_write() wrote. */
struct layer_result {
	char diff_id[LAYER_DIGEST_LEN];  /* sha256 of the uncompressed tar */
	unsigned long long size;         /* its bytes */
	char gz_digest[LAYER_DIGEST_LEN];  /* sha256 of the gzip blob; "" when
	                                    * none was asked for */
	unsigned long long gz_size;
};

/* An empty layer whose mtimes are clamped to epoch (seconds since
 * 1970, the caller's SOURCE_DATE_EPOCH; never the clock). */
struct layer *layer_new(long long epoch);
void layer_free(struct layer *l);

/* Add an entry at path (leading "/" and "./" dropped; a later entry at
 * the same path replaces an earlier one).  mode is the permission bits
 * (07777).  Data and target are copied. */
void layer_add_file(struct layer *l, const char *path, unsigned mode,
                    const void *data, size_t len);
void layer_add_dir(struct layer *l, const char *path, unsigned mode);
void layer_add_symlink(struct layer *l, const char *path, const char *target);
/* Add everything under host directory dir (not dir itself) below prefix
 * (NULL or "": the layer's root): directories, regular files (read when
 * written, and then they must still have the size they had here; hard
 * links become copies) and symlinks with their modes.  The directories
 * of prefix itself are not added: layer_add_dir() them when the base
 * lacks them.  Any other file type is an error. */
int layer_add_tree(struct layer *l, const char *dir, const char *prefix,
                   struct pbrx_error *err);

/* Write the tar to tar_path (NULL: nowhere) and, when gz_path is not
 * NULL, a gzip of it (no timestamp, no name: reproducible too) to
 * gz_path; *res says their digests and sizes. */
int layer_write(struct layer *l, const char *tar_path, const char *gz_path,
                struct layer_result *res, struct pbrx_error *err);

/* "sha256:HEX" of len bytes of data into out. */
void layer_digest(const void *data, size_t len, char out[LAYER_DIGEST_LEN]);

#endif
