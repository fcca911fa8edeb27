/* SPDX-License-Identifier: Apache-2.0 */
/* assemble: the images of a document's .plan built on an engine (one
 * container per image from its cached layers, each step exec'd in it,
 * committed with the plan's config; Dockerfile images through the build
 * endpoint), every one tagged only when all are built, and the "images"
 * section added.  See image-assemble(1) and pbrx-document(5).
 *
 * What a failed or interrupted run made goes (exec/rollback.h, under
 * base/cleanup.h's policy).  A failure in a thread that builds images
 * side by side ends the process there (error_exit()), after which the
 * cleanup removes what every thread made; other failures are returned. */
#ifndef PBRX_ASSEMBLE_H
#define PBRX_ASSEMBLE_H

#include <jansson.h>
#include <stdbool.h>

struct engine;
struct oci_image;
struct pbrx_error;

/* How a run goes. */
struct assemble_opts {
	bool no_cache;  /* --no-cache: build every cached layer again */
	bool prepare;   /* --prepare: only the cached layers that need no
	                 * wheels; the document goes on as it came */
	bool prepared;  /* --prepared: with --no-cache, those layers are
	                 * found all the same: this build's --prepare made
	                 * them */
	/* --output oci:DIR or oci-archive:FILE: the images go to one OCI
	 * image layout there (image/layout.h), not into the engine; NULL:
	 * the engine, tagged */
	const char *output;
	bool output_archive;  /* oci-archive: a tar of the layout */
};

/* Parse --output's value arg into o: "engine", "oci:DIR" or
 * "oci-archive:FILE".  0, or -1 with *e (EXIT_USAGE). */
int assemble_output(const char *arg, struct assemble_opts *o, struct pbrx_error *e);

/* One plan image while it is built. */
struct assemble_image {
	const json_t *plan;    /* borrowed: .plan.images[i] */
	char *path;            /* ".plan.images[i]", for messages */
	const char *name, *ref, *kind, *from;  /* borrowed from plan */
	char *tmp_ref;         /* NAME:pbrx-tmp-...: its tag until all are done */
	char *id;              /* once built */
	json_t *written;       /* the Python layers pbrx wrote or found for
	                        * it: [{name, diff_id, size, reused}] */
	/* With an oci output: */
	struct oci_image *oci; /* the image pbrx wrote (python_layers) */
	json_t *info;          /* its inspection's form, as the engine would
	                        * give it of the loaded image (Config,
	                        * RootFS, History, Architecture, Os) */
	char *export_ref;      /* the engine's image whose layers are oci's
	                        * bottom ones (its cached layers' top); NULL
	                        * when they all come from an earlier image
	                        * of the plan */
	bool load;             /* oci is loaded into the engine all the same
	                        * (under tmp_ref, removed at the end): a
	                        * later image's container or Dockerfile
	                        * starts from it */
};

/* A run: the plan's images and what the document says about them. */
struct assemble;

/* The run for doc's .plan and .wheels (borrowed; doc must outlive the
 * run), checked before any engine is asked: NULL with *e on bad input
 * (EXIT_USAGE, its JSON path, as doc_need() says it).  Free with
 * assemble_free(). */
struct assemble *assemble_read(const json_t *doc, const struct assemble_opts *o,
                               struct pbrx_error *e);
/* Build a's images on engine e and add the "images" section to doc (the
 * document a was read from), or with --prepare only the cached layers:
 * 0, or -1 with *err.  The cleanup is in force from the start until the
 * images are tagged (cleanup_end()). */
int assemble_run(struct assemble *a, struct engine *e, json_t *doc, struct pbrx_error *err);
/* NULL is fine. */
void assemble_free(struct assemble *a);

#endif
