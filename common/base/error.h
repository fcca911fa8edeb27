/* SPDX-License-Identifier: Apache-2.0 */
/* error: how library code reports a failure.  A function that can fail
 * takes a struct pbrx_error * last, fills it and returns -1 (or NULL);
 * it never prints and never exits.  The caller that knows what to do
 * with it (a main, mostly) prints it once, with error_exit(),
 * or passes it up.  Modelled on crun's libcrun_error_t:
 * an exit status and a message. */
#ifndef PBRX_ERROR_H
#define PBRX_ERROR_H

#include <stdnoreturn.h>

struct pbrx_error {
	int status; /* the exit status it calls for: EXIT_FAIL or EXIT_USAGE */
	char *msg;  /* one line, no program name, no newline; malloc'd */
};

/* Fill *e (which must be clear: a second error would hide the first) with
 * status and the formatted message.  Returns -1, so that a failing
 * function can end with "return error_set(e, ...);". */
int error_set(struct pbrx_error *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Put "prefix: " before the message of *e (set): the level that knows
 * more adds what it knows.  Returns -1. */
int error_wrap(struct pbrx_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Release the message and clear *e; a clear *e is fine. */
void error_free(struct pbrx_error *e);
/* Print "prog: message" (msg_die) and exit with e's status. */
noreturn void error_exit(struct pbrx_error *e);

#endif
