/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/progress.h"
#include "base/quote.h"
#include "base/xalloc.h"
#include "doc/doc.h"
#include "doc/plan.h"
#include "engine/engine.h"
#include "engine/layercache.h"
#include "engine/owner.h"
#include "exec/pipenv.h"
#include "exec/resolve.h"
#include "exec/wheelhouse.h"
#include "exec/wheels.h"
#include "py/extras.h"

/* One builder step: its name, its cached layer (NULL: none), the user
 * it runs as (NULL: root) and argv (borrowed from the document). */
struct step {
	const char *name;
	const char *layer;
	const char *user;
	struct strv argv;
};

/* One build: what the steps, the cleanup and the signal path need. */
struct run {
	const json_t *doc;       /* the document: .base.swept */
	struct engine *e;
	struct wheelhouse wh;
	struct pipenv pe;
	struct strv host_links;  /* wh.links: where pip may copy wheels from */
	const char *target;      /* the wheelhouse inside the builder */
	char *container;         /* ID of the builder, once created */
	bool wrote_wheels;       /* the container's steps write the wheelhouse */
	char *removing;          /* a committed container being removed ... */
	pid_t remover;           /* ... by this child process */
	bool no_cache;
	const char *project;           /* .plan.project; NULL: the wheel names it */
	const json_t *builder_extras;  /* .plan.builder.extras, borrowed */
	const json_t *extras_command;  /* .plan.builder.extras_command, borrowed */
	char *out_holder;        /* host: a private directory, and in it ... */
	char *out;               /* ... the one mounted at PLAN_OUT */
	const char *user;        /* .plan.builder.user: who runs the steps after
	                          * the packages; NULL: root */
	bool as_user;            /* the steps run as their users: every host
	                          * file they read is readable by others */
	/* The last cached layer, when it is built: it is committed beside
	 * the steps after it, in the same container (in_container()). */
	char *layer_from;        /* the image its steps start from */
	char *layer_ref;         /* its cache tag; NULL: it was found */
	size_t layer_first, layer_end;
	struct step *steps;      /* the plan's builder steps */
	size_t nsteps;
	size_t step_base;        /* the plan's index of the first step run now */
	pid_t child;             /* the process running the steps, not yet reaped */
	struct resolve rs;       /* what each image installs, and its bytecode */
	const char *builder;     /* the image the last container starts from */
};

/* The build remove() cleans up after (base/cleanup.h calls it with no
 * argument). */
static struct run *current;

/* The builder's steps (plan_steps_check() accepted them) into r. */
static void read_steps(struct run *r, const json_t *builder)
{
	json_t *arr = json_object_get(builder, "steps"), *s, *a;
	size_t i, j;

	r->nsteps = json_array_size(arr);
	r->steps = xcalloc(r->nsteps + 1, sizeof *r->steps);
	json_array_foreach(arr, i, s) {
		struct step *st = &r->steps[i];

		st->name = json_string_value(json_object_get(s, "name"));
		st->layer = json_string_value(json_object_get(s, "layer"));
		st->user = json_string_value(json_object_get(s, "user"));
		json_array_foreach(json_object_get(s, "argv"), j, a)
			strv_add(&st->argv, json_string_value(a));
	}
}

/* The builder's mounts (plan_mounts_check() accepted them): *n of them
 * (malloc'd, strings borrowed from the document). */
static struct plan_mount *read_mounts(const json_t *builder, size_t *n)
{
	json_t *arr = json_object_get(builder, "mounts"), *o;
	struct plan_mount *pm = xcalloc(json_array_size(arr) + 1, sizeof *pm);
	size_t i;

	json_array_foreach(arr, i, o)
		plan_mount_get(o, &pm[i]);
	*n = json_array_size(arr);
	return pm;
}

/* The plan's builder, checked before anything is made: 0, or -1 with
 * *err (bad input, its JSON path). */
static int check_builder(struct run *r, const json_t *doc, const json_t **builder,
                         struct pbrx_error *err)
{
	json_t *plan = doc_need(doc, "", "plan", JSON_OBJECT, err);
	bool wheelhouse;

	*builder = doc_need(plan, ".plan", "builder", JSON_OBJECT, err);
	doc_need_string(*builder, ".plan.builder", "from", err);
	/* null for a project without a setup.cfg name: the wheel names it. */
	if (plan && !json_is_null(json_object_get(plan, "project")))
		r->project = doc_need_string(plan, ".plan", "project", err);
	r->builder_extras = doc_want(*builder, ".plan.builder", "extras", JSON_ARRAY, err);
	r->extras_command = doc_need(*builder, ".plan.builder", "extras_command", JSON_ARRAY, err);
	r->user = doc_want_string(*builder, ".plan.builder", "user", err);
	if (r->user && !*r->user)
		doc_error(err, ".plan.builder.user", "expected a user (UID:GID), or no member for root");
	if (doc_check_strings(r->extras_command, ".plan.builder.extras_command", err) == 0 &&
	    !json_array_size(r->extras_command))
		doc_error(err, ".plan.builder.extras_command", "expected a command");
	if (err->msg || plan_steps_check(*builder, ".plan.builder", err) < 0 ||
	    plan_mounts_check(*builder, ".plan.builder", true, &wheelhouse, err) < 0)
		return -1;
	if (!wheelhouse)
		return doc_error(err, ".plan.builder.mounts", "no mount of the volume 'wheelhouse'");
	return 0;
}

