/* SPDX-License-Identifier: Apache-2.0 */
/* cfg-extras: read a project's setup.cfg and add the "project" section
 * (name, version, console scripts, extras) to the document.
 * See cfg-extras(1) and pbrx-document(5). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "doc.h"
#include "msg.h"
#include "xalloc.h"

#ifndef PBRX_VERSION
#define PBRX_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fputs("usage: cfg-extras [-h] [--version] [DIR]\n", f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = ".";
	char *path;
	json_t *doc, *project;
	int ch;

	msg_init("cfg-extras");
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			puts("cfg-extras " PBRX_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		size_t n;
		dir = argv[optind];
		n = strlen(dir);
		while (n > 1 && dir[n - 1] == '/')
			n--;
		path = xasprintf("%.*s/setup.cfg", (int)n, dir);
	} else {
		path = xstrdup("setup.cfg");
	}

	doc = doc_read();
	project = cfg_read_project(dir, path);
	doc_set(doc, "project", project);
	doc_write(doc);

	json_decref(doc);
	free(path);
	return EXIT_OK;
}
