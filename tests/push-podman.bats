#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pbrx-push-images with the docker engine through Podman's
# Docker-compatible API service (podman system service, DOCKER_HOST at
# its socket): the push suite of tests/lib/push.bash, plain HTTP and
# basic auth.

TEST_ENGINE=podman
load helpers
load lib/push

@test "podman, plain HTTP: base and script image pushed (tlsVerify=false on loopback), the document says what" { push_test_first; }
@test "podman, plain HTTP: a second push sends no blob again" { push_test_second; }
@test "podman, plain HTTP: removed here, pulled back through the service, the script image runs" { push_test_pull_back; }
@test "podman, basic auth: the credentials of DOCKER_CONFIG push; never printed, not in the service's log" { push_test_basic_auth; }

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

@test "podman, basic auth: a wrong password fails with exit 1 and one line, no secret in it" { push_test_wrong_password; }
@test "podman: a push failing partway leaves no tag for that image" { push_test_partial; }
