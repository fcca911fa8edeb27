/* SPDX-License-Identifier: Apache-2.0 */
/* wheel-build: run the plan's builder steps in one container, building
 * wheels of the project and its dependencies into a wheelhouse on the
 * host, and add the "wheels" section to the document.
 * See wheel-build(1) and pbrx-document(5). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doc/doc.h"
#include "doc/plan.h"
#include "engine/engine.h"
#include "engine/layercache.h"
#include "base/buf.h"
#include "base/capture.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/quote.h"
#include "engine/owner.h"
#include "py/pipconf.h"
#include "py/pyname.h"
#include "py/wheel.h"
#include "base/xalloc.h"

/* Where --find-links directories and a PIP_CONFIG_FILE appear inside the
 * builder: under /tmp, its tmpfs. */
#define FIND_LINKS_DIR "/tmp/pbrx/find-links"
#define PIP_CONFIG_TARGET "/tmp/pbrx/pip/pip.conf"
/* Where the files pip's settings name are mounted (py/pipconf.h). */
#define PIP_FILES_DIR "/tmp/pbrx/pip/files"
/* Output kept with -q, shown when a step fails: the last this many bytes. */
#define QUIET_KEEP (256 * 1024)

extern char **environ;

static void usage(FILE *f)
{
	fputs("usage: wheel-build [-hqv] [--version] [--engine ENGINE] [--wheelhouse DIR]"
	      " [--find-links DIR ...]"
	      " [--no-cache]\n", f);
}

/* Everything the cleanup paths need: msg_die's hook and the signal path
 * read it. */
static struct {
	struct engine *d;
	struct engine *child_d; /* the connection of the process running steps */
	char *container;   /* ID of the builder, once created */
	char *wheelhouse;  /* absolute host path */
	bool temporary;    /* made here: removed on failure */
	const char *target;/* the wheelhouse inside the builder */
	bool in_child;     /* the process running the steps: no cleanup */
	bool wrote_wheels; /* the container's steps write the wheelhouse */
	char *removing;    /* a committed container being removed ... */
	pid_t remover;     /* ... by this child process */
	bool no_cache;     /* --no-cache: rebuild the cached layers */
	const struct step *steps; /* the plan's builder steps */
	size_t step_base;  /* the plan's index of the first step run now */
	size_t step_total; /* the plan's number of builder steps */
	size_t nlinks;     /* find-links directories mounted so far */
	const char *project;           /* .plan.project; NULL: the wheel names it */
	const json_t *builder_extras;  /* .plan.builder.extras, borrowed */
	const json_t *doc;             /* the document read, borrowed */
	const struct strv *find_links; /* the --find-links directories */
	const struct seen *before;     /* the wheelhouse before the build */
	size_t nbefore;
} run;

/* ---- the wheelhouse on the host ---- */

/* The wheelhouse: dir (made when missing) or a new temporary directory.
 * Sets run.wheelhouse and run.temporary. */
static void wheelhouse_open(const char *dir)
{
	char buf[PATH_MAX];

	if (!dir) {
		const char *tmp = getenv("TMPDIR");
		char *tmpl = xasprintf("%s/pbrx-wheels.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl))
			msg_die(EXIT_FAIL, "%s: %s", tmpl, strerror(errno));
		if (!realpath(tmpl, buf))
			msg_die(EXIT_FAIL, "%s: %s", tmpl, strerror(errno));
		free(tmpl);
		run.wheelhouse = xstrdup(buf);
		run.temporary = true;
		msg_note("temporary wheelhouse %s", run.wheelhouse);
		return;
	}
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		msg_die(EXIT_FAIL, "--wheelhouse %s: %s", dir, strerror(errno));
	if (!realpath(dir, buf))
		msg_die(EXIT_FAIL, "--wheelhouse %s: %s", dir, strerror(errno));
	run.wheelhouse = xstrdup(buf);
}

/* What a wheel looked like before the build, to tell reused from built. */
struct seen {
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
static void list_wheels(struct strv *names)
{
	DIR *dir = opendir(run.wheelhouse);
	struct dirent *e;

	if (!dir)
		msg_die(EXIT_FAIL, "%s: %s", run.wheelhouse, strerror(errno));
	while ((e = readdir(dir)))
		if (is_wheel_name(e->d_name))
			strv_add(names, e->d_name);
	closedir(dir);
	if (names->n)
		qsort(names->v, names->n, sizeof *names->v, cmp_str);
}

static int stat_wheel(const char *name, struct stat *st)
{
	char *path = xasprintf("%s/%s", run.wheelhouse, name);
	int r = lstat(path, st);
	free(path);
	return r;
}

/* Snapshot of the wheels already in the wheelhouse; *n of them. */
static struct seen *snapshot(size_t *n)
{
	struct strv names = {0};
	struct seen *s;
	struct stat st;
	size_t k = 0;

	list_wheels(&names);
	s = xcalloc(names.n + 1, sizeof *s);
	for (size_t i = 0; i < names.n; i++) {
		if (stat_wheel(names.v[i], &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		s[k++] = (struct seen){xstrdup(names.v[i]), st.st_ino, st.st_size, st.st_mtim};
	}
	strv_free(&names);
	*n = k;
	return s;
}

/* Was name in the snapshot, unchanged?  pip writes a wheel it builds or
 * fetches with shutil.copy (a fresh mtime), and leaves alone one that is
 * already in --wheel-dir; the final chown changes only the ctime. */
static bool unchanged(const struct seen *s, size_t n, const char *name, const struct stat *st)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].name, name))
			return s[i].ino == st->st_ino && s[i].size == st->st_size &&
			       s[i].mtime.tv_sec == st->st_mtim.tv_sec &&
			       s[i].mtime.tv_nsec == st->st_mtim.tv_nsec;
	return false;
}

