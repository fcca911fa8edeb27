/* SPDX-License-Identifier: Apache-2.0 */
/* doc: the JSON document every stage reads on stdin, extends with its own
 * top-level section and writes to stdout (see pbrx-document(5)).
 *
 * Ownership: functions returning json_t * say "new" (caller owns a
 * reference) or "borrowed" (valid while the parent lives).
 *
 * Errors: bad input is described here, once, with the JSON path, in a
 * struct pbrx_error (EXIT_USAGE: "<stdin>: .plan.images[0]: expected an
 * object"); nothing here prints or exits.  The readers (doc_need,
 * doc_want...) keep the first problem: once *e is set they return NULL
 * without looking, so a reader may read on (jansson takes NULL
 * everywhere) and check e once, where it must stop. */
#ifndef PBRX_DOC_H
#define PBRX_DOC_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

/* The base image when neither --base-image nor the document names one:
 * the original pbrx's default.  image-inspect looks it up, image-plan
 * plans on it; this is its one spelling. */
#define DOC_DEFAULT_BASE_IMAGE "python:alpine"

/* Read the document from stdin: a JSON object, or {} when stdin is a
 * terminal or empty.  New reference; NULL with *e on bad JSON
 * ("<stdin>:LINE:COL: message", EXIT_USAGE) or a read error. */
json_t *doc_read(struct pbrx_error *e);
/* Parse a document from a buffer; name is used in messages.  New; NULL
 * with *e as doc_read says. */
json_t *doc_parse(const char *buf, size_t len, const char *name, struct pbrx_error *e);
/* Write doc to stdout, indented, keys in insertion order, and check the
 * write: 0, or -1 with *e (EXIT_FAIL) when stdout fails. */
int doc_write(const json_t *doc, struct pbrx_error *e);
/* The text doc_write writes, without its final newline: byte for byte
 * json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(15)).  Caller
 * owns it (free); *len is its length. */
char *doc_dump(const json_t *doc, size_t *len);
/* Set or replace top-level section name of doc; steals value.  A replaced
 * section keeps its position, so re-running a stage is stable. */
void doc_set(json_t *doc, const char *name, json_t *value);

/* Member key of object obj (whose path is path, e.g. ".bindep"), which
 * must have JSON type type.  Borrowed.  doc_need sets *e when it is
 * missing; doc_want returns NULL then.  Both set *e on a wrong type.
 * NULL when *e is set, before or now. */
json_t *doc_need(const json_t *obj, const char *path, const char *key, json_type type,
                 struct pbrx_error *e);
json_t *doc_want(const json_t *obj, const char *path, const char *key, json_type type,
                 struct pbrx_error *e);
/* The same for a string member; the string is borrowed. */
const char *doc_need_string(const json_t *obj, const char *path, const char *key,
                            struct pbrx_error *e);
const char *doc_want_string(const json_t *obj, const char *path, const char *key,
                            struct pbrx_error *e);
/* 0 when every element of array arr (at path) is a string, else -1 with
 * *e (and -1 when *e was set already). */
int doc_check_strings(const json_t *arr, const char *path, struct pbrx_error *e);
/* What the document read is called in messages: "<stdin>". */
const char *doc_input_name(void);
/* Set *e, when it is clear, to "<stdin>: PATH: message" (bad input,
 * EXIT_USAGE); a set *e keeps the first problem.  Returns -1. */
int doc_error(struct pbrx_error *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A JSON array of the strings in v (n of them).  New reference. */
json_t *doc_strings(char *const *v, size_t n);

#endif
