/* SPDX-License-Identifier: Apache-2.0 */
#include "doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "xalloc.h"

static const char *doc_name = "<stdin>";

static char *read_all(FILE *f, size_t *len)
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
	if (ferror(f))
		msg_die(EXIT_FAIL, "%s: read error: %s", doc_name, strerror(errno));
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

json_t *doc_parse(const char *buf, size_t len, const char *name)
{
	json_error_t err;
	json_t *doc;

	doc_name = name;
	if (blank(buf, len))
		return json_object();
	/* Duplicate keys would make "which one did the stage read" ambiguous. */
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (!doc)
		msg_die(EXIT_USAGE, "%s:%d:%d: %s", name, err.line, err.column, err.text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		msg_die(EXIT_USAGE, "%s: expected a JSON object at the top level", name);
	}
	return doc;
}

json_t *doc_read(void)
{
	size_t len;
	char *buf;
	json_t *doc;

	if (isatty(STDIN_FILENO))
		return json_object();
	buf = read_all(stdin, &len);
	doc = doc_parse(buf, len, "<stdin>");
	free(buf);
	return doc;
}

void doc_write(const json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2));
	size_t len;

	if (!text)
		msg_die(EXIT_FAIL, "cannot serialise the document");
	len = strlen(text);
	/* One write of the whole text, then a checked flush: a reader that
	 * goes away or a full disk must not look like success. */
	if (fwrite(text, 1, len, stdout) != len || fputc('\n', stdout) == EOF ||
	    fflush(stdout) == EOF || ferror(stdout)) {
		free(text);
		msg_die(EXIT_FAIL, "stdout: write error: %s", strerror(errno));
	}
	free(text);
}

void doc_set(json_t *doc, const char *name, json_t *value)
{
	if (json_object_set_new(doc, name, value) != 0)
		msg_die(EXIT_FAIL, "cannot set section %s", name);
}

void doc_die(const char *path, const char *fmt, ...)
{
	va_list ap;
	char what[512];

	/* Fixed buffers: nothing to leak when a caller catches the exit
	 * (the fuzz harnesses do). */
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	msg_die(EXIT_USAGE, "%s: %s: %s", doc_name, path, what);
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

json_t *doc_want(const json_t *obj, const char *path, const char *key, json_type type)
{
	json_t *v = json_object_get(obj, key);

	if (v && !has_type(v, type)) {
		char full[512];
		snprintf(full, sizeof(full), "%s.%s", path, key);
		doc_die(full, "expected %s", type_name(type));
	}
	return v;
}

json_t *doc_need(const json_t *obj, const char *path, const char *key, json_type type)
{
	json_t *v = doc_want(obj, path, key, type);

	if (!v) {
		char full[512];
		snprintf(full, sizeof(full), "%s.%s", path, key);
		doc_die(full, "missing (expected %s)", type_name(type));
	}
	return v;
}

const char *doc_want_string(const json_t *obj, const char *path, const char *key)
{
	json_t *v = doc_want(obj, path, key, JSON_STRING);
	return v ? json_string_value(v) : NULL;
}

const char *doc_need_string(const json_t *obj, const char *path, const char *key)
{
	return json_string_value(doc_need(obj, path, key, JSON_STRING));
}

void doc_check_strings(const json_t *arr, const char *path)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (!json_is_string(v)) {
			char full[512];
			snprintf(full, sizeof(full), "%s[%zu]", path, i);
			doc_die(full, "expected a string");
		}
}

json_t *doc_strings(char *const *v, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}
