/* SPDX-License-Identifier: Apache-2.0 */
/* regauth: registry names and credentials.  References: the docker CLI's
 * config file format (cli/config/configfile) and the Engine API's
 * "Authentication" section (X-Registry-Auth). */
#include "regauth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char *regauth_registry(const char *ref)
{
	size_t n = strcspn(ref, "/");

	if (ref[n] == '/' && (memchr(ref, '.', n) || memchr(ref, ':', n) ||
	                      (n == 9 && !strncmp(ref, "localhost", 9))))
		return xstrndup(ref, n);
	return xstrdup("docker.io");
}

bool regauth_loopback(const char *registry)
{
	char *host;
	struct in_addr a;
	struct in6_addr a6;
	bool loop = false;

	if (registry[0] == '[') {
		host = xstrndup(registry + 1, strcspn(registry + 1, "]"));
		loop = inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	} else {
		host = xstrndup(registry, strcspn(registry, ":"));
		loop = !strcmp(host, "localhost") ||
		       (inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127);
	}
	free(host);
	return loop;
}

char *regauth_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");

	if (dir && *dir)
		return xasprintf("%s/config.json", dir);
	return xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

void regauth_free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64 of len bytes at p, the URL-safe alphabet when url is set (the
 * Engine API decodes X-Registry-Auth as base64url).  Malloc'd. */
static char *b64_encode(const unsigned char *p, size_t len, bool url)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	if (url)
		for (o = out; *o; o++)
			*o = *o == '+' ? '-' : *o == '/' ? '_' : *o;
	return out;
}

/* s decoded from base64 (either alphabet, padding optional); NULL when
 * it is not base64.  Malloc'd, NUL-terminated. */
static char *b64_decode(const char *s)
{
	size_t n = strlen(s), len = 0;
	unsigned char *out = xmalloc(n / 4 * 3 + 4);
	unsigned long v = 0;
	int bits = 0;

	for (const char *p = s; *p && *p != '='; p++) {
		const char *c = strchr(b64, *p == '-' ? '+' : *p == '_' ? '/' : *p);
		if (!c || !*p) {
			regauth_free_secret((char *)out);
			return NULL;
		}
		v = v << 6 | (unsigned long)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(v >> bits & 255);
		}
	}
	out[len] = '\0';
	explicit_bzero(&v, sizeof v);
	return (char *)out;
}

/* An "auths" key as the registry host[:port]: the CLI accepts
 * "https://host/v1/" and the like.  Malloc'd. */
static char *key_host(const char *key)
{
	const char *p = strstr(key, "://");

	p = p ? p + 3 : key;
	return xstrndup(p, strcspn(p, "/"));
}

/* The "auths" entry of registry, borrowed from auths; NULL when none.
 * Docker Hub's entry is "https://index.docker.io/v1/". */
static json_t *find_entry(json_t *auths, const char *registry)
{
	const char *key;
	json_t *v;
	bool hub = !strcmp(registry, "docker.io");

	json_object_foreach(auths, key, v) {
		char *h = key_host(key);
		bool match = !strcmp(h, registry) ||
		             (hub && (!strcmp(h, "index.docker.io") || !strcmp(h, "registry-1.docker.io")));
		free(h);
		if (match && json_is_object(v))
			return v;
	}
	return NULL;
}

int regauth_header(const char *registry, char **value, char **err)
{
	char *path = regauth_config_path(), *plain = NULL, *text = NULL, *colon;
	json_t *cfg = NULL, *entry, *out = json_object();
	json_error_t je;
	const char *auth, *token;
	int ret = -1;

	*value = NULL;
	*err = NULL;
	cfg = json_load_file(path, 0, &je);
	if (!cfg) {
		FILE *f = fopen(path, "r");
		if (!f && errno == ENOENT) {
			ret = 0;  /* no configuration: anonymous */
		} else {
			/* je.text may quote the file: only where it went wrong. */
			*err = f ? xasprintf("%s:%d:%d: not valid JSON", path, je.line, je.column)
			         : xasprintf("%s: %s", path, strerror(errno));
		}
		if (f)
			fclose(f);
		goto out;
	}
	if (!json_is_object(cfg)) {
		*err = xasprintf("%s: expected an object", path);
		goto out;
	}
	entry = find_entry(json_object_get(cfg, "auths"), registry);
	auth = json_string_value(json_object_get(entry, "auth"));
	token = json_string_value(json_object_get(entry, "identitytoken"));
	if (auth && *auth) {
		plain = b64_decode(auth);
		if (!plain || !(colon = strchr(plain, ':'))) {
			*err = xasprintf("%s: .auths[\"%s\"].auth: expected base64 of user:password",
			                 path, registry);
			goto out;
		}
		*colon = '\0';
		json_object_set_new(out, "username", json_string(plain));
		json_object_set_new(out, "password", json_string(colon + 1));
		json_object_set_new(out, "serveraddress", json_string(registry));
	} else if (token && *token) {
		json_object_set_new(out, "identitytoken", json_string(token));
		json_object_set_new(out, "serveraddress", json_string(registry));
	}
	text = json_dumps(out, JSON_COMPACT);
	if (!text)
		goto out;
	*value = b64_encode((const unsigned char *)text, strlen(text), true);
	ret = 0;
out:
	if (ret == 0 && !*value)
		*value = xstrdup("e30=");  /* base64 of {}: anonymous */
	regauth_free_secret(plain);
	regauth_free_secret(text);
	json_decref(out);  /* jansson frees the strings; they live no longer */
	json_decref(cfg);
	free(path);
	return ret;
}
