/* SPDX-License-Identifier: Apache-2.0 */
#include "py/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/msg.h"
#include "py/pyname.h"
#include "base/xalloc.h"

/* What we keep while inih walks the file. */
struct cfg {
	const char *path;   /* "DIR/setup.cfg" as named in messages */
	FILE *f;
	char *raw;          /* the current line as read, for context */
	size_t rawcap;
	int lineno;         /* line number of raw */
	int maxline;        /* longest line inih can hold */
	char *section;      /* section of the previous handler call */
	char *key;          /* its key, lower case */
	json_t *seen_keys;  /* "section\nkey" -> line, for duplicates */
	json_t *seen_sect;  /* section -> line */
	char *name, *version;
	int name_line;
	json_t *scripts;    /* array of script objects */
	json_t *script_line; /* script name -> line */
	json_t *extras;     /* extra name -> array of requirements */
	json_t *extra_line; /* extra name -> line */
	int err_line;       /* first error, 0 if none */
	char *err;
};

static void cfg_error(struct cfg *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Remember the first error only: inih goes on parsing after one. */
static void cfg_error(struct cfg *c, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	c->err = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(c->err, (size_t)n + 1, fmt, ap);
	va_end(ap);
	c->err_line = line;
}

/* inih's reader: one whole line per call, so lineno stays exact.  The
 * library keeps lines in a fixed buffer (INI_MAX_LINE); a longer line
 * would be split and parsed as two, so it is an error instead. */
static char *cfg_reader(char *buf, int num, void *user)
{
	struct cfg *c = user;
	ssize_t len = getline(&c->raw, &c->rawcap, c->f);
	size_t body;

	if (len < 0)
		return NULL;
	c->lineno++;
	body = (size_t)len;
	while (body > 0 && (c->raw[body - 1] == '\n' || c->raw[body - 1] == '\r'))
		body--;
	if (body + 2 >= (size_t)num) {
		cfg_error(c, c->lineno, "line longer than %d characters", num - 3);
		body = (size_t)num - 3;
	}
	if (memchr(c->raw, '\0', (size_t)len))
		cfg_error(c, c->lineno, "NUL byte in line");
	memcpy(buf, c->raw, body);
	buf[body] = '\n';
	buf[body + 1] = '\0';
	c->raw[body] = '\0';
	/* configparser (strict, as pbr and setuptools use it) rejects a
	 * section given twice; inih would silently merge them. */
	if (c->raw[0] == '[') {
		char *end = strchr(c->raw, ']');
		if (end) {
			char *sect = xstrndup(c->raw + 1, (size_t)(end - c->raw - 1));
			json_t *first = json_object_get(c->seen_sect, sect);
			if (first)
				cfg_error(c, c->lineno, "duplicate section [%s] (first on line %d)",
					  sect, (int)json_integer_value(first));
			else
				json_object_set_new(c->seen_sect, sect, json_integer(c->lineno));
			free(sect);
		}
	}
	return buf;
}

static char *lower(const char *s)
{
	char *r = xstrdup(s);
	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

static bool is_alnum(char ch) { return isascii((unsigned char)ch) && isalnum((unsigned char)ch); }

/* A dotted Python name: identifiers joined by single dots. */
static bool dotted_name(const char *s, size_t n)
{
	bool start = true;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '.') {
			if (start)
				return false;
			start = true;
		} else if (is_alnum(ch) || ch == '_') {
			if (start && isdigit((unsigned char)ch))
				return false;
			start = false;
		} else {
			return false;
		}
	}
	return !start;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t trim_len(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/* Parse "[a, b]" at s (after the object reference) into arr.  False
 * with *why set on a bad list. */
static bool parse_extras_list(const char *s, json_t *arr, const char **why)
{
	const char *end;

	s = skip_space(s);
	if (*s != '[') {
		*why = "expected NAME = MODULE:CALLABLE [EXTRA, ...]";
		return false;
	}
	end = strchr(s, ']');
	if (!end || *skip_space(end + 1)) {
		*why = "expected ']' at the end of the extras list";
		return false;
	}
	s++;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *stop = comma ? comma : end;
		const char *b = skip_space(s);
		size_t n = trim_len(b, (size_t)(stop - b));
		char *extra = xstrndup(b, n);

		if (!(n == 0 && !comma && json_array_size(arr) == 0)) {
			if (!pyname_valid(extra)) {
				free(extra);
				*why = "bad extra name in the extras list";
				return false;
			}
			json_array_append_new(arr, json_string(extra));
		}
		free(extra);
		s = comma ? comma + 1 : end;
	}
	return true;
}

json_t *cfg_entry_point(const char *line, struct pbrx_error *e)
{
	const char *eq = strchr(line, '='), *p, *colon, *attr_end;
	char *name;
	json_t *extras, *script;
	const char *why = NULL;
	size_t n;

	if (!eq) {
		error_set(e, EXIT_USAGE, "console script: expected NAME = MODULE:CALLABLE, got '%s'", line);
		return NULL;
	}
	n = trim_len(line, (size_t)(eq - line));
	name = xstrndup(line, n);
	if (!pyname_script_valid(name)) {
		error_set(e, EXIT_USAGE, "console script name '%s': use only letters, digits, '_', '.' "
			  "and '-', not starting with '-' or '.'", name);
		free(name);
		return NULL;
	}
	p = skip_space(eq + 1);
	colon = strchr(p, ':');
	/* importlib.metadata's pattern: MODULE \s* : \s* ATTR \s* [EXTRAS] */
	if (!colon || !dotted_name(p, trim_len(p, (size_t)(colon - p)))) {
		error_set(e, EXIT_USAGE, "console script '%s': expected MODULE:CALLABLE after '='", name);
		free(name);
		return NULL;
	}
	attr_end = skip_space(colon + 1);
	while (is_alnum(*attr_end) || *attr_end == '_' || *attr_end == '.')
		attr_end++;
	extras = json_array();
	if (!dotted_name(skip_space(colon + 1), (size_t)(attr_end - skip_space(colon + 1)))) {
		why = "expected MODULE:CALLABLE after '='";
	} else if (*skip_space(attr_end)) {
		parse_extras_list(attr_end, extras, &why);
	}
	if (why) {
		error_set(e, EXIT_USAGE, "console script '%s': %s", name, why);
		json_decref(extras);
		free(name);
		return NULL;
	}
	script = json_object();
	json_object_set_new(script, "name", json_string(name));
	json_object_set_new(script, "module",
			    json_stringn(p, trim_len(p, (size_t)(colon - p))));
	json_object_set_new(script, "callable",
			    json_stringn(skip_space(colon + 1),
					 (size_t)(attr_end - skip_space(colon + 1))));
	json_object_set_new(script, "extras", extras);
	free(name);
	return script;
}

/* One console_scripts line: "name = module:attr [extra, ...]". */
static void add_script(struct cfg *c, const char *line)
{
	struct pbrx_error err = {0};
	json_t *script = cfg_entry_point(line, &err), *first;
	const char *name;

	if (!script) {
		cfg_error(c, c->lineno, "%s", err.msg);
		error_free(&err);
		return;
	}
	name = json_string_value(json_object_get(script, "name"));
	first = json_object_get(c->script_line, name);
	if (first) {
		cfg_error(c, c->lineno, "duplicate console script '%s' (first on line %d)", name,
			  (int)json_integer_value(first));
		json_decref(script);
		return;
	}
	json_object_set_new(c->script_line, name, json_integer(c->lineno));
	json_array_append_new(c->scripts, script);
}

/* A requirement line of extra (already created). */
static void add_requirement(struct cfg *c, const char *extra, const char *req)
{
	for (const char *p = req; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			cfg_error(c, c->lineno, "extra '%s': control character in requirement", extra);
			return;
		}
	json_array_append_new(json_object_get(c->extras, extra), json_string(req));
}

static bool in(const char *section, const char *a, const char *b)
{
	return strcmp(section, a) == 0 || (b && strcmp(section, b) == 0);
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg *c = user;
	char *key = lower(name);
	/* inih hands continuation lines over with the previous key; the raw
	 * line tells them apart from a repeated "key =" line. */
	bool cont = (c->raw[0] == ' ' || c->raw[0] == '\t') && c->section && c->key &&
		    strcmp(section, c->section) == 0 && strcmp(key, c->key) == 0;

	if (!cont) {
		char *id = xasprintf("%s\n%s", section, key);
		json_t *first = json_object_get(c->seen_keys, id);

		if (first)
			cfg_error(c, c->lineno, "duplicate option '%s' in section [%s] (first on line %d)",
				  key, section, (int)json_integer_value(first));
		else
			json_object_set_new(c->seen_keys, id, json_integer(c->lineno));
		free(id);
		free(c->section);
		free(c->key);
		c->section = xstrdup(section);
		c->key = xstrdup(key);
	}

	/* pbr reads a key with its dashes as underscores ("console-scripts"),
	 * and setuptools accepts the dashed spelling too. */
	for (char *p = key; *p; p++)
		if (*p == '-')
			*p = '_';
	if (strcmp(section, "metadata") == 0 && (!strcmp(key, "name") || !strcmp(key, "version"))) {
		char **slot = key[0] == 'n' ? &c->name : &c->version;
		if (cont)
			cfg_error(c, c->lineno, "[metadata] %s: continuation line not allowed", key);
		else if (!*value)
			cfg_error(c, c->lineno, "[metadata] %s: empty value", key);
		else if (key[0] == 'v' && (!strncmp(value, "attr:", 5) || !strncmp(value, "file:", 5))) {
			/* setuptools' directives: the version is the built
			 * wheel's (wheel-build(1)), not this text. */
			free(*slot);
			*slot = NULL;
		} else {
			free(*slot);
			*slot = xstrdup(value);
			if (key[0] == 'n')
				c->name_line = c->lineno;
		}
	} else if (in(section, "entry_points", "options.entry_points") &&
		   strcmp(key, "console_scripts") == 0) {
		if (*value)
			add_script(c, value);
	} else if (in(section, "extras", "options.extras_require")) {
		/* Extra names keep their case: pip 23 matches them exactly. */
		if (!cont) {
			json_t *first = json_object_get(c->extra_line, name);
			if (!pyname_valid(name))
				cfg_error(c, c->lineno, "[%s] '%s': not a valid extra name", section, name);
			else if (first)
				cfg_error(c, c->lineno, "duplicate extra '%s' (first on line %d)", name,
					  (int)json_integer_value(first));
			else {
				json_object_set_new(c->extra_line, name, json_integer(c->lineno));
				json_object_set_new(c->extras, name, json_array());
			}
		}
		if (*value && json_object_get(c->extras, name))
			add_requirement(c, name, value);
	}
	free(key);
	return 1;
}

json_t *cfg_read_project(const char *dir, const char *path, bool name_optional,
                         struct pbrx_error *e)
{
	struct cfg c = { .path = path };
	char *absdir;
	json_t *project = NULL;
	int rc;

	absdir = realpath(dir, NULL);
	if (!absdir) {
		error_set(e, EXIT_USAGE, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	c.f = fopen(path, "r");
	if (!c.f) {
		error_set(e, EXIT_USAGE, "%s: cannot open: %s", path, strerror(errno));
		free(absdir);
		return NULL;
	}
	c.seen_keys = json_object();
	c.seen_sect = json_object();
	c.scripts = json_array();
	c.script_line = json_object();
	c.extras = json_object();
	c.extra_line = json_object();
	/* Behave like configparser, which pbr and setuptools use: no inline
	 * comments (a ';' in "pkg; python_version<'3'" is a marker), and
	 * multi-line values (Debian's libinih has them on by default). */
	ini_allow_inline_comments = false;
	ini_allow_multiline = true;
	rc = ini_parse_stream(cfg_reader, &c, cfg_handler, &c);
	if (ferror(c.f))
		error_set(e, EXIT_USAGE, "%s: read error: %s", path, strerror(errno));
	else if (c.err)
		error_set(e, EXIT_USAGE, "%s:%d: %s", path, c.err_line, c.err);
	else if (rc > 0)
		error_set(e, EXIT_USAGE, "%s:%d: expected [SECTION], NAME = VALUE or an indented "
			  "continuation line", path, rc);
	else if (rc < 0)
		error_set(e, EXIT_FAIL, "%s: cannot parse (inih error %d)", path, rc);
	else if (!c.name && !name_optional)
		error_set(e, EXIT_USAGE, "%s: no name in [metadata]", path);
	else if (c.name && !pyname_valid(c.name))
		error_set(e, EXIT_USAGE, "%s:%d: [metadata] name '%s': not a valid project name "
			  "(letters, digits, '.', '_', '-')", path, c.name_line, c.name);
	fclose(c.f);
	/* No warning for "foo-base" or "Foo_Base": image-plan(1) matches
	 * extras as pip normalises names, and installs each with the
	 * spelling the built wheel declares. */
	if (e->msg)
		goto out;

	project = json_object();
	json_object_set_new(project, "name", c.name ? json_string(c.name) : json_null());
	if (c.version)
		json_object_set_new(project, "version", json_string(c.version));
	json_object_set_new(project, "dir", json_string(absdir));
	json_object_set_new(project, "source", json_string("setup.cfg"));
	json_object_set(project, "scripts", c.scripts);
	json_object_set(project, "extras", c.extras);
out:
	free(absdir);
	free(c.err);
	free(c.raw);
	free(c.section);
	free(c.key);
	free(c.name);
	free(c.version);
	json_decref(c.seen_keys);
	json_decref(c.seen_sect);
	json_decref(c.scripts);
	json_decref(c.script_line);
	json_decref(c.extras);
	json_decref(c.extra_line);
	return project;
}

