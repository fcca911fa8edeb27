/* SPDX-License-Identifier: Apache-2.0 */
/* inspect: the base image looked at through the engine, for the "base"
 * section of the document (pbrx-document(5)): its ID, digest, os-release
 * fields and config.  image-inspect's job. */
#ifndef PBRX_INSPECT_H
#define PBRX_INSPECT_H

#include <jansson.h>

struct engine;
struct pbrx_error;

/* The "base" section for image (as the user named it): inspected, and
 * pulled first when the engine has no such image (progress on stderr
 * unless -q).  os-release is read from the image (/etc/os-release, else
 * /usr/lib/os-release) or from the cache $XDG_CACHE_HOME/pbrx/os-release
 * /ID.json (default ~/.cache), which holds it per image ID for ever: an
 * ID is the hash of the content.  New reference; NULL with *err
 * (EXIT_FAIL: the engine's message, or "IMAGE:PATH:LINE: what" for a bad
 * os-release). */
json_t *inspect_base(struct engine *e, const char *image, struct pbrx_error *err);

#endif