/* The "extras" step: when the wheel declares extras the images will
 * install (py/extras.h: the one rule image-plan(1) follows) that the
 * plan did not know, so the builder did not build their dependencies,
 * build them now from the project's wheel: the plan's extras_command
 * with WHEEL[EXTRAS].  argv stays empty when nothing is missing. */
static int extras_step(const struct run *r, struct strv *argv, struct pbrx_error *err)
{
	char *pw = wheelhouse_project_wheel(&r->wh, r->project, err);
	json_t *md = pw ? wheelhouse_metadata(&r->wh, pw, false) : NULL, *all, *v, *h;
	struct buf req = {0};
	size_t i, j, n = 0;

	if (!pw)
		return -1;
	if (!md) {
		free(pw);
		return 0;
	}
	all = extras_for_images(json_string_value(json_object_get(md, "name")),
	                        json_object_get(md, "scripts"), json_object_get(md, "extras"));
	json_array_foreach(all, i, v) {
		const char *x = json_string_value(v);
		bool have = false;

		/* The builder's pip run asked for it already. */
		json_array_foreach(r->builder_extras, j, h)
			have |= json_is_string(h) && !strcmp(json_string_value(h), x);
		if (!have)
			buf_addf(&req, "%s%s", n++ ? "," : "", x);
	}
	if (n) {
		json_array_foreach(r->extras_command, j, v)
			strv_add(argv, json_string_value(v));
		strv_push(argv, xasprintf("%s/%s[%s]", r->target, pw, req.p));
	}
	buf_free(&req);
	json_decref(all);
	json_decref(md);
	free(pw);
	return 0;
}

/* Run one step's argv in the builder as user (NULL: root; root too
 * when the run can't use its users, r->as_user), shown as shown (NULL:
 * the argv quoted), numbered no of total in a failure's message.  Its
 * output goes to the progress events, which show it (all of it, or the
 * end of it when it fails) as the run's mode says. */
static int run_step(struct run *r, struct engine *d, const char *name, const char *user,
                    char *const *argv, const char *shown, size_t no, size_t total,
                    struct pbrx_error *err)
{
	struct engine_run_spec spec = {
		.argv = argv,
		.env = r->pe.env.v,
		.output = progress_output,
		.user = r->as_user && user ? user : "0",
	};
	char *cmd = shown ? xstrdup(shown) : quote_argv(argv);
	struct progress_step *ps = progress_step_start("builder", name, argv, shown);
	int code, rc = EXIT_OK;

	spec.arg = ps;
	if (engine_run(d, r->container, &spec, &code) < 0) {
		progress_step_end(ps, -1);
		rc = EXIT_FAIL;
		engine_error_to(d, err);
	} else if (progress_step_end(ps, code), code != 0) {
		error_set(err, EXIT_FAIL, "builder: step %zu of %zu (%s) failed with exit code %d: %s",
		          no, total, name, code, cmd);
		rc = EXIT_FAIL;
	}
	free(cmd);
	return rc;
}

/* The compiled extensions of every wheel of installs (arrays of
 * {"file"}, resolve_read(), or the section's {"wheels": ...}), as {"extensions": [{"file", "needed"}]}
 * (file "WHEEL/MEMBER"): the project's and its dependencies' alike, for
 * the runtime set (resolve_needed()).  New. */
static json_t *installed_extensions(const struct run *r, const json_t *installs)
{
	json_t *all = json_array(), *seen = json_object(), *list, *w, *ext;
	size_t i, k, j;

	json_array_foreach(installs, i, list) {
		/* The section's installs hold the list as "wheels". */
		if (json_is_object(list))
			list = json_object_get(list, "wheels");
		json_array_foreach(list, k, w) {
			const char *file = json_string_value(json_object_get(w, "file"));
			json_t *md;

			if (!file || json_object_get(seen, file))
				continue;
			json_object_set_new(seen, file, json_true());
			if (!(md = wheelhouse_metadata(&r->wh, file, false)))
				continue;
			json_array_foreach(json_object_get(md, "extensions"), j, ext)
				json_array_append_new(all, json_pack("{s:s++, s:O}", "file", file, "/",
					json_string_value(json_object_get(ext, "file")) ?: "",
					"needed", json_object_get(ext, "needed")));
			json_decref(md);
		}
	}
	json_decref(seen);
	return json_pack("{s:o}", "extensions", all);
}

