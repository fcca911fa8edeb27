/* SPDX-License-Identifier: Apache-2.0 */
/* engine: the container engine behind the stages, whichever it is.
 *
 * Two back ends: "docker", the Docker Engine API through engine/docker.h
 * (dockerd, or Podman's Docker-compatible service through DOCKER_HOST),
 * and "buildah", the buildah command run as argv arrays through
 * base/spawn.h, with no daemon (backend-buildah.c).  engine_connect()
 * picks one; see pbrx-build-images(1), ENGINES.
 *
 * Errors: functions returning int give 0 on success and -1 on failure;
 * functions returning a pointer give NULL on failure.  After a failure
 * engine_error() says what failed, starting with the engine's name:
 * "docker: POST /containers/create (NAME): <daemon message>" or
 * "buildah: from (IMAGE): <buildah's message>"; engine_error_to() hands
 * it on as a struct pbrx_error.  Nothing here exits, except on
 * allocation failures, and the option parsing of engine_stage_args()
 * (-h, --version, misuse), which is the tools' own.
 *
 * Ownership: every json_t * returned is a new reference and every char *
 * returned is malloc'd; the caller frees both.  Arguments are borrowed. */
#ifndef PBRX_ENGINE_H
#define PBRX_ENGINE_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdnoreturn.h>

#include "base/stage.h"
#include "engine/run.h"

/* One connection to one engine. */
struct engine;
struct pbrx_error;
struct oci_image;
struct layout;

/* A bind mount of host path source at target inside a container. */
struct engine_mount {
	const char *source;
	const char *target;
	bool read_only;
};

/* What a working container needs; NULL or 0 members are left out. */
struct engine_container_spec {
	const char *name;          /* the start of the container's name (NULL:
	                            * "pbrx"); see engine_container_create() */
	const char *image;         /* required; never pulled */
	char *const *cmd;          /* NULL-terminated argv (docker: what the
	                            * container runs and its history text) */
	char *const *entrypoint;   /* NULL-terminated argv (docker only) */
	const char *user;          /* default user of engine_run() */
	const char *network_mode;  /* "host", "none", ... */
	const struct engine_mount *mounts;
	size_t nmounts;
	bool tmpfs_tmp;            /* a fresh /tmp of the container's own that
	                            * never reaches an image; mounts may go
	                            * under it */
};

/* A Dockerfile build; NULL members are left out. */
struct engine_build_spec {
	const char *context_dir;     /* required */
	const char *dockerfile;      /* its path, for messages and as the file
	                              * built when dockerfile_text is NULL */
	const char *dockerfile_text; /* built instead of dockerfile; the
	                              * context directory is not touched */
	const char *repo_tag;        /* tag of the result */
	const char *network_mode;    /* of RUN steps; "host" to reach a mirror */
	const json_t *labels;        /* object of label -> string, borrowed */
	bool quiet;                  /* no progress on stderr */
};

/* The engine named by name ("docker", "buildah", "auto"; NULL: the
 * environment's PBRX_ENGINE, else "auto"), checked to answer.  "auto" is
 * the Docker API when DOCKER_HOST is set or the default socket answers
 * /_ping, else buildah when it is on PATH.  NULL with *err: EXIT_USAGE
 * on an unknown name, EXIT_FAIL when no engine is found.  Free with
 * engine_free(). */
struct engine *engine_connect(const char *name, struct pbrx_error *err);
/* Is name one engine_connect() knows? */
bool engine_name_valid(const char *name);

/* What engine_stage_option() did with an option. */
enum engine_opt {
	ENGINE_OPT_NONE,  /* not one of the shared options: the tool's own */
	ENGINE_OPT_TAKEN, /* handled */
	ENGINE_OPT_BAD,   /* a bad value, already reported: print usage, exit 2 */
};
/* The options every stage that talks to an engine has, as getopt_long
 * returns them: 'e' (--engine NAME, stored in *engine), 'G' (--progress
 * MODE, base/progress.h), 'q', 'v', and 'V' (--version: prints "PROG
 * VERSION" and exits). */
enum engine_opt engine_stage_option(int ch, const char *arg, const char **engine);
/* ---- what the mains of the engine stages share ----
 * The option loop, and the "read the document, open the engine ... write
 * the document, close" frame around a stage's one job. */

/* The long options every engine stage has (--engine, --progress,
 * --help, --version); end a tool's struct option list with ENGINE_LONGOPTS and
 * {NULL, 0, NULL, 0}. */
#define ENGINE_LONGOPTS                                                      \
	{"engine", required_argument, NULL, 'e'},                            \
	{"progress", required_argument, NULL, 'G'}, STAGE_LONGOPTS
/* A tool's own option ch (its argument arg, or NULL), for
 * engine_stage_args(): 0 when taken, -1 for misuse (usage, exit 2). */
