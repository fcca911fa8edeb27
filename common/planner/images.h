/* SPDX-License-Identifier: Apache-2.0 */
/* planner/images: which images the plan makes and their configuration:
 * "{name}-base" with the distribution packages, the project's
 * dependencies and the project, then one image per console script on
 * top of it (or built from the project's Dockerfile.SCRIPT), each with
 * its name, reference, extras, mounts, steps and config. */
#ifndef PBRX_PLANNER_IMAGES_H
#define PBRX_PLANNER_IMAGES_H

#include <jansson.h>

struct pbrx_error;
struct planner_options;
struct planner_project;

/* The OCI labels every image of p shares (the title is set per image).
 * New. */
json_t *images_labels(const struct planner_project *p);

/* 0, or -1 with *e (its JSON path) when a console script's image would
 * have the base image's name. */
int images_check_names(const struct planner_project *p, struct pbrx_error *e);

/* Append to images the images of project p (which has a name), whose
 * base installs the distribution packages runtime (borrowed) with pm;
 * labels: images_labels(p), borrowed.  Appends to all_extras each extra
 * an image installs, once, for the builder.  Warns about extras no image
 * installs.  0, or -1 with *e (EXIT_USAGE). */
int images_plan(const struct planner_options *o, const char *pm, const struct planner_project *p,
		const json_t *runtime, const json_t *labels, json_t *images, json_t *all_extras,
		struct pbrx_error *e);

#endif
