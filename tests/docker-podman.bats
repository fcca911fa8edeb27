#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The docker client (common/docker.c) and image-inspect against Podman's
# Docker-compatible API service instead of dockerd.  scripts/install-deps
# installs podman: without it this file fails.

load helpers
load lib/dockerd
load lib/podman

setup_file() {
	command -v podman >/dev/null || {
		echo "podman is not installed (scripts/install-deps installs it)" >&2
		return 1
	}
	podman_start
	dockerd_base_image
	docker_api_build
}

teardown_file() {
	podman_stop
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

@test "podman: create, exec, read, commit, tag, wait, build, remove" {
	mkdir "$TMP/ctx"
	printf 'FROM %s\nRUN echo built >/built\nCMD ["cat", "/built"]\n' "$IMAGE" >"$TMP/ctx/Dockerfile"
	printf 'FROM %s\nRUN exit 7\n' "$IMAGE" >"$TMP/ctx/Dockerfile.fail"
	run_split "$BATS_FILE_TMPDIR/docker-api" run "$IMAGE" "$TMP/ctx"
	echo "$out$err"
	[ "$status" -eq 0 ]
	[ "$(sed -n '/^exec:/,/^exec-err:/p' <<<"$out")" = "exec: 3
exec-out: out
yes
exec-err: err" ]
	[ "$(grep '^write-ro:' <<<"$out")" = "write-ro: 1" ]
	[ "$(grep '^read:' <<<"$out")" = "read: 6 hello" ]
	[[ "$(grep '^read-missing:' <<<"$out")" == "read-missing: 404 GET /containers/{id}/archive ("*":/nonexistent): "* ]]
	[ "$(grep '^image-read:' <<<"$out")" = "image-read: hello" ]
	[ "$(grep '^wait:' <<<"$out")" = "wait: 0" ]
	[ "$(grep '^build:' <<<"$out")" = "build: ok" ]
	[[ "$(grep '^build-fail:' <<<"$out")" == "build-fail: POST /build (pbrx-test/fail:latest): "*"exit status 7" ]]
	[[ "$(grep '^create-missing:' <<<"$out")" == "create-missing: POST /containers/create (pbrx-missing): "*"pbrx-test/no-such-image:1"* ]]
	[ "$(grep '^removed:' <<<"$out")" = "removed: 404" ]
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}
