/* SPDX-License-Identifier: Apache-2.0 */
/* bindep-filter: select distro packages from a bindep file exactly as
 * OpenStack's bindep does, for the platform of an os-release file, a base
 * image or the host, and add them to the document as named selections. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/stage.h"
#include "distro/bindep.h"
#include "doc/doc.h"
#include "base/msg.h"
#include "distro/osrelease.h"
#include "distro/platform.h"
#include "base/similar.h"
#include "base/xalloc.h"

/* The usage line; on stdout (-h) the whole help. */
static void usage(FILE *out)
{
	fputs("usage: bindep-filter [-f FILE|-] [--os-release FILE] [--platform NAME]... "
	      "[--brief] [PROFILE...]\n", out);
	if (out != stdout)
		return;
	fputs("\nSelect packages from a bindep file as bindep does, and add them to the\n"
	      "document read on stdin as the section \"bindep\".\n\n"
	      "  -f, --file FILE      the bindep file (default: the project's or ./bindep.txt,\n"
	      "                       then ./other-requirements.txt); - reads it from stdin\n"
	      "      --os-release FILE  platform atoms from this os-release file\n"
	      "      --platform NAME  add the atom platform:NAME (repeatable)\n"
	      "  -b, --brief          print the selected package names, one per line\n"
	      "  -h, --help           show this help\n"
	      "      --version        show the version\n\n"
	      "PROFILE selects a profile (none means \"default\"); NAME=P1[,P2...] makes a\n"
	      "named selection.  Without PROFILE the document gets the selections\n"
	      "\"runtime\" (profile default) and \"compile\" (profile compile).\n", out);
}

struct selection {
	char *name;
	char **profiles;
	size_t n;
};

struct options {
	const char *file;
	const char *os_release;
	char **platforms;
	size_t nplatforms;
	bool brief;
	char **args;
	int nargs;
};

/* Text of a whole file or stdin ("-"); dies with EXIT_USAGE when
 * unreadable. */
static char *slurp(const char *path, size_t *len)
{
	struct pbrx_error e = {0};
	char *text = fs_read(path, len, &e);

	if (!text)
		error_exit(&e);
	return text;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* bindep's get_depends_file: bindep.txt, else other-requirements.txt, and
 * refuse to guess when both exist.  In a pipeline the files are looked for
 * in the project's directory.  Returns NULL (project without a bindep
 * file: no packages) only when dir is set.  Owned by the caller. */
static char *find_file(const char *dir)
{
	char *a = dir ? xasprintf("%s/bindep.txt", dir) : xstrdup("bindep.txt");
	char *b = dir ? xasprintf("%s/other-requirements.txt", dir) : xstrdup("other-requirements.txt");

	if (exists(a) && exists(b))
		msg_die(EXIT_USAGE, "both %s and %s exist, choose one with -f", a, b);
	if (exists(a)) {
		free(b);
		return a;
	}
	if (exists(b)) {
		free(a);
		return b;
	}
	if (!dir)
		msg_die(EXIT_USAGE, "neither bindep.txt nor other-requirements.txt exists; use -f FILE");
	msg_warn("%s: no bindep.txt or other-requirements.txt: no distro packages selected", dir);
	free(a);
	free(b);
	return NULL;
}

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

static void check_profile_arg(const char *p, const char *arg)
{
	if (!valid_profile(p))
		msg_die(EXIT_USAGE, "bad profile '%s' in '%s': profiles are lower case "
			"letters, digits, ':', '.' and '-'", p, arg);
}

/* The selections the arguments ask for; see usage. */
static struct selection *selections_from_args(const struct options *o, size_t *n)
{
	struct selection *sel = NULL, plain = {0};
	size_t cap = 0, pcap = 0;

