/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the bindep file parser and the selection rules. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/error.h"
#include "distro/bindep.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *profiles[] = {"default", "compile", "platform:dpkg", "platform:debian",
				   "platform:debian-12", "a", "b"};
	struct pbrx_error err = {0};
	struct bindep_file *f;

	bool *on;

	fuzz_quiet();
	f = bindep_parse((const char *)data, size, "<fuzz>", &err);
	if (!f) {
		error_free(&err);
		return 0;
	}
	on = bindep_profiles_on(f, profiles, sizeof(profiles) / sizeof(*profiles));
	for (size_t i = 0; i < f->n; i++)
		bindep_rule_active(&f->rules[i], on);
	free(on);
	bindep_free(f);
	return 0;
}
