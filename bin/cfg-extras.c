/* SPDX-License-Identifier: Apache-2.0 */
/* cfg-extras: read a project's setup.cfg and add the "project" section
 * (name, version, console scripts, extras, and the facts of the tree:
 * git checkout, build time, Dockerfiles) to the document.  A project
 * with only pyproject.toml or setup.py gets a section without a name:
 * its built wheel declares the rest (no TOML parser here, see
 * cfg-extras(1)).  See pbrx-document(5). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "py/cfg.h"
#include "py/project.h"
#include "doc/doc.h"
#include "base/msg.h"
#include "base/stage.h"
#include "base/xalloc.h"

#ifndef PBRX_VERSION
#define PBRX_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fputs("usage: cfg-extras [-h] [--version] [DIR]\n", f);
}

/* Is dir/name a regular file? */
static bool has_file(const char *dir, size_t n, const char *name)
{
	char *path = xasprintf("%.*s/%s", (int)n, dir, name);
	struct stat st;
	bool r = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return r;
}

/* A project without setup.cfg: what pbrx knows before its wheel exists. */
static json_t *other_project(const char *dir, const char *source)
{
	char *absdir = realpath(dir, NULL);
	json_t *project;

	if (!absdir)
		msg_die(EXIT_USAGE, "%s: %s", dir, strerror(errno));
	project = json_pack("{s:n, s:s, s:s, s:[], s:{}}", "name", "dir", absdir, "source", source,
			    "scripts", "extras");
	free(absdir);
	return project;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = ".", *other;
	char *path;
	size_t n = 1;
	json_t *doc, *project;
	struct pbrx_error err = {0};
	int ch;

	stage_init("cfg-extras", argv);
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
		dir = argv[optind];
		n = strlen(dir);
		while (n > 1 && dir[n - 1] == '/')
			n--;
		path = xasprintf("%.*s/setup.cfg", (int)n, dir);
	} else {
		path = xstrdup("setup.cfg");
	}

	if (access(dir, F_OK) < 0)
		msg_die(EXIT_USAGE, "%s: %s", dir, strerror(errno));
	/* pyproject.toml first: it is what pip builds with when present. */
	other = has_file(dir, n, "pyproject.toml") ? "pyproject.toml" :
		has_file(dir, n, "setup.py") ? "setup.py" : NULL;
	if (!(doc = doc_read(&err)))
		error_exit(&err);
	if (!other && access(path, F_OK) < 0 && errno == ENOENT)
		msg_die(EXIT_USAGE, "%.*s: no setup.cfg, pyproject.toml or setup.py: not a Python "
			"project", (int)n, dir);
	if (other && access(path, F_OK) < 0 && errno == ENOENT)
		project = other_project(dir, other);
	else
		project = cfg_read_project(dir, path, other != NULL, &err);
	if (!project || project_facts(project, getenv("SOURCE_DATE_EPOCH"), &err) < 0)
		error_exit(&err);
	doc_set(doc, "project", project);
	if (doc_write(doc, &err) < 0)
		error_exit(&err);

	json_decref(doc);
	free(path);
	return EXIT_OK;
}
