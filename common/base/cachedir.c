/* SPDX-License-Identifier: Apache-2.0 */
#include "base/cachedir.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xalloc.h"

/* mkdir -p path, 0700 for what it makes. */
static int make_dirs(char *path)
{
	for (char *p = strchr(path + 1, '/');; p = strchr(p + 1, '/')) {
		if (p)
			*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			if (p)
				*p = '/';
			return -1;
		}
		if (!p)
			return 0;
		*p = '/';
	}
}

char *cachedir(const char *kind, bool make)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	char *dir;

	if (xdg && xdg[0] == '/') {
		dir = xasprintf("%s/pbrx/%s", xdg, kind);
	} else {
		if ((!home || home[0] != '/') && (pw = getpwuid(getuid())))
			home = pw->pw_dir;
		if (!home || home[0] != '/')
			return NULL;
		dir = xasprintf("%s/.cache/pbrx/%s", home, kind);
	}
	if (make && make_dirs(dir) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}
