#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Unit tests of pure library modules: each tests/unit/NAME.c, built by
# make check as build/tests/unit/NAME, is run; it prints each failed case
# and exits 1.

load helpers

@test "unit: engine/imageref: the image-reference grammar" {
	run "$(test_program unit/imageref)"
	echo "$output"
	[ "$status" = 0 ]
}

@test "unit: base/fs: a whole file copied under a temporary name, and compared" {
	run "$(test_program unit/fs)"
	echo "$output"
	[ "$status" = 0 ]
}

@test "unit: py/extras: which extras each image installs" {
	run "$(test_program unit/extras)"
	echo "$output"
	[ "$status" = 0 ]
}

@test "unit: distro/platform: one rule for --platform values" {
	run "$(test_program unit/platform)"
	echo "$output"
	[ "$status" = 0 ]
}

@test "unit: doc/plan: the one rule for the plan's mounts" {
	run "$(test_program unit/plan)"
	echo "$output"
	[ "$status" = 0 ]
}

@test "unit: exec/proxyenv: the proxy variables, both spellings, and nothing that looks like one" {
	run "$(test_program unit/proxyenv)"
	echo "$output"
	[ "$status" = 0 ]
}

@test "unit: base/progress: a step's output as one event per line, valid UTF-8, within one atomic write" {
	run "$(test_program unit/progress)"
	echo "$output"
	[ "$status" = 0 ]
}
