/* SPDX-License-Identifier: Apache-2.0 */
/* cfgparser: an INI file read exactly as Python's
 * configparser.ConfigParser() reads it with its defaults (the parser pbr
 * and setuptools read setup.cfg with), and its BasicInterpolation.
 * Keys are kept as written (setuptools' optionxform = str); whoever
 * reads them applies pbr's or setuptools' own spelling rules. */
#ifndef PBRX_CFGPARSER_H
#define PBRX_CFGPARSER_H

#include <stddef.h>

#include "base/intern.h"

struct pbrx_error;

struct cfgparser_option {
	char *key;   /* as written, right-stripped */
	char *value; /* raw (not interpolated): the lines joined with '\n' */
	int line;    /* of the key */
	int *lines;  /* of each line of value */
	size_t nlines;
};

struct cfgparser_section {
	char *name;  /* between '[' and the last ']', as written */
	int line;    /* of the header; 0 for DEFAULT when it has none */
	struct cfgparser_option *opt;
	size_t n, cap;
	struct intern exact;  /* the keys, numbered as opt */
	struct intern folded; /* the keys in ASCII lower case, numbered as opt */
};

struct cfgparser {
	const char *path;                  /* as named in messages (borrowed) */
	struct cfgparser_section defaults; /* [DEFAULT], every header of it */
	struct cfgparser_section *sect;    /* the others, in file order */
	size_t n, cap;
};

/* Read path (named so in messages) into cp (zero it first; free it with
 * cfgparser_free whatever this returns).  0, or -1 with *e (EXIT_USAGE,
 * "path:LINE: what is wrong" for the first line configparser rejects,
 * EXIT_USAGE "path: ..." when it cannot be read).  No line length
 * limit. */
int cfgparser_read(struct cfgparser *cp, const char *path, struct pbrx_error *e);
void cfgparser_free(struct cfgparser *cp);

/* The section called name, never DEFAULT (borrowed), or NULL. */
const struct cfgparser_section *cfgparser_section(const struct cfgparser *cp, const char *name);

/* The option of s called key, as written, else DEFAULT's (borrowed),
 * or NULL: configparser's lookup for a section. */
const struct cfgparser_option *cfgparser_lookup(const struct cfgparser *cp,
						const struct cfgparser_section *s,
						const char *key);

/* parser.get(s, o.key): o's value interpolated in section s (malloc'd),
 * or NULL with *e (EXIT_USAGE, "path:LINE: [s] key: what is wrong"). */
char *cfgparser_get(const struct cfgparser *cp, const struct cfgparser_section *s,
		    const struct cfgparser_option *o, struct pbrx_error *e);

/* Interpolate every option of every section (DEFAULT's in each section,
 * where a section may override what they refer to), as setuptools'
 * Distribution.parse_config_files and pbr's setup_cfg_to_args both do:
 * a bad '%' anywhere fails the build.  0, or -1 with *e for the first
 * option in file order that fails. */
int cfgparser_check_all(const struct cfgparser *cp, struct pbrx_error *e);

/* str.strip(): *s, *n narrowed to the text without Python's white
 * space around it (valid UTF-8). */
void cfgparser_strip(const char **s, size_t *n);

/* The options of section s in the order of setuptools'
 * parser.options(s) (s's own, then DEFAULT's that s does not override,
 * keys as written) or, with pbr, of pbr's parser.items(s) (DEFAULT's
 * first, those s overrides as s's option, then s's others; keys
 * compared in lower case, pbr's optionxform): a malloc'd array of
 * borrowed options, *n long. */
const struct cfgparser_option **cfgparser_options(const struct cfgparser *cp,
						  const struct cfgparser_section *s, int pbr,
						  size_t *n);

#endif
