/* SPDX-License-Identifier: Apache-2.0 */
/* image-assemble: run the plan's image steps through the container
 * engine (one container per image, exec each step, commit with the
 * plan's config; Dockerfile images through the build endpoint), tag every
 * image only when all are built (or, with --output oci:DIR or
 * oci-archive:FILE, write them all to one OCI image layout instead), and
 * add the "images" section.
 * See image-assemble(1) and pbrx-document(5); the job is exec/assemble.h. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/stage.h"
#include "engine/engine.h"
#include "exec/assemble.h"

static void usage(FILE *f)
{
	fputs("usage: image-assemble [-hqv] [--version] [--engine ENGINE] [--progress MODE] [--no-cache]\n"
	      "                      [--prepare | --prepared] [--output WHERE]\n",
	      f);
}

/* --no-cache, --prepare, --prepared and --output, image-assemble's own
 * options.  A bad --output is one line, not the usage. */
static int own_option(int ch, const char *arg, void *ctx)
{
	struct assemble_opts *o = ctx;
	struct pbrx_error err = {0};

	if (ch == 'O' && assemble_output(arg, o, &err) < 0)
		error_exit(&err);
	else if (ch == 'O')
		return 0;
	if (ch == 'C')
		o->no_cache = true;
	else if (ch == 'P')
		o->prepare = true;
	else if (ch == 'R')
		o->prepared = true;
	else
		return -1;
	return 0;
}

/* The plan is checked before any engine is asked. */
struct check {
	const struct assemble_opts *o;
	struct assemble *a;
};

static int check_plan(const json_t *doc, void *ctx, struct pbrx_error *err)
{
	struct check *c = ctx;

	return (c->a = assemble_read(doc, c->o, err)) ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"no-cache", no_argument, NULL, 'C'},
		{"prepare", no_argument, NULL, 'P'},
		{"prepared", no_argument, NULL, 'R'},
		{"output", required_argument, NULL, 'O'},
		ENGINE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct assemble_opts opts = {0};
	struct check c = {.o = &opts};
	struct pbrx_error err = {0};
	struct engine_stage st;
	const char *engine = NULL;

	stage_init("image-assemble", argv);
	/* A closed stdout or engine socket is an error to report, after the
	 * cleanup, not a silent death that leaves containers behind. */
	signal(SIGPIPE, SIG_IGN);
	if (engine_stage_args(argc, argv, longopts, usage, own_option, &opts, &engine) < argc)
		stage_usage_error(usage);

	if (engine_stage_begin(&st, engine, check_plan, &c, &err) < 0)
		error_exit(&err);
	if (assemble_run(c.a, st.e, st.doc, &err) < 0)
		error_exit(&err);
	if (engine_stage_end(&st, &err) < 0)
		error_exit(&err);
	assemble_free(c.a);
	return EXIT_OK;
}
