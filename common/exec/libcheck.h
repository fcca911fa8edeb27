/* SPDX-License-Identifier: Apache-2.0 */
/* libcheck: does a base image have the shared libraries the project's
 * wheel needs?  The builder had them (the extension was linked against
 * them); a runtime selection of bindep.txt that forgot a package gives an
 * image that fails only when the extension is imported. */
#ifndef PBRX_LIBCHECK_H
#define PBRX_LIBCHECK_H

#include <jansson.h>

struct engine;
struct pbrx_error;

/* Warn, naming who, for every library an extension in extensions
 * (.wheels.metadata.extensions: DT_NEEDED, see wheel-build(1)) needs that
 * running container cid lacks, with the package that probably has it
 * when package_manager (.plan.package_manager; NULL: unknown) is
 * apt-get.  0, or -1 with *err (the engine failed; the cleanup lock then
 * held for good, as exec/steps.h). */
int libcheck_run(struct engine *e, const char *cid, const json_t *extensions,
                 const char *package_manager, const char *who, struct pbrx_error *err);
/* The two halves of libcheck_run(), for a caller that keeps the list of
 * an image (it never changes for an image ID): the libraries running
 * container cid has (ldconfig -p, else a find of the library
 * directories; malloc'd text, or NULL with *err, the cleanup lock held
 * for good), and the warnings for what extensions need that libs
 * lacks. */
char *libcheck_list(struct engine *e, const char *cid, const char *who, struct pbrx_error *err);
void libcheck_compare(const char *libs, const json_t *extensions, const char *package_manager,
                      const char *who);

#endif
