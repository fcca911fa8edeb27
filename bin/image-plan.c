/* SPDX-License-Identifier: Apache-2.0 */
/* image-plan: from the "project" and "bindep" sections, plan every
 * container step and every image, and add the "plan" section.  Pure: no
 * engine, no network; the same input gives a byte-identical plan.
 * See image-plan(1) and pbrx-document(5). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc/doc.h"
#include "base/intern.h"
#include "base/msg.h"
#include "distro/osrelease.h"
#include "distro/pkgmgr.h"
#include "distro/platform.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/stage.h"
#include "engine/imageref.h"
#include "py/extras.h"
#include "py/pyname.h"
#include "base/similar.h"
#include "base/xalloc.h"



/* Everything runs under /tmp, which the engine mounts as a tmpfs, so no
 * mount target or scratch file can land in a committed layer
 * (ENGINES.md, "Mount targets end up in committed images"). */
#define P_ROOT "/tmp/pbrx"
#define P_SRC P_ROOT "/src"
#define P_BUILD P_ROOT "/build"
#define P_WHEELS P_ROOT "/wheels"
#define P_MIRROR P_ROOT "/mirror"

static void usage(FILE *f)
{
	fputs("usage: image-plan [-hqv] [--base-image IMAGE] [--prefix ORG] [--tag TAG]\n"
	      "                  [--mirror URL] [--package-manager NAME]\n"
	      "                  [--os-release FILE] [--platform NAME ...] [--version]\n", f);
}

struct options {
	const char *base_image, *prefix, *tag, *mirror, *pm, *os_release;
	char **platforms;
	size_t nplatforms;
};

/* The project section, checked. */
struct script {
	const char *name;     /* console script, as written */
	char *image;          /* its image name component: normalised as pip does */
	json_t *ep_extras;    /* borrowed: extras from the entry point */
	json_t *obj;          /* borrowed: the script object read */
	const char *from;     /* "setup.cfg" or "wheel" */
	const char *path;     /* ".project.scripts" or ".wheels.metadata.scripts" */
	size_t index;
};

struct project {
	const char *name, *version, *dir; /* name NULL: known only from the wheel */
	json_t *extras;       /* borrowed: name -> [requirements] */
	json_t *cfg_extras;   /* borrowed: setup.cfg's, for "from" */
	const char *source;   /* "setup.cfg" or "wheel": where names come from */
	json_t *pending;      /* owned: what only the wheel will tell */
	const char *wheel;    /* the project's wheel file (.wheels.project_wheel);
	                       * NULL before wheel-build */
	bool requires;        /* the wheel declares Requires-Dist lines */
	/* The tree's facts, as cfg-extras read them (project.h); absent
	 * members: no checkout, no time, no git, no Dockerfiles. */
	const json_t *git;    /* borrowed: {revision, source} or NULL */
	const char *created;  /* the build time, or NULL */
	bool needs_git;       /* pip can use git in the builder */
	json_t *dockerfiles;  /* borrowed: ["Dockerfile.NAME"...] */
	struct script *scripts;
	size_t nscripts;
};

/* ---- names ----------------------------------------------------------- */

static bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool ascii_alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

/* A distribution package name as bindep passes it to the package
 * manager: no option look-alikes, no whitespace or shell characters.
 * '/' for Gentoo's category/name, ':' for Debian's name:arch. */
static bool package_name_ok(const char *s)
{
	if (!ascii_alnum(s[0]))
		return false;
	for (; *s; s++)
		if (!ascii_alnum(*s) && !strchr("._+-:/@~", *s))
			return false;
	return true;
}

/* http(s)://HOST[:PORT][/PATH] with characters that are safe both in
 * a sed replacement with '#' as delimiter and anywhere else: no '&', '\',
 * '#', quotes, whitespace, '$', '?' or shell punctuation. */
static bool mirror_url_ok(const char *s)
{
	const char *host;
	size_t n;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return false;
	n = strcspn(host, "/");
	if (!imageref_domain(host, n))
		return false;
	for (const char *p = host + n; *p; p++)
		if (!ascii_alnum(*p) && !strchr("/._~%+=,@:-", *p))
			return false;
	return true;
}

static char *underscored(const char *s)
{
	char *r = xstrdup(s);
	for (char *p = r; *p; p++)
		if (*p == '-')
			*p = '_';
	return r;
}

/* ---- small JSON helpers ---------------------------------------------- */

/* Shared JSON strings for the literals that every image repeats (step
 * names, pip's options, the wheelhouse mount's fields): a plan of 500
 * script images would otherwise allocate each of them 500 times.  Keyed
 * by the literal's address, so only ever called with string literals. */
static struct {
	const char *key;
	json_t *value;
} lits[32];

/* A new reference to the shared string of literal s. */
static json_t *lit(const char *s)
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

static void lit_free(void)
{
	for (size_t i = 0; i < sizeof lits / sizeof *lits && lits[i].key; i++)
		json_decref(lits[i].value);
}

/* Append {"name": name, "argv": argv} to steps; steals argv. */
static void step(json_t *steps, const char *name, json_t *argv)
{
	json_t *s = json_object();
	json_object_set_new(s, "name", lit(name));
	json_object_set_new(s, "argv", argv);
	json_array_append_new(steps, s);
}

/* Steps from index first on form the cached layer named layer (see
 * layercache.h): their results are committed and found again by key. */
static void set_layer(json_t *steps, size_t first, const char *layer)
{
	for (size_t i = first; i < json_array_size(steps); i++)
		json_object_set_new(json_array_get(steps, i), "layer", lit(layer));
}

