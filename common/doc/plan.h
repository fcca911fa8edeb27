/* SPDX-License-Identifier: Apache-2.0 */
/* plan: the rules of what the executing stages (wheel-build: the
 * builder; image-assemble: the images) run from .plan (pbrx-document(5),
 * section plan): a plan object's mounts and steps, written by
 * image-plan and checked here, once, before a stage makes anything; the
 * stage then reads what was checked with plain getters.
 *
 * Strings are borrowed from the document, which must outlive what they
 * are read into. */
#ifndef PBRX_PLAN_H
#define PBRX_PLAN_H

#include <jansson.h>
#include <stdbool.h>

struct pbrx_error;

/* Every mount target and scratch path of a step's container is under
 * PLAN_ROOT: the engine mounts /tmp as a tmpfs, so nothing there lands in
 * a committed layer (a mount point made anywhere else would stay in the
 * image as an empty directory). */
#define PLAN_ROOT "/tmp/pbrx"

/* Where the builder's pip writes the wheels it makes: wheel-build mounts
 * a scratch directory of its own there, writable by the builder's user,
 * and moves what is new into the wheelhouse, which that user can't
 * write. */
#define PLAN_OUT PLAN_ROOT "/out"

/* The one volume a mount can name: the stage maps it to its wheelhouse. */
#define PLAN_VOLUME_WHEELHOUSE "wheelhouse"

/* One mount of a step's container: of a host path, or of the volume
 * "wheelhouse". */
struct plan_mount {
	const char *source;  /* a host path; NULL for the wheelhouse volume */
	const char *target;  /* absolute */
	bool read_only;      /* always true for a host path */
};

/* Read mount o, at path (".plan.builder.mounts[0]"), into *m.  The rule:
 * an absolute "target", either a host "source" or the "volume"
 * "wheelhouse", and a boolean "read_only"; a host source must be
 * read-only (the user's tree is left exactly as it was), the wheelhouse
 * is mounted as the plan says.  0, or -1 with *e (EXIT_USAGE, "PATH:
 * what", PATH the member at fault: ".plan.builder.mounts[0].target"). */
int plan_mount_check(const json_t *o, const char *path, struct plan_mount *m,
		     struct pbrx_error *e);

/* plan_mount_check for a stage reading its document: the message is
 * the document's, "<stdin>: PATH: what", as doc_need() says one; a set
 * *e is kept (-1 without looking). */
int plan_mount_read(const json_t *o, const char *path, struct plan_mount *m,
                    struct pbrx_error *e);

/* The "mounts" of plan object obj (at path: ".plan.builder"), each by
 * plan_mount_read()'s rule; a missing member is an error when required.
 * *wheelhouse (NULL: not asked) says whether one mounts the wheelhouse.
 * 0, or -1 with *e. */
int plan_mounts_check(const json_t *obj, const char *path, bool required, bool *wheelhouse,
                      struct pbrx_error *e);
/* Mount o read as it stands: for one plan_mounts_check() accepted. */
void plan_mount_get(const json_t *o, struct plan_mount *m);

/* The "steps" of plan object obj (at path), the rule every step runs by:
 * an array of objects, each with a "name" string, an "argv" array of
 * strings that is not empty ("PATH.steps[K].argv: expected a command"),
 * maybe a "layer", a name: the steps with one come first, each with
 * a name (the cached layers, engine/layercache.h), and maybe a "user"
 * the step runs as (else root).  0, or -1 with *e
 * ("<stdin>: PATH.steps[K]...: what"). */
int plan_steps_check(const json_t *obj, const char *path, struct pbrx_error *e);

/* Mount m as the plan writes it (a new object): "source" or "volume",
 * "target", "read_only"; a host source is always written read-only, so
 * what this writes plan_mount_check accepts when the target is absolute. */
json_t *plan_mount_json(const struct plan_mount *m);

#endif
