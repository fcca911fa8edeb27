/* SPDX-License-Identifier: Apache-2.0 */
/* planner/plan: image-plan's job as a library: from the document's
 * "project", "wheels", "bindep" and "base" sections, plan every
 * container step and every image: the "plan" section of
 * pbrx-document(5).  Pure: no engine, no network; the same input gives a
 * byte-identical plan. */
#ifndef PBRX_PLANNER_PLAN_H
#define PBRX_PLANNER_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "distro/platform.h"

struct pbrx_error;

/* What the options say; NULL: not given.  Checked by the caller:
 * base_image and the prefix as image references, tag as a tag, mirror
 * by pkgmgr_mirror_url_ok (without a final '/'), pm by pkgmgr_known. */
struct planner_options {
	const char *base_image, *prefix, *tag, *mirror, *pm;
	struct platform_choice platform;  /* --os-release, --platform */
	/* --runtime-packages auto: the runtime images get the packages that
	 * own the libraries the extensions need (.wheels.runtime_libraries)
	 * instead of bindep.txt's runtime selection. */
	bool runtime_auto;
};

/* Is s a mirror URL the plan can use: http(s)://HOST[:PORT][/PATH] with
 * characters that are safe both in a sed replacement with '#' as
 * delimiter (pkgmgr_mirror_steps) and anywhere else: no '&', '\', '#',
 * quotes, whitespace, '$', '?' or shell punctuation? */
bool planner_mirror_ok(const char *s);

/* The plan for document doc (borrowed): a new object, or NULL with *e
 * (EXIT_USAGE: the platform or its package manager cannot be told, an
 * image name too long, no mirror support; bad input in the document,
 * with its JSON path as doc_need() says it).  Notes and warnings go to
 * stderr. */
json_t *planner_plan(const json_t *doc, const struct planner_options *o, struct pbrx_error *e);

#endif
