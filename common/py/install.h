/* SPDX-License-Identifier: Apache-2.0 */
/* install: wheels installed into a layer as pip 23.0.1 installs them
 * (binary distribution format, PEP 427 and PEP 491; pip's
 * operations/install/wheel.py), so that pbrx writes an image's Python
 * layer itself instead of running pip in a container.  The layer's
 * files are pip's byte for byte, modes included, but for what
 * pbrx-wheel-install(7) lists under DIFFERENCES FROM PIP; INSTALLER says
 * "pbrx" (pip reads RECORD, not INSTALLER, to uninstall or upgrade).
 *
 * The parts that need the image's own interpreter are Python programs
 * run there: scheme_probe (where pip would install) and
 * install_compile_program (the .pyc files pip would write).  The wheel
 * is read with libarchive, its zip central directory once more for the
 * member modes pip reads (libarchive's are normalised), hashes checked
 * with OpenSSL against RECORD. */
#ifndef PBRX_INSTALL_H
#define PBRX_INSTALL_H

#include <jansson.h>
#include <stdbool.h>

#include "py/scheme.h"

struct layer;
struct pbrx_error;

/* The Python program that compiles bytecode as pip does (py_compile,
 * the interpreter's optimisation level, CHECKED_HASH invalidation, so
 * the bytes don't depend on the clock; pip does the same when
 * SOURCE_DATE_EPOCH is set) for every .py file each wheel installs, with
 * the installed path as the source path the .pyc records, written to
 * OUTDIR/<wheel file name>/<installed absolute path of the .pyc>.
 * Args: SCHEME-JSON-FILE OUTDIR WHEEL...  It creates
 * OUTDIR/<wheel file name> even for a wheel with no .py file. */
extern const char install_compile_program[];

/* What the image below the layer has at an absolute path, its last
 * component not followed when a symlink. */
enum install_base_kind {
	INSTALL_BASE_NONE,
	INSTALL_BASE_DIR,
	INSTALL_BASE_SYMLINK, /* *target set (malloc'd) */
	INSTALL_BASE_OTHER,   /* a file or anything else that is no directory */
};

struct install_options {
	bool requested;       /* write REQUESTED: pip does for what its command line named */
	const char *pyc_dir;  /* OUTDIR/<wheel file name> of install_compile_program,
	                       * or NULL: no bytecode (pip --no-compile) */
	/* The image below the layer, so that files land where pip's would
	 * (through its symlinks, such as /usr/local/man -> share/man) and
	 * only the directories it lacks are added, 0755.  NULL: an image
	 * with nothing but "/". */
	enum install_base_kind (*base_lookup)(const char *path, char **target, void *arg);
	void *base_arg;
};

/* Install the wheel at wheel_path into layer l (layer_add_file and
 * layer_add_dir) per scheme s.  Nothing is added unless it all
 * succeeds.  Errors (EXIT_USAGE for a wheel pbrx refuses: no or more
 * than one .dist-info, a member outside its directory, a member that
 * RECORD lacks or whose hash or size differs, an entry point pip
 * refuses; EXIT_FAIL when it can't be read): "WHEEL: MEMBER: why". */
int install_wheel(struct layer *l, const char *wheel_path, const struct scheme *s,
                  const struct install_options *o, struct pbrx_error *e);

#endif
