/* SPDX-License-Identifier: Apache-2.0 */
/* docker: Docker Engine API client.  Reference: the Engine API v1.41
 * documentation (https://docs.docker.com/engine/api/v1.41/). */
#include "engine/docker.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/msg.h"
#include "base/xalloc.h"

/* An answer we keep in memory (a file out of an archive, an inspect) is
 * never larger than this. */
#define BODY_MAX ((size_t)64 << 20)

struct docker {
	CURL *curl;
	char *host;        /* DOCKER_HOST form, for messages */
	char *socket;      /* unix socket path, or NULL for tcp */
	char *base;        /* URL prefix: http://localhost, https://HOST:PORT */
	bool tls;
	char *ca, *cert, *key;
	char *bad_host;    /* why DOCKER_HOST can't be used, or NULL */
	char version[16];  /* negotiated API version, "" until then */
	char *err;
	long status;
	char errbuf[CURL_ERROR_SIZE];
	atomic_bool cancel;  /* docker_cancel: end the request in flight */
};

/* A growable byte buffer, always NUL-terminated. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	xgrow((void **)&b->p, &b->cap, b->len + n + 1, 1);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

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

void docker_die(const struct docker *d)
{
	msg_die(EXIT_FAIL, "docker: %s", d->err);
}

/* Record the failure of "method op (obj)". */
__attribute__((format(printf, 5, 6)))
static int fail(struct docker *d, const char *method, const char *op, const char *obj,
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
static char *encode(const char *s, bool path)
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
static void query(struct buf *b, const char *key, const char *value)
{
	char *v = encode(value, false);

	buf_adds(b, strchr(b->p ? b->p : "", '?') ? "&" : "?");
	buf_adds(b, key);
	buf_adds(b, "=");
	buf_adds(b, v);
	free(v);
}

/* "/images/NAME/json" and the like, with name encoded.  Malloc'd. */
static char *path_with(const char *before, const char *name, const char *after)
{
	char *e = encode(name, true);
	char *p = xasprintf("%s%s%s", before, e, after);
	free(e);
	return p;
}

/* How an answer's body is consumed. */
enum sink { SINK_BUFFER, SINK_PROGRESS, SINK_DEMUX };

struct xfer {
	struct docker *d;
	enum sink sink;
	struct buf body;        /* SINK_BUFFER, and any error answer */
	bool too_big;
	struct buf line;        /* SINK_PROGRESS: the line so far */
	FILE *progress_out;     /* SINK_PROGRESS: NULL when quiet */
	struct docker_progress prog;
	struct docker_demux demux;  /* SINK_DEMUX */
	docker_output_fn *out;
	void *arg;
	bool bad_frame;
	struct docker_push_result *push;  /* SINK_PROGRESS of a push */
	const char *push_name;
};

static void push_line(struct xfer *x);

static void progress_flush(struct xfer *x)
{
	if (x->line.len && x->push)
		push_line(x);
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

/* Send "method path" (path without the /vX.Y prefix, query included;
 * versioned says whether to add the prefix) with an optional body of
 * content type ctype, and consume the answer into x.  op names the
 * endpoint in messages, obj the object it acts on.  0 on a 2xx answer
 * (or 304), -1 otherwise with the error recorded. */
static int request(struct docker *d, struct xfer *x, const char *method, const char *op,
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
		return fail(d, method, op, obj, "DOCKER_HOST=%s: %s", d->host, d->bad_host);
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
		fail(d, method, op, obj, "answer larger than %zu bytes", BODY_MAX);
	} else if (x->bad_frame) {
		fail(d, method, op, obj, "malformed stream frame header");
	} else if (rc == CURLE_ABORTED_BY_CALLBACK) {
		/* The daemon, seeing the connection close, stops what it was
		 * doing (a build's RUN step). */
		fail(d, method, op, obj, "cancelled");
		d->status = 0;
	} else if (rc == CURLE_COULDNT_CONNECT && os_errno) {
		fail(d, method, op, obj, "cannot connect to %s: %s", d->host, strerror((int)os_errno));
		d->status = 0;
	} else if (rc != CURLE_OK) {
		fail(d, method, op, obj, "%s: %s", d->host,
		     d->errbuf[0] ? d->errbuf : curl_easy_strerror(rc));
		d->status = 0;
	} else if (d->status >= 300 && d->status != 304) {
		char *m = daemon_message(&x->body, d->status);
		fail(d, method, op, obj, "%s", m);
		free(m);
	} else if (x->prog.error) {
		/* Pull, push and build answer 200 and report failure in the stream. */
		fail(d, method, op, obj, "%s", x->prog.error);
	} else {
		ret = 0;
	}
	curl_slist_free_all(hdrs);
	free(hdr);
	free(url);
	return ret;
}

static void xfer_free(struct xfer *x)
{
	buf_free(&x->body);
	buf_free(&x->line);
	free(x->prog.error);
	free(x->prog.aux_id);
}

/* request() for a JSON answer: *out gets it (new reference) when out is
 * not NULL. */
static int request_json(struct docker *d, const char *method, const char *op, const char *obj,
                        const char *path, bool versioned, const json_t *body, json_t **out)
{
	struct xfer x = {.sink = SINK_BUFFER};
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int ret;

	if (body && !text)
		msg_die(EXIT_FAIL, "out of memory");
	/* dockerd answers 400 to create and exec without this content type. */
	ret = request(d, &x, method, op, obj, path, versioned,
	              body ? "application/json" : NULL, text, text ? strlen(text) : 0, NULL);
	free(text);
	if (ret == 0 && out) {
		json_error_t e;
		*out = x.body.len ? json_loadb(x.body.p, x.body.len, 0, &e) : json_null();
		if (!*out)
			ret = fail(d, method, op, obj, "bad JSON in the answer: %s", e.text);
	}
	xfer_free(&x);
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
	if (request_json(d, "GET", "/version", NULL, "/version", false, NULL, &v) < 0)
		return -1;
	api = json_string_value(json_object_get(v, "ApiVersion"));
	if (!parse_version(api, &maj, &min)) {
		json_decref(v);
		return fail(d, "GET", "/version", NULL, "no ApiVersion in the answer");
	}
	parse_version(DOCKER_API_MAX, &mymaj, &mymin);
	if (maj > mymaj || (maj == mymaj && min > mymin)) {
		maj = mymaj;
		min = mymin;
	}
	snprintf(d->version, sizeof d->version, "%d.%d", maj, min);
	msg_note("docker: %s: API version %s (daemon %s)", d->host, d->version, api);
	json_decref(v);
	return 0;
}

int docker_ping(struct docker *d)
{
	struct xfer x = {.sink = SINK_BUFFER};
	int ret = request(d, &x, "GET", "/_ping", NULL, "/_ping", false, NULL, NULL, 0, NULL);

	xfer_free(&x);
	if (ret < 0)
		return -1;
	return negotiate(d);
}

const char *docker_api_version(struct docker *d)
{
	return negotiate(d) < 0 ? NULL : d->version;
}

json_t *docker_version(struct docker *d)
{
	json_t *v = NULL;

	if (negotiate(d) < 0 || request_json(d, "GET", "/version", NULL, "/version", false, NULL, &v) < 0)
		return NULL;
	return v;
}

json_t *docker_image_inspect(struct docker *d, const char *name)
{
	char *path = path_with("/images/", name, "/json");
	json_t *out = NULL;

	request_json(d, "GET", "/images/{name}/json", name, path, true, NULL, &out);
	free(path);
	return out;
}

void docker_split_ref(const char *ref, char **repo, char **tag)
{
	const char *at = strchr(ref, '@');
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');

	if (at) {
		*repo = xstrndup(ref, (size_t)(at - ref));
		*tag = xstrdup(at + 1);
	} else if (colon && (!slash || colon > slash)) {
		*repo = xstrndup(ref, (size_t)(colon - ref));
		*tag = xstrdup(colon + 1);
	} else {
		*repo = xstrdup(ref);
		*tag = xstrdup("");
	}
}

int docker_image_pull(struct docker *d, const char *name, bool quiet)
{
	struct xfer x = {.sink = SINK_PROGRESS, .progress_out = quiet ? NULL : stderr};
	struct buf path = {0};
	struct curl_slist *hdrs;
	char *repo, *tag;
	int ret;

	docker_split_ref(name, &repo, &tag);
	buf_adds(&path, "/images/create");
	query(&path, "fromImage", repo);
	/* Without a tag the API pulls every tag of the repository. */
	query(&path, "tag", *tag ? tag : "latest");
	/* base64 of "{}": anonymous; some daemons want the header present. */
	hdrs = curl_slist_append(NULL, "X-Registry-Auth: e30=");
	ret = request(d, &x, "POST", "/images/create", name, path.p, true, NULL, NULL, 0, hdrs);
	xfer_free(&x);
	buf_free(&path);
	free(repo);
	free(tag);
	return ret;
}

/* One line of a push's progress stream: errors kept (not shown: the
 * caller reports them once), the layers counted, the digest kept, status
 * changes shown as "NAME: LAYER: STATUS" (the byte counts of "Pushing"
 * repeat for every chunk and are left out). */
static void push_line(struct xfer *x)
{
	struct docker_push_result *r = x->push;
	json_t *j = json_loadb(x->line.p, x->line.len, JSON_ALLOW_NUL, NULL);
	json_t *detail = json_object_get(j, "progressDetail");
	const char *err, *status, *id, *digest;

	if (!json_is_object(j))
		goto out;
	err = json_string_value(json_object_get(json_object_get(j, "errorDetail"), "message"));
	if (!err)
		err = json_string_value(json_object_get(j, "error"));
	if (err) {
		if (!x->prog.error)
			x->prog.error = xstrdup(err);
		goto out;
	}
	digest = json_string_value(json_object_get(json_object_get(j, "aux"), "Digest"));
	if (digest && !r->digest)
		r->digest = xstrdup(digest);
	status = json_string_value(json_object_get(j, "status"));
	id = json_string_value(json_object_get(j, "id"));
	if (id)
		r->layers_known = true;
	/* Podman's service sends no "aux", only the line the docker CLI
	 * prints, "TAG: digest: sha256:HEX size: N". */
	if (status && !r->digest && (digest = strstr(status, ": digest: sha256:")) &&
	    strspn(digest + 17, "0123456789abcdef") == 64)
		r->digest = xstrndup(digest + 10, 71);
	if (!status || (json_is_object(detail) && json_object_size(detail)))
		goto out;
	if (id && !strcmp(status, "Pushed"))
		r->layers_pushed++;
	else if (id && (!strcmp(status, "Layer already exists") ||
	                !strncmp(status, "Mounted from ", 13)))
		r->layers_existing++;
	if (x->progress_out) {
		fprintf(x->progress_out, "%s: %s: %s%s%s%s\n", msg_progname(), x->push_name,
		        id ? "layer " : "", id ? id : "", id ? ": " : "", status);
		fflush(x->progress_out);
	}
out:
	json_decref(j);
}

int docker_image_push(struct docker *d, const char *name, const char *auth, bool insecure,
                      bool quiet, struct docker_push_result *result)
{
	struct xfer x = {.sink = SINK_PROGRESS, .progress_out = quiet ? NULL : stderr,
	                 .push = result, .push_name = name};
	struct buf path = {0}, hdr = {0};
	struct curl_slist *hdrs;
	char *p, *repo, *tag;
	int ret;

	*result = (struct docker_push_result){0};
	docker_split_ref(name, &repo, &tag);
	p = path_with("/images/", repo, "/push");
	buf_adds(&path, p);
	/* Without a tag the API pushes every tag of the repository. */
	query(&path, "tag", *tag ? tag : "latest");
	if (insecure)
		query(&path, "tlsVerify", "false");
	/* The header holds a secret: never in a message (-v shows only the
	 * URL, and no CURLOPT_VERBOSE is ever set on the handle). */
	buf_adds(&hdr, "X-Registry-Auth: ");
	buf_adds(&hdr, auth && *auth ? auth : "e30=");
	hdrs = curl_slist_append(NULL, hdr.p);
	ret = request(d, &x, "POST", "/images/{name}/push", name, path.p, true, NULL, NULL, 0, hdrs);
	explicit_bzero(hdr.p, hdr.len);
	if (ret < 0) {
		free(result->digest);
		result->digest = NULL;
	}
	xfer_free(&x);
	buf_free(&path);
	buf_free(&hdr);
	free(p);
	free(repo);
	free(tag);
	return ret;
}

int docker_image_tag(struct docker *d, const char *image, const char *repo_tag)
{
	struct buf path = {0};
	char *p = path_with("/images/", image, "/tag"), *repo, *tag;
	int ret;

	docker_split_ref(repo_tag, &repo, &tag);
	buf_adds(&path, p);
	query(&path, "repo", repo);
	if (*tag)
		query(&path, "tag", tag);
	ret = request_json(d, "POST", "/images/{name}/tag", repo_tag, path.p, true, NULL, NULL);
	buf_free(&path);
	free(p);
	free(repo);
	free(tag);
	return ret;
}

int docker_image_remove(struct docker *d, const char *name, bool force)
{
	char *p = path_with("/images/", name, force ? "?force=1" : "");
	int ret = request_json(d, "DELETE", "/images/{name}", name, p, true, NULL, NULL);

	free(p);
	return ret;
}

/* A JSON array of a NULL-terminated argv (new); an empty argv gives
 * [""], which is how the API says "none" for Entrypoint. */
static json_t *argv_json(char *const *argv)
{
	json_t *a = json_array();

	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	if (json_array_size(a) == 0)
		json_array_append_new(a, json_string(""));
	return a;
}

static void set_string(json_t *o, const char *key, const char *value)
{
	if (value)
		json_object_set_new(o, key, json_string(value));
}

/* The short form of an ID for messages, 12 hex digits as the CLI shows,
 * in out; returned, unless id is a container's name (not hex), which is
 * returned whole. */
static const char *short_id(const char *id, char out[13])
{
	const char *h = strncmp(id, "sha256:", 7) ? id : id + 7;
	snprintf(out, 13, "%s", h);
	return h[strspn(h, "0123456789abcdef")] ? id : out;
}

char *docker_container_create(struct docker *d, const struct docker_container_spec *spec)
{
	json_t *body = json_object(), *host = json_object(), *mounts = json_array(), *out = NULL;
	struct buf path = {0};
	char *id = NULL;

	json_object_set_new(body, "Image", json_string(spec->image));
	if (spec->cmd)
		json_object_set_new(body, "Cmd", argv_json(spec->cmd));
	if (spec->entrypoint)
		json_object_set_new(body, "Entrypoint", argv_json(spec->entrypoint));
	if (spec->env) {
		json_t *env = argv_json(spec->env);
		if (!spec->env[0])
			json_array_clear(env);
		json_object_set_new(body, "Env", env);
	}
	set_string(body, "WorkingDir", spec->workdir);
	set_string(body, "User", spec->user);
	set_string(host, "NetworkMode", spec->network_mode);
	for (size_t i = 0; i < spec->nmounts; i++) {
		const struct docker_mount *m = &spec->mounts[i];
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind",
		                                        "Source", m->source, "Target", m->target,
		                                        "ReadOnly", m->read_only));
	}
	if (spec->nmounts)
		json_object_set(host, "Mounts", mounts);
	/* exec: pip runs build helpers from /tmp; Docker's tmpfs default is
	 * fine, but say it so Podman does the same. */
	if (spec->tmpfs_tmp)
		json_object_set_new(host, "Tmpfs", json_pack("{s:s}", "/tmp", "rw,exec,mode=1777"));
	json_object_set_new(body, "HostConfig", host);

	buf_adds(&path, "/containers/create");
	if (spec->name)
		query(&path, "name", spec->name);
	if (request_json(d, "POST", "/containers/create", spec->name ? spec->name : spec->image,
	                 path.p, true, body, &out) == 0) {
		const char *s = json_string_value(json_object_get(out, "Id"));
		json_t *w = json_object_get(out, "Warnings");
		size_t i;
		json_t *v;

		json_array_foreach(w, i, v)
			if (json_string_value(v) && *json_string_value(v))
				msg_warn("docker: %s", json_string_value(v));
		if (s)
			id = xstrdup(s);
		else
			fail(d, "POST", "/containers/create", spec->name ? spec->name : spec->image,
			     "no Id in the answer");
	}
	json_decref(out);
	json_decref(mounts);
	json_decref(body);
	buf_free(&path);
	return id;
}

