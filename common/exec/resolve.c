/* SPDX-License-Identifier: Apache-2.0 */
#include "exec/resolve.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cachedir.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "distro/owners.h"
#include "doc/doc.h"
#include "py/extras.h"
#include "py/install.h"
#include "py/scheme.h"

int resolve_open(struct resolve *rs, const json_t *doc, const char *wheelhouse,
                 struct pbrx_error *e)
{
	const json_t *base = json_object_get(doc, "base");
	const json_t *python = json_object_get(base, "python");
	struct scheme s;
	char *text, *path, *keyed;
	char key[DIGEST_HEX_LEN];
	const char *id;

	memset(rs, 0, sizeof *rs);
	if (!python || json_is_null(python))
		return 0;
	if (scheme_read(python, &s, e) < 0)
		return error_wrap(e, ".base.python");
	scheme_free(&s);
	id = doc_need_string(base, ".base", "id", e);
	if (!id)
		return -1;
	/* The bytecode depends on the interpreter (the image) and on where
	 * the files are installed (the scheme, recorded in each .pyc). */
	text = json_dumps(python, JSON_COMPACT | JSON_SORT_KEYS);
	keyed = xasprintf("%s\n%s\n", id, text);
	digest_hex(keyed, strlen(keyed), key);
	free(keyed);
	rs->key = xstrdup(key);
	if (!(rs->root = cachedir("bytecode", true))) {
		rs->root = xasprintf("%s/.pbrx-bytecode", wheelhouse);
		if (mkdir(rs->root, 0700) < 0 && errno != EEXIST) {
			free(text);
			return error_set(e, EXIT_FAIL, "%s: %s", rs->root, strerror(errno));
		}
	}
	rs->holder = xasprintf("%s/tmp-XXXXXX", rs->root);
	if (!mkdtemp(rs->holder)) {
		error_set(e, EXIT_FAIL, "%s: %s", rs->holder, strerror(errno));
		free(rs->holder);
		rs->holder = NULL;
		free(text);
		return -1;
	}
	/* The builder's unprivileged user writes the answers, whatever user
	 * namespace maps it: the scratch directory is everyone's, inside
	 * one that is this user's alone (mkdtemp's 0700), so no one else on
	 * the host can reach it; the bind mount needs no walk to it. */
	rs->scratch = xasprintf("%s/io", rs->holder);
	if (mkdir(rs->scratch, 0777) < 0 || chmod(rs->scratch, 0777) < 0) {
		error_set(e, EXIT_FAIL, "%s: %s", rs->scratch, strerror(errno));
		fs_remove_tree(rs->holder);
		free(rs->holder);
		free(rs->scratch);
		rs->holder = rs->scratch = NULL;
		free(text);
		return -1;
	}
	path = xasprintf("%s/scheme.json", rs->scratch);
	if (json_dump_file(python, path, JSON_COMPACT | JSON_SORT_KEYS) < 0)
		error_set(e, EXIT_FAIL, "%s: cannot write", path);
	free(path);
	free(text);
	return e->msg ? -1 : 0;
}

/* Add the joined extras of set to rs->sets unless it is there. */
static void add_set(struct resolve *rs, const json_t *set)
{
	struct buf b = {0};
	size_t i;
	json_t *v;

	buf_adds(&b, "");
	json_array_foreach(set, i, v)
		buf_addf(&b, "%s%s", i ? "," : "", json_string_value(v));
	for (i = 0; i < rs->sets.n; i++)
		if (!strcmp(rs->sets.v[i], b.p)) {
			buf_free(&b);
			return;
		}
	strv_push(&rs->sets, buf_take(&b));
}

void resolve_sets(struct resolve *rs, const json_t *md)
{
	const char *name = json_string_value(json_object_get(md, "name"));
	const json_t *scripts = json_object_get(md, "scripts"), *sc;
	struct extras_index ix;
	const char *base;
	json_t *set, *ex;
	size_t i;

	extras_index_init(&ix, json_object_get(md, "extras"));
	base = name ? extras_base(&ix, name) : NULL;
	set = json_array();
	if (base)
		json_array_append_new(set, json_string(base));
	add_set(rs, set);
	/* A script image installs on top of the base image: pip there
	 * keeps what the base has, so its wheels are those of the base's
	 * extras and its own together, less the base's. */
	json_array_foreach(scripts, i, sc) {
		ex = extras_for_script(&ix, base, json_string_value(json_object_get(sc, "name")),
		                       json_object_get(sc, "extras"), NULL, NULL);
		if (json_array_size(ex)) {
			json_t *both = json_deep_copy(set);

			json_array_extend(both, ex);
			add_set(rs, both);
			json_decref(both);
		}
		json_decref(ex);
	}
	json_decref(set);
	extras_index_free(&ix);
}

