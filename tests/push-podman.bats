#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pbrx-push-images with the docker engine through Podman's
# Docker-compatible API service (podman system service, DOCKER_HOST at
# its socket) against docker-registry on loopback, plain HTTP and
# htpasswd basic auth, checked through the registry's HTTP API.

load helpers
load lib/dockerd
load lib/podman
load lib/registry

USER_OK=pbrx-pusher
PASS_OK=Pw-7c6b5a49-never-shown
PASS_BAD=Wrong-3e2d1c-never-shown

# docker CLI of the Podman service
dk() {
	"$DOCKER_CLI" "$@"
}

# for registry_tag_project
push_tag() {
	dk tag "$1" "$2"
}

setup_file() {
	command -v podman >/dev/null || {
		echo "podman is not installed (scripts/install-deps installs it)" >&2
		return 1
	}
	podman_start
	dockerd_base_image
	registry_start plain
	registry_start auth --htpasswd "$USER_OK" "$PASS_OK"
	P=$BATS_FILE_TMPDIR/proj
	export P
	registry_project "$P"
	registry_images_docker dk
	registry_tag_project "$REG_PLAIN" org
	registry_tag_project "$REG_AUTH" org
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/no-docker-config
}

teardown_file() {
	registry_stop_all
	podman_stop
}

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "podman, plain HTTP: base and script image pushed (tlsVerify=false on loopback), the document says what" {
	run_split pbrx-push-images --engine docker --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain org
	[ "$(jq -c '[.pushed[].ref]' <<<"$out")" = "[\"$REG_PLAIN/org/proj-base:1.0\",\"$REG_PLAIN/org/proj-script:1.0\"]" ]
	# Podman's progress names no layer: the counts are not known
	[ "$(jq -c '[.pushed[] | [.layers_pushed, .layers_existing]]' <<<"$out")" = '[[null,null],[null,null]]' ]
	grep -q "^image-push: $REG_PLAIN/org/proj-base:1.0: pushing\$" <<<"$err"
	grep -q "^image-push: $REG_PLAIN/org/proj-script:1.0: pushed sha256:[0-9a-f]\{64\}\$" <<<"$err"
	registry_record_first plain push-podman.bats
}

@test "podman, plain HTTP: a second push sends no blob again" {
	run_split pbrx-push-images --engine docker --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain org
	registry_check_no_resend plain push-podman.bats
}

@test "podman, plain HTTP: removed here, pulled back through the service, the script image runs" {
	run_split pbrx-push-images -q --engine docker --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	dk rmi "$REG_PLAIN/org/proj-script:1.0" >/dev/null
	refute dk image inspect "$REG_PLAIN/org/proj-script:1.0" >/dev/null 2>&1
	# Neither the docker CLI nor the compatible pull can say
	# tlsVerify=false; Podman's own API can
	curl -fsS --unix-socket "$PODMAN_RUN/podman.sock" -X POST -o "$TMP/pull" \
		"http://localhost/v4.0.0/libpod/images/pull?reference=$REG_PLAIN/org/proj-script:1.0&tlsVerify=false&quiet=true"
	refute grep -q '"error' "$TMP/pull"
	[ "$(dk run --rm --network none "$REG_PLAIN/org/proj-script:1.0")" = "base
script" ]
}

@test "podman, basic auth: the credentials of DOCKER_CONFIG push; never printed, not in the service's log" {
	registry_docker_config "$TMP/cfg" "$USER_OK" "$PASS_OK" "$REG_AUTH"
	DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -vv --engine docker \
		--prefix "$REG_AUTH/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth org
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
	refute grep -q "X-Registry-Auth" <<<"$err"
	refute grep -q -e "$PASS_OK" "$PODMAN_RUN/service.log"
}

@test "podman, credential helpers: credsStore's credentials go in the header; a failing helper: one line" {
	registry_cred_helpers "$TMP/helpers" "$REG_AUTH" "$USER_OK" "$PASS_OK"
	mkdir -p "$TMP/cfg"
	printf '{"credsStore": "pbrxtest"}\n' >"$TMP/cfg/config.json"
	registry_tag_project "$REG_AUTH" helper
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -q --engine docker \
		--prefix "$REG_AUTH/helper" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth helper
	[ "$(sort -u "$TMP/helpers/helper.log")" = "$REG_AUTH" ]
	printf '{"credsStore": "pbrxfail"}\n' >"$TMP/cfg/config.json"
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images --engine docker \
		--prefix "$REG_AUTH/helper" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$(tail -n 1 <<<"$err")" = "image-push: docker: push ($REG_AUTH/helper/proj-base:1.0): $TMP/cfg/config.json: .credsStore: docker-credential-pbrxfail get: exit status 1" ]
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
}

@test "podman, basic auth: a wrong password fails with exit 1 and one line, no secret in it" {
	registry_docker_config "$TMP/cfg" "$USER_OK" "$PASS_BAD" "$REG_AUTH"
	registry_tag_project "$REG_AUTH" bad
	DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -q --engine docker \
		--prefix "$REG_AUTH/bad" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: docker: POST /images/{name}/push ($REG_AUTH/bad/proj-base:1.0): .*unauthorized.* (credentials: $TMP/cfg/config.json)\$" <<<"$err"
	registry_check_no_secret "$USER_OK" "$PASS_BAD" "$out$err"
	[ "$(registry_curl auth /v2/_catalog | jq '.repositories | index("bad/proj-base")')" = null ]
}

@test "podman: a push failing partway leaves no tag for that image" {
	registry_tag_project "$REG_PLAIN" half
	m=$(registry_block_manifests plain half)
	run_split pbrx-push-images -q --engine docker --prefix "$REG_PLAIN/half" --tag 1.0 "$P"
	chattr -i "$m"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: docker: POST /images/{name}/push ($REG_PLAIN/half/proj-script:1.0): " <<<"$err"
	registry_check_partial plain half
	# once the registry can write again, the same push completes
	run_split pbrx-push-images -q --engine docker --prefix "$REG_PLAIN/half" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain half
}
