/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/msg.h"

static struct {
	pthread_mutex_t lock;
	void (*remove)(void);
	void (*interrupted)(int sig);
	atomic_bool done;      /* remove() ran, or must not */
	atomic_bool signalled;
	sigset_t set;          /* SIGINT, SIGTERM, SIGHUP */
} cl = {.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP};

/* How many times this thread holds cl.lock, for cleanup_yield(). */
static _Thread_local unsigned held;

void cleanup_lock(void)
{
	pthread_mutex_lock(&cl.lock);
	held++;
}

void cleanup_unlock(void)
{
	held--;
	pthread_mutex_unlock(&cl.lock);
}

void cleanup_wait(pthread_cond_t *cond)
{
	pthread_cond_wait(cond, &cl.lock);
}

void cleanup_hold(void)
{
	cleanup_lock();
}

bool cleanup_interrupted(void)
{
	return atomic_load(&cl.signalled);
}

/* remove() once; the caller holds the lock, for good. */
static void run_once(void)
{
	if (!atomic_exchange(&cl.done, true) && cl.remove)
		cl.remove();
}

void cleanup_now(void)
{
	cleanup_lock();
	run_once();
}

/* msg_die's hook, in whichever thread failed. */
static void on_die(void)
{
	cleanup_now();
}

void cleanup_end(void)
{
	cleanup_lock();
	atomic_store(&cl.done, true);
	msg_on_die(NULL);
	cleanup_unlock();
}

void cleanup_yield(void)
{
	while (held)
		cleanup_unlock();
	/* Every signal is blocked in this thread: pause() never returns, the
	 * signal thread ends the process. */
	for (;;)
		pause();
}

void cleanup_forked(void)
{
	atomic_store(&cl.done, true);
	msg_on_die(NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &cl.set, NULL);
}

static void *signal_thread(void *arg)
{
	int sig = 0;

	(void)arg;
	if (sigwait(&cl.set, &sig) != 0)
		return NULL;
	atomic_store(&cl.signalled, true);
	/* Without the lock: a request that holds it (a build of minutes)
	 * must be cancelled, not waited for. */
	if (!atomic_load(&cl.done) && cl.interrupted)
		cl.interrupted(sig);
	/* Held until the end: a thread whose request fails as its container
	 * goes must not exit(1) first (cleanup_hold). */
	cleanup_lock();
	run_once();
	signal(sig, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &cl.set, NULL);
	raise(sig);
	_exit(128 + sig);
}

int cleanup_start(void (*remove)(void), void (*interrupted)(int sig), struct pbrx_error *err)
{
	sigset_t old;
	pthread_t t;
	int rc;

	cl.remove = remove;
	cl.interrupted = interrupted;
	sigemptyset(&cl.set);
	sigaddset(&cl.set, SIGINT);
	sigaddset(&cl.set, SIGTERM);
	sigaddset(&cl.set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &cl.set, &old);
	rc = pthread_create(&t, NULL, signal_thread, NULL);
	if (rc != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return error_set(err, EXIT_FAIL, "cannot start the signal thread: %s", strerror(rc));
	}
	pthread_detach(t);
	msg_on_die(on_die);
	return 0;
}
