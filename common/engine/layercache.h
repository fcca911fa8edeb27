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
#include <stddef.h>

struct pbrx_error;

struct engine;

/* The key of a layer: 40 lower-case hex digits of the SHA-256 of the
 * parent image's ID, the layer's steps (as canonical JSON) and inputs
 * (what else the steps read, e.g. the wheels' SHA-256; NULL: nothing).
 * Malloc'd. */
char *layercache_key(const char *parent_id, const json_t *steps, const json_t *inputs);
/* "pbrx-cache/REPO:LAYER-KEY" (malloc'd); repo is "builder" or a
 * project's normalised name. */
char *layercache_ref(const char *repo, const char *layer, const char *key);
/* The ID of the image tagged ref: 0 and *id (malloc'd; NULL when there
 * is no such image), or -1 with *err (EXIT_FAIL, "REF: engine's
 * message"). */
int layercache_find(struct engine *e, const char *ref, char **id, struct pbrx_error *err);
/* The ID of image name (malloc'd), or NULL with *err (EXIT_FAIL, "NAME:
 * no such image" or "NAME: engine's message"). */
char *layercache_image_id(struct engine *e, const char *name, struct pbrx_error *err);

/* Build the run of steps [first, end), whose inputs are inputs (what
 * the walk's inputs() gave; NULL: none), on image parent and commit it
 * as ref: 0 and *id (the new image's ID, malloc'd), or the stage's exit
 * status, the failure reported by the stage. */
typedef int layercache_build_fn(void *ctx, const char *parent, size_t first, size_t end,
                                const json_t *inputs, const char *ref, char **id);

/* A walk over the cached layers at the start of a stage's steps. */
struct layercache_walk {
	struct engine *e;
	const json_t *steps;    /* the plan's steps (borrowed): each run with
	                         * the same "layer" (a string) is one layer;
	                         * the walk ends at the first step without */
	const char *repo;       /* as layercache_ref() takes it */
	const char *who;        /* said first in the messages ("builder") */
	bool no_cache;          /* build every layer again */
	const char *stop_before;  /* a layer name that ends the walk; NULL */
	/* With no_cache: a layer name before which layers are looked up all
	 * the same (this build made them, earlier, in another run); NULL */
	const char *fresh_from;
	/* What else the layer's steps read, as layercache_key() takes it
	 * (new reference, or NULL); NULL: nothing. */
	json_t *(*inputs)(void *ctx, const char *layer);
	/* The run's steps as its key sees them (new reference); NULL: as
	 * they are. */
	json_t *(*key_steps)(void *ctx, const json_t *run);
	layercache_build_fn *build;
	void *ctx;
};

/* Walk w's cached layers on top of image from: each found by its key
 * (said "WHO: LAYER: cached (REF)"), or built by w->build ("WHO: LAYER:
 * building REF").  0: *top is the name of the last (malloc'd: its cache
 * tag, or from when there are none), *next the first step not done.
 * Else the failure's exit status: EXIT_FAIL with *err set when the
 * engine failed, w->build's status with *err untouched when it did. */
int layercache_walk(const struct layercache_walk *w, const char *from, char **top, size_t *next,
                    struct pbrx_error *err);

#endif
