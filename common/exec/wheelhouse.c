/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "exec/wheelhouse.h"
#include "py/pyname.h"
#include "py/wheel.h"

/* What a wheel looked like before the build, to tell reused from built. */
struct wheelhouse_seen {
	char *name;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

static int is_wheel_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 4 && !strcmp(name + n - 4, ".whl");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The wheel file names in the wheelhouse, sorted (C locale). */
static int list_wheels(const struct wheelhouse *wh, struct strv *names, struct pbrx_error *err)
{
	DIR *dir = opendir(wh->dir);
	struct dirent *e;

	if (!dir)
		return error_set(err, EXIT_FAIL, "%s: %s", wh->dir, strerror(errno));
	while ((e = readdir(dir)))
		if (is_wheel_name(e->d_name))
			strv_add(names, e->d_name);
	closedir(dir);
	if (names->n)
		qsort(names->v, names->n, sizeof *names->v, cmp_str);
	return 0;
}

static int stat_wheel(const struct wheelhouse *wh, const char *name, struct stat *st)
{
	char *path = xasprintf("%s/%s", wh->dir, name);
	int r = lstat(path, st);
	free(path);
	return r;
}

/* Note the wheels already in the wheelhouse. */
static int snapshot(struct wheelhouse *wh, struct pbrx_error *err)
{
	struct strv names = {0};
	struct stat st;
	size_t k = 0;

	if (list_wheels(wh, &names, err) < 0)
		return -1;
	wh->before = xcalloc(names.n + 1, sizeof *wh->before);
	for (size_t i = 0; i < names.n; i++) {
		if (stat_wheel(wh, names.v[i], &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		wh->before[k++] = (struct wheelhouse_seen){xstrdup(names.v[i]), st.st_ino, st.st_size,
		                                           st.st_mtim};
	}
	strv_free(&names);
	wh->nbefore = k;
	return 0;
}

int wheelhouse_open(struct wheelhouse *wh, const char *dir, struct pbrx_error *err)
{
	char buf[PATH_MAX];

	if (!dir) {
		const char *tmp = getenv("TMPDIR");
		char *tmpl = xasprintf("%s/pbrx-wheels.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl) || !realpath(tmpl, buf)) {
			error_set(err, EXIT_FAIL, "%s: %s", tmpl, strerror(errno));
			free(tmpl);
			return -1;
		}
		free(tmpl);
		/* The mode a new directory gets (as --wheelhouse's does), not
		 * mkdtemp's 0700: the builder's unprivileged user must read
		 * the wheels it finds there (wheel-build(1)). */
		mode_t mask = umask(0);
		umask(mask);
		chmod(buf, 0777 & ~mask);
		wh->dir = xstrdup(buf);
		wh->temporary = true;
		msg_note("temporary wheelhouse %s", wh->dir);
	} else {
		if ((mkdir(dir, 0777) < 0 && errno != EEXIST) || !realpath(dir, buf))
			return error_set(err, EXIT_FAIL, "--wheelhouse %s: %s", dir, strerror(errno));
		wh->dir = xstrdup(buf);
	}
	if (snapshot(wh, err) < 0) {
		wheelhouse_discard(wh);
		return -1;
	}
	return 0;
}

/* Was name in the snapshot, unchanged?  pip writes a wheel it builds or
 * fetches with shutil.copy (a fresh mtime), and leaves alone one that is
 * already in --wheel-dir; the final chown changes only the ctime. */
static bool unchanged(const struct wheelhouse *wh, const char *name, const struct stat *st)
{
	for (size_t i = 0; i < wh->nbefore; i++) {
		const struct wheelhouse_seen *s = &wh->before[i];
		if (!strcmp(s->name, name))
			return s->ino == st->st_ino && s->size == st->st_size &&
			       s->mtime.tv_sec == st->st_mtim.tv_sec &&
			       s->mtime.tv_nsec == st->st_mtim.tv_nsec;
	}
	return false;
}

/* Distribution (normalised) and version of a wheel file name, PEP 427:
 * NAME-VERSION[-BUILD]-PYTAG-ABITAG-PLATTAG.whl, no '-' inside a part.
 * -1 when name is not of that form. */
static int parse_wheel_name(const char *name, char **dist, char **version)
{
	const char *dash[6];
	size_t n = 0, len = strlen(name) - 4;

	for (size_t i = 0; i < len; i++) {
		if (name[i] != '-')
			continue;
		if (n == 5)
			return -1;
		dash[n++] = name + i;
	}
	if ((n != 4 && n != 5) || dash[0] == name || dash[1] == dash[0] + 1)
		return -1;
	*dist = pyname_canonical(name, (size_t)(dash[0] - name));
	*version = xstrndup(dash[0] + 1, (size_t)(dash[1] - dash[0] - 1));
	return 0;
}

/* Is a wheel of that file name in one of the host's find-links
 * directories?  Then pip copied it. */
static bool in_find_links(const struct wheelhouse *wh, const char *name)
{
	struct stat st;
	bool found = false;

	for (size_t i = 0; wh->links && i < wh->links->n && !found; i++) {
		char *path = xasprintf("%s/%s", wh->links->v[i], name);
		found = stat(path, &st) == 0;
		free(path);
	}
	return found;
}

char *wheelhouse_project_wheel(const struct wheelhouse *wh, const char *project,
                               struct pbrx_error *err)
{
	struct strv names = {0}, cands = {0};
	char *want = project ? pyname_canonical(project, strlen(project)) : NULL;
	char *found = NULL;
	bool found_built = false;

	if (list_wheels(wh, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.n; i++) {
		char *dist, *version;
		struct stat st;
		bool built;

		if (stat_wheel(wh, names.v[i], &st) < 0 || !S_ISREG(st.st_mode) ||
		    parse_wheel_name(names.v[i], &dist, &version) < 0)
			continue;
		built = !unchanged(wh, names.v[i], &st);
		if (want && !strcmp(dist, want) && (built || !found_built)) {
			free(found);
			found = xstrdup(names.v[i]);
			found_built = built;
		} else if (!want && built && !in_find_links(wh, names.v[i])) {
			strv_add(&cands, names.v[i]);
		}
		free(dist);
		free(version);
	}
	if (!want && cands.n == 1) {
		found = xstrdup(cands.v[0]);
		found_built = true;
	} else if (!want) {
		error_set(err, EXIT_FAIL, "%s: cannot tell the project's wheel: %zu wheels were built "
		          "that no find-links directory has%s%s; give the project a name in setup.cfg "
		          "[metadata]", wh->dir, cands.n, cands.n ? ", the first " : "",
		          cands.n ? cands.v[0] : "");
	} else if (!found_built) {
		error_set(err, EXIT_FAIL, "%s: no wheel of %s was built", wh->dir, project);
	}
	if (!found_built) {
		free(found);
		found = NULL;
	}
out:
	strv_free(&names);
	strv_free(&cands);
	free(want);
	return found;
}

json_t *wheelhouse_metadata(const struct wheelhouse *wh, const char *file, bool warn)
{
	char *path = xasprintf("%s/%s", wh->dir, file);
	struct pbrx_error why = {0};
	json_t *md = wheel_read(path, &why);

	if (!md && warn)
		msg_warn("%s: cannot read the wheel: %s; the plan stays as setup.cfg has it",
		         path, why.msg);
	error_free(&why);
	free(path);
	return md;
}

/* The entry of .wheels.files for the wheel name (new reference), NULL
 * (with a warning) when it is no wheel, or NULL with *err. */
static json_t *wheel_entry(const struct wheelhouse *wh, const char *name, struct pbrx_error *err)
{
	char *dist, *version, *path, *sum;
	json_t *entry = NULL;
	struct stat st;
	bool built;

	if (stat_wheel(wh, name, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	if (parse_wheel_name(name, &dist, &version) < 0) {
		msg_warn("%s/%s: not a wheel file name (PEP 427); left out", wh->dir, name);
		return NULL;
	}
	path = xasprintf("%s/%s", wh->dir, name);
	built = !unchanged(wh, name, &st);
	if ((sum = digest_file(path, err))) {
		entry = json_pack("{s:s, s:s, s:s, s:s, s:b}", "file", name, "distribution", dist,
		                  "version", version, "sha256", sum, "built", built);
		msg_note("%s: %s", built ? "built" : "reused", name);
	}
	free(dist);
	free(version);
	free(path);
	free(sum);
	return entry;
}

json_t *wheelhouse_section(const struct wheelhouse *wh, const char *project,
                           struct pbrx_error *err)
{
	struct strv names = {0};
	json_t *files = NULL, *section = NULL, *md;
	char *pw = wheelhouse_project_wheel(wh, project, err);

	if (!pw || list_wheels(wh, &names, err) < 0)
		goto out;
	files = json_array();
	for (size_t i = 0; i < names.n; i++) {
		json_t *entry = wheel_entry(wh, names.v[i], err);
		if (entry)
			json_array_append_new(files, entry);
		else if (err->msg)
			goto out;
	}
	section = json_pack("{s:s, s:b, s:O, s:s}", "wheelhouse", wh->dir,
	                    "temporary", wh->temporary, "files", files, "project_wheel", pw);
	md = wheelhouse_metadata(wh, pw, true);
	if (md)
		json_object_set_new(section, "metadata", md);
out:
	json_decref(files);
	strv_free(&names);
	free(pw);
	return section;
}

/* Does the file end with a zip's end of central directory record?  The
 * copy pip was making when the disk filled up does not. */
static bool zip_complete(int fd, off_t size)
{
	static unsigned char buf[22 + 65535];
	off_t len = size < (off_t)sizeof buf ? size : (off_t)sizeof buf;

	if (len < 22 || pread(fd, buf, (size_t)len, size - len) != len)
		return false;
	for (off_t i = len - 22; i >= 0; i--)
		if (!memcmp(buf + i, "PK\5\6", 4))
			return true;
	return false;
}

/* Remove the wheels pip left unfinished (new or changed since the
 * snapshot, and not a whole zip). */
static void remove_partial_wheels(const struct wheelhouse *wh)
{
	DIR *dir = opendir(wh->dir);
	struct dirent *e;
	struct stat st;
	int fd;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		if (!is_wheel_name(e->d_name))
			continue;
		fd = openat(dirfd(dir), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !unchanged(wh, e->d_name, &st) &&
		    !zip_complete(fd, st.st_size)) {
			if (unlinkat(dirfd(dir), e->d_name, 0) < 0)
				msg_warn("%s/%s: %s", wh->dir, e->d_name, strerror(errno));
			else
				msg_warn("removed the unfinished wheel %s/%s", wh->dir, e->d_name);
		}
		close(fd);
	}
	closedir(dir);
}

void wheelhouse_discard(struct wheelhouse *wh)
{
	if (!wh->dir)
		return;
	if (wh->temporary) {
		fs_remove_tree(wh->dir);
		wh->temporary = false;
	} else if (wh->before) {
		remove_partial_wheels(wh);
	}
}

void wheelhouse_close(struct wheelhouse *wh)
{
	for (size_t i = 0; i < wh->nbefore; i++)
		free(wh->before[i].name);
	free(wh->before);
	free(wh->dir);
	*wh = (struct wheelhouse){0};
}
