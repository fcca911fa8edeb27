/* SPDX-License-Identifier: Apache-2.0 */
#include "py/record.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "py/pystr.h"

void record_add(struct record *r, const char *path, const char *hash, const char *size)
{
	struct record_row *row;

	xgrow((void **)&r->v, &r->cap, r->n + 1, sizeof *r->v);
	row = &r->v[r->n++];
	row->path = xstrdup(path);
	row->hash = xstrdup(hash);
	row->size = xstrdup(size);
}

void record_free(struct record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].hash);
		free(r->v[i].size);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* One line by Python's csv module, excel dialect (delimiter ',', quote
 * '"' doubled inside quotes, strict off: a character after a closing
 * quote joins the field), its fields into f.  The line holds no line
 * break: str.splitlines() cut them.  Returns 0, or -1 for an
 * unterminated quote. */
static int csv_line(const char *s, size_t n, struct strv *f)
{
	enum { START, FIELD, QUOTED, QUOTE_IN_QUOTED } st = START;
	struct buf b = {0};

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		switch (st) {
		case START:
			if (c == '"') {
				st = QUOTED;
				break;
			}
			if (c == ',') {
				strv_add(f, "");
				break;
			}
			buf_addc(&b, c);
			st = FIELD;
			break;
		case FIELD:
			if (c == ',') {
				strv_push(f, buf_take(&b));
				st = START;
			} else {
				buf_addc(&b, c);
			}
			break;
		case QUOTED:
			if (c == '"')
				st = QUOTE_IN_QUOTED;
			else
				buf_addc(&b, c);
			break;
		case QUOTE_IN_QUOTED:
			if (c == '"') {
				buf_addc(&b, '"');
				st = QUOTED;
			} else if (c == ',') {
				strv_push(f, buf_take(&b));
				st = START;
			} else {
				buf_addc(&b, c);
				st = FIELD;
			}
			break;
		}
	}
	if (st == QUOTED) {
		buf_free(&b);
		return -1;
	}
	/* The end of the line ends the last field, an empty one after ','. */
	strv_push(f, buf_take(&b));
	return 0;
}

int record_parse(const char *text, size_t len, const char *name, struct record *r,
                 struct pbrx_error *e)
{
	size_t pos = 0, n, lineno = 0;
	const char *line;

	if (!pystr_utf8_valid(text, len))
		return error_set(e, EXIT_USAGE, "%s: not UTF-8 text", name);
	while (pystr_next_line(text, len, &pos, &line, &n)) {
		struct strv f = {0};

		lineno++;
		/* csv.reader gives [] for an empty line, and pip then fails on
		 * row[0]. */
		if (!n)
			return error_set(e, EXIT_USAGE, "%s:%zu: empty line", name, lineno);
		if (csv_line(line, n, &f) < 0) {
			strv_free(&f);
			return error_set(e, EXIT_USAGE, "%s:%zu: unterminated quote", name,
			                 lineno);
		}
		record_add(r, f.v[0], f.n > 1 ? f.v[1] : "", f.n > 2 ? f.v[2] : "");
		strv_free(&f);
	}
	return 0;
}

/* urlsafe base64 of data, no padding (PEP 376 as PEP 427 uses it). */
static char *b64_urlsafe(const unsigned char *md, unsigned len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock((unsigned char *)out, md, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

static char *digest(const EVP_MD *md, const void *data, size_t len)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(data, len, h, &n, md, NULL);
	return b64_urlsafe(h, n);
}

char *record_hash(const void *data, size_t len)
{
	char *d = digest(EVP_sha256(), data, len);
	char *out = xconcat("sha256=", d, (char *)NULL);

	free(d);
	return out;
}

int record_check(const char *hash, const void *data, size_t len, struct pbrx_error *e)
{
	const char *eq = strchr(hash, '=');
	char *algo, *got;
	const EVP_MD *md;
	size_t want_len;
	int same;

	if (!eq || eq == hash)
		return error_set(e, EXIT_USAGE, "hash '%s' is not ALGORITHM=DIGEST", hash);
	algo = xstrndup(hash, (size_t)(eq - hash));
	/* PEP 427: "md5 and sha1 are not permitted". */
	if (!strcasecmp(algo, "md5") || !strcasecmp(algo, "sha1") ||
	    !(md = EVP_get_digestbyname(algo))) {
		error_set(e, EXIT_USAGE, "hash algorithm '%s': unknown, or forbidden by the wheel spec", algo);
		free(algo);
		return -1;
	}
	free(algo);
	got = digest(md, data, len);
	want_len = strlen(eq + 1);
	/* Padding is not in the spec, but harmless. */
	while (want_len && eq[want_len] == '=')
		want_len--;
	same = strlen(got) == want_len && !memcmp(got, eq + 1, want_len);
	free(got);
	return same;
}

static int compare_rows(const void *a, const void *b)
{
	const struct record_row *x = a, *y = b;
	int c;

	/* Python compares str by code point, which is UTF-8's byte order. */
	if ((c = strcmp(x->path, y->path)))
		return c;
	if ((c = strcmp(x->hash, y->hash)))
		return c;
	return strcmp(x->size, y->size);
}

/* A field as csv.writer's QUOTE_MINIMAL writes it: quoted when it holds
 * the delimiter, the quote or a character of the line terminator. */
static void csv_field(struct buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

char *record_text(struct record *r, size_t *len)
{
	struct buf b = {0};

	if (r->n)
		qsort(r->v, r->n, sizeof *r->v, compare_rows);
	buf_adds(&b, "");
	for (size_t i = 0; i < r->n; i++) {
		csv_field(&b, r->v[i].path);
		buf_addc(&b, ',');
		csv_field(&b, r->v[i].hash);
		buf_addc(&b, ',');
		csv_field(&b, r->v[i].size);
		buf_adds(&b, "\r\n");
	}
	*len = b.len;
	return buf_take(&b);
}
