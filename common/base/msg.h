/* SPDX-License-Identifier: Apache-2.0 */
/* msg: the one place every tool reports to people (stderr) and exits. */
#ifndef PBRX_MSG_H
#define PBRX_MSG_H

#include <stddef.h>
#include <stdnoreturn.h>

/* Exit codes shared by every tool (see EXIT STATUS in each man page). */
enum {
	EXIT_OK = 0,    /* success */
	EXIT_FAIL = 1,  /* the job failed: a container step, the engine */
	EXIT_USAGE = 2, /* usage error or bad input */
};

/* Set the program name printed before every message; call first in main(). */
void msg_init(const char *progname);
/* The program name given to msg_init (borrowed). */
const char *msg_progname(void);
/* Verbosity: 0 normal, -1 quiet (-q), 1 and more verbose (-v). */
void msg_set_verbosity(int level);
int msg_verbosity(void);

/* Print "prog: message" and exit with code.  Runs the hook set with
 * msg_on_die first, so a tool can remove its containers and temp dirs. */
noreturn void msg_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "prog: warning: message". */
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "prog: message" for progress; silent with -q. */
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "prog: message" whatever the verbosity: what a run did beyond
 * its own job (removing what an earlier run left), which -q must not
 * hide. */
void msg_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "prog: message" only with -v. */
void msg_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Where every message goes instead of stderr once set (base/progress.h
 * makes them events): level is "error" (msg_die), "warn", "info",
 * "say" or "note"; line is the whole message without its line end.  The
 * verbosity was applied before. */
void msg_set_sink(void (*sink)(const char *level, const char *line, size_t len));

/* Write len bytes of s to stderr (fd 2, past stdio's buffer) in as few
 * write(2) calls as it takes: one for a line under the pipe buffer, so
 * that processes sharing stderr never cut each other's lines. */
void msg_write(const char *s, size_t len);

/* Called once by msg_die before exiting (cleanup); NULL removes it. */
void msg_on_die(void (*hook)(void));

#endif
