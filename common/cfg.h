/* SPDX-License-Identifier: Apache-2.0 */
/* cfg: a project's setup.cfg, read with inih the way configparser (and so
 * pbr and setuptools) reads it, into the document's "project" section. */
#ifndef PBRX_CFG_H
#define PBRX_CFG_H

#include <jansson.h>

/* Read path (DIR/setup.cfg, named so in messages) of the project in dir
 * and return the "project" section: name, version, dir, source, scripts,
 * extras (see pbrx-document(5)).  New reference.  Bad input dies with
 * EXIT_USAGE and "path:LINE: what is wrong". */
json_t *cfg_read_project(const char *dir, const char *path);

#endif
