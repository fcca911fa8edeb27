/* SPDX-License-Identifier: Apache-2.0 */
/* image-inspect: look at the base image through the container engine,
 * pulling it when absent, and add the "base" section (ID, digest,
 * os-release fields, config, whether it swept) to the document.
 * See image-inspect(1) and pbrx-document(5). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/msg.h"
#include "doc/doc.h"
#include "engine/engine.h"
#include "engine/inspect.h"
#include "engine/janitor.h"

static void usage(FILE *f)
{
	fputs("usage: image-inspect [-hqv] [--version] [--engine ENGINE] [--progress MODE] [IMAGE]\n", f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {ENGINE_LONGOPTS, {NULL, 0, NULL, 0}};
	const char *image = DOC_DEFAULT_BASE_IMAGE, *engine = NULL;
	struct pbrx_error err = {0};
	struct engine_stage st;
	json_t *base;
	int first;

	stage_init("image-inspect", argv);
	first = engine_stage_args(argc, argv, longopts, usage, NULL, NULL, &engine);
	if (argc - first > 1)
		stage_usage_error(usage);
	if (first < argc)
		image = argv[first];
	if (!*image)
		msg_die(EXIT_USAGE, "empty image name");

	if (engine_stage_begin(&st, engine, NULL, NULL, &err) < 0)
		error_exit(&err);
	/* The first stage of pbrx-build-images: the containers a run that
	 * died left go before this run makes any (reading os-release), and
	 * .base.swept tells the stages after it not to look again. */
	janitor_sweep(st.e);
	if (!(base = inspect_base(st.e, image, &err)))
		error_exit(&err);
	json_object_set_new(base, "swept", json_true());
	doc_set(st.doc, "base", base);
	if (engine_stage_end(&st, &err) < 0)
		error_exit(&err);
	return EXIT_OK;
}
