/* SPDX-License-Identifier: Apache-2.0 */
/* rollback: what a run of the plan's steps made that must go when it
 * fails or is interrupted (the containers, the temporary image tags and a half-written output),
 * removed by base/cleanup's policy.
 *
 * The threads that build change the lists with the cleanup lock held
 * (base/cleanup.h), and hold it across each create, commit, build and
 * tagging, so an interrupt never misses an object that exists: it waits
 * for the request in flight, then removes everything, on a connection of
 * its own.  Strings are copied; the lists own their copies. */
#ifndef PBRX_ROLLBACK_H
#define PBRX_ROLLBACK_H

struct engine;
struct pbrx_error;

/* Install the policy (cleanup_start()), removing on a connection like
 * e's: 0, or -1 with *err. */
int rollback_start(const struct engine *e, struct pbrx_error *err);
/* Add container cid; returns the list's copy (borrowed: valid until
 * rollback_drop_container()).  With the cleanup lock held. */
const char *rollback_add_container(const char *cid);
/* Forget container cid: it is gone.  With the cleanup lock held. */
void rollback_drop_container(const char *cid);
/* Add, forget image ref (a temporary tag).  With the cleanup lock held. */
void rollback_add_image(const char *ref);
void rollback_drop_image(const char *ref);
/* Add, forget path: a directory being written (an output layout's
 * temporary one), removed with what it holds.  With the cleanup lock
 * held. */
void rollback_add_path(const char *path);
void rollback_drop_path(const char *path);
/* The engine (NULL: none) of a request in flight that holds the cleanup
 * lock for minutes (a Dockerfile build): a signal cancels it rather than
 * wait for it; when one came already, it is cancelled now. */
void rollback_building(struct engine *e);
/* Free the lists and the connection, once remove() can't run any more
 * (cleanup_end()). */
void rollback_free(void);

#endif