/* Wait for child process pid: its exit status, EXIT_FAIL when a signal
 * ended it. */
static int child_exit(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAIL;
}

/* pip's report of what each set of extras installs (exec/resolve.h),
 * from the cache, or asked of pip in the builder: every question at
 * once, each in a process of its own with its own connection, as they
 * don't depend on each other (one at a time when the engine runs one
 * command at a time in a container).  Returns the exit status, *err set when
 * the failure is this process's (a question's is said by its process). */
static int ask_pip(struct run *r, const char *wheel, const char *inputs, size_t no,
                   struct pbrx_error *err)
{
	pid_t *asking = xcalloc(r->rs.sets.n + 1, sizeof *asking);
	int rc = EXIT_OK, status;

	fflush(NULL);
	for (size_t i = 0; i < r->rs.sets.n && rc == EXIT_OK; i++) {
		char key[DIGEST_HEX_LEN];

		resolve_key(&r->rs, i, r->builder, inputs, key);
		if (!r->no_cache && resolve_recall(&r->rs, i, key) == 0) {
			msg_note("builder: resolve: [%s]: cached", r->rs.sets.v[i]);
			continue;
		}
		if ((asking[i] = fork()) < 0) {
			asking[i] = 0;
			rc = error_set(err, EXIT_FAIL, "fork: %s", strerror(errno));
		} else if (asking[i] == 0) {
			struct engine *d = engine_dup(r->e);
			struct strv argv = {0};
			struct pbrx_error why = {0};
			int code;

			resolve_report_argv(&r->rs, i, wheel, r->target, &argv);
			code = run_step(r, d, "resolve", r->user, argv.v, NULL, no, no, &why);
			if (code == EXIT_OK)
				resolve_keep(&r->rs, i, key);
			if (why.msg)
				msg_say("%s", why.msg);
			progress_flush();
			fflush(NULL);
			/* What this process holds is its parent's to free. */
			_exit(code);
		}
		if (asking[i] > 0 && !engine_runs_side_by_side(r->e)) {
			rc = child_exit(asking[i]);
			asking[i] = 0;
		}
	}
	for (size_t i = 0; i < r->rs.sets.n; i++)
		if (asking[i] && (status = child_exit(asking[i])) != EXIT_OK && rc == EXIT_OK)
			rc = status;
	free(asking);
	return rc;
}

/* After the wheels: pip's report of what each image installs, then the
 * bytecode of those wheels that the cache lacks (exec/resolve.h), when
 * the base image has a Python pbrx can install into.  The parent reads
 * the reports again (resolve_section()). */
static int resolve_steps(struct run *r, struct engine *d, size_t no,
                         struct pbrx_error *err)
{
	char *pw = wheelhouse_project_wheel(&r->wh, r->project, err), *wheel, *shown;
	char *inputs = NULL;
	json_t *md, *installs, *list;
	struct strv argv = {0}, sonames = {0};
	int rc = EXIT_OK;

	if (!pw)
		return EXIT_FAIL;
	/* A wheel that can't be read (wheelhouse_metadata() warns) leaves
	 * the plan as setup.cfg has it, and the images to pip. */
	if (!(md = wheelhouse_metadata(&r->wh, pw, false))) {
		free(pw);
		return EXIT_OK;
	}
	resolve_sets(&r->rs, md);
	wheel = xasprintf("%s/%s", r->target, pw);
	installs = json_array();
	if (!(inputs = resolve_inputs(r->wh.dir, pw, md, err)))
		rc = EXIT_FAIL;
	if (rc == EXIT_OK)
		rc = ask_pip(r, wheel, inputs, no, err);
	for (size_t i = 0; i < r->rs.sets.n && rc == EXIT_OK; i++) {
		if (!(list = resolve_read(&r->rs, i, r->wh.dir, err)))
			rc = EXIT_FAIL;
		if (rc == EXIT_OK)
			json_array_append_new(installs, list);
	}
	if (rc == EXIT_OK && resolve_compile_argv(&r->rs, installs, r->wh.dir, r->target, &argv,
	                                          err) < 0)
		rc = EXIT_FAIL;
	if (rc == EXIT_OK && argv.n) {
		/* The program is pbrx's own: its text says nothing to people. */
		char *wheels = quote_argv(argv.v + 5);

		shown = xasprintf("python3 -c COMPILE-AS-PIP %s %s %s", argv.v[3], argv.v[4], wheels);
		rc = run_step(r, d, "bytecode", r->user, argv.v, shown, no, no, err);
		free(shown);
		free(wheels);
	}
	strv_free(&argv);
	/* Which packages own the libraries the extensions of the wheels
	 * the images install need: the least a runtime image needs
	 * (image-plan(1), --runtime-packages). */
	if (rc == EXIT_OK) {
		json_t *exts = installed_extensions(r, installs);

		resolve_needed(exts, &sonames);
		json_decref(exts);
	}
	if (rc == EXIT_OK && sonames.n) {
		char *libs = quote_argv(sonames.v), key[DIGEST_HEX_LEN];

		resolve_owners_key(r->builder, &sonames, key);
		if (!r->no_cache && resolve_recall_owners(&r->rs, key) == 0) {
			msg_note("builder: runtime: cached");
		} else {
			resolve_owners_argv(&sonames, &argv);
			shown = xasprintf("python3 -c OWNERS %s %s", argv.v[3], libs);
			rc = run_step(r, d, "runtime", r->user, argv.v, shown, no, no, err);
			free(shown);
			if (rc == EXIT_OK)
				resolve_keep_owners(&r->rs, key);
		}
		free(libs);
	}
	strv_free(&sonames);
	strv_free(&argv);
	json_decref(installs);
	json_decref(md);
	free(inputs);
	free(wheel);
	free(pw);
	return rc;
}

