/* SPDX-License-Identifier: Apache-2.0 */
/* backend: what engine.c shares with its back ends (backend-docker.c,
 * backend-buildah.c) and the janitor; not for the tools. */
#ifndef PBRX_ENGINE_IMPL_H
#define PBRX_ENGINE_IMPL_H

#include "base/buf.h"
#include "base/error.h"
#include "engine/engine.h"

/* One back end: the functions of engine.h, minus the common part. */
struct engine_ops {
	const char *name;
	void (*free)(struct engine *e);
	struct engine *(*dup)(const struct engine *e);
	json_t *(*image_inspect)(struct engine *e, const char *name);
	int (*image_pull)(struct engine *e, const char *name, bool quiet);
	int (*image_read_file)(struct engine *e, const char *image, const char *path,
	                       char **data, size_t *len);
	int (*image_tag)(struct engine *e, const char *image, const char *repo_tag);
	int (*image_remove)(struct engine *e, const char *name, bool force);
	char *(*image_load)(struct engine *e, const struct oci_image *img, const char *repo_tag,
	                    bool quiet);
	/* engine_image_export() but the check: *layers gets the digests
	 * of the layers exported, in the image's order */
	int (*image_export)(struct engine *e, const char *name, struct layout *l, char **config,
	                    size_t *config_len, struct strv *layers);
	char *(*build)(struct engine *e, const struct engine_build_spec *spec);
	char *(*container_create)(struct engine *e, const struct engine_container_spec *spec);
	json_t *(*container_list)(struct engine *e);
	int (*container_start)(struct engine *e, const char *id);
	int (*run)(struct engine *e, const char *id, const struct engine_run_spec *spec,
	           int *exit_code);
	char *(*commit)(struct engine *e, const char *id, const char *repo_tag,
	                char *const *changes);
	int (*container_remove)(struct engine *e, const char *id);
	int (*push)(struct engine *e, const char *name, const struct engine_push_spec *spec,
	            struct engine_push_result *result);
	void (*cancel)(struct engine *e);
};

/* The table of a back end whose functions are named e_OPERATION, as
 * both are: the list of operations is written here only, so a new one
 * is added to struct engine_ops and this list, and each back end writes
 * its e_ function. */
#define ENGINE_OPS(NAME) { \
	.name = (NAME), .free = e_free, .dup = e_dup, \
	.image_inspect = e_image_inspect, .image_pull = e_image_pull, \
	.image_read_file = e_image_read_file, .image_tag = e_image_tag, \
	.image_load = e_image_load, .image_export = e_image_export, \
	.image_remove = e_image_remove, .build = e_build, \
	.container_create = e_container_create, .container_list = e_container_list, \
	.container_start = e_container_start, .run = e_run, .commit = e_commit, \
	.container_remove = e_container_remove, .push = e_push, .cancel = e_cancel, \
}

struct engine {
	const struct engine_ops *ops;
	struct pbrx_error err;  /* the last failure, "NAME: ..." */
	bool missing;
	void *impl;      /* the back end's own state */
};

/* A new engine of ops with impl (stolen). */
struct engine *engine_new(const struct engine_ops *ops, void *impl);
/* Record a failure: the message is prefixed with the engine's name.
 * The one way a back end reports one. */
void engine_fail(struct engine *e, bool missing, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The full name of a new container, as engine_container_create() says:
 * prefix (NULL: "pbrx"), "-N" and the owner token.  Malloc'd.  For the
 * containers a back end makes for itself too (reading an image's file). */
char *engine_container_name(const char *prefix);

/* The list container_list returns ([{"id", "name"}], new) from an
 * engine's own list all (borrowed): each entry's ID is its string under
 * id_key, its name what name_of says (NULL: left out, as is an entry
 * without an ID). */
json_t *engine_container_entries(const json_t *all, const char *id_key,
                                 const char *(*name_of)(const json_t *entry));

/* Put *saved (a copy made with engine_error_save()) back as e's last
 * failure: for cleanup after a failure, which must not hide it. */
void engine_error_restore(struct engine *e, struct pbrx_error *saved, bool missing);
/* A copy of e's last failure, for engine_error_restore(). */
struct pbrx_error engine_error_save(const struct engine *e);

/* The back ends.  engine_docker_open() and engine_buildah_open() return
 * NULL with *err ("why", without the engine's name) when the engine
 * does not answer. */
struct engine *engine_docker_open(struct pbrx_error *err);
struct engine *engine_buildah_open(struct pbrx_error *err);
/* Is buildah on PATH? */
bool engine_buildah_installed(void);

#endif
