#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The builder's pip settings as users have them, with real pip on a
# private dockerd and the offline base image: package indexes over HTTPS
# on 127.0.0.1 (tests/tools/pip-net.py) with a CA made here that no
# container trusts (as a TLS-inspecting proxy's), one that asks for a
# client certificate, and an HTTP proxy that logs what goes through it.
# Each setting is named in pip.conf or a PIP_ variable as a user would;
# a dependency of the project exists only on the index.  Nothing here
# reaches the Python package index: the only traffic that leaves the
# machine is apt-get's, to the Debian mirror.

# shellcheck disable=SC2154 # out and err are set by run_split
true

load helpers
load lib/dockerd

NET=$BATS_TEST_DIRNAME/tools/pip-net.py

# start_server NAME ARGS...: pip-net.py ARGS in the background; its pid
# in $F/NAME.pid, its port in $F/NAME.port once it listens.
start_server() {
	local name=$1 pid
	shift
	python3 "$NET" "$@" </dev/null >"$F/$name.out" 2>&1 3>&- &
	pid=$!
	echo "$pid" >"$F/$name.pid"
	await_service "$name" "$pid" "$F/$name.out" 30 "its port" test -s "$F/$name.port"
}

setup_file() {
	dockerd_start
	dockerd_base_image
	export PATH="$PBRX_ROOT/build/bin:$PATH" LC_ALL=C
	F=$BATS_FILE_TMPDIR
	export F
	# A CA, a server certificate for 127.0.0.1 and a client one.
	dockerd_certs "$F/certs"
	cat "$F/certs/client/cert.pem" "$F/certs/client/key.pem" >"$F/certs/client.pem"
	# The index: one dependency, found nowhere else.
	python3 "$NET" wheel "$F/index/files" pbrx-index-dep 1.0 from-the-https-index >/dev/null
	cp -a "$F/index" "$F/index-cc"
	start_server index index "$F/index" "$F/index.port" "$F/index.log" \
		"$F/certs/server-cert.pem" "$F/certs/server-key.pem"
	start_server index-cc index "$F/index-cc" "$F/index-cc.port" "$F/index-cc.log" \
		"$F/certs/server-cert.pem" "$F/certs/server-key.pem" "$F/certs/ca.pem"
	start_server proxy proxy "$F/proxy.port" "$F/proxy.log"
	INDEX=https://127.0.0.1:$(cat "$F/index.port")/simple
	INDEX_CC=https://127.0.0.1:$(cat "$F/index-cc.port")/simple
	PROXY=http://127.0.0.1:$(cat "$F/proxy.port")
	export INDEX INDEX_CC PROXY

	# The project: a console script printing what its dependency says;
	# a compile package, so the builder has a committed packages layer,
	# and a runtime one, so image-assemble runs apt-get too.
	PROJ=$F/pipcheck
	mkdir -p "$PROJ"
	cat >"$PROJ/setup.cfg" <<-'EOF'
		[metadata]
		name = pipcheck
		version = 1.0

		[options]
		py_modules = pipcheck
		install_requires = pbrx-index-dep

		[options.entry_points]
		console_scripts =
		    pipcheck = pipcheck:main
	EOF
	printf 'import setuptools\nsetuptools.setup()\n' >"$PROJ/setup.py"
	printf 'import pbrx_index_dep\n\n\ndef main():\n    print(pbrx_index_dep.VALUE)\n' >"$PROJ/pipcheck.py"
	printf 'libyaml-dev [compile]\nlibyaml-0-2\n' >"$PROJ/bindep.txt"
	PLAN=$F/plan.json
	cfg-extras "$PROJ" | image-inspect -q "$PBRX_BASE_IMAGE" | bindep-filter |
		image-plan -q --base-image "$PBRX_BASE_IMAGE" >"$PLAN"
	export PROJ PLAN
}

