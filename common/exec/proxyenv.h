/* SPDX-License-Identifier: Apache-2.0 */
/* proxyenv: the host's proxy variables, for the steps that reach the
 * network (wheel-build(1), image-assemble(1)).  A host behind a proxy
 * sets HTTP_PROXY, HTTPS_PROXY, NO_PROXY and their lower case spellings
 * (tools differ in which they read); a
 * container starts with none, so pip and apt-get in it would try to go
 * direct and fail.  The steps run with the host's network (network
 * mode host), so a proxy on the host's loopback is reachable as it is.
 * Each is given to the step's process only (exec's environment), never
 * to the committed image's configuration: a proxy is the build host's,
 * not the image's.  Values are never printed: a proxy URL may hold a
 * password. */
#ifndef PBRX_PROXYENV_H
#define PBRX_PROXYENV_H

#include "base/buf.h"

/* Add to env ("NAME=VALUE" entries) every proxy variable of this
 * process's environment, in both spellings, each named (not its value)
 * in a note on stderr. */
void proxyenv_add(struct strv *env);

#endif