static bool has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static void add_unique(json_t *arr, const char *s)
{
	if (!has_string(arr, s))
		json_array_append_new(arr, json_string(s));
}

/* add_unique for an array whose strings are also in set seen, for the
 * arrays that collect one entry per script. */
static void add_new(json_t *arr, struct intern *seen, const char *s)
{
	bool added;

	intern_add(seen, s, strlen(s), &added);
	if (added)
		json_array_append_new(arr, json_string(s));
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

/* ---- reading the document -------------------------------------------- */

/* A string member of obj, which must be there. */
static const char *p_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		doc_die(".wheels.metadata", "%s: expected a string", key);
	return json_string_value(v);
}

/* "BASE[I]MEMBER": the JSON path of script i, for a message.  Malloc'd;
 * the callers die right after, so it is never freed. */
static char *script_path(const char *base, size_t i, const char *member)
{
	return xasprintf("%s[%zu]%s", base, i, member);
}

/* Is every element of arr a string?  The check before doc_check_strings,
 * so the JSON path for its message is built only when it is needed. */
static bool all_strings(const json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (!json_is_string(v))
			return false;
	return true;
}

/* The console scripts of array scripts (at path): checked into p.  JSON
 * paths for messages are made only on the way to one: with hundreds of
 * scripts, formatting them for every script cost more than the checks. */
static void read_scripts(json_t *scripts, const char *base, const char *from, struct project *p)
{
	struct intern images = {0}; /* numbered as the scripts, until a clash */
	json_t *v;
	size_t i;

	p->nscripts = json_array_size(scripts);
	p->scripts = xcalloc(p->nscripts ? p->nscripts : 1, sizeof *p->scripts);
	json_array_foreach(scripts, i, v) {
		struct script *s = &p->scripts[i];
		const json_t *name = json_object_get(v, "name");
		size_t first;
		bool added;

		if (!json_is_object(v) || !json_is_string(name)) {
			char *path = xasprintf("%s[%zu]", base, i);

			if (!json_is_object(v))
				doc_die(path, "expected an object");
			doc_need_string(v, path, "name");
		}
		s->name = json_string_value(name);
		s->index = i;
		s->obj = v;
		s->from = from;
		s->path = base;
		if (!pyname_script_valid(s->name))
			doc_die(script_path(base, i, ".name"), "'%s': use only letters, digits, '_', "
				"'.' and '-', not starting with '-' or '.'", s->name);
		/* Image names as pip writes names: lower case, dashes. */
		s->image = pyname_canonical(s->name, strlen(s->name));
		if (!imageref_component(s->image, strlen(s->image)))
			doc_die(script_path(base, i, ".name"), "'%s' cannot be an image name (lower "
				"case letters and digits separated by '.', '_', '__' or dashes)", s->name);
		s->ep_extras = json_object_get(v, "extras");
		if (s->ep_extras && !json_is_array(s->ep_extras))
			doc_want(v, script_path(base, i, ""), "extras", JSON_ARRAY);
		if (s->ep_extras && !all_strings(s->ep_extras))
			doc_check_strings(s->ep_extras, script_path(base, i, ".extras"));
		first = intern_add(&images, s->image, strlen(s->image), &added);
		if (!added)
			doc_die(script_path(base, i, ".name"), "image name '%s' already used by %s[%zu]",
				s->image, base, first);
	}
	intern_free(&images);
}

/* An object of extra name -> [requirements] at path, checked. */
static void check_extras_object(json_t *extras, const char *base)
{
	const char *key;
	json_t *v;

	json_object_foreach(extras, key, v) {
		char *path = xasprintf("%s.%s", base, key);
		if (!pyname_valid(key))
			doc_die(path, "'%s' is not a valid extra name", key);
		if (!json_is_array(v))
			doc_die(path, "expected an array");
		doc_check_strings(v, path);
		free(path);
	}
}

/* The key of extras that is want once normalised (borrowed), or NULL. */
static const char *find_extra(const json_t *extras, const char *want)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)extras, key, v)
		if (pyname_same(key, want))
			return key;
	return NULL;
}

/* Where setup.cfg and the wheel disagree: warn, and follow the wheel.
 * No warning when setup.cfg declares nothing of the kind: completing
 * it is what the wheel is read for. */
static void compare_with_wheel(const struct project *cfg, json_t *cfg_scripts, const json_t *md)
{
	const char *key;
	json_t *v, *w;
	size_t i, j;

	if (cfg->name && !pyname_same(cfg->name, p_str(md, "name")))
		msg_warn("<stdin>: setup.cfg names the project '%s', its wheel '%s': following "
			 "the wheel", cfg->name, p_str(md, "name"));
	if (json_array_size(cfg_scripts)) {
		json_array_foreach(cfg_scripts, i, v) {
			const char *n = p_str(v, "name");
			bool found = false;
			json_array_foreach(json_object_get(md, "scripts"), j, w) {
				if (strcmp(n, p_str(w, "name")) != 0)
					continue;
				found = true;
				if (strcmp(p_str(v, "module"), p_str(w, "module")) ||
				    strcmp(p_str(v, "callable"), p_str(w, "callable")))
					msg_warn("<stdin>: console script '%s': setup.cfg says %s:%s, the "
						 "wheel %s:%s: following the wheel", n, p_str(v, "module"),
						 p_str(v, "callable"), p_str(w, "module"),
						 p_str(w, "callable"));
			}
			if (!found)
				msg_warn("<stdin>: console script '%s' is in setup.cfg, not in the "
					 "wheel: following the wheel, no image for it", n);
		}
		json_array_foreach(json_object_get(md, "scripts"), j, w) {
			bool found = false;
			json_array_foreach(cfg_scripts, i, v)
				found |= strcmp(p_str(v, "name"), p_str(w, "name")) == 0;
			if (!found)
				msg_warn("<stdin>: console script '%s' is in the wheel, not in setup.cfg: "
					 "following the wheel", p_str(w, "name"));
		}
	}
	if (json_object_size(cfg->extras)) {
		json_t *wx = json_object_get(md, "extras");
		json_object_foreach(cfg->extras, key, v)
			if (!find_extra(wx, key))
				msg_warn("<stdin>: extra '%s' is in setup.cfg, not in the wheel: "
					 "following the wheel", key);
		json_object_foreach(wx, key, v)
			if (!find_extra(cfg->extras, key))
				msg_warn("<stdin>: extra '%s' is in the wheel, not in setup.cfg: "
					 "following the wheel", key);
	}
}