typedef int engine_own_option_fn(int ch, const char *arg, void *ctx);
/* getopt_long over argv with STAGE_SHORTOPTS and longopts: the shared
 * options (stage_option(), engine_stage_option(): --engine stored in
 * *engine) and the tool's own through own(ch, optarg, ctx) (NULL: none).
 * -h and --version exit 0, misuse prints usage and exits 2.  Returns
 * optind: the operands are the caller's to check. */
int engine_stage_args(int argc, char **argv, const struct option *longopts,
                      void (*usage)(FILE *), engine_own_option_fn *own, void *ctx,
                      const char **engine);
/* One run of an engine stage: its document and its engine. */
struct engine_stage {
	json_t *doc;        /* the document read (owned) */
	struct engine *e;   /* owned */
};
/* Read the document from stdin (doc_read()), let check (NULL: none)
 * look at it before any engine is asked (0, or -1 with *err: bad input
 * with its JSON path, as doc_need() says it), then connect to the
 * engine named by name (engine_connect()).  0, or -1 with *err (the
 * document is then freed). */
int engine_stage_begin(struct engine_stage *st, const char *name,
                       int (*check)(const json_t *doc, void *ctx, struct pbrx_error *err),
                       void *ctx, struct pbrx_error *err);
/* Write st's document to stdout (doc_write()), then free it and close
 * the engine: 0, or -1 with *err when stdout fails. */
int engine_stage_end(struct engine_stage *st, struct pbrx_error *err);

/* A new connection to the same engine as e, knowing e's containers: for
 * a forked child.  Free with engine_free(). */
struct engine *engine_dup(const struct engine *e);
/* Close the connection and free e; NULL is fine. */
void engine_free(struct engine *e);
/* From any thread: the call in flight on e (a build, a step) ends soon,
 * failed, and so does every later one on e.  Docker: the connection is
 * closed, so the daemon stops what it was doing; buildah: its process is
 * sent SIGTERM.  For a signal's cleanup, which must not wait for a build
 * that lasts minutes. */
void engine_cancel(struct engine *e);
/* "docker" or "buildah".  Static string. */
const char *engine_name(const struct engine *e);
/* May two engine_run()s (each on a connection of its own) go on in one
 * container at once?  Docker's API: yes, two execs.  buildah: no, a
 * working container takes one "buildah run" at a time (rootless buildah
 * 1.28 panics when two share one). */
bool engine_runs_side_by_side(const struct engine *e);
/* The message of the last failure (see above).  Borrowed, valid until
 * the next call on e. */
const char *engine_error(const struct engine *e);
/* Fill *err (clear) with the message of the last failure.  -1. */
int engine_error_to(const struct engine *e, struct pbrx_error *err);
/* True when the last failure was a missing image or file. */
bool engine_missing(const struct engine *e);
/* The user and group IDs that, inside a container, are the invoking user
 * on the host: for files made in a bind mount the user must be able to
 * remove.  Docker: the same IDs; buildah: 0, which its user namespace
 * maps to the invoking user (root included). */
void engine_host_ids(const struct engine *e, unsigned long *uid, unsigned long *gid);

/* Image name in the Docker API's form: "Id" ("sha256:..."),
 * "RepoDigests" (array), "Config" (User, Env, WorkingDir, Cmd,
 * Entrypoint, Labels, ExposedPorts, Volumes, StopSignal), "Size"
 * (bytes), "Architecture", "Os", "RootFS" ("Layers": the diff IDs) and,
 * when it can be told, "History" as the image's config has it (OCI
 * image spec: created, created_by, comment, empty_layer) and
 * "LayerSizes" (each layer's size uncompressed, when the engine knows
 * them all: buildah; see image/oci.h).   New reference; NULL on
 * failure, engine_missing() when there is no such image. */
json_t *engine_image_inspect(struct engine *e, const char *name);
/* Pull name, progress on stderr (none when quiet). */
int engine_image_pull(struct engine *e, const char *name, bool quiet);
/* The content of regular file path in image, symlinks followed; *data
 * malloc'd and NUL-terminated, *len excludes the NUL.  engine_missing()
 * when the file does not exist. */
int engine_image_read_file(struct engine *e, const char *image, const char *path,
                           char **data, size_t *len);
/* Give image the name repo_tag ("repo[:tag]"). */
int engine_image_tag(struct engine *e, const char *image, const char *repo_tag);
/* Remove image name: only the name when the image has others; force
 * removes it even when other tags or stopped containers use it. */
int engine_image_remove(struct engine *e, const char *name, bool force);
/* Load img (image/oci.h: a base image's layers and layers written by
 * pbrx) into the engine as repo_tag ("repo:tag"; NULL: untagged, docker
 * only), progress on stderr unless quiet.  Only img's new layers are
 * sent: the engine must have the base's.  Docker: POST /images/load of a
 * docker-archive; buildah: skopeo copy (else buildah pull) of an OCI
 * layout.  The image's ID (malloc'd), which is img->id: an engine that
 * gives another is a failure. */
