/* SPDX-License-Identifier: Apache-2.0 */
/* regauth: which registry an image reference names, and the credentials
 * the docker CLI's configuration holds for it.
 *
 * The configuration is $DOCKER_CONFIG/config.json, else
 * $HOME/.docker/config.json; only its "auths" entries are read ("auth":
 * base64 of "user:password", or "identitytoken"); credential helpers
 * (credsStore, credHelpers) are not run.  A missing file means anonymous.
 *
 * Secrets: nothing here prints, logs or keeps a credential; strings that
 * hold one are wiped before they are freed (regauth_free_secret()).
 * Error messages never quote the file's text (jansson's error text can,
 * so only its line and column are given). */
#ifndef PBRX_REGAUTH_H
#define PBRX_REGAUTH_H

#include <stdbool.h>

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
 * {"identitytoken",...}), or of {} when the configuration has no entry.
 * *value is malloc'd and holds a secret: free it with
 * regauth_free_secret().  0, or -1 with *err (malloc'd) when the
 * configuration file cannot be read or is not valid. */
int regauth_header(const char *registry, char **value, char **err);
/* Wipe and free a string that may hold a secret; NULL is fine. */
void regauth_free_secret(char *s);

#endif
