/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the libFuzzer harnesses.  The library returns its errors
 * (struct pbrx_error) instead of exiting, so bad input that the tools
 * reject with exit 2 is a normal outcome, and only crashes, sanitizer
 * reports, leaks and hangs are findings. */
#ifndef PBRX_FUZZ_H
#define PBRX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point, which each harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Messages are silenced by fuzz/run with -close_fd_mask=2; libFuzzer
 * keeps its own reports visible. */
static inline void fuzz_quiet(void) {}

#endif