	*n = 0;
	for (int i = 0; i < o->nargs; i++) {
		char *eq = strchr(o->args[i], '=');

		if (eq) {
			struct selection s = {0};
			size_t scap = 0;
			char *list = xstrdup(eq + 1), *save = NULL;

			s.name = xstrndup(o->args[i], (size_t)(eq - o->args[i]));
			if (!valid_profile(s.name))
				msg_die(EXIT_USAGE, "bad selection name in '%s'", o->args[i]);
			for (size_t k = 0; k < *n; k++)
				if (strcmp(sel[k].name, s.name) == 0)
					msg_die(EXIT_USAGE, "selection '%s' given twice", s.name);
			for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
				check_profile_arg(p, o->args[i]);
				xgrow((void **)&s.profiles, &scap, s.n + 1, sizeof(char *));
				s.profiles[s.n++] = xstrdup(p);
			}
			free(list);
			if (s.n == 0)
				msg_die(EXIT_USAGE, "selection '%s' has no profiles", s.name);
			xgrow((void **)&sel, &cap, *n + 1, sizeof(*sel));
			sel[(*n)++] = s;
		} else {
			check_profile_arg(o->args[i], o->args[i]);
			xgrow((void **)&plain.profiles, &pcap, plain.n + 1, sizeof(char *));
			plain.profiles[plain.n++] = xstrdup(o->args[i]);
		}
	}
	if (plain.n) {
		plain.name = xstrdup("selected");
		xgrow((void **)&sel, &cap, *n + 1, sizeof(*sel));
		sel[(*n)++] = plain;
	}
	if (*n == 0 && o->brief) {
		/* bindep: no profile means "default". */
		struct selection s = {xstrdup("selected"), xcalloc(1, sizeof(char *)), 1};
		s.profiles[0] = xstrdup("default");
		xgrow((void **)&sel, &cap, 1, sizeof(*sel));
		sel[(*n)++] = s;
	} else if (*n == 0) {
		const char *names[] = {"runtime", "compile"}, *profs[] = {"default", "compile"};
		for (int k = 0; k < 2; k++) {
			struct selection s = {xstrdup(names[k]), xcalloc(1, sizeof(char *)), 1};
			s.profiles[0] = xstrdup(profs[k]);
			xgrow((void **)&sel, &cap, *n + 1, sizeof(*sel));
			sel[(*n)++] = s;
		}
	}
	if (o->brief && *n != 1)
		msg_die(EXIT_USAGE, "--brief prints one selection; %zu were asked for", *n);
	return sel;
}

static json_t *read_os_release(const char *path)
{
	size_t len;
	char *text;
	int line = 0;
	const char *err = NULL;
	json_t *fields;

	if (!exists(path))
		msg_die(EXIT_USAGE, "%s: %s", path, strerror(errno));
	text = slurp(path, &len);
	fields = osr_parse(text, len, &line, &err);
	free(text);
	if (!fields)
		msg_die(EXIT_USAGE, "%s:%d: %s", path, line, err);
	return fields;
}

