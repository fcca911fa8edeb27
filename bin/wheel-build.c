/* SPDX-License-Identifier: Apache-2.0 */
/* wheel-build: run the plan's builder steps in one container, building
 * wheels of the project and its dependencies into a wheelhouse on the
 * host, and add the "wheels" section to the document.
 * See wheel-build(1) and pbrx-document(5). */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/msg.h"
#include "doc/doc.h"
#include "engine/engine.h"
#include "exec/wheels.h"

static void usage(FILE *f)
{
	fputs("usage: wheel-build [-hqv] [--version] [--engine ENGINE] [--progress MODE]"
	      " [--wheelhouse DIR]"
	      " [--find-links DIR ...]"
	      " [--no-cache]\n", f);
}

/* wheel-build's own options, for engine_stage_args(). */
static int own_option(int ch, const char *arg, void *ctx)
{
	struct wheels_options *o = ctx;

	switch (ch) {
	case 'w':
		if (!*arg)
			msg_die(EXIT_USAGE, "--wheelhouse: empty path");
		o->wheelhouse = arg;
		return 0;
	case 'f':
		strv_add(&o->find_links, arg);
		return 0;
	case 'C':
		o->no_cache = true;
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"wheelhouse", required_argument, NULL, 'w'},
		{"find-links", required_argument, NULL, 'f'},
		{"no-cache", no_argument, NULL, 'C'},
		ENGINE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct wheels_options o = {0};
	struct pbrx_error err = {0};
	json_t *doc;
	int rc;

	stage_init("wheel-build", argv);
	/* A closed stderr must not kill us before the builder is removed;
	 * a closed stdout is caught by doc_write. */
	signal(SIGPIPE, SIG_IGN);
	if (engine_stage_args(argc, argv, longopts, usage, own_option, &o, &o.engine) < argc)
		stage_usage_error(usage);

	if (!(doc = doc_read(&err)))
		error_exit(&err);
	rc = wheels_build(doc, &o, &err);
	if (rc == EXIT_OK && doc_write(doc, &err) < 0)
		rc = err.status;
	json_decref(doc);
	strv_free(&o.find_links);
	if (err.msg)
		error_exit(&err);
	return rc;
}