/* The members cfg-extras read from the tree (see project.h), checked. */
static void read_facts(const json_t *proj, struct project *p)
{
	const json_t *g = json_object_get(proj, "git"), *v;
	const json_t *created = json_object_get(proj, "created");
	const json_t *need = json_object_get(proj, "needs_git");
	size_t i;

	p->git = NULL;
	if (g && !json_is_null(g)) {
		if (!json_is_object(g))
			doc_die(".project.git", "expected an object or null");
		doc_need_string(g, ".project.git", "revision");
		v = json_object_get(g, "source");
		if (v && !json_is_null(v) && !json_is_string(v))
			doc_die(".project.git.source", "expected a string or null");
		p->git = g;
	}
	p->created = NULL;
	if (created && !json_is_null(created)) {
		if (!json_is_string(created))
			doc_die(".project.created", "expected a string or null");
		p->created = json_string_value(created);
	}
	if (need && !json_is_boolean(need))
		doc_die(".project.needs_git", "expected true or false");
	p->needs_git = json_is_true(need);
	p->dockerfiles = doc_want(proj, ".project", "dockerfiles", JSON_ARRAY);
	json_array_foreach(p->dockerfiles, i, v)
		if (!json_is_string(v) || strncmp(json_string_value(v), "Dockerfile.", 11) != 0 ||
		    strchr(json_string_value(v), '/')) {
			char *path = xasprintf(".project.dockerfiles[%zu]", i);
			doc_die(path, "expected a string \"Dockerfile.NAME\"");
		}
}

static void read_project(const json_t *doc, struct project *p)
{
	json_t *proj = doc_need(doc, "", "project", JSON_OBJECT), *scripts;
	json_t *wheels = doc_want(doc, "", "wheels", JSON_OBJECT);
	json_t *md = wheels ? doc_want(wheels, ".wheels", "metadata", JSON_OBJECT) : NULL;
	json_t *name = json_object_get(proj, "name");

	if (json_is_null(name)) {
		p->name = NULL;
	} else {
		p->name = doc_need_string(proj, ".project", "name");
		if (!pyname_valid(p->name))
			doc_die(".project.name", "'%s' is not a valid project name", p->name);
	}
	p->version = doc_want_string(proj, ".project", "version");
	p->dir = doc_need_string(proj, ".project", "dir");
	if (p->dir[0] != '/')
		doc_die(".project.dir", "'%s' is not an absolute path", p->dir);
	for (const char *c = p->dir; *c; c++)
		if ((unsigned char)*c < 0x20)
			doc_die(".project.dir", "control character in the path");

	read_facts(proj, p);
	p->extras = p->cfg_extras = doc_want(proj, ".project", "extras", JSON_OBJECT);
	check_extras_object(p->extras, ".project.extras");
	scripts = doc_want(proj, ".project", "scripts", JSON_ARRAY);
	p->pending = json_array();
	p->source = doc_want_string(proj, ".project", "source");
	if (!p->source)
		p->source = "setup.cfg";

	if (!md && !p->name && wheels)
		doc_die(".wheels.metadata", "missing: the project has no setup.cfg name, and only "
			"its wheel's metadata can name it");
	if (!md) {
		read_scripts(scripts, ".project.scripts", "setup.cfg", p);
		if (!p->name) {
			json_array_append_new(p->pending, json_string("name"));
			json_array_append_new(p->pending, json_string("scripts"));
			json_array_append_new(p->pending, json_string("extras"));
		} else if (!p->nscripts) {
			json_array_append_new(p->pending, json_string("scripts"));
		}
		return;
	}

	/* The wheel is the authority (wheel-build(1) wrote what it says). */
	p_str(md, "name");
	if (!pyname_valid(p_str(md, "name")))
		doc_die(".wheels.metadata.name", "'%s' is not a valid project name", p_str(md, "name"));
	doc_need(md, ".wheels.metadata", "scripts", JSON_ARRAY);
	check_extras_object(doc_need(md, ".wheels.metadata", "extras", JSON_OBJECT),
			    ".wheels.metadata.extras");
	{
		json_t *v;
		size_t i;
		json_array_foreach(json_object_get(md, "scripts"), i, v) {
			char *path = xasprintf(".wheels.metadata.scripts[%zu]", i);
			if (!json_is_object(v))
				doc_die(path, "expected an object");
			doc_need_string(v, path, "module");
			doc_need_string(v, path, "callable");
			free(path);
		}
		json_array_foreach(scripts, i, v) {
			char *path = xasprintf(".project.scripts[%zu]", i);
			if (!json_is_object(v))
				doc_die(path, "expected an object");
			doc_need_string(v, path, "name");
			doc_need_string(v, path, "module");
			doc_need_string(v, path, "callable");
			free(path);
		}
	}
	compare_with_wheel(p, scripts, md);
	p->wheel = doc_want_string(wheels, ".wheels", "project_wheel");
	if (p->wheel && (!*p->wheel || strchr(p->wheel, '/') || p->wheel[0] == '.'))
		doc_die(".wheels.project_wheel", "'%s' is not a wheel file name", p->wheel);
	p->requires = json_array_size(doc_want(md, ".wheels.metadata", "requires_dist",
					       JSON_ARRAY)) > 0;
	p->name = p_str(md, "name");
	p->version = doc_need_string(md, ".wheels.metadata", "version");
	p->extras = json_object_get(md, "extras");
	p->source = "wheel";
	read_scripts(json_object_get(md, "scripts"), ".wheels.metadata.scripts", "wheel", p);
	for (size_t i = 0; i < p->nscripts; i++) {
		json_t *v;
		size_t j;
		json_array_foreach(scripts, j, v)
			if (strcmp(p_str(v, "name"), p->scripts[i].name) == 0)
				p->scripts[i].from = "setup.cfg";
	}
}

