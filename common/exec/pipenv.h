/* SPDX-License-Identifier: Apache-2.0 */
/* pipenv: what pip in the builder gets from the host (wheel-build(1)):
 * the mounts of its steps' container (the plan's, the find-links
 * directories, pip's configuration files and the files its settings
 * name) and the environment of every step (the host's PIP_ variables,
 * host paths replaced by where they are mounted, and the host's proxy
 * variables: exec/proxyenv.h).  Values are never printed: PIP_INDEX_URL
 * may hold a password. */
#ifndef PBRX_PIPENV_H
#define PBRX_PIPENV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "engine/engine.h"

struct pbrx_error;

/* Zero-initialise; pipenv_free releases. */
struct pipenv {
	struct engine_mount *mounts; /* for engine_container_spec; strings in keep */
	size_t nmounts, cap;
	/* The first nplan of mounts are the plan's (the source, the
	 * wheelhouse: under the container's /tmp), the rest pip's
	 * (pipenv_collect), some of them at pip's own paths (/etc/pip.conf):
	 * a container that is committed gets only the plan's, or the
	 * engine's mount points of the others would stay in its layer. */
	size_t nplan;
	struct strv env;   /* "NAME=VALUE" for engine_run_spec.env */
	struct strv keep;  /* the strings mounts point to (owned) */
	size_t nlinks;     /* find-links directories mounted so far */
};

/* Mount the host path source (copied) at target (copied). */
void pipenv_mount(struct pipenv *pe, const char *source, const char *target, bool read_only);
/* Add the mounts of the find_links directories (--find-links), of pip's
 * configuration and of what $PIP_FIND_LINKS and pip's settings name, and
 * fill pe->env.  0, or -1 with *err (EXIT_USAGE: "--find-links DIR:
 * why"). */
int pipenv_collect(struct pipenv *pe, const struct strv *find_links, struct pbrx_error *err);
/* Add to dirs the host directories pip may copy wheels from: find_links
 * and the local directories of $PIP_FIND_LINKS. */
void pipenv_host_links(struct strv *dirs, const struct strv *find_links);
void pipenv_free(struct pipenv *pe);

#endif
