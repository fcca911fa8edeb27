#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pbrx-push-images and image-push with buildah as root (no daemon, a
# private containers-storage) against the same registries as push.bats:
# docker-registry on loopback, plain HTTP, TLS and htpasswd basic auth.

load helpers
load lib/dockerd
load lib/buildah
load lib/registry

USER_OK=pbrx-pusher
PASS_OK=Pw-1a2b3c4d-never-shown
PASS_BAD=Wrong-9z8y7x-never-shown

bu() {
	buildah "$@"
}

# for registry_tag_project
push_tag() {
	bu tag "$1" "$2"
}

setup_file() {
	buildah_start
	buildah_base_image
	export BUILDAH_ISOLATION=chroot
	registry_start plain
	registry_start tls --tls
	registry_start auth --htpasswd "$USER_OK" "$PASS_OK"
	P=$BATS_FILE_TMPDIR/proj
	export P
	registry_project "$P"
	registry_images_buildah
	registry_tag_project "$REG_PLAIN" org
	registry_tag_project "$REG_TLS" org
	registry_tag_project "$REG_AUTH" org
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/no-docker-config
	unset REGISTRY_AUTH_FILE
}

teardown_file() {
	registry_stop_all
	buildah_stop
}

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "buildah, plain HTTP: pushed (loopback: --tls-verify=false), progress per image and layer" {
	run_split pbrx-push-images -v --engine buildah --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain org
	grep -q "^image-push: $REG_PLAIN/org/proj-base:1.0: pushing\$" <<<"$err"
	grep -q "^image-push: $REG_PLAIN/org/proj-base:1.0: Copying blob " <<<"$err"
	# buildah does not say which layers it sent: the counts are null
	[ "$(jq -c '[.pushed[] | [.layers_pushed, .layers_existing]]' <<<"$out")" = '[[null,null],[null,null]]' ]
	grep -q "^image-push: $REG_PLAIN/org/proj-script:1.0: pushed sha256:[0-9a-f]\{64\}\$" <<<"$err"
	registry_record_first plain push-buildah.bats
}

@test "buildah, plain HTTP: a second push sends no blob again" {
	run_split pbrx-push-images --engine buildah --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain org
	registry_check_no_resend plain push-buildah.bats
}

@test "buildah, plain HTTP: removed here, pulled back, the script image runs" {
	run_split pbrx-push-images -q --engine buildah --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	bu rmi "$REG_PLAIN/org/proj-script:1.0" >/dev/null
	c=$(DOCKER_CONFIG='' bu from -q --tls-verify=false "$REG_PLAIN/org/proj-script:1.0")
	[ "$(bu run "$c" -- cat /pbrx-base /pbrx-script)" = "base
script" ]
	bu rm "$c" >/dev/null
}

@test "buildah, TLS: pushed over HTTPS (loopback, no certificates given: not verified, as dockerd)" {
	refute curl -fsS "http://$REG_TLS/v2/" >/dev/null 2>&1
	run_split pbrx-push-images --engine buildah --prefix "$REG_TLS/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed tls org
}

@test "buildah, TLS: --cert-dir with the registry's CA verifies it; a wrong CA fails cleanly, nothing tagged" {
	registry_tag_project "$REG_TLS" wrong
	run_split pbrx-push-images -q --engine buildah --cert-dir "$(registry_dir tls)/wrong-certs" \
		--prefix "$REG_TLS/wrong" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: buildah: push ($REG_TLS/wrong/proj-base:1.0): .*x509: certificate signed by unknown authority" <<<"$err"
	[ "$(registry_curl tls /v2/_catalog | jq '.repositories | index("wrong/proj-base")')" = null ]
	registry_tag_project "$REG_TLS" verified
	run_split pbrx-push-images -vv --engine buildah --cert-dir "$(registry_dir tls)/certs" \
		--prefix "$REG_TLS/verified" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed tls verified
	# and through a saved document
	run_split pbrx-push-images -q --engine buildah --cert-dir "$(registry_dir tls)/wrong-certs" \
		--document <(printf '%s\n' "$out")
	[ "$status" -eq 1 ]
	grep -q "x509: certificate signed by unknown authority" <<<"$err"
}

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

@test "buildah, basic auth: DOCKER_CONFIG's credentials (in a private authfile), or REGISTRY_AUTH_FILE; never printed" {
	registry_docker_config "$TMP/cfg" "$USER_OK" "$PASS_OK" "$REG_AUTH"
	DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -v --engine buildah \
		--prefix "$REG_AUTH/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth org
	secret64=$(printf '%s:%s' "$USER_OK" "$PASS_OK" | base64 -w0)
	refute grep -q -e "$PASS_OK" -e "$secret64" <<<"$out$err"
	registry_tag_project "$REG_AUTH" env
	REGISTRY_AUTH_FILE=$TMP/cfg/config.json run_split pbrx-push-images -q --engine buildah \
		--prefix "$REG_AUTH/env" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth env
}

@test "buildah, basic auth: a wrong password fails with exit 1 and one line, no secret" {
	registry_docker_config "$TMP/cfg" "$USER_OK" "$PASS_BAD" "$REG_AUTH"
	registry_tag_project "$REG_AUTH" bad
	DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -q --engine buildah \
		--prefix "$REG_AUTH/bad" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: buildah: push ($REG_AUTH/bad/proj-base:1.0): .*unauthorized.* (credentials: $TMP/cfg/config.json)\$" <<<"$err"
	secret64=$(printf '%s:%s' "$USER_OK" "$PASS_BAD" | base64 -w0)
	refute grep -q -e "$PASS_BAD" -e "$secret64" <<<"$out$err"
}

@test "buildah: a missing image, an unreachable registry: exit 1, one line" {
	run_split pbrx-push-images --engine buildah --prefix "$REG_PLAIN/nothing" "$P"
	[ "$status" -eq 1 ]
	[ "$err" = "image-push: $REG_PLAIN/nothing/proj-base:latest: no such image here (build it first: pbrx-build-images)" ]
	port=$(dockerd_free_port)
	registry_tag_project "127.0.0.1:$port" org
	run_split pbrx-push-images -q --engine buildah --prefix "127.0.0.1:$port/org" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: buildah: push (127.0.0.1:$port/org/proj-base:1.0): .*connection refused\$" <<<"$err"
}

@test "buildah: a push failing partway leaves no tag for that image" {
	registry_tag_project "$REG_PLAIN" half
	m=$(registry_block_manifests plain half)
	run_split pbrx-push-images -q --engine buildah --prefix "$REG_PLAIN/half" --tag 1.0 "$P"
	chattr -i "$m"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: buildah: push ($REG_PLAIN/half/proj-script:1.0): " <<<"$err"
	registry_check_partial plain half
}