/* The hex SHA-256 of file path (malloc'd). */
static char *sha256_file(const char *path)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *hex;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		msg_die(EXIT_FAIL, "%s: %s", path, strerror(errno));
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		msg_die(EXIT_FAIL, "%s: cannot start SHA-256", path);
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			msg_die(EXIT_FAIL, "%s: %s", path, strerror(errno));
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
	close(fd);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	hex = xmalloc(2 * mdlen + 1);
	for (unsigned int i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return hex;
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
 * directories (--find-links, PIP_FIND_LINKS)?  Then pip copied it. */
static bool in_find_links(const char *name)
{
	const char *env = getenv("PIP_FIND_LINKS");
	char *copy = xstrdup(env ? env : ""), *save, *tok;
	struct stat st;
	bool found = false;

	for (size_t i = 0; run.find_links && i < run.find_links->n && !found; i++) {
		char *path = xasprintf("%s/%s", run.find_links->v[i], name);
		found = stat(path, &st) == 0;
		free(path);
	}
	for (tok = strtok_r(copy, " \t\n", &save); tok && !found; tok = strtok_r(NULL, " \t\n", &save)) {
		char *path = xasprintf("%s/%s", tok, name);
		found = tok[0] == '/' && stat(path, &st) == 0;
		free(path);
	}
	free(copy);
	return found;
}

/* The file name of the project's wheel (malloc'd); dies when this run
 * built none.  With the project's name: the wheel of that distribution
 * this run built (a reused wheelhouse may hold older ones).  Without
 * (a project with no setup.cfg name): the one wheel built this run that
 * pip did not copy from a find-links directory. */
static char *project_wheel(void)
{
	struct strv names = {0}, cands = {0};
	char *want = run.project ? pyname_canonical(run.project, strlen(run.project)) : NULL;
	char *found = NULL;
	bool found_built = false;

	list_wheels(&names);
	for (size_t i = 0; i < names.n; i++) {
		char *dist, *version;
		struct stat st;
		bool built;

		if (stat_wheel(names.v[i], &st) < 0 || !S_ISREG(st.st_mode) ||
		    parse_wheel_name(names.v[i], &dist, &version) < 0)
			continue;
		built = !unchanged(run.before, run.nbefore, names.v[i], &st);
		if (want && !strcmp(dist, want) && (built || !found_built)) {
			free(found);
			found = xstrdup(names.v[i]);
			found_built = built;
		} else if (!want && built && !in_find_links(names.v[i])) {
			strv_add(&cands, names.v[i]);
		}
		free(dist);
		free(version);
	}
	strv_free(&names);
	if (!want && cands.n == 1) {
		found = xstrdup(cands.v[0]);
		found_built = true;
	} else if (!want) {
		msg_die(EXIT_FAIL, "%s: cannot tell the project's wheel: %zu wheels were built that "
		        "no find-links directory has%s%s; give the project a name in setup.cfg "
		        "[metadata]", run.wheelhouse, cands.n, cands.n ? ", the first " : "",
		        cands.n ? cands.v[0] : "");
	}
	strv_free(&cands);
	if (!found_built)
		msg_die(EXIT_FAIL, "%s: no wheel of %s was built", run.wheelhouse, run.project);
	free(want);
	return found;
}

/* What the project's wheel declares (wheel_read); NULL when it cannot be
 * read, with a warning when warn is set: the plan then stays as
 * setup.cfg has it. */
static json_t *project_metadata(const char *file, bool warn)
{
	char *path = xasprintf("%s/%s", run.wheelhouse, file), *err;
	json_t *md = wheel_read(path, &err);

	if (!md && warn)
		msg_warn("%s: cannot read the wheel: %s; the plan stays as setup.cfg has it",
		         path, err);
	if (!md)
		free(err);
	free(path);
	return md;
}

/* The wheels section (new): every wheel now in the wheelhouse, and what
 * the project's wheel declares. */
static json_t *wheels_section(void)
{
	struct strv names = {0};
	json_t *files = json_array(), *section, *md;
	char *pw = project_wheel();

	list_wheels(&names);
	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		char *dist, *version, *path, *sum;
		struct stat st;
		bool built;

		if (stat_wheel(name, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (parse_wheel_name(name, &dist, &version) < 0) {
			msg_warn("%s/%s: not a wheel file name (PEP 427); left out",
			         run.wheelhouse, name);
			continue;
		}
		path = xasprintf("%s/%s", run.wheelhouse, name);
		sum = sha256_file(path);
		built = !unchanged(run.before, run.nbefore, name, &st);
		json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:s, s:b}",
		                                       "file", name, "distribution", dist,
		                                       "version", version, "sha256", sum,
		                                       "built", built));
		msg_note("%s: %s", built ? "built" : "reused", name);
		free(dist);
		free(version);
		free(path);
		free(sum);
	}
	strv_free(&names);
	section = json_pack("{s:s, s:b, s:o, s:s}", "wheelhouse", run.wheelhouse,
	                    "temporary", run.temporary, "files", files, "project_wheel", pw);
	md = project_metadata(pw, true);
	if (md)
		json_object_set_new(section, "metadata", md);
	free(pw);
	return section;
}

