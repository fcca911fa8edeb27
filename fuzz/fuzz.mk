# SPDX-License-Identifier: Apache-2.0
# libFuzzer harnesses (clang; Debian's clang-14 and libclang-rt-14-dev).
# `make fuzz` builds them into build/fuzz and runs each for FUZZ_SECONDS
# with a corpus seeded from the tests (fuzz/run).

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS = -std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_HARNESSES = bindep osrelease document cfg docker-frames docker-progress wheel
FUZZ_OBJ = $(COMMON_SRC:common/%.c=build/fuzz/common/%.o)
FUZZ_LIBS = $(ALL_LIBS)

build/fuzz/common/%.o: common/%.c $(COMMON_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(WARN) $(JANSSON_CFLAGS) \
		-DPBRX_VERSION='"$(VERSION)"' -c -o $@ $<

build/fuzz/%: fuzz/%.c fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer $(WARN) $(JANSSON_CFLAGS) \
		-o $@ $< $(FUZZ_OBJ) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_HARNESSES:%=build/fuzz/%)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run $(FUZZ_HARNESSES)

.PHONY: fuzz fuzz-build
