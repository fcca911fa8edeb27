# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2154 # out, err and status: set by run_split
# The push suite: pbrx-push-images and image-push against real registries
# on loopback (lib/registry.bash: docker-registry once plain HTTP, once TLS
# with a CA made here, once with htpasswd basic auth), every result checked
# through the registry's own HTTP API.  One engine a bats file:
#
#   TEST_ENGINE=docker|podman|buildah|rootless    (lib/engine.bash)
#   load lib/push
#   @test "..." { push_test_first; }
#
# (With podman no TLS registry.)  This file gives the bats file its
# setup_file, teardown_file, setup and teardown, and a push_test_NAME
# function for each test the engines share; engine-specific tests stay in
# the engine's file.  (bats 1.8 finds @test blocks only in the .bats file
# itself, so each engine file lists its tests, one line each.)
#
# The images are cheap: the offline base image with one committed layer as
# ORG/proj-base, one more as ORG/proj-script, named by a tiny project whose
# setup.cfg declares them.

load lib/engine
load lib/registry

USER_OK=pbrx-pusher
PASS_OK=Pw-9f8e7d6c-never-shown
PASS_BAD=Wrong-5a4b3c-never-shown

# push_cli ARGS...: the engine's own command line (docker's, buildah's).
push_cli() {
	case $TEST_ENGINE in
	docker | podman) "$DOCKER_CLI" "$@" ;;
	buildah) buildah "$@" ;;
	rootless) buildah_as buildah "$@" ;;
	esac
}

# for registry_tag_project
push_tag() {
	push_cli tag "$1" "$2"
}

# push ARGS...: run_split pbrx-push-images with the file's engine (as the
# rootless user for rootless).
push() {
	if [ "$TEST_ENGINE" = rootless ]; then
		run_split buildah_as pbrx-push-images --engine buildah "$@"
	else
		run_split pbrx-push-images --engine "$TEST_BACKEND" "$@"
	fi
}

# What a failed push's message starts with after "image-push: ".
case $TEST_BACKEND in
docker) PUSH_FAILED='docker: POST /images/{name}/push' ;;
buildah) PUSH_FAILED='buildah: push' ;;
esac

setup_file() {
	engine_start
	[ "$TEST_BACKEND" = docker ] || export BUILDAH_ISOLATION=chroot
	registry_start plain
	[ "$TEST_ENGINE" = podman ] || registry_start tls --tls
	registry_start auth --htpasswd "$USER_OK" "$PASS_OK"
	# where the rootless user can read it
	P=${BUILDAH_HOME:-$BATS_FILE_TMPDIR}/proj
	export P
	registry_project "$P"
	if [ "$TEST_BACKEND" = docker ]; then
		registry_images_docker "$DOCKER_CLI"
	else
		[ -z "$BUILDAH_HOME" ] || chown -R "$BUILDAH_USER:" "$P"
		registry_images_buildah
	fi
	registry_tag_project "$REG_PLAIN" org
	[ "$TEST_ENGINE" = podman ] || registry_tag_project "$REG_TLS" org
	registry_tag_project "$REG_AUTH" org
	# No credentials unless a test gives some.
	export DOCKER_CONFIG=${BUILDAH_HOME:-$BATS_FILE_TMPDIR}/no-docker-config
	unset REGISTRY_AUTH_FILE
}

teardown_file() {
	registry_stop_all
	engine_stop
}

setup() {
	common_setup
	if [ "$TEST_ENGINE" = rootless ]; then
		# where the rootless user can reach it
		rm -rf "$TMP"
		TMP=$(mktemp -d "$BUILDAH_HOME/test.XXXXXX")
		chown "$BUILDAH_USER:" "$TMP"
	fi
}

teardown() {
	common_teardown
}

# push_user_owns: the rootless user may read what the test wrote in $TMP.
push_user_owns() {
	[ "$TEST_ENGINE" != rootless ] || chown -R "$BUILDAH_USER:" "$TMP"
}

