/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "distro/pkgmgr.h"
#include "planner/project.h"
#include "planner/steps.h"

/* A plan of 500 script images would otherwise allocate each literal 500
 * times. */
static struct {
	const char *key;
	json_t *value;
} lits[32];

json_t *steps_lit(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof lits / sizeof *lits && lits[i].key; i++)
		if (lits[i].key == s)
			return json_incref(lits[i].value);
	if (i == sizeof lits / sizeof *lits)
		return json_string(s);  /* the table is full: a string of its own */
	lits[i].key = s;
	lits[i].value = json_string(s);
	return json_incref(lits[i].value);
}

void steps_lit_free(void)
{
	for (size_t i = 0; i < sizeof lits / sizeof *lits && lits[i].key; i++) {
		json_decref(lits[i].value);
		lits[i].key = NULL;
	}
}

void steps_add(json_t *steps, const char *name, json_t *argv)
{
	json_t *s = json_object();
	json_object_set_new(s, "name", steps_lit(name));
	json_object_set_new(s, "argv", argv);
	json_array_append_new(steps, s);
}

/* Steps from index first on form the cached layer named layer (see
 * layercache.h): their results are committed and found again by key. */
static void set_layer(json_t *steps, size_t first, const char *layer)
{
	for (size_t i = first; i < json_array_size(steps); i++)
		json_object_set_new(json_array_get(steps, i), "layer", steps_lit(layer));
}

/* Appended in one buffer: the builder's list names every extra of the
 * project. */
char *steps_with_extras(const char *what, const json_t *extras)
{
	size_t i, len = strlen(what), cap = 0;
	json_t *v;
	char *s = NULL;

	xgrow((void **)&s, &cap, len + 1, 1);
	memcpy(s, what, len);
	json_array_foreach(extras, i, v) {
		size_t n = json_string_length(v);

		xgrow((void **)&s, &cap, len + n + 3, 1);
		s[len++] = i ? ',' : '[';
		memcpy(s + len, json_string_value(v), n);
		len += n;
	}
	if (json_array_size(extras))
		s[len++] = ']';
	s[len] = '\0';
	return s;
}

json_t *steps_pip_install(const char *req)
{
	static const char *const head[] = {"python3", "-m", "pip", "install", "--no-index",
	                                   "--no-cache-dir", "--find-links", STEPS_WHEELS};
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof head / sizeof *head; i++)
		json_array_append_new(a, steps_lit(head[i]));
	json_array_append_new(a, json_string(req));
	return a;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* A new array: arr's strings sorted bytewise (LC_ALL independent). */
static json_t *sorted(const json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = xcalloc(n ? n : 1, sizeof *v), *out = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof *v, cmp_str);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

json_t *steps_packages(json_t *steps, const char *pm, const char *mirror, const json_t *names,
		       bool restore, struct pbrx_error *e)
{
	json_t *pkgs;
	size_t first = json_array_size(steps);

	if (mirror && pkgmgr_mirror_steps(steps, pm, mirror, STEPS_MIRROR, e) < 0)
		return NULL;
	pkgs = sorted(names);
	pkgmgr_install_steps(steps, pm, pkgs);
	if (mirror && restore)
		pkgmgr_mirror_restore_step(steps, pm, STEPS_MIRROR);
	set_layer(steps, first, "packages");
	return pkgs;
}

void steps_project(json_t *steps, const struct planner_project *p, const json_t *ex)
{
	char *tmp;

	if (p->wheel) {
		char *whl = xasprintf("%s/%s", STEPS_WHEELS, p->wheel);
		size_t first = json_array_size(steps);

		/* The dependencies alone: pip resolves them from the
		 * project's wheel, which is then taken out again. */
		if (p->requires) {
			tmp = steps_with_extras(whl, ex);
			steps_add(steps, "dependencies", steps_pip_install(tmp));
			free(tmp);
			steps_add(steps, "dependencies", pkgmgr_argv("python3", "-m", "pip",
				  "uninstall", "--yes", "--quiet", p->name, NULL));
			set_layer(steps, first, "dependencies");
		}
		steps_add(steps, "install", pkgmgr_argv("python3", "-m", "pip", "install",
			  "--no-index", "--no-cache-dir", "--no-deps", whl, NULL));
		free(whl);
	} else {
		tmp = steps_with_extras(p->name, ex);
		steps_add(steps, "install", steps_pip_install(tmp));
		free(tmp);
	}
}

json_t *steps_wheels_command(void)
{
	return pkgmgr_argv("python3", "-m", "pip", "wheel", "--wheel-dir", STEPS_OUT,
	                   "--find-links", STEPS_WHEELS, NULL);
}

void steps_wheels(json_t *steps, const json_t *all_extras)
{
	char *tmp = steps_with_extras(STEPS_BUILD, all_extras);
	json_t *argv = steps_wheels_command();

	/* Last in the packages' layer: no file of the root file system
	 * (the tmpfs on /tmp aside) is left writable by every user, so the
	 * user who builds the wheels can write none while the layer is
	 * committed beside the build (/var/tmp, /run/lock in Debian's). */
	steps_add(steps, "packages", pkgmgr_argv("find", "/", "-xdev", "-path", "/tmp", "-prune",
	                                         "-o", "-perm", "-0002", "!", "-type", "l",
	                                         "-exec", "chmod", "o-w", "{}", "+", NULL));
	set_layer(steps, json_array_size(steps) - 1, "packages");
	/* pip builds in place: build a throwaway copy of the read-only
	 * source, copied by root (the user's tree need not be readable by
	 * others), then given to the user who builds. */
	steps_add(steps, "source", pkgmgr_argv("cp", "-a", STEPS_SRC "/.", STEPS_BUILD "/", NULL));
	steps_add(steps, "source", pkgmgr_argv("chown", "-R", STEPS_BUILD_USER, STEPS_BUILD, NULL));
	json_array_append_new(argv, json_string(tmp));
	steps_add(steps, "wheels", argv);
	json_object_set_new(json_array_get(steps, json_array_size(steps) - 1), "user",
	                    json_string(STEPS_BUILD_USER));
	free(tmp);
}