json_t *docker_container_list(struct docker *d)
{
	json_t *out = NULL;

	if (request_json(d, "GET", "/containers/json", NULL, "/containers/json?all=1", true,
	                 NULL, &out) < 0)
		return NULL;
	if (!json_is_array(out)) {
		json_decref(out);
		fail(d, "GET", "/containers/json", NULL, "expected an array in the answer");
		return NULL;
	}
	return out;
}

int docker_container_start(struct docker *d, const char *id)
{
	char *p = path_with("/containers/", id, "/start"), sid[13];
	int ret = request_json(d, "POST", "/containers/{id}/start", short_id(id, sid), p, true,
	                       NULL, NULL);
	free(p);
	return ret;
}

int docker_container_wait(struct docker *d, const char *id, long *status)
{
	char *p = path_with("/containers/", id, "/wait"), sid[13];
	json_t *out = NULL;
	int ret = request_json(d, "POST", "/containers/{id}/wait", short_id(id, sid), p, true,
	                       NULL, &out);

	if (ret == 0) {
		json_t *code = json_object_get(out, "StatusCode");
		if (json_is_integer(code))
			*status = (long)json_integer_value(code);
		else
			ret = fail(d, "POST", "/containers/{id}/wait", sid, "no StatusCode in the answer");
	}
	json_decref(out);
	free(p);
	return ret;
}

