#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The planning half of the pipeline, end to end, on the example project:
# the acceptance check of the planning stages.

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
	[ "$output" = '["gcc","libffi","libffi-dev","libressl-dev","linux-headers","make","musl-dev"]' ]
	run jq -c '[.plan.images[0].packages, [.plan.images[1:][].packages[]]]' "$TMP/doc.json"
	[ "$output" = '[["dumb-init","libffi"],[]]' ]
	run jq -r '.plan.package_manager' "$TMP/doc.json"
	[ "$output" = apk ]
}

@test "pipeline: cfg-extras DIR | bindep-filter | image-plan, with DIR from another directory" {
	cd "$TMP"
	cfg-extras "$PBRX_ROOT/examples/foo" |
		bindep-filter --os-release "$CORPUS/os-release/alpine-3.20" |
		image-plan --prefix acme >"$TMP/doc.json"
	[ "$(jq -r .bindep.file "$TMP/doc.json")" = "$PBRX_ROOT/examples/foo/bindep.txt" ]
	[ "$(jq -r '.plan.images[].name' "$TMP/doc.json" | tr '\n' ' ')" = "acme/foo-base acme/foo-manage acme/foo-scheduler " ]
	# the same input gives a byte-identical document
	cfg-extras "$PBRX_ROOT/examples/foo" |
		bindep-filter --os-release "$CORPUS/os-release/alpine-3.20" |
		image-plan --prefix acme | cmp - "$TMP/doc.json"
}

@test "pipeline: a debian base gets dpkg packages and apt-get steps" {
	cfg-extras "$PBRX_ROOT/examples/foo" |
		bindep-filter --os-release "$CORPUS/os-release/debian-12" |
		image-plan --base-image debian:12 >"$TMP/doc.json"
	[ "$(jq -r .plan.package_manager "$TMP/doc.json")" = apt-get ]
	[ "$(jq -c .bindep.selections.compile.packages "$TMP/doc.json" | jq -r '.[].name')" = libffi-dev ]
}

# The README's examples, run as written, so the docs can't drift.
@test "README: the bindep-filter example prints what the README shows" {
	cd "$PBRX_ROOT"
	want=$(sed -n '/^    \$ bindep-filter --brief/,/^$/p' README.md | sed '1,2d; /^$/d; s/^    //')
	got=$(bindep-filter --brief --os-release tests/corpus/os-release/alpine-3.20 \
		-f tests/corpus/bindep/pbrx-docs-example.txt compile)
	[ -n "$want" ]
	[ "$got" = "$want" ]
}

@test "README: the plan example runs" {
	cd "$PBRX_ROOT"
	cmd=$(sed -n '/^    cfg-extras examples\/foo/,/^$/p' README.md | tr -d '\\\n')
	[ -n "$cmd" ]
	run bash -c "set -o pipefail; $cmd"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" = 3 ]
}