/* ---- the builder container ---- */

/* One builder step: its name, its cached layer (NULL: none) and argv
 * (borrowed from the document). */
struct step {
	const char *name;
	const char *layer;
	struct strv argv;
};

static void read_steps(const json_t *builder, struct step **steps, size_t *n)
{
	json_t *arr = doc_need(builder, ".plan.builder", "steps", JSON_ARRAY), *s;
	size_t i;

	*n = json_array_size(arr);
	*steps = xcalloc(*n + 1, sizeof **steps);
	json_array_foreach(arr, i, s) {
		char *path = xasprintf(".plan.builder.steps[%zu]", i);
		json_t *argv, *a;
		size_t j;

		if (!json_is_object(s))
			doc_die(path, "expected an object");
		(*steps)[i].name = doc_need_string(s, path, "name");
		(*steps)[i].layer = doc_want_string(s, path, "layer");
		if ((*steps)[i].layer && (!*(*steps)[i].layer || (i && !(*steps)[i - 1].layer)))
			doc_die(path, "layer: the cached layers must come first, each with a name");
		argv = doc_need(s, path, "argv", JSON_ARRAY);
		free(path);
		path = xasprintf(".plan.builder.steps[%zu].argv", i);
		doc_check_strings(argv, path);
		if (!json_array_size(argv))
			doc_die(path, "expected a command");
		free(path);
		json_array_foreach(argv, j, a)
			strv_add(&(*steps)[i].argv, json_string_value(a));
	}
}

/* The mounts: the plan's (host paths read-only, the volume "wheelhouse"
 * the wheelhouse), then the --find-links directories and pip's
 * configuration files.  Strings go to keep, which outlives the mounts. */
static void add_mount(struct engine_mount **m, size_t *n, size_t *cap,
                      const char *source, const char *target, bool read_only)
{
	xgrow((void **)m, cap, *n + 1, sizeof **m);
	(*m)[(*n)++] = (struct engine_mount){source, target, read_only};
}

static void plan_mounts(const json_t *builder, struct engine_mount **m, size_t *n, size_t *cap)
{
	json_t *arr = doc_need(builder, ".plan.builder", "mounts", JSON_ARRAY), *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		char path[64];
		struct plan_mount pm;

		snprintf(path, sizeof path, ".plan.builder.mounts[%zu]", i);
		plan_mount_read(o, path, &pm);
		if (pm.source) {
			add_mount(m, n, cap, pm.source, pm.target, true);
		} else {
			add_mount(m, n, cap, run.wheelhouse, pm.target, pm.read_only);
			run.target = pm.target;
		}
	}
	if (!run.target)
		doc_die(".plan.builder.mounts", "no mount of the volume 'wheelhouse'");
}

/* A --find-links directory: mount it read-only as FIND_LINKS_DIR/N and
 * return N's path (borrowed from keep). */
static const char *find_links_mount(const char *dir, struct strv *keep,
                                    struct engine_mount **m, size_t *n, size_t *cap)
{
	char buf[PATH_MAX];
	struct stat st;