/* Names of the packages of selection sel (may be NULL), checked. */
static json_t *selection_names(const json_t *selections, const char *sel)
{
	char *path = xasprintf(".bindep.selections.%s", sel);
	char *ppath = xasprintf("%s.packages", path);
	json_t *s = selections ? doc_want(selections, ".bindep.selections", sel, JSON_OBJECT) : NULL;
	json_t *pkgs = s ? doc_want(s, path, "packages", JSON_ARRAY) : NULL, *names = json_array(), *v;
	size_t i;

	json_array_foreach(pkgs, i, v) {
		char *epath = xasprintf("%s[%zu]", ppath, i);
		char *npath = xasprintf("%s.name", epath);
		const char *name;

		if (!json_is_object(v))
			doc_die(epath, "expected an object");
		name = doc_need_string(v, epath, "name");
		if (!package_name_ok(name))
			doc_die(npath, "'%s' is not a package name pbrx will pass to a package manager",
				name);
		add_unique(names, name);
		free(epath);
		free(npath);
	}
	free(path);
	free(ppath);
	return names;
}

/* ---- platform -------------------------------------------------------- */

struct platform {
	char *id, *version; /* may be NULL (atoms only) */
	json_t *atoms;      /* owned array of "platform:..." */
	const char *from;   /* where it came from, for messages */
};

static void platform_from_fields(struct platform *pl, json_t *fields, const char *where)
{
	struct osr_distro d;

	osr_distro_from_fields(fields, &d);
	if (!d.id[0])
		msg_die(EXIT_USAGE, "%s: no ID: cannot tell the distribution", where);
	pl->id = xstrdup(d.id);
	pl->version = xstrdup(d.version);
	pl->atoms = osr_atoms(&d);
	osr_distro_free(&d);
}

/* The platform: the document's .bindep.platform (the one bindep-filter
 * chose packages for), else --os-release / --platform, else .base. */
static void choose_platform(const json_t *doc, const struct options *o, struct platform *pl)
{
	json_t *bindep = doc_want(doc, "", "bindep", JSON_OBJECT);
	json_t *dp = bindep ? doc_want(bindep, ".bindep", "platform", JSON_OBJECT) : NULL;
	json_t *base = doc_want(doc, "", "base", JSON_OBJECT);
	struct pbrx_error e = {0};

	memset(pl, 0, sizeof *pl);
	if (dp) {
		const char *id = doc_want_string(dp, ".bindep.platform", "id");
		const char *ver = doc_want_string(dp, ".bindep.platform", "version");
		json_t *atoms = doc_want(dp, ".bindep.platform", "atoms", JSON_ARRAY);

		if (o->os_release || o->nplatforms)
			msg_warn("--os-release and --platform ignored: the packages were chosen "
				 "for .bindep.platform");
		if (atoms)
			doc_check_strings(atoms, ".bindep.platform.atoms");
		pl->id = id ? xstrdup(id) : NULL;
		pl->version = ver ? xstrdup(ver) : NULL;
		pl->atoms = atoms ? json_copy(atoms) : json_array();
		pl->from = "<stdin>: .bindep.platform";
	} else if (o->os_release) {
		size_t len;
		int line = 0;
		const char *err = NULL;
		char *text = fs_read(o->os_release, &len, &e);
		json_t *fields;

		if (!text)
			error_exit(&e);
		fields = osr_parse(text, len, &line, &err);
		free(text);
		if (!fields)
			msg_die(EXIT_USAGE, "%s:%d: %s", o->os_release, line, err);
		platform_from_fields(pl, fields, o->os_release);
		json_decref(fields);
		pl->from = "--os-release";
	} else if (o->nplatforms) {
		pl->atoms = json_array();
		pl->from = "--platform";
	} else if (base && json_object_get(base, "os_release")) {
		platform_from_fields(pl, doc_need(base, ".base", "os_release", JSON_OBJECT),
				     "<stdin>: .base.os_release");
		pl->from = "<stdin>: .base.os_release";
	} else {
		msg_die(EXIT_USAGE, "no platform: run bindep-filter or image-inspect first, "
			"or give --os-release FILE or --platform NAME");
	}
	if (!dp && platform_add_atoms(pl->atoms, o->platforms, o->nplatforms, &e) < 0)
		error_exit(&e);
}

/* ---- labels ---------------------------------------------------------- */