/* Move the wheels pip wrote to PLAN_OUT (r->out on the host) into the
 * wheelhouse, which the builder's user can't write: each one that is
 * new or differs, copied whole under a temporary name (so the wheelhouse
 * never has half a wheel, and the copy is the invoking user's); a wheel
 * pip only copied there from the wheelhouse stays untouched, so it still
 * counts as reused.  0, or -1 with *err. */
static int collect(struct run *r, struct pbrx_error *err)
{
	DIR *d = opendir(r->out);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return error_set(err, EXIT_FAIL, "%s: %s", r->out, strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		char *from, *to;

		if (de->d_name[0] == '.')
			continue;
		from = xasprintf("%s/%s", r->out, de->d_name);
		to = xasprintf("%s/%s", r->wh.dir, de->d_name);
		if (!fs_same_bytes(from, to) && fs_copy_whole(from, to) < 0)
			rc = error_set(err, EXIT_FAIL, "%s: %s", to, strerror(errno));
		else
			unlink(from);
		free(from);
		free(to);
	}
	closedir(d);
	return rc;
}

/* The child's job: run every step in order, stop at the first failure;
 * last: then the "extras" step and the resolve steps.  Its own
 * connection: the parent's may be in any state.  Returns the exit
 * status, *err set on failure. */
static int run_steps(struct run *r, const struct step *steps, size_t nsteps, bool last,
                     struct pbrx_error *err)
{
	struct engine *d = engine_dup(r->e);
	struct strv extras = {0};
	int rc = EXIT_OK;

	for (size_t i = 0; i < nsteps && rc == EXIT_OK; i++)
		/* Numbered as in the plan, whichever container ran it. */
		rc = run_step(r, d, steps[i].name, steps[i].user, steps[i].argv.v, NULL,
		              r->step_base + i + 1, r->nsteps, err);
	/* After the plan's steps, the project's wheel exists; the extras'
	 * wheels go where the plan's went, and into the wheelhouse the same
	 * way. */
	if (rc == EXIT_OK && last && collect(r, err) < 0)
		rc = EXIT_FAIL;
	if (rc == EXIT_OK && last) {
		if (extras_step(r, &extras, err) < 0)
			rc = EXIT_FAIL;
		else if (extras.n)
			rc = run_step(r, d, "extras", r->user, extras.v, NULL, r->nsteps + 1,
			              r->nsteps + 1, err);
		if (rc == EXIT_OK && extras.n && collect(r, err) < 0)
			rc = EXIT_FAIL;
	}
	if (rc == EXIT_OK && last && r->rs.scratch)
		rc = resolve_steps(r, d, r->nsteps + 1 + (extras.n > 0), err);
	strv_free(&extras);
	engine_free(d);
	return rc;
}

/* Give the wheelhouse's files to the invoking user, so they can remove
 * them: pip ran as root in the builder.  Best effort, on every path. */
