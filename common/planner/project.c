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

const char *planner_md_str(const json_t *obj, const char *key)
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
static void read_scripts(json_t *scripts, const char *base, const char *from,
			 struct planner_project *p)
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
static void compare_with_wheel(const struct planner_project *cfg, json_t *cfg_scripts,
			       const json_t *md)
{
	const char *key;
	json_t *v, *w;
	size_t i, j;

	if (cfg->name && !pyname_same(cfg->name, planner_md_str(md, "name")))
		msg_warn("<stdin>: setup.cfg names the project '%s', its wheel '%s': following "
			 "the wheel", cfg->name, planner_md_str(md, "name"));
	if (json_array_size(cfg_scripts)) {
		json_array_foreach(cfg_scripts, i, v) {
			const char *n = planner_md_str(v, "name");
			bool found = false;
			json_array_foreach(json_object_get(md, "scripts"), j, w) {
				if (strcmp(n, planner_md_str(w, "name")) != 0)
					continue;
				found = true;
				if (strcmp(planner_md_str(v, "module"), planner_md_str(w, "module")) ||
				    strcmp(planner_md_str(v, "callable"), planner_md_str(w, "callable")))
					msg_warn("<stdin>: console script '%s': setup.cfg says %s:%s, the "
						 "wheel %s:%s: following the wheel", n, planner_md_str(v, "module"),
						 planner_md_str(v, "callable"), planner_md_str(w, "module"),
						 planner_md_str(w, "callable"));
			}
			if (!found)
				msg_warn("<stdin>: console script '%s' is in setup.cfg, not in the "
					 "wheel: following the wheel, no image for it", n);
		}
		json_array_foreach(json_object_get(md, "scripts"), j, w) {
			bool found = false;
			json_array_foreach(cfg_scripts, i, v)
				found |= strcmp(planner_md_str(v, "name"), planner_md_str(w, "name")) == 0;
			if (!found)
				msg_warn("<stdin>: console script '%s' is in the wheel, not in setup.cfg: "
					 "following the wheel", planner_md_str(w, "name"));
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
static void read_facts(const json_t *proj, struct planner_project *p)
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

void planner_project_read(const json_t *doc, struct planner_project *p)
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
	planner_md_str(md, "name");
	if (!pyname_valid(planner_md_str(md, "name")))
		doc_die(".wheels.metadata.name", "'%s' is not a valid project name", planner_md_str(md, "name"));
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
	p->name = planner_md_str(md, "name");
	p->version = doc_need_string(md, ".wheels.metadata", "version");
	p->extras = json_object_get(md, "extras");
	p->source = "wheel";
	read_scripts(json_object_get(md, "scripts"), ".wheels.metadata.scripts", "wheel", p);
	for (size_t i = 0; i < p->nscripts; i++) {
		json_t *v;
		size_t j;
		json_array_foreach(scripts, j, v)
			if (strcmp(planner_md_str(v, "name"), p->scripts[i].name) == 0)
				p->scripts[i].from = "setup.cfg";
	}
}

json_t *planner_project_scripts(const struct planner_project *p)
{
	json_t *arr = json_array();

	/* Built member by member: json_pack would parse its format string
	 * once per script. */
	for (size_t i = 0; i < p->nscripts; i++) {
		const struct planner_script *s = &p->scripts[i];
		/* callable first: with both missing, the message names it, as
		 * when json_pack's arguments were evaluated right to left. */
		const char *callable = planner_md_str(s->obj, "callable");
		const char *module = planner_md_str(s->obj, "module");
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
