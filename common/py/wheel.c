/* SPDX-License-Identifier: Apache-2.0 */
#include "py/wheel.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "py/cfg.h"
#include "py/pyname.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"

/* Members larger than this are not read: no METADATA or extension of a
 * sane wheel comes near it, and a crafted zip must not take the memory. */
#define MEMBER_MAX ((size_t)512 * 1024 * 1024)

int wheel_member_read(struct archive *a, size_t max, char **buf, size_t *len, bool *too_big)
{
	size_t cap = 0, n = 0;
	char *p = NULL;
	la_ssize_t got;

	*too_big = false;
	for (;;) {
		xgrow((void **)&p, &cap, n + 65536 + 1, 1);
		got = archive_read_data(a, p + n, cap - n - 1);
		if (got < 0) {
			free(p);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			free(p);
			*too_big = true;
			return -1;
		}
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

/* The member being read: its whole data, NUL-terminated.  NULL when it
 * is too large or cannot be read (*err set). */
static char *read_member(struct archive *a, struct archive_entry *e, size_t *len, char **err)
{
	char *buf;
	bool too_big = archive_entry_size_is_set(e) &&
	               (size_t)archive_entry_size(e) > MEMBER_MAX;

	if (too_big || wheel_member_read(a, MEMBER_MAX, &buf, len, &too_big) < 0) {
		if (too_big)
			*err = xasprintf("%s: larger than %zu MB", archive_entry_pathname(e),
			                 MEMBER_MAX >> 20);
		else
			*err = xasprintf("%s: %s", archive_entry_pathname(e), archive_error_string(a));
		return NULL;
	}
	return buf;
}

/* Is name "X.dist-info/FILE", the wheel's own metadata directory? */
static bool dist_info_file(const char *name, const char *file)
{
	const char *slash = strchr(name, '/');

	return slash && !strchr(slash + 1, '/') && strcmp(slash + 1, file) == 0 &&
	       slash - name > 10 && strncmp(slash - 10, ".dist-info", 10) == 0;
}

/* A compiled extension or shared library: "x.so" or "libx.so.1". */
static bool shared_object(const char *name)
{
	const char *base = strrchr(name, '/'), *so;
	size_t n;

	base = base ? base + 1 : name;
	n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".so") == 0)
		return true;
	so = strstr(base, ".so.");
	return so && so > base && isdigit((unsigned char)so[4]);
}

/* The DT_NEEDED entries of the ELF object in buf, in order: a new array,
 * or NULL when buf is no ELF file with a dynamic section. */
static json_t *elf_needed(char *buf, size_t len)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	json_t *needed = NULL;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	e = elf_memory(buf, len);
	if (!e)
		return NULL;
	if (elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		return NULL;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC)
			continue;
		if (!needed)
			needed = json_array();
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && shdr.sh_entsize && i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(data, (int)i, &dyn))
				break;
			if (dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED)
				continue;
			s = elf_strptr(e, shdr.sh_link, (size_t)dyn.d_un.d_val);
			if (s)
				json_array_append_new(needed, json_string(s));
		}
	}
	elf_end(e);
	return needed;
}

/* METADATA (RFC 822 style headers, core metadata spec): the fields pbrx
 * uses.  Continuation lines start with white space; the body (after the
 * first empty line) is already cut off by cut_body. */
static void parse_metadata(char *text, json_t *md)
{
	json_t *extras = json_object_get(md, "extras");
	json_t *requires = json_object_get(md, "requires_dist");
	char *save, *line;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon, *v;
		size_t n = strlen(line);

		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (line[0] == ' ' || line[0] == '\t')
			continue;
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcasecmp(line, "Name") == 0 && !json_object_get(md, "name"))
			json_object_set_new(md, "name", json_string(v));
		else if (strcasecmp(line, "Version") == 0 && !json_object_get(md, "version"))
			json_object_set_new(md, "version", json_string(v));
		else if (strcasecmp(line, "Provides-Extra") == 0)
			json_array_append_new(extras, json_string(v));
		else if (strcasecmp(line, "Requires-Dist") == 0)
			json_array_append_new(requires, json_string(v));
	}
}

/* The headers only: cut text at the first empty line. */
static void cut_body(char *text)
{
	char *p = strstr(text, "\n\n"), *q = strstr(text, "\r\n\r\n");

	if (q && (!p || q < p))
		p = q;
	if (p)
		p[1] = '\0';
}

/* entry_points.txt (an INI file): the [console_scripts] lines. */
static bool parse_entry_points(char *text, json_t *scripts, char **err)
{
	bool in_scripts = false;
	char *save, *line;
	int lineno = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);
		json_t *s;
		struct pbrx_error why = {0};

		lineno++;
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			in_scripts = strcmp(line, "[console_scripts]") == 0;
			continue;
		}
		if (!in_scripts)
			continue;
		s = cfg_entry_point(line, &why);
		if (!s) {
			*err = xasprintf("entry_points.txt: %s", why.msg);
			error_free(&why);
			return false;
		}
		json_array_append_new(scripts, s);
	}
	return true;
}

