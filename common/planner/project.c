/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "doc/doc.h"
#include "engine/imageref.h"
#include "planner/project.h"
#include "py/extras.h"
#include "py/pyname.h"

/* A string member of a script object or the wheel's metadata, which
 * must be there: borrowed, or "" with *e (kept when set before). */
static const char *md_str(const json_t *obj, const char *key, struct pbrx_error *e)
{
	const json_t *v = json_object_get(obj, key);

	if (e->msg)
		return "";
	if (!json_is_string(v)) {
		doc_error(e, ".wheels.metadata", "%s: expected a string", key);
		return "";
	}
	return json_string_value(v);
}

/* Set *e to the problem of script i's member ("BASE[I]MEMBER: what");
 * -1. */
static int script_error(struct pbrx_error *e, const char *base, size_t i, const char *member,
                        const char *fmt, const char *arg)
	__attribute__((format(printf, 5, 0)));
static int script_error(struct pbrx_error *e, const char *base, size_t i, const char *member,
                        const char *fmt, const char *arg)
{
	char *path = xasprintf("%s[%zu]%s", base, i, member);

	doc_error(e, path, fmt, arg);
	free(path);
	return -1;
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
 * scripts, formatting them for every script cost more than the checks.
 * 0, or -1 with *e. */
static int read_scripts(json_t *scripts, const char *base, const char *from,
			struct planner_project *p, struct pbrx_error *e)
{
	struct intern images = {0}; /* numbered as the scripts, until a clash */
	json_t *v;
	size_t i;

	p->nscripts = json_array_size(scripts);
	p->scripts = xcalloc(p->nscripts ? p->nscripts : 1, sizeof *p->scripts);
	json_array_foreach(scripts, i, v) {
		struct planner_script *s = &p->scripts[i];
		const json_t *name = json_object_get(v, "name");
		size_t first;
		bool added;

		if (!json_is_object(v) || !json_is_string(name)) {
			char *path = xasprintf("%s[%zu]", base, i);

			if (!json_is_object(v))
				doc_error(e, path, "expected an object");
			doc_need_string(v, path, "name", e);
			free(path);
			break;
		}
		s->name = json_string_value(name);
		s->index = i;
		s->obj = v;
		s->from = from;
		s->path = base;
		if (!pyname_script_valid(s->name)) {
			script_error(e, base, i, ".name", "'%s': use only letters, digits, '_', "
				     "'.' and '-', not starting with '-' or '.'", s->name);
			break;
		}
		/* Image names as pip writes names: lower case, dashes. */
		s->image = pyname_canonical(s->name, strlen(s->name));
		if (!imageref_component(s->image, strlen(s->image))) {
			script_error(e, base, i, ".name", "'%s' cannot be an image name (lower "
				     "case letters and digits separated by '.', '_', '__' or dashes)",
				     s->name);
			break;
		}
		s->ep_extras = json_object_get(v, "extras");
		if (s->ep_extras && !json_is_array(s->ep_extras)) {
			char *path = xasprintf("%s[%zu]", base, i);
			doc_want(v, path, "extras", JSON_ARRAY, e);
			free(path);
			break;
		}
		if (s->ep_extras && !all_strings(s->ep_extras)) {
			char *path = xasprintf("%s[%zu].extras", base, i);
			doc_check_strings(s->ep_extras, path, e);
			free(path);
			break;
		}
		first = intern_add(&images, s->image, strlen(s->image), &added);
		if (!added) {
			char *path = xasprintf("%s[%zu].name", base, i);
			doc_error(e, path, "image name '%s' already used by %s[%zu]", s->image, base,
				  first);
			free(path);
			break;
		}
	}
	intern_free(&images);
	return e->msg ? -1 : 0;
}

/* An object of extra name -> [requirements] at path, checked: 0, or
 * -1 with *e. */
static int check_extras_object(json_t *extras, const char *base, struct pbrx_error *e)
{
	const char *key;
	json_t *v;

	json_object_foreach(extras, key, v) {
		char *path = xasprintf("%s.%s", base, key);
		if (!pyname_valid(key))
			doc_error(e, path, "'%s' is not a valid extra name", key);
		else if (!json_is_array(v))
			doc_error(e, path, "expected an array");
		doc_check_strings(v, path, e);
		free(path);
		if (e->msg)
			return -1;
	}
	return e->msg ? -1 : 0;
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
 * it is what the wheel is read for.  0, or -1 with *e (a member that
 * is not a string: nothing more is said then). */
static int compare_with_wheel(const struct planner_project *cfg, json_t *cfg_scripts,
			      const json_t *md, struct pbrx_error *e)
{
	const char *key, *wname = md_str(md, "name", e);
	json_t *v, *w;
	size_t i, j;

	if (e->msg)
		return -1;
	if (cfg->name && !pyname_same(cfg->name, wname))
		msg_warn("<stdin>: setup.cfg names the project '%s', its wheel '%s': following "
			 "the wheel", cfg->name, wname);
	if (json_array_size(cfg_scripts)) {
		json_array_foreach(cfg_scripts, i, v) {
			const char *n = md_str(v, "name", e);
			bool found = false;
			json_array_foreach(json_object_get(md, "scripts"), j, w) {
				const char *cm = md_str(v, "module", e), *cc = md_str(v, "callable", e);
				const char *wn = md_str(w, "name", e), *wm = md_str(w, "module", e);
				const char *wc = md_str(w, "callable", e);

				if (e->msg)
					return -1;
				if (strcmp(n, wn) != 0)
					continue;
				found = true;
				if (strcmp(cm, wm) || strcmp(cc, wc))
					msg_warn("<stdin>: console script '%s': setup.cfg says %s:%s, the "
						 "wheel %s:%s: following the wheel", n, cm, cc, wm, wc);
			}
			if (e->msg)
				return -1;
			if (!found)
				msg_warn("<stdin>: console script '%s' is in setup.cfg, not in the "
					 "wheel: following the wheel, no image for it", n);
		}
		json_array_foreach(json_object_get(md, "scripts"), j, w) {
			const char *wn = md_str(w, "name", e);
			bool found = false;
			json_array_foreach(cfg_scripts, i, v)
				found |= strcmp(md_str(v, "name", e), wn) == 0;
			if (e->msg)
				return -1;
			if (!found)
				msg_warn("<stdin>: console script '%s' is in the wheel, not in setup.cfg: "
					 "following the wheel", wn);
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
	return 0;
}

/* The members cfg-extras read from the tree (see project.h), checked:
 * 0, or -1 with *e. */
static int read_facts(const json_t *proj, struct planner_project *p, struct pbrx_error *e)
{
	const json_t *g = json_object_get(proj, "git"), *v;
	const json_t *created = json_object_get(proj, "created");
	const json_t *need = json_object_get(proj, "needs_git");
	size_t i;

	p->git = NULL;
	if (g && !json_is_null(g)) {
		if (!json_is_object(g))
			return doc_error(e, ".project.git", "expected an object or null");
		if (!doc_need_string(g, ".project.git", "revision", e))
			return -1;
		v = json_object_get(g, "source");
		if (v && !json_is_null(v) && !json_is_string(v))
			return doc_error(e, ".project.git.source", "expected a string or null");
		p->git = g;
	}
	p->created = NULL;
	if (created && !json_is_null(created)) {
		if (!json_is_string(created))
			return doc_error(e, ".project.created", "expected a string or null");
		p->created = json_string_value(created);
	}
	if (need && !json_is_boolean(need))
		return doc_error(e, ".project.needs_git", "expected true or false");
	p->needs_git = json_is_true(need);
	p->dockerfiles = doc_want(proj, ".project", "dockerfiles", JSON_ARRAY, e);
	json_array_foreach(p->dockerfiles, i, v)
		if (!json_is_string(v) || strncmp(json_string_value(v), "Dockerfile.", 11) != 0 ||
		    strchr(json_string_value(v), '/')) {
			char *path = xasprintf(".project.dockerfiles[%zu]", i);
			doc_error(e, path, "expected a string \"Dockerfile.NAME\"");
			free(path);
			return -1;
		}
	return e->msg ? -1 : 0;
}

/* setup.cfg's console scripts (.project.scripts): objects with a name,
 * a module and a callable.  0, or -1 with *e. */
static int check_cfg_scripts(const json_t *scripts, struct pbrx_error *e)
{
	json_t *v;
	size_t i;

	json_array_foreach(scripts, i, v) {
		char *path = xasprintf(".project.scripts[%zu]", i);
		if (!json_is_object(v))
			doc_error(e, path, "expected an object");
		doc_need_string(v, path, "name", e);
		doc_need_string(v, path, "module", e);
		doc_need_string(v, path, "callable", e);
		free(path);
		if (e->msg)
			return -1;
	}
	return 0;
}

/* .wheels.installs (exec/resolve.h), checked into p->installs: an array
 * of {"extras": [strings], "wheels": [{"file", "requested"}]}, each file
 * a wheel of .wheels.files.  Absent: the images run pip. */
static int read_installs(const json_t *wheels, struct planner_project *p, struct pbrx_error *e)
{
	const json_t *installs = doc_want(wheels, ".wheels", "installs", JSON_ARRAY, e), *in, *w;
	const json_t *files = json_object_get(wheels, "files"), *f;
	size_t i, k, j;

	json_array_foreach(installs, i, in) {
		char *path = xasprintf(".wheels.installs[%zu]", i), *at;

		if (!json_is_object(in))
			doc_error(e, path, "expected an object");
		at = xasprintf("%s.extras", path);
		doc_check_strings(doc_need(in, path, "extras", JSON_ARRAY, e), at, e);
		free(at);
		json_array_foreach(doc_need(in, path, "wheels", JSON_ARRAY, e), k, w) {
			const char *file;
			bool known = false;

			at = xasprintf("%s.wheels[%zu]", path, k);
			if (!e->msg && !json_is_object(w))
				doc_error(e, at, "expected an object");
			file = doc_need_string(w, at, "file", e);
			doc_need(w, at, "requested", JSON_TRUE, e);
			json_array_foreach(files, j, f)
				known |= file && !strcmp(json_string_value(json_object_get(f, "file")) ?: "",
				                         file);
			if (!e->msg && !known)
				doc_error(e, at, "%s: no such wheel in .wheels.files", file);
			free(at);
		}
		free(path);
		if (e->msg)
			return -1;
	}
	p->installs = installs;
	return 0;
}

/* The wheel's metadata md, the authority (wheel-build(1) wrote what it
 * says), into p over what setup.cfg said (scripts: .project.scripts).
 * 0, or -1 with *e. */
static int read_wheel(const json_t *wheels, json_t *md, json_t *scripts,
                      struct planner_project *p, struct pbrx_error *e)
{
	json_t *v;
	size_t i;

	if (!pyname_valid(md_str(md, "name", e)) && !e->msg)
		return doc_error(e, ".wheels.metadata.name", "'%s' is not a valid project name",
				 md_str(md, "name", e));
	doc_need(md, ".wheels.metadata", "scripts", JSON_ARRAY, e);
	if (e->msg || check_extras_object(doc_need(md, ".wheels.metadata", "extras", JSON_OBJECT, e),
					  ".wheels.metadata.extras", e) < 0)
		return -1;
	json_array_foreach(json_object_get(md, "scripts"), i, v) {
		char *path = xasprintf(".wheels.metadata.scripts[%zu]", i);
		if (!json_is_object(v))
			doc_error(e, path, "expected an object");
		doc_need_string(v, path, "module", e);
		doc_need_string(v, path, "callable", e);
		free(path);
		if (e->msg)
			return -1;
	}
	if (check_cfg_scripts(scripts, e) < 0 || compare_with_wheel(p, scripts, md, e) < 0)
		return -1;
	p->wheel = doc_want_string(wheels, ".wheels", "project_wheel", e);
	if (p->wheel && (!*p->wheel || strchr(p->wheel, '/') || p->wheel[0] == '.'))
		return doc_error(e, ".wheels.project_wheel", "'%s' is not a wheel file name",
				 p->wheel);
	if (read_installs(wheels, p, e) < 0)
		return -1;
	p->requires = json_array_size(doc_want(md, ".wheels.metadata", "requires_dist",
					       JSON_ARRAY, e)) > 0;
	p->name = md_str(md, "name", e);
	p->version = doc_need_string(md, ".wheels.metadata", "version", e);
	p->extras = json_object_get(md, "extras");
	p->source = "wheel";
	if (e->msg ||
	    read_scripts(json_object_get(md, "scripts"), ".wheels.metadata.scripts", "wheel", p, e) < 0)
		return -1;
	for (i = 0; i < p->nscripts; i++) {
		size_t j;
		json_array_foreach(scripts, j, v)
			if (strcmp(md_str(v, "name", e), p->scripts[i].name) == 0)
				p->scripts[i].from = "setup.cfg";
	}
	return 0;
}

int planner_project_read(const json_t *doc, struct planner_project *p, struct pbrx_error *e)
{
	json_t *proj = doc_need(doc, "", "project", JSON_OBJECT, e), *scripts;
	json_t *wheels = doc_want(doc, "", "wheels", JSON_OBJECT, e);
	json_t *md = wheels ? doc_want(wheels, ".wheels", "metadata", JSON_OBJECT, e) : NULL;
	json_t *name = json_object_get(proj, "name");

	p->pending = json_array();
	if (e->msg)
		return -1;
	if (json_is_null(name)) {
		p->name = NULL;
	} else {
		p->name = doc_need_string(proj, ".project", "name", e);
		if (p->name && !pyname_valid(p->name))
			return doc_error(e, ".project.name", "'%s' is not a valid project name", p->name);
	}
	p->version = doc_want_string(proj, ".project", "version", e);
	p->dir = doc_need_string(proj, ".project", "dir", e);
	if (e->msg)
		return -1;
	if (p->dir[0] != '/')
		return doc_error(e, ".project.dir", "'%s' is not an absolute path", p->dir);
	for (const char *c = p->dir; *c; c++)
		if ((unsigned char)*c < 0x20)
			return doc_error(e, ".project.dir", "control character in the path");

	if (read_facts(proj, p, e) < 0)
		return -1;
	p->extras = p->cfg_extras = doc_want(proj, ".project", "extras", JSON_OBJECT, e);
	if (check_extras_object(p->extras, ".project.extras", e) < 0)
		return -1;
	scripts = doc_want(proj, ".project", "scripts", JSON_ARRAY, e);
	p->source = doc_want_string(proj, ".project", "source", e);
	if (e->msg)
		return -1;
	if (!p->source)
		p->source = "setup.cfg";

	if (!md && !p->name && wheels)
		return doc_error(e, ".wheels.metadata", "missing: the project has no setup.cfg "
				 "name, and only its wheel's metadata can name it");
	if (md)
		return read_wheel(wheels, md, scripts, p, e);
	if (read_scripts(scripts, ".project.scripts", "setup.cfg", p, e) < 0 ||
	    check_cfg_scripts(scripts, e) < 0)
		return -1;
	if (!p->name) {
		json_array_append_new(p->pending, json_string("name"));
		json_array_append_new(p->pending, json_string("scripts"));
		json_array_append_new(p->pending, json_string("extras"));
	} else if (!p->nscripts) {
		json_array_append_new(p->pending, json_string("scripts"));
	}
	return 0;
}

json_t *planner_project_scripts(const struct planner_project *p)
{
	json_t *arr = json_array();

	/* Built member by member: json_pack would parse its format string
	 * once per script. */
	for (size_t i = 0; i < p->nscripts; i++) {
		const struct planner_script *s = &p->scripts[i];
		/* Checked by planner_project_read(). */
		const char *callable = json_string_value(json_object_get(s->obj, "callable"));
		const char *module = json_string_value(json_object_get(s->obj, "module"));
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

json_t *planner_project_extras(const struct planner_project *p)
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

void planner_project_free(struct planner_project *p)
{
	for (size_t i = 0; i < p->nscripts; i++)
		free(p->scripts[i].image);
	free(p->scripts);
	json_decref(p->pending);
}
