/* SPDX-License-Identifier: Apache-2.0 */
/* docker-stream: parsers of what the Engine API streams: the frames of
 * a non-TTY attach or exec stream, and the JSON progress lines of pull,
 * push and build (whose failures come inside a 200 answer).  Pure: no
 * connection, for the client and the fuzzers alike. */
#ifndef PBRX_DOCKER_STREAM_H
#define PBRX_DOCKER_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/run.h"


/* Incremental parser of the 8-byte frame headers of a non-TTY attach or
 * exec stream (byte 0 the stream, 0 stdin, 1 stdout, 2 stderr; bytes 4-7
 * the big-endian payload length).  Zero-initialise it. */
struct docker_demux {
	unsigned char hdr[8];
	size_t have;    /* header bytes gathered so far */
	uint32_t left;  /* payload bytes left in the current frame */
	int stream;
};
/* Feed len bytes of the stream; out gets each payload piece as it comes.
 * -1 on a malformed header (the stream is not framed). */
int docker_demux_feed(struct docker_demux *m, const char *buf, size_t len,
                      engine_output_fn *out, void *arg);
/* True when the stream so far ends on a frame boundary. */
bool docker_demux_complete(const struct docker_demux *m);

/* What one line of a JSON progress stream (pull, push, build) said. */
struct docker_progress {
	char *error;   /* errorDetail.message or error: the stream failed */
	char *aux_id;  /* aux.ID: the image a build made */
};
/* Parse one line (no newline needed) of a progress stream, print its
 * human part to out (NULL: nowhere), and fill p, whose members the caller
 * frees; members already set are kept.  -1 when the line is not a JSON
 * object (p untouched). */
int docker_progress_line(const char *line, size_t len, FILE *out,
                         struct docker_progress *p);

#endif
