/* SPDX-License-Identifier: Apache-2.0 */
/* quote: commands shown to people, as a shell would need them typed.
 * Nothing shown here is ever run by a shell: the commands themselves are
 * argv arrays, never a shell's command line. */
#ifndef PBRX_QUOTE_H
#define PBRX_QUOTE_H

/* argv (NULL-terminated) joined with spaces, each argument with a
 * character outside [A-Za-z0-9_./=:,+@%[]-] in single quotes (a quote
 * inside as '\'').  Malloc'd. */
char *quote_argv(char *const *argv);

#endif
