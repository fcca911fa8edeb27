/* SPDX-License-Identifier: Apache-2.0 */
/* configparser's grammar (Python 3.11 Lib/configparser.py, RawConfigParser
 * ._read with the defaults: delimiters '=' and ':', comment prefixes '#'
 * and ';' on full lines only, strict, empty lines in values) and
 * BasicInterpolation, written here because inih reads another grammar:
 *  - inih takes any indented line after an option as its continuation;
 *    configparser only a line indented more than the option's key, so
 *    "  a = 1\n  b = 2" is two options there and one ("a", "1\nb = 2")
 *    in inih;
 *  - inih ends a section name at the first ']' and accepts "[]";
 *    configparser ends it at the last ("[a]b]" is "a]b") and rejects
 *    "[]";
 *  - configparser keeps empty lines inside a value, and strips Unicode
 *    white space (NBSP, U+3000...), not only ASCII;
 *  - Debian's libinih holds lines of at most 200 bytes (INI_MAX_LINE)
 *    and parses the rest of a longer line as a line of its own; its
 *    build exports ini_max_line and ini_allow_realloc, so this one alone
 *    could be lifted.
 * The first three are its grammar, not settings: working around them
 * would mean parsing every raw line again beside it.
 * Files are read as UTF-8 (setuptools and pbr open them so): bytes that
 * are not, and a BOM (a character before the first '['), are errors as
 * they are there.  Deliberate differences: a NUL byte is an error
 * (configparser reads it; no real setup.cfg has one), keys that differ
 * only in the case of non-ASCII letters are two keys (str.lower() would
 * make them one), and a value of more than 16 MiB once interpolated is
 * an error (see MAX_VALUE). */
#include "py/cfgparser.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"

/* configparser.MAX_INTERPOLATION_DEPTH */
#define MAX_DEPTH 10
/* Ten levels of "%(a)s%(a)s..." grow a value exponentially: Python would
 * go on until memory ran out, this stops at 16 MiB. */
#define MAX_VALUE (16u << 20)