@test "pbrx-build-images --plan-only --os-release/--platform: plans for that platform, no engine asked" {
	# No engine anywhere: a DOCKER_HOST that answers nothing, no buildah.
	export DOCKER_HOST=unix://$TMP/none.sock PATH="$PBRX_ROOT/build/bin:/usr/bin:/bin"
	run_split pbrx-build-images -q --plan-only --engine docker \
		--os-release "$CORPUS/os-release/debian-12" "$PBRX_ROOT/examples/foo"
	echo "$err"
	[ "$status" -eq 0 ]
	# apt-get steps for the default base image, python:alpine: said;
	# -q: then nothing but the plan's summary
	[ "$err" = "image-plan: warning: the plan has apt-get steps (the platform from <stdin>: .bindep.platform: debian) for the base image python:alpine, an Alpine image (the default); give --base-image an image of that platform
plan: foo 1.0.0 (names from setup.cfg), from python:alpine, packages by apt-get
  builder                packages: libffi-dev; extras: foo_base, foo_manage
  foo-base       base    packages: dumb-init; extras: foo_base
  foo-manage     script  packages: none; extras: foo_manage
  foo-scheduler  script  packages: none; extras: none" ]
	run_split pbrx-build-images -q --plan-only --engine docker --base-image debian:12 \
		--os-release "$CORPUS/os-release/debian-12" "$PBRX_ROOT/examples/foo"
	[ "$status" -eq 0 ]
	[ "$err" = "plan: foo 1.0.0 (names from setup.cfg), from debian:12, packages by apt-get
  builder                packages: libffi-dev; extras: foo_base, foo_manage
  foo-base       base    packages: dumb-init; extras: foo_base
  foo-manage     script  packages: none; extras: foo_manage
  foo-scheduler  script  packages: none; extras: none" ]
	[ "$(jq -r '.plan.package_manager, .bindep.platform.source, .bindep.platform.id' <<<"$out")" = "apt-get
os-release
debian" ]
	[ "$(jq -c .base <<<"$out")" = null ]
	run_split pbrx-build-images -q --plan-only --engine docker --platform alpine "$PBRX_ROOT/examples/foo"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.plan.package_manager, .bindep.platform.source' <<<"$out")" = "apk
platform" ]
	# a build runs on the base image's own platform
	run_split pbrx-build-images --platform alpine "$PBRX_ROOT/examples/foo"
	[ "$status" -eq 2 ]
	[ "$(head -n 1 <<<"$err")" = "pbrx-build-images: --platform plans for a platform without looking at the base image: only with --plan-only" ]
	[ "$out" = "" ]
}

@test "pipeline: a package named by a file's path, as bindep allows, reaches dnf as it is" {
	cp -R "$PBRX_ROOT/examples/foo" "$TMP/foo"
	printf '/usr/bin/xmllint [platform:rpm]\ngcc [compile]\n' >"$TMP/foo/bindep.txt"
	cfg-extras "$TMP/foo" |
		bindep-filter --os-release "$CORPUS/os-release/fedora-40" |
		image-plan >"$TMP/doc.json"
	[ "$(jq -c '.plan.images[0].packages' "$TMP/doc.json")" = '["/usr/bin/xmllint","dumb-init"]' ]
	jq -e '[.plan.images[0].steps[].argv | select(.[0] == "dnf" or (.[0] == "env" and .[2] == "dnf"))
		| index("/usr/bin/xmllint")] | any' "$TMP/doc.json" >/dev/null
}

@test "pipeline: a compiler or -dev package bound for the runtime images is named with its bindep.txt line, once" {
	cp -R "$PBRX_ROOT/examples/foo" "$TMP/foo"
	printf 'python3-dev\ngcc-12\nlibffi8\nlibssl-dev [compile]\nlibpq-devel [platform:rpm]\n' >"$TMP/foo/bindep.txt"
	cfg-extras "$TMP/foo" |
		bindep-filter --os-release "$CORPUS/os-release/debian-12" |
		image-plan --base-image debian:12 >"$TMP/doc.json" 2>"$TMP/err"
	[ "$(cat "$TMP/err")" = "image-plan: warning: $TMP/foo/bindep.txt:2: gcc-12 goes into every runtime image: mark it [compile] if it is only needed to build
image-plan: warning: $TMP/foo/bindep.txt:1: python3-dev goes into every runtime image: mark it [compile] if it is only needed to build" ]
	# still planned as bindep says
	[ "$(jq -c '.plan.images[0].packages' "$TMP/doc.json")" = '["dumb-init","gcc-12","libffi8","python3-dev"]' ]
	# planned again (from the wheel, as pbrx-build-images does): not said twice
	image-plan <"$TMP/doc.json" >/dev/null 2>"$TMP/err"
	[ ! -s "$TMP/err" ]
}

# mandoc's lint at every level but one kind of STYLE message: a page's
# cross references to pbrx's own pages (not installed when the tests
# run) and to other programs' pages are found or not depending on the
# machine's manuals, and "outdated mandoc.db" is about the machine too.
@test "man pages: mandoc -T lint finds nothing in any page" {
	local page out
	for page in "$PBRX_ROOT"/man/man*/*.[0-9]; do
		out=$(mandoc -T lint "$page" 2>&1 |
			grep -v -e ': STYLE: referenced manual not found: ' -e ': outdated mandoc.db lacks ' || true)
		if [ -n "$out" ]; then
			echo "$out"
			return 1
		fi
	done
}

@test "man pages: bindep-filter(1)'s example, pasted from the rendered page, runs" {
	local line
	line=$(mandoc -T utf8 -O width=200 "$PBRX_ROOT/man/man1/bindep-filter.1" | col -b |
		grep '| bindep-filter --platform alpine --platform apk' | sed 's/^[[:space:]]*//')
	[ "$line" = "cfg-extras . | bindep-filter --platform alpine --platform apk | jq .bindep.selections" ]
	cd "$PBRX_ROOT/examples/foo"
	bash -c "set -o pipefail; $line" >"$TMP/out"
	jq -e '.runtime.packages | length > 0' "$TMP/out"
}
