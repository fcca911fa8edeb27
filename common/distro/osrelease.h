/* SPDX-License-Identifier: Apache-2.0 */
/* osr: os-release files, read as bindep reads them (through python-distro),
 * and the platform atoms bindep derives from them. */
#ifndef PBRX_OSRELEASE_H
#define PBRX_OSRELEASE_H

#include <jansson.h>

struct pbrx_error;
#include <stddef.h>

/* The distribution as python-distro reports it. */
struct osr_distro {
	char *id;       /* distro.id(): lower case, spaces as '_', ol->oracle... */
	char *version;  /* distro.version(): VERSION_ID, else from PRETTY_NAME */
	char *codename; /* distro.codename(): VERSION_CODENAME, UBUNTU_CODENAME,
	                   else from the parentheses in VERSION; may be "" */
	char *name;     /* distro.name(): NAME */
};

/* Parse os-release text (shell-like quoting as python's shlex in posix
 * mode, which distro uses) into a JSON object KEY -> value, keys as
 * written (later ones win).  New reference.  On a quoting error returns
 * NULL with *e (EXIT_USAGE, "NAME:LINE: what"), name naming the text. */
json_t *osr_parse(const char *text, size_t len, const char *name, struct pbrx_error *e);

/* Fill d from parsed os-release fields (keys matched case-insensitively,
 * as distro lower-cases them).  Strings owned by d; free with
 * osr_distro_free. */
void osr_distro_from_fields(const json_t *fields, struct osr_distro *d);
void osr_distro_free(struct osr_distro *d);

/* bindep's platform atoms for d ("platform:..."), sorted and unique, as a
 * new JSON array of strings. */
json_t *osr_atoms(const struct osr_distro *d);

/* Is "platform:NAME" one bindep could ever produce (a known distro,
 * family or a versioned form of one)?  If not and a close known name
 * exists, *suggest points to it (static). */
int osr_atom_known(const char *atom, const char **suggest);

#endif
