/* SPDX-License-Identifier: Apache-2.0 */
/* spawn: run a program, argv only (never a shell), and wait for it:
 * posix_spawn, pipes polled, waitpid.  The one way pbrx runs a helper
 * (buildah, docker-credential-NAME, git).
 *
 * The child gets the default disposition of every signal and an empty
 * signal mask: the stages ignore SIGPIPE and block the signals they
 * wait for, which a child must not inherit.  A caller that gives stdin
 * data ignores SIGPIPE (the child may exit without reading it all). */
#ifndef PBRX_SPAWN_H
#define PBRX_SPAWN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

struct pbrx_error;

/* Where the child's stdout or stderr goes. */
enum spawn_out {
	SPAWN_NULL,     /* /dev/null (the zero value) */
	SPAWN_INHERIT,  /* ours */
	SPAWN_CAPTURE,  /* into the result's out or err buffer */
	SPAWN_STREAM,   /* to spec->output as it comes */
	SPAWN_MERGE,    /* stderr only: where stdout goes, interleaved */
};

/* Called with each piece of a streamed output: stream 1 or 2, in the
 * order read (pieces, not lines). */
typedef void spawn_output_fn(int stream, const char *data, size_t len, void *arg);

/* What to run; zero members are defaults. */
struct spawn_spec {
	char *const *argv;        /* required; argv[0] looked up on PATH */
	char *const *env;         /* NULL: ours */
	const char *cwd;          /* NULL: ours */
	const char *in;           /* stdin's whole content; NULL: /dev/null */
	size_t in_len;
	enum spawn_out out, err;
	spawn_output_fn *output;  /* for SPAWN_STREAM */
	void *arg;                /* passed to output */
	size_t out_max;           /* captured stdout kept at most (0: all);
	                           * the rest is read and dropped */
	bool own_group;           /* the child leads a process group of its
	                           * own; a cancel signals the whole group */
	const atomic_bool *cancel; /* looked at four times a second: once
	                           * true, the child (group) gets SIGTERM */
};

/* What the child left: captured output, NUL-terminated when anything was
 * captured (see buf.h).  Zero-initialise, or preallocate out (a secret
 * never moves when out_max < out.cap); spawn_result_free releases. */
struct spawn_result {
	struct buf out, err;
	int signal;               /* the signal that killed it, else 0 */
	bool cancelled;           /* spec->cancel ended it */
};

/* Run spec and wait for it.  Its exit status (0-255); -1 with *e when
 * it could not run ("PROG: not found on PATH", "PROG: <errno text>"),
 * was cancelled ("cancelled"), or died of a signal ("PROG: died of
 * <signal>", r->signal set).  r's buffers are filled either way. */
int spawn_run(const struct spawn_spec *spec, struct spawn_result *r, struct pbrx_error *e);
/* Free r's buffers; r is zero again. */
void spawn_result_free(struct spawn_result *r);

#endif
