#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# image-inspect against Podman's Docker-compatible API service instead of
# dockerd (the client's own tests: docker-client-podman.bats).  scripts/install-deps
# installs podman: without it this file fails.

TEST_ENGINE=podman
load helpers
load lib/engine

setup_file() {
	engine_start
}

teardown_file() {
	engine_stop
}

setup() {
	common_setup
	IMAGE=$PBRX_BASE_IMAGE
}

teardown() {
	common_teardown
}

@test "podman: image-inspect of the Debian base image" {
	run_split image-inspect -v "$IMAGE" </dev/null
	[ "$status" -eq 0 ]
	[[ "$err" == *"API version 1.41 (daemon 1.41)"* ]]
	[ "$(jq -r .base.os_release.ID <<<"$out")" = debian ]
	[ "$(jq -r .base.os_release.VERSION_ID <<<"$out")" = 12 ]
	[ "$(jq -c .base.config.cmd <<<"$out")" = '["python3"]' ]
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "podman: a missing image gives the service's message" {
	run_split image-inspect -q 127.0.0.1:9/pbrx/missing:1 </dev/null
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[[ "$err" == "image-inspect: docker: POST /images/create (127.0.0.1:9/pbrx/missing:1): "*"127.0.0.1:9"* ]]
	[ "$(wc -l <<<"$err")" -eq 1 ]
}
