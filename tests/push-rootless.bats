#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pbrx-push-images with rootless buildah: a user made for the purpose
# (lib/buildah.bash) pushes from its own containers-storage to
# docker-registry on loopback, plain HTTP, TLS and htpasswd basic auth,
# checked through the registry's HTTP API.

load helpers
load lib/dockerd
load lib/buildah
load lib/registry

USER_OK=pbrx-pusher
PASS_OK=Pw-5d4c3b2a-never-shown
PASS_BAD=Wrong-8h7g6f-never-shown

# for registry_tag_project
push_tag() {
	buildah_as buildah tag "$1" "$2"
}

# push ARGS...: pbrx-push-images as the rootless user, with buildah
push() {
	run_split buildah_as pbrx-push-images --engine buildah "$@"
}

setup_file() {
	buildah_rootless_start
	buildah_base_image
	export BUILDAH_ISOLATION=chroot
	registry_start plain
	registry_start tls --tls
	registry_start auth --htpasswd "$USER_OK" "$PASS_OK"
	P=$BUILDAH_HOME/proj
	export P
	registry_project "$P"
	chown -R "$BUILDAH_USER:" "$P"
	registry_images_buildah
	registry_tag_project "$REG_PLAIN" org
	registry_tag_project "$REG_TLS" org
	registry_tag_project "$REG_AUTH" org
	export DOCKER_CONFIG=$BUILDAH_HOME/no-docker-config
	unset REGISTRY_AUTH_FILE
}

teardown_file() {
	registry_stop_all
	buildah_stop
}

setup() {
	common_setup
	# where the rootless user can reach it
	rm -rf "$TMP"
	TMP=$(mktemp -d "$BUILDAH_HOME/test.XXXXXX")
	chown "$BUILDAH_USER:" "$TMP"
}

teardown() {
	common_teardown
}

@test "rootless, plain HTTP: both images pushed by the user, checked through the registry's API" {
	push -v --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain org
	grep -q "^image-push: $REG_PLAIN/org/proj-base:1.0: Copying blob " <<<"$err"
	grep -q "^image-push: $REG_PLAIN/org/proj-script:1.0: pushed sha256:[0-9a-f]\{64\}\$" <<<"$err"
	# the user's own storage, not root's
	[ "$(stat -c %U "$BUILDAH_HOME/.local/share/containers/storage")" = "$BUILDAH_USER" ]
	registry_record_first plain push-rootless.bats
}

@test "rootless, plain HTTP: a second push sends no blob again" {
	push --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain org
	registry_check_no_resend plain push-rootless.bats
}

@test "rootless, plain HTTP: removed here, pulled back by the user, the script image runs" {
	push -q --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	buildah_as buildah rmi "$REG_PLAIN/org/proj-script:1.0" >/dev/null
	c=$(DOCKER_CONFIG='' buildah_as buildah from -q --tls-verify=false "$REG_PLAIN/org/proj-script:1.0")
	[ "$(buildah_as buildah run "$c" -- cat /pbrx-base /pbrx-script)" = "base
script" ]
	buildah_as buildah rm "$c" >/dev/null
}

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

@test "rootless, TLS: --cert-dir with the registry's CA verifies; a wrong one fails cleanly" {
	cp -r "$(registry_dir tls)/certs" "$(registry_dir tls)/wrong-certs" "$TMP/"
	chown -R "$BUILDAH_USER:" "$TMP"
	registry_tag_project "$REG_TLS" wrongdir
	push -q --cert-dir "$TMP/wrong-certs" --prefix "$REG_TLS/wrongdir" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: buildah: push ($REG_TLS/wrongdir/proj-base:1.0): .*x509: certificate signed by unknown authority" <<<"$err"
	registry_tag_project "$REG_TLS" certdir
	push -q --cert-dir "$TMP/certs" --prefix "$REG_TLS/certdir" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed tls certdir
}

@test "rootless, basic auth: DOCKER_CONFIG's credentials, or a credential helper's; never printed" {
	registry_docker_config "$TMP/cfg" "$USER_OK" "$PASS_OK" "$REG_AUTH"
	chown -R "$BUILDAH_USER:" "$TMP"
	DOCKER_CONFIG=$TMP/cfg push -v --prefix "$REG_AUTH/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth org
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
	# the same with credHelpers, the helper on the user's PATH
	registry_cred_helpers "$TMP/helpers" "$REG_AUTH" "$USER_OK" "$PASS_OK"
	printf '{"credHelpers": {"%s": "pbrxtest"}}\n' "$REG_AUTH" >"$TMP/cfg/config.json"
	chown -R "$BUILDAH_USER:" "$TMP"
	registry_tag_project "$REG_AUTH" helper
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg push -v --prefix "$REG_AUTH/helper" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth helper
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
	[ "$(sort -u "$TMP/helpers/helper.log")" = "$REG_AUTH" ]
	# no temporary authfile left behind, no copy of the secret in the
	# user's run directory (buildah's default auth.json is there)
	[ -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'pbrx-auth.*' -user "$BUILDAH_USER")" ]
	refute grep -rq -e "$PASS_OK" "$BUILDAH_RUN"
}

@test "rootless, basic auth: a wrong password fails with exit 1 and one line, no secret" {
	registry_docker_config "$TMP/cfg" "$USER_OK" "$PASS_BAD" "$REG_AUTH"
	chown -R "$BUILDAH_USER:" "$TMP"
	registry_tag_project "$REG_AUTH" bad
	DOCKER_CONFIG=$TMP/cfg push -q --prefix "$REG_AUTH/bad" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: buildah: push ($REG_AUTH/bad/proj-base:1.0): .*unauthorized.* (credentials: $TMP/cfg/config.json)\$" <<<"$err"
	registry_check_no_secret "$USER_OK" "$PASS_BAD" "$out$err"
	[ "$(registry_curl auth /v2/_catalog | jq '.repositories | index("bad/proj-base")')" = null ]
}

@test "rootless: a push failing partway leaves no tag for that image" {
	registry_tag_project "$REG_PLAIN" half
	m=$(registry_block_manifests plain half)
	push -q --prefix "$REG_PLAIN/half" --tag 1.0 "$P"
	chattr -i "$m"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: buildah: push ($REG_PLAIN/half/proj-script:1.0): " <<<"$err"
	registry_check_partial plain half
	push -q --prefix "$REG_PLAIN/half" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain half
}