int docker_container_remove(struct docker *d, const char *id)
{
	char *p = path_with("/containers/", id, "?force=1&v=1"), sid[13];
	int ret = request_json(d, "DELETE", "/containers/{id}", short_id(id, sid), p, true,
	                       NULL, NULL);
	free(p);
	return ret;
}

static void to_stderr(int stream, const char *data, size_t len, void *arg)
{
	(void)stream;
	(void)arg;
	fwrite(data, 1, len, stderr);
	fflush(stderr);
}

int docker_exec(struct docker *d, const char *id, const struct docker_exec_spec *spec,
                int *exit_code)
{
	json_t *body = json_object(), *out = NULL;
	char *path = path_with("/containers/", id, "/exec"), *eid = NULL, sid[13];
	struct xfer x = {.sink = SINK_DEMUX, .out = spec->output ? spec->output : to_stderr,
	                 .arg = spec->arg};
	static const char start[] = "{\"Detach\":false,\"Tty\":false}";
	int ret = -1;

	short_id(id, sid);
	json_object_set_new(body, "AttachStdout", json_true());
	json_object_set_new(body, "AttachStderr", json_true());
	json_object_set_new(body, "Tty", json_false());
	json_object_set_new(body, "Cmd", argv_json(spec->argv));
	if (spec->env)
		json_object_set_new(body, "Env", argv_json(spec->env));
	set_string(body, "WorkingDir", spec->workdir);
	set_string(body, "User", spec->user);
	if (request_json(d, "POST", "/containers/{id}/exec", sid, path, true, body, &out) < 0)
		goto out;
	if (!json_string_value(json_object_get(out, "Id"))) {
		fail(d, "POST", "/containers/{id}/exec", sid, "no Id in the answer");
		goto out;
	}
	eid = xstrdup(json_string_value(json_object_get(out, "Id")));
	json_decref(out);
	out = NULL;

	/* Without Tty the answer is application/vnd.docker.raw-stream: no
	 * length, no chunking, frames until EOF. */
	free(path);
	path = path_with("/exec/", eid, "/start");
	if (request(d, &x, "POST", "/exec/{id}/start", sid, path, true, "application/json",
	            start, sizeof start - 1, NULL) < 0)
		goto out;
	if (!docker_demux_complete(&x.demux))
		msg_warn("docker: POST /exec/{id}/start (%s): stream ended inside a frame", sid);

	free(path);
	path = path_with("/exec/", eid, "/json");
	/* The exec can still read as running for a moment after EOF. */
	for (int tries = 0; tries < 200; tries++) {
		json_t *code;

		json_decref(out);
		out = NULL;
		if (request_json(d, "GET", "/exec/{id}/json", sid, path, true, NULL, &out) < 0)
			goto out;
		code = json_object_get(out, "ExitCode");
		if (!json_is_true(json_object_get(out, "Running")) && json_is_integer(code)) {
			*exit_code = (int)json_integer_value(code);
			ret = 0;
			goto out;
		}
		nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
	}
	fail(d, "GET", "/exec/{id}/json", sid, "the command still runs after its output ended");
out:
	xfer_free(&x);
	json_decref(out);
	json_decref(body);
	free(eid);
	free(path);
	return ret;
}

