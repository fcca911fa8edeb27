/* SPDX-License-Identifier: Apache-2.0 */
/* docker-http: the Engine API client's connection: the endpoint from
 * the environment, the libcurl handle, requests and their errors, the
 * API version negotiated.  Reference: the Engine API v1.41
 * documentation (https://docs.docker.com/engine/api/v1.41/). */
#include "engine/docker-http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/msg.h"
#include "base/xalloc.h"

static int curl_users;

static char *expand_home(const char *name)
{
	const char *home = getenv("HOME");
	return xasprintf("%s/.docker/%s", home && *home ? home : "/root", name);
}

/* Fill d's endpoint from DOCKER_HOST, DOCKER_TLS_VERIFY and
 * DOCKER_CERT_PATH, as the docker CLI reads them. */
static void find_endpoint(struct docker *d)
{
	const char *host = getenv("DOCKER_HOST");
	const char *verify = getenv("DOCKER_TLS_VERIFY");
	const char *certs = getenv("DOCKER_CERT_PATH");

	if (!host || !*host)
		host = "unix:///var/run/docker.sock";
	d->host = xstrdup(host);
	if (!strncmp(host, "unix://", 7)) {
		if (!host[7])
			d->bad_host = xstrdup("no socket path");
		d->socket = xstrdup(host + 7);
		d->base = xstrdup("http://localhost");
		return;
	}
	if (strncmp(host, "tcp://", 6)) {
		d->bad_host = xstrdup("unsupported scheme (use unix://PATH or tcp://HOST:PORT)");
		return;
	}
	const char *hp = host + 6;
	size_t n = strcspn(hp, "/");
	if (n == 0) {
		d->bad_host = xstrdup("no host");
		return;
	}
	d->tls = verify && *verify;
	/* The CLI's default ports: 2376 with TLS, 2375 without. */
	const char *colon = memchr(hp, ':', n);
	if (hp[0] == '[')
		colon = strstr(hp, "]:") ? strstr(hp, "]:") + 1 : NULL;
	d->base = xasprintf("%s://%.*s%s", d->tls ? "https" : "http", (int)n, hp,
	                    colon && colon < hp + n ? "" : d->tls ? ":2376" : ":2375");
	if (d->tls) {
		if (certs && *certs) {
			d->ca = xasprintf("%s/ca.pem", certs);
			d->cert = xasprintf("%s/cert.pem", certs);
			d->key = xasprintf("%s/key.pem", certs);
		} else {
			d->ca = expand_home("ca.pem");
			d->cert = expand_home("cert.pem");
			d->key = expand_home("key.pem");
		}
	}
}

struct docker *docker_new(void)
{
	struct docker *d = xcalloc(1, sizeof *d);

	if (curl_users++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		/* Only out of memory makes libcurl fail here. */
		msg_die(EXIT_FAIL, "docker: cannot initialise libcurl");
	d->curl = curl_easy_init();
	if (!d->curl)
		msg_die(EXIT_FAIL, "docker: cannot initialise libcurl");
	find_endpoint(d);
	d->err = xstrdup("");
	return d;
}

void docker_free(struct docker *d)
{
	if (!d)
		return;
	curl_easy_cleanup(d->curl);
	if (--curl_users == 0)
		curl_global_cleanup();
	free(d->host);
	free(d->socket);
	free(d->base);
	free(d->ca);
	free(d->cert);
	free(d->key);
	free(d->bad_host);
	free(d->err);
	free(d);
}

const char *docker_endpoint(const struct docker *d) { return d->host; }
const char *docker_error(const struct docker *d) { return d->err; }
long docker_status(const struct docker *d) { return d->status; }


int http_fail(struct docker *d, const char *method, const char *op, const char *obj,
                const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		msg_die(EXIT_FAIL, "out of memory");
	va_end(ap);
	/* One line: daemons end some stream errors with a newline. */
	for (char *c = what; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	for (size_t n = strlen(what); n && what[n - 1] == ' '; n--)
		what[n - 1] = '\0';
	free(d->err);
	if (obj && *obj)
		d->err = xasprintf("%s %s (%s): %s", method, op, obj, what);
	else
		d->err = xasprintf("%s %s: %s", method, op, what);
	free(what);
	return -1;
}

/* s percent-encoded for a query parameter (everything but RFC 3986
 * unreserved characters) or, with path set, for a path (keeping '/', ':'
 * and '@' that image references contain).  Malloc'd. */
char *http_encode(const char *s, bool path)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(3 * strlen(s) + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) ||
		    (path && strchr("/:@", *p))) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Append "&key=value" (or "?key=value" first) with value encoded. */
void http_query(struct buf *b, const char *key, const char *value)
{
	char *v = http_encode(value, false);

	buf_adds(b, strchr(b->p ? b->p : "", '?') ? "&" : "?");
	buf_adds(b, key);
	buf_adds(b, "=");
	buf_adds(b, v);
	free(v);
}

/* "/images/NAME/json" and the like, with name encoded.  Malloc'd. */
char *http_path_with(const char *before, const char *name, const char *after)
{
	char *e = http_encode(name, true);
	char *p = xasprintf("%s%s%s", before, e, after);
	free(e);
	return p;
}

static void progress_flush(struct xfer *x)
{
	if (x->line.len && x->on_line)
		x->on_line(x);
	else if (x->line.len)
		docker_progress_line(x->line.p, x->line.len, x->progress_out, &x->prog);
	x->line.len = 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *userp)
{
	struct xfer *x = userp;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(x->d->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300 || x->sink == SINK_BUFFER) {
		if (x->body.len + len > BODY_MAX) {
			x->too_big = true;
			return 0;
		}
		buf_add(&x->body, p, len);
		return len;
	}
	if (x->sink == SINK_FILE) {
		if (fwrite(p, 1, len, x->file) != len) {
			x->file_errno = errno ? errno : EIO;
			return 0;
		}
		return len;
	}
	if (x->sink == SINK_DEMUX) {
		if (docker_demux_feed(&x->demux, p, len, x->out, x->arg) < 0) {
			x->bad_frame = true;
			return 0;
		}
		return len;
	}
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n')
			progress_flush(x);
		else
			buf_add(&x->line, p + i, 1);
	}
	return len;
}

