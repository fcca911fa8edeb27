#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pbrx-push-images with rootless buildah: a user made for the purpose
# (lib/buildah.bash) pushes from its own containers-storage; the push
# suite of tests/lib/push.bash.

TEST_ENGINE=rootless
load helpers
load lib/push

@test "rootless, plain HTTP: both images pushed by the user, checked through the registry's API" { push_test_first; }
@test "rootless, plain HTTP: a second push sends no blob again" { push_test_second; }
@test "rootless, plain HTTP: removed here, pulled back by the user, the script image runs" { push_test_pull_back; }

@test "rootless, TLS: the user's certs.d with the registry's CA verifies; a wrong CA there fails cleanly" {
	d=$BUILDAH_HOME/.config/containers/certs.d/$REG_TLS
	mkdir -p "$d"
	cp "$(registry_dir tls)/wrong-certs/ca.crt" "$d/ca.crt"
	chown -R "$BUILDAH_USER:" "$BUILDAH_HOME/.config/containers/certs.d"
	registry_tag_project "$REG_TLS" wrong
	push -q --prefix "$REG_TLS/wrong" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: buildah: push ($REG_TLS/wrong/proj-base:1.0): .*x509: certificate signed by unknown authority" <<<"$err"
	[ "$(registry_curl tls /v2/_catalog | jq '.repositories | index("wrong/proj-base")')" = null ]
	cp "$(registry_dir tls)/certs/ca.crt" "$d/ca.crt"
	push -q --prefix "$REG_TLS/org" --tag 1.0 "$P"
	rm -rf "$BUILDAH_HOME/.config/containers/certs.d"
	[ "$status" -eq 0 ]
	registry_check_pushed tls org
}

@test "rootless, TLS: --cert-dir with the registry's CA verifies; a wrong one fails cleanly" { push_test_cert_dir; }
@test "rootless, basic auth: DOCKER_CONFIG's credentials, or a credential helper's; never printed" { push_test_basic_auth; }
@test "rootless, basic auth: a wrong password fails with exit 1 and one line, no secret" { push_test_wrong_password; }
@test "rootless: a push failing partway leaves no tag for that image" { push_test_partial; }