/* The first entry of a tar stream in memory: a regular file's content
 * (into *data) or a symlink's target (into *link).  0, or -1 with *why. */
static int tar_first(const struct buf *tar, char **data, size_t *len, char **link,
                     const char **why)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ret = -1;

	*data = *link = NULL;
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, tar->p, tar->len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		*why = archive_error_string(a) ? archive_error_string(a) : "empty archive";
		*why = xstrdup(*why);
		goto out;
	}
	if (archive_entry_filetype(e) == AE_IFLNK) {
		*link = xstrdup(archive_entry_symlink(e));
		ret = 0;
	} else if (archive_entry_filetype(e) == AE_IFREG) {
		struct buf b = {0};
		char chunk[16384];
		la_ssize_t n;

		buf_add(&b, "", 0);
		while ((n = archive_read_data(a, chunk, sizeof chunk)) > 0)
			buf_add(&b, chunk, (size_t)n);
		if (n < 0) {
			*why = xstrdup(archive_error_string(a));
			buf_free(&b);
			goto out;
		}
		*data = b.p;
		*len = b.len;
		ret = 0;
	} else {
		*why = xstrdup("not a regular file");
	}
out:
	archive_read_free(a);
	return ret;
}

int docker_container_read_file(struct docker *d, const char *id, const char *path,
                               char **data, size_t *len)
{
	char sid[13], *cur = xstrdup(path);
	int ret = -1, depth;

	short_id(id, sid);
	for (depth = 0; depth < 16; depth++) {
		struct xfer x = {.sink = SINK_BUFFER};
		struct buf p = {0};
		char *link = NULL, *what;
		const char *why = NULL;
		char *p0 = path_with("/containers/", id, "/archive");
		int r;

		buf_adds(&p, p0);
		free(p0);
		query(&p, "path", cur);
		what = xasprintf("%s:%s", sid, cur);
		r = request(d, &x, "GET", "/containers/{id}/archive", what, p.p, true, NULL, NULL, 0, NULL);
		if (r == 0 && tar_first(&x.body, data, len, &link, &why) < 0) {
			fail(d, "GET", "/containers/{id}/archive", what, "%s", why);
			free((char *)why);
			r = -1;
		}
		free(what);
		buf_free(&p);
		xfer_free(&x);
		if (r < 0)
			break;
		if (!link) {
			ret = 0;
			break;
		}
		/* The archive endpoint answers with the link itself, as docker cp
		 * without -L: resolve it against the link's directory. */
		if (link[0] == '/') {
			free(cur);
			cur = link;
		} else {
			char *slash = strrchr(cur, '/');
			char *next = xasprintf("%.*s/%s", slash ? (int)(slash - cur) : 0, cur, link);
			free(link);
			free(cur);
			cur = next;
		}
	}
	if (depth == 16)
		fail(d, "GET", "/containers/{id}/archive", sid, "%s: too many levels of symbolic links", path);
	free(cur);
	return ret;
}

