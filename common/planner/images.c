/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/intern.h"
#include "base/msg.h"
#include "base/similar.h"
#include "base/xalloc.h"
#include "distro/pkgmgr.h"
#include "doc/doc.h"
#include "doc/plan.h"
#include "engine/imageref.h"
#include "planner/images.h"
#include "planner/plan.h"
#include "planner/project.h"
#include "planner/steps.h"
#include "py/extras.h"
#include "py/pyname.h"

static char *underscored(const char *s)
{
	char *r = xstrdup(s);
	for (char *p = r; *p; p++)
		if (*p == '-')
			*p = '_';
	return r;
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

/* ---- labels ---------------------------------------------------------- */

json_t *images_labels(const struct planner_project *p)
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

/* ---- one image ------------------------------------------------------- */

/* "PREFIX/NAME" or "NAME" (malloc'd), or NULL with *e. */
static char *image_name(const struct planner_options *o, const char *name, struct pbrx_error *e)
{
	char *n = o->prefix ? xconcat(o->prefix, "/", name, NULL) : xstrdup(name);

	if (!imageref_name(n)) {
		error_set(e, EXIT_USAGE, "image name '%s' is not a valid reference (too long?)", n);
		free(n);
		return NULL;
	}
	return n;
}

/* A new image object {name, ref, kind, from}, or NULL with *e; *ref_out
 * (when not NULL): its reference, malloc'd. */
static json_t *image_new(const struct planner_options *o, const char *name, const char *kind,
			 const char *from, char **ref_out, struct pbrx_error *e)
{
	json_t *img;
	char *full = image_name(o, name, e), *ref;

	if (!full)
		return NULL;
	img = json_object();
	ref = xconcat(full, ":", o->tag, NULL);
	json_object_set_new(img, "name", json_string(full));
	json_object_set_new(img, "ref", json_string(ref));
	json_object_set_new(img, "kind", steps_lit(kind));
	json_object_set_new(img, "from", json_string(from));
	if (ref_out)
		*ref_out = ref;
	else
		free(ref);
	free(full);
	return img;
}

/* Set img's "config" {entrypoint, cmd, labels} (entrypoint and cmd
 * stolen, NULL: null), the labels titled with the image's name. */
static void set_config(json_t *img, json_t *entrypoint, json_t *cmd, const json_t *labels)
{
	json_t *c = json_object();
	const char *title = json_string_value(json_object_get(img, "name"));

	json_object_set_new(c, "entrypoint", entrypoint ? entrypoint : json_null());
	json_object_set_new(c, "cmd", cmd ? cmd : json_null());
	json_object_set_new(c, "labels", labels_titled(labels, title));
	json_object_set_new(img, "config", c);
}

/* ---- checks ---------------------------------------------------------- */

/* "{name}-base", normalised as pip writes names: the base image's name
 * component.  Malloc'd. */
static char *base_component(const struct planner_project *p)
{
	char *n = p->name ? pyname_canonical(p->name, strlen(p->name)) : xstrdup("");
	char *r = xasprintf("%s-base", n);

	free(n);
	return r;
}

int images_check_names(const struct planner_project *p, struct pbrx_error *e)
{
	char *base = base_component(p);

	for (size_t i = 0; i < p->nscripts && !e->msg; i++)
		if (strcmp(p->scripts[i].image, base) == 0) {
			char *path = xasprintf("%s[%zu].name", p->scripts[i].path, i);
			doc_error(e, path, "image name '%s' is the base image's", base);
			free(path);
		}
	free(base);
	return e->msg ? -1 : 0;
}

/* Warn about extras that look meant for an image but match none:
 * "{name}_X" where X is no script (a typo, or a script since removed).
 * Names compared normalised, as pip compares them, the suggestion too
 * (a dotted or capitalised script name is a typo away from its extra
 * only once both are normalised); it is given as the extra to write. */
static void check_extras(const struct planner_project *p, const char *base_extra)
{
	char *prefix = pyname_canonical(p->name, strlen(p->name));
	char *pre = xasprintf("%s-", prefix);
	/* Each script's name normalised (owned), and as its extra is spelt. */
	const char **cands = xcalloc(p->nscripts + 1, sizeof *cands);
	char **spelt = xcalloc(p->nscripts + 1, sizeof *spelt);
	struct intern scripts = {0}; /* the scripts' names, normalised */
	const char *key, *where = p->source[0] == 'w' ? ".wheels.metadata.extras" : ".project.extras";
	json_t *v;

	for (size_t i = 0; i < p->nscripts; i++) {
		char *c = pyname_canonical(p->scripts[i].name, strlen(p->scripts[i].name));

		spelt[i] = underscored(p->scripts[i].name);
		cands[i] = c;
		intern_add(&scripts, c, strlen(c), NULL);
	}
	json_object_foreach(p->extras, key, v) {
		char *ck = pyname_canonical(key, strlen(key));
		bool used = (base_extra && strcmp(key, base_extra) == 0) ||
			    intern_find(&scripts, ck, strlen(ck)) != INTERN_NONE;
		if (!used && strncmp(ck, pre, strlen(pre)) == 0) {
			const char *best = similar_best(ck, cands, p->nscripts, 2);
			size_t b = 0;

			while (best && cands[b] != best)
				b++;
			if (best)
				msg_warn("<stdin>: %s.%s: no console script of that name; "
					 "did you mean '%s'?", where, key, spelt[b]);
			else
				msg_warn("<stdin>: %s.%s: no console script of that name; "
					 "no image installs it", where, key);
		}
		free(ck);
	}
	for (size_t i = 0; i < p->nscripts; i++) {
		free((char *)cands[i]);
		free(spelt[i]);
	}
	intern_free(&scripts);
	free(spelt);
	free(cands);
	free(prefix);
	free(pre);
}

/* An entry point's extra that is not declared: a warning. */
static void warn_unknown(size_t k, const char *extra, void *arg)
{
	const struct planner_script *s = arg;

	msg_warn("<stdin>: %s[%zu].extras[%zu]: no extra '%s' is declared; ignored", s->path,
		 s->index, k, extra);
}

/* Does the project have a Dockerfile.SCRIPT (cfg-extras listed it in
 * .project.dockerfiles)?  *path: its path then (malloc'd), else NULL. */
static bool dockerfile_for(const struct planner_project *p, const struct intern *listed,
			   const char *script, char **path)
{
	char *name = xconcat("Dockerfile.", script, NULL);
	bool found = intern_find(listed, name, strlen(name)) != INTERN_NONE;

	free(name);
	*path = found ? xconcat(p->dir, "/Dockerfile.", script, NULL) : NULL;
	return found;
}

/* ---- the images ------------------------------------------------------ */

/* What building the images shares. */
struct ctx {
	const struct planner_options *o;
	const struct planner_project *p;
	const json_t *labels;
	json_t *wheelhouse;        /* the read-only wheelhouse mount, shared */
	struct extras_index extras;  /* p->extras by normalised name */
	const char *found_base;    /* the base's extra as the project spells it, or NULL */
	struct intern dockerfiles; /* p->dockerfiles */
	json_t *all_extras;
	struct intern in_all;      /* what all_extras holds */
	const json_t *base_ex;     /* the base image's extras, when it has
	                            * Python layers (python_layers()) */
};

/* ---- the Python layers ------------------------------------------------ */

/* The entry of .wheels.installs whose extras are extras, in order
 * (wheel-build asked pip with them so): borrowed, or NULL. */
static const json_t *install_for(const json_t *installs, const json_t *extras)
{
	size_t i;
	json_t *in;

	json_array_foreach(installs, i, in)
		if (json_equal(json_object_get(in, "extras"), (json_t *)extras))
			return in;
	return NULL;
}

static bool has_file(const json_t *wheels, const char *file)
{
	size_t i;
	json_t *w;

	json_array_foreach(wheels, i, w)
		if (!strcmp(json_string_value(json_object_get(w, "file")), file))
			return true;
	return false;
}

/* Append to layers the layer name of the wheels of in that skip lacks,
 * the project's wheel only (project) or all but it; none when it would
 * be empty. */
static void add_python_layer(json_t *layers, const char *name, const json_t *in,
			     const json_t *skip, const char *wheel, bool project)
{
	json_t *wheels = json_array(), *w;
	size_t i;

	json_array_foreach(json_object_get(in, "wheels"), i, w) {
		const char *f = json_string_value(json_object_get(w, "file"));

		if ((strcmp(f, wheel) == 0) == project && !(skip && has_file(skip, f)))
			json_array_append(wheels, w);
	}
	if (json_array_size(wheels))
		json_array_append_new(layers, json_pack("{s:s, s:o}", "name", name, "wheels", wheels));
	else
		json_decref(wheels);
}

/* The Python layers of an image with extras ex, whose base image
 * installed base_ex (NULL: this is the base image), written by
 * image-assemble from the wheels (pbrx-document(5)): for the base image
 * the third-party wheels, then the project's, so that a change to the
 * project's source rebuilds only its own small layer; for a script's
 * image the third-party wheels its extras add.  A new array, or NULL
 * when .wheels.installs has no entry for these extras (the image then
 * runs pip). */
static json_t *python_layers(const struct ctx *c, const json_t *base_ex, const json_t *ex)
{
	json_t *all = json_deep_copy(base_ex ? base_ex : ex), *layers;
	const json_t *in, *base_in = base_ex ? install_for(c->p->installs, base_ex) : NULL;

	if (base_ex)
		json_array_extend(all, (json_t *)ex);
	in = install_for(c->p->installs, all);
	json_decref(all);
	if (!in || (base_ex && !base_in))
		return NULL;
	layers = json_array();
	if (!base_ex) {
		add_python_layer(layers, "dependencies", in, NULL, c->p->wheel, false);
		add_python_layer(layers, "project", in, NULL, c->p->wheel, true);
	} else {
		add_python_layer(layers, "extras", in, json_object_get(base_in, "wheels"),
				 c->p->wheel, false);
	}
	return layers;
}

/* The base image "{name}-base" appended to images; *ref: its reference
 * (malloc'd).  -1 with *e. */
static int base_image(struct ctx *c, const char *pm, const json_t *runtime, const char *name,
		      const char *extra, json_t *images, char **ref, struct pbrx_error *e)
{
	json_t *img = image_new(c->o, name, "base", c->o->base_image, ref, e), *ex, *pkgs, *steps, *m;
	json_t *layers;

	if (!img)
		return -1;
	ex = json_array();
	if (c->found_base) {
		json_array_append_new(ex, json_string(extra));
		add_new(c->all_extras, &c->in_all, extra);
	}
	/* Layers in the order their content changes least often: the
	 * distribution packages, the third-party wheels, then the project
	 * itself, so a change to the project's source rebuilds only its own
	 * layer.  The first two are cached (layer names); the project's is
	 * not: its wheel is new each build. */
	steps = json_array();
	if (!(pkgs = steps_packages(steps, pm, c->o->mirror, runtime, true, e))) {
		json_decref(steps);
		json_decref(ex);
		json_decref(img);
		return -1;
	}
	m = json_array();
	if (c->p->installs && (layers = python_layers(c, NULL, ex))) {
		json_object_set_new(img, "python_layers", layers);
		c->base_ex = ex;
	} else {
		steps_project(steps, c->p, ex);
		json_array_append(m, c->wheelhouse);
	}
	json_object_set_new(img, "extras", ex);
	json_object_set_new(img, "packages", pkgs);
	json_object_set_new(img, "mounts", m);
	json_object_set_new(img, "steps", steps);
	set_config(img, pkgmgr_argv("/usr/bin/dumb-init", "--", NULL), NULL, c->labels);
	json_array_append_new(images, img);
	return 0;
}

/* The image of console script s, from base (a reference), appended to
 * images.  -1 with *e. */
static int script_image(struct ctx *c, const struct planner_script *s, const char *base,
			json_t *images, struct pbrx_error *e)
{
	char *dockerfile = NULL, *tmp;
	bool df = dockerfile_for(c->p, &c->dockerfiles, s->name, &dockerfile);
	json_t *img = image_new(c->o, s->image, df ? "dockerfile" : "script", base, NULL, e);
	json_t *ex, *steps = json_array(), *m = json_array(), *v;
	size_t k;

	if (!img) {
		free(dockerfile);
		json_decref(steps);
		json_decref(m);
		return -1;
	}
	json_object_set_new(img, "script", json_string(s->name));
	if (df) {
		ex = json_array();
		json_object_set_new(img, "dockerfile", json_string(dockerfile));
		json_object_set_new(img, "context", json_string(c->p->dir));
	} else {
		/* The extra named after the script, then the extras its
		 * entry point asks for; the base's are there already. */
		ex = extras_for_script(&c->extras, c->found_base, s->name, s->ep_extras,
				       warn_unknown, (void *)s);
		json_array_foreach(ex, k, v)
			add_new(c->all_extras, &c->in_all, json_string_value(v));
		if (json_array_size(ex) && c->base_ex && (v = python_layers(c, c->base_ex, ex))) {
			json_object_set_new(img, "python_layers", v);
		} else if (!json_array_size(ex) && c->base_ex) {
			/* Written as well: only a config over the base's layers. */
			json_object_set_new(img, "python_layers", json_array());
		} else if (json_array_size(ex)) {
			tmp = steps_with_extras(c->p->name, ex);
			steps_add(steps, "install", steps_pip_install(tmp));
			free(tmp);
			json_array_append(m, c->wheelhouse);
		}
	}
	json_object_set_new(img, "extras", ex);
	json_object_set_new(img, "packages", json_array());
	json_object_set_new(img, "mounts", m);
	json_object_set_new(img, "steps", steps);
	tmp = xconcat("/usr/local/bin/", s->name, NULL);
	set_config(img, NULL, df ? NULL : pkgmgr_argv(tmp, NULL), c->labels);
	free(tmp);
	free(dockerfile);
	json_array_append_new(images, img);
	return 0;
}

int images_plan(const struct planner_options *o, const char *pm, const struct planner_project *p,
		const json_t *runtime, const json_t *labels, json_t *images, json_t *all_extras,
		struct pbrx_error *e)
{
	struct ctx c = {.o = o, .p = p, .labels = labels, .all_extras = all_extras};
	char *uname = underscored(p->name), *want_base = xasprintf("%s_base", uname);
	char *name = base_component(p), *extra, *base_ref = NULL;
	int rc = -1;

	/* The extra as the project spells it (extras.h). */
	extras_index_init(&c.extras, p->extras);
	c.found_base = extras_base(&c.extras, p->name);
	extra = xstrdup(c.found_base ? c.found_base : want_base);
	if (!c.found_base)
		msg_info("note: <stdin>: no extra '%s' in .project.extras: %s installs %s without extras",
			 extra, name, p->name);
	check_extras(p, extra);
	for (size_t i = 0; i < json_array_size(p->dockerfiles); i++) {
		const json_t *df = json_array_get(p->dockerfiles, i);
		intern_add(&c.dockerfiles, json_string_value(df), json_string_length(df), NULL);
	}
	c.wheelhouse = plan_mount_json(&(struct plan_mount){NULL, STEPS_WHEELS, true});

	if (base_image(&c, pm, runtime, name, extra, images, &base_ref, e) < 0)
		goto out;
	for (size_t i = 0; i < p->nscripts; i++)
		if (script_image(&c, &p->scripts[i], base_ref, images, e) < 0)
			goto out;
	rc = 0;
out:
	json_decref(c.wheelhouse);
	intern_free(&c.dockerfiles);
	intern_free(&c.in_all);
	extras_index_free(&c.extras);
	free(base_ref);
	free(extra);
	free(name);
	free(want_base);
	free(uname);
	return rc;
}
