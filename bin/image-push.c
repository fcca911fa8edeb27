/* SPDX-License-Identifier: Apache-2.0 */
/* image-push: push every image of the document to its registry, the base
 * image first, and add the "pushed" section (each reference with its
 * manifest digest).  The images are the "images" section's, written by
 * image-assemble, else the plan's (.plan.images), for images built
 * earlier.  See image-push(1) and pbrx-document(5). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/error.h"
#include "base/msg.h"
#include "doc/doc.h"
#include "engine/engine.h"
#include "engine/push.h"

static void usage(FILE *f)
{
	fputs("usage: image-push [-hqv] [--version] [--engine ENGINE] [--progress MODE] [--cert-dir DIR]\n", f);
}

/* --cert-dir DIR, the one option of image-push's own. */
static int own_option(int ch, const char *arg, void *ctx)
{
	struct engine_push_spec *spec = ctx;

	if (ch != 'c')
		return -1;
	spec->cert_dir = arg;
	return 0;
}

/* The document's images are checked before any engine is asked. */
static int check_images(const json_t *doc, void *ctx, struct pbrx_error *err)
{
	return (*(const json_t **)ctx = push_images_of(doc, err)) ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"cert-dir", required_argument, NULL, 'c'},
		ENGINE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	const char *engine = NULL;
	struct engine_push_spec spec = {0};
	struct pbrx_error err = {0};
	struct engine_stage st;
	const json_t *images = NULL;
	json_t *pushed;
	struct stat sb;

	stage_init("image-push", argv);
	if (engine_stage_args(argc, argv, longopts, usage, own_option, &spec, &engine) < argc)
		stage_usage_error(usage);
	if (spec.cert_dir && (stat(spec.cert_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)))
		msg_die(EXIT_USAGE, "--cert-dir %s: not a directory", spec.cert_dir);
	/* A closed stdout is reported when the document is written. */
	signal(SIGPIPE, SIG_IGN);

	if (engine_stage_begin(&st, engine, check_images, &images, &err) < 0)
		error_exit(&err);
	spec.quiet = msg_verbosity() < 0;
	if (!(pushed = push_images(st.e, images, &spec, &err)))
		error_exit(&err);
	doc_set(st.doc, "pushed", pushed);
	if (engine_stage_end(&st, &err) < 0)
		error_exit(&err);
	return EXIT_OK;
}
