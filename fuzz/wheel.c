/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the wheel reader (zip through libarchive, METADATA and
 * entry_points.txt, ELF DT_NEEDED through libelf).  It reads a file, so
 * each input is written to a private temp dir first. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "base/error.h"
#include "py/wheel.h"

static char dir[] = "/tmp/pbrx-fuzz-wheel.XXXXXX";
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f;
	json_t *md;
	struct pbrx_error err = {0};

	fuzz_quiet();
	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/x-1-py3-none-any.whl", dir);
	}
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	md = wheel_read(path, &err);
	json_decref(md);
	error_free(&err);
	return 0;
}
