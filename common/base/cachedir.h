/* SPDX-License-Identifier: Apache-2.0 */
/* cachedir: where pbrx keeps what it learnt or made once and can use
 * again ($XDG_CACHE_HOME/pbrx, default ~/.cache/pbrx): one directory per
 * kind (os-release, python, bytecode, layers).  Everything kept there is
 * named by the content that made it, so it is never stale, only unused;
 * the cache is an optimisation: a caller that gets no directory goes on
 * without one. */
#ifndef PBRX_CACHEDIR_H
#define PBRX_CACHEDIR_H

#include <stdbool.h>

/* The directory of kind (malloc'd), made (0700, with its parents) when
 * make is set; NULL when there is no home directory or, with make, it
 * can't be made. */
char *cachedir(const char *kind, bool make);

#endif
