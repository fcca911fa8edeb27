/* SPDX-License-Identifier: Apache-2.0 */
#include "py/scheme.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "py/pystr.h"

/* Single quotes only, so it reads as Python. */
const char scheme_probe[] =
	"import json, os, sys, sysconfig\n"
	"if sys.version_info < (3, 10):\n"
	"    sys.exit('scheme_probe: Python %d.%d: pip takes its scheme from distutils'\n"
	"             ' before 3.10, which pbrx does not follow' % sys.version_info[:2])\n"
	"# pip 23.0.1, locations/_sysconfig.py get_scheme() with no --user, --home,\n"
	"# --root or --prefix; headers without the project name, which pip adds.\n"
	"paths = sysconfig.get_paths(scheme=sysconfig.get_preferred_scheme('prefix'))\n"
	"include = paths['include']\n"
	"if sys.prefix != getattr(sys, 'base_prefix', sys.prefix) or hasattr(sys, 'real_prefix'):\n"
	"    include = os.path.join(sys.prefix, 'include', 'site', 'python%d.%d' % sys.version_info[:2])\n"
	"if not sys.executable or sys.implementation.cache_tag is None:\n"
	"    sys.exit('scheme_probe: no sys.executable or no bytecode cache tag')\n"
	"# What the image has where a wheel's files go: each install directory\n"
	"# and its parents, and what the data directory and its share/ hold, so\n"
	"# that files land through the image's symlinks (/usr/local/man ->\n"
	"# share/man) as pip's would.\n"
	"import stat\n"
	"base = {}\n"
	"def note(p):\n"
	"    try:\n"
	"        st = os.lstat(p)\n"
	"    except OSError:\n"
	"        return\n"
	"    if stat.S_ISLNK(st.st_mode):\n"
	"        base[p] = 'symlink:' + os.readlink(p)\n"
	"    else:\n"
	"        base[p] = 'dir' if stat.S_ISDIR(st.st_mode) else 'other'\n"
	"for p in {paths['purelib'], paths['platlib'], paths['scripts'], paths['data'], include}:\n"
	"    while p != '/':\n"
	"        note(p)\n"
	"        p = os.path.dirname(p)\n"
	"for d in (paths['data'], os.path.join(paths['data'], 'share')):\n"
	"    for n in (os.listdir(d) if os.path.isdir(d) else []):\n"
	"        note(os.path.join(d, n))\n"
	"json.dump({'purelib': paths['purelib'], 'platlib': paths['platlib'], 'headers': include,\n"
	"           'scripts': paths['scripts'], 'data': paths['data'], 'python': sys.executable,\n"
	"           'version': '%d.%d' % sys.version_info[:2],\n"
	"           'cache_tag': sys.implementation.cache_tag, 'base': dict(sorted(base.items()))},\n"
	"          sys.stdout)\n"
	"print()\n";

void scheme_free(struct scheme *s)
{
	free(s->purelib);
	free(s->platlib);
	free(s->scripts);
	free(s->data);
	free(s->headers);
	free(s->python);
	free(s->version);
	free(s->cache_tag);
	json_decref(s->base);
	memset(s, 0, sizeof *s);
}

int scheme_read(const json_t *obj, struct scheme *s, struct pbrx_error *e)
{
	static const struct {
		const char *key;
		size_t off;
		bool dir;
	} keys[] = {
		{ "purelib", offsetof(struct scheme, purelib), true },
		{ "platlib", offsetof(struct scheme, platlib), true },
		{ "scripts", offsetof(struct scheme, scripts), true },
		{ "data", offsetof(struct scheme, data), true },
		{ "headers", offsetof(struct scheme, headers), true },
		{ "python", offsetof(struct scheme, python), false },
		{ "version", offsetof(struct scheme, version), false },
		{ "cache_tag", offsetof(struct scheme, cache_tag), false },
	};

	memset(s, 0, sizeof *s);
	if (!json_is_object(obj))
		return error_set(e, EXIT_USAGE, "scheme: expected an object");
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const char *v = json_string_value(json_object_get(obj, keys[i].key));
		char **field = (char **)((char *)s + keys[i].off);

		if (!v || !*v) {
			scheme_free(s);
			return error_set(e, EXIT_USAGE, "scheme: .%s: expected a string", keys[i].key);
		}
		if ((keys[i].dir || !strcmp(keys[i].key, "python")) && (v[0] != '/' || v[1] == '/')) {
			scheme_free(s);
			return error_set(e, EXIT_USAGE, "scheme: .%s: expected an absolute path",
			                 keys[i].key);
		}
		*field = keys[i].dir ? pystr_normpath(v) : xstrdup(v);
	}
	{
		const char *v = s->version, *dot = strchr(v, '.');

		if (!dot || dot == v || !dot[1] || strspn(v, "0123456789") != (size_t)(dot - v) ||
		    strspn(dot + 1, "0123456789") != strlen(dot + 1)) {
			scheme_free(s);
			return error_set(e, EXIT_USAGE, "scheme: .version: expected X.Y");
		}
	}
	if (strchr(s->cache_tag, '/')) {
		scheme_free(s);
		return error_set(e, EXIT_USAGE, "scheme: .cache_tag: expected a name");
	}
	if (json_object_get(obj, "base")) {
		const json_t *base = json_object_get(obj, "base"), *v;
		const char *path;

		if (!json_is_object(base)) {
			scheme_free(s);
			return error_set(e, EXIT_USAGE, "scheme: .base: expected an object");
		}
		json_object_foreach((json_t *)base, path, v) {
			const char *k = json_string_value(v);

			if (path[0] != '/' || !k || (strcmp(k, "dir") && strcmp(k, "other") &&
			                             strncmp(k, "symlink:", 8))) {
				scheme_free(s);
				return error_set(e, EXIT_USAGE, "scheme: .base: %s: expected \"dir\", "
				                 "\"other\" or \"symlink:TARGET\" for an absolute path",
				                 path);
			}
		}
		s->base = json_incref((json_t *)base);
	}
	return 0;
}
