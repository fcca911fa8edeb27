/* SPDX-License-Identifier: Apache-2.0 */
#include "doc/doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/msg.h"
#include "base/xalloc.h"

static const char *doc_name = "<stdin>";

static char *read_all(FILE *f, size_t *len, struct pbrx_error *e)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	for (;;) {
		size_t got;

		xgrow((void **)&buf, &cap, n + 65536, 1);
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		error_set(e, EXIT_FAIL, "%s: read error: %s", doc_name, strerror(errno));
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static bool blank(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", buf[i]))
			return false;
	return true;
}

json_t *doc_parse(const char *buf, size_t len, const char *name, struct pbrx_error *e)
{
	json_error_t err;
	json_t *doc;

	doc_name = name;
	if (blank(buf, len))
		return json_object();
	/* Duplicate keys would make "which one did the stage read" ambiguous. */
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (!doc) {
		error_set(e, EXIT_USAGE, "%s:%d:%d: %s", name, err.line, err.column, err.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		error_set(e, EXIT_USAGE, "%s: expected a JSON object at the top level", name);
		return NULL;
	}
	return doc;
}

json_t *doc_read(struct pbrx_error *e)
{
	size_t len;
	char *buf;
	json_t *doc;

	if (isatty(STDIN_FILENO))
		return json_object();
	if (!(buf = read_all(stdin, &len, e)))
		return NULL;
	doc = doc_parse(buf, len, "<stdin>", e);
	free(buf);
	return doc;
}

/* The text being made by doc_dump, or written by doc_write. */
struct text {
	char *buf;
	size_t len, cap;
	FILE *out;    /* doc_write: the buffer goes here each time it fills */
	bool failed;  /* a write to out failed */
};

/* Room for n more bytes and a NUL.  doc_write's buffer is written out
 * rather than grown: a large document (500 images: 800 kB) would
 * otherwise be copied as it doubles, on pages touched for nothing. */
static void room_slow(struct text *t, size_t n)
{
	if (t->out) {
		if (fwrite(t->buf, 1, t->len, t->out) != t->len)
			t->failed = true;
		t->len = 0;
		if (n + 1 <= t->cap)
			return;
	}
	xgrow((void **)&t->buf, &t->cap, t->len + n + 1, 1);
}

static inline void room(struct text *t, size_t n)
{
	if (t->len + n + 1 > t->cap)
		room_slow(t, n);
}

static void put(struct text *t, const char *s, size_t n)
{
	room(t, n);
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static void put_indent(struct text *t, int depth)
{
	room(t, 1 + 2 * (size_t)depth);
	t->buf[t->len++] = '\n';
	memset(t->buf + t->len, ' ', 2 * (size_t)depth);
	t->len += 2 * (size_t)depth;
}

/* jansson's escaping without JSON_ENSURE_ASCII or JSON_ESCAPE_SLASH: '"',
 * '\\' and control characters; UTF-8 as it is (jansson's strings are valid
 * UTF-8, so deciding byte by byte equals its code point loop). */
static void put_string(struct text *t, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0, plain = 0;

	while (plain < n && (unsigned char)s[plain] >= 0x20 && s[plain] != '"' && s[plain] != '\\')
		plain++;
	if (plain == n) {
		/* Nearly every string: nothing to escape, one copy. */
		room(t, n + 2);
		t->buf[t->len++] = '"';
		memcpy(t->buf + t->len, s, n);
		t->len += n;
		t->buf[t->len++] = '"';
		return;
	}
	put(t, "\"", 1);
	for (size_t i = plain; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 0};
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(t, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		put(t, esc, elen);
	}
	put(t, s + run, n - run);
	put(t, "\"", 1);
}

static void put_integer(struct text *t, json_int_t v)
{
	char digits[24], *p = digits + sizeof(digits);
	/* Unsigned, so the most negative value negates without overflow. */
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	put(t, p, (size_t)(digits + sizeof(digits) - p));
}

static void put_value(struct text *t, const json_t *v, int depth)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		void *it = json_object_iter((json_t *)v);

		if (!it) {
			put(t, "{}", 2);
			return;
		}
		put(t, "{", 1);
		while (it) {
			void *next = json_object_iter_next((json_t *)v, it);

			put_indent(t, depth + 1);
			put_string(t, json_object_iter_key(it), json_object_iter_key_len(it));
			put(t, ": ", 2);
			put_value(t, json_object_iter_value(it), depth + 1);
			if (next)
				put(t, ",", 1);
			it = next;
		}
		put_indent(t, depth);
		put(t, "}", 1);
		return;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);

		if (n == 0) {
			put(t, "[]", 2);
			return;
		}
		put(t, "[", 1);
		for (size_t i = 0; i < n; i++) {
			put_indent(t, depth + 1);
			put_value(t, json_array_get(v, i), depth + 1);
			if (i + 1 < n)
				put(t, ",", 1);
		}
		put_indent(t, depth);
		put(t, "]", 1);
		return;
	}
	case JSON_STRING:
		put_string(t, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		put_integer(t, json_integer_value(v));
		return;
	case JSON_TRUE:
		put(t, "true", 4);
		return;
	case JSON_FALSE:
		put(t, "false", 5);
		return;
	case JSON_NULL:
		put(t, "null", 4);
		return;
	case JSON_REAL: {
		/* Rare in a document, and times to a tenth: 15 significant
		 * digits, so that 0.9 reads 0.9, not 0.90000000000000002. */
		char *real = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));

		if (!real)
			msg_die(EXIT_FAIL, "cannot serialise the document");
		put(t, real, strlen(real));
		free(real);
		return;
	}
	}
}