/* The OCI labels every image shares (title is set per image). */
static json_t *common_labels(const struct project *p)
{
	json_t *l = json_object();
	const char *url = p->git ? json_string_value(json_object_get(p->git, "source")) : NULL;
	const char *rev = p->git ? json_string_value(json_object_get(p->git, "revision")) : NULL;

	if (p->name)
		json_object_set_new(l, "org.opencontainers.image.title", json_string(p->name));
	if (p->version)
		json_object_set_new(l, "org.opencontainers.image.version", json_string(p->version));
	if (url)
		json_object_set_new(l, "org.opencontainers.image.source", json_string(url));
	if (rev)
		json_object_set_new(l, "org.opencontainers.image.revision", json_string(rev));
	if (p->created)
		json_object_set_new(l, "org.opencontainers.image.created", json_string(p->created));
	return l;
}

static json_t *labels_titled(const json_t *common, const char *title)
{
	json_t *l = json_deep_copy(common);
	json_object_set_new(l, "org.opencontainers.image.title", json_string(title));
	return l;
}

/* ---- the plan -------------------------------------------------------- */

static json_t *mount_volume(const char *volume, const char *target, bool ro)
{
	json_t *m = json_object();
	json_object_set_new(m, "volume", lit(volume));
	json_object_set_new(m, "target", lit(target));
	json_object_set_new(m, "read_only", json_boolean(ro));
	return m;
}

/* "foo" or "foo[a,b]": the project with extras, for pip.  Appended in
 * one buffer: the builder's list names every extra of the project. */
static char *with_extras(const char *what, const json_t *extras)
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

static json_t *pip_install(const char *req)
{
	static const char *const head[] = {"python3", "-m", "pip", "install", "--no-index",
	                                   "--no-cache-dir", "--find-links", P_WHEELS};
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof head / sizeof *head; i++)
		json_array_append_new(a, lit(head[i]));
	json_array_append_new(a, json_string(req));
	return a;
}

static char *image_name(const struct options *o, const char *name)
{
	char *n = o->prefix ? xconcat(o->prefix, "/", name, NULL) : xstrdup(name);
	if (!imageref_name(n))
		msg_die(EXIT_USAGE, "image name '%s' is not a valid reference (too long?)", n);
	return n;
}

static json_t *image_new(const struct options *o, const char *name, const char *kind,
			 const char *from, char **ref_out)
{
	json_t *img = json_object();
	char *full = image_name(o, name);
	char *ref = xconcat(full, ":", o->tag, NULL);

	json_object_set_new(img, "name", json_string(full));
	json_object_set_new(img, "ref", json_string(ref));
	json_object_set_new(img, "kind", lit(kind));
	json_object_set_new(img, "from", json_string(from));
	if (ref_out)
		*ref_out = ref;
	else
		free(ref);
	free(full);
	return img;
}

static json_t *config_of(json_t *entrypoint, json_t *cmd, json_t *labels)
{
	json_t *c = json_object();
	json_object_set_new(c, "entrypoint", entrypoint ? entrypoint : json_null());
	json_object_set_new(c, "cmd", cmd ? cmd : json_null());
	json_object_set_new(c, "labels", labels);
	return c;
}

/* Warn about extras that look meant for an image but match none:
 * "{name}_X" where X is no script (a typo, or a script since removed).
 * Names compared normalised, as pip compares them. */
static void check_extras(const struct project *p, const char *base_extra)
{
	char *prefix = pyname_canonical(p->name, strlen(p->name));
	char *pre = xasprintf("%s-", prefix);
	const char **cands = xcalloc(p->nscripts + 1, sizeof *cands);
	char **owned = xcalloc(p->nscripts + 1, sizeof *owned);
	struct intern scripts = {0}; /* the scripts' names, normalised */
	const char *key;
	json_t *v;

	for (size_t i = 0; i < p->nscripts; i++) {
		char *c = pyname_canonical(p->scripts[i].name, strlen(p->scripts[i].name));

		cands[i] = owned[i] = underscored(p->scripts[i].name);
		intern_add(&scripts, c, strlen(c), NULL);
		free(c);
	}
	json_object_foreach(p->extras, key, v) {
		char *ck = pyname_canonical(key, strlen(key));
		bool used = (base_extra && strcmp(key, base_extra) == 0) ||
			    intern_find(&scripts, ck, strlen(ck)) != INTERN_NONE;
		if (!used && strncmp(ck, pre, strlen(pre)) == 0) {
			const char *best = similar_best(key, cands, p->nscripts, 2);
			if (best)
				msg_warn("<stdin>: %s.%s: no console script of that name; "
					 "did you mean '%s'?", p->source[0] == 'w' ? ".wheels.metadata.extras" :
					 ".project.extras", key, best);
			else
				msg_warn("<stdin>: %s.%s: no console script of that name; "
					 "no image installs it", p->source[0] == 'w' ? ".wheels.metadata.extras" :
					 ".project.extras", key);
		}
		free(ck);
	}
	for (size_t i = 0; i < p->nscripts; i++)
		free(owned[i]);
	intern_free(&scripts);
	free(owned);
	free(cands);
	free(prefix);
	free(pre);
}

/* Does the project have a Dockerfile.SCRIPT (cfg-extras listed it in
 * .project.dockerfiles)?  *path: its path then (malloc'd), else NULL. */
static bool dockerfile_for(const struct project *p, const struct intern *listed,
			   const char *script, char **path)
{
	char *name = xconcat("Dockerfile.", script, NULL);
	bool found = intern_find(listed, name, strlen(name)) != INTERN_NONE;

	free(name);
	*path = found ? xconcat(p->dir, "/Dockerfile.", script, NULL) : NULL;
	return found;
}

