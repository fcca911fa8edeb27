/* SPDX-License-Identifier: Apache-2.0 */
/* cleanup: the one policy of a stage that makes what must not outlive a
 * failure (containers, temporary images, a temporary directory).
 *
 * cleanup_start() blocks SIGINT, SIGTERM and SIGHUP in the calling thread
 * (and so in every thread made after it: call it before making any) and
 * starts one thread that waits for them, so nothing runs in a signal
 * handler.  The stage's remove() then runs exactly once, with the cleanup
 * lock held, and the lock is never given back (the process is ending):
 *   - on a signal, in that thread: interrupted(sig) first, without the
 *     lock (say so; cancel a request that holds the lock for minutes),
 *     then remove(); then the process dies of the signal;
 *   - on msg_die (and so error_exit) in any thread, in that thread, after
 *     its message: cleanup_start() installs msg_on_die's hook, which the
 *     stage must leave alone;
 *   - on cleanup_now().
 * The lock is recursive.  A stage holds it across each request that
 * makes something remove() must see (create, commit, tag) and while it
 * changes the lists remove() reads, so a cleanup never misses an object
 * that exists and never sees a list half changed. */
#ifndef PBRX_CLEANUP_H
#define PBRX_CLEANUP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdnoreturn.h>

struct pbrx_error;

/* Install the policy: remove (required) and interrupted (NULL: none).
 * 0, or -1 with *err (EXIT_FAIL) when the thread cannot start; then
 * nothing is installed and the signals are as they were. */
int cleanup_start(void (*remove)(void), void (*interrupted)(int sig), struct pbrx_error *err);
/* Take and give back the cleanup lock (recursive; valid before
 * cleanup_start too). */
void cleanup_lock(void);
void cleanup_unlock(void);
/* pthread_cond_wait() on cond with the cleanup lock, held exactly once by
 * the caller: for a worker thread that waits for work. */
void cleanup_wait(pthread_cond_t *cond);
/* Before reporting a failure that may be the cleanup's own doing (a
 * request failing as its container is removed): take the lock for good.
 * While a cleanup is under way in another thread this never returns (its
 * end ends the process), so only the first failure is reported;
 * otherwise the caller's msg_die runs remove() in this thread, and no
 * other thread makes anything afterwards that nothing would remove. */
void cleanup_hold(void);
/* Run remove() now, unless it ran or cleanup_end() was called: for a
 * failure the caller reports without msg_die.  The lock stays held: the
 * caller is to end the process. */
void cleanup_now(void);
/* The job is done and what it made is its result: from here on remove()
 * never runs (msg_die only exits); a signal still ends the process. */
void cleanup_end(void);
/* Has a signal come?  Then failures are its doing. */
bool cleanup_interrupted(void);
/* A signal came while this thread held the lock across a request that
 * failed because of it (interrupted() cancelled it): give the lock back
 * (all of it) and wait for the signal's cleanup to end the process. */
noreturn void cleanup_yield(void);
/* In a child made by fork(): drop the policy.  remove() never runs in it
 * (the parent owns what was made), msg_die only exits, and the three
 * signals are unblocked with their default action, so the child dies of
 * them as any process. */
void cleanup_forked(void);

#endif
