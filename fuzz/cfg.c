/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the setup.cfg reader (cfgparser plus pbr's and setuptools' rules).  It
 * reads a file, so each input is written to a private temp dir first. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "py/cfg.h"
#include "fuzz.h"

static char dir[] = "/tmp/pbrx-fuzz-cfg.XXXXXX";
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pbrx_error e = {0};
	FILE *f;
	json_t *project;

	fuzz_quiet();
	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/setup.cfg", dir);
	}
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	project = cfg_read_project(dir, path, false, &e);
	json_decref(project);
	error_free(&e);
	return 0;
}
