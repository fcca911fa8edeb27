/* SPDX-License-Identifier: Apache-2.0 */
/* wheel-install: the test driver of py/install; run by
 * tests/wheel-install.bats.
 * usage: wheel-install --probe | --compile-program
 *        wheel-install --wrappers PYTHON VERSION ENTRY_POINTS OUTDIR
 *        wheel-install [-b ROOT] SCHEME_JSON PYC_ROOT EPOCH OUT_TAR [-r] WHEEL...
 * --probe and --compile-program print scheme_probe and
 * install_compile_program.  --wrappers writes into OUTDIR the console and
 * GUI scripts py/scripts makes for the file ENTRY_POINTS, for interpreter
 * PYTHON of version VERSION (X.Y), in order, a later one replacing an
 * earlier one of the same name.  Otherwise: install each WHEEL into one layer
 * (REQUESTED for a WHEEL after -r), per the scheme in SCHEME_JSON (the
 * probe's output), with the .pyc files install_compile_program wrote
 * under PYC_ROOT ("-": no bytecode), and write it to OUT_TAR with mtimes
 * EPOCH.  ROOT is the image's root file system below the layer (its
 * directories and symlinks); without it, the image has nothing but "/".
 * A failure exits with its message and status. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "image/layer.h"
#include "py/install.h"
#include "py/scripts.h"

static const char usage_text[] =
	"usage: wheel-install --probe | --compile-program\n"
	"       wheel-install --wrappers PYTHON VERSION ENTRY_POINTS OUTDIR\n"
	"       wheel-install [-b ROOT] SCHEME_JSON PYC_ROOT EPOCH OUT_TAR [-r] WHEEL...\n";

/* What ROOT has at path (lstat). */
static enum install_base_kind root_lookup(const char *path, char **target, void *arg)
{
	char *host = xasprintf("%s%s", (const char *)arg, path);
	struct stat st;
	enum install_base_kind kind = INSTALL_BASE_NONE;

	if (lstat(host, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			kind = INSTALL_BASE_DIR;
		} else if (S_ISLNK(st.st_mode)) {
			char buf[PATH_MAX];
			ssize_t n = readlink(host, buf, sizeof buf - 1);

			if (n >= 0) {
				buf[n] = '\0';
				*target = xstrdup(buf);
				kind = INSTALL_BASE_SYMLINK;
			} else {
				kind = INSTALL_BASE_OTHER;
			}
		} else {
			kind = INSTALL_BASE_OTHER;
		}
	}
	free(host);
	return kind;
}

static int wrappers(char **argv)
{
	struct pbrx_error err = {0};
	struct scripts_eps eps = {0};
	struct scripts_wrappers w = {0};
	size_t len;
	char *text = fs_read(argv[2], &len, &err);

	if (!text || scripts_read_eps(text, len, argv[2], &eps, &err) < 0 ||
	    scripts_wrappers(&eps, argv[0], argv[1], &w, &err) < 0)
		error_exit(&err);
	for (size_t i = 0; i < w.n; i++) {
		char *path = xasprintf("%s/%s", argv[3], w.v[i].name);
		FILE *f = fopen(path, "wb");

		if (!f || fwrite(w.v[i].data, 1, w.v[i].len, f) != w.v[i].len || fclose(f))
			msg_die(EXIT_FAIL, "%s: %s", path, strerror(errno));
		free(path);
	}
	scripts_wrappers_free(&w);
	scripts_eps_free(&eps);
	free(text);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct pbrx_error err = {0};
	struct scheme scheme;
	struct install_options opt = {0};
	struct layer_result res;
	struct layer *l;
	const char *root = NULL, *pyc_root;
	json_error_t jerr;
	json_t *js;
	char *end;
	long long epoch;
	int i = 1;

	msg_init("wheel-install");
	if (argc == 2 && !strcmp(argv[1], "--probe")) {
		fputs(scheme_probe, stdout);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "--compile-program")) {
		fputs(install_compile_program, stdout);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	if (argc == 6 && !strcmp(argv[1], "--wrappers"))
		return wrappers(argv + 2);
	if (argc > 2 && !strcmp(argv[1], "-b")) {
		root = argv[2];
		i = 3;
	}
	if (argc - i < 5) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!(js = json_load_file(argv[i], 0, &jerr)))
		msg_die(EXIT_USAGE, "%s:%d: %s", argv[i], jerr.line, jerr.text);
	if (scheme_read(js, &scheme, &err) < 0)
		error_exit(&err);
	json_decref(js);
	pyc_root = strcmp(argv[i + 1], "-") ? argv[i + 1] : NULL;
	errno = 0;
	epoch = strtoll(argv[i + 2], &end, 10);
	if (errno || *end || end == argv[i + 2])
		msg_die(EXIT_USAGE, "%s: not an epoch", argv[i + 2]);
	l = layer_new(epoch);
	opt.base_lookup = root ? root_lookup : NULL;
	opt.base_arg = (void *)root;
	for (int w = i + 4; w < argc; w++) {
		const char *base;
		char *pyc = NULL;

		opt.requested = !strcmp(argv[w], "-r");
		if (opt.requested && ++w == argc) {
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
		base = strrchr(argv[w], '/');
		if (pyc_root)
			pyc = xasprintf("%s/%s", pyc_root, base ? base + 1 : argv[w]);
		opt.pyc_dir = pyc;
		if (install_wheel(l, argv[w], &scheme, &opt, &err) < 0)
			error_exit(&err);
		free(pyc);
	}
	if (layer_write(l, argv[i + 3], NULL, &res, &err) < 0)
		error_exit(&err);
	printf("%s\n", res.diff_id);
	layer_free(l);
	scheme_free(&scheme);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}
