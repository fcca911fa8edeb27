/* SPDX-License-Identifier: Apache-2.0 */
/* project: the facts about a project's tree that the plan needs besides
 * setup.cfg: its git checkout (revision, public origin URL, commit
 * time), the build time, whether pip needs git in the builder, and its
 * Dockerfile.NAME files.  Read once, by cfg-extras, into the "project"
 * section, so that image-plan reads only its input (see
 * pbrx-document(5)). */
#ifndef PBRX_PROJECT_H
#define PBRX_PROJECT_H

#include <jansson.h>

struct pbrx_error;

/* Set in project (the "project" section: its "dir", an absolute path,
 * and "scripts" are read) the members
 *   git          {"revision": SHA, "source": URL or null} or null
 *   created      RFC 3339 time or null: sde when set and not empty (the
 *                value of SOURCE_DATE_EPOCH), else the commit time
 *   needs_git    bool: a .git in dir, or "git+" in a file pip reads
 *   dockerfiles  sorted names "Dockerfile.NAME" of dir's regular files
 * git runs through spawn (argv only).  0, or -1 with *e (EXIT_USAGE:
 * sde is not digits only). */
int project_facts(json_t *project, const char *sde, struct pbrx_error *e);

/* A remote URL without credentials: "scheme://user:secret@host/..."
 * loses "user:secret@", in place.  Returns url. */
char *project_public_url(char *url);

#endif