	if (!realpath(dir, buf) || stat(buf, &st) < 0)
		msg_die(EXIT_USAGE, "--find-links %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		msg_die(EXIT_USAGE, "--find-links %s: not a directory", dir);
	strv_add(keep, buf);
	strv_push(keep, xasprintf("%s/%zu", FIND_LINKS_DIR, ++run.nlinks));
	add_mount(m, n, cap, keep->v[keep->n - 2], keep->v[keep->n - 1], true);
	return keep->v[keep->n - 1];
}

/* Mount host file path read-only at target if it is a regular file. */
static bool mount_if_file(const char *path, const char *target, struct strv *keep,
                          struct engine_mount **m, size_t *n, size_t *cap)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	strv_add(keep, path);
	strv_add(keep, target);
	add_mount(m, n, cap, keep->v[keep->n - 2], keep->v[keep->n - 1], true);
	msg_note("pip configuration %s mounted at %s", path, target);
	return true;
}

/* pip's configuration files on the host, where pip inside (as root) looks
 * for them: https://pip.pypa.io/en/stable/topics/configuration/ (global,
 * then user: the order pip loads them in).  Each existing one is mounted
 * and its host path added to files. */
static void pip_config_mounts(struct strv *files, struct strv *keep, struct engine_mount **m,
                              size_t *n, size_t *cap)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	struct passwd *pw;
	char *user[2];

	if (!home || !*home)
		home = (pw = getpwuid(getuid())) ? pw->pw_dir : "/";
	user[0] = xasprintf("%s/.pip/pip.conf", home);
	user[1] = xdg && *xdg ? xasprintf("%s/pip/pip.conf", xdg)
	                      : xasprintf("%s/.config/pip/pip.conf", home);
	if (mount_if_file("/etc/xdg/pip/pip.conf", "/etc/xdg/pip/pip.conf", keep, m, n, cap))
		strv_add(files, "/etc/xdg/pip/pip.conf");
	if (mount_if_file("/etc/pip.conf", "/etc/pip.conf", keep, m, n, cap))
		strv_add(files, "/etc/pip.conf");
	if (mount_if_file(user[0], "/root/.pip/pip.conf", keep, m, n, cap))
		strv_add(files, user[0]);
	if (mount_if_file(user[1], "/root/.config/pip/pip.conf", keep, m, n, cap))
		strv_add(files, user[1]);
	free(user[0]);
	free(user[1]);
}

/* The host files pip's settings name (a CA bundle, constraints...):
 * mounted read-only under PIP_FILES_DIR and named by their PIP_
 * variables (py/pipconf.h); the configuration files' local find-links
 * directories join links.  files are the configuration files pip reads. */
static void pip_setting_files(const struct strv *files, struct strv *env, struct strv *links,
                              struct strv *keep, struct engine_mount **m, size_t *n,
                              size_t *cap)
{
	struct pipconf pc;

	pipconf_collect(&pc, files->v, environ, PIP_FILES_DIR);
	for (size_t i = 0; i < pc.sources.n; i++) {
		strv_add(keep, pc.sources.v[i]);
		strv_add(keep, pc.targets.v[i]);
		add_mount(m, n, cap, keep->v[keep->n - 2], keep->v[keep->n - 1], true);
		msg_note("pip setting's file %s mounted at %s", pc.sources.v[i], pc.targets.v[i]);
	}
	strv_addv(env, pc.env.v);
	for (size_t i = 0; i < pc.find_links.n; i++)
		strv_add(links, find_links_mount(pc.find_links.v[i], keep, m, n, cap));
	pipconf_free(&pc);
}

/* The environment of every step: the host's PIP_* variables, with host
 * paths in PIP_FIND_LINKS and PIP_CONFIG_FILE replaced by mounts, and
 * the files pip's settings name mounted.  Values are never printed:
 * PIP_INDEX_URL may hold a password. */
static void step_env(struct strv *env, const struct strv *find_links, struct strv *keep,
                     struct engine_mount **m, size_t *n, size_t *cap)
{
	struct strv links = {0}, files = {0};
	bool version_check = false, no_files = false;
	char *joined;
	size_t len = 0;

