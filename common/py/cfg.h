/* SPDX-License-Identifier: Apache-2.0 */
/* cfg: a project's setup.cfg, read as configparser reads it (cfgparser)
 * and then as pbr and setuptools read what it holds, into the
 * document's "project" section. */
#ifndef PBRX_CFG_H
#define PBRX_CFG_H

#include <jansson.h>
#include <stdbool.h>

struct pbrx_error;

/* Read path (DIR/setup.cfg, named so in messages) of the project in dir
 * and return the "project" section: name, version, dir, source, scripts,
 * extras (see pbrx-document(5)).  New reference; NULL with *e on bad
 * input (EXIT_USAGE, "path:LINE: what is wrong").  A setup.cfg without
 * [metadata] name is no error when name_optional: "name" is then null
 * (the wheel names the project later, see wheel-build(1)). */
json_t *cfg_read_project(const char *dir, const char *path, bool name_optional,
                         struct pbrx_error *e);

/* Parse one console_scripts line, "NAME = MODULE:CALLABLE [EXTRA, ...]",
 * as setup.cfg and a wheel's entry_points.txt spell it: a new object
 * {name, module, callable, extras}, or NULL with *e (EXIT_USAGE) saying
 * what is wrong, without a place: the caller knows the file and line. */
json_t *cfg_entry_point(const char *line, struct pbrx_error *e);

#endif
