/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: os-release parsing (shlex rules), python-distro's fields and
 * bindep's atoms. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "base/error.h"
#include "distro/osrelease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pbrx_error err = {0};
	const char *hint;
	struct osr_distro d;
	json_t *fields, *atoms;

	fuzz_quiet();
	fields = osr_parse((const char *)data, size, "<fuzz>", &err);
	if (!fields) {
		error_free(&err);
		return 0;
	}
	osr_distro_from_fields(fields, &d);
	atoms = osr_atoms(&d);
	for (size_t i = 0; i < json_array_size(atoms); i++)
		osr_atom_known(json_string_value(json_array_get(atoms, i)), &hint);
	json_decref(atoms);
	osr_distro_free(&d);
	json_decref(fields);
	return 0;
}