static json_t *extra_requires(const json_t *requires_dist, const char *extra);

/* wheel_read, with what is wrong in *err (malloc'd). */
static json_t *read_wheel(const char *path, char **err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *base = strrchr(path, '/');
	json_t *md = json_object(), *extensions = json_array(), *scripts = json_array();
	char *metadata = NULL, *entry_points = NULL;
	int r;

	*err = NULL;
	json_object_set_new(md, "file", json_string(base ? base + 1 : path));
	json_object_set_new(md, "extras", json_array());
	json_object_set_new(md, "requires_dist", json_array());
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		*err = xasprintf("%s", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		size_t len;
		char *buf;

		if (!name || archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (dist_info_file(name, "METADATA") && !metadata) {
			if (!(metadata = read_member(a, e, &len, err)))
				goto out;
		} else if (dist_info_file(name, "entry_points.txt") && !entry_points) {
			if (!(entry_points = read_member(a, e, &len, err)))
				goto out;
		} else if (shared_object(name) && !strstr(name, ".dist-info/")) {
			json_t *needed;

			if (!(buf = read_member(a, e, &len, err)))
				goto out;
			needed = elf_needed(buf, len);
			if (needed)
				json_array_append_new(extensions, json_pack("{s:s, s:o}", "file", name,
									    "needed", needed));
			free(buf);
		}
	}
	if (r != ARCHIVE_EOF) {
		*err = xasprintf("%s", archive_error_string(a));
		goto out;
	}
	if (!metadata) {
		*err = xasprintf("no *.dist-info/METADATA");
		goto out;
	}
	cut_body(metadata);
	parse_metadata(metadata, md);
	if (!json_object_get(md, "name") || !json_object_get(md, "version")) {
		*err = xasprintf("*.dist-info/METADATA: no Name or no Version");
		goto out;
	}
	if (entry_points && !parse_entry_points(entry_points, scripts, err))
		goto out;
	/* The order a reader wants: who, then what; each extra with the
	 * requirements whose marker names it. */
	{
		json_t *extras = json_object(), *v, *sorted;
		size_t i;

		json_array_foreach(json_object_get(md, "extras"), i, v)
			json_object_set_new(extras, json_string_value(v),
					    extra_requires(json_object_get(md, "requires_dist"),
							   json_string_value(v)));
		json_object_set_new(md, "extras", extras);
		sorted = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
					   "file", json_object_get(md, "file"),
					   "name", json_object_get(md, "name"),
					   "version", json_object_get(md, "version"),
					   "scripts", scripts,
					   "extras", json_object_get(md, "extras"),
					   "requires_dist", json_object_get(md, "requires_dist"),
					   "extensions", extensions);
		json_decref(md);
		md = sorted;
	}
out:
	archive_read_free(a);
	free(metadata);
	free(entry_points);
	json_decref(scripts);
	json_decref(extensions);
	if (*err) {
		json_decref(md);
		return NULL;
	}
	return md;
}

json_t *wheel_read(const char *path, struct pbrx_error *e)
{
	char *why = NULL;
	json_t *md = read_wheel(path, &why);

	if (!md) {
		error_set(e, EXIT_FAIL, "%s", why);
		free(why);
	}
	return md;
}

/* Does marker (after ';') say extra == "want" (normalised)?  Names compared
 * normalised, quotes either kind, either order. */
static bool marker_has_extra(const char *marker, const char *want)
{
	const char *p = marker;

	while ((p = strstr(p, "extra"))) {
		const char *q = p + 5, *end;
		char quote;
		char *got;
		bool same;

		if (p > marker && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) {
			p = q;
			continue;
		}
		while (*q == ' ')
			q++;
		if (strncmp(q, "==", 2) != 0) {
			p = q;
			continue;
		}
		q += 2;
		while (*q == ' ')
			q++;
		quote = *q;
		if (quote != '"' && quote != '\'') {
			p = q;
			continue;
		}
		end = strchr(q + 1, quote);
		if (!end)
			return false;
		got = pyname_canonical(q + 1, (size_t)(end - q - 1));
		same = strcmp(got, want) == 0;
		free(got);
		if (same)
			return true;
		p = end;
	}
	return false;
}

/* The requirements among requires_dist whose marker says extra ==
 * "EXTRA": new reference. */
static json_t *extra_requires(const json_t *requires_dist, const char *extra)
{
	json_t *out = json_array(), *v;
	char *want = pyname_canonical(extra, strlen(extra));
	size_t i;

	json_array_foreach(requires_dist, i, v) {
		const char *req = json_string_value(v), *semi = req ? strchr(req, ';') : NULL;

		if (semi && marker_has_extra(semi + 1, want))
			json_array_append(out, v);
	}
	free(want);
	return out;
}
