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

/* A valid PEP 508 name (projects, extras): ASCII letters, digits, '.',
 * '_' and '-', beginning and ending with a letter or digit. */
bool pyname_valid(const char *s);

/* A console script name that is safe as a file name (/usr/local/bin/NAME),
 * an image name and an argv element: the entry point spec's [\w.-]+,
 * ASCII, not starting with '-' (an option) or '.' (hidden, ".."). */
bool pyname_script_valid(const char *s);

#endif
