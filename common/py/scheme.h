/* SPDX-License-Identifier: Apache-2.0 */
/* scheme: where pip installs in an image, and with which interpreter,
 * learnt by running the image's own python3 (scheme_probe), once per
 * image ID (image-inspect keeps it as .base.python), for the installer
 * (py/install.h) and the bytecode pip would write. */
#ifndef PBRX_SCHEME_H
#define PBRX_SCHEME_H

#include <jansson.h>

struct pbrx_error;

/* Where pip installs, for a root install in one interpreter: absolute
 * paths inside the image, all malloc'd. */
struct scheme {
	char *purelib, *platlib, *scripts, *data;
	char *headers;   /* the directory pip puts "/NAME" after (METADATA's Name) */
	char *python;    /* sys.executable: the "#!" of scripts and wrappers */
	char *version;   /* "X.Y": the versioned names of pip's own scripts */
	char *cache_tag; /* sys.implementation.cache_tag: .pyc file names */
	/* What the image has along the install directories and in the
	 * data directory and its share/: absolute path -> "dir", "other" or
	 * "symlink:TARGET" (a reference); NULL: not known (an older probe). */
	json_t *base;
};

/* The Python program (source text, run as `python3 -c PROGRAM` in the
 * image) that prints, as one JSON object, the scheme pip 23.0.1 would
 * use for a root install in that interpreter: the keys of struct
 * scheme, and "base" (struct scheme).  It exits non-zero, saying why on stderr, for a
 * Python before 3.10 (pip takes the scheme from distutils there). */
extern const char scheme_probe[];

/* Fill *s from obj (the probe's output; borrowed).  Errors (EXIT_USAGE):
 * "scheme: .KEY: why". */
int scheme_read(const json_t *obj, struct scheme *s, struct pbrx_error *e);
/* Release what *s holds; a zeroed *s is fine. */
void scheme_free(struct scheme *s);

#endif
