/* SPDX-License-Identifier: Apache-2.0 */
/* capture: the output of a command run quietly, kept so that it can be
 * shown when the command fails (or read, when it is the answer). */
#ifndef PBRX_CAPTURE_H
#define PBRX_CAPTURE_H

#include <stddef.h>

#include "base/buf.h"

struct capture {
	struct buf out;  /* what was kept; out.p owned, NUL-terminated once
	                  * anything was kept */
	size_t keep;     /* 0: everything; else at most keep bytes, the
	                  * last ones (a failure's cause is at the end) */
};

/* An engine_run_spec output callback (engine/run.h): add len bytes of data,
 * from either stream, to the capture arg points to. */
void capture_output(int stream, const char *data, size_t len, void *arg);
/* Forget what was kept, for the next command. */
void capture_reset(struct capture *c);
/* Write what was kept to stderr, ending with a newline. */
void capture_show(const struct capture *c);
/* Free what was kept; a zeroed capture is fine. */
void capture_free(struct capture *c);

#endif
