/* SPDX-License-Identifier: Apache-2.0 */
/* docker: a client of the Docker Engine API (JSON over HTTP) with libcurl
 * and jansson: docker-http.c the connection, docker-api.c the
 * endpoints, docker-stream.c the parsers of what they stream.  It talks to dockerd and to Podman's Docker-compatible
 * service alike.
 *
 * The endpoint is found as the docker CLI finds it: DOCKER_HOST is
 * unix://PATH (default unix:///var/run/docker.sock) or tcp://HOST:PORT,
 * with TLS when DOCKER_TLS_VERIFY is non-empty, certificates ca.pem,
 * cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker).  The API
 * version is negotiated with GET /version on first use.
 *
 * Errors: functions returning int give 0 on success and -1 on failure;
 * functions returning a pointer give NULL on failure.  After a failure
 * docker_error() says "POST /containers/create (NAME): <daemon message>"
 * and docker_status() gives the HTTP status (0 when the daemon could not
 * be reached).  Nothing here exits, except on allocation failure.
 *
 * Ownership: every json_t * returned is a new reference and every char *
 * returned is malloc'd; the caller frees both.  Arguments are borrowed. */
#ifndef PBRX_DOCKER_H
#define PBRX_DOCKER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdnoreturn.h>

#include "engine/docker-stream.h"

/* The newest Engine API version this client knows; the daemon's is used
 * when it is older. */
#define DOCKER_API_MAX "1.41"

/* One connection to one engine. */
struct docker;

/* A bind mount of host path source at target inside a container. */
struct docker_mount {
	const char *source;
	const char *target;
	bool read_only;
};

/* What POST /containers/create needs; NULL or 0 members are left out. */
struct docker_container_spec {
	const char *name;          /* container name; also names it in errors */
	const char *image;         /* required */
	char *const *cmd;          /* NULL-terminated argv, or NULL: the image's */
	char *const *entrypoint;   /* NULL-terminated argv, or NULL: the image's */
	char *const *env;          /* NULL-terminated "KEY=VALUE" list */
	const char *workdir;
	const char *user;
	const char *network_mode;  /* "host", "none", ... */
	const struct docker_mount *mounts;
	size_t nmounts;
	bool tmpfs_tmp;            /* mount a fresh tmpfs on /tmp */
};

/* Connection to the engine named by the environment (no traffic yet).
 * Never NULL; free with docker_free().  A bad DOCKER_HOST is reported by
 * the first request. */
struct docker *docker_new(void);
/* Close the connection and free d; NULL is fine. */
void docker_free(struct docker *d);
/* From any thread: the request in flight on d ends within a second or so,
 * failed ("cancelled"), and so does every later one. */
void docker_cancel(struct docker *d);
/* The endpoint in DOCKER_HOST form, e.g. "unix:///var/run/docker.sock".
 * Borrowed from d. */
const char *docker_endpoint(const struct docker *d);
/* The message of the last failure (see above); "" when none.  Borrowed,
 * valid until the next call on d. */
const char *docker_error(const struct docker *d);
/* The HTTP status of the last request; 0 when there was no answer. */
long docker_status(const struct docker *d);

/* GET /_ping, then negotiate the API version with GET /version. */
int docker_ping(struct docker *d);
/* The negotiated API version, e.g. "1.41"; negotiates first if needed.
 * Borrowed from d; NULL on failure. */
const char *docker_api_version(struct docker *d);
/* GET /version: the daemon's version object.  New reference. */
json_t *docker_version(struct docker *d);

/* GET /images/{name}/json.  New reference; NULL on failure, with
 * docker_status() 404 when there is no such image. */
json_t *docker_image_inspect(struct docker *d, const char *name);
/* GET /images/{name}/history: the image's history, newest first
 * (Created, CreatedBy, Comment, Size per entry).  New, or NULL. */
json_t *docker_image_history(struct docker *d, const char *name);
/* POST /images/create?fromImage=...: pull name, progress on stderr (none
 * when quiet).  Fails on errors reported inside the stream too. */
int docker_image_pull(struct docker *d, const char *name, bool quiet);
/* What a push did. */
struct docker_push_result {
	char *digest;                 /* the manifest's digest; the caller frees */
	bool layers_known;            /* the stream named layers (dockerd
	                               * does; Podman's service does not,
	                               * and the counts are then 0) */
	unsigned long layers_pushed;  /* layers sent */
	unsigned long layers_existing;  /* layers the registry had already */
};
/* POST /images/{name}/push: push name ("repo[:tag]", tag "latest" when
 * absent) to its registry with auth as the X-Registry-Auth header (a
 * secret, never shown; NULL: anonymous), progress per layer on stderr
 * (none when quiet).  Fails on errors reported inside the stream too
 * (the daemon answers 200 first).  insecure adds tlsVerify=false, which
 * Podman's service reads (plain HTTP allowed, certificates not checked)
 * and dockerd ignores (it decides that itself, per registry).  *result
 * filled on success. */
