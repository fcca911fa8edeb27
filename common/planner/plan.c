/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "distro/osrelease.h"
#include "distro/pkgmgr.h"
#include "distro/platform.h"
#include "doc/doc.h"
#include "doc/plan.h"
#include "engine/imageref.h"
#include "planner/images.h"
#include "planner/plan.h"
#include "planner/project.h"
#include "planner/steps.h"

static bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool ascii_alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

bool planner_mirror_ok(const char *s)
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

/* ---- the packages bindep-filter chose -------------------------------- */

/* A distribution package name as bindep passes it to the package
 * manager: no option look-alikes, no whitespace or shell characters.
 * '/' for Gentoo's category/name and, first, for a file's path (what
 * provides it), ':' for Debian's name:arch. */
static bool package_name_ok(const char *s)
{
	if (!ascii_alnum(s[0]) && s[0] != '/')
		return false;
	for (; *s; s++)
		if (!ascii_alnum(*s) && !strchr("._+-:/@~", *s))
			return false;
	return true;
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

/* Names of the packages of selection sel (selections may be NULL),
 * checked.  New; empty when *e is set. */
static json_t *selection_names(const json_t *selections, const char *sel, struct pbrx_error *e)
{
	char *path = xasprintf(".bindep.selections.%s", sel);
	char *ppath = xasprintf("%s.packages", path);
	json_t *s = selections ? doc_want(selections, ".bindep.selections", sel, JSON_OBJECT, e)
	                       : NULL;
	json_t *pkgs = s ? doc_want(s, path, "packages", JSON_ARRAY, e) : NULL, *names = json_array(), *v;
	size_t i;

	json_array_foreach(pkgs, i, v) {
		char *epath = xasprintf("%s[%zu]", ppath, i);
		char *npath = xasprintf("%s.name", epath);
		const char *name;

		if (!json_is_object(v))
			doc_error(e, epath, "expected an object");
		name = doc_need_string(v, epath, "name", e);
		if (name && !package_name_ok(name))
			doc_error(e, npath, "'%s' is not a package name pbrx will pass to a package "
			          "manager", name);
		free(epath);
		free(npath);
		if (e->msg)
			break;
		add_unique(names, name);
	}
	free(path);
	free(ppath);
	return names;
}

/* Is name a compiler or a package of headers to build against: what a
 * runtime image must not get? */
static bool build_only(const char *name)
{
	static const char *const compilers[] = {"gcc", "g++", "gcc-c++", "clang", "cc",
	                                        "build-essential", "gfortran"};
	static const char *const versioned[] = {"gcc-", "g++-", "clang-"};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof compilers / sizeof *compilers; i++)
		if (!strcmp(name, compilers[i]))
			return true;
	for (size_t i = 0; i < sizeof versioned / sizeof *versioned; i++)
		if (!strncmp(name, versioned[i], strlen(versioned[i])) &&
		    isdigit((unsigned char)name[strlen(versioned[i])]))
			return true;
	return (n > 4 && !strcmp(name + n - 4, "-dev")) ||
	       (n > 6 && !strcmp(name + n - 6, "-devel"));
}

/* One warning for each compiler or -dev package in the runtime
 * selection (checked by selection_names()), naming the bindep file's
 * line to mark [compile]: it would go into every runtime image. */
static void warn_build_only(const json_t *bindep, const json_t *selections)
{
	const char *file = json_string_value(json_object_get(bindep, "file"));
	json_t *pkgs = json_object_get(json_object_get(selections, "runtime"), "packages"), *v;
	size_t i;

	json_array_foreach(pkgs, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		json_t *lines = json_object_get(v, "lines");

		if (!build_only(name))
			continue;
		if (json_is_integer(json_array_get(lines, 0)))
			msg_warn("%s:%lld: %s goes into every runtime image: mark it [compile] if it "
			         "is only needed to build", file ? file : "bindep.txt",
			         (long long)json_integer_value(json_array_get(lines, 0)), name);
		else
			msg_warn("%s goes into every runtime image: mark it [compile] in %s if it is "
			         "only needed to build", name, file ? file : "bindep.txt");
	}
}

