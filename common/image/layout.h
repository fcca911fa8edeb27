/* SPDX-License-Identifier: Apache-2.0 */
/* layout: one OCI image layout (OCI image spec v1.0, image-layout.md)
 * holding several whole images, written for --output oci:DIR and
 * oci-archive:FILE (image-assemble(1)).
 *
 * Unlike image/oci.h's layouts, which carry only the new layers for an
 * engine that has the base's, this one holds every blob each image
 * needs: the base image's layers as an engine exports them
 * (engine_image_export()), the layers pbrx wrote, the configs and the
 * manifests.  Every layer blob is the uncompressed tar
 * (application/vnd.oci.image.layer.v1.tar), so its digest is its diff
 * ID, and a blob shared by several images is written once.
 *
 * Everything is written under a temporary name beside the target
 * ("TARGET.pbrx-tmp-PID"), which layout_commit() renames into place
 * (an archive: a normalised tar of it, sorted, owner 0:0, mtimes at the
 * caller's epoch, so the same images give the same bytes), so a failed
 * build leaves no half layout and an earlier one intact; layout_free()
 * removes what was not committed.
 *
 * Errors: functions returning int give 0 or -1 with *err (EXIT_FAIL). */
#ifndef PBRX_LAYOUT_H
#define PBRX_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "image/layer.h"

struct pbrx_error;

/* A layout being written.  Free with layout_free(). */
struct layout;

/* May a layout be put at target?  Nothing there; or for a directory
 * layout an empty directory or an OCI layout (oci-layout in it), which
 * is replaced; for an archive a regular file.  Anything else is kept:
 * -1 with *err (EXIT_USAGE), so that a mistyped --output never removes
 * a tree that is not a layout. */
int layout_target_check(const char *target, bool archive, struct pbrx_error *err);
/* A new layout for target, a directory or (archive) a tar file, made
 * at its temporary name: NULL with *err when it can't be. */
struct layout *layout_new(const char *target, bool archive, struct pbrx_error *err);
/* The temporary directory (borrowed): what a cleanup must remove. */
const char *layout_tmpdir(const struct layout *l);
/* Does l hold the blob digest ("sha256:HEX")? */
bool layout_has(const struct layout *l, const char *digest);
/* Add host file path as the blob digest (a hard link when it can be,
 * else a copy), unless l has it: for a layer pbrx wrote, whose digest
 * is known. */
int layout_add_file(struct layout *l, const char *digest, const char *path,
                    struct pbrx_error *err);

/* A blob whose digest is known when its last byte is: begin, write,
 * end.  Zero-initialise. */
struct layout_blob {
	int fd;
	char *tmp;
	void *md;                  /* the SHA-256 so far (EVP_MD_CTX) */
	unsigned long long size;
};
int layout_blob_begin(struct layout *l, struct layout_blob *b, struct pbrx_error *err);
int layout_blob_write(struct layout_blob *b, const void *data, size_t len,
                      struct pbrx_error *err);
/* Name it by its digest, into digest (unless l had it: then dropped);
 * b is freed, as it is by layout_blob_abort(). */
int layout_blob_end(struct layout *l, struct layout_blob *b, char digest[LAYER_DIGEST_LEN],
                    struct pbrx_error *err);
void layout_blob_abort(struct layout_blob *b);
/* Add the layer in file path, a tar as is or compressed (gzip, zstd:
 * what libarchive reads), uncompressed, its diff ID into diff_id. */
int layout_add_layer(struct layout *l, const char *path, char diff_id[LAYER_DIGEST_LEN],
                     struct pbrx_error *err);

/* Add the image whose config has these bytes and the ndiff diff IDs
 * (bottom first), every one of them a blob of l already, named ref in
 * the index (org.opencontainers.image.ref.name).  Images are listed in
 * the order added. */
int layout_add_image(struct layout *l, const char *ref, const char *config, size_t config_len,
                     char *const *diff_ids, size_t ndiff, struct pbrx_error *err);
/* The total size of the layer blobs diff_ids, bytes (0 for one l lacks). */
unsigned long long layout_layers_size(const struct layout *l, char *const *diff_ids,
                                      size_t ndiff);
/* Write oci-layout and index.json, and put the layout in place (an
 * archive: its tar, mtimes at epoch). */
int layout_commit(struct layout *l, long long epoch, struct pbrx_error *err);
/* Remove the temporary directory unless committed; free l.  NULL is
 * fine. */
void layout_free(struct layout *l);

#endif