/* The daemon's own words from an error answer: {"message": ...} (dockerd,
 * Podman), else the text itself. */
static char *daemon_message(const struct buf *body, long code)
{
	json_t *j = body->len ? json_loadb(body->p, body->len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "message"));
	char *out;

	if (m && *m) {
		out = xstrdup(m);
	} else if (body->len && !j) {
		size_t n = body->len;
		while (n && strchr(" \t\r\n", body->p[n - 1]))
			n--;
		out = n ? xstrndup(body->p, n) : xasprintf("HTTP %ld", code);
	} else {
		out = xasprintf("HTTP %ld", code);
	}
	json_decref(j);
	return out;
}

static int negotiate(struct docker *d);

/* curl calls it often while a request lasts (at least once a second while
 * nothing comes): non-zero ends the transfer. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct docker *d = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return atomic_load(&d->cancel) ? 1 : 0;
}

void docker_cancel(struct docker *d)
{
	atomic_store(&d->cancel, true);
}

int http_request(struct docker *d, struct xfer *x, const char *method, const char *op,
                   const char *obj, const char *path, bool versioned,
                   const char *ctype, const void *body, size_t len,
                   struct curl_slist *extra)
{
	CURL *c = d->curl;
	struct curl_slist *hdrs = extra;
	char *url, *hdr = NULL;
	CURLcode rc;
	long os_errno = 0;
	int ret = -1;

	x->d = d;
	d->status = 0;
	if (d->bad_host)
		return http_fail(d, method, op, obj, "DOCKER_HOST=%s: %s", d->host, d->bad_host);
	if (versioned && negotiate(d) < 0)
		return -1;
	url = versioned ? xasprintf("%s/v%s%s", d->base, d->version, path)
	                : xasprintf("%s%s", d->base, path);
	msg_note("docker: %s %s", method, url);
	curl_easy_reset(c);
	d->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, d->errbuf);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pbrx/" PBRX_VERSION);
	if (d->socket)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket);
	if (d->tls) {
		curl_easy_setopt(c, CURLOPT_CAINFO, d->ca);
		curl_easy_setopt(c, CURLOPT_SSLCERT, d->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, d->key);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (!strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		if (!strcmp(method, "POST")) {
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
		}
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	/* Without a body, no Content-Type: curl would say form-urlencoded for
	 * a POST, which dockerd's commit endpoint refuses. */
	hdr = ctype ? xasprintf("Content-Type: %s", ctype) : xstrdup("Content-Type:");
	hdrs = curl_slist_append(hdrs, hdr);
	/* A build context can be large: send it without waiting for 100. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, d);

	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &d->status);
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	if (x->sink == SINK_PROGRESS)
		progress_flush(x);

	if (x->too_big) {
		http_fail(d, method, op, obj, "answer larger than %zu bytes", BODY_MAX);
	} else if (x->file_errno) {
		http_fail(d, method, op, obj, "writing the answer: %s", strerror(x->file_errno));
	} else if (x->bad_frame) {
		http_fail(d, method, op, obj, "malformed stream frame header");
	} else if (rc == CURLE_ABORTED_BY_CALLBACK) {
		/* The daemon, seeing the connection close, stops what it was
		 * doing (a build's RUN step). */
		http_fail(d, method, op, obj, "cancelled");
		d->status = 0;
	} else if (rc == CURLE_COULDNT_CONNECT && os_errno) {
		http_fail(d, method, op, obj, "cannot connect to %s: %s", d->host, strerror((int)os_errno));
		d->status = 0;
	} else if (rc != CURLE_OK) {
		http_fail(d, method, op, obj, "%s: %s", d->host,
		     d->errbuf[0] ? d->errbuf : curl_easy_strerror(rc));
		d->status = 0;
	} else if (d->status >= 300 && d->status != 304) {
		char *m = daemon_message(&x->body, d->status);
		http_fail(d, method, op, obj, "%s", m);
		free(m);
	} else if (x->prog.error) {
		/* Pull, push and build answer 200 and report failure in the stream. */
		http_fail(d, method, op, obj, "%s", x->prog.error);
	} else {
		ret = 0;
	}
	curl_slist_free_all(hdrs);
	free(hdr);
	free(url);
	return ret;
}

