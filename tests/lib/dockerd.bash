# SPDX-License-Identifier: Apache-2.0
# A private dockerd for one bats file: start it in setup_file, stop it in
# teardown_file, so one daemon serves every test of the file.  bench/compare
# sources this too, for a fresh daemon per build method (PBRX_TEST_RUN
# /run/pbrx-bench); nothing here needs bats.
#
#   setup_file()    { dockerd_start; dockerd_base_image; }
#   teardown_file() { dockerd_stop; }
#
# dockerd_start exports DOCKER_HOST (unix socket) and DOCKERD_RUN,
# DOCKERD_DATA, DOCKERD_PID.  dockerd_start --tls PORT also listens on
# tcp://127.0.0.1:PORT with --tlsverify, using a CA, server and client
# certificates made here with openssl, and exports DOCKERD_TLS_HOST and
# DOCKERD_CERTS (ca.pem, cert.pem, key.pem, for DOCKER_CERT_PATH).
#
# The daemon runs as it must on these machines:
# no bridge (a bridge takes a 172.17.x address; private ranges are off
# limits), no iptables, no masquerading.  Containers that need the Debian
# mirror must use network mode host.
#
# Paths: $PBRX_TEST_RUN (default /run/pbrx-test) holds the socket, pidfile,
# exec root, log and certificates; /var/lib/<its name>/docker is the data
# root.  When a live dockerd already owns those, "-PID" is appended, so
# two test runs on one machine don't share a daemon.  Everything is
# removed by dockerd_stop.

# The Debian CLI: /usr/local/bin may hold a newer static one without buildx.
DOCKER_CLI=/usr/bin/docker

# shellcheck source=tests/lib/service.bash
. "${BASH_SOURCE[0]%/*}/service.bash"

