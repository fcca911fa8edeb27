/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/spawn.h"
#include "base/xalloc.h"
#include "py/project.h"

/* stdout of "git -C dir ARGS..." with trailing newlines removed, or
 * NULL when git is missing, fails, prints nothing or prints more than
 * one line. */
static char *git(const char *dir, const char *const *args)
{
	const char *argv[16] = {"git", "-C", dir};
	struct spawn_spec s = {.argv = (char *const *)argv, .out = SPAWN_CAPTURE};
	struct spawn_result r = {0};
	struct pbrx_error e = {0};
	size_t n = 3, len;
	char *out = NULL;
	int status;

	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	status = spawn_run(&s, &r, &e);
	error_free(&e);
	len = r.out.len;
	while (len > 0 && (r.out.p[len - 1] == '\n' || r.out.p[len - 1] == '\r'))
		len--;
	if (status == 0 && len > 0 && !memchr(r.out.p, '\n', len))
		out = xstrndup(r.out.p, len);
	spawn_result_free(&r);
	return out;
}

char *project_public_url(char *url)
{
	char *scheme = strstr(url, "://"), *at, *slash;

	if (!scheme)
		return url;
	slash = strchr(scheme + 3, '/');
	at = strchr(scheme + 3, '@');
	if (at && (!slash || at < slash))
		memmove(scheme + 3, at + 1, strlen(at + 1) + 1);
	return url;
}

/* t as RFC 3339 UTC, or NULL when out of range. */
static json_t *rfc3339(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	return json_string(buf);
}

static bool parse_epoch(const char *s, long long *t)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 12)
		return false;
	errno = 0;
	*t = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* Can git find a repository for dir: a .git in it or above, or GIT_DIR
 * set?  Without one, starting git (a few ms each) can only fail. */
static bool in_work_tree(const char *dir)
{
	char *path = xstrdup(dir), *slash;
	struct stat st;
	bool found = getenv("GIT_DIR") != NULL;

	while (!found) {
		char *git_path = xasprintf("%s/.git", path);
		found = lstat(git_path, &st) == 0;
		free(git_path);
		slash = strrchr(path, '/');
		if (!slash)
			break;
		if (slash == path) {
			if (!path[1])
				break;
			path[1] = '\0';
		} else {
			*slash = '\0';
		}
	}
	free(path);
	return found;
}

/* {"revision", "source"} of dir's checkout, or null; *ct: the commit
 * time (malloc'd) or NULL. */
static json_t *git_facts(const char *dir, char **ct)
{
	static const char *const head[] = {"rev-parse", "--verify", "-q", "HEAD", NULL};
	static const char *const when[] = {"log", "-1", "--format=%ct", "HEAD", NULL};
	static const char *const origin[] = {"config", "--get", "remote.origin.url", NULL};
	static const char *const remotes[] = {"remote", NULL};
	char *rev = in_work_tree(dir) ? git(dir, head) : NULL, *url;
	json_t *g;

	*ct = NULL;
	if (!rev)
		return json_null();
	url = git(dir, origin);
	if (!url) {
		/* No origin: the only remote, if there is just one. */
		char *names = git(dir, remotes);
		if (names) {
			char *key = xasprintf("remote.%s.url", names);
			const char *get[] = {"config", "--get", key, NULL};
			url = git(dir, get);
			free(key);
		}
		free(names);
	}
	g = json_object();
	json_object_set_new(g, "revision", json_string(rev));
	json_object_set_new(g, "source", url ? json_string(project_public_url(url)) : json_null());
	*ct = git(dir, when);
	free(rev);
	free(url);
	return g;
}

/* Is text[i, i + len) a word: no letter or digit on either side? */
static bool word_at(const char *text, size_t n, size_t i, size_t len)
{
	return (i == 0 || !isalnum((unsigned char)text[i - 1])) &&
	       (i + len == n || !isalnum((unsigned char)text[i + len]));
}

/* Does text (n bytes) ask for git in the builder?  The word "git" (a
 * requirement "git+https://", a setup.py running git or importing
 * GitPython's git, a .git URL; not "github", "gitlab" or "digit"), or
 * the name of a tool that reads the version from the work tree: pbr,
 * setuptools_scm and the other *-scm plugins, hatch-vcs and the other
 * *-vcs ones, versioneer, dunamai.  Case-insensitive; a word in a
 * comment counts too: a needless git costs time, a missing one the
 * build. */
