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

/* Like cfg_read_project, but a setup.cfg without [metadata] name is no
 * error when name_optional: "name" is then null (the wheel names the
 * project later, see wheel-build(1)).  New reference. */
json_t *cfg_read_project_opt(const char *dir, const char *path, int name_optional);

/* Parse one console_scripts line, "NAME = MODULE:CALLABLE [EXTRA, ...]",
 * as setup.cfg and a wheel's entry_points.txt spell it: a new object
 * {name, module, callable, extras}, or NULL with *err set (malloc'd, to
 * free) saying what is wrong. */
json_t *cfg_entry_point(const char *line, char **err);

#endif