# plain HTTP: base and script image pushed (buildah: loopback gets
# --tls-verify=false; Podman tlsVerify=false), progress per image and
# layer, the document says what.
push_test_first() {
	if [ "$TEST_BACKEND" = docker ]; then
		push --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	else
		push -v --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	fi
	[ "$status" -eq 0 ]
	registry_check_pushed plain org
	grep -q "^image-push: $REG_PLAIN/org/proj-base:1.0: pushing\$" <<<"$err"
	if [ "$TEST_BACKEND" = docker ]; then
		[ "$(jq -c '[.pushed[].ref]' <<<"$out")" = "[\"$REG_PLAIN/org/proj-base:1.0\",\"$REG_PLAIN/org/proj-script:1.0\"]" ]
	else
		grep -q "^image-push: $REG_PLAIN/org/proj-base:1.0: Copying blob " <<<"$err"
	fi
	if [ "$TEST_ENGINE" = docker ]; then
		[ "$(jq -c '.pushed[0] | keys_unsorted' <<<"$out")" = '["ref","digest","layers_pushed","layers_existing"]' ]
		# base: both layers sent; script: its own layer sent, the base's mounted
		[ "$(jq -c '[.pushed[] | [.layers_pushed, .layers_existing]]' <<<"$out")" = '[[2,0],[1,2]]' ]
		grep -q "^image-push: $REG_PLAIN/org/proj-base:1.0: layer [0-9a-f]*: Pushed\$" <<<"$err"
		grep -q "^image-push: $REG_PLAIN/org/proj-script:1.0: layer [0-9a-f]*: Mounted from org/proj-base\$" <<<"$err"
		grep -q "^image-push: $REG_PLAIN/org/proj-script:1.0: pushed sha256:[0-9a-f]\{64\} (layers: 1 sent, 2 already in the registry)\$" <<<"$err"
	else
		# Podman's progress names no layer, buildah does not say which
		# layers it sent: the counts are not known
		[ "$(jq -c '[.pushed[] | [.layers_pushed, .layers_existing]]' <<<"$out")" = '[[null,null],[null,null]]' ]
		grep -q "^image-push: $REG_PLAIN/org/proj-script:1.0: pushed sha256:[0-9a-f]\{64\}\$" <<<"$err"
	fi
	if [ "$TEST_ENGINE" = rootless ]; then
		# the user's own storage, not root's
		[ "$(stat -c %U "$BUILDAH_HOME/.local/share/containers/storage")" = "$BUILDAH_USER" ]
	fi
	# the first push's cost, for the record
	registry_record_first plain "${BATS_TEST_FILENAME##*/}"
}

# plain HTTP: a second push sends no blob again (dockerd: every layer
# already exists).
push_test_second() {
	push --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain org
	registry_check_no_resend plain "${BATS_TEST_FILENAME##*/}"
	[ "$TEST_ENGINE" = docker ] || return 0
	[ "$(jq -c '[.pushed[] | [.layers_pushed, .layers_existing]]' <<<"$out")" = '[[0,2],[0,3]]' ]
	refute grep -q ': Pushed$' <<<"$err"
	[ "$(grep -c ': Layer already exists$' <<<"$err")" = 5 ]
}