int docker_image_read_file(struct docker *d, const char *image, const char *path,
                           const char *name, char **data, size_t *len)
{
	/* Never started: the command only has to exist in the create call,
	 * since an image without Cmd and Entrypoint can't be created. */
	static char *const cmd[] = {"/pbrx-read-file", NULL};
	struct docker_container_spec spec = {.name = name, .image = image, .cmd = cmd,
	                                     .network_mode = "none"};
	char *id = docker_container_create(d, &spec);
	char *err;
	long status;
	int ret;

	if (!id)
		return -1;
	ret = docker_container_read_file(d, id, path, data, len);
	err = xstrdup(d->err);
	status = d->status;
	if (docker_container_remove(d, id) < 0)
		msg_warn("docker: %s", d->err);
	if (ret < 0) {
		free(d->err);
		d->err = err;
		d->status = status;
	} else {
		free(err);
	}
	free(id);
	return ret;
}

char *docker_commit(struct docker *d, const char *id, const char *repo_tag, char *const *changes)
{
	struct buf path = {0};
	json_t *out = NULL, *empty = json_object();
	char *image = NULL, sid[13];

	buf_adds(&path, "/commit");
	query(&path, "container", id);
	if (repo_tag) {
		char *repo, *tag;
		docker_split_ref(repo_tag, &repo, &tag);
		query(&path, "repo", repo);
		if (*tag)
			query(&path, "tag", tag);
		free(repo);
		free(tag);
	}
	/* One Dockerfile line per changes parameter, repeated. */
	for (size_t i = 0; changes && changes[i]; i++)
		query(&path, "changes", changes[i]);
	/* An empty config: the container's is kept, changes applied on top.
	 * Podman refuses a commit without a body ("Decode(): EOF"). */
	if (request_json(d, "POST", "/commit", repo_tag ? repo_tag : short_id(id, sid), path.p, true,
	                 empty, &out) == 0) {
		const char *s = json_string_value(json_object_get(out, "Id"));
		if (s)
			image = xstrdup(s);
		else
			fail(d, "POST", "/commit", repo_tag ? repo_tag : short_id(id, sid),
			     "no Id in the answer");
	}
	json_decref(out);
	json_decref(empty);
	buf_free(&path);
	return image;
}

