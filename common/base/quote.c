/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <string.h>

#include "base/buf.h"
#include "base/quote.h"

/* Characters no shell gives a meaning to in a word. */
#define PLAIN "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./=:,+@%[]"

char *quote_argv(char *const *argv)
{
	struct buf b = {0};

	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];
		bool plain = *a && strspn(a, PLAIN) == strlen(a);

		if (i)
			buf_addc(&b, ' ');
		if (plain) {
			buf_adds(&b, a);
			continue;
		}
		buf_addc(&b, '\'');
		for (; *a; a++) {
			if (*a == '\'')
				buf_adds(&b, "'\\''");
			else
				buf_addc(&b, *a);
		}
		buf_addc(&b, '\'');
	}
	return buf_take(&b);
}