/* ---- the platform ---------------------------------------------------- */

struct platform {
	char *id, *version; /* may be NULL (atoms only) */
	json_t *atoms;      /* owned array of "platform:..." */
	const char *from;   /* where it came from, for messages */
};

static int platform_from_fields(struct platform *pl, json_t *fields, const char *where,
				struct pbrx_error *e)
{
	struct osr_distro d;

	osr_distro_from_fields(fields, &d);
	if (!d.id[0]) {
		osr_distro_free(&d);
		return error_set(e, EXIT_USAGE, "%s: no ID: cannot tell the distribution", where);
	}
	pl->id = xstrdup(d.id);
	pl->version = xstrdup(d.version);
	pl->atoms = osr_atoms(&d);
	osr_distro_free(&d);
	return 0;
}

/* The platform: the document's .bindep.platform (the one bindep-filter
 * chose packages for), else --os-release / --platform, else .base.  0,
 * or -1 with *e. */
static int choose_platform(const json_t *doc, const struct planner_options *o,
			   struct platform *pl, struct pbrx_error *e)
{
	json_t *bindep = doc_want(doc, "", "bindep", JSON_OBJECT, e);
	json_t *dp = bindep ? doc_want(bindep, ".bindep", "platform", JSON_OBJECT, e) : NULL;
	json_t *base = doc_want(doc, "", "base", JSON_OBJECT, e);

	if (e->msg)
		return -1;
	if (dp) {
		const char *id = doc_want_string(dp, ".bindep.platform", "id", e);
		const char *ver = doc_want_string(dp, ".bindep.platform", "version", e);
		json_t *atoms = doc_want(dp, ".bindep.platform", "atoms", JSON_ARRAY, e);

		if (atoms)
			doc_check_strings(atoms, ".bindep.platform.atoms", e);
		if (e->msg)
			return -1;
		if (o->platform.os_release || o->platform.nplatforms)
			msg_warn("--os-release and --platform ignored: the packages were chosen "
				 "for .bindep.platform");
		pl->id = id ? xstrdup(id) : NULL;
		pl->version = ver ? xstrdup(ver) : NULL;
		pl->atoms = atoms ? json_copy(atoms) : json_array();
		pl->from = "<stdin>: .bindep.platform";
		return 0;
	} else if (o->platform.os_release) {
		json_t *fields = platform_os_release_read(o->platform.os_release, e);
		int rc;

		if (!fields)
			return -1;
		rc = platform_from_fields(pl, fields, o->platform.os_release, e);
		json_decref(fields);
		if (rc < 0)
			return -1;
		pl->from = "--os-release";
	} else if (o->platform.nplatforms) {
		pl->atoms = json_array();
		pl->from = "--platform";
	} else if (base && json_object_get(base, "os_release")) {
		json_t *fields = doc_need(base, ".base", "os_release", JSON_OBJECT, e);

		if (!fields || platform_from_fields(pl, fields, "<stdin>: .base.os_release", e) < 0)
			return -1;
		pl->from = "<stdin>: .base.os_release";
	} else {
		return error_set(e, EXIT_USAGE, "no platform: run bindep-filter or image-inspect "
				 "first, or give --os-release FILE or --platform NAME");
	}
	return platform_add_atoms(pl->atoms, o->platform.platforms, o->platform.nplatforms, e);
}

/* The package manager: --package-manager, else the platform's.  Static,
 * or NULL with *e. */
static const char *package_manager(const struct planner_options *o, const struct platform *pl,
				   struct pbrx_error *e)
{
	const char *pm = o->pm ? o->pm : pkgmgr_for(pl->id, pl->version, pl->atoms);

