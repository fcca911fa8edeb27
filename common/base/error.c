/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"

static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		msg_die(EXIT_FAIL, "out of memory");
	return s;
}

int error_set(struct pbrx_error *e, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(e->msg);
	e->msg = vformat(fmt, ap);
	e->status = status;
	va_end(ap);
	return -1;
}

int error_wrap(struct pbrx_error *e, const char *fmt, ...)
{
	va_list ap;
	char *prefix, *msg;

	va_start(ap, fmt);
	prefix = vformat(fmt, ap);
	va_end(ap);
	msg = xconcat(prefix, ": ", e->msg ? e->msg : "failed", (char *)NULL);
	free(prefix);
	free(e->msg);
	e->msg = msg;
	return -1;
}

void error_free(struct pbrx_error *e)
{
	free(e->msg);
	e->msg = NULL;
	e->status = 0;
}

noreturn void error_exit(struct pbrx_error *e)
{
	int status = e->status ? e->status : EXIT_FAIL;
	char *msg = e->msg;

	e->msg = NULL;
	/* msg_die runs the cleanup hook, which may report more: the message
	 * is ours by now. */
	msg_die(status, "%s", msg ? msg : "failed");
}