/* The console scripts the images are for, each with where it came from. */
static json_t *plan_scripts(const struct project *p)
{
	json_t *arr = json_array();

	/* Built member by member: json_pack would parse its format string
	 * once per script. */
	for (size_t i = 0; i < p->nscripts; i++) {
		const struct script *s = &p->scripts[i];
		/* callable first: with both missing, the message names it, as
		 * when json_pack's arguments were evaluated right to left. */
		const char *callable = p_str(s->obj, "callable"), *module = p_str(s->obj, "module");
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(s->name));
		json_object_set_new(o, "module", json_string(module));
		json_object_set_new(o, "callable", json_string(callable));
		json_object_set_new(o, "extras", s->ep_extras ? json_copy(s->ep_extras) : json_array());
		json_object_set_new(o, "from", json_string(s->from));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* The extras, as the project spells them, each with where it came from
 * and its requirements. */
static json_t *plan_extras(const struct project *p)
{
	json_t *obj = json_object(), *v;
	const char *key;
	struct extras_index cfg;

	extras_index_init(&cfg, p->cfg_extras);
	json_object_foreach(p->extras, key, v) {
		bool in_cfg = p->cfg_extras && extras_index_find(&cfg, key);
		json_t *x = json_object();

		json_object_set_new(x, "from", json_string(in_cfg ? "setup.cfg" : "wheel"));
		json_object_set(x, "requires", v);
		json_object_set_new(obj, key, x);
	}
	extras_index_free(&cfg);
	return obj;
}

/* An entry point's extra that is not declared: a warning. */
static void warn_unknown(size_t k, const char *extra, void *arg)
{
	const struct script *s = arg;

	msg_warn("<stdin>: %s[%zu].extras[%zu]: no extra '%s' is declared; ignored", s->path,
		 s->index, k, extra);
}

/* The mirror steps, or the exit when pm has no mirror support. */
static void mirror_steps(json_t *steps, const char *pm, const char *url)
{
	struct pbrx_error e = {0};

	if (pkgmgr_mirror_steps(steps, pm, url, P_MIRROR, &e) < 0)
		error_exit(&e);
}

static json_t *make_plan(const struct options *o, const struct project *p, const char *pm,
			 json_t *compile, json_t *runtime)
{
	json_t *plan = json_object(), *paths = json_object(), *builder = json_object();
	json_t *images = json_array(), *labels = common_labels(p), *all_extras = json_array();
	json_t *bsteps = json_array(), *bmounts = json_array(), *m, *pkgs, *steps, *img, *ex;
	char *uname = p->name ? underscored(p->name) : xstrdup("");
	char *want_base = xasprintf("%s_base", uname);
	struct extras_index extras;  /* p->extras by normalised name */
	const char *found_base;
	char *base_extra;
	char *base_image_name = p->name ? pyname_canonical(p->name, strlen(p->name)) : xstrdup(""),
	     *tmp, *base_ref = NULL;
	const char *dumb_init = strcmp(pm, "emerge") == 0 ? "sys-process/dumb-init" : "dumb-init";
	bool has_base_extra;
	struct intern in_all = {0}; /* what all_extras holds */
	struct intern dockerfiles = {0}; /* p->dockerfiles */

	/* The extra as the project spells it (extras.h). */
	extras_index_init(&extras, p->extras);
	found_base = p->name ? extras_base(&extras, p->name) : NULL;
	base_extra = xstrdup(found_base ? found_base : want_base);
	has_base_extra = found_base != NULL;
	tmp = xasprintf("%s-base", base_image_name);
	free(base_image_name);
	base_image_name = tmp;
	for (size_t i = 0; i < p->nscripts; i++)
		if (strcmp(p->scripts[i].image, base_image_name) == 0) {
			char *path = xasprintf("%s[%zu].name", p->scripts[i].path, i);
			doc_die(path, "image name '%s' is the base image's", base_image_name);
		}

	json_object_set_new(plan, "project", p->name ? json_string(p->name) : json_null());
	json_object_set_new(plan, "base_image", json_string(o->base_image));
	json_object_set_new(plan, "prefix", o->prefix ? json_string(o->prefix) : json_null());
	json_object_set_new(plan, "tag", json_string(o->tag));
	json_object_set_new(plan, "mirror", o->mirror ? json_string(o->mirror) : json_null());
	json_object_set_new(plan, "package_manager", json_string(pm));
	json_object_set_new(paths, "source", json_string(P_SRC));
	json_object_set_new(paths, "build", json_string(P_BUILD));
	json_object_set_new(paths, "wheelhouse", json_string(P_WHEELS));
	json_object_set_new(plan, "paths", paths);
	json_object_set(plan, "labels", labels);
	json_object_set_new(plan, "source", json_string(p->source));
	json_object_set(plan, "pending", p->pending);
	json_object_set_new(plan, "scripts", plan_scripts(p));
	json_object_set_new(plan, "extras", plan_extras(p));

	if (!p->name) {
		msg_info("note: <stdin>: the project has no setup.cfg name: its name, console "
			 "scripts and extras, and so its images, are known only after the wheel is "
			 "built (wheel-build, then image-plan again)");
		goto builder;
	}
	if (!p->nscripts && json_array_size(p->pending))
		msg_info("note: <stdin>: setup.cfg declares no console scripts: the images of "
			 "any the wheel declares are known only after it is built (wheel-build, then "
			 "image-plan again)");
	if (!has_base_extra)
		msg_info("note: <stdin>: no extra '%s' in .project.extras: %s installs %s without extras",
			 base_extra, base_image_name, p->name);
	check_extras(p, base_extra);
	for (size_t i = 0; i < json_array_size(p->dockerfiles); i++) {
		const json_t *df = json_array_get(p->dockerfiles, i);
		intern_add(&dockerfiles, json_string_value(df), json_string_length(df), NULL);
	}

	/* {name}-base */
	img = image_new(o, base_image_name, "base", o->base_image, &base_ref);
	ex = json_array();
	if (has_base_extra) {
		json_array_append_new(ex, json_string(base_extra));
		add_new(all_extras, &in_all, base_extra);
	}
	add_unique(runtime, dumb_init);
	pkgs = sorted(runtime);
	/* Layers in the order their content changes least often: the
	 * distribution packages, the third-party wheels, then the project
	 * itself, so a change to the project's source rebuilds only its own
	 * layer.  The first two are cached (layer names); the project's is
	 * not: its wheel is new each build. */
	steps = json_array();
	if (o->mirror)
		mirror_steps(steps, pm, o->mirror);
	pkgmgr_install_steps(steps, pm, pkgs);
	if (o->mirror)
		pkgmgr_mirror_restore_step(steps, pm, P_MIRROR);
	set_layer(steps, 0, "packages");
	if (p->wheel) {
		char *whl = xasprintf("%s/%s", P_WHEELS, p->wheel);
		size_t first = json_array_size(steps);

		/* The dependencies alone: pip resolves them from the
		 * project's wheel, which is then taken out again. */
		if (p->requires) {
			tmp = with_extras(whl, ex);
			step(steps, "dependencies", pip_install(tmp));
			free(tmp);
			step(steps, "dependencies", pkgmgr_argv("python3", "-m", "pip", "uninstall",
							    "--yes", "--quiet", p->name, NULL));
			set_layer(steps, first, "dependencies");
		}
		step(steps, "install", pkgmgr_argv("python3", "-m", "pip", "install", "--no-index",
					       "--no-cache-dir", "--no-deps", whl, NULL));
		free(whl);
	} else {
		tmp = with_extras(p->name, ex);
		step(steps, "install", pip_install(tmp));
		free(tmp);
	}
	json_object_set_new(img, "extras", ex);
	json_object_set_new(img, "packages", pkgs);
	m = json_array();
	json_array_append_new(m, mount_volume("wheelhouse", P_WHEELS, true));
	json_object_set_new(img, "mounts", m);
	json_object_set_new(img, "steps", steps);
	tmp = image_name(o, base_image_name);
	json_object_set_new(img, "config",
			    config_of(pkgmgr_argv("/usr/bin/dumb-init", "--", NULL), NULL,
				      labels_titled(labels, tmp)));
	free(tmp);
	json_array_append_new(images, img);

	/* one image per console script */
	for (size_t i = 0; i < p->nscripts; i++) {
		const struct script *s = &p->scripts[i];
		char *dockerfile = NULL, *title;
		bool df = dockerfile_for(p, &dockerfiles, s->name, &dockerfile);
		size_t k;
		json_t *v;

		img = image_new(o, s->image, df ? "dockerfile" : "script", base_ref, NULL);
		json_object_set_new(img, "script", json_string(s->name));
		ex = json_array();
		steps = json_array();
		m = json_array();
		if (df) {
			json_object_set_new(img, "dockerfile", json_string(dockerfile));
			json_object_set_new(img, "context", json_string(p->dir));
		} else {
			/* The extra named after the script, then the extras its
			 * entry point asks for; the base's are there already. */
			json_decref(ex);
			ex = extras_for_script(&extras, found_base, s->name, s->ep_extras,
					       warn_unknown, (void *)s);
			json_array_foreach(ex, k, v)
				add_new(all_extras, &in_all, json_string_value(v));
			if (json_array_size(ex)) {
				tmp = with_extras(p->name, ex);
				step(steps, "install", pip_install(tmp));
				free(tmp);
				json_array_append_new(m, mount_volume("wheelhouse", P_WHEELS, true));
			}
		}
		json_object_set_new(img, "extras", ex);
		json_object_set_new(img, "packages", json_array());
		json_object_set_new(img, "mounts", m);
		json_object_set_new(img, "steps", steps);
		title = image_name(o, s->image);
		tmp = xconcat("/usr/local/bin/", s->name, NULL);
		json_object_set_new(img, "config",
				    config_of(NULL, df ? NULL : pkgmgr_argv(tmp, NULL),
					      labels_titled(labels, title)));
		free(tmp);
		free(title);
		free(dockerfile);
		json_array_append_new(images, img);
	}
	intern_free(&dockerfiles);

builder:
	extras_index_free(&extras);
	/* the builder: compile packages, git when it can be used, wheels of
	 * everything */
	if (p->needs_git)
		add_unique(compile, "git");
	pkgs = sorted(compile);
	if (o->mirror)
		mirror_steps(bsteps, pm, o->mirror);
	pkgmgr_install_steps(bsteps, pm, pkgs);
	set_layer(bsteps, 0, "packages");
	/* pip builds in place: build a throwaway copy of the read-only source. */
	step(bsteps, "source", pkgmgr_argv("cp", "-a", P_SRC "/.", P_BUILD "/", NULL));
	tmp = with_extras(P_BUILD, all_extras);
	step(bsteps, "wheels", pkgmgr_argv("python3", "-m", "pip", "wheel", "--wheel-dir", P_WHEELS,
				       "--find-links", P_WHEELS, tmp, NULL));
	free(tmp);
	m = json_object();
	json_object_set_new(m, "source", json_string(p->dir));
	json_object_set_new(m, "target", json_string(P_SRC));
	json_object_set_new(m, "read_only", json_true());
	json_array_append_new(bmounts, m);
	json_array_append_new(bmounts, mount_volume("wheelhouse", P_WHEELS, false));
	json_object_set_new(builder, "from", json_string(o->base_image));
	json_object_set_new(builder, "packages", pkgs);
	json_object_set_new(builder, "extras", all_extras);
	json_object_set_new(builder, "mounts", bmounts);
	json_object_set_new(builder, "steps", bsteps);

	/* Keys in the order a reader wants them: builder before images. */
	json_object_set_new(plan, "builder", builder);
	json_object_set_new(plan, "images", images);

	json_decref(labels);
	intern_free(&in_all);
	free(uname);
	free(base_extra);
	free(want_base);
	free(base_image_name);
	free(base_ref);
	return plan;
}

/* ---- main ------------------------------------------------------------ */

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"base-image", required_argument, NULL, 'B'},
		{"prefix", required_argument, NULL, 'P'},
		{"tag", required_argument, NULL, 'T'},
		{"mirror", required_argument, NULL, 'M'},
		{"package-manager", required_argument, NULL, 'K'},
		{"os-release", required_argument, NULL, 'O'},
		{"platform", required_argument, NULL, 'L'},
		STAGE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	size_t cap = 0;
	int ch;

	o->tag = "latest";
	while ((ch = getopt_long(argc, argv, STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'B': o->base_image = optarg; break;
		case 'P': o->prefix = optarg; break;
		case 'T': o->tag = optarg; break;
		case 'M': o->mirror = optarg; break;
		case 'K': o->pm = optarg; break;
		case 'O': o->os_release = optarg; break;
		case 'L':
			xgrow((void **)&o->platforms, &cap, o->nplatforms + 1, sizeof(char *));
			o->platforms[o->nplatforms++] = optarg;
			break;
		default:
			if (!stage_option(ch, usage))
				stage_usage_error(usage);
		}
	}
	if (optind != argc)
		stage_usage_error(usage);
	if (o->base_image && !imageref_full(o->base_image))
		msg_die(EXIT_USAGE, "--base-image '%s': not a valid image reference", o->base_image);
	if (o->prefix && !imageref_name(o->prefix))
		msg_die(EXIT_USAGE, "--prefix '%s': not a valid repository prefix (lower case "
			"letters and digits separated by '.', '_', '__', '-' or '/')", o->prefix);
	if (!imageref_tag(o->tag))
		msg_die(EXIT_USAGE, "--tag '%s': not a valid tag (up to 128 letters, digits, '_', "
			"'.' and '-', not starting with '.' or '-')", o->tag);
	if (o->mirror) {
		if (!mirror_url_ok(o->mirror))
			msg_die(EXIT_USAGE, "--mirror '%s': expected http(s)://HOST[:PORT][/PATH] "
				"with letters, digits and any of /._~%%+=,@:-", o->mirror);
	}
	if (o->pm) {
		if (!pkgmgr_known(o->pm))
			msg_die(EXIT_USAGE, "--package-manager '%s': expected apk, apt-get, dnf, "
				"microdnf, yum, zypper, pacman or emerge", o->pm);
	}
}

