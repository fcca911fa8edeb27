/* SPDX-License-Identifier: Apache-2.0 */
/* reaper: committed containers removed in the background.
 *
 * Removing a container whose layer holds the packages takes as long as a
 * step, so a thread of its own does it, on a connection of its own,
 * while the stage goes on.  The container stays in the rollback list
 * (exec/rollback.h) until it is gone, and the thread removes it holding
 * the cleanup lock, so an interrupt either sees it removed or removes it
 * itself. */
#ifndef PBRX_REAPER_H
#define PBRX_REAPER_H

struct engine;
struct pbrx_error;

/* Have container cid removed (on a connection like e's, made once).
 * With the cleanup lock held.  0, or -1 with *err (EXIT_FAIL) when the
 * thread cannot start. */
int reaper_add(const struct engine *e, const char *cid, struct pbrx_error *err);
/* Wait until every container handed to reaper_add() is removed: 0, or -1
 * with *err (EXIT_FAIL, the first removal that failed). */
int reaper_finish(struct pbrx_error *err);

#endif