	for (size_t i = 0; i < find_links->n; i++)
		strv_add(&links, find_links->v[i]);
	/* pip reads no configuration file at all when PIP_CONFIG_FILE is
	 * os.devnull. */
	no_files = getenv("PIP_CONFIG_FILE") && !strcmp(getenv("PIP_CONFIG_FILE"), "/dev/null");
	if (!no_files)
		pip_config_mounts(&files, keep, m, n, cap);
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "PIP_", 4) || pipconf_is_path_variable(*e))
			continue;
		if (!strncmp(*e, "PIP_FIND_LINKS=", 15)) {
			/* pip splits the value on whitespace; host directories
			 * are mounted like --find-links, URLs pass as they are. */
			char *copy = xstrdup(*e + 15), *save, *tok;
			for (tok = strtok_r(copy, " \t\n", &save); tok;
			     tok = strtok_r(NULL, " \t\n", &save))
				strv_add(&links, tok[0] == '/' ? find_links_mount(tok, keep, m, n, cap) : tok);
			free(copy);
			continue;
		}
		if (!strncmp(*e, "PIP_CONFIG_FILE=", 16) && !no_files &&
		    mount_if_file(*e + 16, PIP_CONFIG_TARGET, keep, m, n, cap)) {
			strv_add(env, "PIP_CONFIG_FILE=" PIP_CONFIG_TARGET);
			strv_add(&files, *e + 16);
			continue;
		}
		if (!strncmp(*e, "PIP_DISABLE_PIP_VERSION_CHECK=", 30))
			version_check = true;
		strv_add(env, *e);
		msg_note("passing %.*s to pip", (int)(strcspn(*e, "=")), *e);
	}
	pip_setting_files(&files, env, &links, keep, m, n, cap);
	/* The check would look for an index on every pip run. */
	if (!version_check)
		strv_add(env, "PIP_DISABLE_PIP_VERSION_CHECK=1");
	if (links.n) {
		for (size_t i = 0; i < links.n; i++)
			len += strlen(links.v[i]) + 1;
		joined = xmalloc(len + sizeof "PIP_FIND_LINKS=");
		strcpy(joined, "PIP_FIND_LINKS=");
		for (size_t i = 0; i < links.n; i++) {
			if (i)
				strcat(joined, " ");
			strcat(joined, links.v[i]);
		}
		strv_push(env, joined);
	}
	strv_free(&links);
	strv_free(&files);
}

/* Add to out the extra of the wheel (its spelling, from wx) that is want
 * once normalised, unless the builder's pip run asked for it already. */
static void add_needed(struct strv *out, const json_t *wx, const char *want)
{
	const char *key;
	json_t *v, *h;
	size_t i;

	json_object_foreach((json_t *)wx, key, v) {
		bool have = false;
		if (!pyname_same(key, want))
			continue;
		json_array_foreach(run.builder_extras, i, h)
			have |= json_is_string(h) && !strcmp(json_string_value(h), key);
		for (i = 0; i < out->n; i++)
			have |= !strcmp(out->v[i], key);
		if (!have)
			strv_add(out, key);
	}
}

/* The "extras" step: when the wheel declares extras the images will
 * install (image-plan(1)'s rule: NAME_base, one named after a console
 * script, the extras of its entry point) that the plan did not know, so
 * the builder did not build their dependencies, build them now from the
 * project's wheel: pip wheel ... WHEEL[EXTRAS].  argv stays empty when
 * nothing is missing. */
static void extras_step(struct strv *argv)
{
	char *pw = project_wheel(), *base, *req;
	json_t *md = project_metadata(pw, false), *wx = json_object_get(md, "extras"), *sc, *e;
	struct strv need = {0};
	size_t i, j;

	if (!md) {
		free(pw);
		return;
	}
	base = xasprintf("%s_base", json_string_value(json_object_get(md, "name")));
	add_needed(&need, wx, base);
	json_array_foreach(json_object_get(md, "scripts"), i, sc) {
		add_needed(&need, wx, json_string_value(json_object_get(sc, "name")));
		json_array_foreach(json_object_get(sc, "extras"), j, e)
			add_needed(&need, wx, json_string_value(e));
	}
	if (need.n) {
		req = xasprintf("%s/%s[", run.target, pw);
		for (i = 0; i < need.n; i++) {
			char *t = xasprintf("%s%s%s", req, i ? "," : "", need.v[i]);
			free(req);
			req = t;
		}
		strv_add(argv, "python3");
		strv_add(argv, "-m");
		strv_add(argv, "pip");
		strv_add(argv, "wheel");
		strv_add(argv, "--wheel-dir");
		strv_add(argv, run.target);
		strv_add(argv, "--find-links");
		strv_add(argv, run.target);
		strv_push(argv, xasprintf("%s]", req));
		free(req);
	}
	strv_free(&need);
	free(base);
	free(pw);
	json_decref(md);
}

/* The child's job: run every step in order, stop at the first failure.
 * Its own connection: the parent's may be in any state.  It is kept in
 * run, so dying with it open is no leak. */
