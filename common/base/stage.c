/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "base/msg.h"
#include "base/progress.h"
#include "base/stage.h"

void stage_init(const char *name, char **argv)
{
	msg_init(name);
	argv[0] = (char *)name;
	progress_init();
}

int stage_option(int ch, void (*usage)(FILE *))
{
	switch (ch) {
	case 'q':
		msg_set_verbosity(-1);
		return 1;
	case 'v':
		msg_set_verbosity(msg_verbosity() + 1);
		return 1;
	case 'h':
		usage(stdout);
		exit(EXIT_OK);
	case 'V':
		printf("%s %s\n", msg_progname(), PBRX_VERSION);
		exit(EXIT_OK);
	case '?':
	case ':':
		stage_usage_error(usage);
	}
	return 0;
}

_Noreturn void stage_usage_error(void (*usage)(FILE *))
{
	usage(stderr);
	exit(EXIT_USAGE);
}
