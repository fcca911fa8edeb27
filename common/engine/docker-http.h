/* SPDX-License-Identifier: Apache-2.0 */
/* docker-http: what the Engine API client's endpoints (docker-api.c)
 * share with its connection (docker-http.c); not for other modules,
 * which use engine/docker.h. */
#ifndef PBRX_DOCKER_HTTP_H
#define PBRX_DOCKER_HTTP_H

#include <curl/curl.h>
#include <stdatomic.h>

#include "base/buf.h"
#include "engine/docker.h"

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
	bool podman;       /* the daemon is Podman's service (known with
	                    * version) */
	char *err;
	long status;
	char errbuf[CURL_ERROR_SIZE];
	atomic_bool cancel;  /* docker_cancel: end the request in flight */
};

/* How an answer's body is consumed. */
enum sink { SINK_BUFFER, SINK_PROGRESS, SINK_DEMUX, SINK_FILE };

/* One request's answer as it comes.  Zero-initialise but for sink and
 * what it needs; http_xfer_free releases. */
struct xfer {
	struct docker *d;
	enum sink sink;
	struct buf body;        /* SINK_BUFFER, and any error answer */
	bool too_big;
	struct buf line;        /* SINK_PROGRESS: the line so far */
	FILE *progress_out;     /* SINK_PROGRESS: NULL when quiet */
	struct docker_progress prog;
	void (*on_line)(struct xfer *x);  /* SINK_PROGRESS: takes each line
	                                   * instead of docker_progress_line */
	struct docker_demux demux;  /* SINK_DEMUX */
	FILE *file;                 /* SINK_FILE: a 2xx answer's body */
	int file_errno;             /* SINK_FILE: why writing failed, or 0 */
	engine_output_fn *out;
	void *arg;
	bool bad_frame;
	struct docker_push_result *push;  /* SINK_PROGRESS of a push */
	const char *push_name;
};

/* Record the failure of "method op (obj)" as d's error, on one line.
 * Returns -1. */
int http_fail(struct docker *d, const char *method, const char *op, const char *obj,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* s percent-encoded for a query parameter (everything but RFC 3986
 * unreserved characters) or, with path set, for a path (keeping '/', ':'
 * and '@' that image references contain).  Malloc'd. */
char *http_encode(const char *s, bool path);
/* Append "&key=value" (or "?key=value" first) with value encoded. */
void http_query(struct buf *b, const char *key, const char *value);
/* "/images/NAME/json" and the like, with name encoded.  Malloc'd. */
char *http_path_with(const char *before, const char *name, const char *after);
/* Send "method path" (path without the /vX.Y prefix, query included;
 * versioned says whether to add the prefix, negotiating first) with an
 * optional body of content type ctype and extra headers (freed here),
 * and consume the answer into x.  op names the endpoint in messages, obj
 * the object it acts on.  0 on a 2xx answer (or 304) without an error in
 * its progress stream, -1 otherwise with the error recorded. */
int http_request(struct docker *d, struct xfer *x, const char *method, const char *op,
                 const char *obj, const char *path, bool versioned, const char *ctype,
                 const void *body, size_t len, struct curl_slist *extra);
/* http_request() of a JSON body (NULL: none) for a JSON answer: *out
 * gets it (new reference) when out is not NULL. */
int http_request_json(struct docker *d, const char *method, const char *op, const char *obj,
                      const char *path, bool versioned, const json_t *body, json_t **out);
void http_xfer_free(struct xfer *x);

#endif
