#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The planning half of the pipeline, end to end, on the example project:
# issue 3's acceptance check.

load helpers

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "pipeline: cfg-extras | bindep-filter | image-plan plans foo for alpine" {
	cd "$PBRX_ROOT/examples/foo"
	cfg-extras . |
		bindep-filter --os-release "$CORPUS/os-release/alpine-3.20" |
		image-plan --prefix acme >"$TMP/doc.json"
	run jq -r '.plan.images[] | "\(.ref) \(.extras | join(","))"' "$TMP/doc.json"
	[ "$output" = "acme/foo-base:latest foo_base
acme/foo-manage:latest foo_manage
acme/foo-scheduler:latest " ]
	# compile packages only in the builder, runtime packages in the base
	# (bindep puts unprofiled libffi in the compile selection too)
	run jq -c '.plan.builder.packages' "$TMP/doc.json"
	[ "$output" = '["gcc","git","libffi","libffi-dev","libressl-dev","linux-headers","make","musl-dev"]' ]
	run jq -c '[.plan.images[0].packages, [.plan.images[1:][].packages[]]]' "$TMP/doc.json"
	[ "$output" = '[["dumb-init","libffi"],[]]' ]
	run jq -r '.plan.package_manager' "$TMP/doc.json"
	[ "$output" = apk ]
}
