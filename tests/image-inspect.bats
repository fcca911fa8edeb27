#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# image-inspect end to end against a private dockerd and a real Debian
# base image (scripts/make-python-base-image).  The Docker client itself:
# docker-client.bats.

load helpers
load lib/dockerd

setup_file() {
	dockerd_start --tls "$(dockerd_free_port)"
	dockerd_base_image
}

teardown_file() {
	dockerd_stop
}

setup() {
	common_setup
	IMAGE=$PBRX_BASE_IMAGE
}

teardown() {
	common_teardown
}

@test "base section of the Debian base image" {
	run_split image-inspect "$IMAGE" </dev/null
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	id=$($DOCKER_CLI image inspect --format '{{.Id}}' "$IMAGE")
	[ "$(jq -r .base.image <<<"$out")" = "$IMAGE" ]
	[ "$(jq -r .base.id <<<"$out")" = "$id" ]
	[ "$(jq -c .base.repo_digest <<<"$out")" = null ]
	[ "$(jq -r .base.os_release.ID <<<"$out")" = debian ]
	[ "$(jq -r .base.os_release.VERSION_ID <<<"$out")" = 12 ]
	[ "$(jq -r .base.os_release.VERSION_CODENAME <<<"$out")" = bookworm ]
	[ "$(jq -c .base.config <<<"$out")" = '{"user":"","env":["LANG=C.UTF-8","PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"workdir":"","cmd":["python3"],"entrypoint":null}' ]
	# The key order is part of the contract (pbrx-document(5)).
	[ "$(jq -c '.base | keys_unsorted' <<<"$out")" = '["image","id","repo_digest","os_release","python","config","swept"]' ]
	# Where pip installs, as the image's own python3 said (py/scheme.h).
	# what the image has along those paths: /usr/local/man is a link
	[ "$(jq -r '.base.python.base["/usr/local/man"]' <<<"$out")" = symlink:share/man ]
	[ "$(jq -r '.base.python.base["/usr/local/lib/python3.11/dist-packages"]' <<<"$out")" = dir ]
	[ "$(jq -c '.base.python | del(.base)' <<<"$out")" = '{"purelib":"/usr/local/lib/python3.11/dist-packages","platlib":"/usr/local/lib/python3.11/dist-packages","headers":"/usr/include/python3.11","scripts":"/usr/local/bin","data":"/usr/local","python":"/usr/bin/python3","version":"3.11","cache_tag":"cpython-311"}' ]
	# Reading the file leaves no container behind.
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "os-release and the Python scheme are read once per image ID, then from the cache" {
	export XDG_CACHE_HOME=$TMP/cache
	id=$($DOCKER_CLI image inspect --format '{{.Id}}' "$IMAGE")
	run_split image-inspect -v "$IMAGE" </dev/null
	[ "$status" -eq 0 ]
	first=$out
	grep -q 'containers/create' <<<"$err"
	[ "$(jq -r .ID "$TMP/cache/pbrx/os-release/${id#sha256:}.json")" = debian ]
	[ "$(jq -c . "$TMP/cache/pbrx/scheme/${id#sha256:}.json")" = "$(jq -c .base.python <<<"$out")" ]
	grep -q "^image-inspect: $IMAGE: pip installs into /usr/local/lib/python3.11/dist-packages\$" <<<"$err"
	# the second time: no container, the same document
	run_split image-inspect -v "$IMAGE" </dev/null
	[ "$status" -eq 0 ]
	[ "$out" = "$first" ]
	! grep -q 'containers/create' <<<"$err"
	grep -q "^image-inspect: os-release from the cache $TMP/cache/pbrx/os-release/${id#sha256:}.json\$" <<<"$err"
	grep -q "^image-inspect: scheme from the cache $TMP/cache/pbrx/scheme/${id#sha256:}.json\$" <<<"$err"
	# a damaged entry is read again from the image, and replaced
	echo '{"ID": 1' >"$TMP/cache/pbrx/os-release/${id#sha256:}.json"
	run_split image-inspect -v "$IMAGE" </dev/null
	[ "$status" -eq 0 ]
	[ "$out" = "$first" ]
	grep -q 'containers/create' <<<"$err"
	[ "$(jq -r .ID "$TMP/cache/pbrx/os-release/${id#sha256:}.json")" = debian ]
	# an unwritable cache is only a note
	rm -rf "$TMP/cache"
	echo file >"$TMP/cache"
	run_split image-inspect "$IMAGE" </dev/null
	[ "$status" -eq 0 ]
	[ "$out" = "$first" ]
	[ "$err" = "" ]
}

@test "make-python-base-image: a python:slim-like image, loaded from the cache" {
	script=$PBRX_ROOT/scripts/make-python-base-image
	run_split "$script" --help
	[ "$status" -eq 0 ]
	[[ "$out" == "usage: make-python-base-image "* ]]
	# Cached and already loaded: nothing to do, in well under a minute.
	run_split "$script" "$IMAGE"
	[ "$status" -eq 0 ]
	[ "$err" = "make-python-base-image: using cached $("$script" -q --no-load --print-tarball)
make-python-base-image: $IMAGE is up to date" ]
	run_split $DOCKER_CLI run --rm --network none "$IMAGE" sh -c '
		python --version
		python3 -m pip --version | cut -d" " -f1
		test ! -e /usr/lib/python3.11/EXTERNALLY-MANAGED && echo no-marker
		test -s /etc/ssl/certs/ca-certificates.crt && echo ca-certificates
		python3 -m venv /tmp/venv && echo venv
		ls /var/lib/apt/lists /var/cache/apt/archives | grep -v -e : -e "^partial$" -e "^lock$" -e "^$" || echo clean'
	[ "$status" -eq 0 ]
	[[ "$out" == "Python 3.11."*"
pip
no-marker
ca-certificates
venv
clean" ]]
}

@test "the default image is python:alpine, not the plan's (written downstream)" {
	"$DOCKER_CLI" tag "$IMAGE" python:alpine
	run_split image-inspect <<<'{"plan": {"base_image": "pbrx-test/no-such:never"}}'
	"$DOCKER_CLI" rmi python:alpine >/dev/null
	[ "$status" -eq 0 ]
	[ "$(jq -r .base.image <<<"$out")" = python:alpine ]
	[ "$(jq -r .base.os_release.ID <<<"$out")" = debian ]
}

@test "swept: true, always: the run's first stage sweeps (the environment's PBRX_SWEPT is no word)" {
	run_split image-inspect "$IMAGE" </dev/null
	[ "$status" -eq 0 ]
	[ "$(jq -c .base.swept <<<"$out")" = true ]
	run_split env PBRX_SWEPT=1 image-inspect "$IMAGE" </dev/null
	[ "$status" -eq 0 ]
	[ "$(jq -c .base.swept <<<"$out")" = true ]
}

@test "other sections pass through in order; a second run replaces base in place" {
	run_split image-inspect "$IMAGE" <<<'{"project": {"name": "foo", "x": [1, 2]}, "bindep": {"file": "bindep.txt"}}'
	[ "$status" -eq 0 ]
	[ "$(jq -c 'keys_unsorted' <<<"$out")" = '["project","bindep","base"]' ]
	[ "$(jq -c .project <<<"$out")" = '{"name":"foo","x":[1,2]}' ]
	echo "$out" | jq '.zzz = 1' >"$TMP/doc.json"
	run_split image-inspect "$IMAGE" <"$TMP/doc.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'keys_unsorted' <<<"$out")" = '["project","bindep","base","zzz"]' ]
}

@test "os-release from /usr/lib, quotes removed; an image without one warns" {
	mkdir -p "$TMP/a/usr/lib" "$TMP/b/etc"
	printf '%s\n' 'NAME="Alpine Linux"' 'ID=alpine' "VERSION_ID='3.20.3'" \
		'PRETTY_NAME="Alpine Linux v3.20 \"x\""' >"$TMP/a/usr/lib/os-release"
	echo hello >"$TMP/b/etc/hostname"
	tar -C "$TMP/a" -c . | $DOCKER_CLI import --change 'CMD ["/nothing"]' - pbrx-test/osr:a >/dev/null
	tar -C "$TMP/b" -c . | $DOCKER_CLI import - pbrx-test/osr:b >/dev/null
	run_split image-inspect pbrx-test/osr:a </dev/null
	[ "$status" -eq 0 ]
	[ "$(jq -c .base.os_release <<<"$out")" = '{"NAME":"Alpine Linux","ID":"alpine","VERSION_ID":"3.20.3","PRETTY_NAME":"Alpine Linux v3.20 \"x\""}' ]
	[ "$(jq -c .base.config.cmd <<<"$out")" = '["/nothing"]' ]
	# no python3 there: no scheme, said with -v
	[ "$(jq -c .base.python <<<"$out")" = null ]
	run_split image-inspect -v pbrx-test/osr:a </dev/null
	[ "$status" -eq 0 ]
	grep -q "^image-inspect: pbrx-test/osr:a: no Python scheme: docker: POST /containers/{id}/start (.*/bin/sh.*" <<<"$err"
	run_split image-inspect pbrx-test/osr:b </dev/null
	[ "$status" -eq 0 ]
	[ "$err" = "image-inspect: warning: pbrx-test/osr:b: no /etc/os-release or /usr/lib/os-release; platform unknown" ]
	[ "$(jq -c .base.os_release <<<"$out")" = '{}' ]
	[ "$(jq -c .base.config.cmd <<<"$out")" = null ]
	$DOCKER_CLI rmi pbrx-test/osr:a pbrx-test/osr:b >/dev/null
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "an image with a shell but no python3: no Python scheme, said with -v; nothing left" {
	$DOCKER_CLI run --network none --name pbrx-test-nopy "$IMAGE" \
		rm /usr/bin/python3 /usr/bin/python3.11 >/dev/null
	$DOCKER_CLI commit pbrx-test-nopy pbrx-test/nopython:1 >/dev/null
	$DOCKER_CLI rm pbrx-test-nopy >/dev/null
	XDG_CACHE_HOME=$TMP/cache run_split image-inspect -v pbrx-test/nopython:1 </dev/null
	[ "$status" -eq 0 ]
	[ "$(jq -c .base.python <<<"$out")" = null ]
	[ "$(jq -r .base.os_release.ID <<<"$out")" = debian ]
	grep -q "^image-inspect: pbrx-test/nopython:1: no Python scheme: python3 -c PROBE: exit status 12[67]: .*python3.*not found" <<<"$err"
	# nothing kept of a failed probe: the next run asks again
	[ ! -e "$TMP/cache/pbrx/scheme" ] || [ -z "$(ls "$TMP/cache/pbrx/scheme")" ]
	$DOCKER_CLI rmi pbrx-test/nopython:1 >/dev/null
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "a missing image: exit 1, the daemon's message, nothing on stdout" {
	# A registry on a closed loopback port: the pull fails at once, and
	# nothing leaves the machine.
	run_split image-inspect 127.0.0.1:9/pbrx/missing:1 </dev/null
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "$err" = 'image-inspect: 127.0.0.1:9/pbrx/missing:1: not present; pulling it
image-inspect: docker: POST /images/create (127.0.0.1:9/pbrx/missing:1): Get "http://127.0.0.1:9/v2/": dial tcp 127.0.0.1:9: connect: connection refused' ]
	run_split image-inspect -q 127.0.0.1:9/pbrx/missing:1 </dev/null
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$err")" -eq 1 ]
}

@test "an unreachable engine: one clear line, exit 1" {
	DOCKER_HOST=unix://$TMP/nope.sock run_split image-inspect "$IMAGE" </dev/null
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "$err" = "image-inspect: docker: GET /_ping: cannot connect to unix://$TMP/nope.sock: No such file or directory" ]
	DOCKER_HOST=ssh://example run_split image-inspect "$IMAGE" </dev/null
	[ "$status" -eq 1 ]
	[ "$err" = "image-inspect: docker: GET /_ping: DOCKER_HOST=ssh://example: unsupported scheme (use unix://PATH or tcp://HOST:PORT)" ]
}

@test "no engine: auto and buildah say what they looked for" {
	run_split env -u DOCKER_HOST -u PBRX_ENGINE PATH=/nonexistent "$PBRX_ROOT/build/bin/image-inspect" \
		--engine buildah x </dev/null
	[ "$status" -eq 1 ]
	[ "$err" = "image-inspect: buildah: buildah is not on PATH" ]
	if curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; then
		return 0  # a system dockerd answers: auto would use it
	fi
	run_split env -u DOCKER_HOST -u PBRX_ENGINE PATH=/nonexistent "$PBRX_ROOT/build/bin/image-inspect" x </dev/null
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "$err" = "image-inspect: no container engine: DOCKER_HOST is not set, unix:///var/run/docker.sock does not answer /_ping, and buildah is not on PATH" ]
}

@test "tcp://127.0.0.1 with TLS and client certificates" {
	DOCKER_HOST=$DOCKERD_TLS_HOST DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$DOCKERD_CERTS \
		run_split image-inspect -v "$IMAGE" </dev/null
	[ "$status" -eq 0 ]
	[ "$(jq -r .base.os_release.ID <<<"$out")" = debian ]
	[[ "$err" == *"image-inspect: docker: GET https://127.0.0.1:"*"/v1.41/images/$IMAGE/json"* ]]
	[[ "$err" == *"API version 1.41 (daemon 1.41)"* ]]
	# Without the client certificate the daemon refuses us.
	mkdir "$TMP/certs"
	cp "$DOCKERD_CERTS/ca.pem" "$TMP/certs"
	DOCKER_HOST=$DOCKERD_TLS_HOST DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TMP/certs \
		run_split image-inspect "$IMAGE" </dev/null
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[[ "$err" == "image-inspect: docker: GET /_ping: $DOCKERD_TLS_HOST: "* ]]
	[ "$(wc -l <<<"$err")" -eq 1 ]
	# Certificate files that don't exist: an error, not plain HTTP.
	DOCKER_HOST=$DOCKERD_TLS_HOST DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$DOCKERD_CERTS \
		run_split env DOCKER_CERT_PATH=/nonexistent image-inspect "$IMAGE" </dev/null
	[ "$status" -eq 1 ]
}

@test "usage, --help, --version, unknown engine" {
	check_stage_options image-inspect "usage: image-inspect [-hqv] [--version] [--engine ENGINE] [--progress MODE] [IMAGE]"
	run_split image-inspect -h
	[ "$out" = "usage: image-inspect [-hqv] [--version] [--engine ENGINE] [--progress MODE] [IMAGE]" ]
	run_split image-inspect --engine podman
	[ "$status" -eq 2 ]
	[ "$(head -n 1 <<<"$err")" = "image-inspect: warning: unknown engine 'podman' (docker, buildah or auto)" ]
	PBRX_ENGINE=podman run_split image-inspect x </dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "image-inspect: unknown engine 'podman' (docker, buildah or auto)" ]
	run_split image-inspect a b
	[ "$status" -eq 2 ]
}

@test "the man page's synopsis is the usage line, and its example runs" {
	man=$PBRX_ROOT/man/man1/image-inspect.1
	synopsis=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh/p' "$man" | grep -v '^\.Sh' |
		sed -e 's/^\.Nm$/image-inspect/' -e 's/^\.Op Fl \([a-z]*\)$/[-\1]/' \
		    -e 's/^\.Op Fl -\([a-z]*\)$/[--\1]/' -e 's/^\.Op Fl -\([a-z]*\) Ar \(.*\)$/[--\1 \2]/' \
		    -e 's/^\.Op Ar \(.*\)$/[\1]/' | tr '\n' ' ' | sed 's/ $//')
	[ "usage: $synopsis" = "$(image-inspect -h)" ]
	# Each example is a "$ command" line followed by its output.
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh/p' "$man" | sed -n '/^\$ /{s/^\$ //;p;n;p}' >"$TMP/examples"
	[ -s "$TMP/examples" ]
	while IFS= read -r cmd && IFS= read -r want; do
		got=$(bash -o pipefail -c "$cmd")
		[ "$got" = "$want" ]
	done <"$TMP/examples"
}
