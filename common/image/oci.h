/* SPDX-License-Identifier: Apache-2.0 */
/* oci: an image made of a base image's layers and layers written here
 * (image/layer.h), in the forms engines load.
 *
 * The config is written canonically (jansson, keys sorted, compact), so
 * the image ID, the sha256 of its bytes, is known before any engine sees
 * it.  Only the new layers travel: dockerd's POST /images/load and
 * containers-storage both find the base's layers by digest.
 *   - docker-archive (oci_docker_archive()): for POST /images/load
 *     (docker load); manifest.json names one "<diff hex>/layer.tar" per
 *     diff ID, base ones included, and the tar holds the config and the
 *     new layers only.
 *   - OCI image layout (oci_layout_dir(), oci_layout_archive() for the
 *     same as a tar, "oci-archive"): the manifest lists each base layer
 *     by its uncompressed digest (application/vnd.oci.image.layer.v1.tar,
 *     digest = its diff ID), which containers-storage reuses, and the
 *     blobs are the config, the new layers (gzip when written) and the
 *     manifest.
 *
 * Errors: functions returning int give 0 or -1 with *err filled;
 * oci_image_new() NULL with *err. */
#ifndef PBRX_OCI_H
#define PBRX_OCI_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "image/layer.h"

struct pbrx_error;

/* The media types of an OCI image layout (OCI image spec v1.0). */
#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_REF_NAME "org.opencontainers.image.ref.name"

/* One new layer: its files, and what layer_write() said of them. */
struct oci_layer {
	const char *tar_path;  /* the uncompressed tar (required) */
	const char *gz_path;   /* its gzip blob, the OCI layout's blob; NULL:
	                        * the layout holds the tar itself */
	const char *created_by;  /* its history entry's; NULL: the spec's */
	struct layer_result res;
};

/* What the image is; NULL members are left out. */
struct oci_image_spec {
	const char *architecture;      /* required: "amd64", "arm64", ... */
	const char *os;                /* NULL: "linux" */
	long long epoch;               /* "created", as RFC 3339 UTC */
	const json_t *config;          /* the "config" object (Env, Cmd,
	                                * Entrypoint, WorkingDir, User,
	                                * Labels...), borrowed, copied as is */
	const json_t *base_diff_ids;   /* the base's RootFS.Layers: array of
	                                * "sha256:..." strings, borrowed;
	                                * NULL: no base */
	const json_t *base_layer_sizes;  /* the sizes of those layers
	                                  * uncompressed (array of integers),
	                                  * for the OCI manifest; NULL: -1,
	                                  * "unknown", which skopeo copy into
	                                  * containers-storage accepts for a
	                                  * layer the storage has (checked
	                                  * with skopeo 1.9) */
	const json_t *base_history;    /* the base's history array, borrowed */
	const char *created_by;        /* with it, one history entry per new
	                                * layer; NULL and no base_history: no
	                                * history at all */
	const char *config_created_by; /* with it, a last entry with
	                                * empty_layer: the config's change */
	const struct oci_layer *layers;  /* the new layers, bottom first */
	size_t nlayers;
};

/* An image ready to be written.  Free with oci_image_free(). */
struct oci_image {
	char *config;                  /* the config's bytes (NUL-terminated) */
	size_t config_len;
	char id[LAYER_DIGEST_LEN];     /* sha256 of config: the image ID and
	                                * the config's digest */
	char **diff_ids;               /* all of them, base's first */
	size_t ndiff_ids, nbase;
	long long *base_sizes;         /* nbase sizes, -1 when unknown */
	struct oci_layer *layers;      /* copies (paths malloc'd) */
	size_t nlayers;
	long long epoch;
};

/* The image of spec: its config made and digested. */
struct oci_image *oci_image_new(const struct oci_image_spec *spec, struct pbrx_error *err);
void oci_image_free(struct oci_image *img);

/* The docker-archive of img, named repo_tag ("repo:tag"; NULL: no
 * name), to the file path or, when path is NULL, appended to *mem. */
int oci_docker_archive(const struct oci_image *img, const char *repo_tag, const char *path,
                       struct buf *mem, struct pbrx_error *err);
/* The OCI image layout of img in directory dir (made if missing), its
 * index naming it ref_name (org.opencontainers.image.ref.name; NULL:
 * no name). */
int oci_layout_dir(const struct oci_image *img, const char *ref_name, const char *dir,
                   struct pbrx_error *err);
/* The same layout as a tar (an "oci-archive") to the file path or,
 * when path is NULL, appended to *mem. */
int oci_layout_archive(const struct oci_image *img, const char *ref_name, const char *path,
                       struct buf *mem, struct pbrx_error *err);

/* A descriptor {mediaType, digest, size}.  New reference. */
json_t *oci_descriptor(const char *media_type, const char *digest, long long size);

#endif
