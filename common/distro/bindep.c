/* SPDX-License-Identifier: Apache-2.0 */
#include "distro/bindep.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"

/* A cursor over one line (without its newline). */
struct cur {
	const char *line;
	size_t len, pos;
	int lineno;
	bool ascii;       /* no byte >= 0x80: a column is pos + 1 */
	size_t rule_cons; /* where this line's constraints start in f->cons */
	struct bindep_file *f;
	const char *name;        /* the file, for messages */
	struct pbrx_error *e;
};

static int column(const struct cur *c, size_t pos)
{
	int col = 1;

	if (c->ascii)
		return (int)(pos < c->len ? pos : c->len) + 1;
	/* Columns count characters, as bindep's parser reports them. */
	for (size_t i = 0; i < pos && i < c->len; i++)
		if (((unsigned char)c->line[i] & 0xC0) != 0x80)
			col++;
	return col;
}

static bool fail(struct cur *c, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool fail(struct cur *c, size_t pos, const char *fmt, ...)
{
	va_list ap;
	char what[512];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	error_set(c->e, EXIT_USAGE, "%s:%d:%d: %s", c->name, c->lineno, column(c, pos), what);
	return false;
}

static int peek(const struct cur *c) { return c->pos < c->len ? (unsigned char)c->line[c->pos] : '\n'; }
static bool at_end(const struct cur *c) { return c->pos >= c->len; }

/* The character classes of bindep's grammar, in the C locale the tools
 * run in (no setlocale): ASCII only, so plain range tests, inlined. */
static inline bool is_digit(int ch) { return ch >= '0' && ch <= '9'; }
static inline bool is_upper(int ch) { return ch >= 'A' && ch <= 'Z'; }
static inline bool is_lower(int ch) { return ch >= 'a' && ch <= 'z'; }
static inline bool is_alnum(int ch) { return is_lower(ch) || is_upper(ch) || is_digit(ch); }

static inline bool is_name_char(int ch)
{
	return is_alnum(ch) || ch == '.' || ch == '+' || ch == '-' || ch == '_' || ch == '/';
}

static inline bool is_profile_char(int ch)
{
	return is_lower(ch) || is_digit(ch) || ch == ':' || ch == '-' || ch == '.';
}

/* A printable rendering of the character at pos for messages. */
static const char *shown(const struct cur *c, size_t pos, char buf[16])
{
	int ch = pos < c->len ? (unsigned char)c->line[pos] : '\n';

	if (ch == '\n')
		return "end of line";
	if (ch == '\t')
		return "a tab";
	if (ch == '\0')
		return "a NUL byte";
	if (ch < 0x20 || ch == 0x7f) {
		snprintf(buf, 16, "byte 0x%02x", ch);
		return buf;
	}
	if (ch >= 0x80) {
		size_t n = 1;
		while (pos + n < c->len && ((unsigned char)c->line[pos + n] & 0xC0) == 0x80 && n < 4)
			n++;
		snprintf(buf, 16, "'%.*s'", (int)n, c->line + pos);
		return buf;
	}
	snprintf(buf, 16, "'%c'", ch);
	return buf;
}

static size_t skip_spaces(struct cur *c)
{
	size_t n = 0;
	while (peek(c) == ' ' && !at_end(c)) {
		c->pos++;
		n++;
	}
	return n;
}

/* ws? '#' any* : true (and the line consumed) when a comment starts here. */
static bool comment_here(struct cur *c)
{
	size_t save = c->pos;

	skip_spaces(c);
	if (!at_end(c) && peek(c) == '#') {
		c->pos = c->len;
		return true;
	}
	c->pos = save;
	return false;
}

/* A profile, appended to the file's profile uses. */
static bool parse_profile(struct cur *c)
{
	struct bindep_file *f = c->f;
	struct bindep_profile *p;
	size_t start;
	char buf[16];

	xgrow((void **)&f->uses, &f->uses_cap, f->nuses + 1, sizeof(*f->uses));
	p = &f->uses[f->nuses];
	memset(p, 0, sizeof(*p));
	p->positive = true;
	p->line = c->lineno;
	p->col = column(c, c->pos);
	if (peek(c) == '!' && !at_end(c)) {
		p->positive = false;
		c->pos++;
	}
	start = c->pos;
	while (!at_end(c) && is_profile_char(peek(c)))
		c->pos++;
	if (!at_end(c) && is_upper(peek(c))) {
		size_t end = c->pos;
		char *lowered;
		bool r;

		while (end < c->len && (is_profile_char((unsigned char)c->line[end]) ||
					is_upper((unsigned char)c->line[end])))
			end++;
		lowered = xstrndup(c->line + start, end - start);
		for (char *q = lowered; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		r = fail(c, c->pos, "profile names are lower case: write '%s'", lowered);
		free(lowered);
		return r;
	}
	if (c->pos == start) {
		if (!p->positive)
			return fail(c, c->pos, "expected a profile name after '!', found %s",
				    shown(c, c->pos, buf));
		return fail(c, c->pos, "expected a profile name, found %s", shown(c, c->pos, buf));
	}
	p->id = intern_add(&f->profiles, c->line + start, c->pos - start, NULL);
	p->name = intern_name(&f->profiles, p->id);
	p->platform = strncmp(p->name, "platform:", 9) == 0;
	f->nuses++;
	return true;
}

/* Spaces are optional between the terms of a selector and around them:
 * bindep's grammar is selector = ws '[' (ws? group)* ws? ']' and
 * group = '(' (ws? profile)* ws? ')' | profile, so "[]" is valid (loci's
 * bindep.txt has one) and "[a !b]" equals "[a!b]". */
/* A term; its profiles are appended to the file's profile uses, in order
 * (bindep_parse points the term at them once the array stops moving). */
static bool parse_term(struct cur *c, struct bindep_term *t, char close)
{
	char buf[16];

	memset(t, 0, sizeof(*t));
	if (peek(c) == '(' && !at_end(c)) {
		if (close == ')')
			return fail(c, c->pos, "groups cannot be nested");
		t->group = true;
		c->pos++;
		for (;;) {
			struct bindep_term inner;

			skip_spaces(c);
			if (peek(c) == ')' && !at_end(c)) {
				c->pos++;
				return true;
			}
			if (at_end(c))
				return fail(c, c->pos, "missing ')' at the end of the line");
			if (!parse_term(c, &inner, ')'))
				return false;
			t->n++;
		}
	}
	if (peek(c) == '\t' && !at_end(c))
		return fail(c, c->pos, "found a tab; bindep separates profiles with spaces");
	if (peek(c) == ',' && !at_end(c))
		return fail(c, c->pos, "found ','; separate profiles with a space, not a comma");
	if (peek(c) == ')' && !at_end(c))
		return fail(c, c->pos, "found ')' without a matching '('");
	if (at_end(c) || !(peek(c) == '!' || is_profile_char(peek(c)) || is_upper(peek(c))))
		return fail(c, c->pos, "expected a profile name or '%c', found %s", close,
			    shown(c, c->pos, buf));
	if (!parse_profile(c))
		return false;
	t->n = 1;
	return true;
}

/* The terms of a selector, appended to the file's terms. */
static bool parse_selector(struct cur *c, struct bindep_rule *r)
{
	struct bindep_file *f = c->f;

	c->pos++; /* '[' */
	for (;;) {
		struct bindep_term t;

		skip_spaces(c);
		if (peek(c) == ']' && !at_end(c)) {
			c->pos++;
			return true;
		}
		if (at_end(c))
			return fail(c, c->pos, "missing ']' at the end of the line");
		if (!parse_term(c, &t, ']'))
			return false;
		xgrow((void **)&f->terms, &f->terms_cap, f->nterms + 1, sizeof(*f->terms));
		f->terms[f->nterms++] = t;
		r->nterms++;
	}
}

/* debversion from bindep's grammar: [epoch ':'] upstream ['-' debian],
 * upstream starting with a digit. */
static bool parse_version(struct cur *c, size_t *end)
{
	size_t p = c->pos, last_hyphen = 0, q;
	const char *s = c->line;
	char buf[16];
	bool hyphen = false;

	q = p;
	while (q < c->len && is_digit((unsigned char)s[q]))
		q++;
	if (q > p && q < c->len && s[q] == ':')
		p = q + 1; /* epoch */
	if (p >= c->len || !is_digit((unsigned char)s[p]))
		return fail(c, p, "a version starts with a digit, found %s", shown(c, p, buf));
	q = p;
	while (q < c->len) {
		int ch = (unsigned char)s[q];
		if (!(is_alnum(ch) || ch == '.' || ch == '+' || ch == '~' || ch == ':' || ch == '-'))
			break;
		if (ch == '-') {
			hyphen = true;
			last_hyphen = q;
		}
		q++;
	}
	if (hyphen) {
		/* The Debian revision after the last '-': letters, digits, . + ~ */
		size_t d = last_hyphen + 1;
		if (d == q)
			return fail(c, d, "expected a Debian revision after '-'");
		for (; d < q; d++)
			if (s[d] == ':')
				return fail(c, d, "':' is not allowed in a Debian revision");
	}
	*end = q;
	return true;
}

static const char *const ops[] = {"<=", "<", "!=", "==", ">=", ">"};

/* The text of line from pos to a comment or its end, with no spaces:
 * how the user's constraints are written right (malloc'd). */
static char *without_spaces(const struct cur *c, size_t pos)
{
	struct buf b = {0};

	for (; pos < c->len && c->line[pos] != '#'; pos++)
		if (c->line[pos] != ' ')
			buf_addc(&b, c->line[pos]);
	return buf_take(&b);
}

/* fail() with a hint that quotes the user's own text, fixed: fmt has one
 * %s for it. */
static bool fail_hint(struct cur *c, size_t pos, const char *fmt, char *fixed)
	__attribute__((format(printf, 3, 0)));
static bool fail_hint(struct cur *c, size_t pos, const char *fmt, char *fixed)
{
	fail(c, pos, fmt, fixed);
	free(fixed);
	return false;
}

/* The constraints, appended to the file's constraints. */
static bool parse_constraints(struct cur *c, struct bindep_rule *r)
{
	struct bindep_file *f = c->f;
	size_t vstart = c->pos;
	char buf[16];

	for (;;) {
		const char *op = NULL;
		size_t end = 0, start;

		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (c->len - c->pos >= strlen(ops[i]) &&
			    strncmp(c->line + c->pos, ops[i], strlen(ops[i])) == 0) {
				op = ops[i];
				break;
			}
		if (!op) {
			if (peek(c) == '=' && !at_end(c))
				return fail(c, c->pos, "write '==' for an exact version, or '>=' / '<='");
			if (peek(c) == ' ' && !at_end(c))
				return fail_hint(c, c->pos, "space in version constraints: write them as %s",
				                 without_spaces(c, vstart));
			return fail(c, c->pos, "expected a version operator (== != < <= > >=), found %s",
				    shown(c, c->pos, buf));
		}
		start = c->pos;
		c->pos += strlen(op);
		if (peek(c) == ' ' && !at_end(c)) {
			/* The operator and the word after the spaces, together. */
			size_t v = c->pos, e;
			while (v < c->len && c->line[v] == ' ')
				v++;
			for (e = v; e < c->len && !strchr(" ,#", c->line[e]); e++)
				;
			return fail_hint(c, c->pos, "no space between the operator and the version: "
			                 "write %s", xasprintf("%s%.*s", op, (int)(e - v), c->line + v));
		}
		if (c->pos < c->len && c->line[c->pos] && strchr("<>=!", c->line[c->pos]))
			return fail(c, start, "unknown operator; use one of == != < <= > >=");
		if (!parse_version(c, &end))
			return false;
		xgrow((void **)&f->cons, &f->cons_cap, f->ncons + 1, sizeof(*f->cons));
		f->cons[f->ncons++] = intern_name(&f->constraints,
						  intern_add(&f->constraints, c->line + start, end - start, NULL));
		r->nconstraints++;
		c->pos = end;
		if (peek(c) != ',' || at_end(c))
			return true;
		c->pos++;
	}
}

/* rule = name selector? version? ('\n' | comment) */
static bool parse_rule(struct cur *c, struct bindep_rule *r)
{
	size_t start = c->pos, name_end;
	char buf[16];

	/* bindep's grammar: letterOrDigit or '/' first (a path: dnf and
	 * zypper install what provides a file), then the other name
	 * characters; a leading '-' or '.' would reach the package manager
	 * as an option or a relative path. */
	if (!at_end(c) && !isalnum(peek(c)) && peek(c) != '/')
		return fail(c, c->pos, "a package name starts with a letter, a digit or '/', found %s",
			    shown(c, c->pos, buf));
	while (!at_end(c) && is_name_char(peek(c)))
		c->pos++;
	if (c->pos - start < 2) {
		if (c->pos == start)
			return fail(c, c->pos, "a package name starts with a letter, a digit or '/', "
				    "found %s", shown(c, c->pos, buf));
		if (at_end(c) || peek(c) == ' ' || peek(c) == '#')
			return fail(c, c->pos, "a package name has at least two characters");
	}
	name_end = c->pos;
	r->pkg = intern_add(&c->f->packages, c->line + start, c->pos - start, NULL);
	r->name = intern_name(&c->f->packages, r->pkg);
	r->line = c->lineno;
	if (at_end(c) || comment_here(c))
		return true;
	if (peek(c) != ' ') {
		if (peek(c) == '\t')
			return fail(c, c->pos, "found a tab; bindep wants a space between the package name and what follows");
		if (peek(c) == '[')
			return fail(c, c->pos, "missing space before '[': write '%s [...]'", r->name);
		if ((peek(c) && strchr("<>=!", peek(c))))
			return fail(c, c->pos, "missing space before the version: write '%s %s...'", r->name,
				    peek(c) == '=' ? "==" : "");
		return fail(c, c->pos, "%s is not allowed in a package name "
			    "(letters, digits and . + - _ / only)", shown(c, c->pos, buf));
	}
	skip_spaces(c);
	if (at_end(c))
		return fail(c, name_end, "trailing space: bindep rejects it; remove it");
	if (peek(c) == '[') {
		if (!parse_selector(c, r))
			return false;
		if (at_end(c) || comment_here(c))
			return true;
		if (peek(c) != ' ')
			return fail(c, c->pos, "expected a space, a comment or the end of the line after ']', found %s",
				    shown(c, c->pos, buf));
		skip_spaces(c);
		if (at_end(c))
			return fail(c, c->pos - 1, "trailing space: bindep rejects it; remove it");
		if (peek(c) == '[')
			return fail(c, c->pos, "a second selector: put all profiles in one [...]");
	}
	if (peek(c) == '#') {
		c->pos = c->len;
		return true;
	}
	if ((peek(c) && strchr("<>=!", peek(c)))) {
		size_t vstart = c->pos;

		if (!parse_constraints(c, r))
			return false;
		if (at_end(c) || comment_here(c))
			return true;
		if (peek(c) == ' ') {
			skip_spaces(c);
			if (at_end(c))
				return fail(c, c->pos - 1, "trailing space: bindep rejects it; remove it");
			if (peek(c) == '[')
				return fail(c, c->pos, "the selector goes before the version: write '%s [...] %s'",
					    r->name, c->f->cons[c->rule_cons]);
			if (peek(c) == ',')
				return fail_hint(c, c->pos, "space in version constraints: write them as %s",
				                 without_spaces(c, vstart));
		}
		return fail(c, c->pos, "expected ',', a comment or the end of the line, found %s",
			    shown(c, c->pos, buf));
	}
	if (peek(c) == '\t')
		return fail(c, c->pos, "found a tab; bindep separates with spaces");
	if (is_alnum(peek(c))) {
		size_t end = c->pos;

		while (end < c->len && is_name_char((unsigned char)c->line[end]))
			end++;
		return fail(c, c->pos, "one package per line: put '%.*s' on its own line",
			    (int)(end - c->pos), c->line + c->pos);
	}
	return fail(c, c->pos, "expected '[', a version constraint or a comment, found %s",
		    shown(c, c->pos, buf));
}

/* Python decodes the file as UTF-8 before bindep sees it.  Notes in
 * c->ascii whether the line is plain ASCII (the usual case). */
static bool check_utf8(const char *s, size_t len, struct cur *c)
{
	size_t i = 0;

	c->ascii = true;
	while (i < len) {
		unsigned char b;
		size_t n;
		unsigned cp;
		uint64_t word;

		/* Eight ASCII bytes at a time: nearly every line is ASCII. */
		if (len - i >= 8) {
			memcpy(&word, s + i, 8);
			if (!(word & 0x8080808080808080ULL)) {
				i += 8;
				continue;
			}
		}
		b = (unsigned char)s[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		c->ascii = false;
		if (b >= 0xC2 && b <= 0xDF) {
			n = 1;
			cp = b & 0x1F;
		} else if (b >= 0xE0 && b <= 0xEF) {
			n = 2;
			cp = b & 0x0F;
		} else if (b >= 0xF0 && b <= 0xF4) {
			n = 3;
			cp = b & 0x07;
		} else {
			return fail(c, i, "invalid UTF-8 (byte 0x%02x)", b);
		}
		if (i + n >= len)
			return fail(c, i, "invalid UTF-8 (truncated sequence)");
		for (size_t k = 1; k <= n; k++) {
			unsigned char cb = (unsigned char)s[i + k];
			if ((cb & 0xC0) != 0x80)
				return fail(c, i, "invalid UTF-8 (byte 0x%02x)", b);
			cp = (cp << 6) | (cb & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return fail(c, i, "invalid UTF-8 (byte 0x%02x)", b);
		i += n + 1;
	}
	return true;
}

/* The end of the line starting at text[i]: the first '\n' or '\r'.
 * memchr scans a word at a time; a '\r' is rare, so look for it only in
 * the stretch before the next '\n'. */
static size_t line_end(const char *text, size_t len, size_t i)
{
	const char *nl = memchr(text + i, '\n', len - i);
	size_t eol = nl ? (size_t)(nl - text) : len;
	const char *cr = memchr(text + i, '\r', eol - i);

	return cr ? (size_t)(cr - text) : eol;
}

/* Point each rule and term into the file's arrays, now that they no
 * longer move: each line appended its terms, profiles and constraints
 * after the previous line's, so they follow in rule order. */
static void link_rules(struct bindep_file *f)
{
	size_t t = 0, p = 0, k = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct bindep_rule *r = &f->rules[i];

		r->terms = r->nterms ? f->terms + t : NULL;
		t += r->nterms;
		r->constraints = r->nconstraints ? f->cons + k : NULL;
		k += r->nconstraints;
	}
	/* An empty group "()" has no profiles: NULL, as f->uses may be. */
	for (size_t i = 0; i < f->nterms; i++) {
		f->terms[i].profiles = f->terms[i].n ? f->uses + p : NULL;
		p += f->terms[i].n;
	}
}

struct bindep_file *bindep_parse(const char *text, size_t len, const char *name,
                                 struct pbrx_error *e)
{
	struct bindep_file *f = xcalloc(1, sizeof(*f));
	size_t i = 0;
	int lineno = 0;

	while (i < len) {
		struct cur c = {.line = text + i, .lineno = ++lineno, .name = name, .e = e, .f = f,
				.rule_cons = f->ncons};
		size_t eol = line_end(text, len, i);
		struct bindep_rule r = {0};

		c.len = eol - i;
		/* Universal newlines: "\r\n", "\r" and "\n" each end a line. */
		if (eol + 1 < len && text[eol] == '\r' && text[eol + 1] == '\n')
			i = eol + 2;
		else
			i = eol < len ? eol + 1 : eol;
		if (!check_utf8(c.line, c.len, &c))
			goto fail;
		if (comment_here(&c))
			continue;
		if (skip_spaces(&c) > 0 || at_end(&c)) {
			if (at_end(&c))
				continue; /* blank */
			fail(&c, 0, "a package name must start at the beginning of the line: remove the leading spaces");
			goto fail;
		}
		if (peek(&c) == '\t') {
			fail(&c, c.pos, "found a tab; bindep allows only spaces here");
			goto fail;
		}
		if (!parse_rule(&c, &r))
			goto fail;
		xgrow((void **)&f->rules, &f->cap, f->n + 1, sizeof(*f->rules));
		f->rules[f->n++] = r;
	}
	link_rules(f);
	return f;
fail:
	bindep_free(f);
	return NULL;
}

void bindep_free(struct bindep_file *f)
{
	if (!f)
		return;
	free(f->rules);
	free(f->terms);
	free(f->uses);
	free(f->cons);
	intern_free(&f->packages);
	intern_free(&f->profiles);
	intern_free(&f->constraints);
	free(f);
}

bool *bindep_profiles_on(const struct bindep_file *f, char *const *profiles, size_t n)
{
	bool *on = xcalloc(f->profiles.n ? f->profiles.n : 1, sizeof(*on));

	for (size_t i = 0; i < n; i++) {
		size_t id = intern_find(&f->profiles, profiles[i], strlen(profiles[i]));

		if (id != INTERN_NONE)
			on[id] = true;
	}
	return on;
}

enum vote { VOTE_NO, VOTE_YES, VOTE_NONE };

/* bindep's Depends._evaluate over one partition.  A group (all members
 * must match, negatives must not) counts on the user side, as bindep's
 * _partition puts it there. */
static enum vote evaluate(const struct bindep_rule *r, bool platform, const bool *on)
{
	bool any = false, positive = false, match = false, group = false, group_match = false;

	for (size_t t = 0; t < r->nterms; t++) {
		const struct bindep_term *term = &r->terms[t];

		if (term->group) {
			bool all = true;

			if (platform)
				continue;
			any = group = true;
			for (size_t k = 0; k < term->n; k++)
				if (term->profiles[k].positive != on[term->profiles[k].id])
					all = false;
			group_match |= all;
			continue;
		}
		if (term->profiles[0].platform != platform)
			continue;
		any = true;
		if (term->profiles[0].positive) {
			positive = true;
			match |= on[term->profiles[0].id];
		} else if (on[term->profiles[0].id]) {
			return VOTE_NO;
		}
	}
	if (!any)
		return VOTE_NONE;
	if (match || group_match || (!group && !positive))
		return VOTE_YES;
	return VOTE_NO;
}

bool bindep_rule_active(const struct bindep_rule *rule, const bool *on)
{
	/* bindep's _include table: any definite "no" excludes, else include. */
	return evaluate(rule, true, on) != VOTE_NO && evaluate(rule, false, on) != VOTE_NO;
}
