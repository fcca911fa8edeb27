/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the JSON progress lines of pull, push and build streams. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/docker-stream.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker_progress p = {0};
	const char *s = (const char *)data, *end = s + size;

	fuzz_quiet();
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);

		docker_progress_line(s, len, NULL, &p);
		s += len + 1;
	}
	free(p.error);
	free(p.aux_id);
	return 0;
}
