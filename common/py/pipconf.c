/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "py/pipconf.h"

/* pip's options whose values are local paths (pip's cmdoptions: cert,
 * client_cert, constraints, requirements, build constraints, find_links),
 * by their configuration-file spelling: the long option without "--".
 * Values of the append options are split on white space, as pip's
 * ConfigOptionParser splits them. */
static const char *const path_options[] = {
	"cert", "client-cert", "constraint", "requirement", "build-constraint", "find-links",
	NULL,
};

/* Is key (length n) one of path_options?  pip also accepts '_' for '-'. */
static const char *path_option(const char *key, size_t n)
{
	for (size_t i = 0; path_options[i]; i++) {
		const char *o = path_options[i];
		size_t k;

		if (strlen(o) != n)
			continue;
		for (k = 0; k < n; k++)
			if (tolower((unsigned char)key[k]) != o[k] && !(o[k] == '-' && key[k] == '_'))
				break;
		if (k == n)
			return o;
	}
	return NULL;
}

/* Report each white-space separated word of value that is an existing
 * absolute path, or a file:// URL of one. */
static void report_words(const char *option, const char *value, pipconf_path_fn *fn, void *arg)
{
	const char *p = value;

	while (*p) {
		size_t n;
		char *word;
		const char *path;
		struct stat st;

		p += strspn(p, " \t\r\n");
		n = strcspn(p, " \t\r\n");
		if (!n)
			break;
		word = xstrndup(p, n);
		path = strncmp(word, "file://", 7) == 0 ? word + 7 : word;
		if (path[0] == '/' && stat(path, &st) == 0)
			fn(option, path, arg);
		free(word);
		p += n;
	}
}

void pipconf_file_paths(const char *file, pipconf_path_fn *fn, void *arg)
{
	struct pbrx_error e = {0};
	char *text = fs_read(file, NULL, &e), *line, *save;
	const char *option = NULL; /* the option whose value continues */
	struct buf value = {0};

	if (!text) {
		error_free(&e);
		return;
	}
	/* configparser: "key = value" or "key: value"; a line that starts
	 * with white space continues the value before; '#' and ';' begin
	 * comment lines. */
	for (line = strtok_r(text, "\n", &save); ; line = strtok_r(NULL, "\n", &save)) {
		bool continued = line && (*line == ' ' || *line == '\t') &&
		                 line[strspn(line, " \t\r")] != '\0';
		size_t key_len;
		const char *s;

		if (continued) {
			if (option) {
				buf_addc(&value, ' ');
				buf_adds(&value, line);
			}
			continue;
		}
		if (option && value.p)
			report_words(option, value.p, fn, arg);
		option = NULL;
		value.len = 0;
		if (value.p)
			value.p[0] = '\0';
		if (!line)
			break;
		s = line + strspn(line, " \t");
		if (*s == '#' || *s == ';' || *s == '[' || !*s)
			continue;
		key_len = strcspn(s, "=:");
		if (!s[key_len])
			continue;
		while (key_len && isspace((unsigned char)s[key_len - 1]))
			key_len--;
		option = path_option(s, key_len);
		if (option)
			buf_adds(&value, s + strcspn(s, "=:") + 1);
	}
	buf_free(&value);
	free(text);
}

void pipconf_env_paths(const char *entry, pipconf_path_fn *fn, void *arg, bool *is_path)
{
	const char *eq = strchr(entry, '=');
	const char *option;
	char *key;

	if (is_path)
		*is_path = false;
	if (!eq || strncmp(entry, "PIP_", 4))
		return;
	/* PIP_CLIENT_CERT is client-cert: pip maps '_' to '-'. */
	key = xstrndup(entry + 4, (size_t)(eq - entry - 4));
	option = path_option(key, strlen(key));
	free(key);
	if (!option || !strcmp(option, "find-links"))
		return;
	if (is_path)
		*is_path = true;
	report_words(option, eq + 1, fn, arg);
}
