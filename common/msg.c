/* SPDX-License-Identifier: Apache-2.0 */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *progname = "pbrx";
static int verbosity;
static void (*die_hook)(void);

void msg_init(const char *name) { progname = name; }
const char *msg_progname(void) { return progname; }
void msg_set_verbosity(int level) { verbosity = level; }
int msg_verbosity(void) { return verbosity; }
void msg_on_die(void (*hook)(void)) { die_hook = hook; }

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", progname, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void msg_die(int code, const char *fmt, ...)
{
	va_list ap;
	void (*hook)(void) = die_hook;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	/* Clear first: a hook that dies itself must not recurse. */
	die_hook = NULL;
	if (hook)
		hook();
	exit(code);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void msg_info(const char *fmt, ...)
{
	va_list ap;
	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void msg_note(const char *fmt, ...)
{
	va_list ap;
	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}
