/* SPDX-License-Identifier: Apache-2.0 */
/* digest: SHA-256 in lower-case hex, as sha256sum(1) prints it, of a
 * file or of bytes (OpenSSL). */
#ifndef PBRX_DIGEST_H
#define PBRX_DIGEST_H

#include <stddef.h>

struct pbrx_error;

/* 64 hex digits and a NUL. */
#define DIGEST_HEX_LEN 65

/* The hex SHA-256 of file path (malloc'd), or NULL with *err
 * (EXIT_FAIL, "PATH: why"). */
char *digest_file(const char *path, struct pbrx_error *err);
/* The hex SHA-256 of len bytes of data into out. */
void digest_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN]);

#endif
