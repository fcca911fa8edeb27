/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "doc/doc.h"
#include "engine/engine.h"
#include "exec/dockerfile.h"
#include "exec/rollback.h"

/* Does FROM operand word (n bytes) name earlier image j?  By its ref, by
 * its name (any tag: the Dockerfile means the one built now), and by the
 * name without the prefix, as pbrx's Dockerfiles said "FROM foo-base". */
static bool names_image(const char *word, size_t n, const struct assemble_image *j)
{
	const char *slash = strrchr(j->name, '/');
	const char *local = slash ? slash + 1 : j->name;
	const char *cands[] = {j->ref, j->name, local};

	for (size_t c = 0; c < sizeof cands / sizeof cands[0]; c++) {
		size_t m = strlen(cands[c]);
		if (n >= m && strncmp(word, cands[c], m) == 0 &&
		    (n == m || (c > 0 && word[m] == ':' && memchr(word + m + 1, '/', n - m - 1) == NULL)))
			return true;
	}
	return false;
}

/* text with every FROM that names an earlier plan image (see names_image)
 * pointing at that image's temporary tag, so the build uses the base built
 * in this run and the old tags stay untouched until all images are done.
 * *hits counts the rewritten lines.  Malloc'd. */
static char *rewrite_from(const char *text, const struct assemble_image *imgs, size_t i,
                          int *hits)
{
	struct buf out = {0};
	bool continued = false;
	const char *line = text;

	*hits = 0;
	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t llen = eol ? (size_t)(eol - line + 1) : strlen(line);
		const char *p = line, *end = line + llen, *word = NULL, *repl = NULL;
		size_t wlen = 0;
		bool was_continued = continued;

		/* A line ending in a backslash continues on the next one. */
		{
			const char *q = end;
			while (q > line && strchr("\r\n \t", q[-1]))
				q--;
			continued = q > line && q[-1] == '\\';
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (!was_continued && end - p > 5 && strncasecmp(p, "FROM", 4) == 0 &&
		    (p[4] == ' ' || p[4] == '\t')) {
			p += 4;
			for (;;) {
				while (p < end && (*p == ' ' || *p == '\t'))
					p++;
				word = p;
				while (p < end && !isspace((unsigned char)*p))
					p++;
				wlen = (size_t)(p - word);
				if (wlen < 2 || strncmp(word, "--", 2) != 0)
					break;
			}
			for (size_t j = 0; j < i && wlen; j++) {
				if (names_image(word, wlen, &imgs[j]))
					repl = imgs[j].tmp_ref;
			}
		}
		if (repl) {
			size_t before = (size_t)(word - line);
			buf_add(&out, line, before);
			buf_adds(&out, repl);
			buf_add(&out, word + wlen, llen - before - wlen);
			msg_note("%s: FROM %.*s -> %s", imgs[i].name, (int)wlen, word, repl);
			(*hits)++;
		} else {
			buf_add(&out, line, llen);
		}
		line += llen;
	}
	return buf_take(&out);
}

/* The text of the Dockerfile at path: NULL with *err when it can't be
 * read or holds a NUL byte (EXIT_USAGE). */
static char *read_text(const char *path, struct pbrx_error *err)
{
	size_t len;
	char *s = fs_read(path, &len, err);

	if (s && strlen(s) != len) {
		free(s);
		error_set(err, EXIT_USAGE, "%s: contains a NUL byte", path);
		return NULL;
	}
	return s;
}

char *dockerfile_build(struct engine *e, const struct assemble_image *imgs, size_t i,
                       struct pbrx_error *err)
{
	const struct assemble_image *img = &imgs[i];
	/* Checked by assemble_read(). */
	const char *file = json_string_value(json_object_get(img->plan, "dockerfile"));
	const char *context = json_string_value(json_object_get(img->plan, "context"));
	json_t *config = json_object_get(img->plan, "config");
	char *text, *rewritten, *id = NULL;
	struct engine_build_spec spec = {
		.context_dir = context, .repo_tag = img->tmp_ref, .network_mode = "host",
		.labels = json_object_get(config, "labels"),
		.quiet = msg_verbosity() < 0,
	};
	int hits;

	if (!(text = read_text(file, err)))
		return NULL;
	rewritten = rewrite_from(text, imgs, i, &hits);
	if (hits == 0)
		msg_warn("%s: no FROM line names %s; built as it is", file, imgs[0].name);
	spec.dockerfile = file;
	spec.dockerfile_text = rewritten;
	msg_info("%s: build %s", img->name, file);

	cleanup_lock();
	/* A signal's cleanup waits for the lock: it cancels the build first
	 * (or, when it came before this, the build cancels itself). */
	rollback_building(e);
	id = engine_build(e, &spec);
	rollback_building(NULL);
	/* Cancelled: the signal thread cleans up and ends the process; it
	 * needs the lock. */
	if (!id && cleanup_interrupted())
		cleanup_yield();
	if (!id) {
		error_set(err, EXIT_FAIL, "%s: build %s: %s", img->name, file, engine_error(e));
	} else {
		rollback_add_image(img->tmp_ref);
		cleanup_unlock();
	}

	free(rewritten);
	free(text);
	return id;
}
