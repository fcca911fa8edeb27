#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pbrx-push-images, image-push and pbrx-build-images --push with the
# docker engine (a private dockerd) against real registries on loopback:
# the push suite of tests/lib/push.bash, and what only dockerd does.  One
# test builds and pushes examples/yamlcat for real.

TEST_ENGINE=docker
load helpers
load lib/push

@test "plain HTTP: base and script image pushed, progress per image and layer, the document says what" { push_test_first; }
@test "plain HTTP: a second push sends no blob again; every layer already exists" { push_test_second; }
@test "plain HTTP: removed here, pulled back from the registry, the script image runs" { push_test_pull_back; }
@test "TLS: pushed over HTTPS to a registry with a certificate of its own CA" { push_test_tls; }
@test "basic auth: the credentials of DOCKER_CONFIG push; never printed, even with -v" { push_test_basic_auth; }
@test "basic auth: a wrong password fails with exit 1 and one line, no secret in it" { push_test_wrong_password; }

@test "basic auth: no credentials at all fail as cleanly" {
	registry_tag_project "$REG_AUTH" anon
	run_split pbrx-push-images -q --engine docker --prefix "$REG_AUTH/anon" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$err" = "image-push: docker: POST /images/{name}/push ($REG_AUTH/anon/proj-base:1.0): no basic auth credentials (credentials: $DOCKER_CONFIG/config.json)" ]
}

@test "credentials file: not JSON is an error that quotes none of it" {
	mkdir -p "$TMP/cfg"
	printf '{"auths": {"%s": {"auth": %s}}}\n' "$REG_AUTH" "$PASS_OK" >"$TMP/cfg/config.json"
	DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -q --engine docker \
		--prefix "$REG_AUTH/org" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" = 1 ]
	grep -q "^image-push: docker: push ($REG_AUTH/org/proj-base:1.0): $TMP/cfg/config.json:1:[0-9]*: not valid JSON\$" <<<"$err"
	refute grep -q "$PASS_OK" <<<"$err"
}

@test "credential helpers: credHelpers, then credsStore, run with the registry on stdin; never printed" {
	registry_cred_helpers "$TMP/helpers" "$REG_AUTH" "$USER_OK" "$PASS_OK"
	mkdir -p "$TMP/cfg"
	# credHelpers names this registry: its helper, not the credsStore one
	# (which would fail), nor the wrong "auths" entry
	printf '{"auths": {"%s": {"auth": "%s"}}, "credsStore": "pbrxfail", "credHelpers": {"%s": "pbrxtest"}}\n' \
		"$REG_AUTH" "$(printf '%s:%s' "$USER_OK" "$PASS_BAD" | base64 -w0)" "$REG_AUTH" >"$TMP/cfg/config.json"
	registry_tag_project "$REG_AUTH" helper
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -vv --engine docker \
		--prefix "$REG_AUTH/helper" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth helper
	[ "$(cat "$TMP/helpers/helper.log")" = "$REG_AUTH
$REG_AUTH" ]
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
	refute grep -q -e "$PASS_OK" "$DOCKERD_RUN/dockerd.log"
	# credsStore for every registry
	printf '{"credsStore": "pbrxtest"}\n' >"$TMP/cfg/config.json"
	registry_tag_project "$REG_AUTH" store
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -q --engine docker \
		--prefix "$REG_AUTH/store" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	registry_check_pushed auth store
	# a registry the helper has nothing for: anonymous, as with docker
	registry_tag_project "$REG_PLAIN" store
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -q --engine docker \
		--prefix "$REG_PLAIN/store" --tag 1.0 "$P"
	[ "$status" -eq 0 ]
	[ "$(tail -n 1 "$TMP/helpers/helper.log")" = "$REG_PLAIN" ]
}

@test "credential helpers: one that fails or is missing stops the push with one line, exit 1, no secret" {
	registry_cred_helpers "$TMP/helpers" "$REG_AUTH" "$USER_OK" "$PASS_OK"
	mkdir -p "$TMP/cfg"
	printf '{"credHelpers": {"%s": "pbrxfail"}}\n' "$REG_AUTH" >"$TMP/cfg/config.json"
	before=$(registry_blob_puts auth)
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -v --engine docker \
		--prefix "$REG_AUTH/org" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "$(tail -n 1 <<<"$err")" = "image-push: docker: push ($REG_AUTH/org/proj-base:1.0): $TMP/cfg/config.json: .credHelpers[\"$REG_AUTH\"]: docker-credential-pbrxfail get: exit status 1" ]
	[ "$(grep -c pbrxfail <<<"$err")" = 1 ]
	registry_check_no_secret "$USER_OK" "$PASS_OK" "$out$err"
	[ "$(registry_blob_puts auth)" = "$before" ]
	printf '{"credsStore": "pbrx-no-such-helper"}\n' >"$TMP/cfg/config.json"
	PATH=$TMP/helpers:$PATH DOCKER_CONFIG=$TMP/cfg run_split pbrx-push-images -q --engine docker \
		--prefix "$REG_AUTH/org" --tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$err" = "image-push: docker: push ($REG_AUTH/org/proj-base:1.0): $TMP/cfg/config.json: .credsStore: docker-credential-pbrx-no-such-helper: not found on PATH" ]
}

