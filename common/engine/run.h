/* SPDX-License-Identifier: Apache-2.0 */
/* run: what a command run in a working container is.  One definition
 * for the engine interface (engine_run) and the Docker client under it
 * (docker_exec), which takes the same fields to the same endpoint. */
#ifndef PBRX_ENGINE_RUN_H
#define PBRX_ENGINE_RUN_H

#include <stddef.h>

/* Where the output of a command goes: stream is 1 (stdout) or 2 (stderr). */
typedef void engine_output_fn(int stream, const char *data, size_t len, void *arg);

/* A command to run in a working container; NULL members are left out. */
struct engine_run_spec {
	char *const *argv;         /* required, NULL-terminated */
	char *const *env;          /* NULL-terminated "KEY=VALUE" list */
	const char *workdir;
	const char *user;
	engine_output_fn *output;  /* NULL: both streams to stderr, live */
	void *arg;                 /* passed to output */
};

#endif
