/* SPDX-License-Identifier: Apache-2.0 */
/* regauth: which registry an image reference names, the credentials
 * the docker CLI's configuration holds for it, and where the containers
 * tools find certificates for it.
 *
 * The configuration is $DOCKER_CONFIG/config.json, else
 * $HOME/.docker/config.json.  As the docker CLI does, a registry's
 * credentials come from its credHelpers entry, else from the credsStore
 * helper, else from its "auths" entry ("auth": base64 of
 * "user:password", or "identitytoken").  A helper NAME is run as
 * docker-credential-NAME get (found on PATH; argv only, no shell), the
 * registry on its stdin, {"Username","Secret"} on its stdout; its stderr
 * is discarded and its stdout never quoted.  A missing file means
 * anonymous.  Callers ignore SIGPIPE (a helper may exit unread).
 *
 * Secrets: nothing here prints, logs or keeps a credential; strings that
 * hold one are wiped before they are freed (regauth_free_secret()).
 * Error messages never quote the file's text (jansson's error text can,
 * so only its line and column are given). */
#ifndef PBRX_REGAUTH_H
#define PBRX_REGAUTH_H

#include <stdbool.h>

struct pbrx_error;

/* The registry host[:port] of image reference ref, as the docker CLI
 * splits it: the part before the first '/' when it has a '.' or ':' or is
 * "localhost", else "docker.io".  Malloc'd. */
char *regauth_registry(const char *ref);
/* Is registry (host[:port]) on loopback: "localhost", "::1" or an IPv4
 * address in 127.0.0.0/8?  dockerd treats those as insecure registries
 * (plain HTTP allowed, certificates not verified) by default. */
bool regauth_loopback(const char *registry);
/* The path of the docker configuration file (see above), whether or not
 * it exists.  Malloc'd. */
char *regauth_config_path(void);
/* The value of the Docker Engine API's X-Registry-Auth header for
 * registry: base64url of {"username","password","serveraddress"} (or
 * {"identitytoken",...}), or of {} when there are no credentials.
 * *value is malloc'd and holds a secret: free it with
 * regauth_free_secret().  0, or -1 with *err (one line) when
 * the configuration file cannot be read or is not valid, or a helper
 * fails. */
int regauth_header(const char *registry, char **value, struct pbrx_error *err);
/* Write the credentials for registry to path (which the caller made,
 * mode 0600) as a containers auth.json, {"auths":{registry:{"auth":...}}}
 * or {"auths":{}} when there are none, for buildah --authfile.  0, or -1
 * with *err as for regauth_header(). */
int regauth_authfile(const char *registry, const char *path, struct pbrx_error *err);
/* The certs.d directory that the containers tools (buildah, Podman) read
 * for registry, when there is one: $HOME/.config/containers/certs.d/
 * REGISTRY when not root, /etc/containers/certs.d/REGISTRY,
 * /etc/docker/certs.d/REGISTRY (containers-certs.d(5)).  Malloc'd; NULL
 * when none exists. */
char *regauth_certs_dir(const char *registry);
/* Wipe and free a string that may hold a secret; NULL is fine. */
void regauth_free_secret(char *s);

#endif