@test "an unreachable registry: exit 1, one line" { push_test_unreachable; }
@test "a missing image: exit 1, one line, nothing sent" { push_test_missing; }
@test "a push failing partway leaves no tag for that image: layers sent, manifest refused" { push_test_partial; }

@test "pbrx-build-images --push: yamlcat built and pushed, pulled back and run" {
	export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
	"$PBRX_ROOT/examples/make-deps-wheelhouse" "$BATS_FILE_TMPDIR/deps" >/dev/null
	run_split pbrx-build-images --engine docker --base-image "$PBRX_BASE_IMAGE" \
		--find-links "$BATS_FILE_TMPDIR/deps" --find-links /usr/share/python-wheels \
		--prefix "$REG_PLAIN/acme" --tag 2.0 --push "$PBRX_ROOT/examples/yamlcat"
	[ "$status" -eq 0 ]
	grep -q '^\[image-push\] done in [0-9.]* s$' <<<"$err"
	[ "$(jq -c '[.pushed[].ref]' <<<"$out")" = "[\"$REG_PLAIN/acme/yamlcat-base:2.0\",\"$REG_PLAIN/acme/yamlcat:2.0\",\"$REG_PLAIN/acme/yamlcat-lint:2.0\"]" ]
	for r in yamlcat-base yamlcat yamlcat-lint; do
		[ "$(registry_curl plain "/v2/acme/$r/tags/list" | jq -c .tags)" = '["2.0"]' ]
	done
	# the base image's layer was in the registry already (the test images')
	[ "$(jq '.pushed[0].layers_existing' <<<"$out")" -ge 1 ]
	push_cli rmi "$REG_PLAIN/acme/yamlcat:2.0" >/dev/null
	push_cli pull -q "$REG_PLAIN/acme/yamlcat:2.0" >/dev/null
	[ "$(push_cli run --rm -i "$REG_PLAIN/acme/yamlcat:2.0" <<<'a: 1' | tr '\n' ' ')" = "+STR +DOC +MAP =VAL :a =VAL :1 -MAP -DOC -STR " ]
	# and pbrx-push-images finds the same names in the project
	run_split pbrx-push-images -q --engine docker --prefix "$REG_PLAIN/acme" --tag 2.0 \
		"$PBRX_ROOT/examples/yamlcat"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.pushed[] | .layers_pushed]' <<<"$out")" = '[0,0,0]' ]
}

