#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pbrx-push-images and image-push with buildah as root (no daemon, a
# private containers-storage): the push suite of tests/lib/push.bash.

TEST_ENGINE=buildah
load helpers
load lib/push

@test "buildah, plain HTTP: pushed (loopback: --tls-verify=false), progress per image and layer" { push_test_first; }
@test "buildah, plain HTTP: a second push sends no blob again" { push_test_second; }
@test "buildah, plain HTTP: removed here, pulled back, the script image runs" { push_test_pull_back; }
@test "buildah, TLS: pushed over HTTPS (loopback, no certificates given: not verified, as dockerd)" { push_test_tls; }
@test "buildah, TLS: --cert-dir with the registry's CA verifies it; a wrong CA fails cleanly, nothing tagged" { push_test_cert_dir; }

@test "buildah, credential helpers: credsStore's credentials in a private authfile, gone after; a failing helper: one line" {
	registry_cred_helpers "$TMP/helpers" "$REG_AUTH" "$USER_OK" "$PASS_OK"
	mkdir -p "$TMP/cfg"
	printf '{"credsStore": "pbrxtest"}\n' >"$TMP/cfg/config.json"
	registry_tag_project "$REG_AUTH" helper
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg TMPDIR=$TMP run_split pbrx-push-images -vv \
		--engine buildah --prefix "$REG_AUTH/helper" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth helper
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
	# the temporary authfile (in TMPDIR) is gone
	[ -z "$(find "$TMP" -maxdepth 1 -name 'pbrx-auth.*')" ]
	[ "$(sort -u "$TMP/helpers/helper.log")" = "$REG_AUTH" ]
	printf '{"credHelpers": {"%s": "pbrxfail"}}\n' "$REG_AUTH" >"$TMP/cfg/config.json"
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg TMPDIR=$TMP run_split pbrx-push-images \
		--engine buildah --prefix "$REG_AUTH/helper" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$(tail -n 1 <<<"$err")" = "image-push: buildah: push ($REG_AUTH/helper/proj-base:1.0): $TMP/cfg/config.json: .credHelpers[\"$REG_AUTH\"]: docker-credential-pbrxfail get: exit status 1" ]
	[ "$(grep -c pbrxfail <<<"$err")" = 1 ]
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
	[ -z "$(find "$TMP" -maxdepth 1 -name 'pbrx-auth.*')" ]
}

@test "buildah, basic auth: DOCKER_CONFIG's credentials (in a private authfile), or REGISTRY_AUTH_FILE; never printed" { push_test_basic_auth; }
@test "buildah, basic auth: a wrong password fails with exit 1 and one line, no secret" { push_test_wrong_password; }
@test "buildah: a missing image, an unreachable registry: exit 1, one line" { push_test_missing; push_test_unreachable; }
@test "buildah: a push failing partway leaves no tag for that image" { push_test_partial; }
