/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "engine/engine.h"
#include "exec/reaper.h"
#include "exec/rollback.h"

static struct {
	pthread_t thread;
	pthread_cond_t cond;
	struct engine *d;
	char **queue;
	size_t n, cap;
	bool started, end;
	char *failure;  /* the first removal that failed, for reaper_finish() */
} reaper;

static void *reaper_thread(void *arg)
{
	(void)arg;
	cleanup_lock();
	for (;;) {
		char *cid;

		/* A cleanup under way holds the lock until the process ends:
		 * this never wakes up to a list it removed. */
		while (!reaper.n && !reaper.end)
			cleanup_wait(&reaper.cond);
		if (!reaper.n)
			break;
		cid = reaper.queue[0];
		memmove(reaper.queue, reaper.queue + 1, --reaper.n * sizeof *reaper.queue);
		if (engine_container_remove(reaper.d, cid) < 0) {
			if (!reaper.failure)
				reaper.failure = xasprintf("remove container %.12s: %s", cid,
				                           engine_error(reaper.d));
		} else {
			rollback_drop_container(cid);
			msg_note("removed container %.12s", cid);
		}
		free(cid);
	}
	cleanup_unlock();
	return NULL;
}

int reaper_add(const struct engine *e, const char *cid, struct pbrx_error *err)
{
	if (!reaper.started) {
		reaper.d = engine_dup(e);
		pthread_cond_init(&reaper.cond, NULL);
		if (pthread_create(&reaper.thread, NULL, reaper_thread, NULL) != 0)
			return error_set(err, EXIT_FAIL, "cannot start a thread");
		reaper.started = true;
	}
	xgrow((void **)&reaper.queue, &reaper.cap, reaper.n + 1, sizeof *reaper.queue);
	reaper.queue[reaper.n++] = xstrdup(cid);
	pthread_cond_signal(&reaper.cond);
	return 0;
}

int reaper_finish(struct pbrx_error *err)
{
	if (!reaper.started)
		return 0;
	cleanup_lock();
	reaper.end = true;
	pthread_cond_signal(&reaper.cond);
	cleanup_unlock();
	pthread_join(reaper.thread, NULL);
	reaper.started = false;
	engine_free(reaper.d);
	free(reaper.queue);
	reaper.queue = NULL;
	reaper.n = reaper.cap = 0;
	if (reaper.failure) {
		error_set(err, EXIT_FAIL, "%s", reaper.failure);
		free(reaper.failure);
		reaper.failure = NULL;
		return -1;
	}
	return 0;
}
