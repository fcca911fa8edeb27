/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "py/pipconf.h"

/* pip's options whose values are local paths, by their configuration
 * spelling (the long option without "--") and their variable.  The
 * append options' values are split on white space, as pip's
 * ConfigOptionParser splits them. */
static const struct {
	const char *option, *variable;
} path_options[] = {
	{"cert", "PIP_CERT"},
	{"client-cert", "PIP_CLIENT_CERT"},
	{"constraint", "PIP_CONSTRAINT"},
	{"requirement", "PIP_REQUIREMENT"},
	{"build-constraint", "PIP_BUILD_CONSTRAINT"},
	{"find-links", "PIP_FIND_LINKS"},
};
#define NOPTIONS (sizeof path_options / sizeof path_options[0])
#define FIND_LINKS (NOPTIONS - 1)

/* The number of the option spelt key[0..n) (pip takes '_' for '-' and
 * any case), or NOPTIONS. */
static size_t option_number(const char *key, size_t n)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		const char *o = path_options[i].option;
		size_t k;

		if (strlen(o) != n)
			continue;
		for (k = 0; k < n; k++)
			if (tolower((unsigned char)key[k]) != o[k] && !(o[k] == '-' && key[k] == '_'))
				break;
		if (k == n)
			return i;
	}
	return NOPTIONS;
}

/* The number of the option whose variable entry ("NAME=VALUE") sets, or
 * NOPTIONS. */
static size_t variable_number(const char *entry)
{
	size_t n = strcspn(entry, "=");

	if (!entry[n])
		return NOPTIONS;
	for (size_t i = 0; i < NOPTIONS; i++)
		if (!strncmp(entry, path_options[i].variable, n) && !path_options[i].variable[n])
			return i;
	return NOPTIONS;
}

static void set_value(char **values, size_t i, const char *v, size_t n)
{
	free(values[i]);
	values[i] = xstrndup(v, n);
}

/* configparser's syntax: "key = value" or "key: value" in any section; a
 * line that starts with white space continues the value before it; '#'
 * and ';' begin comment lines.  A later file's value replaces an earlier
 * one, as pip loads them. */
static void read_file(const char *file, char **values)
{
	struct pbrx_error e = {0};
	char *text = fs_read(file, NULL, &e), *line, *save;
	size_t current = NOPTIONS; /* the option whose value continues */

	if (!text) {
		error_free(&e);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *s = line + strspn(line, " \t\r");
		size_t key_len;

		if (s != line && *s) {
			if (current < NOPTIONS) {
				char *joined = xconcat(values[current], " ", s, (char *)NULL);
				free(values[current]);
				values[current] = joined;
			}
			continue;
		}
		current = NOPTIONS;
		if (*s == '#' || *s == ';' || *s == '[' || !*s)
			continue;
		key_len = strcspn(s, "=:");
		if (!s[key_len])
			continue;
		current = option_number(s, strcspn(s, " \t=:"));
		if (current < NOPTIONS)
			set_value(values, current, s + key_len + 1, strlen(s + key_len + 1));
	}
	free(text);
}

/* The path a word of a value names, when it is an existing absolute path
 * or a file:// URL of one; NULL otherwise (an index URL, a relative path
 * pip would not find from the container's directory either). */
static const char *local_path(const char *word)
{
	const char *path = strncmp(word, "file://", 7) == 0 ? word + 7 : word;
	struct stat st;

	return path[0] == '/' && stat(path, &st) == 0 ? path : NULL;
}

/* Each word of value: the find-links directories go to pc->find_links;
 * for the other options, each local path is mounted and the variable
 * names the copies.  A value from a variable that names nothing local
 * is passed as it is (the files' values need nothing: pip in the
 * container reads the files themselves). */
static void carry(struct pipconf *pc, size_t i, const char *value, bool from_env,
                  const char *target_dir)
{
	struct buf out = {0};
	char *copy = xstrdup(value), *save, *word;
	int mapped = 0;

	for (word = strtok_r(copy, " \t\r\n", &save); word; word = strtok_r(NULL, " \t\r\n", &save)) {
		const char *path = local_path(word);

		if (i == FIND_LINKS) {
			if (path)
				strv_add(&pc->find_links, path);
			continue;
		}
		if (out.len)
			buf_addc(&out, ' ');
		if (path) {
			const char *slash = strrchr(path, '/');
			char *target = xasprintf("%s/%zu/%s", target_dir, pc->targets.n + 1,
			                         slash[1] ? slash + 1 : "file");
			strv_add(&pc->sources, path);
			buf_adds(&out, target);
			strv_push(&pc->targets, target);
			mapped = 1;
		} else {
			buf_adds(&out, word);
		}
	}
	if (mapped || (from_env && i != FIND_LINKS))
		strv_push(&pc->env, xconcat(path_options[i].variable, "=", mapped ? out.p : value,
		                            (char *)NULL));
	buf_free(&out);
	free(copy);
}

void pipconf_collect(struct pipconf *pc, char *const *files, char *const *env,
                     const char *target_dir)
{
	char *values[NOPTIONS] = {0}, *from_env[NOPTIONS] = {0};

	*pc = (struct pipconf){0};
	for (; files && *files; files++)
		read_file(*files, values);
	for (; env && *env; env++) {
		size_t i = variable_number(*env);
		if (i < NOPTIONS)
			set_value(from_env, i, strchr(*env, '=') + 1, strlen(strchr(*env, '=') + 1));
	}
	for (size_t i = 0; i < NOPTIONS; i++) {
		/* A variable replaces the files' value; find-links variables are
		 * the caller's (it merges them with its own). */
		if (from_env[i] && i != FIND_LINKS)
			carry(pc, i, from_env[i], true, target_dir);
		else if (values[i])
			carry(pc, i, values[i], false, target_dir);
		free(values[i]);
		free(from_env[i]);
	}
}

void pipconf_free(struct pipconf *pc)
{
	strv_free(&pc->env);
	strv_free(&pc->sources);
	strv_free(&pc->targets);
	strv_free(&pc->find_links);
}

int pipconf_is_path_variable(const char *entry)
{
	return variable_number(entry) < FIND_LINKS;
}