@test "pbrx-push-images: its stages' progress through the one renderer, as pbrx-build-images's" {
	registry_tag_project "$REG_PLAIN" rend
	run_split pbrx-push-images --engine docker --progress plain --prefix "$REG_PLAIN/rend" \
		--tag 1.0 "$P"
	[ "$status" -eq 0 ]
	grep -qx "image-push: $REG_PLAIN/rend/proj-base:1.0: pushing" <<<"$err"
	grep -q "^image-push: $REG_PLAIN/rend/proj-script:1.0: pushed sha256:" <<<"$err"
	# the events are the renderer's, never a person's
	! grep -q $'\036' <<<"$err"
	[ "$(jq -c '[.pushed[].ref]' <<<"$out")" = "[\"$REG_PLAIN/rend/proj-base:1.0\",\"$REG_PLAIN/rend/proj-script:1.0\"]" ]
	# --progress quiet (or PBRX_PROGRESS), --document too: nothing but errors
	printf '%s\n' "$out" >"$TMP/doc.json"
	run_split pbrx-push-images --engine docker --progress quiet --document "$TMP/doc.json"
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	[ "$(jq -c '[.pushed[].ref]' <<<"$out")" = "[\"$REG_PLAIN/rend/proj-base:1.0\",\"$REG_PLAIN/rend/proj-script:1.0\"]" ]
	PBRX_PROGRESS=quiet run_split pbrx-push-images --engine docker --prefix "$REG_PLAIN/rend" \
		--tag 1.0 "$P"
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	# a failure: its one line, last, and the stage's status
	run_split pbrx-push-images --engine docker --progress quiet --prefix "$REG_PLAIN/none" \
		--tag 1.0 "$P"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "$err" = "image-push: $REG_PLAIN/none/proj-base:1.0: no such image here (build it first: pbrx-build-images)" ]
	run_split pbrx-push-images --engine docker --progress fancy --prefix "$REG_PLAIN/rend" "$P"
	[ "$status" -eq 2 ]
	[ "${err%%$'\n'*}" = "pbrx-push-images: unknown progress mode 'fancy' (auto, tty, plain or quiet)" ]
}

@test "usage: --prefix or --document needed; --push not with --plan-only; man synopses are the usage" {
	run_split pbrx-push-images "$P"
	[ "$status" -eq 2 ]
	[ "$(head -n 1 <<<"$err")" = "pbrx-push-images: --prefix ORG is needed (the images are ORG/NAME), or --document FILE" ]
	run_split pbrx-push-images --document /dev/null --prefix x
	[ "$status" -eq 2 ]
	run_split pbrx-build-images --plan-only --push "$P"
	[ "$status" -eq 2 ]
	run_split pbrx-build-images --cert-dir /etc "$P"
	[ "$status" -eq 2 ]
	[ "$(head -n 1 <<<"$err")" = "pbrx-build-images: --cert-dir is for the push: only with --push" ]
	run_split image-push --engine docker </dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "image-push: <stdin>: empty input: expected a document with .plan, the output of the stage before" ]
	run_split image-push <<<'{"images": []}'
	[ "$status" -eq 2 ]
	[ "$err" = "image-push: <stdin>: .images: no images to push" ]
	# certificates are for buildah: dockerd reads its own
	run_split pbrx-push-images --engine docker --cert-dir "$(registry_dir tls)/certs" \
		--prefix "$REG_TLS/org" --tag 1.0 "$P"
	[ "$status" -eq 2 ]
	[ "$err" = "image-push: --cert-dir: only with buildah (docker reads /etc/docker/certs.d or /etc/containers/certs.d on its own host)" ]
	run_split image-push --cert-dir "$TMP/nothing" <<<'{"images": [{"ref": "x"}]}'
	[ "$status" -eq 2 ]
	[ "$err" = "image-push: --cert-dir $TMP/nothing: not a directory" ]
	for tool in image-push pbrx-push-images pbrx-build-images; do
		man=$PBRX_ROOT/man/man1/$tool.1
		synopsis=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh/p' "$man" | grep -v '^\.Sh' |
			sed -e "s/^\.Nm\$/$tool/" -e 's/^\.Op Fl \([a-z]*\)$/[-\1]/' \
			    -e 's/^\.Op Fl -\([a-z-]*\)$/[--\1]/' -e 's/^\.Op Fl -\([a-z-]*\) Ar \(.*\)$/[--\1 \2]/' \
			    -e 's/^\.Op Ar \(.*\)$/[\1]/' | tr '\n' ' ' | sed 's/ $//')
		[ "usage: $synopsis" = "$("$tool" -h | tr -s ' \n' ' ' | sed 's/ $//')" ]
	done
}