teardown_file() {
	local name
	for name in index index-cc proxy; do
		if [ -f "$F/$name.pid" ]; then
			kill "$(cat "$F/$name.pid")" 2>/dev/null || :
		fi
	done
	dockerd_stop
}

setup() {
	common_setup
	# Only what a test sets: the machine's own pip settings, proxies and
	# CA bundles would change what pip finds and trusts.
	while read -r v; do
		unset "$v"
	done < <(compgen -e | grep -i -E '^(PIP_|(http|https|no|all|ftp)_proxy$|REQUESTS_CA_BUNDLE$|CURL_CA_BUNDLE$)')
	# pip's user configuration is the test's; the global one (/etc) is
	# the machine's and is read too: the user's settings win over it.
	mkdir -p "$TMP/home/.config/pip"
	export HOME=$TMP/home XDG_CONFIG_HOME=''
	# A failure fails at once: pip would retry an unreachable index.
	export PIP_RETRIES=0 PIP_DEFAULT_TIMEOUT=20 TMPDIR=$TMP
	: >"$F/index.log"
	: >"$F/index-cc.log"
	: >"$F/proxy.log"
}

teardown() {
	common_teardown
}

# pipconf LINE...: the user's pip.conf, [global] and LINEs.
pipconf() {
	printf '[global]\n' >"$HOME/.config/pip/pip.conf"
	printf '%s\n' "$@" >>"$HOME/.config/pip/pip.conf"
}

# wheels ARGS...: wheel-build ARGS on the plan, setuptools and wheel
# from the host's wheels (build isolation), everything else from the
# index pip's settings name.
wheels() {
	run_split wheel-build "$@" --find-links /usr/share/python-wheels <"$PLAN"
}

# built_dep: the wheelhouse of the last wheel-build has the index's
# dependency, and the index served it.
built_dep() {
	local wh
	wh=$(jq -r .wheels.wheelhouse <<<"$out")
	ls "$wh"
	[ -f "$wh/pbrx_index_dep-1.0-py3-none-any.whl" ]
	rm -rf "$wh"
}

# no_pip_files IMAGE...: nothing of the build's pip settings or proxies
# in the images: no configuration file or mount point, no file of the
# test's CA or client key, no proxy in the configuration.
no_pip_files() {
	local img ca_line key_line
	ca_line=$(sed -n 2p "$F/certs/ca.pem")
	key_line=$(sed -n 2p "$F/certs/client/key.pem")
	for img in "$@"; do
		echo "# $img" >&2
		run "$DOCKER_CLI" run --rm --network none --entrypoint /bin/sh "$img" -c \
			'ls -d /etc/pip.conf /etc/xdg/pip /root/.pip /root/.config/pip /tmp/* 2>&1 | grep -v "No such file"; true'
		echo "$output" >&2
		[ -z "$output" ]
		[ "$("$DOCKER_CLI" image inspect "$img" | jq -r '.[0].Config.Env[]' | grep -ci proxy || :)" = 0 ]
		# every byte of every layer (docker save: uncompressed tars)
		[ "$("$DOCKER_CLI" save "$img" | grep -a -c -F -e "$ca_line" -e "$key_line" || :)" = 0 ]
	done
}

@test "pip.conf's index-url and cert: a dependency from an HTTPS index only the host's CA file vouches for; mounted read-only, in no image" {
	pipconf "index-url = $INDEX" "cert = $F/certs/ca.pem"
	start=$SECONDS
	run_split pbrx-build-images -v --base-image "$PBRX_BASE_IMAGE" \
		--find-links /usr/share/python-wheels "$PROJ"
	echo "# build: $((SECONDS - start)) s" >&3
	[ "$status" -eq 0 ] || { echo "$err" | tail -n 40; false; }
	# The CA file went in under /tmp, read-only, named to pip by PIP_CERT.
	grep -E "^wheel-build: pip setting's file $F/certs/ca.pem mounted at /tmp/pbrx/pip/files/[0-9]+/ca.pem\$" <<<"$err"
	grep -q "^GET /simple/pbrx-index-dep/ -\$" "$F/index.log"
	grep -q "^GET /files/pbrx_index_dep-1.0-py3-none-any.whl -\$" "$F/index.log"
	[ "$("$DOCKER_CLI" run --rm --network none pipcheck:latest)" = from-the-https-index ]
	# The committed builder (its packages layer) and the final images.
	builder=$("$DOCKER_CLI" images --format '{{.Repository}}:{{.Tag}}' pbrx-cache/builder)
	[ -n "$builder" ]
	no_pip_files "$(head -n 1 <<<"$builder")" pipcheck-base:latest pipcheck:latest
}

