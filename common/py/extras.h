/* SPDX-License-Identifier: Apache-2.0 */
/* extras: the one rule of which extras each image of a project installs
 * (image-plan(1)): the base image the extra NAME_base, each console
 * script's image the extra named after the script, then the extras its
 * entry point lists (less the base's).  Names are compared as pip
 * normalises them (pyname_same) and returned as the extras object spells
 * them (its first key so normalised): pip installs an extra only when
 * asked with the spelling the wheel declares. */
#ifndef PBRX_EXTRAS_H
#define PBRX_EXTRAS_H

#include <jansson.h>

#include "base/intern.h"

/* An extras object's keys by normalised name, for lookups without a scan
 * (a project with an extra per script made the loops quadratic). */
struct extras_index {
	struct intern canon; /* normalised names, numbered in key order */
	const char **key;    /* by number: the first key so normalised (borrowed) */
};

/* Index extras (an object: name -> requirements; NULL: none).  Borrows
 * extras' keys: keep it alive while ix is used. */
void extras_index_init(struct extras_index *ix, const json_t *extras);
/* The key that is want once normalised (borrowed), or NULL. */
const char *extras_index_find(const struct extras_index *ix, const char *want);
void extras_index_free(struct extras_index *ix);

/* The base image's extra: the key that is NAME_base ('-' in name as '_'),
 * or NULL when not declared (borrowed). */
const char *extras_base(const struct extras_index *ix, const char *name);

/* Called for an entry-point extra that is not declared: its index k in
 * the entry point's list and its name. */
typedef void extras_unknown_fn(size_t k, const char *extra, void *arg);

/* The extras of the image of script (its name and its entry point's
 * extras, an array of strings or NULL), base the base image's extra (or
 * NULL): a new array, as spelt in the index, unique.  unknown (may be
 * NULL) hears of each undeclared entry-point extra, which is left out. */
json_t *extras_for_script(const struct extras_index *ix, const char *base, const char *script,
			  const json_t *ep_extras, extras_unknown_fn *unknown, void *arg);

/* Every extra the images of project name install: the base's, then each
 * script's (scripts: an array of {"name", "extras"} as .project.scripts
 * and .wheels.metadata.scripts have them), first use first, unique, as
 * extras spells them.  A new array. */
json_t *extras_for_images(const char *name, const json_t *scripts, const json_t *extras);

#endif
