/* SPDX-License-Identifier: Apache-2.0 */
/* pylayers: the Python layers of an image written by pbrx, not by pip in
 * a container (image-assemble(1)): each layer of the plan's
 * "python_layers" is the wheels it names installed as pip would
 * (py/install.h) with the bytecode wheel-build compiled
 * (.wheels.bytecode), into a normalised tar (image/layer.h) whose bytes
 * depend only on that content.  A layer is kept in the cache directory
 * "layers" (base/cachedir.h) under the SHA-256 of everything that makes
 * it, so a build that changes only the project's source writes one
 * small layer and finds the others.
 *
 * Errors: a struct pbrx_error; EXIT_USAGE for bad input in the document
 * (checked by pylayers_read(), before anything is made), EXIT_FAIL
 * when a wheel can't be installed or a file written. */
#ifndef PBRX_PYLAYERS_H
#define PBRX_PYLAYERS_H

#include <jansson.h>
#include <stdbool.h>

#include "image/oci.h"
#include "py/scheme.h"

struct pbrx_error;

/* What every layer of a run shares.  Zero-initialise; pylayers_free. */
struct pylayers {
	struct scheme scheme;    /* .base.python */
	const char *wheelhouse;  /* .wheels.wheelhouse (borrowed) */
	const char *bytecode;    /* .wheels.bytecode (borrowed), or NULL */
	const json_t *files;     /* .wheels.files (borrowed): each wheel's SHA-256 */
	long long epoch;         /* mtimes and "created": .project.created */
	char *cache;             /* the "layers" cache directory, or NULL:
	                          * layers go to scratch and are not kept */
	char *scratch;           /* without a cache: the run's temporary
	                          * directory for its layers */
	bool no_cache;           /* write every layer again (and keep it) */
};

/* The time pbrx writes layers at (mtimes, "created"): the project's
 * (.project.created: its commit's, or SOURCE_DATE_EPOCH), never the
 * clock, so the same commit gives the same bytes; 0 when the document
 * has none.  -1 with *e when it is not a time. */
long long pylayers_epoch(const json_t *doc, struct pbrx_error *e);
/* Read what doc says the layers need, checked: 0, or -1 with *e (its
 * JSON path). */
int pylayers_read(struct pylayers *pl, const json_t *doc, bool no_cache, struct pbrx_error *e);
/* Is every layer of plan image img's "python_layers" (an array: checked
 * here, path its JSON path) well formed, its wheels in .wheels.files? */
int pylayers_check(const struct pylayers *pl, const json_t *layers, const char *path,
                   struct pbrx_error *e);
/* Layer spec (an element of "python_layers") into *out: found in the
 * cache or written; out->tar_path malloc'd (free it), *reused says
 * which.  who names the image in messages.  0, or -1 with *e. */
int pylayers_layer(const struct pylayers *pl, const json_t *spec, const char *who,
                   struct oci_layer *out, bool *reused, struct pbrx_error *e);
/* Remove the scratch directory; free what pl holds. */
void pylayers_free(struct pylayers *pl);

#endif