static la_ssize_t tar_write(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	buf_add(arg, p, n);
	return (la_ssize_t)n;
}

/* A tar of directory dir's content (paths relative to it) into out, plus,
 * when extra_name is not NULL, a regular file of that name holding
 * extra_len bytes of extra.  NULL, or the reason it failed (malloc'd). */
static char *tar_dir(const char *dir, const char *extra_name, const char *extra,
                     size_t extra_len, struct buf *out)
{
	struct archive *disk = archive_read_disk_new(), *w = archive_write_new();
	struct archive_entry *e = NULL;
	char *root = xstrdup(dir), *why = NULL;
	size_t rootlen = strlen(root);
	char chunk[65536];

	while (rootlen > 1 && root[rootlen - 1] == '/')
		root[--rootlen] = '\0';
	archive_write_set_format_pax_restricted(w);
	archive_write_open(w, out, NULL, tar_write, NULL);
	archive_read_disk_set_standard_lookup(disk);
	archive_read_disk_set_symlink_physical(disk);
	if (archive_read_disk_open(disk, root) != ARCHIVE_OK) {
		why = xasprintf("%s: %s", dir, archive_error_string(disk));
		goto out;
	}
	for (;;) {
		const char *name;
		int r;

		archive_entry_free(e);
		e = archive_entry_new();
		r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			why = xasprintf("%s: %s", dir, archive_error_string(disk));
			goto out;
		}
		archive_read_disk_descend(disk);
		name = archive_entry_pathname(e);
		if (strncmp(name, root, rootlen) || (name[rootlen] && name[rootlen] != '/'))
			continue;
		name += rootlen;
		while (*name == '/')
			name++;
		if (!*name)
			continue;
		archive_entry_set_pathname(e, name);
		if (archive_write_header(w, e) < ARCHIVE_WARN) {
			why = xasprintf("%s: %s", name, archive_error_string(w));
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFREG) {
			la_ssize_t n;
			while ((n = archive_read_data(disk, chunk, sizeof chunk)) > 0)
				archive_write_data(w, chunk, (size_t)n);
			if (n < 0) {
				why = xasprintf("%s: %s", name, archive_error_string(disk));
				goto out;
			}
		}
	}
	if (extra_name) {
		archive_entry_free(e);
		e = archive_entry_new();
		archive_entry_set_pathname(e, extra_name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)extra_len);
		if (archive_write_header(w, e) < ARCHIVE_WARN ||
		    archive_write_data(w, extra, extra_len) < 0) {
			why = xasprintf("%s: %s", extra_name, archive_error_string(w));
			goto out;
		}
	}
	if (archive_write_close(w) != ARCHIVE_OK)
		why = xasprintf("%s: %s", dir, archive_error_string(w));
