/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "base/msg.h"
#include "exec/proxyenv.h"

extern char **environ;

/* The variables curl, apt (its http and https methods), Python's
 * urllib and requests read, in both spellings: apt reads only the lower
 * case ones, curl ignores upper case HTTP_PROXY, requests takes either.
 * Passed in the environment's order, so where both are set each tool
 * picks as it would on the host. */
static const char *const names[] = {
	"http_proxy", "https_proxy", "no_proxy", "all_proxy", "ftp_proxy",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "FTP_PROXY",
};

void proxyenv_add(struct strv *env)
{
	for (char **e = environ; *e; e++) {
		size_t n = strcspn(*e, "=");

		if (!(*e)[n])
			continue;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			if (strlen(names[i]) == n && !strncmp(*e, names[i], n)) {
				strv_add(env, *e);
				msg_note("passing %.*s to the build's containers", (int)n, *e);
				break;
			}
		}
	}
}
