/* SPDX-License-Identifier: Apache-2.0 */
#include "base/msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *progname = "pbrx";
static int verbosity;
static void (*die_hook)(void);
static void (*sink)(const char *level, const char *line, size_t len);

void msg_init(const char *name) { progname = name; }
const char *msg_progname(void) { return progname; }
void msg_set_verbosity(int level) { verbosity = level; }
int msg_verbosity(void) { return verbosity; }
void msg_on_die(void (*hook)(void)) { die_hook = hook; }
void msg_set_sink(void (*fn)(const char *, const char *, size_t)) { sink = fn; }

/* One line, one write(2): stages run side by side on one stderr (the
 * driver's image-assemble --prepare beside wheel-build), and a line
 * written in pieces can be cut by the other's. */
static void vmsg(const char *level, const char *prefix, const char *fmt, va_list ap)
{
	char small[1024], *line = small;
	va_list again;
	int head, body;
	size_t len;

	va_copy(again, ap);
	head = snprintf(small, sizeof small, "%s: %s", progname, prefix);
	body = vsnprintf(NULL, 0, fmt, ap);
	if (head < 0 || body < 0) {
		va_end(again);
		return;
	}
	len = (size_t)head + (size_t)body + 1;
	if (len >= sizeof small) {
		/* Not xmalloc: this runs on the way to exit, out of memory too. */
		line = malloc(len + 1);
		if (!line) {
			va_end(again);
			return;
		}
		snprintf(line, len + 1, "%s: %s", progname, prefix);
	}
	vsnprintf(line + head, len + 1 - (size_t)head, fmt, again);
	va_end(again);
	line[len - 1] = '\n';
	if (sink) {
		sink(level, line, len - 1);
		if (line != small)
			free(line);
		return;
	}
	fflush(stderr);
	msg_write(line, len);
	if (line != small)
		free(line);
}

void msg_write(const char *s, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(STDERR_FILENO, s + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
}

void msg_die(int code, const char *fmt, ...)
{
	va_list ap;
	void (*hook)(void) = die_hook;

	va_start(ap, fmt);
	vmsg("error", "", fmt, ap);
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
	vmsg("warn", "warning: ", fmt, ap);
	va_end(ap);
}

void msg_info(const char *fmt, ...)
{
	va_list ap;
	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg("info", "", fmt, ap);
	va_end(ap);
}

void msg_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("say", "", fmt, ap);
	va_end(ap);
}

void msg_note(const char *fmt, ...)
{
	va_list ap;
	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg("note", "", fmt, ap);
	va_end(ap);
}