static noreturn void run_steps(const struct step *steps, size_t nsteps, char *const *env,
                               bool last)
{
	struct engine *d = run.child_d = engine_dup(run.d);
	struct capture out = {.keep = QUIET_KEEP};
	bool quiet = msg_verbosity() < 0;
	struct step extras = {"extras", NULL, {0}};

	for (size_t i = 0; i < nsteps + last; i++) {
		const struct step *st = i < nsteps ? &steps[i] : &extras;
		struct engine_run_spec spec = {
			.argv = st->argv.v,
			.env = env,
			.output = quiet ? capture_output : NULL,
			.arg = &out,
		};
		char *cmd;
		int code;

		/* After the plan's steps, the project's wheel exists. */
		if (i == nsteps) {
			extras_step(&extras.argv);
			if (!extras.argv.n)
				break;
			spec.argv = extras.argv.v;
		}
		cmd = quote_argv(spec.argv);
		capture_reset(&out);
		msg_info("builder: %s: %s", st->name, cmd);
		if (engine_run(d, run.container, &spec, &code) < 0)
			engine_die(d);
		if (code != 0) {
			capture_show(&out);
			/* Numbered as in the plan, whichever container ran it. */
			msg_die(EXIT_FAIL, "builder: step %zu of %zu (%s) failed with exit code %d: %s",
			        run.step_base + i + 1, run.step_total + (i == nsteps), st->name,
			        code, cmd);
		}
		free(cmd);
	}
	capture_free(&out);
	strv_free(&extras.argv);
	engine_free(d);
	run.child_d = NULL;
	exit(EXIT_OK);
}

/* Give the wheelhouse's files to the invoking user, so they can remove
 * them: pip ran as root in the builder.  Best effort, on every path. */
static void chown_wheelhouse(void)
{
	char owner[64];
	char *argv[] = {"chown", "-R", owner, (char *)run.target, NULL};
	struct engine_run_spec spec = {.argv = argv};
	unsigned long uid, gid;
	int code;

	engine_host_ids(run.d, &uid, &gid);
	/* The steps ran as root: root's files are the user's already. */
	if (uid == 0 && gid == 0)
		return;
	snprintf(owner, sizeof owner, "%lu:%lu", uid, gid);
	msg_note("builder: chown: %s %s %s %s", argv[0], argv[1], argv[2], argv[3]);
	if (engine_run(run.d, run.container, &spec, &code) < 0)
		msg_warn("%s", engine_error(run.d));
	else if (code != 0)
		msg_warn("builder: chown -R %s %s failed with exit code %d", owner, run.target, code);
}

/* The warning for container id that could not be removed (the engine
 * died, say). */
static void left_behind(struct engine *e, const char *id)
{
	msg_warn("%s; container %.12s is left behind: %s", engine_error(e), id,
	         owner_known() ? "the next pbrx run on this host removes it"
	                       : "remove it by hand");
}

/* Remove the builder (after the chown, when its steps wrote wheels) and
 * forget it. */
static void remove_container(void)
{
	if (!run.container)
		return;
	if (run.wrote_wheels)
		chown_wheelhouse();
	if (engine_container_remove(run.d, run.container) < 0)
		left_behind(run.d, run.container);
	else
		msg_note("removed the builder %.12s", run.container);
	free(run.container);
	run.container = NULL;
}

/* Remove the committed container of a cached layer in a child process,
 * while the builder goes on: its layer holds the packages, and removing
 * it takes seconds. */
static void wait_remover(void);

static void remove_in_background(void)
{
	pid_t pid;

	wait_remover();
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		remove_container();
		return;
	}
	if (pid == 0) {
		struct engine *e = engine_dup(run.d);
		int r = engine_container_remove(e, run.container);
		if (r < 0)
			msg_warn("%s", engine_error(e));
		_exit(r < 0 ? EXIT_FAIL : EXIT_OK);
	}
	run.removing = run.container;
	run.remover = pid;
	run.container = NULL;
}

/* Wait for remove_in_background()'s child; remove the container here
 * when it could not. */
static void wait_remover(void)
{
	int status;

	if (!run.remover)
		return;
	while (waitpid(run.remover, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != EXIT_OK) {
		if (engine_container_remove(run.d, run.removing) < 0)
			left_behind(run.d, run.removing);
	}
	msg_note("removed %.12s", run.removing);
	free(run.removing);
	run.removing = NULL;
	run.remover = 0;
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

/* Remove the wheels pip left unfinished in a wheelhouse that stays (new
 * or changed since the snapshot, and not a whole zip): the next build
 * would take them for built.  Quiet on errors: it runs from msg_die. */
static void remove_partial_wheels(void)
{
	DIR *dir = opendir(run.wheelhouse);
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
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    !unchanged(run.before, run.nbefore, e->d_name, &st) &&
		    !zip_complete(fd, st.st_size)) {
			if (unlinkat(dirfd(dir), e->d_name, 0) < 0)
				msg_warn("%s/%s: %s", run.wheelhouse, e->d_name, strerror(errno));
			else
				msg_warn("removed the unfinished wheel %s/%s", run.wheelhouse, e->d_name);
		}
		close(fd);
	}
	closedir(dir);
}