int docker_image_push(struct docker *d, const char *name, const char *auth, bool insecure,
                      bool quiet,
                      struct docker_push_result *result);
/* Is the daemon Podman's Docker-compatible service?  (False when it
 * can't be asked: the request that follows fails and says why.) */
bool docker_is_podman(struct docker *d);
/* POST /images/load of the docker-archive tar (len bytes; see
 * image/oci.h: it may hold only the layers the daemon lacks; Podman's
 * service wants an oci-archive for that), progress
 * on stderr unless quiet.  Fails on errors reported inside the stream
 * too. */
int docker_image_load(struct docker *d, const void *tar, size_t len, bool quiet);
/* GET /images/{name}/get: the docker-archive of image name (all its
 * layers, its config, manifest.json) written to file f. */
int docker_image_save(struct docker *d, const char *name, FILE *f);
/* POST /images/{image}/tag: give image the name repo_tag ("repo[:tag]"). */
int docker_image_tag(struct docker *d, const char *image, const char *repo_tag);
/* DELETE /images/{name}; force removes it even when other tags or
 * stopped containers use it. */
int docker_image_remove(struct docker *d, const char *name, bool force);
/* POST /build of a Dockerfile in context_dir (sent as a tar made here),
 * tagged repo_tag (may be NULL), RUN steps in network_mode (NULL: the
 * daemon's default; "host" to reach a mirror when dockerd has no bridge);
 * progress on stderr unless quiet.  The
 * new image's ID (malloc'd); NULL on failure, including failures
 * reported inside the stream. */
char *docker_build(struct docker *d, const char *context_dir, const char *dockerfile,
                   const char *repo_tag, const char *network_mode, bool quiet);

/* What docker_build_spec needs; NULL members are left out. */
struct docker_build_spec {
	const char *context_dir;     /* required: sent as the build context */
	const char *dockerfile;      /* its path in the context */
	const char *dockerfile_text; /* when set, built instead of dockerfile: it
	                              * is added to the context under a name of
	                              * its own, so context_dir is not touched */
	const char *repo_tag;        /* tag of the result */
	const char *network_mode;    /* as for docker_build */
	const json_t *labels;        /* object of label -> string, borrowed */
	bool quiet;                  /* no progress on stderr */
};
/* POST /build as docker_build, with the options of spec.  The new image's
 * ID (malloc'd); NULL on failure. */
char *docker_build_spec(struct docker *d, const struct docker_build_spec *spec);

/* POST /containers/create.  The new container's ID (malloc'd). */
char *docker_container_create(struct docker *d, const struct docker_container_spec *spec);
/* GET /containers/json?all=1: every container, running or not, as the
 * API lists them ("Id", "Names" with a leading '/', ...).  New
 * reference: an array. */
json_t *docker_container_list(struct docker *d);
/* POST /containers/{id}/start; a running container is fine. */
int docker_container_start(struct docker *d, const char *id);
/* POST /containers/{id}/wait: block until it stops; *status is its exit
 * code. */
int docker_container_wait(struct docker *d, const char *id, long *status);
/* DELETE /containers/{id}?force=1&v=1: stop and remove it with its
 * anonymous volumes. */
int docker_container_remove(struct docker *d, const char *id);
/* Run spec->argv in running container id (exec create, start, inspect),
 * streaming its output live; *exit_code is the command's exit code. */
int docker_exec(struct docker *d, const char *id, const struct engine_run_spec *spec,
                int *exit_code);
/* The content of regular file path in container id (GET .../archive),
 * symlinks followed; *data is malloc'd and NUL-terminated, *len excludes
 * the NUL.  docker_status() is 404 when the path does not exist. */
int docker_container_read_file(struct docker *d, const char *id, const char *path,
                               char **data, size_t *len);
/* The same for an image: through a container named name (NULL: the
 * daemon picks one) created, never started, for the purpose and removed
 * again. */
int docker_image_read_file(struct docker *d, const char *image, const char *path,
                           const char *name, char **data, size_t *len);
/* POST /commit of container id as repo_tag (NULL: untagged), with each of
 * the NULL-terminated Dockerfile lines in changes ("CMD [...]", "ENV K=V",
 * "LABEL k=v", "USER u", "ENTRYPOINT [...]"; NULL: none).  A commit keeps
 * the container's Cmd and Entrypoint unless changes set them.  The new
 * image's ID (malloc'd). */
char *docker_commit(struct docker *d, const char *id, const char *repo_tag,
                    char *const *changes);

#endif
