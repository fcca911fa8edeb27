#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Real projects from the Python package index, end to end on a private
# dockerd and the offline base image: each released sdist is downloaded
# now (never committed), extracted, built by pbrx-build-images with this
# machine's own pip settings (whatever CA file, index or proxy they name
# reaches the builder: tests/pip-settings.bats tests that offline), and
# its images' scripts are run.  Every test needs https://pypi.org: each
# is tagged "index" and says "package index" in its name
# (make check BATS_FLAGS="--filter-tags '!index'" leaves them out).

# shellcheck disable=SC2154,SC2016 # out and err are set by run_split; scripts for the images' sh
true

load helpers
load lib/dockerd

setup_file() {
	dockerd_start
	dockerd_base_image
}

teardown_file() {
	dockerd_stop
}

setup() {
	common_setup
	# The machine's pip settings as they are, but for what would keep
	# pip off the index.
	unset PIP_NO_INDEX
	export TMPDIR=$TMP
}

teardown() {
	common_teardown
}

# sdist NAME VERSION: the released sdist of NAME==VERSION from the index,
# extracted under $TMP/src; SRC is its directory.
sdist() {
	mkdir -p "$TMP/sdist" "$TMP/src"
	if ! python3 -m pip download -q --no-binary :all: --no-deps -d "$TMP/sdist" "$1==$2" \
		>"$TMP/download.log" 2>&1; then
		echo "package index: cannot download the sdist of $1==$2 (offline?);" \
			"this test needs https://pypi.org. pip said:" >&2
		tail -n 5 "$TMP/download.log" >&2
		return 1
	fi
	tar -xzf "$TMP/sdist/"*.tar.gz -C "$TMP/src"
	SRC=$(echo "$TMP/src/"*)
	[ -d "$SRC" ]
}

# build DIR: pbrx-build-images on DIR, its time on fd 3; fails showing
# the end of its output.
build() {
	local start=$SECONDS
	run_split pbrx-build-images --base-image "$PBRX_BASE_IMAGE" "$1"
	echo "# pbrx-build-images ${1##*/}: $((SECONDS - start)) s" >&3
	if [ "$status" -ne 0 ]; then
		tail -n 40 <<<"$err"
		return 1
	fi
	jq -r '.images[].ref' <<<"$out"
}

# in_image IMAGE ARGS...: docker run of IMAGE (no network), stdin given.
in_image() {
	"$DOCKER_CLI" run --rm -i --network none "$@"
}

# bats test_tags=index
@test "package index: bindep 2.12.0 (pbr, setup.cfg) from its sdist; its script reads a bindep file in the image" {
	sdist bindep 2.12.0
	build "$SRC"
	[ "$(jq -r '[.images[].ref] | join(" ")' <<<"$out")" = "bindep-base:latest bindep:latest" ]
	# dumb-init is in every image, the other package is not: bindep (its
	# Parsley grammar, distro, dpkg-query) says which is missing.
	run in_image bindep:latest bindep --brief -f /dev/stdin <<<$'dumb-init\nno-such-package-pbrx'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = no-such-package-pbrx ]
	run in_image bindep:latest bindep --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:\ bindep* ]]
}

# bats test_tags=index
@test "package index: isort 5.13.2 (pyproject.toml, poetry-core) from its sdist; both its scripts run in their images" {
	sdist isort 5.13.2
	[ -f "$SRC/pyproject.toml" ]
	build "$SRC"
	[ "$(jq -r '[.images[].ref] | sort | join(" ")' <<<"$out")" = \
		"isort-base:latest isort-identify-imports:latest isort:latest" ]
	run in_image isort:latest isort - <<<'import sys, os'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = $'import os\nimport sys' ]
	run in_image isort-identify-imports:latest isort-identify-imports - <<<$'import sys\nfrom os import path'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *sys* ]]
	[[ "$output" == *os* ]]
}

# bats test_tags=index
@test "package index: examples/pg-ping, psycopg2 compiled from its sdist against libpq-dev; libpq5 at run time, no compiler or -dev package" {
	cp -a "$PBRX_ROOT/examples/pg-ping" "$TMP/pg-ping"
	build "$TMP/pg-ping"
	[ "$(jq -r '[.images[].ref] | join(" ")' <<<"$out")" = "pg-ping-base:latest pg-ping:latest" ]
	# the wheel was built here, from the sdist: no binary wheel exists
	[[ "$(jq -r '.wheels.files[].file' <<<"$out")" == *psycopg2-2.9.10-cp311-cp311-linux_x86_64.whl* ]]
	run in_image pg-ping:latest pg-ping --version
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^pg-ping:\ psycopg2\ 2\.9\.10,\ built\ with\ libpq\ 15\.[0-9]+,\ running\ libpq\ 15\.[0-9]+$ ]]
	# libpq itself runs: no server there, it says so
	run in_image pg-ping:latest pg-ping 'host=127.0.0.1 port=1'
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'pg-ping: cannot connect: connection to server at "127.0.0.1", port 1 failed: Connection refused'* ]]
	for img in pg-ping-base:latest pg-ping:latest; do
		run in_image --entrypoint /bin/sh "$img" -c '
			dpkg-query -W -f "\${Package} \${Status}\n" libpq5
			dpkg-query -W -f "\${Package} \${Status}\n" | grep -e "-dev " -e "^gcc " -e "^gcc-[0-9]* " -e "^cpp" || echo no-dev
			command -v gcc cc pg_config || echo no-compiler'
		echo "$output"
		[ "$output" = "libpq5 install ok installed
no-dev
no-compiler" ]
	done
}
