/* SPDX-License-Identifier: Apache-2.0 */
/* steps: the plan's steps run on an engine.  A run of steps of one plan
 * object (an image of .plan.images) is executed in a container made from
 * an image and committed as a new one; the runs at the start that name a
 * "layer" are cached images, found again by their key or built and
 * tagged (engine/layercache.h).  See pbrx-document(5).
 *
 * What is made (containers, temporary tags) is recorded for the cleanup
 * (exec/rollback.h), with the cleanup lock (base/cleanup.h) held across
 * each request that makes it; a committed container is removed in the
 * background (exec/reaper.h).
 *
 * Failures: NULL with *err, the cleanup lock then held for good
 * (cleanup_hold()): the caller only reports, and msg_die's cleanup
 * removes what was made.  The plan objects were checked before (doc/
 * plan.h's rules, assemble_read()): nothing here reads bad input. */
#ifndef PBRX_STEPS_H
#define PBRX_STEPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct engine;
struct pbrx_error;

/* What every run of one plan object's steps shares.  All borrowed. */
struct steps_job {
	struct engine *e;
	const char *who;          /* said first in messages; names the
	                           * container ("pbrx-WHO") */
	const json_t *plan;       /* the plan object: its "mounts" */
	const char *path;         /* its JSON path, for messages */
	const char *wheelhouse;   /* the "wheelhouse" volume's host path
	                           * (.wheels.wheelhouse); NULL: none yet */
	const json_t *wheels;     /* .wheels, for the layers' keys; NULL
	                           * before wheel-build */
	char *const *env;         /* every step's environment ("NAME=VALUE",
	                           * NULL-terminated: exec/proxyenv.h); NULL */
	/* What the committed image runs, as the changes set it: with an
	 * entrypoint, the container's is replaced (and the cmd set); with
	 * only a cmd, the container keeps the image's; with neither, a
	 * container that runs no steps is never started. */
	bool entrypoint, cmd;
	char *const *changes;     /* the commit's changes (engine_commit()) */
	/* Run in container cid after the steps when a commit asks for it
	 * (steps_commit()'s check): 0, or -1 with *err, the cleanup lock
	 * held for good.  ctx is its own. */
	int (*check)(const struct steps_job *j, const char *cid, struct pbrx_error *err);
	const void *ctx;
	/* Cached layers are written by pbrx from what their steps changed
	 * (exec/fsdiff.h), mtimes clamped to epoch, rather than committed:
	 * for images with a python3 (.base.python). */
	bool write_layers;
	long long epoch;
};

/* A container from image from that runs steps (a JSON array, a run of
 * the plan's steps), with j->check when check is set, committed as
 * repo_tag with j->changes: the new image's ID (malloc'd).  The steps
 * mount the wheelhouse only when with_wheels is set (steps that read no
 * wheels run the same whether wheel-build ran yet or not).  repo_tag is
 * recorded for the cleanup, except a cache tag ("pbrx-cache/..."). */
char *steps_commit(const struct steps_job *j, const char *from, const json_t *steps,
                   bool with_wheels, const char *repo_tag, bool check, struct pbrx_error *err);

/* How the cached layers are looked up. */
struct steps_cache {
	const char *repo;         /* layercache_ref()'s repo (a project's
	                           * normalised name) */
	bool no_cache;            /* build every layer again */
	const char *stop_before;  /* a layer whose inputs are not known yet
	                           * ("dependencies" before wheel-build); NULL */
	const char *fresh_from;   /* with no_cache, the layers before this
	                           * one are found (layercache.h); NULL */
};

/* The cached layers at the start of the plan object's steps, on top of
 * from, committed with j->changes: each found by its key, or built and
 * tagged.  Returns the name of the last (malloc'd: its cache tag, or from
 * itself when there are none) and sets *next to the first step not done.
 * Containers are made from names, not IDs: buildah takes an ID only
 * without its "sha256:". */
char *steps_cached(const struct steps_job *j, const struct steps_cache *c, const char *from,
                   size_t *next, struct pbrx_error *err);

#endif
