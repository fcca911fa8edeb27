/* SPDX-License-Identifier: Apache-2.0 */
/* pipconf: the host files a user's pip settings name, so that a build
 * container's pip finds them where the host's pip does.
 *
 * pip's configuration files and PIP_* variables may name files and
 * directories by host path: a CA bundle (cert), a client certificate
 * (client-cert), constraints and requirements files, local find-links
 * directories.  Mounting only the configuration file into a container
 * leaves pip there with a dangling path: "Could not open requirements
 * file", or a CA it lacks behind a TLS-inspecting proxy.  So every path
 * they name that exists on the host is mounted read-only at the same
 * path. */
#ifndef PBRX_PIPCONF_H
#define PBRX_PIPCONF_H

#include <stdbool.h>

/* Called for each host path a setting names: option is the setting
 * ("cert", "PIP_CONSTRAINT"...), path an absolute path that exists
 * (borrowed for the call). */
typedef void pipconf_path_fn(const char *option, const char *path, void *arg);

/* The paths that the pip configuration file at file names (configparser
 * syntax, any section: [global], [install], [wheel]...).  An unreadable
 * file names nothing (pip skips it too). */
void pipconf_file_paths(const char *file, pipconf_path_fn *fn, void *arg);
/* The paths that the environment entry "PIP_NAME=VALUE" names, for the
 * PIP_ variables that take paths (find-links excepted: PIP_FIND_LINKS
 * has its own mounts).  *is_path (may be NULL) tells whether NAME takes
 * paths at all. */
void pipconf_env_paths(const char *entry, pipconf_path_fn *fn, void *arg, bool *is_path);

#endif