/* msg_die's hook: the job failed, leave nothing behind but a wheelhouse
 * the user named. */
static void cleanup(void)
{
	if (run.in_child)
		return;
	wait_remover();
	remove_container();
	if (run.temporary && run.wheelhouse) {
		fs_remove_tree(run.wheelhouse);
		run.temporary = false;
	} else if (run.wheelhouse && run.before) {
		remove_partial_wheels();
	}
}

/* Wait for the child running the steps; on SIGINT, SIGTERM or SIGHUP kill
 * it, clean up and die of the same signal.  Signals are blocked. */
static int wait_steps(pid_t child, const sigset_t *set)
{
	siginfo_t si;
	int status, sig;

	for (;;) {
		sig = sigwaitinfo(set, &si);
		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			pid_t r = waitpid(child, &status, WNOHANG);
			if (r == child)
				break;
			continue;
		}
		msg_warn("%s: removing the builder", strsignal(sig));
		kill(child, SIGKILL);
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		cleanup();
		signal(sig, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, set, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	msg_warn("the process running the steps died of %s", strsignal(WTERMSIG(status)));
	return EXIT_FAIL;
}

static void on_sigchld(int sig)
{
	(void)sig;
}

/* Create and start a container from image, run steps in a child process
 * (so a signal can interrupt a step that streams output for minutes),
 * then, when commit_ref is set, commit it as that (*id: the new image's
 * ID), else chown the wheelhouse; and remove it.  The last container also
 * runs the "extras" step.  Returns the child's exit code.  Signals are
 * blocked. */
static int in_container(const char *image, const struct step *steps, size_t nsteps,
                        char *const *env, const struct engine_mount *mounts, size_t nmounts,
                        const sigset_t *set, const char *commit_ref, char **id)
{
	/* Kept alive for the execs; sh's $0 names the stage. */
	char *entrypoint[] = ENGINE_KEEP_ALIVE, *cmd[] = {"wheel-build", NULL};
	/* The engine adds a number and the owner token (engine.h). */
	char *name = xasprintf("%s-wheel-build", run.project ? run.project : "pbrx");
	pid_t child;
	int rc;

	run.wrote_wheels = !commit_ref;
	run.step_base = (size_t)(steps - run.steps);
	run.container = engine_container_create(run.d, &(struct engine_container_spec){
		.name = name,
		.image = image,
		.entrypoint = entrypoint,
		.cmd = cmd,
		/* The steps install packages. */
		.user = "0",
		/* dockerd runs with no bridge here (see ENGINES.md): only
		 * the host's network reaches the mirror. */
		.network_mode = "host",
		.mounts = mounts,
		.nmounts = nmounts,
		.tmpfs_tmp = true,
	});
	if (!run.container)
		engine_die(run.d);
	msg_note("builder %s (%.12s) from %s", name, run.container, image);
	free(name);
	if (engine_container_start(run.d, run.container) < 0)
		engine_die(run.d);

	fflush(NULL);
	child = fork();
	if (child < 0)
		msg_die(EXIT_FAIL, "fork: %s", strerror(errno));
	if (child == 0) {
		run.in_child = true;
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, set, NULL);
		run_steps(steps, nsteps, env, !commit_ref);
	}
	rc = wait_steps(child, set);
	if (rc == EXIT_OK && commit_ref) {
		*id = engine_commit(run.d, run.container, commit_ref, NULL);
		if (!*id)
			msg_die(EXIT_FAIL, "builder: commit %s: %s", commit_ref, engine_error(run.d));
	} else if (rc == EXIT_OK) {
		chown_wheelhouse();
	}
	if (rc == EXIT_OK)
		remove_in_background();
	remove_container();
	return rc;
}

/* The builder: its cached layers (the packages: found by their key, or
 * built and committed), then a container from the last that runs the
 * remaining steps.  Returns the exit code of the steps that failed, or 0. */
/* What the builder's cached layers are built with (build_layer). */
struct layer_job {
	const struct step *steps;
	char *const *env;
	const struct engine_mount *mounts;
	size_t nmounts;
	const sigset_t *set;
};

/* layercache_walk()'s build: steps [first, end) in a container from
 * parent, committed as ref. */
static int build_layer(void *ctx, const char *parent, size_t first, size_t end,
                       const json_t *inputs, const char *ref, char **id)
{
	const struct layer_job *j = ctx;

	(void)inputs;
	return in_container(parent, j->steps + first, end - first, j->env, j->mounts, j->nmounts,
	                    j->set, ref, id);
}