	if (!pm) {
		char *atoms = json_dumps(pl->atoms, JSON_COMPACT);
		error_set(e, EXIT_USAGE, "%s: cannot tell the package manager from %s%s%s; use "
			  "--package-manager", pl->from, pl->id ? pl->id : "", pl->id ? " " : "",
			  atoms);
		free(atoms);
	}
	return pm;
}

/* The image everything starts from: --base-image, else the one
 * image-inspect looked at (.base.image), else the default.  NULL with
 * *e. */
static const char *base_image(const json_t *doc, const struct planner_options *o,
                              struct pbrx_error *e)
{
	const json_t *base = doc_want(doc, "", "base", JSON_OBJECT, e);
	const char *image = base ? doc_want_string(base, ".base", "image", e) : NULL;

	if (e->msg)
		return NULL;
	if (o->base_image)
		return o->base_image;
	if (image && !imageref_full(image)) {
		doc_error(e, ".base.image", "'%s': not a valid image reference", image);
		return NULL;
	}
	return image ? image : DOC_DEFAULT_BASE_IMAGE;
}

/* ---- the plan -------------------------------------------------------- */

/* The builder: compile packages, git when it can be used, wheels of
 * everything (all_extras stolen).  New, or NULL with *e. */
static json_t *builder(const struct planner_options *o, const struct planner_project *p,
		       const char *pm, json_t *compile, json_t *all_extras, struct pbrx_error *e)
{
	json_t *b, *steps = json_array(), *mounts, *pkgs;

	if (p->needs_git)
		add_unique(compile, "git");
	if (!(pkgs = steps_packages(steps, pm, o->mirror, compile, false, e))) {
		json_decref(steps);
		json_decref(all_extras);
		return NULL;
	}
	steps_wheels(steps, all_extras);
	mounts = json_array();
	json_array_append_new(mounts, plan_mount_json(&(struct plan_mount){p->dir, STEPS_SRC, true}));
	json_array_append_new(mounts, plan_mount_json(&(struct plan_mount){NULL, STEPS_WHEELS, false}));
	b = json_object();
	json_object_set_new(b, "from", json_string(o->base_image));
	json_object_set_new(b, "packages", pkgs);
	json_object_set_new(b, "extras", all_extras);
	json_object_set_new(b, "user", json_string(STEPS_BUILD_USER));
	json_object_set_new(b, "extras_command", steps_wheels_command());
	json_object_set_new(b, "mounts", mounts);
	json_object_set_new(b, "steps", steps);
	return b;
}

static json_t *make_plan(const struct planner_options *o, const struct planner_project *p,
			 const char *pm, json_t *compile, json_t *runtime, struct pbrx_error *e)
{
	json_t *plan, *paths, *labels, *images, *all_extras, *b;

	if (images_check_names(p, e) < 0)
		return NULL;
	plan = json_object();
	paths = json_object();
	labels = images_labels(p);
	images = json_array();
	all_extras = json_array();
	json_object_set_new(plan, "project", p->name ? json_string(p->name) : json_null());
	json_object_set_new(plan, "base_image", json_string(o->base_image));
	json_object_set_new(plan, "prefix", o->prefix ? json_string(o->prefix) : json_null());
	json_object_set_new(plan, "tag", json_string(o->tag));
	json_object_set_new(plan, "mirror", o->mirror ? json_string(o->mirror) : json_null());
	json_object_set_new(plan, "package_manager", json_string(pm));
	json_object_set_new(paths, "source", json_string(STEPS_SRC));
	json_object_set_new(paths, "build", json_string(STEPS_BUILD));
	json_object_set_new(paths, "wheelhouse", json_string(STEPS_WHEELS));
	json_object_set_new(paths, "out", json_string(STEPS_OUT));
	json_object_set_new(plan, "paths", paths);
	json_object_set(plan, "labels", labels);
	json_object_set_new(plan, "source", json_string(p->source));
	json_object_set(plan, "pending", p->pending);
	json_object_set_new(plan, "scripts", planner_project_scripts(p));
	json_object_set_new(plan, "extras", planner_project_extras(p));

	if (!p->name) {
		/* The next step as pbrx-build-images takes it, and by hand. */
		msg_info("note: <stdin>: %s: the project's name, console scripts and extras, and "
			 "so its images, are known only after the wheel is built: "
			 "pbrx-build-images without --plan-only builds it and plans them (by hand: "
			 "wheel-build, then image-plan again)",
			 strcmp(p->source, "setup.cfg") ? p->source : "setup.cfg names no project");
	} else {
		if (!p->nscripts && json_array_size(p->pending))
			msg_info("note: <stdin>: setup.cfg declares no console scripts: the images "
				 "of any the wheel declares are known only after it is built: "
				 "pbrx-build-images without --plan-only builds it and plans them (by "
				 "hand: wheel-build, then image-plan again)");
		add_unique(runtime, pkgmgr_dumb_init(pm));
		if (images_plan(o, pm, p, runtime, labels, images, all_extras, e) < 0)
			goto fail;
	}
	b = builder(o, p, pm, compile, all_extras, e);
	all_extras = NULL;
	if (!b)
		goto fail;
	/* Keys in the order a reader wants them: builder before images. */
	json_object_set_new(plan, "builder", b);
	json_object_set_new(plan, "images", images);
	json_decref(labels);
	return plan;
fail:
	json_decref(all_extras);
	json_decref(images);
	json_decref(labels);
	json_decref(plan);
	return NULL;
}

