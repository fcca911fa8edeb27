/* SPDX-License-Identifier: Apache-2.0 */
#include "py/scripts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "py/pystr.h"

/* Set name to value in a dict kept as two vectors (Python's dict: the
 * first position, the last value). */
static void dict_set(struct strv *names, struct strv *values, const char *name, size_t nlen,
                     const char *value, size_t vlen)
{
	for (size_t i = 0; i < names->n; i++) {
		if (strlen(names->v[i]) == nlen && !memcmp(names->v[i], name, nlen)) {
			free(values->v[i]);
			values->v[i] = xstrndup(value, vlen);
			return;
		}
	}
	strv_push(names, xstrndup(name, nlen));
	strv_push(values, xstrndup(value, vlen));
}

int scripts_read_eps(const char *text, size_t len, const char *what, struct scripts_eps *eps,
                     struct pbrx_error *e)
{
	size_t pos = 0, n, lineno = 0;
	const char *line;
	char *section = NULL;
	int rc = 0;

	if (!pystr_utf8_valid(text, len))
		return error_set(e, EXIT_USAGE, "%s: not UTF-8 text", what);
	/* importlib.metadata's Sectioned: stripped lines, none empty or
	 * starting with '#'; "[...]" names a section (its brackets stripped);
	 * a line before any section is ignored, any other is NAME=VALUE,
	 * both stripped. */
	while (pystr_next_line(text, len, &pos, &line, &n)) {
		const char *eq, *name, *value;
		size_t nlen, vlen;

		lineno++;
		pystr_strip(&line, &n);
		if (!n || line[0] == '#')
			continue;
		if (line[0] == '[' && line[n - 1] == ']') {
			while (n && (*line == '[' || *line == ']'))
				line++, n--;
			while (n && (line[n - 1] == '[' || line[n - 1] == ']'))
				n--;
			free(section);
			section = xstrndup(line, n);
			continue;
		}
		if (!section)
			continue;
		eq = memchr(line, '=', n);
		if (!eq) {
			rc = error_set(e, EXIT_USAGE, "%s:%zu: expected NAME = VALUE", what,
			               lineno);
			break;
		}
		name = line;
		nlen = (size_t)(eq - line);
		value = eq + 1;
		vlen = n - nlen - 1;
		pystr_strip(&name, &nlen);
		pystr_strip(&value, &vlen);
		if (!strcmp(section, "console_scripts"))
			dict_set(&eps->console_names, &eps->console_values, name, nlen, value, vlen);
		else if (!strcmp(section, "gui_scripts"))
			dict_set(&eps->gui_names, &eps->gui_values, name, nlen, value, vlen);
	}
	free(section);
	return rc;
}

void scripts_eps_free(struct scripts_eps *eps)
{
	strv_free(&eps->console_names);
	strv_free(&eps->console_values);
	strv_free(&eps->gui_names);
	strv_free(&eps->gui_values);
}

static bool has_name(const struct strv *names, const char *name, size_t len)
{
	for (size_t i = 0; i < names->n; i++)
		if (strlen(names->v[i]) == len && !memcmp(names->v[i], name, len))
			return true;
	return false;
}

static bool ends_with_nocase(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !strncasecmp(s + n - k, suffix, k);
}

bool scripts_is_wrapper(const struct scripts_eps *eps, const char *file_name)
{
	size_t n = strlen(file_name);

	/* pip's is_entrypoint_wrapper. */
	if (ends_with_nocase(file_name, n, ".exe"))
		n -= 4;
	else if (ends_with_nocase(file_name, n, "-script.py"))
		n -= 10;
	else if (ends_with_nocase(file_name, n, ".pya"))
		n -= 4;
	return has_name(&eps->console_names, file_name, n) ||
	       has_name(&eps->gui_names, file_name, n);
}

void scripts_wrappers_free(struct scripts_wrappers *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].name);
		free(w->v[i].data);
	}
	free(w->v);
	memset(w, 0, sizeof *w);
}

/* re.match(r"pip(\d+(\.\d+)?)?$", s) and
 * re.match(r"easy_install(-\d+\.\d+)?$", s): the versioned names pip
 * drops in favour of its own. */
static const char *digits(const char *p)
{
	const char *q = p;

	while (*q >= '0' && *q <= '9')
		q++;
	return q > p ? q : NULL;
}

static bool versioned_pip(const char *s)
{
	const char *p;

	if (strncmp(s, "pip", 3))
		return false;
	s += 3;
	if (!*s)
		return true;
	if (!(p = digits(s)))
		return false;
	if (!*p)
		return true;
	return *p == '.' && (p = digits(p + 1)) && !*p;
}

static bool versioned_easy_install(const char *s)
{
	const char *p;

	if (strncmp(s, "easy_install", 12))
		return false;
	s += 12;
	if (!*s)
		return true;
	return *s == '-' && (p = digits(s + 1)) && *p == '.' && (p = digits(p + 1)) && !*p;
}

