/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the libFuzzer harnesses: turn msg_die's exit into a return to
 * the harness, so bad input that the tools reject with exit 2 is a normal
 * outcome and only crashes, sanitizer reports and hangs are findings. */
#ifndef PBRX_FUZZ_H
#define PBRX_FUZZ_H

#include <setjmp.h>

#include "base/msg.h"

static jmp_buf fuzz_jump;

static __attribute__((unused)) void fuzz_back(void) { longjmp(fuzz_jump, 1); }

/* Call as: if (FUZZ_GUARD()) return 0;  before the code that may die. */
#define FUZZ_GUARD() (msg_on_die(fuzz_back), setjmp(fuzz_jump))

/* Messages are silenced by fuzz/run with -close_fd_mask=2; libFuzzer
 * keeps its own reports visible. */
static inline void fuzz_quiet(void) {}

#endif
