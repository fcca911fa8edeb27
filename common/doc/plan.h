/* SPDX-License-Identifier: Apache-2.0 */
/* plan: the parts of .plan (pbrx-document(5), section plan) that both
 * executing stages (wheel-build: the builder; image-assemble: the
 * images) read, checked by one rule.
 *
 * Bad input dies here with the JSON path (doc_die: "<stdin>: PATH:
 * what", exit 2) before a stage makes anything.  Strings are borrowed
 * from the document, which must outlive what they are read into. */
#ifndef PBRX_PLAN_H
#define PBRX_PLAN_H

#include <jansson.h>
#include <stdbool.h>

/* One mount of a step's container: of a host path, or of the volume
 * "wheelhouse", which the stage maps to its wheelhouse. */
struct plan_mount {
	const char *source;  /* a host path; NULL for the wheelhouse volume */
	const char *target;  /* absolute */
	bool read_only;      /* always true for a host path */
};

/* Read mount o, at path (".plan.builder.mounts[0]"), into *m.  The rule:
 * an absolute "target", either a host "source" or the "volume"
 * "wheelhouse", and a boolean "read_only"; a host source must be
 * read-only (the user's tree is left exactly as it was), the wheelhouse
 * is mounted as the plan says.  Dies on anything else. */
void plan_mount_read(const json_t *o, const char *path, struct plan_mount *m);

#endif
