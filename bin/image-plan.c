/* SPDX-License-Identifier: Apache-2.0 */
/* image-plan: from the "project" and "bindep" sections, plan every
 * container step and every image, and add the "plan" section.  Pure: no
 * engine, no network; the same input gives a byte-identical plan.
 * See image-plan(1) and pbrx-document(5); the planning is
 * planner/plan.h's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/stage.h"
#include "base/xalloc.h"
#include "distro/pkgmgr.h"
#include "distro/platform.h"
#include "doc/doc.h"
#include "engine/imageref.h"
#include "planner/plan.h"

static void usage(FILE *f)
{
	fputs("usage: image-plan [-hqv] [--base-image IMAGE] [--prefix ORG] [--tag TAG]\n"
	      "                  [--mirror URL] [--package-manager NAME]\n"
	      "                  [--runtime-packages MODE]\n"
	      "                  [--os-release FILE] [--platform NAME ...] [--version]\n", f);
}

/* The options into *o. */
static void parse_options(int argc, char **argv, struct planner_options *o)
{
	static const struct option longopts[] = {
		{"base-image", required_argument, NULL, 'B'},
		{"prefix", required_argument, NULL, 'P'},
		{"tag", required_argument, NULL, 'T'},
		{"mirror", required_argument, NULL, 'M'},
		{"package-manager", required_argument, NULL, 'K'},
		{"runtime-packages", required_argument, NULL, 'R'},
		PLATFORM_LONGOPTS,
		STAGE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int ch;

	o->tag = "latest";
	while ((ch = getopt_long(argc, argv, STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'B': o->base_image = optarg; break;
		case 'P': o->prefix = optarg; break;
		case 'T': o->tag = optarg; break;
		case 'M': o->mirror = optarg; break;
		case 'K': o->pm = optarg; break;
		case 'R':
			if (strcmp(optarg, "auto") && strcmp(optarg, "bindep"))
				msg_die(EXIT_USAGE, "--runtime-packages '%s': expected auto or bindep",
				        optarg);
			o->runtime_auto = strcmp(optarg, "auto") == 0;
			break;
		default:
			if (!platform_option(ch, optarg, &o->platform) && !stage_option(ch, usage))
				stage_usage_error(usage);
		}
	}
	if (optind != argc)
		stage_usage_error(usage);
	if (o->base_image && !imageref_full(o->base_image))
		msg_die(EXIT_USAGE, "--base-image '%s': not a valid image reference", o->base_image);
	if (o->prefix && !imageref_name(o->prefix))
		msg_die(EXIT_USAGE, "--prefix '%s': not a valid repository prefix (lower case "
			"letters and digits separated by '.', '_', '__', '-' or '/')", o->prefix);
	if (!imageref_tag(o->tag))
		msg_die(EXIT_USAGE, "--tag '%s': not a valid tag (up to 128 letters, digits, '_', "
			"'.' and '-', not starting with '.' or '-')", o->tag);
	if (o->mirror && !planner_mirror_ok(o->mirror))
		msg_die(EXIT_USAGE, "--mirror '%s': expected http(s)://HOST[:PORT][/PATH] "
			"with letters, digits and any of /._~%%+=,@:-", o->mirror);
	if (o->pm && !pkgmgr_known(o->pm))
		msg_die(EXIT_USAGE, "--package-manager '%s': expected apk, apt-get, dnf, "
			"microdnf, yum, zypper, pacman or emerge", o->pm);
}

int main(int argc, char **argv)
{
	struct planner_options o = {0};
	struct pbrx_error e = {0};
	char *mirror = NULL;
	json_t *doc, *plan;

	stage_init("image-plan", argv);
	parse_options(argc, argv, &o);
	if (o.mirror) {
		/* Paths are appended to it: one form, without the final '/'. */
		size_t n = strlen(o.mirror);
		while (n > 0 && o.mirror[n - 1] == '/')
			n--;
		o.mirror = mirror = xstrndup(o.mirror, n);
	}

	if (!(doc = doc_read(&e)) || !(plan = planner_plan(doc, &o, &e)))
		error_exit(&e);
	doc_set(doc, "plan", plan);
	if (doc_write(doc, &e) < 0)
		error_exit(&e);

	json_decref(doc);
	platform_choice_free(&o.platform);
	free(mirror);
	return EXIT_OK;
}
