/* SPDX-License-Identifier: Apache-2.0 */
/* doc: the JSON document every stage reads on stdin, extends with its own
 * top-level section and writes to stdout (see pbrx-document(5)).
 *
 * Ownership: functions returning json_t * say "new" (caller owns a
 * reference) or "borrowed" (valid while the parent lives).  Bad input is
 * reported here, once, with the JSON path, and exits EXIT_USAGE. */
#ifndef PBRX_DOC_H
#define PBRX_DOC_H

#include <jansson.h>
#include <stdbool.h>

/* The base image when neither --base-image nor the document names one:
 * the original pbrx's default.  image-inspect looks it up, image-plan
 * plans on it; this is its one spelling. */
#define DOC_DEFAULT_BASE_IMAGE "python:alpine"

/* Read the document from stdin: a JSON object, or {} when stdin is a
 * terminal or empty.  New reference.  Dies on bad JSON with
 * "<stdin>:LINE:COL: message". */
json_t *doc_read(void);
/* Parse a document from a buffer; name is used in messages.  New. */
json_t *doc_parse(const char *buf, size_t len, const char *name);
/* Write doc to stdout, indented, keys in insertion order, all at once,
 * and check the write; dies with EXIT_FAIL when stdout fails. */
void doc_write(const json_t *doc);
/* The text doc_write writes, without its final newline: byte for byte
 * json_dumps(doc, JSON_INDENT(2)).  Caller owns it (free); *len is its
 * length. */
char *doc_dump(const json_t *doc, size_t *len);
/* Set or replace top-level section name of doc; steals value.  A replaced
 * section keeps its position, so re-running a stage is stable. */
void doc_set(json_t *doc, const char *name, json_t *value);

/* Member key of object obj (whose path is path, e.g. ".bindep"), which
 * must have JSON type type.  Borrowed.  doc_need dies when it is
 * missing; doc_want returns NULL then.  Both die on a wrong type. */
json_t *doc_need(const json_t *obj, const char *path, const char *key, json_type type);
json_t *doc_want(const json_t *obj, const char *path, const char *key, json_type type);
/* The same for a string member; the string is borrowed. */
const char *doc_need_string(const json_t *obj, const char *path, const char *key);
const char *doc_want_string(const json_t *obj, const char *path, const char *key);
/* Die unless every element of array arr (at path) is a string. */
void doc_check_strings(const json_t *arr, const char *path);
/* Die with "<stdin>: PATH: message" (bad input, EXIT_USAGE). */
_Noreturn void doc_die(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A JSON array of the strings in v (n of them).  New reference. */
json_t *doc_strings(char *const *v, size_t n);

#endif