void http_xfer_free(struct xfer *x)
{
	buf_free(&x->body);
	buf_free(&x->line);
	free(x->prog.error);
	free(x->prog.aux_id);
}

int http_request_json(struct docker *d, const char *method, const char *op, const char *obj,
                        const char *path, bool versioned, const json_t *body, json_t **out)
{
	struct xfer x = {.sink = SINK_BUFFER};
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int ret;

	if (body && !text)
		msg_die(EXIT_FAIL, "out of memory");
	/* dockerd answers 400 to create and exec without this content type. */
	ret = http_request(d, &x, method, op, obj, path, versioned,
	              body ? "application/json" : NULL, text, text ? strlen(text) : 0, NULL);
	free(text);
	if (ret == 0 && out) {
		json_error_t e;
		*out = x.body.len ? json_loadb(x.body.p, x.body.len, 0, &e) : json_null();
		if (!*out)
			ret = http_fail(d, method, op, obj, "bad JSON in the answer: %s", e.text);
	}
	http_xfer_free(&x);
	return ret;
}

static bool parse_version(const char *s, int *major, int *minor)
{
	return s && sscanf(s, "%d.%d", major, minor) == 2;
}

static int negotiate(struct docker *d)
{
	json_t *v = NULL;
	const char *api;
	int maj, min, mymaj, mymin;

	if (d->version[0])
		return 0;
	if (http_request_json(d, "GET", "/version", NULL, "/version", false, NULL, &v) < 0)
		return -1;
	api = json_string_value(json_object_get(v, "ApiVersion"));
	if (!parse_version(api, &maj, &min)) {
		json_decref(v);
		return http_fail(d, "GET", "/version", NULL, "no ApiVersion in the answer");
	}
	parse_version(DOCKER_API_MAX, &mymaj, &mymin);
	if (maj > mymaj || (maj == mymaj && min > mymin)) {
		maj = mymaj;
		min = mymin;
	}
	snprintf(d->version, sizeof d->version, "%d.%d", maj, min);
	{
		size_t i;
		json_t *c;

		json_array_foreach(json_object_get(v, "Components"), i, c)
			d->podman |= strstr(json_string_value(json_object_get(c, "Name")) ?: "",
			                    "Podman") != NULL;
	}
	msg_note("docker: %s: API version %s (daemon %s)", d->host, d->version, api);
	json_decref(v);
	return 0;
}

int docker_ping(struct docker *d)
{
	struct xfer x = {.sink = SINK_BUFFER};
	int ret = http_request(d, &x, "GET", "/_ping", NULL, "/_ping", false, NULL, NULL, 0, NULL);

	http_xfer_free(&x);
	if (ret < 0)
		return -1;
	return negotiate(d);
}

bool docker_is_podman(struct docker *d)
{
	return negotiate(d) == 0 && d->podman;
}

const char *docker_api_version(struct docker *d)
{
	return negotiate(d) < 0 ? NULL : d->version;
}

json_t *docker_version(struct docker *d)
{
	json_t *v = NULL;

	if (negotiate(d) < 0 || http_request_json(d, "GET", "/version", NULL, "/version", false, NULL, &v) < 0)
		return NULL;
	return v;
}

