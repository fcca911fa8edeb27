/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "distro/osrelease.h"
#include "distro/platform.h"

int platform_option(int ch, char *arg, struct platform_choice *c)
{
	switch (ch) {
	case PLATFORM_OPT_OS_RELEASE:
		c->os_release = arg;
		return 1;
	case PLATFORM_OPT_PLATFORM:
		xgrow((void **)&c->platforms, &c->cap, c->nplatforms + 1, sizeof(char *));
		c->platforms[c->nplatforms++] = arg;
		return 1;
	}
	return 0;
}

void platform_choice_free(struct platform_choice *c)
{
	free(c->platforms);
	*c = (struct platform_choice){0};
}

bool platform_name_ok(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++)
		if (!((*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9') ||
		      strchr(":.-_", *name)))
			return false;
	return true;
}

char *platform_atom(const char *arg, struct pbrx_error *e)
{
	char *atom = strncmp(arg, "platform:", 9) == 0 ? xstrdup(arg) : xasprintf("platform:%s", arg);

	if (!atom[9]) {
		free(atom);
		error_set(e, EXIT_USAGE, "--platform '%s': empty name", arg);
		return NULL;
	}
	if (!platform_name_ok(atom + 9)) {
		free(atom);
		error_set(e, EXIT_USAGE, "--platform '%s': lower case letters, digits, ':', '.', "
			  "'_' and '-'", arg);
		return NULL;
	}
	return atom;
}

int platform_add_atoms(json_t *atoms, char *const *args, size_t n, struct pbrx_error *e)
{
	for (size_t i = 0; i < n; i++) {
		char *atom = platform_atom(args[i], e);
		bool dup = false;
		size_t k;
		json_t *v;

		if (!atom)
			return -1;
		json_array_foreach(atoms, k, v)
			dup |= strcmp(json_string_value(v), atom) == 0;
		if (!dup)
			json_array_append_new(atoms, json_string(atom));
		free(atom);
	}
	return 0;
}

json_t *platform_os_release_read(const char *path, struct pbrx_error *e)
{
	size_t len;
	char *text = fs_read(path, &len, e);
	json_t *fields;

	if (!text)
		return NULL;
	fields = osr_parse(text, len, path, e);
	free(text);
	return fields;
}
