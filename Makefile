# SPDX-License-Identifier: Apache-2.0
# pbrx: build minimal container images of a Python project.
# `make` builds every tool into build/bin; `make check` runs the bats suite.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANPREFIX ?= $(PREFIX)/share/man
DESTDIR ?=
PKG_CONFIG ?= pkg-config
CC ?= cc
CFLAGS ?= -std=c11 -O2 -g
WARN = -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror
CPPFLAGS += -D_GNU_SOURCE -Icommon
VERSION = 0.1.0

ifeq ($(SANITIZE),1)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# Each library through pkg-config, failing loudly when one is missing.
pc = $(or $(shell $(PKG_CONFIG) --$(2) $(1) 2>/dev/null),$(if $(shell $(PKG_CONFIG) --exists $(1) && echo ok),,$(error pkg-config cannot find $(1); install its -dev package (see README.md))))
JANSSON_CFLAGS := $(call pc,jansson,cflags)
JANSSON_LIBS := $(call pc,jansson,libs)
CURL_LIBS := $(call pc,libcurl,libs)
ARCHIVE_LIBS := $(call pc,libarchive,libs)
SSL_LIBS := $(call pc,libcrypto,libs)
ELF_LIBS := $(call pc,libelf,libs)
# Every program links them all; --as-needed keeps only those whose
# symbols the modules it uses call, so no tool lists its own.
ALL_LIBS = $(JANSSON_LIBS) $(CURL_LIBS) $(ARCHIVE_LIBS) $(SSL_LIBS) $(ELF_LIBS) -pthread

# The pipeline, in order.  Each C tool is bin/<tool>.c.
C_TOOLS = bindep-filter cfg-extras image-inspect image-plan wheel-build image-assemble image-push \
	progress-render
SCRIPTS = pbrx-build-images pbrx-push-images

COMMON_SRC = $(wildcard common/*/*.c)
COMMON_OBJ = $(COMMON_SRC:common/%.c=build/common/%.o)
COMMON_HDR = $(wildcard common/*/*.h)

ALL_CFLAGS = $(CFLAGS) $(WARN) $(SANFLAGS) $(JANSSON_CFLAGS) -DPBRX_VERSION='"$(VERSION)"'

all: $(C_TOOLS:%=build/bin/%) $(SCRIPTS:%=build/bin/%)

build/common/%.o: common/%.c $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# Made afresh: ar would keep the members of modules since removed.
build/libcommon.a: $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

build/bin/%: bin/%.c build/libcommon.a $(COMMON_HDR) | build/bin
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(SANFLAGS) -o $@ $< build/libcommon.a \
		-Wl,--as-needed $(ALL_LIBS)

# A driver with common/driver/driver.sh put in at its "# @driver.sh@"
# line, and the version: one file, as it is installed.
$(SCRIPTS:%=build/bin/%): build/bin/%: bin/% common/driver/driver.sh | build/bin
	sed -e '/^# @driver.sh@$$/{r common/driver/driver.sh' -e 'd;}' $< | \
		sed 's/@VERSION@/$(VERSION)/' >$@.tmp && chmod +x $@.tmp && mv $@.tmp $@

build/bin:
	mkdir -p $@

# The test programs (tests/unit/NAME.c, tests/tools/NAME.c) as
# build/tests/unit/NAME and build/tests/tools/NAME: built as the tools
# are, with the sanitizers when SANITIZE=1, linked with every library.
TEST_SRC = $(wildcard tests/unit/*.c tests/tools/*.c)
TEST_PROGRAMS = $(TEST_SRC:tests/%.c=build/tests/%)

build/tests/%: tests/%.c build/libcommon.a $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(SANFLAGS) -o $@ $< build/libcommon.a \
		-Wl,--as-needed $(ALL_LIBS)

test-programs: $(TEST_PROGRAMS)

# BATS_FLAGS="--filter-tags '!index'": the suite without the tests that
# need the Python package index (each is tagged "index" and named so).
BATS_FLAGS ?=
check: all test-programs
	bats $(BATS_FLAGS) tests

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 \
		$(DESTDIR)$(MANPREFIX)/man7
	install -m 755 $(C_TOOLS:%=build/bin/%) $(SCRIPTS:%=build/bin/%) $(DESTDIR)$(BINDIR)
	install -m 644 man/man1/*.1 $(DESTDIR)$(MANPREFIX)/man1
	install -m 644 man/man5/*.5 $(DESTDIR)$(MANPREFIX)/man5
	install -m 644 man/man7/*.7 $(DESTDIR)$(MANPREFIX)/man7

clean:
	rm -rf build

.PHONY: all test-programs check install clean
include fuzz/fuzz.mk
