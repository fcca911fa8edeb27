/* SPDX-License-Identifier: Apache-2.0 */
/* wheel: what a built wheel declares, read from the wheel itself (a zip,
 * read with libarchive): the .dist-info METADATA and entry_points.txt,
 * and the shared libraries each compiled extension needs (ELF DT_NEEDED,
 * read with libelf from memory).  See pbrx-document(5), "wheels". */
#ifndef PBRX_WHEEL_H
#define PBRX_WHEEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct archive;
struct pbrx_error;

/* Read the wheel at path and return its metadata (new reference):
 * {"file", "name", "version", "scripts": [{name, module, callable,
 * extras}], "extras": {Provides-Extra: [its Requires-Dist lines]},
 * "requires_dist": [...],
 * "extensions": [{"file", "needed": [soname...]}]}.  NULL with *e
 * (EXIT_FAIL, what is wrong, without the path) when the file is no
 * wheel pbrx can read. */
json_t *wheel_read(const char *path, struct pbrx_error *e);

/* The data of the member libarchive's a is at, whole: *buf (malloc'd,
 * NUL-terminated) and *len.  -1 when libarchive can't read it (its
 * archive_error_string() says why) or, with *too_big, when it has more
 * than max bytes: a crafted zip must not take the memory. */
int wheel_member_read(struct archive *a, size_t max, char **buf, size_t *len, bool *too_big);

#endif