/* Did image-inspect learn the Python of image (.base.python of
 * .base.image), so that the installs wheel-build found hold there? */
static bool python_known(const json_t *doc, const char *image)
{
	const json_t *base = json_object_get(doc, "base");
	const char *inspected = json_string_value(json_object_get(base, "image"));

	return json_is_object(json_object_get(base, "python")) && inspected &&
	       !strcmp(inspected, image);
}

/* Say so when the steps are planned for another platform than the base
 * image's: an Alpine image (the default, python:alpine, included) with
 * another package manager than apk.  The steps would fail in the
 * container, and --mirror rewrite the wrong repositories. */
static void warn_platform_mismatch(const char *image, const char *pm, const struct platform *pl)
{
	if (!strstr(image, "alpine") || strcmp(pm, "apk") == 0)
		return;
	msg_warn("the plan has %s steps (the platform from %s%s%s) for the base image %s, an "
		 "Alpine image%s; give --base-image an image of that platform",
		 pm, pl->from, pl->id ? ": " : "", pl->id ? pl->id : "", image,
		 strcmp(image, DOC_DEFAULT_BASE_IMAGE) == 0 ? " (the default)" : "");
}

/* .wheels.runtime_libraries (distro/owners.h), checked: borrowed, NULL
 * when absent (before wheel-build, or no extension needs a library). */
static const json_t *runtime_libraries(const json_t *doc, struct pbrx_error *e)
{
	const json_t *wheels = json_object_get(doc, "wheels");
	const json_t *libs = wheels ? doc_want(wheels, ".wheels", "runtime_libraries", JSON_ARRAY, e)
	                            : NULL, *l;
	size_t i;

	json_array_foreach(libs, i, l) {
		char *at = xasprintf(".wheels.runtime_libraries[%zu]", i);
		const char *pkg;

		if (!json_is_object(l))
			doc_error(e, at, "expected an object");
		doc_need_string(l, at, "soname", e);
		doc_need(l, at, "essential", JSON_TRUE, e);
		pkg = json_is_null(json_object_get(l, "package")) ? NULL
		                                                  : doc_need_string(l, at, "package", e);
		if (pkg && !e->msg && !package_name_ok(pkg))
			doc_error(e, at, "'%s' is not a package name pbrx will pass to a package manager",
			          pkg);
		free(at);
		if (e->msg)
			return NULL;
	}
	return libs;
}

/* The runtime-set check: what the extensions need (libs), said once
 * beside bindep.txt's runtime selection (runtime); with
 * --runtime-packages auto, a new array of the packages to install
 * instead, or NULL (keep bindep's) when a library has no package. */
