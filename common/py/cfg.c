/* SPDX-License-Identifier: Apache-2.0 */
#include "py/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/buf.h"
#include "py/cfgparser.h"
#include "py/pyname.h"
#include "base/xalloc.h"

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


/* What cfg_read_project gathers. */
struct gather {
	const struct cfgparser *cp;
	const char *dir;
	json_t *scripts;     /* array of script objects */
	json_t *script_line; /* script name -> line */
	json_t *extras;      /* extra name -> array of requirements */
	json_t *extra_sect;  /* normalised extra name -> {section, line} of its first */
	struct pbrx_error *e;
};

/* A value split into items: each with the line it starts on. */
struct items {
	struct strv text;
	int *line;
	size_t cap;
};

static void items_add(struct items *it, const char *s, size_t n, int line)
{
	if (it->text.n == it->cap) {
		it->cap = it->cap ? 2 * it->cap : 8;
		it->line = xrealloc(it->line, it->cap * sizeof *it->line);
	}
	it->line[it->text.n] = line;
	strv_push(&it->text, xstrndup(s, n));
}

static void items_free(struct items *it)
{
	strv_free(&it->text);
	free(it->line);
}

/* Where in the file the text of o's interpolated value came from, met
 * in order: exact while interpolation kept the lines as they were. */
struct lines {
	const struct cfgparser_option *o;
	const char *value;
	size_t off, k; /* value[off] is on o's line number k */
	bool exact;
};

static void lines_init(struct lines *l, const struct cfgparser_option *o, const char *value)
{
	size_t n = 1;

	for (const char *p = value; *p; p++)
		n += *p == '\n';
	*l = (struct lines){.o = o, .value = value, .exact = n == o->nlines};
}

/* The line of value[off]; off never goes back. */
static int line_at(struct lines *l, size_t off)
{
	for (; l->off < off; l->off++)
		l->k += l->value[l->off] == '\n';
	return l->exact ? l->o->lines[l->k] : l->o->line;
}

/* The length of a str.splitlines() line break at s (n bytes left), or 0:
 * \n \r \r\n \v \f \x1c \x1d \x1e \x85 U+2028 U+2029. */