char *doc_dump(const json_t *doc, size_t *len)
{
	struct text t = {0};

	/* Sized for the usual document so the buffer rarely moves. */
	xgrow((void **)&t.buf, &t.cap, 65536, 1);
	put_value(&t, doc, 0);
	t.buf[t.len] = '\0';
	*len = t.len;
	return t.buf;
}

int doc_write(const json_t *doc, struct pbrx_error *e)
{
	struct text t = {.out = stdout};

	/* Written as it is made, once every check of the stage is done;
	 * then a checked flush: a reader that goes away or a full disk must
	 * not look like success. */
	xgrow((void **)&t.buf, &t.cap, 65536, 1);
	put_value(&t, doc, 0);
	put(&t, "\n", 1);
	if (fwrite(t.buf, 1, t.len, stdout) != t.len || t.failed || fflush(stdout) == EOF ||
	    ferror(stdout)) {
		free(t.buf);
		return error_set(e, EXIT_FAIL, "stdout: write error: %s", strerror(errno));
	}
	free(t.buf);
	return 0;
}

void doc_set(json_t *doc, const char *name, json_t *value)
{
	if (json_object_set_new(doc, name, value) != 0)
		msg_die(EXIT_FAIL, "cannot set section %s", name);
}

const char *doc_input_name(void)
{
	return doc_name;
}

int doc_error(struct pbrx_error *e, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *what;

	if (e->msg)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		msg_die(EXIT_FAIL, "out of memory");
	va_end(ap);
	error_set(e, EXIT_USAGE, "%s: %s: %s", doc_name, path, what);
	free(what);
	return -1;
}

static const char *type_name(json_type type)
{
	switch (type) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

static bool has_type(const json_t *v, json_type type)
{
	if (type == JSON_TRUE || type == JSON_FALSE)
		return json_is_boolean(v);
	return json_typeof(v) == type;
}

json_t *doc_want(const json_t *obj, const char *path, const char *key, json_type type,
                 struct pbrx_error *e)
{
	json_t *v;

	if (e->msg)
		return NULL;
	v = json_object_get(obj, key);
	if (v && !has_type(v, type)) {
		char *full = xasprintf("%s.%s", path, key);
		doc_error(e, full, "expected %s", type_name(type));
		free(full);
		return NULL;
	}
	return v;
}

/* The stage that writes top-level section key (pbrx-document(5)), or
 * NULL. */
static const char *writer_of(const char *key)
{
	static const char *const writers[][2] = {
		{"project", "cfg-extras"}, {"base", "image-inspect"}, {"bindep", "bindep-filter"},
		{"plan", "image-plan"}, {"wheels", "wheel-build"}, {"images", "image-assemble"},
	};

	for (size_t i = 0; i < sizeof writers / sizeof *writers; i++)
		if (!strcmp(writers[i][0], key))
			return writers[i][1];
	return NULL;
}

json_t *doc_need(const json_t *obj, const char *path, const char *key, json_type type,
                 struct pbrx_error *e)
{
	json_t *v = doc_want(obj, path, key, type, e);

	if (!v && !e->msg && !*path && !json_object_size(obj)) {
		/* Nothing came: a stage before failed, or none ran. */
		error_set(e, EXIT_USAGE, "%s: empty input: expected a document with .%s, the output "
		          "of the stage before", doc_name, key);
	} else if (!v && !e->msg && !*path && writer_of(key)) {
		/* A document from a pipeline a stage of which failed (and one
		 * after it, bindep-filter, which may start one, went on). */
		char *full = xasprintf(".%s", key);
		doc_error(e, full, "missing: %s writes it; did it run, and succeed?", writer_of(key));
		free(full);
	} else if (!v && !e->msg) {
		char *full = xasprintf("%s.%s", path, key);
		doc_error(e, full, "missing (expected %s)", type_name(type));
		free(full);
	}
	return v;
}

const char *doc_want_string(const json_t *obj, const char *path, const char *key,
                            struct pbrx_error *e)
{
	return json_string_value(doc_want(obj, path, key, JSON_STRING, e));
}

const char *doc_need_string(const json_t *obj, const char *path, const char *key,
                            struct pbrx_error *e)
{
	return json_string_value(doc_need(obj, path, key, JSON_STRING, e));
}

int doc_check_strings(const json_t *arr, const char *path, struct pbrx_error *e)
{
	size_t i;
	json_t *v;

	if (e->msg)
		return -1;
	json_array_foreach(arr, i, v)
		if (!json_is_string(v)) {
			char *full = xasprintf("%s[%zu]", path, i);
			doc_error(e, full, "expected a string");
			free(full);
			return -1;
		}
	return 0;
}

json_t *doc_strings(char *const *v, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}