static json_t *runtime_check(const json_t *libs, const json_t *runtime, bool automatic)
{
	json_t *need = json_array(), *l, *v;
	struct buf said = {0}, unowned = {0}, spare = {0};
	size_t i, k;

	json_array_foreach(libs, i, l) {
		const char *so = json_string_value(json_object_get(l, "soname"));
		const char *pkg = json_string_value(json_object_get(l, "package"));

		if (!pkg) {
			buf_addf(&unowned, "%s%s", unowned.len ? ", " : "", so);
			continue;
		}
		buf_addf(&said, "%s%s (%s%s)", said.len ? ", " : "", pkg, so,
		         json_is_true(json_object_get(l, "essential")) ? ", in every base image" : "");
		if (!json_is_true(json_object_get(l, "essential")))
			add_unique(need, pkg);
	}
	json_array_foreach(runtime, i, v) {
		bool used = false;

		json_array_foreach(need, k, l)
			used |= json_equal(l, v);
		if (!used)
			buf_addf(&spare, "%s%s", spare.len ? ", " : "", json_string_value(v));
	}
	msg_info("runtime: the extensions need %s", said.len ? said.p : "no packaged library");
	if (unowned.len)
		msg_warn("runtime: no package owns %s in the builder (not in its linker's cache)",
		         unowned.p);
	if (spare.len)
		msg_info("runtime: bindep.txt's runtime selection also has %s, which no extension "
		         "needs%s", spare.p, automatic ? "; --runtime-packages auto leaves it out"
		                                        : " (--runtime-packages auto would leave it out)");
	if (automatic && unowned.len) {
		msg_warn("--runtime-packages auto: bindep.txt's runtime selection is kept");
		json_decref(need);
		need = NULL;
	}
	buf_free(&said);
	buf_free(&unowned);
	buf_free(&spare);
	return automatic ? need : (json_decref(need), NULL);
}

json_t *planner_plan(const json_t *doc, const struct planner_options *o, struct pbrx_error *e)
{
	struct planner_options opts = *o;
	struct planner_project p = {0};
	struct platform pl = {0};
	json_t *bindep, *selections, *compile, *runtime, *plan = NULL;
	const json_t *libs;
	const char *pm;

	if (planner_project_read(doc, &p, e) == 0)
		opts.base_image = base_image(doc, o, e);
	if (p.installs && !e->msg && !python_known(doc, opts.base_image)) {
		msg_info("note: <stdin>: the images are planned from %s, not the image whose Python "
		         "wheel-build asked (.base.image): they install their wheels with pip",
		         opts.base_image);
		p.installs = NULL;
	}
	bindep = doc_want(doc, "", "bindep", JSON_OBJECT, e);
	selections = bindep ? doc_want(bindep, ".bindep", "selections", JSON_OBJECT, e) : NULL;
	runtime = selection_names(selections, "runtime", e);
	compile = selection_names(selections, "compile", e);
	if (!e->msg && (libs = runtime_libraries(doc, e)) && json_array_size(libs)) {
		json_t *automatic = runtime_check(libs, runtime, o->runtime_auto);

		if (automatic) {
			json_decref(runtime);
			runtime = automatic;
		}
	}
	/* Said when the packages are planned first; a document with a plan
	 * already (the plan made again from the wheel) heard it then. */
	if (!e->msg && !json_object_get(doc, "plan"))
		warn_build_only(bindep, selections);
	if (!e->msg && choose_platform(doc, &opts, &pl, e) == 0 &&
	    (pm = package_manager(&opts, &pl, e))) {
		plan = make_plan(&opts, &p, pm, compile, runtime, e);
		if (plan && !json_object_get(doc, "plan"))
			warn_platform_mismatch(opts.base_image, pm, &pl);
	}

	planner_project_free(&p);
	free(pl.id);
	free(pl.version);
	json_decref(pl.atoms);
	json_decref(compile);
	json_decref(runtime);
	steps_lit_free();
	return plan;
}