out:
	archive_entry_free(e);
	archive_read_free(disk);
	archive_write_free(w);
	free(root);
	return why;
}

char *docker_build(struct docker *d, const char *context_dir, const char *dockerfile,
                   const char *repo_tag, const char *network_mode, bool quiet)
{
	struct docker_build_spec spec = {
		.context_dir = context_dir, .dockerfile = dockerfile, .repo_tag = repo_tag,
		.network_mode = network_mode, .quiet = quiet,
	};
	return docker_build_spec(d, &spec);
}

/* The name the replacement Dockerfile gets in the context: one a project
 * is unlikely to have. */
#define BUILD_DOCKERFILE ".pbrx-build.Dockerfile"

char *docker_build_spec(struct docker *d, const struct docker_build_spec *spec)
{
	struct xfer x = {.sink = SINK_PROGRESS, .progress_out = spec->quiet ? NULL : stderr};
	struct buf tar = {0}, path = {0};
	const char *obj = spec->repo_tag ? spec->repo_tag : spec->dockerfile;
	const char *name = spec->dockerfile_text ? BUILD_DOCKERFILE : spec->dockerfile;
	char *why, *id = NULL;

	why = tar_dir(spec->context_dir, spec->dockerfile_text ? name : NULL,
	              spec->dockerfile_text,
	              spec->dockerfile_text ? strlen(spec->dockerfile_text) : 0, &tar);
	if (why) {
		fail(d, "POST", "/build", obj, "build context: %s", why);
		free(why);
		goto out;
	}
	buf_adds(&path, "/build");
	query(&path, "dockerfile", name);
	if (spec->repo_tag)
		query(&path, "t", spec->repo_tag);
	if (spec->network_mode)
		query(&path, "networkmode", spec->network_mode);
	if (spec->labels && json_object_size(spec->labels)) {
		char *labels = json_dumps(spec->labels, JSON_COMPACT);
		query(&path, "labels", labels);
		free(labels);
	}
	query(&path, "rm", "1");
	query(&path, "forcerm", "1");
	if (request(d, &x, "POST", "/build", obj, path.p, true, "application/x-tar",
	            tar.p, tar.len, NULL) < 0)
		goto out;
	if (x.prog.aux_id) {
		id = xstrdup(x.prog.aux_id);
	} else if (spec->repo_tag) {
		/* Older daemons and Podman may not send aux.ID. */
		json_t *img = docker_image_inspect(d, spec->repo_tag);
		const char *s = json_string_value(json_object_get(img, "Id"));
		if (s)
			id = xstrdup(s);
		json_decref(img);
	} else {
		fail(d, "POST", "/build", obj, "the daemon did not say which image it built");
	}
out:
	xfer_free(&x);
	buf_free(&tar);
	buf_free(&path);
	return id;
}