static int build(const json_t *builder, const struct strv *find_links,
                 const char *engine)
{
	struct strv keep = {0}, links = {0}, env = {0};
	struct engine_mount *mounts = NULL;
	size_t nmounts = 0, cap = 0, nsteps, k = 0;
	json_t *jsteps = json_object_get(builder, "steps");
	struct step *steps;
	char *parent = NULL;
	struct layer_job job;
	struct pbrx_error err = {0};
	sigset_t set;
	int rc = EXIT_OK;

	read_steps(builder, &steps, &nsteps);
	run.steps = steps;
	run.step_total = nsteps;
	plan_mounts(builder, &mounts, &nmounts, &cap);
	for (size_t i = 0; i < find_links->n; i++)
		strv_add(&links, find_links_mount(find_links->v[i], &keep, &mounts, &nmounts, &cap));
	step_env(&env, &links, &keep, &mounts, &nmounts, &cap);

	/* From here on a signal is handled only by wait_steps, so the
	 * builder can't be left behind. */
	signal(SIGCHLD, on_sigchld);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);

	run.d = engine_open(engine);
	engine_sweep(run.d, run.doc);
	job = (struct layer_job){steps, env.v, mounts, nmounts, &set};
	rc = layercache_walk(&(struct layercache_walk){
		.e = run.d, .steps = jsteps, .repo = "builder", .who = "builder",
		.no_cache = run.no_cache, .build = build_layer, .ctx = &job,
	}, doc_need_string(builder, ".plan.builder", "from"), &parent, &k, &err);
	if (err.msg)
		error_exit(&err);
	if (rc == EXIT_OK)
		rc = in_container(parent, steps + k, nsteps - k, env.v, mounts, nmounts, &set, NULL,
		                  NULL);

	free(parent);
	for (size_t i = 0; i < nsteps; i++)
		strv_free(&steps[i].argv);
	free(steps);
	free(mounts);
	strv_free(&env);
	strv_free(&links);
	strv_free(&keep);
	return rc;
}

/* A signal that came while the wheels were being listed: clean up and die
 * of it, as wait_steps does. */
static void check_signals(void)
{
	sigset_t set;
	struct timespec zero = {0, 0};
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sig = sigtimedwait(&set, NULL, &zero);
	if (sig <= 0)
		return;
	cleanup();
	signal(sig, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"engine", required_argument, NULL, 'e'},
		{"wheelhouse", required_argument, NULL, 'w'},
		{"find-links", required_argument, NULL, 'f'},
		{"no-cache", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct strv find_links = {0};
	const char *wheelhouse = NULL, *engine = NULL;
	json_t *doc, *plan, *builder;
	struct seen *before;
	size_t nbefore;
	int ch, rc;

	msg_init("wheel-build");
	/* A closed stderr must not kill us before the builder is removed;
	 * a closed stdout is caught by doc_write. */
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "hqv", longopts, NULL)) != -1) {
		switch (engine_stage_option(ch, optarg, &engine)) {
		case ENGINE_OPT_TAKEN:
			continue;
		case ENGINE_OPT_BAD:
			usage(stderr);
			return EXIT_USAGE;
		case ENGINE_OPT_NONE:
			break;
		}
		switch (ch) {
		case 'w':
			if (!*optarg)
				msg_die(EXIT_USAGE, "--wheelhouse: empty path");
			wheelhouse = optarg;
			break;
		case 'f':
			strv_add(&find_links, optarg);
			break;
		case 'C':
			run.no_cache = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}

	doc = doc_read();
	run.doc = doc;
	plan = doc_need(doc, "", "plan", JSON_OBJECT);
	builder = doc_need(plan, ".plan", "builder", JSON_OBJECT);
	doc_need_string(builder, ".plan.builder", "from");
	/* null for a project without a setup.cfg name: the wheel names it. */
	if (!json_is_null(json_object_get(plan, "project")))
		run.project = doc_need_string(plan, ".plan", "project");
	run.builder_extras = doc_want(builder, ".plan.builder", "extras", JSON_ARRAY);
	run.find_links = &find_links;
	msg_on_die(cleanup);
	wheelhouse_open(wheelhouse);
	before = snapshot(&nbefore);
	run.before = before;
	run.nbefore = nbefore;

	rc = build(builder, &find_links, engine);
	if (rc != EXIT_OK) {
		cleanup();
		goto out;
	}
	doc_set(doc, "wheels", wheels_section());
	wait_remover();
	check_signals();
	doc_write(doc);

out:
	for (size_t i = 0; i < nbefore; i++)
		free(before[i].name);
	free(before);
	strv_free(&find_links);
	json_decref(doc);
	engine_free(run.d);
	free(run.wheelhouse);
	return rc;
}
