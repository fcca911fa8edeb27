/* SPDX-License-Identifier: Apache-2.0 */
/* scripts: what pip 23.0.1 writes into the scheme's scripts directory
 * besides a wheel's own files: the console and GUI wrappers of the
 * entry points (pip's get_console_script_specs and its vendored
 * distlib's ScriptMaker, byte for byte), and the "#!python" line of a
 * wheel's .data/scripts rewritten (pip's fix_script). */
#ifndef PBRX_SCRIPTS_H
#define PBRX_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

struct pbrx_error;

/* The console_scripts and gui_scripts of an entry_points.txt as pip
 * reads it (importlib.metadata): names in the order first seen, each
 * with the value of its last line.  Zero-initialise; scripts_eps_free
 * releases. */
struct scripts_eps {
	struct strv console_names, console_values;
	struct strv gui_names, gui_values;
};

/* Read entry_points.txt text[0..len) into eps.  Errors (EXIT_USAGE):
 * "NAME:LINE: why" for what pip fails on, NAME the member's. */
int scripts_read_eps(const char *text, size_t len, const char *name, struct scripts_eps *eps,
                     struct pbrx_error *e);
void scripts_eps_free(struct scripts_eps *eps);

/* Is file_name (a file of the wheel's .data/scripts) a wrapper that
 * setuptools made for one of the entry points (NAME, NAME.exe,
 * NAME-script.py, NAME.pya)?  pip installs none of those: it writes its
 * own. */
bool scripts_is_wrapper(const struct scripts_eps *eps, const char *file_name);

/* A wrapper: its file name in the scripts directory and its bytes; pip
 * makes it mode 0755. */
struct scripts_wrapper {
	char *name;
	char *data;
	size_t len;
};

struct scripts_wrappers {
	struct scripts_wrapper *v;
	size_t n, cap;
};

/* The wrappers pip writes for eps, in its order (console scripts, pip's
 * and easy_install's with the versioned names of interpreter version
 * "X.Y", then GUI scripts), their "#!" line for python (sys.executable).
 * Appended to *out.  Errors (EXIT_USAGE): an entry point pip refuses. */
int scripts_wrappers(const struct scripts_eps *eps, const char *python, const char *version,
                     struct scripts_wrappers *out, struct pbrx_error *e);
void scripts_wrappers_free(struct scripts_wrappers *w);

/* A script of the wheel's .data/scripts whose first line starts with
 * "#!python" (also "#!pythonw") with that line replaced by "#!PYTHON\n":
 * the new bytes (malloc'd, *newlen), or NULL when pip leaves it as it is. */
char *scripts_fix_shebang(const char *data, size_t len, const char *python, size_t *newlen);

#endif