# plain HTTP: removed here, pulled back from the registry, the script
# image runs.
push_test_pull_back() {
	local c
	push -q --prefix "$REG_PLAIN/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	case $TEST_ENGINE in
	docker)
		push_cli rmi "$REG_PLAIN/org/proj-script:1.0" "$REG_PLAIN/org/proj-base:1.0" >/dev/null
		refute push_cli image inspect "$REG_PLAIN/org/proj-script:1.0" >/dev/null 2>&1
		push_cli pull -q "$REG_PLAIN/org/proj-script:1.0" >/dev/null
		[ "$(push_cli run --rm "$REG_PLAIN/org/proj-script:1.0")" = "base
script" ] ;;
	podman)
		push_cli rmi "$REG_PLAIN/org/proj-script:1.0" >/dev/null
		refute push_cli image inspect "$REG_PLAIN/org/proj-script:1.0" >/dev/null 2>&1
		# Neither the docker CLI nor the compatible pull can say
		# tlsVerify=false; Podman's own API can
		curl -fsS --unix-socket "$PODMAN_RUN/podman.sock" -X POST -o "$TMP/pull" \
			"http://localhost/v4.0.0/libpod/images/pull?reference=$REG_PLAIN/org/proj-script:1.0&tlsVerify=false&quiet=true"
		refute grep -q '"error' "$TMP/pull"
		[ "$(push_cli run --rm --network none "$REG_PLAIN/org/proj-script:1.0")" = "base
script" ] ;;
	*)
		push_cli rmi "$REG_PLAIN/org/proj-script:1.0" >/dev/null
		c=$(DOCKER_CONFIG='' push_cli from -q --tls-verify=false "$REG_PLAIN/org/proj-script:1.0")
		[ "$(push_cli run "$c" -- cat /pbrx-base /pbrx-script)" = "base
script" ]
		push_cli rm "$c" >/dev/null ;;
	esac
}

# TLS: pushed over HTTPS (dockerd: verified with the CA made here, in its
# certs.d; buildah on loopback, no certificates given: not verified, as
# dockerd is not).
push_test_tls() {
	# the registry speaks nothing but TLS
	refute curl -fsS "http://$REG_TLS/v2/" >/dev/null 2>&1
	if [ "$TEST_ENGINE" = docker ]; then
		# and the CA made here verifies it
		curl -fsS --cacert "$(registry_dir tls)/ca.pem" "https://$REG_TLS/v2/" >/dev/null
	fi
	push --prefix "$REG_TLS/org" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed tls org
	[ "$TEST_ENGINE" = docker ] || return 0
	# and with a saved document instead of the project
	push -q --document <(printf '%s\n' "$out")
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.pushed[] | .layers_pushed]' <<<"$out")" = '[0,0]' ]
}

# TLS, buildah: --cert-dir with the registry's CA verifies it; a wrong CA
# fails cleanly, nothing tagged.
push_test_cert_dir() {
	local certs
	certs=$(registry_dir tls)
	if [ "$TEST_ENGINE" = rootless ]; then
		# where the user can read them
		cp -r "$certs/certs" "$certs/wrong-certs" "$TMP/"
		push_user_owns
		certs=$TMP
	fi
	registry_tag_project "$REG_TLS" wrongdir
	push -q --cert-dir "$certs/wrong-certs" --prefix "$REG_TLS/wrongdir" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: buildah: push ($REG_TLS/wrongdir/proj-base:1.0): .*x509: certificate signed by unknown authority" <<<"$err"
	[ "$(registry_curl tls /v2/_catalog | jq '.repositories | index("wrongdir/proj-base")')" = null ]
	registry_tag_project "$REG_TLS" certdir
	push -vv --cert-dir "$certs/certs" --prefix "$REG_TLS/certdir" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed tls certdir
	[ "$TEST_ENGINE" = buildah ] || return 0
	# and through a saved document
	push -q --cert-dir "$certs/wrong-certs" --document <(printf '%s\n' "$out")
	[ "$status" -eq 1 ]
	grep -q "x509: certificate signed by unknown authority" <<<"$err"
}