/* distlib's ENTRY_RE, searched (not matched) in a spec "NAME = VALUE":
 *   (?P<name>(\w|[-.+])+) \s*=\s* (?P<callable>(\w+)([:\.]\w+)*)
 *   \s*(\[\s*(?P<flags>[\w-]+(=\w+)?(,\s*\w+(=\w+)?)*)\s*\])?
 * Its classes barely overlap, so the greedy reading here is the one the
 * regex engine finds, backtracking included. */
struct spec {
	const char *s;
	size_t n;
};

static size_t word_end(const struct spec *sp, size_t i)
{
	size_t k;

	while (i < sp->n && (k = pystr_word(sp->s + i, sp->n - i)))
		i += k;
	return i;
}

static size_t space_end(const struct spec *sp, size_t i)
{
	size_t k;

	while (i < sp->n && (k = pystr_space(sp->s + i, sp->n - i)))
		i += k;
	return i;
}

static size_t name_char(const struct spec *sp, size_t i)
{
	size_t k = pystr_word(sp->s + i, sp->n - i);

	if (k)
		return k;
	return sp->s[i] == '-' || sp->s[i] == '.' || sp->s[i] == '+';
}

static size_t char_len(const struct spec *sp, size_t i)
{
	size_t k = 1;

	while (i + k < sp->n && ((unsigned char)sp->s[i + k] & 0xc0) == 0x80)
		k++;
	return k;
}

/* [\w-]+ from i: its end, or i when none. */
static size_t flag_word_end(const struct spec *sp, size_t i)
{
	size_t k;

	while (i < sp->n && ((k = pystr_word(sp->s + i, sp->n - i)) || sp->s[i] == '-'))
		i += k ? k : 1;
	return i;
}

/* (=\w+)? at i: past it, or i. */
static size_t opt_value(const struct spec *sp, size_t i)
{
	size_t j;

	if (i < sp->n && sp->s[i] == '=' && (j = word_end(sp, i + 1)) > i + 1)
		return j;
	return i;
}

/* Does "[flags]" match at i (the '[')? */
static bool flags_match(const struct spec *sp, size_t i)
{
	size_t j = space_end(sp, i + 1), k = flag_word_end(sp, j);

	if (k == j)
		return false;
	j = opt_value(sp, k);
	while (j < sp->n && sp->s[j] == ',') {
		size_t a = space_end(sp, j + 1), b = word_end(sp, a);

		if (b == a)
			break;
		j = opt_value(sp, b);
	}
	j = space_end(sp, j);
	return j < sp->n && sp->s[j] == ']';
}

/* distlib's get_export_entry as PipScriptMaker.make uses it: the
 * wrapper's name, module (prefix) and callable (suffix), malloc'd. */
static int export_entry(const char *spec, char **name, char **prefix, char **suffix,
                        struct pbrx_error *e)
{
	struct spec sp = { spec, strlen(spec) };
	bool brackets = strpbrk(spec, "[]") != NULL;

	for (size_t i = 0; i < sp.n;) {
		size_t a = i, b = i, j, c0, colons = 0, k;
		const char *colon = NULL;

		while (b < sp.n && (k = name_char(&sp, b)))
			b += k;
		if (b == a) {
			i += char_len(&sp, i);
			continue;
		}
		i = b;
		j = space_end(&sp, b);
		if (j >= sp.n || sp.s[j] != '=')
			continue;
		c0 = space_end(&sp, j + 1);
		j = word_end(&sp, c0);
		if (j == c0)
			continue;
		while (j < sp.n && (sp.s[j] == ':' || sp.s[j] == '.') && word_end(&sp, j + 1) > j + 1) {
			if (sp.s[j] == ':') {
				colons++;
				colon = sp.s + j;
			}
			j = word_end(&sp, j + 1);
		}
		k = space_end(&sp, j);
		if (!(k < sp.n && sp.s[k] == '[' && flags_match(&sp, k)) && brackets)
			return error_set(e, EXIT_USAGE, "entry point '%s': invalid specification", spec);
		if (colons != 1)
			return error_set(e, EXIT_USAGE, colons ? "entry point '%s': invalid specification" :
			                 "entry point '%s': a callable suffix (module:function) is required",
			                 spec);
		*name = xstrndup(sp.s + a, b - a);
		*prefix = xstrndup(sp.s + c0, (size_t)(colon - (sp.s + c0)));
		*suffix = xstrndup(colon + 1, (size_t)(sp.s + j - colon - 1));
		return 0;
	}
	/* No match: distlib would take the spec for a file to copy, which
	 * pip can't do (it has no source directory). */
	return error_set(e, EXIT_USAGE, "entry point '%s': invalid specification", spec);
}

