/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/similar.h"
#include "base/xalloc.h"
#include "distro/bindep.h"
#include "distro/osrelease.h"
#include "distro/platform.h"
#include "distro/select.h"
#include "doc/doc.h"

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* ---- the selections -------------------------------------------------- */

static bool valid_profile(const char *p)
{
	if (!*p)
		return false;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == ':' ||
		      *p == '-' || *p == '.'))
			return false;
	return true;
}

static int check_profile_arg(const char *p, const char *arg, struct pbrx_error *e)
{
	if (!valid_profile(p))
		return error_set(e, EXIT_USAGE, "bad profile '%s' in '%s': profiles are lower "
				 "case letters, digits, ':', '.' and '-'", p, arg);
	return 0;
}

/* Append the selection name with the one profile profile. */
static void add_one(struct select_list *l, const char *name, const char *profile)
{
	struct select_selection s = {xstrdup(name), {0}};

	strv_add(&s.profiles, profile);
	xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

/* NAME=P1[,P2...] appended to l. */
static int add_named(struct select_list *l, const char *arg, const char *eq,
		     struct pbrx_error *e)
{
	struct select_selection s = {xstrndup(arg, (size_t)(eq - arg)), {0}};
	char *list = xstrdup(eq + 1), *save = NULL;
	int rc = 0;

	if (!valid_profile(s.name))
		rc = error_set(e, EXIT_USAGE, "bad selection name in '%s'", arg);
	for (size_t k = 0; rc == 0 && k < l->n; k++)
		if (strcmp(l->v[k].name, s.name) == 0)
			rc = error_set(e, EXIT_USAGE, "selection '%s' given twice", s.name);
	for (char *p = strtok_r(list, ",", &save); rc == 0 && p; p = strtok_r(NULL, ",", &save)) {
		rc = check_profile_arg(p, arg, e);
		strv_add(&s.profiles, p);
	}
	free(list);
	if (rc == 0 && s.profiles.n == 0)
		rc = error_set(e, EXIT_USAGE, "selection '%s' has no profiles", s.name);
	if (rc < 0) {
		free(s.name);
		strv_free(&s.profiles);
		return rc;
	}
	xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
	return 0;
}

int select_from_args(char *const *args, int nargs, bool brief, struct select_list *out,
		     struct pbrx_error *e)
{
	struct select_selection plain = {0};

	memset(out, 0, sizeof *out);
	for (int i = 0; i < nargs; i++) {
		const char *eq = strchr(args[i], '=');

		if (eq) {
			if (add_named(out, args[i], eq, e) < 0)
				goto fail;
		} else {
			if (check_profile_arg(args[i], args[i], e) < 0)
				goto fail;
			strv_add(&plain.profiles, args[i]);
		}
	}
	if (plain.profiles.n) {
		plain.name = xstrdup("selected");
		xgrow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = plain;
		plain.profiles = (struct strv){0};
	} else if (out->n == 0 && brief) {
		/* bindep: no profile means "default". */
		add_one(out, "selected", "default");
	} else if (out->n == 0) {
		add_one(out, "runtime", "default");
		add_one(out, "compile", "compile");
	}
	if (brief && out->n != 1) {
		error_set(e, EXIT_USAGE, "--brief prints one selection; %zu were asked for", out->n);
		goto fail;
	}
	return 0;
fail:
	strv_free(&plain.profiles);
	return -1;
}

void select_list_free(struct select_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		strv_free(&l->v[i].profiles);
		free(l->v[i].name);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* ---- the bindep file ------------------------------------------------- */

/* bindep's get_depends_file: bindep.txt, else other-requirements.txt, and
 * refuse to guess when both exist.  In a pipeline the files are looked for
 * in the project's directory.  0 with *path (the caller's), or NULL (a
 * project without a bindep file: no packages, a warning) only when dir
 * is set; -1 with *e. */
static int find_file(const char *dir, char **path, struct pbrx_error *e)
{
	char *a = dir ? xasprintf("%s/bindep.txt", dir) : xstrdup("bindep.txt");
	char *b = dir ? xasprintf("%s/other-requirements.txt", dir) : xstrdup("other-requirements.txt");
	int rc = 0;

	*path = NULL;
	if (exists(a) && exists(b))
		rc = error_set(e, EXIT_USAGE, "both %s and %s exist, choose one with -f", a, b);
	else if (exists(a))
		*path = a, a = NULL;
	else if (exists(b))
		*path = b, b = NULL;
	else if (!dir)
		rc = error_set(e, EXIT_USAGE, "neither bindep.txt nor other-requirements.txt "
			       "exists; use -f FILE");
	else
		msg_warn("%s: no bindep.txt or other-requirements.txt: no distro packages "
			 "selected", dir);
	free(a);
	free(b);
	return rc;
}

/* Warnings for mistakes bindep accepts silently: a platform no
 * distribution has, and a profile used once that looks like another.
 * Profiles are numbered in order of first use, so warnings come in
 * file order. */
static void lint(const struct bindep_file *f, const char *file)
{
	size_t n = f->profiles.n;
	size_t *uses = xcalloc(n ? n : 1, sizeof(*uses));
	const struct bindep_profile **first = xcalloc(n ? n : 1, sizeof(*first));

	for (size_t u = 0; u < f->nuses; u++)
		if (uses[f->uses[u].id]++ == 0)
			first[f->uses[u].id] = &f->uses[u];
	for (size_t i = 0; i < n; i++) {
		const struct bindep_profile *p = first[i];
		const char *hint = NULL;

		if (p->platform) {
			if (!osr_atom_known(p->name, &hint)) {
				if (hint)
					msg_warn("%s:%d:%d: unknown platform '%s'; did you mean 'platform:%s'?",
						 file, p->line, p->col, p->name, hint);
				else
					msg_warn("%s:%d:%d: unknown platform '%s': no distribution bindep "
						 "knows is called that", file, p->line, p->col, p->name);
			}
			continue;
		}
		if (uses[i] != 1 || strlen(p->name) < 4)
			continue;
		for (size_t j = 0; j < n; j++) {
			if (uses[j] < 2 || first[j]->platform)
				continue;
			if (similar_distance(p->name, first[j]->name) <= (strlen(p->name) > 6 ? 2u : 1u)) {
				msg_warn("%s:%d:%d: profile '%s' is used only here; did you mean '%s'?",
					 file, p->line, p->col, p->name, first[j]->name);
				break;
			}
		}
	}
	free(first);
	free(uses);
}

/* The file at path parsed (shown as shown in messages) and linted, or
 * NULL with *e. */
static struct bindep_file *read_file(const char *path, const char *shown, struct pbrx_error *e)
{
	struct bindep_file *f;
	size_t len;
	char *text = fs_read(path, &len, e);

	if (!text)
		return NULL;
	f = bindep_parse(text, len, shown, e);
	free(text);
	if (!f)
		return NULL;
	lint(f, shown);
	return f;
}

/* ---- the platform ---------------------------------------------------- */

/* The fields of the os-release file at path, new; NULL with *e. */
static json_t *read_os_release(const char *path, struct pbrx_error *e)
{
	if (!exists(path)) {
		error_set(e, EXIT_USAGE, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return platform_os_release_read(path, e);
}

/* The "platform" member: atoms and where they came from; NULL with *e. */
static json_t *platform_section(const struct select_request *r, const json_t *doc,
				struct pbrx_error *e)
{
	json_t *plat = json_object(), *fields = NULL, *atoms;
	const char *source = NULL, *path = NULL;
	json_t *base = doc_want(doc, "", "base", JSON_OBJECT, e);

	if (e->msg)
		goto fail;
	if (r->platform->os_release) {
		path = r->platform->os_release;
		source = "os-release";
	} else if (r->platform->nplatforms) {
		source = "platform";
	} else if (base && json_object_get(base, "os_release")) {
		if (!(fields = json_incref(doc_need(base, ".base", "os_release", JSON_OBJECT, e))))
			goto fail;
		source = "base";
	} else {
		/* As python-distro: /etc/os-release, else /usr/lib/os-release. */
		path = exists("/etc/os-release") ? "/etc/os-release" : "/usr/lib/os-release";
		source = "host";
	}
	if (path && !(fields = read_os_release(path, e)))
		goto fail;
	json_object_set_new(plat, "source", json_string(source));
	if (path)
		json_object_set_new(plat, "os_release", json_string(path));
	if (fields) {
		struct osr_distro d;

		osr_distro_from_fields(fields, &d);
		json_decref(fields);
		if (!d.id[0]) {
			error_set(e, EXIT_USAGE, "%s: no ID: bindep cannot tell the distribution",
				  path ? path : "<stdin>: .base.os_release");
			osr_distro_free(&d);
			goto fail;
		}
		json_object_set_new(plat, "id", json_string(d.id));
		json_object_set_new(plat, "version", json_string(d.version));
		json_object_set_new(plat, "codename", json_string(d.codename));
		atoms = osr_atoms(&d);
		osr_distro_free(&d);
	} else {
		atoms = json_array();
	}
	json_object_set_new(plat, "atoms", atoms);
	if (platform_add_atoms(atoms, r->platform->platforms, r->platform->nplatforms, e) < 0)
		goto fail;
	return plat;
fail:
	json_decref(plat);
	return NULL;
}

/* ---- the packages ---------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Each package's place in byte order of the names, by package number:
 * the names are sorted once, not once per rule and selection.  New
 * array (free); NULL without a file. */
static size_t *package_ranks(const struct bindep_file *f)
{
	const char **names;
	size_t *rank;

	if (!f)
		return NULL;
	names = xcalloc(f->packages.n ? f->packages.n : 1, sizeof(*names));
	rank = xcalloc(f->packages.n ? f->packages.n : 1, sizeof(*rank));
	for (size_t i = 0; i < f->packages.n; i++)
		names[i] = intern_name(&f->packages, i);
	qsort(names, f->packages.n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < f->packages.n; i++)
		rank[intern_find(&f->packages, names[i], strlen(names[i]))] = i;
	free(names);
	return rank;
}

/* The rules a selection activates, sorted by package name then line.
 * Returns a new array of borrowed rule pointers. */
static const struct bindep_rule **select_rules(const struct bindep_file *f, const size_t *rank,
					       const struct select_selection *s,
					       const json_t *atoms, size_t *count)
{
	size_t natoms = json_array_size(atoms), np = s->profiles.n + natoms, nranks;
	char **profiles;
	const struct bindep_rule **active, **out;
	size_t *start;
	bool *on;

	*count = 0;
	if (!f)
		return xcalloc(1, sizeof(*out));
	profiles = xcalloc(np ? np : 1, sizeof(char *));
	for (size_t i = 0; i < s->profiles.n; i++)
		profiles[i] = s->profiles.v[i];
	for (size_t i = 0; i < natoms; i++)
		profiles[s->profiles.n + i] = (char *)json_string_value(json_array_get(atoms, i));
	on = bindep_profiles_on(f, profiles, np);
	active = xcalloc(f->n ? f->n : 1, sizeof(*active));
	for (size_t r = 0; r < f->n; r++)
		if (bindep_rule_active(&f->rules[r], on))
			active[(*count)++] = &f->rules[r];
	/* A stable counting sort by the name's rank: the rules are in line
	 * order already, so each name's rules stay in line order. */
	nranks = f->packages.n;
	start = xcalloc(nranks + 1, sizeof(*start));
	for (size_t i = 0; i < *count; i++)
		start[rank[active[i]->pkg] + 1]++;
	for (size_t k = 0; k < nranks; k++)
		start[k + 1] += start[k];
	out = xcalloc(*count ? *count : 1, sizeof(*out));
	for (size_t i = 0; i < *count; i++)
		out[start[rank[active[i]->pkg]]++] = active[i];
	free(start);
	free(active);
	free(on);
	free(profiles);
	return out;
}

/* The "packages" array: one object per package, with its constraints
 * (each once, in order of appearance) and lines.  The rules come sorted
 * by name; constraint strings are interned, so equal means same pointer. */
static json_t *packages_json(const struct bindep_rule **rules, size_t count)
{
	json_t *pkgs = json_array();
	const char **seen = NULL;
	size_t nseen = 0, cap = 0;

	for (size_t i = 0, j; i < count; i = j) {
		json_t *cur = json_object(), *cons = json_array(), *lines = json_array();

		nseen = 0;
		for (j = i; j < count && rules[j]->pkg == rules[i]->pkg; j++) {
			for (size_t k = 0; k < rules[j]->nconstraints; k++) {
				const char *c = rules[j]->constraints[k];
				size_t m;

				for (m = 0; m < nseen && seen[m] != c; m++)
					;
				if (m < nseen)
					continue;
				xgrow((void **)&seen, &cap, nseen + 1, sizeof(*seen));
				seen[nseen++] = c;
				json_array_append_new(cons, json_string(c));
			}
			json_array_append_new(lines, json_integer(rules[j]->line));
		}
		json_object_set_new(cur, "name", json_string(rules[i]->name));
		json_object_set_new(cur, "constraints", cons);
		json_object_set_new(cur, "lines", lines);
		json_array_append_new(pkgs, cur);
	}
	free(seen);
	return pkgs;
}

/* The selections of r for the platform's atoms: into a new object, or
 * with r->brief (no document, so no JSON to build) as names. */
static json_t *selections(const struct bindep_file *f, const struct select_request *r,
			  const json_t *atoms, struct strv *names)
{
	size_t *rank = package_ranks(f);
	json_t *out = r->brief ? NULL : json_object();

	for (size_t i = 0; i < r->sels->n; i++) {
		const struct select_selection *sel = &r->sels->v[i];
		size_t count;
		const struct bindep_rule **rules = select_rules(f, rank, sel, atoms, &count);
		json_t *s;

		if (r->brief) {
			for (size_t k = 0; k < count; k++)
				if (k == 0 || rules[k]->pkg != rules[k - 1]->pkg)
					strv_add(names, rules[k]->name);
			free(rules);
			continue;
		}
		s = json_object();
		json_object_set_new(s, "profiles", doc_strings(sel->profiles.v, sel->profiles.n));
		json_object_set_new(s, "packages", packages_json(rules, count));
		json_object_set_new(out, sel->name, s);
		free(rules);
	}
	free(rank);
	return out;
}

int select_packages(const json_t *doc, const struct select_request *r, json_t **section,
		    struct strv *names, struct pbrx_error *e)
{
	json_t *project = doc_want(doc, "", "project", JSON_OBJECT, e), *plat = NULL, *sels;
	const char *dir = project ? doc_need_string(project, ".project", "dir", e) : NULL;
	struct bindep_file *f = NULL;
	const char *shown = NULL;
	char *file = NULL;
	int rc = -1;

	*section = NULL;
	if (e->msg)
		goto out;
	if (r->file)
		file = xstrdup(r->file);
	else if (find_file(dir, &file, e) < 0)
		goto out;
	if (file) {
		shown = strcmp(file, "-") == 0 ? "<stdin>" : file;
		if (!(f = read_file(file, shown, e)))
			goto out;
	}
	if (!(plat = platform_section(r, doc, e)))
		goto out;
	sels = selections(f, r, json_object_get(plat, "atoms"), names);
	if (!r->brief) {
		*section = json_object();
		json_object_set_new(*section, "file", shown ? json_string(shown) : json_null());
		json_object_set(*section, "platform", plat);
		json_object_set_new(*section, "selections", sels);
	}
	rc = 0;
out:
	json_decref(plat);
	bindep_free(f);
	free(file);
	return rc;
}
