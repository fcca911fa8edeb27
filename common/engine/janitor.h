/* SPDX-License-Identifier: Apache-2.0 */
/* janitor: the containers that runs of pbrx left behind when they died,
 * found by the owner token in their names (owner.h) and removed. */
#ifndef PBRX_JANITOR_H
#define PBRX_JANITOR_H

struct engine;

/* Remove the containers that runs of pbrx on this host left behind when
 * they died (owner_stale(): their process is gone), each said on stderr
 * whatever the verbosity.  Failures are warnings, and a container that
 * another run removed first is no failure.  Once per run, before its
 * first container: image-inspect does it and says so in .base.swept. */
void janitor_sweep(struct engine *e);

#endif