/* The length of the UTF-8 sequence at s (n bytes left), or 0 when it
 * is not one Python's decoder accepts (overlong, surrogate, > U+10FFFF,
 * truncated).  *cp: the code point. */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* str.isspace() (and re's \s): the code points Python calls white space. */
static bool py_space(unsigned c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 ||
	       c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* The length of the white space character at s[0..n), or 0.  s is valid
 * UTF-8 (checked when read). */
static size_t space_at(const char *s, size_t n)
{
	unsigned c;
	size_t len = utf8_char((const unsigned char *)s, n, &c);

	return len && py_space(c) ? len : 0;
}

/* The length of the white space character ending at s[n-1], or 0. */
static size_t space_before(const char *s, size_t n)
{
	size_t i = n;

	if (n == 0)
		return 0;
	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return 0;
	i--;
	return space_at(s + i, n - i) == n - i ? n - i : 0;
}

void cfgparser_strip(const char **s, size_t *n)
{
	size_t k;

	while (*n && (k = space_at(*s, *n))) {
		*s += k;
		*n -= k;
	}
	while (*n && (k = space_before(*s, *n)))
		*n -= k;
}

/* The first non-space character's index in code points (NONSPACECRE). */
static size_t indent_of(const char *s, size_t n)
{
	size_t chars = 0, k;

	while (n && (k = space_at(s, n))) {
		s += k;
		n -= k;
		chars++;
	}
	return chars;
}

/* key in ASCII lower case, malloc'd.  pbr's optionxform is str.lower():
 * the stricter of the two parsers that read a pbr project's file
 * (setuptools keeps the case). */
static char *fold(const char *key)
{
	char *k = xstrdup(key);

	for (char *p = k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return k;
}

static struct cfgparser_option *find_option(const struct cfgparser_section *s, const char *key,
					    bool any_case)
{
	size_t i;

	if (any_case) {
		char *k = fold(key);
		i = intern_find(&s->folded, k, strlen(k));
		free(k);
	} else {
		i = intern_find(&s->exact, key, strlen(key));
	}
	return i == INTERN_NONE ? NULL : &s->opt[i];
}

const struct cfgparser_section *cfgparser_section(const struct cfgparser *cp, const char *name)
{
	for (size_t i = 0; i < cp->n; i++)
		if (strcmp(cp->sect[i].name, name) == 0)
			return &cp->sect[i];
	return NULL;
}

const struct cfgparser_option *cfgparser_lookup(const struct cfgparser *cp,
						const struct cfgparser_section *s, const char *key)
{
	const struct cfgparser_option *o = s ? find_option(s, key, false) : NULL;

	return o ? o : find_option(&cp->defaults, key, false);
}

/* The whole file, NUL-terminated; *len without the NUL. */
static char *slurp(FILE *f, size_t *len)
{
	struct buf b = {0};
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	buf_addc(&b, '\0');
	*len = b.len - 1;
	return buf_take(&b);
}

/* s[0..n) for a message: one line, control characters as \xNN. */
static char *shown(const char *s, size_t n)
{
	struct buf b = {0};

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			buf_addf(&b, "\\x%02x", c);
		else
			buf_addc(&b, (char)c);
	}
	buf_addc(&b, '\0');
	return buf_take(&b);
}

/* The state of configparser's _read between lines. */
struct reader {
	struct cfgparser *cp;
	struct cfgparser_section *cur; /* cursect, NULL before the first header */
	struct cfgparser_option *opt;  /* optname's option, NULL after a header */
	struct buf val;                /* opt's value so far */
	size_t indent_level;
	int lineno;
};

static void add_line(struct cfgparser_option *o, int lineno)
{
	if ((o->nlines & (o->nlines - 1)) == 0)
		o->lines = xrealloc(o->lines, (o->nlines ? 2 * o->nlines : 1) * sizeof *o->lines);
	o->lines[o->nlines++] = lineno;
}

static void end_value(struct reader *r)
{
	if (r->opt) {
		/* '\n'.join(lines).rstrip() */
		const char *s = r->val.p ? r->val.p : "";
		size_t n = r->val.len;
		size_t k;

		size_t lines = 1;

		while (n && (k = space_before(s, n)))
			n -= k;
		free(r->opt->value);
		r->opt->value = xstrndup(s, n);
		for (size_t i = 0; i < n; i++)
			lines += s[i] == '\n';
		r->opt->nlines = lines;
	}
	r->val.len = 0;
	r->opt = NULL;
}

/* One line (without its line end, valid UTF-8, no NUL). */
static int read_line(struct reader *r, const char *line, size_t len, struct pbrx_error *e)
{
	struct cfgparser *cp = r->cp;
	const char *v = line;
	size_t n = len, indent;

	cfgparser_strip(&v, &n);
	if (n && (v[0] == '#' || v[0] == ';'))
		return 0;
	if (n == 0) {
		if (r->cur && r->opt) {
			buf_addc(&r->val, '\n');
			add_line(r->opt, r->lineno);
		}
		return 0;
	}
	indent = indent_of(line, len);
	if (r->cur && r->opt && indent > r->indent_level) {
		buf_addc(&r->val, '\n');
		buf_add(&r->val, v, n);
		add_line(r->opt, r->lineno);
		return 0;
	}
	r->indent_level = indent;
	end_value(r);
	if (v[0] == '[') {
		/* SECTCRE "\[(?P<header>.+)\]", matched at the start: up to
		 * the last ']', at least one character inside. */
		const char *close = NULL;
		for (size_t i = 2; i < n; i++)
			if (v[i] == ']')
				close = v + i;
		if (close) {
			char *name = xstrndup(v + 1, (size_t)(close - v - 1));
			const struct cfgparser_section *first = cfgparser_section(cp, name);

			if (first) {
				char *s = shown(name, strlen(name));
				error_set(e, EXIT_USAGE, "%s:%d: duplicate section [%s] (first on line %d)",
					  cp->path, r->lineno, s, first->line);
				free(s);
				free(name);
				return -1;
			}
			if (strcmp(name, "DEFAULT") == 0) {
				if (!cp->defaults.line)
					cp->defaults.line = r->lineno;
				r->cur = &cp->defaults;
				free(name);
			} else {
				if (cp->n == cp->cap) {
					cp->cap = cp->cap ? 2 * cp->cap : 8;
					cp->sect = xrealloc(cp->sect, cp->cap * sizeof *cp->sect);
				}
				r->cur = &cp->sect[cp->n++];
				*r->cur = (struct cfgparser_section){.name = name, .line = r->lineno};
			}
			return 0;
		}
	}
	if (!r->cur)
		return error_set(e, EXIT_USAGE, "%s:%d: expected a [SECTION] header before the first "
				 "option", cp->path, r->lineno);
	{
		/* OPTCRE: the key up to the first '=' or ':', white space
		 * around the delimiter dropped. */
		size_t d = 0, kn;
		const char *val;
		size_t vn;
		struct cfgparser_option *first;
		struct cfgparser_section *s = r->cur;
		char *key;
		size_t k;

		while (d < n && v[d] != '=' && v[d] != ':')
			d++;
		kn = d;
		if (d >= n)
			return error_set(e, EXIT_USAGE, "%s:%d: expected [SECTION], NAME = VALUE or an "
					 "indented continuation line", cp->path, r->lineno);
		while (kn && (k = space_before(v, kn)))
			kn -= k;
		if (kn == 0)
			return error_set(e, EXIT_USAGE, "%s:%d: expected a name before '%c'", cp->path,
					 r->lineno, v[d]);
		val = v + d + 1;
		vn = n - d - 1;
		cfgparser_strip(&val, &vn);
		key = xstrndup(v, kn);
		if ((first = find_option(s, key, true))) {
			char *sk = shown(key, kn), *ss = shown(s->name, strlen(s->name));
			error_set(e, EXIT_USAGE, "%s:%d: duplicate option '%s' in section [%s] (first on "
				  "line %d)", cp->path, r->lineno, sk, ss, first->line);
			free(sk);
			free(ss);
			free(key);
			return -1;
		}
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 8;
			s->opt = xrealloc(s->opt, s->cap * sizeof *s->opt);
		}
		r->opt = &s->opt[s->n++];
		*r->opt = (struct cfgparser_option){.key = key, .line = r->lineno};
		add_line(r->opt, r->lineno);
		{
			char *folded = fold(key);
			intern_add(&s->folded, folded, strlen(folded), NULL);
			intern_add(&s->exact, key, kn, NULL);
			free(folded);
		}
		buf_add(&r->val, val, vn);
	}
	return 0;
}

int cfgparser_read(struct cfgparser *cp, const char *path, struct pbrx_error *e)
{
	struct reader r = {.cp = cp};
	FILE *f = fopen(path, "r");
	char *text, *p, *end;
	size_t len;
	int rc = 0;

	cp->path = path;
	cp->defaults.name = xstrdup("DEFAULT");
	if (!f)
		return error_set(e, EXIT_USAGE, "%s: cannot open: %s", path, strerror(errno));
	text = slurp(f, &len);
	if (ferror(f)) {
		rc = error_set(e, EXIT_USAGE, "%s: read error: %s", path, strerror(errno));
		fclose(f);
		free(text);
		return rc;
	}
	fclose(f);
	end = text + len;
	/* Python's text files: lines end at "\n", "\r\n" or "\r". */
	for (p = text; rc == 0 && p < end;) {
		size_t n = strcspn(p, "\r\n");
		const char *next;
		unsigned c;

		if (p + n < end && p[n] == '\0') {
			r.lineno++;
			rc = error_set(e, EXIT_USAGE, "%s:%d: NUL byte", path, r.lineno);
			break;
		}
		next = p + n;
		if (next < end)
			next += next[0] == '\r' && next + 1 < end && next[1] == '\n' ? 2 : 1;
		r.lineno++;
		for (size_t i = 0, k; i < n; i += k)
			if (!(k = utf8_char((const unsigned char *)p + i, n - i, &c))) {
				rc = error_set(e, EXIT_USAGE, "%s:%d: not UTF-8 (byte 0x%02x)", path,
					       r.lineno, (unsigned char)p[i]);
				break;
			}
		if (rc == 0)
			rc = read_line(&r, p, n, e);
		p = (char *)next;
	}
	if (rc == 0)
		end_value(&r);
	buf_free(&r.val);
	free(text);
	return rc;
}

static void free_section(struct cfgparser_section *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->opt[i].key);
		free(s->opt[i].value);
		free(s->opt[i].lines);
	}
	free(s->opt);
	free(s->name);
	intern_free(&s->exact);
	intern_free(&s->folded);
}