static void chown_wheelhouse(struct run *r)
{
	char owner[64];
	char *argv[] = {"chown", "-R", owner, (char *)r->target,
	                r->rs.scratch ? RESOLVE_DIR : NULL, NULL};
	struct engine_run_spec spec = {.argv = argv};
	unsigned long uid, gid;
	int code;

	engine_host_ids(r->e, &uid, &gid);
	/* The steps ran as root: root's files are the user's already. */
	if (uid == 0 && gid == 0 && !r->as_user)
		return;
	snprintf(owner, sizeof owner, "%lu:%lu", uid, gid);
	msg_note("builder: chown: %s %s %s %s", argv[0], argv[1], argv[2], argv[3]);
	if (engine_run(r->e, r->container, &spec, &code) < 0)
		msg_warn("%s", engine_error(r->e));
	else if (code != 0)
		msg_warn("builder: chown -R %s %s failed with exit code %d", owner, r->target, code);
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
static void remove_container(struct run *r)
{
	if (!r->container)
		return;
	if (r->wrote_wheels)
		chown_wheelhouse(r);
	if (engine_container_remove(r->e, r->container) < 0)
		left_behind(r->e, r->container);
	else
		msg_note("removed the builder %.12s", r->container);
	free(r->container);
	r->container = NULL;
}

/* Wait for remove_in_background()'s child; remove the container here
 * when it could not. */
static void wait_remover(struct run *r)
{
	if (!r->remover)
		return;
	if (child_exit(r->remover) != EXIT_OK && engine_container_remove(r->e, r->removing) < 0)
		left_behind(r->e, r->removing);
	msg_note("removed %.12s", r->removing);
	free(r->removing);
	r->removing = NULL;
	r->remover = 0;
}

/* Remove the committed container of a cached layer in a child process,
 * while the builder goes on: its layer holds the packages, and removing
 * it takes seconds. */
static void remove_in_background(struct run *r)
{
	pid_t pid;

	wait_remover(r);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		remove_container(r);
		return;
	}
	if (pid == 0) {
		struct engine *e;
		int rc;

		cleanup_forked();
		e = engine_dup(r->e);
		rc = engine_container_remove(e, r->container);
		if (rc < 0)
			msg_warn("%s", engine_error(e));
		_exit(rc < 0 ? EXIT_FAIL : EXIT_OK);
	}
	r->removing = r->container;
	r->remover = pid;
	r->container = NULL;
}

/* r->out: where the builder's user writes wheels, everyone's, in a
 * directory of this user's alone (mkdtemp's 0700) in $TMPDIR, so no one
 * else on the host can reach it; the bind mount needs no walk to it.
 * 0, or -1 with *err. */
static int make_out(struct run *r, struct pbrx_error *err)
{
	const char *tmp = getenv("TMPDIR");

	r->out_holder = xasprintf("%s/pbrx-out.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(r->out_holder)) {
		error_set(err, EXIT_FAIL, "%s: %s", r->out_holder, strerror(errno));
		free(r->out_holder);
		r->out_holder = NULL;
		return -1;
	}
	r->out = xasprintf("%s/out", r->out_holder);
	if (mkdir(r->out, 0777) < 0 || chmod(r->out, 0777) < 0)
		return error_set(err, EXIT_FAIL, "%s: %s", r->out, strerror(errno));
	return 0;
}

/* cleanup_start()'s remove(), with the cleanup lock: the build failed
 * or a signal came; leave nothing behind but a wheelhouse the user
 * named. */
static void remove_all(void)
{
	struct run *r = current;
	int status;

	if (r->child > 0) {
		kill(r->child, SIGKILL);
		while (waitpid(r->child, &status, 0) < 0 && errno == EINTR)
			;
		r->child = 0;
	}
	wait_remover(r);
	remove_container(r);
	wheelhouse_discard(&r->wh);
	if (r->rs.holder)
		fs_remove_tree(r->rs.holder);
	if (r->out_holder)
		fs_remove_tree(r->out_holder);
}

/* cleanup_start()'s interrupted(): say what the signal does. */
static void interrupted(int sig)
{
	msg_warn("%s: removing the builder", strsignal(sig));
}

/* Did the child die of a signal that the cleanup thread has yet to hear
 * of?  A child dead of SIGINT, SIGTERM or SIGHUP most likely got it with
 * its process group (a terminal's ^C), so the thread is given a second
 * to say so before the death counts as the steps' failure. */
static bool signal_coming(const siginfo_t *si)
{
	struct timespec tick = {0, 10 * 1000 * 1000};

	if ((si->si_code != CLD_KILLED && si->si_code != CLD_DUMPED) ||
	    (si->si_status != SIGINT && si->si_status != SIGTERM && si->si_status != SIGHUP))
		return false;
	for (int i = 0; i < 100 && !cleanup_interrupted(); i++)
		nanosleep(&tick, NULL);
	return cleanup_interrupted();
}

/* Wait for the child running the steps without the cleanup lock (held
 * once), so that a signal's cleanup can kill it and remove the builder
 * meanwhile; then this thread waits for that cleanup to end the process.
 * Returns the child's exit status. */