int docker_demux_feed(struct docker_demux *m, const char *buf, size_t len,
                      docker_output_fn *out, void *arg)
{
	while (len > 0) {
		size_t take;

		if (m->left == 0) {
			take = 8 - m->have < len ? 8 - m->have : len;
			memcpy(m->hdr + m->have, buf, take);
			m->have += take;
			buf += take;
			len -= take;
			if (m->have < 8)
				break;
			if (m->hdr[0] > 2 || m->hdr[1] || m->hdr[2] || m->hdr[3])
				return -1;
			m->stream = m->hdr[0] == 2 ? 2 : 1;
			m->left = (uint32_t)m->hdr[4] << 24 | (uint32_t)m->hdr[5] << 16 |
			          (uint32_t)m->hdr[6] << 8 | m->hdr[7];
			m->have = 0;
			continue;
		}
		take = m->left < len ? m->left : len;
		if (out)
			out(m->stream, buf, take, arg);
		m->left -= (uint32_t)take;
		buf += take;
		len -= take;
	}
	return 0;
}

bool docker_demux_complete(const struct docker_demux *m)
{
	return m->have == 0 && m->left == 0;
}

int docker_progress_line(const char *line, size_t len, FILE *out, struct docker_progress *p)
{
	json_t *j, *detail, *aux;
	const char *s, *id, *err;
	size_t i;

	for (i = 0; i < len && strchr(" \t\r\n", line[i]); i++)
		;
	if (i == len)
		return 0;
	j = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	detail = json_object_get(j, "errorDetail");
	err = json_string_value(json_object_get(detail, "message"));
	if (!err)
		err = json_string_value(json_object_get(j, "error"));
	if (err && !p->error)
		p->error = xstrdup(err);
	aux = json_object_get(j, "aux");
	s = json_string_value(json_object_get(aux, "ID"));
	if (s && !p->aux_id)
		p->aux_id = xstrdup(s);
	if (out) {
		if ((s = json_string_value(json_object_get(j, "stream"))))
			fputs(s, out);
		/* Progress bars repeat for every chunk downloaded: show only
		 * the status changes. */
		detail = json_object_get(j, "progressDetail");
		s = json_string_value(json_object_get(j, "status"));
		id = json_string_value(json_object_get(j, "id"));
		if (s && !(json_is_object(detail) && json_object_size(detail)))
			fprintf(out, "%s%s%s\n", id ? id : "", id ? ": " : "", s);
		if (err)
			fprintf(out, "%s\n", err);
		fflush(out);
	}
	json_decref(j);
	return 0;
}
