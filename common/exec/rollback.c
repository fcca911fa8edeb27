/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/msg.h"
#include "engine/engine.h"
#include "exec/rollback.h"

static struct {
	struct engine *d;
	struct strv containers;
	struct strv refs;
	struct strv paths;
	/* rollback_building()'s engine, under its own mutex: the build's
	 * thread holds it to set it and clear it (before that engine is
	 * freed). */
	pthread_mutex_t building_lock;
	struct engine *building;
} rb = {.building_lock = PTHREAD_MUTEX_INITIALIZER};

/* Remove the last copy of s from v (base/buf has no removal). */
static void list_del(struct strv *v, const char *s)
{
	for (size_t i = v->n; i-- > 0;) {
		if (strcmp(v->v[i], s) == 0) {
			free(v->v[i]);
			/* The NULL after the last goes down too. */
			memmove(v->v + i, v->v + i + 1, (v->n - i) * sizeof *v->v);
			v->n--;
			return;
		}
	}
}

const char *rollback_add_container(const char *cid)
{
	strv_add(&rb.containers, cid);
	return rb.containers.v[rb.containers.n - 1];
}

void rollback_drop_container(const char *cid) { list_del(&rb.containers, cid); }
void rollback_add_image(const char *ref) { strv_add(&rb.refs, ref); }
void rollback_drop_image(const char *ref) { list_del(&rb.refs, ref); }

void rollback_add_path(const char *path) { strv_add(&rb.paths, path); }
void rollback_drop_path(const char *path) { list_del(&rb.paths, path); }

void rollback_building(struct engine *e)
{
	pthread_mutex_lock(&rb.building_lock);
	rb.building = e;
	/* A signal's interrupted() came before this: cancel it ourselves. */
	if (e && cleanup_interrupted())
		engine_cancel(e);
	pthread_mutex_unlock(&rb.building_lock);
}

/* The cleanup's remove(): every container, then every temporary tag,
 * newest first (a script image is a child of the base).  Removing a tag
 * never removes an image that has another tag, so the previous images
 * keep theirs. */
static void rb_remove(void)
{
	for (size_t i = rb.containers.n; i-- > 0;) {
		if (engine_container_remove(rb.d, rb.containers.v[i]) < 0)
			msg_warn("%s", engine_error(rb.d));
		else
			msg_note("removed container %.12s", rb.containers.v[i]);
	}
	for (size_t i = rb.refs.n; i-- > 0;) {
		int r, tries = 0;

		/* A cancelled Dockerfile build's RUN container, which uses
		 * the image, is removed by the daemon after the build's
		 * connection closed: give it ten seconds. */
		while ((r = engine_image_remove(rb.d, rb.refs.v[i], false)) < 0 &&
		       cleanup_interrupted() && !engine_missing(rb.d) && tries++ < 100)
			nanosleep(&(struct timespec){0, 100000000}, NULL);
		if (r < 0)
			msg_warn("%s", engine_error(rb.d));
		else
			msg_note("removed temporary image %s", rb.refs.v[i]);
	}
	for (size_t i = rb.paths.n; i-- > 0;)
		fs_remove_tree(rb.paths.v[i]);
}

/* The cleanup's interrupted(): say so, and cancel the request in flight
 * that holds the lock. */
static void rb_interrupted(int sig)
{
	fprintf(stderr, "%s: %s: removing containers and temporary images\n", msg_progname(),
	        strsignal(sig));
	pthread_mutex_lock(&rb.building_lock);
	if (rb.building)
		engine_cancel(rb.building);
	pthread_mutex_unlock(&rb.building_lock);
}

int rollback_start(const struct engine *e, struct pbrx_error *err)
{
	rb.d = engine_dup(e);
	return cleanup_start(rb_remove, rb_interrupted, err);
}

void rollback_free(void)
{
	strv_free(&rb.containers);
	strv_free(&rb.refs);
	strv_free(&rb.paths);
	engine_free(rb.d);
	rb.d = NULL;
}
