/* SPDX-License-Identifier: Apache-2.0 */
/* pystr: UTF-8 text as Python's str methods see it, for the files pip
 * reads with str.splitlines() and str.strip() (a wheel's RECORD and
 * entry_points.txt), so that pbrx cuts them where pip does. */
#ifndef PBRX_PYSTR_H
#define PBRX_PYSTR_H

#include <stdbool.h>
#include <stddef.h>

/* Is s[0..n) UTF-8 that Python's bytes.decode("utf-8") accepts (no
 * overlong forms, no surrogates, nothing above U+10FFFF)?  A NUL byte
 * counts as invalid too: no text pip reads from a wheel has one. */
bool pystr_utf8_valid(const char *s, size_t n);

/* The length in bytes of the character at s (n bytes left, valid
 * UTF-8) when str.isspace() is true of it, else 0. */
size_t pystr_space(const char *s, size_t n);

/* The length of the character at s when re's \w matches it: ASCII
 * letters, digits and '_', and every non-ASCII character that is not
 * white space (Python also refuses non-ASCII punctuation and symbols;
 * see pbrx-wheel-install(7)).  0 when not. */
size_t pystr_word(const char *s, size_t n);

/* The next line of str.splitlines() from text[0..n) at *pos (start at
 * 0): *line and *len (borrowed, without the line boundary); *pos moves
 * past it.  False when there are no more lines. */
bool pystr_next_line(const char *text, size_t n, size_t *pos, const char **line, size_t *len);

/* str.strip(): *s and *n trimmed of white space at both ends. */
void pystr_strip(const char **s, size_t *n);

/* posixpath.normpath(p): "." and empty components dropped, ".." taking
 * the one before (or kept at the front of a relative path).  Malloc'd. */
char *pystr_normpath(const char *p);

#endif