/* distlib's enquote_executable and _build_shebang (POSIX, not darwin). */
static char *shebang(const char *python)
{
	char *exe;

	if (!strchr(python, ' ') || python[0] == '"')
		exe = xstrdup(python);
	else if (!strncmp(python, "/usr/bin/env ", 13))
		exe = strchr(python + 13, ' ') && python[13] != '"' ?
		      xasprintf("/usr/bin/env \"%s\"", python + 13) : xstrdup(python);
	else
		exe = xasprintf("\"%s\"", python);
	if (!strchr(exe, ' ') && strlen(exe) + 3 <= 127) {
		char *s = xasprintf("#!%s\n", exe);

		free(exe);
		return s;
	}
	{
		char *s = xasprintf("#!/bin/sh\n'''exec' %s \"$0\" \"$@\"\n' '''\n", exe);

		free(exe);
		return s;
	}
}

/* distlib's SCRIPT_TEMPLATE. */
static const char script_template[] =
	"# -*- coding: utf-8 -*-\n"
	"import re\n"
	"import sys\n"
	"from %s import %s\n"
	"if __name__ == '__main__':\n"
	"    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
	"    sys.exit(%s())\n";

static int make_wrapper(const char *spec, const char *python, struct scripts_wrappers *out,
                        struct pbrx_error *e)
{
	char *name = NULL, *prefix = NULL, *suffix = NULL, *bang, *import_name;
	struct scripts_wrapper *w;

	if (export_entry(spec, &name, &prefix, &suffix, e) < 0)
		return -1;
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		free(name);
		free(prefix);
		free(suffix);
		return error_set(e, EXIT_USAGE, "entry point '%s': invalid script name", spec);
	}
	bang = shebang(python);
	import_name = xstrndup(suffix, strcspn(suffix, "."));
	xgrow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v);
	w = &out->v[out->n++];
	w->name = name;
	{
		struct buf b = {0};

		buf_adds(&b, bang);
		buf_addf(&b, script_template, prefix, import_name, suffix);
		w->len = b.len;
		w->data = buf_take(&b);
	}
	free(bang);
	free(import_name);
	free(prefix);
	free(suffix);
	return 0;
}

int scripts_wrappers(const struct scripts_eps *eps, const char *python, const char *version,
                     struct scripts_wrappers *out, struct pbrx_error *e)
{
	size_t n = eps->console_names.n;
	bool *dropped = xcalloc(n + 1, sizeof *dropped);
	char *major = xstrndup(version, strcspn(version, "."));
	const char *pip = NULL, *easy = NULL;
	struct strv specs = {0};
	int rc = 0;

	/* pip's get_console_script_specs, without ENSUREPIP_OPTIONS: pip's
	 * and setuptools' wheels name scripts for the Python that built
	 * them; pip writes its own versioned names instead. */
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(eps->console_names.v[i], "pip")) {
			pip = eps->console_values.v[i];
			dropped[i] = true;
		} else if (!strcmp(eps->console_names.v[i], "easy_install")) {
			easy = eps->console_values.v[i];
			dropped[i] = true;
		}
	}
	if (pip && *pip) {
		strv_push(&specs, xasprintf("pip = %s", pip));
		strv_push(&specs, xasprintf("pip%s = %s", major, pip));
		strv_push(&specs, xasprintf("pip%s = %s", version, pip));
		for (size_t i = 0; i < n; i++)
			if (versioned_pip(eps->console_names.v[i]))
				dropped[i] = true;
	}
	if (easy && *easy) {
		strv_push(&specs, xasprintf("easy_install = %s", easy));
		strv_push(&specs, xasprintf("easy_install-%s = %s", version, easy));
		for (size_t i = 0; i < n; i++)
			if (versioned_easy_install(eps->console_names.v[i]))
				dropped[i] = true;
	}
	for (size_t i = 0; i < n; i++)
		if (!dropped[i])
			strv_push(&specs, xasprintf("%s = %s", eps->console_names.v[i],
			                            eps->console_values.v[i]));
	for (size_t i = 0; i < eps->gui_names.n; i++)
		strv_push(&specs, xasprintf("%s = %s", eps->gui_names.v[i], eps->gui_values.v[i]));
	for (size_t i = 0; i < specs.n && !rc; i++)
		rc = make_wrapper(specs.v[i], python, out, e);
	strv_free(&specs);
	free(dropped);
	free(major);
	return rc;
}

char *scripts_fix_shebang(const char *data, size_t len, const char *python, size_t *newlen)
{
	const char *nl = memchr(data, '\n', len);
	size_t first = nl ? (size_t)(nl - data) + 1 : len, plen = strlen(python);
	char *out;

	if (len < 8 || memcmp(data, "#!python", 8))
		return NULL;
	*newlen = 2 + plen + 1 + (len - first);
	out = xmalloc(*newlen + 1);
	memcpy(out, "#!", 2);
	memcpy(out + 2, python, plen);
	out[2 + plen] = '\n';
	memcpy(out + 3 + plen, data + first, len - first);
	out[*newlen] = '\0';
	return out;
}