static int wait_steps(struct run *r, pid_t child)
{
	siginfo_t si = {0};
	int status;

	r->child = child;
	cleanup_unlock();
	/* WNOWAIT: the child stays a zombie, so the cleanup never kills
	 * another process that got its pid. */
	while (waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	if (cleanup_interrupted() || signal_coming(&si))
		cleanup_yield();
	cleanup_lock();
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	r->child = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	msg_warn("the process running the steps died of %s", strsignal(WTERMSIG(status)));
	return EXIT_FAIL;
}

/* Commit r->container as ref, the cached layer whose first step is
 * r->layer_first, and say so: the new image's ID (malloc'd), or NULL
 * with *err. */
static char *commit_layer(struct run *r, const char *ref, struct pbrx_error *err)
{
	char *id = engine_commit(r->e, r->container, ref, NULL);

	if (!id)
		error_set(err, EXIT_FAIL, "builder: commit %s: %s", ref, engine_error(r->e));
	else
		progress_layer("builder", r->steps[r->layer_first].layer, ref, false);
	return id;
}

/* Run steps [0, nsteps) in r->container in a child process (so a signal
 * can interrupt a step that streams output for minutes); last: then the
 * "extras" and resolve steps.  With commit_ref, commit the container as
 * that meanwhile (*id: the new image's ID): the steps run as a user who
 * can write only the tmpfs and the mounts, none of which is in a
 * commit, and the commit does not pause them.  Returns the exit status,
 * *err set when the failure is this process's. */
static int steps_in_child(struct run *r, const struct step *steps, size_t nsteps, bool last,
                          const char *commit_ref, char **id, struct pbrx_error *err)
{
	/* The commit's end, to the child: its failure's message must come
	 * after what the commit says, last. */
	int committed[2] = {-1, -1};
	pid_t child;
	int rc;

	r->step_base = (size_t)(steps - r->steps);
	if (commit_ref && pipe(committed) < 0) {
		error_set(err, EXIT_FAIL, "pipe: %s", strerror(errno));
		return EXIT_FAIL;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		error_set(err, EXIT_FAIL, "fork: %s", strerror(errno));
		if (commit_ref) {
			close(committed[0]);
			close(committed[1]);
		}
		return EXIT_FAIL;
	}
	if (child == 0) {
		struct pbrx_error why = {0};
		char c;

		cleanup_forked();
		if (commit_ref)
			close(committed[1]);
		rc = run_steps(r, steps, nsteps, last, &why);
		while (commit_ref && read(committed[0], &c, 1) < 0 && errno == EINTR)
			;
		/* The child's report to wait_steps: its message, its exit
		 * status.  _exit: what this process holds is the parent's to
		 * free (and LeakSanitizer cannot stop the parent's threads
		 * here). */
		if (why.msg)
			msg_say("%s", why.msg);
		error_free(&why);
		progress_flush();
		fflush(NULL);
		_exit(rc);
	}
	/* A signal's cleanup kills it from here on. */
	r->child = child;
	if (commit_ref) {
		close(committed[0]);
		if (!(*id = commit_layer(r, commit_ref, err)))
			kill(child, SIGKILL);
		progress_flush();
		close(committed[1]);
	}
	rc = wait_steps(r, child);
	return commit_ref && !*id ? EXIT_FAIL : rc;
}

/* Create and start a container from image; run steps [0, nsteps) in it.
 * With commit_ref, the first ncommit of them are a cached layer, to
 * commit as commit_ref (*id: the new image's ID): when the others can
 * run as their users, beside them (steps_in_child()); else the container
 * runs only the layer's steps, and its commit ends it.  A container that
 * ran the last step then runs the "extras" and resolve steps and gives
 * the wheelhouse to the user.  The container is removed.  Returns the
 * exit status, *err set when the failure is this process's. */
static int in_container(struct run *r, const char *image, const struct step *steps,
                        size_t nsteps, const char *commit_ref, size_t ncommit, char **id,
                        struct pbrx_error *err)
{
	/* Kept alive for the execs; sh's $0 names the stage. */
	char *entrypoint[] = ENGINE_KEEP_ALIVE, *cmd[] = {"wheel-build", NULL};
	/* The engine adds a number and the owner token (engine.h). */
	char *name = xasprintf("%s-wheel-build", r->project ? r->project : "pbrx");
	bool beside = commit_ref && ncommit < nsteps;
	int rc = EXIT_FAIL;

	r->wrote_wheels = !commit_ref || beside;
	r->container = engine_container_create(r->e, &(struct engine_container_spec){
		.name = name,
		.image = image,
		.entrypoint = entrypoint,
		.cmd = cmd,
		/* The package steps install packages. */
		.user = "0",
		/* dockerd may run with no bridge (--bridge=none, as the
		 * tests start it): the host's network always reaches the
		 * mirror and the package index. */
		.network_mode = "host",
		/* Every mount is under /tmp, the tmpfs: none leaves a mount
		 * point in a commit.  A container that only commits needs
		 * only the plan's. */
		.mounts = r->pe.mounts,
		.nmounts = commit_ref && !beside ? r->pe.nplan : r->pe.nmounts,
		.tmpfs_tmp = true,
	});
	if (!r->container) {
		engine_error_to(r->e, err);
		goto out;
	}
	msg_note("builder %s (%.12s) from %s", name, r->container, image);
	if (engine_container_start(r->e, r->container) < 0) {
		engine_error_to(r->e, err);
		goto out;
	}
	if (!commit_ref) {
		rc = steps_in_child(r, steps, nsteps, true, NULL, NULL, err);
	} else {
		rc = steps_in_child(r, steps, ncommit, false, NULL, NULL, err);
		if (rc == EXIT_OK && beside)
			rc = steps_in_child(r, steps + ncommit, nsteps - ncommit, true, commit_ref,
			                    id, err);
		else if (rc == EXIT_OK && !(*id = commit_layer(r, commit_ref, err)))
			rc = EXIT_FAIL;
	}
	if (rc == EXIT_OK && r->wrote_wheels)
		chown_wheelhouse(r);
	/* Its chown done, the container is of no more use. */
	r->wrote_wheels = false;
	if (rc == EXIT_OK)
		remove_in_background(r);
	remove_container(r);
out:
	free(name);
	return rc;
}

/* What layercache_walk()'s build gets: the run, and where a failure of
 * this process goes. */
struct layer_job {
	struct run *r;
	struct pbrx_error *err;
};

/* layercache_walk()'s build: steps [first, end) in a container from
 * parent, committed as ref.  The last layer, when the steps after it can
 * run as their users, is only noted: build() runs it, and commits it
 * beside those steps. */
static int build_layer(void *ctx, const char *parent, size_t first, size_t end,
                       const json_t *inputs, const char *ref, char **id)
{
	const struct layer_job *j = ctx;
	struct run *r = j->r;

	(void)inputs;
	if (r->as_user && end < r->nsteps && !r->steps[end].layer) {
		r->layer_from = xstrdup(parent);
		r->layer_ref = xstrdup(ref);
		r->layer_first = first;
		r->layer_end = end;
		*id = NULL;
		return EXIT_OK;
	}
	r->layer_first = first;
	return in_container(r, parent, r->steps + first, end - first, ref, end - first, id,
	                    j->err);
}

/* The builder: its cached layers (the packages: found by their key, or
 * built and committed), then a container from the last that runs the
 * remaining steps; or one container that runs the last layer's steps and
 * the remaining ones, committing the layer beside them. */
static int build(struct run *r, const json_t *builder, const char *engine,
                 struct pbrx_error *err)
{
	struct layer_job job = {r, err};
	char *parent = NULL;
	size_t k = 0;
	int rc;

	if (!(r->e = engine_connect(engine, err)))
		return err->status;
	engine_sweep(r->e, r->doc);
	rc = layercache_walk(&(struct layercache_walk){
		.e = r->e, .steps = json_object_get(builder, "steps"), .repo = "builder",
		.who = "builder", .no_cache = r->no_cache, .build = build_layer, .ctx = &job,
	}, json_string_value(json_object_get(builder, "from")), &parent, &k, err);
	r->builder = parent;
	if (rc == EXIT_OK && r->layer_ref) {
		char *id = NULL;

		rc = in_container(r, r->layer_from, r->steps + r->layer_first,
		                  r->nsteps - r->layer_first, r->layer_ref,
		                  r->layer_end - r->layer_first, &id, err);
		free(id);
	} else if (rc == EXIT_OK) {
		rc = in_container(r, parent, r->steps + k, r->nsteps - k, NULL, 0, NULL, err);
	}
	r->builder = NULL;
	free(r->layer_from);
	free(r->layer_ref);
	r->layer_from = r->layer_ref = NULL;
	free(parent);
	return rc;
}

/* Can any user read host path, a file or a directory and the files in
 * it?  The builder's user is such a user on the host, whatever user
 * namespace maps it.  false, with what it can't read in *what
 * (malloc'd). */
static bool others_can_read(const char *path, char **what)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	bool ok = true;

	if (stat(path, &st) < 0 ||
	    (st.st_mode & (S_ISDIR(st.st_mode) ? S_IROTH | S_IXOTH : S_IROTH)) !=
	        (S_ISDIR(st.st_mode) ? (mode_t)(S_IROTH | S_IXOTH) : (mode_t)S_IROTH)) {
		*what = xstrdup(path);
		return false;
	}
	if (!S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return true;
	while (ok && (de = readdir(d))) {
		char *file = xasprintf("%s/%s", path, de->d_name);

		if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & S_IROTH)) {
			*what = file;
			ok = false;
		} else {
			free(file);
		}
	}
	closedir(d);
	return ok;
}

