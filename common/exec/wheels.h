/* SPDX-License-Identifier: Apache-2.0 */
/* wheels: wheel-build's one job (wheel-build(1)).  The plan's builder
 * steps run in one container (after the cached layers: layercache.h),
 * building wheels of the project and its dependencies into a wheelhouse
 * on the host (wheelhouse.h) with pip's settings from the host
 * (pipenv.h), then the "extras" step for extras the plan did not know;
 * and the document gets its "wheels" section. */
#ifndef PBRX_WHEELS_H
#define PBRX_WHEELS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"

struct pbrx_error;

struct wheels_options {
	const char *engine;            /* --engine; NULL: PBRX_ENGINE or auto */
	const char *wheelhouse;        /* --wheelhouse; NULL: a temporary one */
	struct strv find_links;        /* --find-links directories (the caller's) */
	bool no_cache;                 /* --no-cache: build the cached layers again */
};

/* Build the wheels doc's .plan.builder asks for and add .wheels to doc.
 * EXIT_OK; else the failure's exit status, with *err set when its
 * message is still to be printed, clear when the process that ran the
 * failing step printed it already.  Bad input (EXIT_USAGE, its JSON
 * path, as doc_need() says it) is found before anything is made.  On failure nothing is left but a
 * wheelhouse the user named (less the wheels pip left unfinished).
 * Installs base/cleanup.h's policy once the document is read: a SIGINT,
 * SIGTERM or SIGHUP before the job is done removes the builder and the
 * temporary wheelhouse, and the process dies of it; on failure the
 * cleanup has run when this returns (the caller ends the process), on
 * success it is over (cleanup_end()). */
int wheels_build(json_t *doc, const struct wheels_options *o, struct pbrx_error *err);

#endif