char *engine_image_load(struct engine *e, const struct oci_image *img, const char *repo_tag,
                        bool quiet);
/* Export image name whole into layout l (image/layout.h): each of its
 * layers as an uncompressed blob, checked against its config's
 * rootfs.diff_ids, and its config's bytes into *config (malloc'd; the
 * image's ID is their digest), *config_len.  Docker: GET
 * /images/{name}/get, a docker-archive; buildah: buildah push
 * --disable-compression to an OCI layout. */
int engine_image_export(struct engine *e, const char *name, struct layout *l, char **config,
                        size_t *config_len);
/* Build spec's Dockerfile.  The new image's ID (malloc'd). */
char *engine_build(struct engine *e, const struct engine_build_spec *spec);

/* What engine_push() did. */
struct engine_push_result {
	char *digest;                   /* the manifest's digest, "sha256:..."
	                                 * (malloc'd; NULL when not known) */
	bool layers_known;              /* the two counts below are known:
	                                 * dockerd's progress says; Podman's
	                                 * service's and buildah's (not on a
	                                 * terminal) do not */
	unsigned long layers_pushed;    /* layers sent */
	unsigned long layers_existing;  /* layers the registry had already
	                                 * (or mounted from another
	                                 * repository of its own) */
};
/* How engine_push() pushes. */
struct engine_push_spec {
	bool quiet;                     /* no progress */
	const char *cert_dir;           /* buildah: the CA certificates
	                                 * (*.crt) that verify the registry,
	                                 * as buildah push --cert-dir; NULL:
	                                 * the engine's own (certs.d) */
};
/* Push image name ("host[:port]/repo[:tag]") to its registry with the
 * credentials the docker configuration holds for that registry (see
 * regauth.h; buildah: written to a private temporary --authfile unless
 * REGISTRY_AUTH_FILE is set), progress per layer on stderr unless
 * spec->quiet.  TLS: a registry on loopback is insecure for dockerd by
 * default, and pbrx tells Podman's service and buildah the same, except
 * that buildah verifies when spec->cert_dir is set or a certs.d
 * directory names the registry (regauth_certs_dir()).  Layers the
 * registry has are not sent again, and the manifest, which makes the
 * tag, goes last: a failure leaves no tag.  *result filled on success;
 * free result->digest.  engine_missing() when there is no such image. */
int engine_push(struct engine *e, const char *name, const struct engine_push_spec *spec,
                struct engine_push_result *result);

/* A working container from spec->image.  Its ID (malloc'd).  Its name
 * is spec->name, "-N" (N counts this process's containers: names are
 * unique per engine) and the owner token of this process (owner.h), so
 * engine_sweep() of a later run can remove it if this process dies
 * without doing so itself: "yamlcat-wheel-build-0.pbrx-TOKEN". */
char *engine_container_create(struct engine *e, const struct engine_container_spec *spec);
/* The engine's working containers, running or not, whoever made them:
 * an array of {"id": ID, "name": NAME}.  New reference.  buildah: its
 * own working containers (buildah containers), not Podman's. */
json_t *engine_container_list(struct engine *e);
/* janitor_sweep() (see janitor.h), for the start of a stage that
 * creates containers, unless doc's .base.swept is true: image-inspect,
 * the first stage of the run, swept and said so, and listing again
 * would only cost each stage a call. */
void engine_sweep(struct engine *e, const json_t *doc);
/* Start container id, so commands can run in it. */
int engine_container_start(struct engine *e, const char *id);
/* Run spec->argv in container id, streaming its output live; *exit_code
 * is the command's exit code. */
int engine_run(struct engine *e, const char *id, const struct engine_run_spec *spec,
               int *exit_code);
/* Commit container id as repo_tag (NULL: untagged), with each of the
 * NULL-terminated Dockerfile lines in changes ("CMD [...]", "ENTRYPOINT
 * [...]", "ENV K=V", "LABEL \"k\"=\"v\"", "USER u", "WORKDIR d"; NULL:
 * none).  The new image's ID (malloc'd). */
char *engine_commit(struct engine *e, const char *id, const char *repo_tag,
                    char *const *changes);
/* Stop container id, kill what runs in it, and remove it. */
int engine_container_remove(struct engine *e, const char *id);

/* The command that keeps a working container alive while steps run in
 * it by exec: sh's exec of sleep, so it holds no pipe and costs no CPU.
 * Every container a stage makes runs it (or has its entrypoint set to
 * it); its commit then sets the image's real Cmd and Entrypoint. */
#define ENGINE_KEEP_ALIVE {"/bin/sh", "-c", "exec sleep infinity", NULL}

#endif
