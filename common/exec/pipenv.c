/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "exec/pipenv.h"
#include "exec/proxyenv.h"
#include "py/pipconf.h"

/* Where --find-links directories and a PIP_CONFIG_FILE appear inside the
 * builder: under /tmp, its tmpfs. */
#define FIND_LINKS_DIR "/tmp/pbrx/find-links"
#define PIP_CONFIG_TARGET "/tmp/pbrx/pip/pip.conf"
/* Where the files pip's settings name are mounted (py/pipconf.h). */
#define PIP_FILES_DIR "/tmp/pbrx/pip/files"
/* The builder's home, for every user: the tmpfs, which anyone may
 * write.  pip's user configuration files go there. */
#define BUILD_HOME "/tmp"
/* The host's global configuration files, each in a directory of its own
 * named by XDG_CONFIG_DIRS, where pip looks for them before /etc: not on
 * the image's own paths, where their mount points would be left in the
 * builder's committed layer. */
#define PIP_GLOBAL_XDG "/tmp/pbrx/pip/xdg"
#define PIP_GLOBAL_ETC "/tmp/pbrx/pip/etc"

extern char **environ;

void pipenv_mount(struct pipenv *pe, const char *source, const char *target, bool read_only)
{
	strv_add(&pe->keep, source);
	strv_add(&pe->keep, target);
	xgrow((void **)&pe->mounts, &pe->cap, pe->nmounts + 1, sizeof *pe->mounts);
	pe->mounts[pe->nmounts++] = (struct engine_mount){pe->keep.v[pe->keep.n - 2],
	                                                  pe->keep.v[pe->keep.n - 1], read_only};
}

/* The entries of a PIP_FIND_LINKS value: pip splits it on whitespace. */
static void split_links(const char *value, struct strv *out)
{
	char *copy = xstrdup(value), *save, *tok;

	for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
		strv_add(out, tok);
	free(copy);
}

void pipenv_host_links(struct strv *dirs, const struct strv *find_links)
{
	const char *env = getenv("PIP_FIND_LINKS");
	struct strv all = {0};

	strv_addv(dirs, find_links->v);
	split_links(env ? env : "", &all);
	for (size_t i = 0; i < all.n; i++)
		if (all.v[i][0] == '/')
			strv_add(dirs, all.v[i]);
	strv_free(&all);
}

/* A find-links directory: mount it read-only as FIND_LINKS_DIR/N and
 * add N's path to links. */
static int find_links_mount(struct pipenv *pe, const char *dir, struct strv *links,
                            struct pbrx_error *err)
{
	char buf[PATH_MAX], *target;
	struct stat st;

	if (!realpath(dir, buf) || stat(buf, &st) < 0)
		return error_set(err, EXIT_USAGE, "--find-links %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return error_set(err, EXIT_USAGE, "--find-links %s: not a directory", dir);
	target = xasprintf("%s/%zu", FIND_LINKS_DIR, ++pe->nlinks);
	pipenv_mount(pe, buf, target, true);
	strv_push(links, target);
	return 0;
}

/* Mount host file path read-only at target if it is a regular file. */
static bool mount_if_file(struct pipenv *pe, const char *path, const char *target)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	pipenv_mount(pe, path, target, true);
	msg_note("pip configuration %s mounted at %s", path, target);
	return true;
}

/* pip's configuration files on the host, where pip inside looks for
 * them: https://pip.pypa.io/en/stable/topics/configuration/ (global,
 * then user: the order pip loads them in).  The global ones are found
 * through XDG_CONFIG_DIRS, in the host's order; pip reads the image's
 * own /etc/pip.conf after them.  Each existing one is mounted and its
 * host path added to files. */
static void config_mounts(struct pipenv *pe, struct strv *files)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	struct passwd *pw;
	char *user[2];
	size_t before = files->n;

	if (!home || !*home)
		home = (pw = getpwuid(getuid())) ? pw->pw_dir : "/";
	user[0] = xasprintf("%s/.pip/pip.conf", home);
	user[1] = xdg && *xdg ? xasprintf("%s/pip/pip.conf", xdg)
	                      : xasprintf("%s/.config/pip/pip.conf", home);
	if (mount_if_file(pe, "/etc/xdg/pip/pip.conf", PIP_GLOBAL_XDG "/pip/pip.conf"))
		strv_add(files, "/etc/xdg/pip/pip.conf");
	if (mount_if_file(pe, "/etc/pip.conf", PIP_GLOBAL_ETC "/pip/pip.conf"))
		strv_add(files, "/etc/pip.conf");
	if (files->n > before)
		strv_add(&pe->env, "XDG_CONFIG_DIRS=" PIP_GLOBAL_XDG ":" PIP_GLOBAL_ETC);
	if (mount_if_file(pe, user[0], BUILD_HOME "/.pip/pip.conf"))
		strv_add(files, user[0]);
	if (mount_if_file(pe, user[1], BUILD_HOME "/.config/pip/pip.conf"))
		strv_add(files, user[1]);
	free(user[0]);
	free(user[1]);
}

