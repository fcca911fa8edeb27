/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of exec/proxyenv: which of the environment's variables the
 * build's steps get.  Prints each failed case; exits 1 when any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "exec/proxyenv.h"

extern char **environ;

int main(void)
{
	/* Both spellings of every proxy variable, an empty value, and names
	 * that only look like one. */
	static char *env[] = {
		"http_proxy=http://127.0.0.1:3128", "HTTPS_PROXY=http://u:p@127.0.0.1:3128",
		"no_proxy=127.0.0.1,.example.org", "NO_PROXY=", "ALL_PROXY=socks5://127.0.0.1:1080",
		"ftp_proxy=http://127.0.0.1:3128", "HTTP_PROXY_EXTRA=x", "xhttp_proxy=x",
		"Http_Proxy=x", "PATH=/usr/bin", "http_proxy", NULL,
	};
	static const char *want[] = {
		"http_proxy=http://127.0.0.1:3128", "HTTPS_PROXY=http://u:p@127.0.0.1:3128",
		"no_proxy=127.0.0.1,.example.org", "NO_PROXY=", "ALL_PROXY=socks5://127.0.0.1:1080",
		"ftp_proxy=http://127.0.0.1:3128",
	};
	size_t nwant = sizeof want / sizeof want[0];
	struct strv got = {0};
	int failed = 0;

	environ = env;
	proxyenv_add(&got);
	for (size_t i = 0; i < got.n || i < nwant; i++) {
		const char *g = i < got.n ? got.v[i] : "(none)", *w = i < nwant ? want[i] : "(none)";

		if (strcmp(g, w) != 0) {
			printf("proxyenv_add: entry %zu: %s, expected %s\n", i, g, w);
			failed = 1;
		}
	}
	strv_free(&got);
	return failed;
}
