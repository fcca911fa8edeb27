/* SPDX-License-Identifier: Apache-2.0 */
/* regauth: registry names and credentials.  References: the docker CLI's
 * config file format (cli/config/configfile), the credential helper
 * protocol (docker-credential-helpers: "get", the server on stdin, JSON
 * on stdout), the Engine API's "Authentication" section (X-Registry-Auth)
 * and containers-auth.json(5), containers-certs.d(5). */
#include "engine/regauth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/spawn.h"
#include "base/xalloc.h"
#include "engine/imageref.h"

char *regauth_registry(const char *ref)
{
	size_t n = imageref_domain_len(ref);

	return n ? xstrndup(ref, n) : xstrdup("docker.io");
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

/* Credentials for one registry; all NULL: anonymous.  Each string holds
 * a secret or part of one. */
struct cred {
	char *username;
	char *password;
	char *identitytoken;
};

static void cred_free(struct cred *c)
{
	regauth_free_secret(c->username);
	regauth_free_secret(c->password);
	regauth_free_secret(c->identitytoken);
	*c = (struct cred){0};
}

/* The server name a helper stores registry under: the docker CLI uses
 * the old index URL for Docker Hub. */
static const char *helper_server(const char *registry)
{
	return strcmp(registry, "docker.io") ? registry : "https://index.docker.io/v1/";
}

/* Run docker-credential-NAME get for registry into *c.  Its stdout is
 * read whole (up to 64 KiB, in a buffer that never moves, wiped after)
 * and never quoted: it holds the secret, or the helper's own error text.
 * 0 (with no credentials when the helper has none: "credentials not
 * found", as the docker CLI takes it), or -1 with *e. */
static int run_helper(const char *name, const char *registry, const char *where,
                      struct cred *c, struct pbrx_error *e)
{
	char *prog = xasprintf("docker-credential-%s", name);
	char *argv[] = {prog, "get", NULL};
	const char *server = helper_server(registry);
	struct spawn_spec s = {.argv = argv, .in = server, .in_len = strlen(server),
	                       .out = SPAWN_CAPTURE, .out_max = 65535};
	struct spawn_result r = {.out = {.p = xmalloc(65536), .cap = 65536}};
	int status, rc = -1;
	json_t *j = NULL;
	const char *user, *secret;

	r.out.p[0] = '\0';
	status = spawn_run(&s, &r, e);
	if (status < 0) {
		/* "killed by signal": what the helper's death was called here. */
		if (r.signal) {
			error_free(e);
			error_set(e, EXIT_FAIL, "%s get: killed by signal %d", prog, r.signal);
		}
		error_wrap(e, "%s", where);
		goto out;
	}
	if (status != 0) {
		if (strstr(r.out.p, "credentials not found")) {
			rc = 0;  /* none stored: anonymous */
			goto out;
		}
		error_set(e, EXIT_FAIL, "%s: %s get: exit status %d", where, prog, status);
		goto out;
	}
	j = json_loads(r.out.p, 0, NULL);
	user = json_string_value(json_object_get(j, "Username"));
	secret = json_string_value(json_object_get(j, "Secret"));
	if (!json_is_object(j) || !user || !secret) {
		error_set(e, EXIT_FAIL,
		          "%s: %s get: expected {\"Username\": ..., \"Secret\": ...} on its stdout",
		          where, prog);
		goto out;
	}
	/* "<token>" as the user name: the secret is an identity token. */
	if (!strcmp(user, "<token>"))
		c->identitytoken = xstrdup(secret);
	else if (*user || *secret) {
		c->username = xstrdup(user);
		c->password = xstrdup(secret);
	}
	rc = 0;
out:
	if (j) {
		/* jansson's copies of the secret: wiped before they are freed. */
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
			if (json_is_string(v))
				explicit_bzero((char *)json_string_value(v), json_string_length(v));
		json_decref(j);
	}
	explicit_bzero(r.out.p, r.out.cap);
	spawn_result_free(&r);
	free(prog);
	return rc;
}

/* The credentials the configuration gives registry, into *c (zeroed
 * first): its credHelpers entry, else credsStore, else its "auths"
 * entry, as the docker CLI chooses.  0, or -1 with *err. */
static int lookup(const char *registry, struct cred *c, struct pbrx_error *err)
{
	char *path = regauth_config_path(), *plain = NULL, *colon, *where = NULL;
	json_t *cfg, *entry;
	json_error_t je;
	const char *auth, *token, *helper;
	int ret = -1;

	*c = (struct cred){0};
	cfg = json_load_file(path, 0, &je);
	if (!cfg) {
		FILE *f = fopen(path, "r");
		if (!f && errno == ENOENT) {
			ret = 0;  /* no configuration: anonymous */
		} else {
			/* je.text may quote the file: only where it went wrong. */
			if (f)
				error_set(err, EXIT_FAIL, "%s:%d:%d: not valid JSON", path, je.line,
				          je.column);
			else
				error_set(err, EXIT_FAIL, "%s: %s", path, strerror(errno));
		}
		if (f)
			fclose(f);
		goto out;
	}
	if (!json_is_object(cfg)) {
		error_set(err, EXIT_FAIL, "%s: expected an object", path);
		goto out;
	}
	helper = json_string_value(json_object_get(json_object_get(cfg, "credHelpers"),
	                                           helper_server(registry)));
	if (!helper && !strcmp(registry, "docker.io"))
		helper = json_string_value(json_object_get(json_object_get(cfg, "credHelpers"),
		                                           registry));
	if (helper && *helper) {
		where = xasprintf("%s: .credHelpers[\"%s\"]", path, helper_server(registry));
		ret = run_helper(helper, registry, where, c, err);
		goto out;
	}
	helper = json_string_value(json_object_get(cfg, "credsStore"));
	if (helper && *helper) {
		where = xasprintf("%s: .credsStore", path);
		ret = run_helper(helper, registry, where, c, err);
		goto out;
	}
	entry = find_entry(json_object_get(cfg, "auths"), registry);
	auth = json_string_value(json_object_get(entry, "auth"));
	token = json_string_value(json_object_get(entry, "identitytoken"));
	if (auth && *auth) {
		plain = b64_decode(auth);
		if (!plain || !(colon = strchr(plain, ':'))) {
			error_set(err, EXIT_FAIL,
			          "%s: .auths[\"%s\"].auth: expected base64 of user:password", path,
			          registry);
			goto out;
		}
		*colon = '\0';
		c->username = xstrdup(plain);
		c->password = xstrdup(colon + 1);
	} else if (token && *token) {
		c->identitytoken = xstrdup(token);
	}
	ret = 0;
out:
	if (ret < 0)
		cred_free(c);
	regauth_free_secret(plain);
	json_decref(cfg);
	free(where);
	free(path);
	return ret;
}

/* j as compact JSON, base64url-encoded when b64 (else as is), then j
 * freed.  Malloc'd; holds a secret. */
static char *dump_secret(json_t *j, bool encode)
{
	char *text = json_dumps(j, JSON_COMPACT), *v;

	json_decref(j);  /* jansson frees the strings; they live no longer */
	if (!text)
		msg_die(EXIT_FAIL, "out of memory");
	if (!encode)
		return text;
	v = b64_encode((const unsigned char *)text, strlen(text), true);
	regauth_free_secret(text);
	return v;
}

int regauth_header(const char *registry, char **value, struct pbrx_error *err)
{
	struct cred c;
	json_t *out;

	*value = NULL;
	if (lookup(registry, &c, err) < 0)
		return -1;
	out = json_object();
	if (c.username) {
		json_object_set_new(out, "username", json_string(c.username));
		json_object_set_new(out, "password", json_string(c.password));
		json_object_set_new(out, "serveraddress", json_string(registry));
	} else if (c.identitytoken) {
		json_object_set_new(out, "identitytoken", json_string(c.identitytoken));
		json_object_set_new(out, "serveraddress", json_string(registry));
	}
	cred_free(&c);
	*value = dump_secret(out, true);
	return 0;
}

int regauth_authfile(const char *registry, const char *path, struct pbrx_error *err)
{
	struct cred c;
	json_t *auths = json_object(), *entry = json_object();
	char *text, *up, *enc;
	FILE *f;
	int ret = -1;

	if (lookup(registry, &c, err) < 0) {
		json_decref(auths);
		json_decref(entry);
		return -1;
	}
	if (c.username) {
		up = xasprintf("%s:%s", c.username, c.password);
		enc = b64_encode((unsigned char *)up, strlen(up), false);
		json_object_set_new(entry, "auth", json_string(enc));
		regauth_free_secret(enc);
		regauth_free_secret(up);
	} else if (c.identitytoken) {
		json_object_set_new(entry, "identitytoken", json_string(c.identitytoken));
	}
	cred_free(&c);
	if (json_object_size(entry))
		json_object_set_new(auths, registry, entry);
	else
		json_decref(entry);
	text = dump_secret(json_pack("{s:o}", "auths", auths), false);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0) {
		error_set(err, EXIT_FAIL, "%s: %s", path, strerror(errno));
		if (f)
			fclose(f);
	} else if (fclose(f) != 0) {
		error_set(err, EXIT_FAIL, "%s: %s", path, strerror(errno));
	} else {
		ret = 0;
	}
	regauth_free_secret(text);
	return ret;
}

char *regauth_certs_dir(const char *registry)
{
	const char *home = getenv("HOME");
	char *d;
	struct stat st;

	if (geteuid() != 0 && home && *home) {
		d = xasprintf("%s/.config/containers/certs.d/%s", home, registry);
		if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
			return d;
		free(d);
	}
	d = xasprintf("/etc/containers/certs.d/%s", registry);
	if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return d;
	free(d);
	d = xasprintf("/etc/docker/certs.d/%s", registry);
	if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return d;
	free(d);
	return NULL;
}