static bool asks_for_git(const char *text, size_t n)
{
	static const char *const words[] = {"git", "pbr", "scm", "vcs", "versioneer", "dunamai",
					    NULL};

	for (size_t i = 0; i < n; i++)
		for (size_t w = 0; words[w]; w++) {
			size_t len = strlen(words[w]);

			if (i + len <= n && !strncasecmp(text + i, words[w], len) &&
			    word_at(text, n, i, len))
				return true;
		}
	return false;
}

/* Does pip need git in the builder?  pip runs it for a "git+"
 * requirement; pbr, setuptools-scm and the like run it for the version
 * when the source is a git work tree (only the project directory is
 * mounted, so only its own .git counts).  git costs the builder some 20
 * packages (perl among them), so it is left out when neither can
 * happen: asks_for_git() finds none of it in the files pip and the
 * build read.  A build that runs git some other way asks for it in
 * bindep.txt ("git [compile]"). */
static bool needs_git(const char *dir)
{
	static const char *const files[] = {"setup.cfg", "setup.py", "pyproject.toml",
					    "requirements.txt", NULL};
	struct pbrx_error e = {0};
	struct stat st;
	char *path = xasprintf("%s/.git", dir);
	bool work_tree = lstat(path, &st) == 0, need = false;

	free(path);
	for (size_t i = 0; !need && files[i]; i++) {
		size_t n;
		char *text;

		path = xasprintf("%s/%s", dir, files[i]);
		text = fs_read(path, &n, &e);
		free(path);
		error_free(&e);
		if (!text)
			continue;
		/* Outside a work tree only a requirement from git needs it. */
		need = work_tree ? asks_for_git(text, n) : memmem(text, n, "git+", 4) != NULL;
		free(text);
	}
	return need;
}

/* Is dir/name a regular file (or a link to one)? */
static bool regular(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool r = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The sorted names "Dockerfile.NAME" of dir's regular files.  A
 * directory that cannot be listed (execute but no read permission) is
 * asked for Dockerfile.SCRIPT of each script in scripts instead. */
static json_t *dockerfiles(const char *dir, const json_t *scripts)
{
	json_t *found = json_array(), *out = json_array(), *v;
	DIR *d = opendir(dir);
	json_t **names;
	size_t i, n;

	if (d) {
		struct dirent *e;

		while ((e = readdir(d)))
			if (strncmp(e->d_name, "Dockerfile.", 11) == 0 && regular(dir, e->d_name))
				json_array_append_new(found, json_string(e->d_name));
		closedir(d);
	} else {
		json_array_foreach(scripts, i, v) {
			const char *s = json_string_value(json_object_get(v, "name"));
			char *name = s ? xconcat("Dockerfile.", s, NULL) : NULL;

			if (name && regular(dir, name))
				json_array_append_new(found, json_string(name));
			free(name);
		}
	}
	n = json_array_size(found);
	names = xcalloc(n ? n : 1, sizeof *names);
	json_array_foreach(found, i, v)
		names[i] = v;
	qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++)
		json_array_append(out, names[i]);
	free(names);
	json_decref(found);
	return out;
}

int project_facts(json_t *project, const char *sde, struct pbrx_error *e)
{
	const char *dir = json_string_value(json_object_get(project, "dir"));
	json_t *created = NULL;
	char *ct = NULL;
	long long t;

	if (!dir)
		return error_set(e, EXIT_USAGE, ".project.dir: expected a string");
	if (sde && *sde) {
		if (!parse_epoch(sde, &t))
			return error_set(e, EXIT_USAGE, "SOURCE_DATE_EPOCH '%s': expected seconds "
					 "since 1970-01-01 (digits only)", sde);
		if (!(created = rfc3339(t)))
			return error_set(e, EXIT_USAGE, "time %lld out of range", t);
	}
	json_object_set_new(project, "git", git_facts(dir, &ct));
	if (!created && ct && parse_epoch(ct, &t))
		created = rfc3339(t);
	free(ct);
	json_object_set_new(project, "created", created ? created : json_null());
	json_object_set_new(project, "needs_git", json_boolean(needs_git(dir)));
	json_object_set_new(project, "dockerfiles",
			    dockerfiles(dir, json_object_get(project, "scripts")));
	return 0;
}