/* Whether the steps can run as their users (r->as_user): the plan names
 * one, and it can read every host path mounted but the project's tree
 * (pm's sources: root copies it) and the scratch directory (made for
 * it).  Else they run as root, after the packages' commit, as they did
 * before there was a user. */
static void choose_users(struct run *r, const struct plan_mount *pm, size_t npm)
{
	char *what = NULL;

	r->as_user = r->user != NULL;
	for (size_t i = 0; i < r->pe.nmounts && r->as_user; i++) {
		const char *src = r->pe.mounts[i].source;

		if ((i < npm && pm[i].source) || (r->rs.scratch && !strcmp(src, r->rs.scratch)))
			continue;
		r->as_user = others_can_read(src, &what);
	}
	if (what)
		msg_note("builder: the wheels are built as root, after the packages are committed: "
		         "%s is not readable by other users", what);
	free(what);
}

/* The resolve steps' findings into the wheels section (exec/resolve.h):
 * the sets of extras as the child had them, from the same wheel. */
static int add_installs(struct run *r, json_t *section, struct pbrx_error *err)
{
	const char *pw = json_string_value(json_object_get(section, "project_wheel"));
	json_t *md = pw ? wheelhouse_metadata(&r->wh, pw, false) : NULL, *found;
	struct strv sonames = {0};

	if (!md)
		return 0;
	resolve_sets(&r->rs, md);
	if (!(found = resolve_section(&r->rs, r->wh.dir, err))) {
		json_decref(md);
		return -1;
	}
	json_object_update(section, found);
	json_decref(found);
	found = installed_extensions(r, json_object_get(section, "installs"));
	resolve_needed(found, &sonames);
	json_decref(found);
	json_decref(md);
	if (sonames.n) {
		strv_free(&sonames);
		if (!(found = resolve_owners(&r->rs, err)))
			return -1;
		json_object_set_new(section, "runtime_libraries", found);
	}
	return 0;
}

