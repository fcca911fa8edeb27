/* SPDX-License-Identifier: Apache-2.0 */
/* record: a wheel's RECORD (PEP 376, PEP 427 "The .dist-info
 * directory"), read and written as pip 23.0.1 does: csv.reader over
 * str.splitlines() when reading; when writing, the rows sorted as
 * Python sorts (path, hash, size) tuples, csv.writer's excel dialect
 * (minimal quoting, "\r\n" after each row).  Hashes are "ALGO=DIGEST",
 * the digest urlsafe base64 without padding, made with OpenSSL EVP. */
#ifndef PBRX_RECORD_H
#define PBRX_RECORD_H

#include <stddef.h>

struct pbrx_error;

/* One row; hash and size are "" when the row has none. */
struct record_row {
	char *path, *hash, *size;
};

/* Rows in order.  Zero-initialise; record_free releases. */
struct record {
	struct record_row *v;
	size_t n, cap;
};

/* Append the rows of RECORD text[0..len) (UTF-8, checked) to r, as pip
 * reads them: fields past the third ignored.  An empty line or an
 * unterminated quote, which pip fails on, is an error: "NAME:LINE: why"
 * (EXIT_USAGE), NAME the member's. */
int record_parse(const char *text, size_t len, const char *name, struct record *r,
                 struct pbrx_error *e);

/* Append a row (copies). */
void record_add(struct record *r, const char *path, const char *hash, const char *size);

/* "sha256=DIGEST" of data: what pip writes for files it made or changed.
 * Malloc'd. */
char *record_hash(const void *data, size_t len);

/* Does hash ("ALGO=DIGEST", as in a wheel's RECORD) match data?  1 yes,
 * 0 no; -1 with *e (EXIT_USAGE) when ALGO is unknown to OpenSSL or is
 * md5 or sha1, which the wheel spec forbids. */
int record_check(const char *hash, const void *data, size_t len, struct pbrx_error *e);

/* The RECORD pip writes for rows r (sorted here, in place).  Malloc'd,
 * *len its length. */
char *record_text(struct record *r, size_t *len);

void record_free(struct record *r);

#endif
