/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/capture.h"

void capture_output(int stream, const char *data, size_t len, void *arg)
{
	struct capture *c = arg;

	(void)stream;
	/* Keep the last half when the limit is passed: moving it costs
	 * once per half a limit of output, not once per write. */
	if (c->keep && c->out.len + len > c->keep && c->out.len > c->keep / 2) {
		memmove(c->out.p, c->out.p + c->out.len - c->keep / 2, c->keep / 2);
		c->out.len = c->keep / 2;
	}
	buf_add(&c->out, data, len);
}

void capture_reset(struct capture *c)
{
	c->out.len = 0;
	if (c->out.p)
		c->out.p[0] = '\0';
}

void capture_show(const struct capture *c)
{
	if (!c->out.len)
		return;
	/* Straight to the descriptor, after what stdio holds: the output
	 * may be large, and must come before the failure's message. */
	fflush(stderr);
	(void)!write(STDERR_FILENO, c->out.p, c->out.len);
	if (c->out.p[c->out.len - 1] != '\n')
		(void)!write(STDERR_FILENO, "\n", 1);
}

void capture_free(struct capture *c)
{
	buf_free(&c->out);
}