# basic auth: the credentials of DOCKER_CONFIG push; never printed, not in
# the daemon's log (buildah: in a private authfile, or REGISTRY_AUTH_FILE;
# rootless: or a credential helper's).
push_test_basic_auth() {
	registry_docker_config "$TMP/cfg" "$USER_OK" "$PASS_OK" "$REG_AUTH"
	push_user_owns
	if [ "$TEST_ENGINE" = podman ]; then
		DOCKER_CONFIG=$TMP/cfg push -vv --prefix "$REG_AUTH/org" --tag 1.0 "$P"
	else
		DOCKER_CONFIG=$TMP/cfg push -v --prefix "$REG_AUTH/org" --tag 1.0 "$P"
	fi
	[ "$status" -eq 0 ]
	registry_check_pushed auth org
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
	case $TEST_ENGINE in
	docker)
		refute grep -q "X-Registry-Auth" <<<"$out$err"
		refute grep -rq -e "$PASS_OK" "$DOCKERD_RUN/dockerd.log" ;;
	podman)
		refute grep -q "X-Registry-Auth" <<<"$out$err"
		refute grep -q -e "$PASS_OK" "$PODMAN_RUN/service.log" ;;
	buildah)
		registry_tag_project "$REG_AUTH" env
		REGISTRY_AUTH_FILE=$TMP/cfg/config.json push -q --prefix "$REG_AUTH/env" --tag 1.0 "$P"
		[ "$status" -eq 0 ]
		registry_check_pushed auth env ;;
	rootless)
		# the same with credHelpers, the helper on the user's PATH
		registry_cred_helpers "$TMP/helpers" "$REG_AUTH" "$USER_OK" "$PASS_OK"
		printf '{"credHelpers": {"%s": "pbrxtest"}}\n' "$REG_AUTH" >"$TMP/cfg/config.json"
		push_user_owns
		registry_tag_project "$REG_AUTH" helper
		PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg push -v --prefix "$REG_AUTH/helper" --tag 1.0 "$P"
		[ "$status" -eq 0 ]
		registry_check_pushed auth helper
		registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
		[ "$(sort -u "$TMP/helpers/helper.log")" = "$REG_AUTH" ]
		# no temporary authfile left behind, no copy of the secret in the
		# user's run directory (buildah's default auth.json is there)
		[ -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'pbrx-auth.*' -user "$BUILDAH_USER")" ]
		refute grep -rq -e "$PASS_OK" "$BUILDAH_RUN" ;;
	esac
}

# basic auth: a wrong password fails with exit 1 and one line, no secret
# in it, nothing in the registry.
# credsStore's credentials push (buildah's in a private authfile in
# TMPDIR, gone after); a failing helper, named by credsStore or by
# credHelpers, stops the push with one line naming it, and no secret.
push_test_creds_store() {
	registry_cred_helpers "$TMP/helpers" "$REG_AUTH" "$USER_OK" "$PASS_OK"
	mkdir -p "$TMP/cfg"
	printf '{"credsStore": "pbrxtest"}\n' >"$TMP/cfg/config.json"
	registry_tag_project "$REG_AUTH" helper
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg TMPDIR=$TMP run_split pbrx-push-images -vv \
		--engine "$TEST_BACKEND" --prefix "$REG_AUTH/helper" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth helper
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
	[ -z "$(find "$TMP" -maxdepth 1 -name 'pbrx-auth.*')" ]
	[ "$(sort -u "$TMP/helpers/helper.log")" = "$REG_AUTH" ]
	local config where
	for config in '{"credsStore": "pbrxfail"}' "{\"credHelpers\": {\"$REG_AUTH\": \"pbrxfail\"}}"; do
		printf '%s\n' "$config" >"$TMP/cfg/config.json"
		PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg TMPDIR=$TMP run_split pbrx-push-images \
			--engine "$TEST_BACKEND" --prefix "$REG_AUTH/helper" --tag 1.0 "$P"
		[ "$status" -eq 1 ]
		case $config in
		*credsStore*) where=.credsStore ;;
		*) where=".credHelpers[\"$REG_AUTH\"]" ;;
		esac
		[ "$(tail -n 1 <<<"$err")" = "image-push: $TEST_BACKEND: push ($REG_AUTH/helper/proj-base:1.0): $TMP/cfg/config.json: $where: docker-credential-pbrxfail get: exit status 1" ]
		[ "$(grep -c pbrxfail <<<"$err")" = 1 ]
		registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
		[ -z "$(find "$TMP" -maxdepth 1 -name 'pbrx-auth.*')" ]
	done
}