static size_t line_break(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == '\r')
		return n > 1 && u[1] == '\n' ? 2 : 1;
	if (u[0] == '\n' || u[0] == '\v' || u[0] == '\f' || (u[0] >= 0x1c && u[0] <= 0x1e))
		return 1;
	if (n > 1 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (n > 2 && u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;
	return 0;
}

/* pbr's split_multiline: the lines of value, stripped, without empty
 * ones and those starting with '#'. */
static void pbr_split(const struct cfgparser_option *o, const char *value, struct items *it)
{
	struct lines l;

	lines_init(&l, o, value);
	for (const char *p = value;;) {
		size_t n = strcspn(p, "\n");
		const char *s = p;
		size_t sn = n;

		cfgparser_strip(&s, &sn);
		if (sn && s[0] != '#')
			items_add(it, s, sn, line_at(&l, (size_t)(p - value)));
		if (!p[n])
			break;
		p += n + 1;
	}
}

/* setuptools' ConfigHandler._parse_list(value, sep): str.splitlines()
 * when the value has a '\n', else split on sep; items stripped, empty
 * ones dropped. */
static void setuptools_split(const struct cfgparser_option *o, const char *value, char sep,
			     struct items *it)
{
	bool lines = strchr(value, '\n') != NULL;
	size_t len = strlen(value), start = 0;
	struct lines l;

	lines_init(&l, o, value);
	for (size_t i = 0;; ) {
		size_t brk = 0;

		if (i < len)
			brk = lines ? line_break(value + i, len - i) : value[i] == sep;
		if (i == len || brk) {
			const char *s = value + start;
			size_t sn = i - start;

			cfgparser_strip(&s, &sn);
			if (sn)
				items_add(it, s, sn, line_at(&l, start));
			if (i == len)
				break;
			i += brk;
			start = i;
		} else {
			i++;
		}
	}
}

/* pbr's key spelling: configparser's optionxform (lower case), then
 * '-' as '_' (setup_cfg_to_args). */
static char *pbr_key(const char *key)
{
	char *k = lower(key);

	for (char *p = k; *p; p++)
		if (*p == '-')
			*p = '_';
	return k;
}

static int gather_error(struct gather *g, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int gather_error(struct gather *g, int line, const char *fmt, ...)
{
	va_list ap;
	struct buf b = {0};
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_addf(&b, "%s:%d: %s", g->cp->path, line, msg);
	free(msg);
	error_set(g->e, EXIT_USAGE, "%s", b.p);
	buf_free(&b);
	return -1;
}

/* One console_scripts entry: "name = module:attr [extra, ...]". */
static int add_script(struct gather *g, const char *line, int lineno)
{
	struct pbrx_error err = {0};
	json_t *script = cfg_entry_point(line, &err), *first;
	const char *name;

	if (!script) {
		gather_error(g, lineno, "%s", err.msg);
		error_free(&err);
		return -1;
	}
	name = json_string_value(json_object_get(script, "name"));
	first = json_object_get(g->script_line, name);
	if (first) {
		gather_error(g, lineno, "duplicate console script '%s' (first on line %d)", name,
			     (int)json_integer_value(first));
		json_decref(script);
		return -1;
	}
	json_object_set_new(g->script_line, name, json_integer(lineno));
	json_array_append_new(g->scripts, script);
	return 0;
}

/* The console scripts of section (pbr's [entry_points] when pbr, else
 * setuptools' [options.entry_points]). */
static int read_scripts(struct gather *g, const char *section, bool pbr)
{
	const struct cfgparser_section *s = cfgparser_section(g->cp, section);
	const struct cfgparser_option *o, *found = NULL, **opts;
	struct items it = {0};
	size_t nopts;
	char *value;
	int rc = 0;

	if (!s)
		return 0;
	opts = cfgparser_options(g->cp, s, pbr, &nopts);
	for (size_t i = 0; i < nopts && (o = opts[i]); i++) {
		/* pbr: config[section][k.replace('-', '_')], the last of
		 * "console_scripts" and "console-scripts" wins.  setuptools
		 * 84 keeps [options.entry_points] keys as written
		 * (Distribution._skip_setupcfg_normalization): only
		 * "console_scripts" is the group pip installs scripts of. */
		char *key = pbr ? pbr_key(o->key) : xstrdup(o->key);

		if (strcmp(key, "console_scripts") == 0)
			found = o;
		free(key);
	}
	free(opts);
	if (!found)
		return 0;
	if (!(value = cfgparser_get(g->cp, s, found, g->e)))
		return -1;
	if (pbr)
		pbr_split(found, value, &it);
	else
		setuptools_split(found, value, ',', &it);
	for (size_t k = 0; rc == 0 && k < it.text.n; k++)
		rc = add_script(g, it.text.v[k], it.line[k]);
	items_free(&it);
	free(value);
	return rc;
}

/* pbr's requirement_pattern, "(?P<package>[^:]*):?(?P<env_marker>[^#]*?)
 * (?:\s*#.*)?$": "pkg:marker" as the wheel has it, "pkg; marker". */
static char *pbr_requirement(const char *req)
{
	const char *colon = strchr(req, ':'), *marker, *hash;
	const char *pkg = req;
	size_t pn, mn;

	if (!colon)
		colon = req + strlen(req);
	pn = (size_t)(colon - req);
	cfgparser_strip(&pkg, &pn);
	if (!*colon)
		return xstrndup(pkg, pn);
	marker = colon + 1;
	hash = strchr(marker, '#');
	mn = hash ? (size_t)(hash - marker) : strlen(marker);
	if (hash) {
		/* the lazy marker leaves the white space before '#' */
		const char *m = marker;
		size_t all = mn, k = mn;
		cfgparser_strip(&m, &k);
		mn = m == marker + all ? 0 : (size_t)(m - marker) + k;
	}
	if (mn == 0)
		return xstrndup(pkg, pn);
	return xasprintf("%.*s; %.*s", (int)pn, pkg, (int)mn, marker);
}

/* Add extra (from section, line) with its requirements reqs (stolen). */
static int add_extra(struct gather *g, const char *section, const char *extra, json_t *reqs,
		     int line)
{
	char *canon;
	json_t *first;

	if (!pyname_valid(extra)) {
		json_decref(reqs);
		return gather_error(g, line, "[%s] '%s': not a valid extra name", section, extra);
	}
	/* pbr's and setuptools' extras both reach the wheel: one name in
	 * both sections is two extras pip cannot tell apart. */
	canon = pyname_canonical(extra, strlen(extra));
	first = json_object_get(g->extra_sect, canon);
	if (first && strcmp(json_string_value(json_object_get(first, "section")), section) != 0) {
		gather_error(g, line, "duplicate extra '%s' (first on line %d, [%s])", extra,
			     (int)json_integer_value(json_object_get(first, "line")),
			     json_string_value(json_object_get(first, "section")));
		json_decref(reqs);
		free(canon);
		return -1;
	}
	if (!first)
		json_object_set_new(g->extra_sect, canon,
				    json_pack("{s:s, s:i}", "section", section, "line", line));
	free(canon);
	json_object_set_new(g->extras, extra, reqs);
	return 0;
}

/* A requirement of an extra: no control characters (they would reach
 * pip's argv). */
static int check_requirement(struct gather *g, const char *extra, const char *req, int line)
{
	for (const char *p = req; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return gather_error(g, line, "extra '%s': control character in requirement",
					    extra);
	return 0;
}

/* Does urllib.parse.urlsplit(s) find a scheme: a letter, then letters,
 * digits, '+', '-' or '.' up to the first ':'? */
static bool url_scheme(const char *s)
{
	const char *colon;

	while (*s && (unsigned char)*s <= ' ')
		s++;
	colon = strchr(s, ':');
	if (!colon || colon == s || !isascii((unsigned char)*s) || !isalpha((unsigned char)*s))
		return false;
	for (const char *p = s; p < colon; p++)
		if (!isascii((unsigned char)*p) ||
		    !(isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'))
			return false;
	return true;
}

/* pbr's packaging.parse_requirements of test-requirements.txt (else
 * tools/test-requires, the first that exists), the lines that give a
 * requirement appended to out: what pbr puts in the extra "test". */
static void pbr_test_requirements(const char *dir, const char *file, int depth, struct strv *out)
{
	char *path = xasprintf("%s/%s", dir, file);
	struct stat st;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	/* Regular files only: "-r /dev/zero" would never end. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		f = fopen(path, "r");
	free(path);
	if (!f)
		return;
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *l = line, *hash;
		const char *s;
		size_t sn;

		/* Python's text files: "\r\n" is a line end too */
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		s = l;
		sn = (size_t)n;
		cfgparser_strip(&s, &sn);
		if (!sn || l[0] == '#')
			continue;
		l = (char *)s;
		if (!strncmp(l, "-i", 2) || !strncmp(l, "--index-url", 11) ||
		    !strncmp(l, "--extra-index-url", 17) || !strncmp(l, "--find-links", 12))
			continue;
		if (line[0] == '-' && line[1] == 'r') {
			char *sp = strchr(line, ' ');
			if (sp && depth < 8)
				pbr_test_requirements(dir, sp + 1, depth + 1, out);
			continue;
		}
		if (l[0] == '-' && l[1] == 'e' && (l[2] == ' ' || l[2] == '\t')) {
			l += 3;
			while (*l == ' ' || *l == '\t')
				l++;
		}
		if (url_scheme(l)) {
			/* A URL: pbr keeps its fragment, "egg=NAME&..." as NAME
			 * (pbr writes NAME-X.Y.Z as NAME>=X.Y.Z; the text here
			 * keeps the '-': only whether there is one counts). */
			char *frag = strchr(l, '#'), *egg;

			l = frag ? frag + 1 : l + strlen(l);
			if ((egg = strstr(l, "egg="))) {
				memmove(egg, egg + 4, strlen(egg + 4) + 1);
				egg[strcspn(egg, "&")] = '\0';
			}
		} else if (l[0] == '-' && l[1] == 'f' && (l[2] == ' ' || l[2] == '\t')) {
			continue;
		}
		if ((hash = strchr(l, '#')))
			*hash = '\0';
		s = l;
		sn = strlen(l);
		cfgparser_strip(&s, &sn);
		if (sn) {
			/* extras['test'] = "\n".join(reqs).replace(';', ':') */
			char *r = xstrndup(s, sn);
			for (char *p = r; *p; p++)
				if (*p == ';')
					*p = ':';
			strv_push(out, r);
		}
	}
	free(line);
	fclose(f);
}

/* pbr's [extras] (setup_cfg_to_setup_kwargs): keys in pbr's spelling,
 * each line "pkg:marker" or a PEP 508 requirement; an extra without a
 * requirement is left out of the wheel; without an extra "test", the
 * requirements of test-requirements.txt are one. */
static int read_pbr_extras(struct gather *g)
{
	const struct cfgparser_section *s = cfgparser_section(g->cp, "extras");
	const struct cfgparser_option *o, **opts;
	size_t nopts;
	json_t *order = json_object(); /* pbr key -> index in config order */
	json_t *found = json_array(), *v;
	size_t i;
	int rc = 0;

	if (!s) {
		json_decref(order);
		json_decref(found);
		return 0;
	}
	/* config['extras'][k.replace('-', '_')] = value: a later key of
	 * the same spelling replaces the value where the first one was. */
	opts = cfgparser_options(g->cp, s, 1, &nopts);
	for (i = 0; rc == 0 && i < nopts && (o = opts[i]); i++) {
		char *key = pbr_key(o->key), *value = cfgparser_get(g->cp, s, o, g->e);
		json_t *at = json_object_get(order, key);
		struct items it = {0};
		json_t *reqs = json_array();

		if (!value) {
			free(key);
			json_decref(reqs);
			rc = -1;
			break;
		}
		pbr_split(o, value, &it);
		for (size_t k = 0; rc == 0 && k < it.text.n; k++) {
			char *req = pbr_requirement(it.text.v[k]);
			rc = check_requirement(g, key, req, it.line[k]);
			json_array_append_new(reqs, json_string(req));
			free(req);
		}
		v = json_pack("{s:s, s:o, s:i}", "name", key, "reqs", reqs, "line", o->line);
		if (at)
			json_array_set_new(found, (size_t)json_integer_value(at), v);
		else {
			json_object_set_new(order, key, json_integer((json_int_t)json_array_size(found)));
			json_array_append_new(found, v);
		}
		items_free(&it);
		free(value);
		free(key);
	}
	free(opts);
	if (rc == 0 && !json_object_get(order, "test")) {
		struct strv reqs = {0};

		pbr_test_requirements(g->dir, "test-requirements.txt", 0, &reqs);
		if (!reqs.n) {
			char *p = xasprintf("%s/test-requirements.txt", g->dir);
			if (access(p, F_OK) < 0)
				pbr_test_requirements(g->dir, "tools/test-requires", 0, &reqs);
			free(p);
		}
		if (reqs.n) {
			json_t *arr = json_array();
			for (size_t k = 0; k < reqs.n; k++) {
				char *req = pbr_requirement(reqs.v[k]);
				json_array_append_new(arr, json_string(req));
				free(req);
			}
			json_array_append_new(found, json_pack("{s:s, s:o, s:i}", "name", "test",
							       "reqs", arr, "line", s->line));
		}
		strv_free(&reqs);
	}
	json_array_foreach(found, i, v) {
		json_t *reqs = json_object_get(v, "reqs");
		if (rc == 0 && json_array_size(reqs))
			rc = add_extra(g, "extras", json_string_value(json_object_get(v, "name")),
				       json_incref(reqs), (int)json_integer_value(json_object_get(v, "line")));
	}
	json_decref(order);
	json_decref(found);
	return rc;
}

/* setuptools' "file: a.txt, b.txt": the files under dir that exist,
 * joined with '\n' (expand.read_files). */
static char *setuptools_file(const char *dir, const char *value)
{
	struct buf b = {0};
	struct items it = {0};
	struct cfgparser_option none = {.line = 0};
	bool first = true;

	setuptools_split(&none, value + 5, ',', &it);
	for (size_t i = 0; i < it.text.n; i++) {
		char *path = xasprintf("%s/%s", dir, it.text.v[i]);
		FILE *f = fopen(path, "r");
		char chunk[4096];
		size_t n;

		free(path);
		if (!f)
			continue;
		if (!first)
			buf_addc(&b, '\n');
		first = false;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_add(&b, chunk, n);
		fclose(f);
	}
	items_free(&it);
	buf_addc(&b, '\0');
	return buf_take(&b);
}

/* setuptools' [options.extras_require] (ConfigOptionsHandler
 * .parse_section_extras_require): keys as written, values through
 * _parse_requirements_list (file: directive, lines or ';'-separated
 * items, '#' items dropped); every extra is in the wheel, even an empty
 * one. */
static int read_setuptools_extras(struct gather *g)
{
	const struct cfgparser_section *s = cfgparser_section(g->cp, "options.extras_require");
	const struct cfgparser_option *o, **opts;
	size_t nopts;
	int rc = 0;

	if (!s)
		return 0;
	opts = cfgparser_options(g->cp, s, 0, &nopts);
	for (size_t i = 0; rc == 0 && i < nopts && (o = opts[i]); i++) {
		char *value = cfgparser_get(g->cp, s, o, g->e), *text;
		struct items it = {0};
		json_t *reqs;
		bool from_file;

		if (!value) {
			rc = -1;
			break;
		}
		from_file = strncmp(value, "file:", 5) == 0;
		text = from_file ? setuptools_file(g->dir, value) : xstrdup(value);
		reqs = json_array();
		if (from_file) {
			struct cfgparser_option none = {.line = o->line};
			setuptools_split(&none, text, ';', &it);
		} else {
			setuptools_split(o, text, ';', &it);
		}
		for (size_t k = 0; rc == 0 && k < it.text.n; k++) {
			if (it.text.v[k][0] == '#')
				continue;
			rc = check_requirement(g, o->key, it.text.v[k], it.line[k]);
			json_array_append_new(reqs, json_string(it.text.v[k]));
		}
		if (rc == 0)
			rc = add_extra(g, "options.extras_require", o->key, reqs, o->line);
		else
			json_decref(reqs);
		items_free(&it);
		free(text);
		free(value);
	}
	free(opts);
	return rc;
}

/* [metadata] name or version (key in pbr's and setuptools' spelling,
 * both lower case with '_'), interpolated: *out (NULL when absent), *line.
 * 0, or -1 with *g->e. */
static int metadata(struct gather *g, const char *want, char **out, int *line)
{
	const struct cfgparser_section *s = cfgparser_section(g->cp, "metadata");
	const struct cfgparser_option *found = NULL, **opts;
	size_t n;

	*out = NULL;
	if (!s)
		return 0;
	/* setuptools' opt_dict: the last key so spelt wins */
	opts = cfgparser_options(g->cp, s, 0, &n);
	for (size_t i = 0; i < n; i++) {
		char *key = pbr_key(opts[i]->key);
		if (strcmp(key, want) == 0)
			found = opts[i];
		free(key);
	}
	free(opts);
	if (!found)
		return 0;
	*line = found->line;
	if (!(*out = cfgparser_get(g->cp, s, found, g->e)))
		return -1;
	if (!**out)
		return gather_error(g, found->line, "[metadata] %s: empty value", want);
	if (strchr(*out, '\n'))
		return gather_error(g, found->line, "[metadata] %s: more than one line", want);
	return 0;
}

json_t *cfg_read_project(const char *dir, const char *path, bool name_optional,
                         struct pbrx_error *e)
{
	struct cfgparser cp = {0};
	struct gather g = {.cp = &cp, .e = e};
	char *absdir, *name = NULL, *version = NULL;
	int name_line = 0, version_line = 0; /* version's is not used in a message */
	json_t *project = NULL;

	absdir = realpath(dir, NULL);
	if (!absdir) {
		error_set(e, EXIT_USAGE, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	g.dir = dir;
	g.scripts = json_array();
	g.script_line = json_object();
	g.extras = json_object();
	g.extra_sect = json_object();
	/* Both pbr (setup_cfg_to_args: parser.items() of every section) and
	 * setuptools (parse_config_files: parser.get() of every option)
	 * interpolate every value of the file: one bad '%' fails the build. */
	if (cfgparser_read(&cp, path, e) < 0 || cfgparser_check_all(&cp, e) < 0 ||
	    metadata(&g, "name", &name, &name_line) < 0 ||
	    metadata(&g, "version", &version, &version_line) < 0 ||
	    read_scripts(&g, "entry_points", true) < 0 ||
	    read_scripts(&g, "options.entry_points", false) < 0 ||
	    read_pbr_extras(&g) < 0 || read_setuptools_extras(&g) < 0)
		goto out;
	if (!name && !name_optional) {
		error_set(e, EXIT_USAGE, "%s: no name in [metadata]", path);
		goto out;
	}
	if (name && !pyname_valid(name)) {
		error_set(e, EXIT_USAGE, "%s:%d: [metadata] name '%s': not a valid project name "
			  "(letters, digits, '.', '_', '-')", path, name_line, name);
		goto out;
	}
	/* setuptools' directives: the version is the built wheel's
	 * (wheel-build(1)), not this text. */
	if (version && (!strncmp(version, "attr:", 5) || !strncmp(version, "file:", 5))) {
		free(version);
		version = NULL;
	}
	/* No warning for "foo-base" or "Foo_Base": image-plan(1) matches
	 * extras as pip normalises names, and installs each with the
	 * spelling the built wheel declares. */
	project = json_object();
	json_object_set_new(project, "name", name ? json_string(name) : json_null());
	if (version)
		json_object_set_new(project, "version", json_string(version));
	json_object_set_new(project, "dir", json_string(absdir));
	json_object_set_new(project, "source", json_string("setup.cfg"));
	json_object_set(project, "scripts", g.scripts);
	json_object_set(project, "extras", g.extras);
out:
	cfgparser_free(&cp);
	free(absdir);
	free(name);
	free(version);
	json_decref(g.scripts);
	json_decref(g.script_line);
	json_decref(g.extras);
	json_decref(g.extra_sect);
	return project;
}
