/* SPDX-License-Identifier: Apache-2.0 */
/* planner/project: the project image-plan plans for, read from the
 * document's "project" section (cfg-extras) and, once the wheel is built,
 * its "wheels" section (wheel-build), which is then the authority.
 *
 * Bad input is an error with its JSON path (doc/doc.h).  Strings and
 * JSON values are borrowed from the document, which must outlive the
 * project, unless said otherwise. */
#ifndef PBRX_PLANNER_PROJECT_H
#define PBRX_PLANNER_PROJECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct pbrx_error;

/* One console script, checked. */
struct planner_script {
	const char *name;     /* as written */
	char *image;          /* owned: its image name component, normalised as pip does */
	json_t *ep_extras;    /* extras from the entry point, or NULL */
	json_t *obj;          /* the script object read */
	const char *from;     /* "setup.cfg" or "wheel" */
	const char *path;     /* ".project.scripts" or ".wheels.metadata.scripts" */
	size_t index;
};

struct planner_project {
	const char *name, *version, *dir; /* name NULL: known only from the wheel */
	json_t *extras;       /* name -> [requirements] */
	json_t *cfg_extras;   /* setup.cfg's, for "from" */
	const char *source;   /* "setup.cfg" or "wheel": where names come from */
	json_t *pending;      /* owned: what only the wheel will tell */
	const char *wheel;    /* the project's wheel file (.wheels.project_wheel);
	                       * NULL before wheel-build */
	bool requires;        /* the wheel declares Requires-Dist lines */
	/* What pip installs for each set of extras (.wheels.installs,
	 * checked), when image-assemble can write the images' Python layers
	 * (the plan's base image is the one whose Python wheel-build asked);
	 * NULL: the images run pip. */
	const json_t *installs;
	/* The tree's facts, as cfg-extras read them (py/project.h); absent
	 * members: no checkout, no time, no git, no Dockerfiles. */
	const json_t *git;    /* {revision, source} or NULL */
	const char *created;  /* the build time, or NULL */
	bool needs_git;       /* pip can use git in the builder */
	json_t *dockerfiles;  /* ["Dockerfile.NAME"...] */
	struct planner_script *scripts; /* owned */
	size_t nscripts;
};

/* Read the project of doc into *p, warning where setup.cfg and the wheel
 * disagree (the wheel wins): 0, or -1 with *e (bad input, its JSON
 * path).  Release with planner_project_free either way. */
int planner_project_read(const json_t *doc, struct planner_project *p, struct pbrx_error *e);
void planner_project_free(struct planner_project *p);


/* The plan's "scripts": each console script with where it came from.  New. */
json_t *planner_project_scripts(const struct planner_project *p);
/* The plan's "extras": each as the project spells it, with where it came
 * from and its requirements.  New. */
json_t *planner_project_extras(const struct planner_project *p);

#endif
