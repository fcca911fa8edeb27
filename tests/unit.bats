#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Unit tests of pure library modules: each tests/unit/NAME.c is built
# against build/libcommon.a (with the sanitizers when the library has
# them) and run; it prints each failed case and exits 1.

load helpers

setup_file() {
	local root san="" t
	root=$BATS_TEST_DIRNAME/..
	if nm "$root/build/libcommon.a" 2>/dev/null | grep -q __asan; then
		san="-fsanitize=address,undefined -fno-sanitize-recover=all"
	fi
	for t in "$root"/tests/unit/*.c; do
		# shellcheck disable=SC2086
		cc -D_GNU_SOURCE -I"$root/common" -std=c11 -g -Wall -Wextra -Wshadow \
			-Wmissing-prototypes -Werror $san \
			-o "$BATS_FILE_TMPDIR/$(basename "$t" .c)" "$t" \
			"$root/build/libcommon.a" -ljansson
	done
}

@test "unit: engine/imageref: the image-reference grammar" {
	run "$BATS_FILE_TMPDIR/imageref"
	echo "$output"
	[ "$status" = 0 ]
}

@test "unit: py/extras: which extras each image installs" {
	run "$BATS_FILE_TMPDIR/extras"
	echo "$output"
	[ "$status" = 0 ]
}

@test "unit: distro/platform: one rule for --platform values" {
	run "$BATS_FILE_TMPDIR/platform"
	echo "$output"
	[ "$status" = 0 ]
}

@test "unit: doc/plan: the one rule for the plan's mounts" {
	run "$BATS_FILE_TMPDIR/plan"
	echo "$output"
	[ "$status" = 0 ]
}