/* The host files pip's settings name (a CA bundle, constraints...):
 * mounted read-only under PIP_FILES_DIR and named by their PIP_
 * variables (py/pipconf.h); the configuration files' local find-links
 * directories join links.  files are the configuration files pip reads. */
static int setting_files(struct pipenv *pe, const struct strv *files, struct strv *links,
                         struct pbrx_error *err)
{
	struct pipconf pc;
	int r = 0;

	pipconf_collect(&pc, files->v, environ, PIP_FILES_DIR);
	for (size_t i = 0; i < pc.sources.n; i++) {
		pipenv_mount(pe, pc.sources.v[i], pc.targets.v[i], true);
		msg_note("pip setting's file %s mounted at %s", pc.sources.v[i], pc.targets.v[i]);
	}
	strv_addv(&pe->env, pc.env.v);
	for (size_t i = 0; i < pc.find_links.n && r == 0; i++)
		r = find_links_mount(pe, pc.find_links.v[i], links, err);
	pipconf_free(&pc);
	return r;
}

/* The environment's own PIP_ variables into pe->env, its PIP_FIND_LINKS
 * into links (host directories mounted like --find-links, URLs as they
 * are) and its PIP_CONFIG_FILE mounted and added to files. */
static int env_variables(struct pipenv *pe, bool no_files, struct strv *links,
                         struct strv *files, bool *version_check, struct pbrx_error *err)
{
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "PIP_", 4) || pipconf_is_path_variable(*e))
			continue;
		if (!strncmp(*e, "PIP_FIND_LINKS=", 15)) {
			struct strv all = {0};
			int r = 0;

			split_links(*e + 15, &all);
			for (size_t i = 0; i < all.n && r == 0; i++) {
				if (all.v[i][0] == '/')
					r = find_links_mount(pe, all.v[i], links, err);
				else
					strv_add(links, all.v[i]);
			}
			strv_free(&all);
			if (r < 0)
				return -1;
			continue;
		}
		if (!strncmp(*e, "PIP_CONFIG_FILE=", 16) && !no_files &&
		    mount_if_file(pe, *e + 16, PIP_CONFIG_TARGET)) {
			strv_add(&pe->env, "PIP_CONFIG_FILE=" PIP_CONFIG_TARGET);
			strv_add(files, *e + 16);
			continue;
		}
		if (!strncmp(*e, "PIP_DISABLE_PIP_VERSION_CHECK=", 30))
			*version_check = true;
		strv_add(&pe->env, *e);
		msg_note("passing %.*s to pip", (int)(strcspn(*e, "=")), *e);
	}
	return 0;
}

int pipenv_collect(struct pipenv *pe, const struct strv *find_links, struct pbrx_error *err)
{
	struct strv links = {0}, files = {0};
	struct buf joined = {0};
	const char *conf = getenv("PIP_CONFIG_FILE");
	/* pip reads no configuration file at all when PIP_CONFIG_FILE is
	 * os.devnull. */
	bool no_files = conf && !strcmp(conf, "/dev/null"), version_check = false;
	int r = 0;

	for (size_t i = 0; i < find_links->n && r == 0; i++)
		r = find_links_mount(pe, find_links->v[i], &links, err);
	strv_add(&pe->env, "HOME=" BUILD_HOME);
	if (r == 0 && !no_files)
		config_mounts(pe, &files);
	if (r == 0)
		r = env_variables(pe, no_files, &links, &files, &version_check, err);
	if (r == 0)
		r = setting_files(pe, &files, &links, err);
	/* The check would look for an index on every pip run. */
	if (r == 0 && !version_check)
		strv_add(&pe->env, "PIP_DISABLE_PIP_VERSION_CHECK=1");
	/* The builder is a container made for the step: pip's warning
	 * about running as root there says nothing. */
	if (r == 0 && !getenv("PIP_ROOT_USER_ACTION"))
		strv_add(&pe->env, "PIP_ROOT_USER_ACTION=ignore");
	/* pip is not made quiet here (as it is in the images' steps): what
	 * it says at its info level is the cause of a failure to reach an
	 * index ("There was a problem confirming the ssl certificate ...
	 * CERTIFICATE_VERIFY_FAILED"), which a failing build's last lines
	 * must show, not only "No matching distribution". */
	/* pip and apt-get reach the index and the mirror through the
	 * host's proxy, as on the host. */
	if (r == 0)
		proxyenv_add(&pe->env);
	if (r == 0 && links.n) {
		buf_adds(&joined, "PIP_FIND_LINKS=");
		for (size_t i = 0; i < links.n; i++)
			buf_addf(&joined, "%s%s", i ? " " : "", links.v[i]);
		strv_push(&pe->env, buf_take(&joined));
	}
	strv_free(&links);
	strv_free(&files);
	return r;
}

void pipenv_free(struct pipenv *pe)
{
	free(pe->mounts);
	strv_free(&pe->env);
	strv_free(&pe->keep);
	*pe = (struct pipenv){0};
}
