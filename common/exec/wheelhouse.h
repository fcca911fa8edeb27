/* SPDX-License-Identifier: Apache-2.0 */
/* wheelhouse: the directory on the host the builder's pip writes wheels
 * into (wheel-build(1)): made or named, what it held before the build
 * (to tell a wheel built from one reused), the project's wheel, and the
 * "wheels" section of the document (pbrx-document(5)).
 *
 * Errors: functions that can fail fill a struct pbrx_error (EXIT_FAIL)
 * and return -1 or NULL; nothing here exits. */
#ifndef PBRX_WHEELHOUSE_H
#define PBRX_WHEELHOUSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

struct pbrx_error;
struct wheelhouse_seen;

struct wheelhouse {
	char *dir;       /* absolute host path (owned) */
	bool temporary;  /* made by wheelhouse_open: removed on failure */
	struct wheelhouse_seen *before; /* its wheels before the build (owned) */
	size_t nbefore;
	/* The host directories pip may copy a wheel from (--find-links,
	 * PIP_FIND_LINKS): such a wheel is not the project's.  Borrowed. */
	const struct strv *links;
};

/* Open the wheelhouse dir (made when missing; NULL: a new temporary
 * directory under $TMPDIR) and note the wheels it holds.  0, or -1 with
 * *err and nothing left made. */
int wheelhouse_open(struct wheelhouse *wh, const char *dir, struct pbrx_error *err);
/* The file name of the project's wheel (malloc'd), or NULL with *err when
 * this build made none.  With project (its name): the wheel of that
 * distribution this build made (a reused wheelhouse may hold older
 * ones).  Without (a project with no setup.cfg name): the one wheel made
 * now that no directory of wh->links has. */
char *wheelhouse_project_wheel(const struct wheelhouse *wh, const char *project,
                               struct pbrx_error *err);
/* What the wheel file of wh declares (wheel_read(), new reference); NULL
 * when it cannot be read, with a warning when warn is set: the plan then
 * stays as setup.cfg has it. */
json_t *wheelhouse_metadata(const struct wheelhouse *wh, const char *file, bool warn);
/* The "wheels" section (new reference): every wheel now in wh with its
 * SHA-256 and whether this build made it, and what the project's wheel
 * declares.  NULL with *err. */
json_t *wheelhouse_section(const struct wheelhouse *wh, const char *project,
                           struct pbrx_error *err);
/* The build failed: remove a temporary wheelhouse, or from one that stays
 * the wheels pip left unfinished (the next build would take them for
 * made).  Warns of what it removes; quiet on errors. */
void wheelhouse_discard(struct wheelhouse *wh);
/* Free what wh holds (the directory stays); a zeroed wh is fine. */
void wheelhouse_close(struct wheelhouse *wh);

#endif