int wheels_build(json_t *doc, const struct wheels_options *o, struct pbrx_error *err)
{
	struct run r = {.doc = doc, .no_cache = o->no_cache};
	const json_t *builder;
	json_t *section = NULL;
	struct plan_mount *pm = NULL;
	size_t npm;
	int rc = EXIT_FAIL;

	/* Bad input is found before anything is made. */
	if (check_builder(&r, doc, &builder, err) < 0)
		return err->status;
	read_steps(&r, builder);
	pm = read_mounts(builder, &npm);

	/* One policy for a failure and a signal from here on: remove_all()
	 * runs once.  The lock is let go only while the steps run. */
	current = &r;
	if (cleanup_start(remove_all, interrupted, err) < 0) {
		rc = err->status;
		goto out;
	}
	cleanup_lock();
	pipenv_host_links(&r.host_links, &o->find_links);
	r.wh.links = &r.host_links;
	if (wheelhouse_open(&r.wh, o->wheelhouse, err) < 0)
		goto fail;
	for (size_t i = 0; i < npm; i++) {
		pipenv_mount(&r.pe, pm[i].source ? pm[i].source : r.wh.dir, pm[i].target,
		             pm[i].source ? true : pm[i].read_only);
		if (!pm[i].source)
			r.target = r.pe.keep.v[r.pe.keep.n - 1];
	}
	if (make_out(&r, err) < 0)
		goto fail;
	pipenv_mount(&r.pe, r.out, PLAN_OUT, false);
	r.pe.nplan = r.pe.nmounts;
	if (resolve_open(&r.rs, doc, r.wh.dir, err) < 0)
		goto fail;
	if (r.rs.scratch)
		pipenv_mount(&r.pe, r.rs.scratch, RESOLVE_DIR, false);
	if (pipenv_collect(&r.pe, &o->find_links, err) < 0)
		goto fail;
	choose_users(&r, pm, npm);
	if ((rc = build(&r, builder, o->engine, err)) != EXIT_OK ||
	    !(section = wheelhouse_section(&r.wh, r.project, err)) ||
	    (r.rs.scratch && add_installs(&r, section, err) < 0))
		goto fail;
	doc_set(doc, "wheels", section);
	wait_remover(&r);
	/* A signal that came while the wheels were listed still wins. */
	if (cleanup_interrupted())
		cleanup_yield();
	cleanup_end();
	cleanup_unlock();
	rc = EXIT_OK;
	goto out;
fail:
	/* The lock stays held: the process is ending. */
	cleanup_now();
	if (err->msg)
		rc = err->status ? err->status : EXIT_FAIL;
out:
	for (size_t i = 0; i < r.nsteps; i++)
		strv_free(&r.steps[i].argv);
	free(r.steps);
	free(pm);
	pipenv_free(&r.pe);
	strv_free(&r.host_links);
	wheelhouse_close(&r.wh);
	resolve_close(&r.rs);
	if (r.out_holder)
		fs_remove_tree(r.out_holder);
	free(r.out_holder);
	free(r.out);
	engine_free(r.e);
	return rc;
}
