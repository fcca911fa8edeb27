/* SPDX-License-Identifier: Apache-2.0 */
/* stage: what every tool's main() shares: the options all of them take
 * (-h/--help, -q, -v, --version) and what misuse does. */
#ifndef PBRX_STAGE_H
#define PBRX_STAGE_H

#include <getopt.h>
#include <stdio.h>

/* The long options every tool has; end a tool's own struct option list
 * with STAGE_LONGOPTS and {NULL, 0, NULL, 0}. */
#define STAGE_LONGOPTS \
	{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}
/* The short options every tool has, for getopt_long's optstring. */
#define STAGE_SHORTOPTS "hqv"

/* The start of every main: messages say name (msg_init), and so do
 * getopt's, which take argv[0] as it was typed ("./build/bin/NAME"). */
void stage_init(const char *name, char **argv);

/* Handle ch when it is a shared option: -q and -v set the verbosity,
 * -h prints usage on stdout and exits 0, --version prints "PROG VERSION"
 * and exits 0, '?' or ':' (getopt's misuse) prints usage on stderr and
 * exits 2.  Returns 1 when ch was handled, 0 when it is the tool's own. */
int stage_option(int ch, void (*usage)(FILE *));
/* Print usage on stderr and exit 2 (misuse: an operand too many, an
 * option the tool rejects). */
_Noreturn void stage_usage_error(void (*usage)(FILE *));

#endif
