/* SPDX-License-Identifier: Apache-2.0 */
/* layercache: images that stand for a run of plan steps, found again by
 * what determines their content.
 *
 * A plan step may name a "layer" (see pbrx-document(5)): a run of steps
 * with the same layer name, on top of an image, gives the same result as
 * long as the image, the steps and the wheels they install are the same.
 * So the result is committed once and tagged with a key hashed from those
 * (layercache_key), and a later build finds it by that tag
 * (layercache_find) instead of running the steps again, as a Dockerfile
 * builder's layer cache does.  The tags are kept on failure: they are a
 * cache, not a result.
 *
 * Tags: pbrx-cache/builder:LAYER-KEY for the builder (shared by every
 * project: only the base image and the packages decide it), and
 * pbrx-cache/PROJECT:LAYER-KEY for the layers of a project's images. */
#ifndef PBRX_LAYERCACHE_H
#define PBRX_LAYERCACHE_H

#include <jansson.h>
#include <stdbool.h>

struct engine;

/* The key of a layer: 40 lower-case hex digits of the SHA-256 of the
 * parent image's ID, the layer's steps (as canonical JSON) and inputs
 * (what else the steps read, e.g. the wheels' SHA-256; NULL: nothing).
 * Malloc'd. */
char *layercache_key(const char *parent_id, const json_t *steps, const json_t *inputs);
/* "pbrx-cache/REPO:LAYER-KEY" (malloc'd); repo is "builder" or a
 * project's normalised name. */
char *layercache_ref(const char *repo, const char *layer, const char *key);
/* The ID of the image tagged ref (malloc'd), or NULL when there is none.
 * Dies (EXIT_FAIL) when the engine fails otherwise. */
char *layercache_find(struct engine *e, const char *ref);
/* The ID of image name (malloc'd).  Dies (EXIT_FAIL) when it fails. */
char *layercache_image_id(struct engine *e, const char *name);

#endif
