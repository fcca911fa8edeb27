/* SPDX-License-Identifier: Apache-2.0 */
/* dockerfile: a plan image of kind "dockerfile", built through the
 * engine's build endpoint, its FROM lines pointed at the images built in
 * this run (see image-assemble(1)). */
#ifndef PBRX_DOCKERFILE_H
#define PBRX_DOCKERFILE_H

#include <stddef.h>

#include "exec/assemble.h"

struct engine;
struct pbrx_error;

/* Build imgs[i] from its Dockerfile, in its context directory, as its
 * tmp_ref, with the plan's labels; every FROM that names an earlier image
 * of imgs uses that image's tmp_ref.  The new image's ID (malloc'd), or
 * NULL with *err (the Dockerfile can't be read: its status; the engine
 * failed: EXIT_FAIL, the cleanup lock then held for good, as
 * exec/steps.h).  A build a signal cancelled never returns: the signal's
 * cleanup ends the process. */
char *dockerfile_build(struct engine *e, const struct assemble_image *imgs, size_t i,
                       struct pbrx_error *err);

#endif