void cfgparser_free(struct cfgparser *cp)
{
	free_section(&cp->defaults);
	for (size_t i = 0; i < cp->n; i++)
		free_section(&cp->sect[i]);
	free(cp->sect);
	memset(cp, 0, sizeof *cp);
}

/* An interpolation error of option o (the one asked for) in section s. */
static int interp_error(const struct cfgparser *cp, const struct cfgparser_section *s,
			const struct cfgparser_option *o, struct pbrx_error *e, const char *what,
			const char *text, size_t n)
{
	char *sk = shown(o->key, strlen(o->key)), *ss = shown(s->name, strlen(s->name));
	char *st = shown(text, n);

	error_set(e, EXIT_USAGE, "%s:%d: [%s] %s: %s%s%s%s", cp->path, o->line, ss, sk, what,
		  n ? "'" : "", st, n ? "'" : "");
	free(sk);
	free(ss);
	free(st);
	return -1;
}

/* BasicInterpolation._interpolate_some: rest, the value of an option
 * (the one asked for is o), into out. */
static int interpolate(const struct cfgparser *cp, const struct cfgparser_section *s,
		       const struct cfgparser_option *o, const char *rest, struct buf *out,
		       int depth, struct pbrx_error *e)
{
	if (depth > MAX_DEPTH)
		return interp_error(cp, s, o, e, "more than 10 levels of '%(NAME)s' (a loop?)", "", 0);
	while (*rest) {
		const char *pct = strchr(rest, '%');

		if (!pct) {
			buf_adds(out, rest);
			return 0;
		}
		buf_add(out, rest, (size_t)(pct - rest));
		rest = pct;
		if (rest[1] == '%') {
			buf_addc(out, '%');
			rest += 2;
		} else if (rest[1] == '(') {
			/* _KEYCRE "%\(([^)]+)\)s" */
			const char *close = strchr(rest + 2, ')');
			const struct cfgparser_option *ref;
			char *name;

			if (!close || close == rest + 2 || close[1] != 's')
				return interp_error(cp, s, o, e, "bad interpolation variable reference ",
						    rest, strcspn(rest, "\n"));
			/* optionxform: setuptools' str.  pbr's str.lower()
			 * finds whatever this finds. */
			name = xstrndup(rest + 2, (size_t)(close - rest - 2));
			ref = cfgparser_lookup(cp, s, name);
			if (!ref) {
				interp_error(cp, s, o, e, "no option (in this section or [DEFAULT]) for ", rest,
					     (size_t)(close + 2 - rest));
				free(name);
				return -1;
			}
			free(name);
			rest = close + 2;
			if (out->len > MAX_VALUE)
				return interp_error(cp, s, o, e, "more than 16 MiB once interpolated", "",
						    0);
			if (strchr(ref->value, '%')) {
				if (interpolate(cp, s, o, ref->value, out, depth + 1, e) < 0)
					return -1;
			} else {
				buf_adds(out, ref->value);
			}
		} else {
			return interp_error(cp, s, o, e, "'%' must be followed by '%' or '(', found: ",
					    rest, strcspn(rest, "\n"));
		}
	}
	return 0;
}

