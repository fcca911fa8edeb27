/* SPDX-License-Identifier: Apache-2.0 */
/* imageref: the grammar of a Docker image reference
 * ([HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST]), as the
 * distribution/reference package and the docker CLI read it.  Pure:
 * only string checks. */
#ifndef PBRX_IMAGEREF_H
#define PBRX_IMAGEREF_H

#include <stdbool.h>
#include <stddef.h>

/* Is s[0..n) one path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* ? */
bool imageref_component(const char *s, size_t n);
/* Is s[0..n) a registry host: DNS labels joined by dots, optional :PORT? */
bool imageref_domain(const char *s, size_t n);
/* Is s a repository name, [domain/]component(/component)*, at most 255
 * bytes?  A first part is a domain when it has a '.' or ':' or is
 * "localhost", as the docker CLI decides. */
bool imageref_name(const char *s);
/* Is s a tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} ? */
bool imageref_tag(const char *s);
/* Is s a full reference: NAME[:TAG][@sha256:64 lower-case hex digits]? */
bool imageref_full(const char *s);

/* The length of ref's registry host: its part before the first '/' when
 * that part has a '.' or ':' or is "localhost" (the docker CLI's rule);
 * 0 when ref names no host (Docker Hub's). */
size_t imageref_domain_len(const char *ref);
/* The length of ref's name: ref less its "@DIGEST" and its ":TAG" (a ':'
 * after the last '/'). */
size_t imageref_name_len(const char *ref);
/* Split ref where the Engine API wants it split: at its '@' when it has
 * a digest (*name keeps a tag before it), else at its tag's ':'.  *name
 * and *rest (the tag or digest, "" when none) are malloc'd. */
void imageref_split(const char *ref, char **name, char **rest);

#endif
