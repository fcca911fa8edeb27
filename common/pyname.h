/* SPDX-License-Identifier: Apache-2.0 */
/* pyname: Python package and extra names compared as pip compares them. */
#ifndef PBRX_PYNAME_H
#define PBRX_PYNAME_H

#include <stdbool.h>
#include <stddef.h>

/* A distribution or extra name normalised (PEP 503, PEP 685): lower case,
 * each run of '-', '_' and '.' one '-'.  Malloc'd. */
char *pyname_canonical(const char *s, size_t len);

/* Are a and b the same name once normalised? */
bool pyname_same(const char *a, const char *b);

#endif