/* The image everything starts from: --base-image, else the one
 * image-inspect looked at (.base.image), else the default. */
static void base_image(const json_t *doc, struct options *o)
{
	const json_t *base = doc_want(doc, "", "base", JSON_OBJECT);
	const char *image = base ? doc_want_string(base, ".base", "image") : NULL;

	if (o->base_image)
		return;
	if (image && !imageref_full(image))
		doc_die(".base.image", "'%s': not a valid image reference", image);
	o->base_image = image ? image : DOC_DEFAULT_BASE_IMAGE;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct project p = {0};
	struct platform pl;
	json_t *doc, *bindep, *selections, *compile, *runtime, *plan;
	const char *pm;
	char *mirror = NULL;

	msg_init("image-plan");
	parse_options(argc, argv, &o);
	if (o.mirror) {
		/* Paths are appended to it: one form, without the final '/'. */
		size_t n = strlen(o.mirror);
		while (n > 0 && o.mirror[n - 1] == '/')
			n--;
		o.mirror = mirror = xstrndup(o.mirror, n);
	}

	doc = doc_read();
	read_project(doc, &p);
	base_image(doc, &o);
	bindep = doc_want(doc, "", "bindep", JSON_OBJECT);
	selections = bindep ? doc_want(bindep, ".bindep", "selections", JSON_OBJECT) : NULL;
	runtime = selection_names(selections, "runtime");
	compile = selection_names(selections, "compile");
	choose_platform(doc, &o, &pl);
	pm = o.pm ? o.pm : pkgmgr_for(pl.id, pl.version, pl.atoms);
	if (!pm) {
		char *atoms = json_dumps(pl.atoms, JSON_COMPACT);
		msg_die(EXIT_USAGE, "%s: cannot tell the package manager from %s%s%s; "
			"use --package-manager", pl.from, pl.id ? pl.id : "", pl.id ? " " : "", atoms);
	}

	plan = make_plan(&o, &p, pm, compile, runtime);
	doc_set(doc, "plan", plan);
	doc_write(doc);

	for (size_t i = 0; i < p.nscripts; i++)
		free(p.scripts[i].image);
	free(p.scripts);
	json_decref(p.pending);
	free(pl.id);
	free(pl.version);
	json_decref(pl.atoms);
	json_decref(compile);
	json_decref(runtime);
	json_decref(doc);
	lit_free();
	free(o.platforms);
	free(mirror);
	return EXIT_OK;
}