/* The "platform" member: atoms and where they came from. */
static json_t *platform_section(const struct options *o, const json_t *doc)
{
	json_t *plat = json_object(), *fields = NULL, *atoms;
	const char *source = NULL, *path = NULL;
	json_t *base = doc_want(doc, "", "base", JSON_OBJECT);
	struct pbrx_error e = {0};

	if (o->os_release) {
		fields = read_os_release(o->os_release);
		source = "os-release";
		path = o->os_release;
	} else if (o->nplatforms) {
		source = "platform";
	} else if (base && json_object_get(base, "os_release")) {
		fields = json_incref(doc_need(base, ".base", "os_release", JSON_OBJECT));
		source = "base";
	} else {
		/* As python-distro: /etc/os-release, else /usr/lib/os-release. */
		path = exists("/etc/os-release") ? "/etc/os-release" : "/usr/lib/os-release";
		fields = read_os_release(path);
		source = "host";
	}
	json_object_set_new(plat, "source", json_string(source));
	if (path)
		json_object_set_new(plat, "os_release", json_string(path));
	if (fields) {
		struct osr_distro d;

		osr_distro_from_fields(fields, &d);
		if (!d.id[0])
			msg_die(EXIT_USAGE, "%s: no ID: bindep cannot tell the distribution",
				path ? path : "<stdin>: .base.os_release");
		json_object_set_new(plat, "id", json_string(d.id));
		json_object_set_new(plat, "version", json_string(d.version));
		json_object_set_new(plat, "codename", json_string(d.codename));
		atoms = osr_atoms(&d);
		osr_distro_free(&d);
		json_decref(fields);
	} else {
		atoms = json_array();
	}
	if (platform_add_atoms(atoms, o->platforms, o->nplatforms, &e) < 0)
		error_exit(&e);
	json_object_set_new(plat, "atoms", atoms);
	return plat;
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
					       const struct selection *s, const json_t *atoms,
					       size_t *count)
{
	size_t natoms = json_array_size(atoms), np = s->n + natoms, nranks;
	char **profiles = xcalloc(np, sizeof(char *));
	const struct bindep_rule **active, **out;
	size_t *start;
	bool *on;

	*count = 0;
	if (!f) {
		free(profiles);
		return xcalloc(1, sizeof(*out));
	}
	for (size_t i = 0; i < s->n; i++)
		profiles[i] = s->profiles[i];
	for (size_t i = 0; i < natoms; i++)
		profiles[s->n + i] = (char *)json_string_value(json_array_get(atoms, i));
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

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"file", required_argument, NULL, 'f'},
		{"os-release", required_argument, NULL, 'O'},
		{"platform", required_argument, NULL, 'P'},
		{"brief", no_argument, NULL, 'b'},
		STAGE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	size_t cap = 0;
	int c;

	argv[0] = (char *)msg_progname(); /* getopt's messages start with it */
	while ((c = getopt_long(argc, argv, "f:b" STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 'O': o->os_release = optarg; break;
		case 'P':
			xgrow((void **)&o->platforms, &cap, o->nplatforms + 1, sizeof(char *));
			o->platforms[o->nplatforms++] = optarg;
			break;
		case 'b': o->brief = true; break;
		default:
			if (!stage_option(c, usage))
				stage_usage_error(usage);
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct selection *sels;
	size_t nsel, len = 0;
	json_t *doc, *section, *plat, *selections, *project;
	struct bindep_file *f = NULL;
	struct bindep_error err;
	char *file, *text;
	size_t *rank;

	msg_init("bindep-filter");
	parse_options(argc, argv, &o);
	sels = selections_from_args(&o, &nsel);

	/* With -f - the bindep file is on stdin and there is no document. */
	doc = o.file && strcmp(o.file, "-") == 0 ? json_object() : doc_read();
	project = doc_want(doc, "", "project", JSON_OBJECT);
	if (o.file)
		file = xstrdup(o.file);
	else
		file = find_file(project ? doc_need_string(project, ".project", "dir") : NULL);

	if (file) {
		const char *shown = strcmp(file, "-") == 0 ? "<stdin>" : file;

		text = slurp(file, &len);
		f = bindep_parse(text, len, &err);
		free(text);
		if (!f)
			msg_die(EXIT_USAGE, "%s:%d:%d: %s", shown, err.line, err.col, err.msg);
		lint(f, shown);
	}

	plat = platform_section(&o, doc);
	rank = package_ranks(f);
	selections = json_object();
	for (size_t i = 0; i < nsel; i++) {
		size_t count;
		const struct bindep_rule **rules = select_rules(f, rank, &sels[i],
								json_object_get(plat, "atoms"), &count);
		json_t *s;

		if (o.brief) {
			/* The names only: no document, so no JSON to build. */
			for (size_t k = 0; k < count; k++)
				if (k == 0 || rules[k]->pkg != rules[k - 1]->pkg) {
					fputs(rules[k]->name, stdout);
					putchar('\n');
				}
			if (fflush(stdout) == EOF || ferror(stdout))
				msg_die(EXIT_FAIL, "stdout: write error: %s", strerror(errno));
			free(rules);
			continue;
		}
		s = json_object();
		json_object_set_new(s, "profiles", doc_strings(sels[i].profiles, sels[i].n));
		json_object_set_new(s, "packages", packages_json(rules, count));
		json_object_set_new(selections, sels[i].name, s);
		free(rules);
	}
	free(rank);

	if (!o.brief) {
		section = json_object();
		json_object_set_new(section, "file", file ? json_string(strcmp(file, "-") ? file : "<stdin>") : json_null());
		json_object_set_new(section, "platform", plat);
		json_object_set_new(section, "selections", selections);
		doc_set(doc, "bindep", section);
		doc_write(doc);
	} else {
		json_decref(plat);
		json_decref(selections);
	}

	json_decref(doc);
	bindep_free(f);
	free(file);
	for (size_t i = 0; i < nsel; i++) {
		for (size_t k = 0; k < sels[i].n; k++)
			free(sels[i].profiles[k]);
		free(sels[i].profiles);
		free(sels[i].name);
	}
	free(sels);
	free(o.platforms);
	return EXIT_OK;
}