# dockerd_alive PIDFILE: is the daemon of PIDFILE alive?  (podman.bash's
# service too.)
dockerd_alive() {
	local pid
	[ -f "$1" ] || return 1
	pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# dockerd_await NAME SOCKET PID LOG: wait up to 30 s until the daemon NAME
# (PID, writing LOG) answers /_ping on the unix SOCKET; when it exits or
# does not answer, say so with the end of its log and fail.  (podman.bash's
# service too.)
dockerd_await() {
	await_service "$1" "$3" "$4" 30 /_ping curl -sf --unix-socket "$2" http://localhost/_ping
}

# dockerd_kill NAME PID SECONDS: SIGTERM to the daemon NAME, SIGKILL when
# it is still there after SECONDS.  (podman.bash's service too.)
dockerd_kill() {
	local i
	if [ -z "$2" ] || ! kill -0 "$2" 2>/dev/null; then
		return 0
	fi
	kill -TERM "$2" 2>/dev/null || :
	for ((i = 0; i < $3 * 10; i++)); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "$1 $2 ignored SIGTERM for $3 s; killing it" >&2
	kill -KILL "$2" 2>/dev/null || :
}

# dockerd_certs DIR: a CA, a server certificate for 127.0.0.1 and a client
# certificate, as the docker CLI expects them (ca.pem, cert.pem, key.pem in
# DIR/client; server-*.pem in DIR).
dockerd_certs() {
	local dir=$1 ext
	mkdir -p "$dir/client"
	ext="$dir/ext.cnf"
	(
		set -e
		cd "$dir"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca-key.pem -out ca.pem -days 2 -subj /CN=pbrx-test-ca
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout server-key.pem -out server.csr -subj /CN=localhost
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$ext"
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
			-out server-cert.pem -days 2 -extfile "$ext"
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout client/key.pem -out client.csr -subj /CN=pbrx-test-client
		printf 'extendedKeyUsage=clientAuth\n' >"$ext"
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
			-out client/cert.pem -days 2 -extfile "$ext"
		cp ca.pem client/ca.pem
		chmod 600 ca-key.pem server-key.pem client/key.pem
	) >"$dir/openssl.log" 2>&1 || {
		cat "$dir/openssl.log" >&2
		return 1
	}
}

# dockerd_start [--tls PORT]: start the daemon and wait until it answers.
dockerd_start() {
	local tls_port="" run
	local -a args
	if [ "${1:-}" = --tls ]; then
		tls_port=${2:?dockerd_start --tls PORT}
	fi
	run=${PBRX_TEST_RUN:-/run/pbrx-test}
	if dockerd_alive "$run/dockerd.pid"; then
		run=$run-$$
	fi
	DOCKERD_RUN=$run
	DOCKERD_DATA=/var/lib/${run##*/}/docker
	export DOCKERD_RUN DOCKERD_DATA
	rm -rf "$DOCKERD_RUN"
	mkdir -p "$DOCKERD_RUN" "$DOCKERD_DATA"
	# Our own (empty) config: /etc/docker/daemon.json is not ours to read.
	echo '{}' >"$DOCKERD_RUN/daemon.json"
	args=(
		--config-file "$DOCKERD_RUN/daemon.json"
		--host "unix://$DOCKERD_RUN/docker.sock"
		--data-root "$DOCKERD_DATA"
		--exec-root "$DOCKERD_RUN/exec"
		--pidfile "$DOCKERD_RUN/dockerd.pid"
		--bridge=none --iptables=false --ip-masq=false
	)
	if [ -n "$tls_port" ]; then
		dockerd_certs "$DOCKERD_RUN/tls" || return 1
		args+=(
			--host "tcp://127.0.0.1:$tls_port" --tlsverify
			--tlscacert "$DOCKERD_RUN/tls/ca.pem"
			--tlscert "$DOCKERD_RUN/tls/server-cert.pem"
			--tlskey "$DOCKERD_RUN/tls/server-key.pem"
		)
		DOCKERD_TLS_HOST=tcp://127.0.0.1:$tls_port
		DOCKERD_CERTS=$DOCKERD_RUN/tls/client
		export DOCKERD_TLS_HOST DOCKERD_CERTS
	fi
	# fd 3 closed: bats waits for every process holding it.
	dockerd "${args[@]}" </dev/null >"$DOCKERD_RUN/dockerd.log" 2>&1 3>&- &
	DOCKERD_PID=$!
	export DOCKERD_PID
	DOCKER_HOST=unix://$DOCKERD_RUN/docker.sock
	export DOCKER_HOST
	dockerd_await dockerd "$DOCKERD_RUN/docker.sock" "$DOCKERD_PID" "$DOCKERD_RUN/dockerd.log" || {
		dockerd_stop
		return 1
	}
}

# Unmount whatever is mounted under directory $1, deepest first.
dockerd_unmount_under() {
	local m
	[ -n "$1" ] || return 0
	findmnt -rn -o TARGET | awk -v d="$1" '$0 == d || index($0, d "/") == 1' |
	sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || :
	done
}

# dockerd_debug true|false: turn dockerd's debug log on or off (a reload
# of its config on SIGHUP).  With it on, the log has the JSON body of
# every POST: "form data: {...}" after "Calling POST /v1.NN/PATH".
dockerd_debug() {
	local i n
	n=$(grep -c 'Reloaded configuration' "$DOCKERD_RUN/dockerd.log" || :)
	printf '{"debug": %s}\n' "$1" >"$DOCKERD_RUN/daemon.json"
	kill -HUP "$DOCKERD_PID"
	for ((i = 0; i < 100; i++)); do
		if [ "$(grep -c 'Reloaded configuration' "$DOCKERD_RUN/dockerd.log" || :)" -gt "$n" ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "dockerd did not reload its configuration" >&2
	return 1
}

# dockerd_posted [SINCE_LINE]: the JSON body of every POST (after the
# log's line SINCE_LINE), one per line.  Needs dockerd_debug true.  The
# log gives no request's path with its body (concurrent requests
# interleave), so the caller selects bodies by their content.
dockerd_posted() {
	tail -n +"$((${1:-0} + 1))" "$DOCKERD_RUN/dockerd.log" |
	sed -n 's/.*msg="form data: \(.*\)"$/"\1"/p' |
	jq -c 'fromjson'
}

# dockerd_stop: stop the daemon by its pid and remove all its state.
dockerd_stop() {
	local pid=${DOCKERD_PID:-}
	if [ -z "$pid" ] && [ -f "${DOCKERD_RUN:-/nonexistent}/dockerd.pid" ]; then
		pid=$(cat "$DOCKERD_RUN/dockerd.pid")
	fi
	dockerd_kill dockerd "$pid" 20
	if [ -n "${DOCKERD_RUN:-}" ]; then
		# dockerd leaves the nsfs mount of its network namespace.
		dockerd_unmount_under "$DOCKERD_RUN"
		dockerd_unmount_under "$DOCKERD_DATA"
		rm -rf "$DOCKERD_RUN" "${DOCKERD_DATA%/docker}"
	fi
	unset DOCKERD_PID
}

# dockerd_base_image: load the offline Python base image (made by
# scripts/make-python-base-image, cached in /var/cache/pbrx) and export
# PBRX_BASE_IMAGE with its name.  The script is found from this file, so
# bench/compare uses this too.
dockerd_base_image() {
	PBRX_BASE_IMAGE=${PBRX_BASE_IMAGE:-pbrx-test/python:bookworm}
	export PBRX_BASE_IMAGE
	DOCKER=$DOCKER_CLI "${BASH_SOURCE[0]%/*}/../../scripts/make-python-base-image" -q "$PBRX_BASE_IMAGE"
}

# A free TCP port on 127.0.0.1 (none is reserved: good enough for a test).
dockerd_free_port() {
	local port
	for ((port = 23750 + RANDOM % 1000; port < 30000; port++)); do
		if ! ss -Htln "sport = :$port" | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

