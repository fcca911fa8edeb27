/* SPDX-License-Identifier: Apache-2.0 */
/* resolve: what image-assemble needs to write each image's Python layers
 * itself (pbrx-document(5): .wheels.installs, .wheels.bytecode), learnt
 * in the builder, whose Python is the base image's:
 *   - which wheels pip installs for each image, in the order pip
 *     reports them: `pip install --dry-run --report` of the project's
 *     wheel with the image's extras (the base's, then the base's and a
 *     script's together, py/extras.h's rule), pip's own resolution; pbrx
 *     never resolves;
 *   - the bytecode pip would compile for those wheels
 *     (install_compile_program, py/install.h), kept by the wheel's
 *     SHA-256 in the cache directory "bytecode" (base/cachedir.h) under
 *     a key of the base image's ID and install scheme, so a wheel is
 *     compiled once per base image.
 * Both run in the builder after the wheels are built, writing into a
 * scratch directory of the cache mounted at RESOLVE_DIR; the parent
 * process reads the reports and moves the bytecode into place.
 *
 * Errors: a struct pbrx_error; EXIT_USAGE for a bad .base.python,
 * EXIT_FAIL otherwise. */
#ifndef PBRX_RESOLVE_H
#define PBRX_RESOLVE_H

#include <jansson.h>

#include "base/buf.h"
#include "base/digest.h"
#include "doc/plan.h"

struct pbrx_error;

/* Where the scratch directory is mounted in the builder. */
#define RESOLVE_DIR PLAN_ROOT "/resolve"

/* Zero-initialise; resolve_close releases. */
struct resolve {
	char *root;       /* host: the cache's "bytecode" directory */
	char *key;        /* hex SHA-256 of the base image's ID and scheme */
	char *scratch;    /* host: HOLDER/io, mounted at RESOLVE_DIR; NULL:
	                   * nothing to do (the base image has no Python pip
	                   * can serve, .base.python null) */
	char *holder;     /* host: ROOT/tmp-*, scratch's private parent */
	struct strv sets; /* the extras of each install: "" or "A,B" */
};

/* Ready rs for the document's base image: the cache directory and the
 * scratch directory with the scheme (.base.python) in it.  No
 * .base.python: 0, and rs->scratch stays NULL.  wheelhouse is the host
 * wheelhouse, whose ".pbrx-bytecode" holds the bytecode when there is
 * no cache directory. */
int resolve_open(struct resolve *rs, const json_t *doc, const char *wheelhouse,
                 struct pbrx_error *e);
/* The extras sets of the images of the project whose wheel declares md
 * (wheelhouse_metadata(): name, scripts, extras) into rs->sets. */
void resolve_sets(struct resolve *rs, const json_t *md);
/* The argv (appended to argv) of pip's report of install i of wheel
 * (the path of the project's wheel in the builder), pip looking for
 * wheels in links (the builder's wheelhouse). */
void resolve_report_argv(const struct resolve *rs, size_t i, const char *wheel,
                         const char *links, struct strv *argv);
/* pip's answer for install i is known when nothing it depends on
 * changed since it was asked: the builder (builder: its image's name,
 * whose cache key covers its packages), the base image and its scheme,
 * the extras, every wheel in the wheelhouse but the project's (by
 * content), and what the project's wheel declares (md: its name,
 * version, extras and Requires-Dist; not its code).  A source change
 * then asks pip nothing.  resolve_inputs: what the installs share of
 * that (the wheels, hashed once a build; malloc'd text), NULL with *e
 * when a wheel can't be read; resolve_key: install i's key, hex;
 * resolve_recall: put the answer kept under key where report i goes
 * (0), or -1 when none is kept; resolve_keep: keep report i's answer
 * under key. */
char *resolve_inputs(const char *wheelhouse, const char *project_wheel, const json_t *md,
                     struct pbrx_error *e);
void resolve_key(const struct resolve *rs, size_t i, const char *builder, const char *inputs,
                 char key[DIGEST_HEX_LEN]);
int resolve_recall(const struct resolve *rs, size_t i, const char *key);
void resolve_keep(const struct resolve *rs, size_t i, const char *key);
/* What report i says pip installs: an array of {"file", "requested"},
 * file a wheel of the host wheelhouse; new, or NULL with *e. */
json_t *resolve_read(const struct resolve *rs, size_t i, const char *wheelhouse,
                     struct pbrx_error *e);
/* The argv that compiles the bytecode of the wheels of installs (an
 * array of resolve_read() results) that the cache lacks, their paths in
 * the builder under links; argv stays empty when none is missing. */
int resolve_compile_argv(const struct resolve *rs, const json_t *installs,
                         const char *wheelhouse, const char *links, struct strv *argv,
                         struct pbrx_error *e);
/* After the builder's steps: the installs (pbrx-document(5)) and the
 * bytecode moved into the cache.  New {"installs", "bytecode"}, or NULL
 * with *e. */
json_t *resolve_section(struct resolve *rs, const char *wheelhouse, struct pbrx_error *e);
/* The shared libraries the extensions md lists need
 * (.extensions[].needed: the wheels' the images install), each once, in
 * order, less those a wheel brings itself (auditwheel's .libs), into
 * sonames. */
void resolve_needed(const json_t *md, struct strv *sonames);
/* The argv that asks the builder which package owns each of sonames
 * (distro/owners.h), writing RESOLVE_DIR/owners.json. */
void resolve_owners_argv(const struct strv *sonames, struct strv *argv);
/* Which package owns a library is known as long as the builder is the
 * same (builder: its image's name, whose cache key covers its
 * packages): resolve_owners_key: the key of the question about sonames,
 * hex; resolve_recall_owners: put the answer kept under key where the
 * step writes it (0), or -1 when none is kept; resolve_keep_owners:
 * keep the step's answer under key. */
void resolve_owners_key(const char *builder, const struct strv *sonames,
                        char key[DIGEST_HEX_LEN]);
int resolve_recall_owners(const struct resolve *rs, const char *key);
void resolve_keep_owners(const struct resolve *rs, const char *key);
/* What it wrote: the array of distro/owners.h (new), or NULL with *e. */
json_t *resolve_owners(const struct resolve *rs, struct pbrx_error *e);
/* Remove the scratch directory; free what rs holds. */
void resolve_close(struct resolve *rs);

#endif