char *cfgparser_get(const struct cfgparser *cp, const struct cfgparser_section *s,
		    const struct cfgparser_option *o, struct pbrx_error *e)
{
	struct buf out = {0};

	if (interpolate(cp, s, o, o->value, &out, 1, e) < 0) {
		buf_free(&out);
		return NULL;
	}
	buf_addc(&out, '\0');
	return buf_take(&out);
}

int cfgparser_check_all(const struct cfgparser *cp, struct pbrx_error *e)
{
	/* In setuptools' order: parser.options(section) of each section. */
	for (size_t i = 0; i < cp->n; i++) {
		size_t n;
		const struct cfgparser_option **v = cfgparser_options(cp, &cp->sect[i], 0, &n);
		int rc = 0;

		for (size_t j = 0; rc == 0 && j < n; j++) {
			char *val = cfgparser_get(cp, &cp->sect[i], v[j], e);
			rc = val ? 0 : -1;
			free(val);
		}
		free(v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

const struct cfgparser_option **cfgparser_options(const struct cfgparser *cp,
						  const struct cfgparser_section *s, int pbr,
						  size_t *n)
{
	const struct cfgparser_section *first = pbr ? &cp->defaults : s;
	const struct cfgparser_section *second = pbr ? s : &cp->defaults;
	const struct cfgparser_option **v = xcalloc(first->n + second->n + 1, sizeof *v);
	const struct cfgparser_option *over;
	size_t k = 0;

	for (size_t i = 0; i < first->n; i++)
		/* items(): a DEFAULT key keeps its place, with s's value. */
		v[k++] = pbr && (over = find_option(s, first->opt[i].key, true)) ? over
									     : &first->opt[i];
	for (size_t j = 0; j < second->n; j++)
		if (!find_option(first, second->opt[j].key, pbr))
			v[k++] = &second->opt[j];
	*n = k;
	return v;
}
