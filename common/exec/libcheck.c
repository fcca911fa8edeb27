/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/capture.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "engine/engine.h"
#include "exec/libcheck.h"

/* The Debian package a shared library is in by Debian Policy 8.1's rule
 * (libfoo.so.1 in libfoo1, libfoo-2.so.3 in libfoo-2-3), malloc'd; NULL
 * for a name without a version. */
static char *debian_package(const char *soname)
{
	const char *so = strstr(soname, ".so.");
	char *r, *p;

	if (!so || so == soname || !so[4])
		return NULL;
	r = isdigit((unsigned char)so[-1]) ? xasprintf("%.*s-%s", (int)(so - soname), soname, so + 4)
	                                  : xasprintf("%.*s%s", (int)(so - soname), soname, so + 4);
	for (p = r; *p; p++)
		*p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
	return r;
}

/* Is soname among the libraries listed in text: "\tSONAME (" lines of
 * ldconfig -p, or "/SONAME" lines of find? */
static bool lists_library(const char *text, const char *soname)
{
	size_t n = strlen(soname);

	for (const char *p = text; (p = strstr(p, soname)); p += n) {
		bool start = p > text && (p[-1] == '\t' || p[-1] == '/');
		bool end = p[n] == ' ' || p[n] == '\n' || p[n] == '\0';
		if (start && end)
			return true;
	}
	return false;
}

/* Warn for soname, needed by file, which the image lacks. */
static void missing(const char *who, const char *soname, const char *file,
                    const char *package_manager)
{
	char *pkg = package_manager && !strcmp(package_manager, "apt-get") ? debian_package(soname)
	                                                                   : NULL;

	if (pkg)
		msg_warn("%s: %s, needed by %s, is not in the image: add the runtime package "
		         "that provides it to bindep.txt, probably '%s [platform:dpkg]'",
		         who, soname, file, pkg);
	else
		msg_warn("%s: %s, needed by %s, is not in the image: add the runtime package "
		         "that provides it to bindep.txt (without the compile profile)",
		         who, soname, file);
	free(pkg);
}

char *libcheck_list(struct engine *e, const char *cid, const char *who, struct pbrx_error *err)
{
	char *ldconfig[] = {"ldconfig", "-p", NULL};
	/* musl has no ldconfig -p: list the library directories instead. */
	char *find[] = {"find", "/lib", "/usr/lib", "/usr/local/lib", "-name", "*.so*", NULL};
	struct capture cap = {0};
	struct engine_run_spec spec = {.argv = ldconfig, .output = capture_output, .arg = &cap};
	int code;

	if (engine_run(e, cid, &spec, &code) < 0)
		goto fail;
	if (code != 0) {
		capture_reset(&cap);
		spec.argv = find;
		if (engine_run(e, cid, &spec, &code) < 0)
			goto fail;
	}
	return cap.out.p ? cap.out.p : xstrdup("");

fail:
	cleanup_hold();
	capture_free(&cap);
	error_set(err, EXIT_FAIL, "%s: %s", who, engine_error(e));
	return NULL;
}

void libcheck_compare(const char *libs, const json_t *extensions, const char *package_manager,
                      const char *who)
{
	const json_t *ext, *lib, *other;
	size_t i, j, k;

	json_array_foreach(extensions, i, ext) {
		const char *file = json_string_value(json_object_get(ext, "file"));
		json_array_foreach(json_object_get(ext, "needed"), j, lib) {
			const char *soname = json_string_value(lib);
			bool in_wheel = false;

			if (!file || !soname)
				continue;
			/* Libraries the wheel brings itself (auditwheel's .libs). */
			json_array_foreach(extensions, k, other) {
				const char *f = json_string_value(json_object_get(other, "file"));
				const char *base = f ? strrchr(f, '/') : NULL;
				in_wheel |= f && strcmp(base ? base + 1 : f, soname) == 0;
			}
			if (!in_wheel && !lists_library(libs, soname))
				missing(who, soname, file, package_manager);
		}
	}
}

int libcheck_run(struct engine *e, const char *cid, const json_t *extensions,
                 const char *package_manager, const char *who, struct pbrx_error *err)
{
	char *libs;

	if (!json_array_size(extensions))
		return 0;
	if (!(libs = libcheck_list(e, cid, who, err)))
		return -1;
	libcheck_compare(libs, extensions, package_manager, who);
	free(libs);
	return 0;
}
