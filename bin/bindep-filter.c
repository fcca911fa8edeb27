/* SPDX-License-Identifier: Apache-2.0 */
/* bindep-filter: select distro packages from a bindep file exactly as
 * OpenStack's bindep does, for the platform of an os-release file, a base
 * image or the host, and add them to the document as named selections. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/stage.h"
#include "distro/platform.h"
#include "distro/select.h"
#include "doc/doc.h"

/* The usage line; on stdout (-h) the whole help. */
static void usage(FILE *out)
{
	fputs("usage: bindep-filter [-f FILE|-] [--os-release FILE] [--platform NAME]... "
	      "[--brief] [PROFILE...]\n", out);
	if (out != stdout)
		return;
	fputs("\nSelect packages from a bindep file as bindep does, and add them to the\n"
	      "document read on stdin as the section \"bindep\".\n\n"
	      "  -f, --file FILE      the bindep file (default: the project's or ./bindep.txt,\n"
	      "                       then ./other-requirements.txt); - reads it from stdin\n"
	      "      --os-release FILE  platform atoms from this os-release file\n"
	      "      --platform NAME  add the atom platform:NAME (repeatable)\n"
	      "  -b, --brief          print the selected package names, one per line\n"
	      "  -h, --help           show this help\n"
	      "      --version        show the version\n\n"
	      "PROFILE selects a profile (none means \"default\"); NAME=P1[,P2...] makes a\n"
	      "named selection.  Without PROFILE the document gets the selections\n"
	      "\"runtime\" (profile default) and \"compile\" (profile compile).\n", out);
}

struct options {
	const char *file;
	struct platform_choice platform;
	bool brief;
	char **args;
	int nargs;
};

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"file", required_argument, NULL, 'f'},
		PLATFORM_LONGOPTS,
		{"brief", no_argument, NULL, 'b'},
		STAGE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:b" STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 'b': o->brief = true; break;
		default:
			if (!platform_option(c, optarg, &o->platform) && !stage_option(c, usage))
				stage_usage_error(usage);
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct select_list sels;
	struct select_request r;
	struct strv names = {0};
	struct pbrx_error e = {0};
	json_t *doc, *section;

	stage_init("bindep-filter", argv);
	parse_options(argc, argv, &o);
	if (select_from_args(o.args, o.nargs, o.brief, &sels, &e) < 0)
		error_exit(&e);

	/* With -f - the bindep file is on stdin and there is no document. */
	doc = o.file && strcmp(o.file, "-") == 0 ? json_object() : doc_read(&e);
	if (!doc)
		error_exit(&e);
	r = (struct select_request){o.file, &o.platform, &sels, o.brief};
	if (select_packages(doc, &r, &section, &names, &e) < 0)
		error_exit(&e);

	if (o.brief) {
		/* The names only, one per line: no document. */
		for (size_t k = 0; k < names.n; k++) {
			fputs(names.v[k], stdout);
			putchar('\n');
		}
		if (fflush(stdout) == EOF || ferror(stdout))
			msg_die(EXIT_FAIL, "stdout: write error: %s", strerror(errno));
	} else {
		doc_set(doc, "bindep", section);
		if (doc_write(doc, &e) < 0)
			error_exit(&e);
	}

	json_decref(doc);
	strv_free(&names);
	select_list_free(&sels);
	platform_choice_free(&o.platform);
	return EXIT_OK;
}