@test "the CA file is what makes it work: without it pip in the builder refuses the index's certificate" {
	pipconf "index-url = $INDEX"
	wheels
	[ "$status" -ne 0 ]
	grep -q 'CERTIFICATE_VERIFY_FAILED' <<<"$err"
	grep -q 'No matching distribution found for pbrx-index-dep' <<<"$err"
	[ "$("$DOCKER_CLI" ps -aq)" = "" ]
}

@test "PIP_CERT naming the CA file, in the host's environment, as these machines set it" {
	pipconf "index-url = $INDEX" "cert = /nonexistent/ca.pem"
	PIP_CERT=$F/certs/ca.pem wheels -v
	[ "$status" -eq 0 ] || { echo "$err" | tail -n 40; false; }
	grep -E "^wheel-build: pip setting's file $F/certs/ca.pem mounted at /tmp/pbrx/pip/files/[0-9]+/ca.pem\$" <<<"$err"
	built_dep
}

@test "PIP_EXTRA_INDEX_URL and PIP_TRUSTED_HOST: an index no CA vouches for, used when trusted, refused when not" {
	host=${INDEX#https://}
	host=${host%%/*}
	# No cert: only trusted-host lets pip in.  The main index is a local
	# directory that does not exist in the builder: pip skips it.
	pipconf "index-url = file:///nonexistent/simple"
	PIP_EXTRA_INDEX_URL=$INDEX wheels
	[ "$status" -ne 0 ]
	grep -q 'CERTIFICATE_VERIFY_FAILED' <<<"$err"
	PIP_EXTRA_INDEX_URL=$INDEX PIP_TRUSTED_HOST=$host wheels -v
	[ "$status" -eq 0 ] || { echo "$err" | tail -n 40; false; }
	grep -q '^wheel-build: passing PIP_EXTRA_INDEX_URL to pip$' <<<"$err"
	grep -q '^wheel-build: passing PIP_TRUSTED_HOST to pip$' <<<"$err"
	grep -q "^GET /files/pbrx_index_dep-1.0-py3-none-any.whl -\$" "$F/index.log"
	built_dep
}

@test "pip.conf's extra-index-url and trusted-host: the same from the configuration file" {
	host=${INDEX#https://}
	host=${host%%/*}
	pipconf "index-url = file:///nonexistent/simple" "extra-index-url = $INDEX" "trusted-host = $host"
	wheels
	[ "$status" -eq 0 ] || { echo "$err" | tail -n 40; false; }
	grep -q "^GET /files/pbrx_index_dep-1.0-py3-none-any.whl -\$" "$F/index.log"
	built_dep
}

@test "pip.conf's client-cert: an index that asks for a client certificate gets the host's, mounted read-only" {
	pipconf "index-url = $INDEX_CC" "cert = $F/certs/ca.pem"
	wheels
	[ "$status" -ne 0 ]
	grep -q '^TLS-REFUSED' "$F/index-cc.log"
	: >"$F/index-cc.log"
	pipconf "index-url = $INDEX_CC" "cert = $F/certs/ca.pem" "client-cert = $F/certs/client.pem"
	wheels -v
	[ "$status" -eq 0 ] || { echo "$err" | tail -n 40; false; }
	grep -E "^wheel-build: pip setting's file $F/certs/client.pem mounted at /tmp/pbrx/pip/files/[0-9]+/client.pem\$" <<<"$err"
	# the server saw the client certificate's name
	grep -q "^GET /files/pbrx_index_dep-1.0-py3-none-any.whl pbrx-test-client\$" "$F/index-cc.log"
	built_dep
}

@test "HTTPS_PROXY and http_proxy: pip's index and apt's mirror reached through the host's proxy, by wheel-build and image-assemble; in no image" {
	# client-cert too: the committed layers are built again with it set
	pipconf "index-url = $INDEX" "cert = $F/certs/ca.pem" "client-cert = $F/certs/client.pem"
	# pip (requests) reads either spelling; apt reads only http_proxy.
	# --no-cache: the packages layers install again, through the proxy.
	start=$SECONDS
	HTTPS_PROXY=$PROXY http_proxy=$PROXY run_split pbrx-build-images -v --no-cache \
		--base-image "$PBRX_BASE_IMAGE" --find-links /usr/share/python-wheels "$PROJ"
	echo "# build: $((SECONDS - start)) s" >&3
	[ "$status" -eq 0 ] || { echo "$err" | tail -n 40; false; }
	cat "$F/proxy.log"
	grep -q '^wheel-build: passing HTTPS_PROXY to the build.s containers$' <<<"$err"
	grep -q '^image-assemble: passing http_proxy to the build.s containers$' <<<"$err"
	# pip's CONNECTs to the index
	grep -q "^CONNECT 127.0.0.1:$(cat "$F/index.port")\$" "$F/proxy.log"
	grep -q "^GET /files/pbrx_index_dep-1.0-py3-none-any.whl -\$" "$F/index.log"
	# apt-get in the builder (wheel-build: the compile package) and in
	# the runtime packages layer (image-assemble: dumb-init)
	grep -q '^GET http://[^ ]*/dists/bookworm/InRelease$' "$F/proxy.log"
	grep -q '^GET http://[^ ]*/pool/main/liby/libyaml/libyaml-dev_[^ ]*\.deb$' "$F/proxy.log"
	grep -q '^GET http://[^ ]*/pool/main/d/dumb-init/dumb-init_[^ ]*\.deb$' "$F/proxy.log"
	[ "$("$DOCKER_CLI" run --rm --network none pipcheck:latest)" = from-the-https-index ]
	builder=$("$DOCKER_CLI" images --format '{{.Repository}}:{{.Tag}}' pbrx-cache/builder | head -n 1)
	no_pip_files "$builder" pipcheck-base:latest pipcheck:latest
}

@test "NO_PROXY and no_proxy: the index they name is reached directly" {
	pipconf "index-url = $INDEX" "cert = $F/certs/ca.pem"
	HTTPS_PROXY=$PROXY NO_PROXY=127.0.0.1 wheels -v
	[ "$status" -eq 0 ] || { echo "$err" | tail -n 40; false; }
	grep -q '^wheel-build: passing NO_PROXY to the build.s containers$' <<<"$err"
	grep -q "^GET /files/pbrx_index_dep-1.0-py3-none-any.whl -\$" "$F/index.log"
	[ ! -s "$F/proxy.log" ]
	built_dep
	: >"$F/index.log"
	https_proxy=$PROXY no_proxy=127.0.0.1 wheels
	[ "$status" -eq 0 ] || { echo "$err" | tail -n 40; false; }
	grep -q "^GET /files/pbrx_index_dep-1.0-py3-none-any.whl -\$" "$F/index.log"
	[ ! -s "$F/proxy.log" ]
	built_dep
	# and without it, lower case https_proxy alone: through the proxy
	https_proxy=$PROXY wheels
	[ "$status" -eq 0 ] || { echo "$err" | tail -n 40; false; }
	grep -q "^CONNECT 127.0.0.1:$(cat "$F/index.port")\$" "$F/proxy.log"
	built_dep
}