void resolve_report_argv(const struct resolve *rs, size_t i, const char *wheel,
                         const char *links, struct strv *argv)
{
	static const char *const head[] = {"python3", "-m", "pip", "install", "--dry-run",
	                                   "--quiet", "--no-index", "--no-cache-dir",
	                                   "--find-links"};

	for (size_t k = 0; k < sizeof head / sizeof *head; k++)
		strv_add(argv, head[k]);
	strv_add(argv, links);
	strv_add(argv, "--report");
	strv_push(argv, xasprintf("%s/report-%zu.json", RESOLVE_DIR, i));
	strv_push(argv, *rs->sets.v[i] ? xasprintf("%s[%s]", wheel, rs->sets.v[i])
	                               : xstrdup(wheel));
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The file name of a file: URL's last component, %XX decoded (pip
 * quotes '+' in a local version); NULL when it isn't one. */
static char *url_file(const char *url)
{
	const char *last;
	char *out, *o;

	if (!url || strncmp(url, "file://", 7) || !(last = strrchr(url, '/')))
		return NULL;
	o = out = xstrdup(last + 1);
	for (const char *p = last + 1; *p; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	if (!*out || strchr(out, '/') || strlen(out) < 5 || strcmp(out + strlen(out) - 4, ".whl")) {
		free(out);
		return NULL;
	}
	return out;
}

json_t *resolve_read(const struct resolve *rs, size_t i, const char *wheelhouse,
                     struct pbrx_error *e)
{
	char *path = xasprintf("%s/report-%zu.json", rs->scratch, i), *file, *host;
	json_error_t jerr;
	json_t *report = json_load_file(path, 0, &jerr), *out = NULL, *item;
	const json_t *install = json_object_get(report, "install");
	struct stat st;
	size_t k;

	if (!report || !json_is_array(install)) {
		error_set(e, EXIT_FAIL, "%s: not pip's installation report: %s", path,
		          report ? "no \"install\" array" : jerr.text);
		goto out;
	}
	out = json_array();
	json_array_foreach(install, k, item) {
		const char *url = json_string_value(json_object_get(
			json_object_get(item, "download_info"), "url"));

		/* pip built nothing here: every wheel must be the wheelhouse's. */
		if (!(file = url_file(url))) {
			error_set(e, EXIT_FAIL, "pip's report for %s%s%s%s: %s is no wheel of the "
			          "wheelhouse", "the project", *rs->sets.v[i] ? "[" : "",
			          rs->sets.v[i], *rs->sets.v[i] ? "]" : "", url ? url : "(no URL)");
			json_decref(out);
			out = NULL;
			goto out;
		}
		host = xasprintf("%s/%s", wheelhouse, file);
		if (stat(host, &st) < 0 || !S_ISREG(st.st_mode)) {
			error_set(e, EXIT_FAIL, "pip's report names %s, which the wheelhouse %s lacks",
			          file, wheelhouse);
			free(host);
			free(file);
			json_decref(out);
			out = NULL;
			goto out;
		}
		free(host);
		json_array_append_new(out, json_pack("{s:s, s:b}", "file", file, "requested",
		                                     json_is_true(json_object_get(item, "requested"))));
		free(file);
	}
out:
	json_decref(report);
	free(path);
	return out;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *resolve_inputs(const char *wheelhouse, const char *project_wheel, const json_t *md,
                     struct pbrx_error *e)
{
	json_t *decl = json_pack("{s:O?, s:O?, s:O?, s:O?}", "name", json_object_get(md, "name"),
	                         "version", json_object_get(md, "version"), "extras",
	                         json_object_get(md, "extras"), "requires_dist",
	                         json_object_get(md, "requires_dist"));
	char *text = json_dumps(decl, JSON_COMPACT | JSON_SORT_KEYS), *out = NULL;
	struct strv names = {0};
	struct buf b = {0};
	struct dirent *d;
	DIR *dir = opendir(wheelhouse);

	json_decref(decl);
	if (!dir) {
		error_set(e, EXIT_FAIL, "%s: %s", wheelhouse, strerror(errno));
		free(text);
		return NULL;
	}
	while ((d = readdir(dir))) {
		size_t n = strlen(d->d_name);

		if (n > 4 && !strcmp(d->d_name + n - 4, ".whl") && strcmp(d->d_name, project_wheel))
			strv_add(&names, d->d_name);
	}
	closedir(dir);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_names);
	buf_addf(&b, "%s\n%s\n", project_wheel, text);
	for (size_t k = 0; k < names.n; k++) {
		char *path = xasprintf("%s/%s", wheelhouse, names.v[k]), *sum = digest_file(path, e);

		free(path);
		if (!sum)
			goto out;
		buf_addf(&b, "%s %s\n", names.v[k], sum);
		free(sum);
	}
	out = buf_take(&b);
out:
	buf_free(&b);
	strv_free(&names);
	free(text);
	return out;
}

void resolve_key(const struct resolve *rs, size_t i, const char *builder, const char *inputs,
                 char key[DIGEST_HEX_LEN])
{
	char *text = xasprintf("pbrx %s resolve\n%s\n%s\n%s\n%s", PBRX_VERSION, rs->key, builder,
	                       rs->sets.v[i], inputs);

	digest_hex(text, strlen(text), key);
	free(text);
}

/* Copy file from to to (whole, small): 0, or -1. */
static int copy_small(const char *from, const char *to)
{
	struct pbrx_error e = {0};
	size_t len;
	char *data = fs_read(from, &len, &e);
	int rc = data ? fs_write_whole(to, data, len) : -1;

	error_free(&e);
	free(data);
	return rc;
}

/* Put the answer kept under key into the scratch directory as file: 0,
 * or -1 when none is kept. */
static int recall(const struct resolve *rs, const char *file, const char *key)
{
	char *kept = xasprintf("%s/resolved/%s.json", rs->root, key);
	char *to = xasprintf("%s/%s", rs->scratch, file);
	int rc = access(kept, R_OK) == 0 ? copy_small(kept, to) : -1;

	free(kept);
	free(to);
	return rc;
}

/* Keep the scratch directory's file under key. */
static void keep(const struct resolve *rs, const char *file, const char *key)
{
	char *dir = xasprintf("%s/resolved", rs->root), *kept = xasprintf("%s/%s.json", dir, key);
	char *from = xasprintf("%s/%s", rs->scratch, file);

	/* Only an optimisation: a failure costs the builder's time next
	 * build. */
	if ((mkdir(dir, 0700) == 0 || errno == EEXIST) && copy_small(from, kept) < 0)
		msg_note("cannot keep %s", kept);
	free(from);
	free(kept);
	free(dir);
}

int resolve_recall(const struct resolve *rs, size_t i, const char *key)
{
	char file[64];

	snprintf(file, sizeof file, "report-%zu.json", i);
	return recall(rs, file, key);
}

void resolve_keep(const struct resolve *rs, size_t i, const char *key)
{
	char file[64];

	snprintf(file, sizeof file, "report-%zu.json", i);
	keep(rs, file, key);
}

void resolve_owners_key(const char *builder, const struct strv *sonames,
                        char key[DIGEST_HEX_LEN])
{
	struct buf text = {0};

	buf_addf(&text, "pbrx %s owners\n%s\n", PBRX_VERSION, builder);
	for (size_t i = 0; i < sonames->n; i++)
		buf_addf(&text, "%s\n", sonames->v[i]);
	digest_hex(text.p, text.len, key);
	buf_free(&text);
}

int resolve_recall_owners(const struct resolve *rs, const char *key)
{
	return recall(rs, "owners.json", key);
}

void resolve_keep_owners(const struct resolve *rs, const char *key)
{
	keep(rs, "owners.json", key);
}

/* Each wheel of installs once, in first-use order: a new array of file
 * names. */
static json_t *unique_files(const json_t *installs)
{
	json_t *seen = json_object(), *files = json_array(), *list, *w;
	size_t i, k;

	json_array_foreach(installs, i, list) {
		json_array_foreach(list, k, w) {
			const char *f = json_string_value(json_object_get(w, "file"));

			if (json_object_get(seen, f))
				continue;
			json_object_set_new(seen, f, json_true());
			json_array_append_new(files, json_string(f));
		}
	}
	json_decref(seen);
	return files;
}

/* The cache's directory of the bytecode of wheel file (host), by its
 * SHA-256: malloc'd, or NULL with *e. */
static char *bytecode_of(const struct resolve *rs, const char *wheelhouse, const char *file,
                         struct pbrx_error *e)
{
	char *host = xasprintf("%s/%s", wheelhouse, file), *sum = digest_file(host, e), *dir;

	free(host);
	if (!sum)
		return NULL;
	dir = xasprintf("%s/%s/%s", rs->root, rs->key, sum);
	free(sum);
	return dir;
}

int resolve_compile_argv(const struct resolve *rs, const json_t *installs,
                         const char *wheelhouse, const char *links, struct strv *argv,
                         struct pbrx_error *e)
{
	json_t *files = unique_files(installs), *f;
	struct stat st;
	size_t i;
	int rc = 0;

	json_array_foreach(files, i, f) {
		char *dir = bytecode_of(rs, wheelhouse, json_string_value(f), e);

		if (!dir) {
			rc = -1;
			break;
		}
		if (stat(dir, &st) < 0) {
			if (!argv->n) {
				strv_add(argv, "python3");
				strv_add(argv, "-c");
				strv_add(argv, install_compile_program);
				strv_add(argv, RESOLVE_DIR "/scheme.json");
				strv_add(argv, RESOLVE_DIR "/out");
			}
			strv_push(argv, xasprintf("%s/%s", links, json_string_value(f)));
		}
		free(dir);
	}
	json_decref(files);
	return rc;
}

json_t *resolve_section(struct resolve *rs, const char *wheelhouse, struct pbrx_error *e)
{
	json_t *installs = json_array(), *lists = json_array(), *files = NULL, *f, *out = NULL;
	char *keydir = xasprintf("%s/%s", rs->root, rs->key);
	struct stat st;
	size_t i;

	for (i = 0; i < rs->sets.n; i++) {
		json_t *list = resolve_read(rs, i, wheelhouse, e), *extras = json_array();
		char *copy = xstrdup(rs->sets.v[i]), *save = NULL;

		if (!list) {
			free(copy);
			json_decref(extras);
			goto out;
		}
		for (char *x = strtok_r(copy, ",", &save); x; x = strtok_r(NULL, ",", &save))
			json_array_append_new(extras, json_string(x));
		free(copy);
		json_array_append(lists, list);
		json_array_append_new(installs, json_pack("{s:o, s:o}", "extras", extras,
		                                          "wheels", list));
	}
	if (mkdir(keydir, 0700) < 0 && errno != EEXIST) {
		error_set(e, EXIT_FAIL, "%s: %s", keydir, strerror(errno));
		goto out;
	}
	/* What the builder compiled now goes into the cache, each wheel's
	 * whole: a run beside this one may have put it there first. */
	files = unique_files(lists);
	json_array_foreach(files, i, f) {
		const char *file = json_string_value(f);
		char *dir = bytecode_of(rs, wheelhouse, file, e), *made;

		if (!dir)
			goto out;
		made = xasprintf("%s/out/%s", rs->scratch, file);
		if (stat(dir, &st) < 0 && rename(made, dir) < 0) {
			error_set(e, EXIT_FAIL, "%s: no bytecode for %s (%s)", made, file,
			          strerror(errno));
			free(made);
			free(dir);
			goto out;
		}
		free(made);
		free(dir);
	}
	out = json_pack("{s:O, s:s}", "installs", installs, "bytecode", keydir);
out:
	json_decref(files);
	json_decref(lists);
	json_decref(installs);
	free(keydir);
	return out;
}

void resolve_needed(const json_t *md, struct strv *sonames)
{
	const json_t *exts = json_object_get(md, "extensions"), *ext, *lib, *other;
	size_t i, j, k, n;

	json_array_foreach(exts, i, ext) {
		json_array_foreach(json_object_get(ext, "needed"), j, lib) {
			const char *so = json_string_value(lib);
			bool skip = !so;

			json_array_foreach(exts, k, other) {
				const char *f = json_string_value(json_object_get(other, "file"));
				const char *base = f ? strrchr(f, '/') : NULL;

				skip |= so && f && !strcmp(base ? base + 1 : f, so);
			}
			for (n = 0; !skip && n < sonames->n; n++)
				skip = !strcmp(sonames->v[n], so);
			if (!skip)
				strv_add(sonames, so);
		}
	}
}

void resolve_owners_argv(const struct strv *sonames, struct strv *argv)
{
	strv_add(argv, "python3");
	strv_add(argv, "-c");
	strv_add(argv, owners_program);
	strv_add(argv, RESOLVE_DIR "/owners.json");
	for (size_t i = 0; i < sonames->n; i++)
		strv_add(argv, sonames->v[i]);
}

json_t *resolve_owners(const struct resolve *rs, struct pbrx_error *e)
{
	char *path = xasprintf("%s/owners.json", rs->scratch);
	json_error_t jerr;
	json_t *v = json_load_file(path, 0, &jerr), *o;
	size_t i;
	bool ok = json_is_array(v);

	json_array_foreach(v, i, o)
		ok &= json_is_string(json_object_get(o, "soname")) &&
		      json_is_boolean(json_object_get(o, "essential"));
	if (!ok) {
		error_set(e, EXIT_FAIL, "%s: not the owners' list: %s", path,
		          v ? "unexpected shape" : jerr.text);
		json_decref(v);
		v = NULL;
	}
	free(path);
	return v;
}

void resolve_close(struct resolve *rs)
{
	if (rs->holder)
		fs_remove_tree(rs->holder);
	free(rs->scratch);
	free(rs->holder);
	free(rs->root);
	free(rs->key);
	strv_free(&rs->sets);
	memset(rs, 0, sizeof *rs);
}