push_test_wrong_password() {
	local msg
	registry_docker_config "$TMP/cfg" "$USER_OK" "$PASS_BAD" "$REG_AUTH"
	push_user_owns
	registry_tag_project "$REG_AUTH" bad
	DOCKER_CONFIG=$TMP/cfg push -q --prefix "$REG_AUTH/bad" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	if [ "$TEST_ENGINE" = docker ]; then
		msg="image-push: $PUSH_FAILED ($REG_AUTH/bad/proj-base:1.0): unauthorized: authentication required (credentials: $TMP/cfg/config.json)"
		[ "$err" = "$msg" ]
		# not -q: progress, then the same single error line, still no secret
		DOCKER_CONFIG=$TMP/cfg push -vv --prefix "$REG_AUTH/bad" --tag 1.0 "$P"
		[ "$status" -eq 1 ]
		[ "$(grep -c 'unauthorized' <<<"$err")" = 1 ]
		[ "$(tail -n 1 <<<"$err")" = "$msg" ]
	else
		[ "$(wc -l <<<"$err")" = 1 ]
		grep -q "^image-push: $PUSH_FAILED ($REG_AUTH/bad/proj-base:1.0): .*unauthorized.* (credentials: $TMP/cfg/config.json)\$" <<<"$err"
	fi
	registry_check_no_secret "$USER_OK" "$PASS_BAD" "$out$err"
	# nothing of it reached the registry
	[ "$(registry_curl auth /v2/_catalog | jq '.repositories | index("bad/proj-base")')" = null ]
}

# an unreachable registry: exit 1, one line.
push_test_unreachable() {
	local port
	port=$(dockerd_free_port)
	registry_tag_project "127.0.0.1:$port" org
	if [ "$TEST_BACKEND" = docker ]; then
		push --prefix "127.0.0.1:$port/org" --tag 1.0 "$P"
		[ "$status" -eq 1 ]
		[ "$(grep -c '^image-push: docker:' <<<"$err")" = 1 ]
		grep -q "^image-push: $PUSH_FAILED (127.0.0.1:$port/org/proj-base:1.0): .*127.0.0.1:$port.*connection refused\$" <<<"$err"
	else
		push -q --prefix "127.0.0.1:$port/org" --tag 1.0 "$P"
		[ "$status" -eq 1 ]
		[ "$(wc -l <<<"$err")" = 1 ]
		grep -q "^image-push: $PUSH_FAILED (127.0.0.1:$port/org/proj-base:1.0): .*connection refused\$" <<<"$err"
	fi
}

# a missing image: exit 1, one line, nothing sent.
push_test_missing() {
	local before
	before=$(registry_blob_puts plain)
	push --prefix "$REG_PLAIN/nothing" "$P"
	[ "$status" -eq 1 ]
	[ "$err" = "image-push: $REG_PLAIN/nothing/proj-base:latest: no such image here (build it first: pbrx-build-images)" ]
	[ "$(registry_blob_puts plain)" = "$before" ]
}

# a push failing partway leaves no tag for that image: layers sent,
# manifest refused; once the registry can write again, the same push
# completes.
push_test_partial() {
	local m
	registry_tag_project "$REG_PLAIN" half
	# The registry cannot write this repository's manifests: its blobs
	# upload, then the manifest (sent last, and what makes the tag) fails.
	m=$(registry_block_manifests plain half)
	push -q --prefix "$REG_PLAIN/half" --tag 1.0 "$P"
	chattr -i "$m"
	[ "$status" -eq 1 ]
	if [ "$TEST_ENGINE" = docker ]; then
		[ "$err" = "image-push: $PUSH_FAILED ($REG_PLAIN/half/proj-script:1.0): received unexpected HTTP status: 500 Internal Server Error" ]
	else
		[ "$(wc -l <<<"$err")" = 1 ]
		grep -q "^image-push: $PUSH_FAILED ($REG_PLAIN/half/proj-script:1.0): " <<<"$err"
	fi
	# the base image went first and is complete; the script image's
	# layers and config reached the registry, but no tag and no manifest
	registry_check_partial plain half
	push -q --prefix "$REG_PLAIN/half" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed plain half
}
