/* SPDX-License-Identifier: Apache-2.0 */
/* push: the images of the document pushed to their registries, for the
 * "pushed" section (pbrx-document(5)).  image-push's job. */
#ifndef PBRX_PUSH_H
#define PBRX_PUSH_H

#include <jansson.h>

#include "engine/engine.h"

struct pbrx_error;

/* The images to push: .images (built by this run), else .plan.images,
 * each an object with a "ref" string.  Borrowed from doc; NULL with *e
 * on bad input (its JSON path, as doc_need() says it). */
const json_t *push_images_of(const json_t *doc, struct pbrx_error *e);
/* Push each image of images (push_images_of()) in order, the base image
 * first as the plan lists them, with spec; a missing image or a refusal
 * stops the run.  The "pushed" section: [{"ref", "digest",
 * "layers_pushed", "layers_existing"}] (new reference); NULL with *err:
 * EXIT_USAGE when spec->cert_dir is given to an engine other than
 * buildah, else EXIT_FAIL with the engine's message (and where the
 * credentials came from when the registry refused them). */
json_t *push_images(struct engine *e, const json_t *images, const struct engine_push_spec *spec,
                    struct pbrx_error *err);

#endif
