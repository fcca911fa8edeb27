# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2154 # out, err and status: set by run_split
# The engine contract (tests/tools/engine-contract.c) against one back
# end, named by TEST_ENGINE (lib/engine.bash: docker, podman or buildah
# as root): setup_file starts it, contract_test
# runs it over the base image.  Loaded by tests/engine-contract-ENGINE.bats,
# each a few lines, and by the Docker client's files (docker-client*.bats).

load lib/engine

setup_file() {
	engine_start
	PBRX_ENGINE=$TEST_BACKEND
	export PBRX_ENGINE
	CONTRACT=$(test_program tools/engine-contract)
	export CONTRACT
}

teardown_file() {
	engine_stop
}

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# Every step of the contract, in order, and nothing on stdout but them.
contract_test() {
	mkdir -p "$TMP/in"
	echo "hello from the host" >"$TMP/in/hello"
	run_split "$CONTRACT" "$PBRX_ENGINE" "$PBRX_BASE_IMAGE" \
		"$TMP/in" "pbrx-test/contract:$$"
	echo "$out"
	echo "$err" >&2
	[ "$status" -eq 0 ]
	[ "$out" = "ok: open $PBRX_ENGINE
ok: image inspect
ok: missing image
ok: container create
ok: container start
ok: run
ok: exit code
ok: output
ok: sweep leaves a live container
ok: commit
ok: commit changes
ok: tag
ok: tagged image is the commit
ok: container remove
ok: container gone
ok: image remove" ]
}

# ---- the Docker client (tests/tools/docker-api.c) -------------------
# client_setup_file: for TEST_ENGINE docker or podman, the service the
# client talks to (dockerd over TCP with TLS, or Podman's service on its
# socket) with the base image, and the client's test driver built: the
# client's files' setup_file (teardown_file, setup and teardown as above).
client_setup_file() {
	if [ "$TEST_ENGINE" = docker ]; then
		engine_start --tls "$(dockerd_free_port)"
	else
		engine_start
	fi
	CLIENT_TOOL=$(test_program tools/docker-api)
	export CLIENT_TOOL
}

client_test_demux() {
	api=$CLIENT_TOOL
	printf '\001\000\000\000\000\000\000\006stdout\002\000\000\000\000\000\000\007stderr\n\001\000\000\000\000\000\000\000\001\000\000\000\000\000\000\001!' \
		>"$TMP/frames"
	run_split "$api" demux <"$TMP/frames"
	[ "$status" -eq 0 ]
	[ "$out" = "stdout!" ]
	[ "$err" = "stderr" ]
	printf '\001\000\000\000\000\000\000\011cut' >"$TMP/frames"
	run_split "$api" demux <"$TMP/frames"
	[ "$status" -eq 3 ]
	[ "$out" = "cut" ]
	printf 'not a frame stream' >"$TMP/frames"
	run_split "$api" demux <"$TMP/frames"
	[ "$status" -eq 1 ]
	[ "$err" = malformed ]
}

client_test_progress() {
	run_split "$CLIENT_TOOL" progress <<'JSON'
{"status":"Pulling from library/python","id":"alpine"}
{"status":"Downloading","progressDetail":{"current":10,"total":100},"progress":"[=>  ]","id":"abc"}
{"status":"Download complete","progressDetail":{},"id":"abc"}
{"stream":"Step 1/2 : FROM x\n"}

{"aux":{"ID":"sha256:0123"}}
{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}
{"error":"second"}
not json
[1]
JSON
	[ "$status" -eq 0 ]
	[ "$out" = 'alpine: Pulling from library/python
abc: Download complete
Step 1/2 : FROM x
manifest unknown
second
error: manifest unknown
aux: sha256:0123
bad: 2' ]
}

# The life cycle wheel-build and image-assemble use, against the
# service: the same steps for both, each service's own words checked.
client_test_lifecycle() {
	local image=$PBRX_BASE_IMAGE
	mkdir "$TMP/ctx"
	printf 'FROM %s\nRUN echo built >/built\nCMD ["cat", "/built"]\n' "$image" >"$TMP/ctx/Dockerfile"
	printf 'FROM %s\nRUN exit 7\n' "$image" >"$TMP/ctx/Dockerfile.fail"
	run_split "$CLIENT_TOOL" run "$image" "$TMP/ctx"
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
	[ "$(grep '^removed:' <<<"$out")" = "removed: 404" ]
	[ "$($DOCKER_CLI ps -aq)" = "" ]
	case $CLIENT_ENGINE in
	docker)
		[ "$(grep '^build-fail:' <<<"$out")" = "build-fail: POST /build (pbrx-test/fail:latest): The command '/bin/sh -c exit 7' returned a non-zero code: 7" ]
		[ "$(grep '^create-missing:' <<<"$out")" = "create-missing: POST /containers/create (pbrx-missing): No such image: pbrx-test/no-such-image:1" ]
		[[ "$err" == *"touch: cannot touch '/tmp/ro/x': Read-only file system"* ]]
		[ "$($DOCKER_CLI images -q 'pbrx-test/committed')" = "" ]
		[ "$($DOCKER_CLI images -q 'pbrx-test/built')" = "" ]
		;;
	podman)
		[[ "$(grep '^build-fail:' <<<"$out")" == "build-fail: POST /build (pbrx-test/fail:latest): "*"exit status 7" ]]
		[[ "$(grep '^create-missing:' <<<"$out")" == "create-missing: POST /containers/create (pbrx-missing): "*"pbrx-test/no-such-image:1"* ]]
		;;
	esac
}
