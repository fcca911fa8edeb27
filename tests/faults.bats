#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Nothing lost: pbrx-build-images against faults it can't
# prevent: no engine, the engine dying mid-build, a full wheelhouse, pip
# failing, SIGINT and SIGTERM during each stage, two builds at once.
# After each: a non-zero exit with a clear message, no container, an
# empty TMPDIR, every previously tagged image as it was (cached images,
# pbrx-cache/*, may be added: they are a cache), and the next build
# succeeding.  A private dockerd; a small pure-Python project (tiny) and
# the example with a C extension (examples/yamlcat).

# shellcheck disable=SC2154 # out and err are set by run_split
true

load helpers
load lib/tiny

setup_file() {
	tiny_setup_file
	TINY=$BATS_FILE_TMPDIR/tiny
	tiny_project "$TINY" tiny
	export TINY
	# Images a failed build must leave as they are.
	pbrx-build-images -q --base-image "$PBRX_BASE_IMAGE" \
		--find-links /usr/share/python-wheels "$TINY" >/dev/null
}

teardown_file() {
	# The daemon restarted by a test has a pid of its own.
	DOCKERD_PID=$(cat "$DOCKERD_RUN/dockerd.pid" 2>/dev/null || echo "${DOCKERD_PID:-}")
	dockerd_stop
}

setup() {
	tiny_setup
	# The scratch space of the faulty runs: it must be empty after each.
	SCRATCH=$TMP/scratch
	mkdir "$SCRATCH"
}

teardown() {
	if [ -n "${HOLD_PID:-}" ]; then
		kill "$HOLD_PID" 2>/dev/null || :
	fi
	if [ -n "${TMPFS:-}" ]; then
		umount "$TMPFS" 2>/dev/null || :
	fi
	common_teardown
}

# Every tag but the cache's with its image ID, and the untagged images.
images_state() {
	"$DOCKER_CLI" images --format '{{.Repository}}:{{.Tag}} {{.ID}}' |
		grep -v '^pbrx-cache/' | sort
	echo "untagged:"
	"$DOCKER_CLI" images -q --filter dangling=true | sort
}

# before: what a failed run must leave as it is.
before() {
	images_state >"$TMP/images.before"
}

# left_nothing: no container, an empty scratch directory, the images as
# before.
left_nothing() {
	local i
	# A Dockerfile build cancelled by the cleanup (POST /build's
	# connection closed) has its RUN container removed by dockerd itself,
	# on its own time after the request ends: give it ten seconds.
	for ((i = 0; i < 50; i++)); do
		[ "$("$DOCKER_CLI" ps -aq)" != "" ] || break
		sleep 0.2
	done
	[ "$("$DOCKER_CLI" ps -aq)" = "" ] || {
		"$DOCKER_CLI" ps -a
		return 1
	}
	[ "$(ls -A "$SCRATCH")" = "" ] || {
		ls -lAR "$SCRATCH"
		return 1
	}
	images_state >"$TMP/images.after"
	diff -u "$TMP/images.before" "$TMP/images.after"
}

# next_build [PROJECT NAME]: a build after the fault succeeds, and its
# image runs.
next_build() {
	local proj=${1:-$TINY} name=${2:-tiny}
	run_split env TMPDIR="$SCRATCH" "${BUILD[@]}" -q "$proj"
	[ "$status" -eq 0 ] || {
		echo "$err"
		return 1
	}
	[ "$(jq -r '.images[].ref' <<<"$out")" = "$name-base:latest
$name:latest" ]
	[ "$("$DOCKER_CLI" run --rm --network none "$name:latest")" = "$name says hello" ]
	[ "$("$DOCKER_CLI" ps -aq)" = "" ]
	[ "$(ls -A "$SCRATCH")" = "" ]
}

# only_lines TEXT PATTERN...: every line of TEXT matches one of the
# extended regular expressions.
only_lines() {
	local text=$1 p
	shift
	for p in "$@"; do
		text=$(grep -Ev -- "$p" <<<"$text" || :)
	done
	[ -z "$text" ] || {
		echo "unexpected lines: $text"
		return 1
	}
}

@test "engine unreachable: exit 1, one line naming the socket, nothing made" {
	before
	# A socket nobody listens on, and no socket at all.
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$TMP/dead.sock"
	for host in "unix://$TMP/dead.sock" "unix://$TMP/nothing.sock"; do
		run_split env DOCKER_HOST="$host" TMPDIR="$SCRATCH" "${BUILD[@]}" -q "$TINY"
		echo "$err"
		[ "$status" -eq 1 ]
		[ "$out" = "" ]
		[ "$(grep -c '^image-inspect: ' <<<"$err")" -eq 1 ]
		grep -q "^image-inspect: .*${host#unix://}" <<<"$err"
		only_lines "$err" '^image-inspect: ' \
			'^pbrx-build-images: image-inspect failed \(exit status 1\) after [0-9.]+ s$'
		left_nothing
	done
	next_build
}

# restart_dockerd: the file's dockerd again, on the same socket and data.
restart_dockerd() {
	local i pid f
	# The killed daemon and its containerd (killed with it) may still be
	# zombies nobody reaps, and dockerd takes a pidfile's process that
	# exists for a live one: wait for them to die, then remove the files.
	for f in "$DOCKERD_RUN/dockerd.pid" "$DOCKERD_RUN/exec/containerd/containerd.pid"; do
		pid=$(cat "$f" 2>/dev/null || :)
		for ((i = 0; i < 100; i++)); do
			[ -n "$pid" ] && [ -e "/proc/$pid" ] || break
			[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
			sleep 0.1
		done
		rm -f "$f"
	done
	dockerd --config-file "$DOCKERD_RUN/daemon.json" --host "unix://$DOCKERD_RUN/docker.sock" \
		--data-root "$DOCKERD_DATA" --exec-root "$DOCKERD_RUN/exec" \
		--pidfile "$DOCKERD_RUN/dockerd.pid" --bridge=none --iptables=false --ip-masq=false \
		</dev/null >>"$DOCKERD_RUN/dockerd.log" 2>&1 3>&- &
	DOCKERD_PID=$!
	export DOCKERD_PID
	for ((i = 0; i < 300; i++)); do
		curl -sf --unix-socket "$DOCKERD_RUN/docker.sock" http://localhost/_ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	tail -n 20 "$DOCKERD_RUN/dockerd.log"
	return 1
}

@test "dockerd killed during wheel-build: exit 1, the container left named; restarted, the next build removes it and works" {
	before
	env TMPDIR="$SCRATCH" "${BUILD[@]}" "$TINY" >"$TMP/out" 2>"$TMP/err" 3>&- &
	pid=$!
	for ((i = 0; i < 1200; i++)); do
		grep -q '^\[wheel-build\] start$' "$TMP/err" &&
			[ -n "$("$DOCKER_CLI" ps -q)" ] && break
		sleep 0.1
	done
	[ -n "$("$DOCKER_CLI" ps -q)" ]
	kill -KILL "$DOCKERD_PID"
	rc=0
	wait "$pid" || rc=$?
	restart_dockerd
	sed -n '/^\[wheel-build\] start$/,$p' "$TMP/err" | grep -e '^wheel-build:' -e '^pbrx-build-images:' | sed 's/^/# /' >&3
	[ "$rc" -eq 1 ]
	[ ! -s "$TMP/out" ]
	[ "$(tail -n 1 "$TMP/err")" = "pbrx-build-images: wheel-build failed (exit status 1) after $(sed -n 's/^pbrx-build-images: wheel-build failed (exit status 1) after //p' "$TMP/err")" ]
	# what failed, in wheel-build's words, and the container it could
	# not remove without an engine
	grep -q "^wheel-build: docker: .*$DOCKER_HOST" "$TMP/err"
	left=$(sed -n 's/^wheel-build: warning: .*; container \([0-9a-f]*\) is left behind: the next pbrx run on this host removes it$/\1/p' "$TMP/err")
	[ -n "$left" ]
	[ "$(ls -A "$SCRATCH")" = "" ]
	# The restarted engine stopped the builder; it is the one named, and
	# the only one, named with the token of the wheel-build that died.
	[ "$("$DOCKER_CLI" ps -aq)" = "$left" ]
	[ "$("$DOCKER_CLI" ps -q)" = "" ]
	name=$("$DOCKER_CLI" inspect --format '{{.Name}}' "$left")
	name=${name#/}
	[[ "$name" == tiny-wheel-build-*.pbrx-* ]]
	pid=${name%-*}
	pid=${pid##*-}
	images_state >"$TMP/images.after"
	diff -u "$TMP/images.before" "$TMP/images.after"
	# Not removed by hand: the next build (its first stage) removes it,
	# says so in one line, and nothing else but the summary (-q)
	next_build
	[ "${err%%$'\n'*}" = "image-inspect: removing container $name ($left) left by an earlier run (process $pid is gone)" ]
	summary=${err#*$'\n'}
	[ "${summary%%$'\n'*}" = "" ]
	[ "$(sed -n 2p <<<"$summary" | cut -d' ' -f1)" = image ]
	[ "$(grep -vc -e '^$' -e '^image ' -e '^tiny' -e '^cache: ' -e '^total ' -e '^waited longest on: ' <<<"$summary" || :)" = 0 ]
	[ "$("$DOCKER_CLI" ps -aq)" = "" ]
}

@test "the wheelhouse on a full tmpfs: exit 1, ENOSPC naming the wheel; nothing half-written" {
	before
	TMPFS=$TMP/wh
	mkdir "$TMPFS"
	mount -t tmpfs -o size=256k tmpfs "$TMPFS"
	dd if=/dev/zero of="$TMPFS/filler" bs=4k 2>/dev/null || :
	run_split env TMPDIR="$SCRATCH" "${BUILD[@]}" -q --wheelhouse "$TMPFS" "$TINY"
	echo "$err"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	# pip writes to a directory of wheel-build's own; the copy into the
	# wheelhouse is what fails, said in one line naming the wheel
	grep -qx "wheel-build: $TMPFS/tiny-0.1-py3-none-any.whl: No space left on device" <<<"$err"
	[ "$(tail -n 1 <<<"$err")" = "pbrx-build-images: wheel-build failed (exit status 1) after $(sed -n 's/.* after //p' <<<"$err" | tail -n 1)" ]
	# only the filler: the copy's temporary file is removed
	[ "$(ls -A "$TMPFS")" = filler ]
	[ "$(grep -c '^wheel-build: warning: removed the unfinished wheel ' <<<"$err" || :)" -le 1 ]
	left_nothing
	umount "$TMPFS"
	TMPFS=""
	next_build
}

@test "pip failing: setup.py raises; a dependency missing from find-links" {
	before
	cp -R "$TINY" "$TMP/raises"
	printf 'raise SystemExit("broken on purpose")\n' >"$TMP/raises/setup.py"
	run_split env TMPDIR="$SCRATCH" "${BUILD[@]}" -q "$TMP/raises"
	echo "$err"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	grep -q 'broken on purpose' <<<"$err"
	grep -q '^wheel-build: builder: step [0-9]* of [0-9]* (wheels) failed with exit code 1: ' <<<"$err"
	grep -q '^pbrx-build-images: wheel-build failed (exit status 1) after' <<<"$err"
	left_nothing

	cp -R "$TINY" "$TMP/missing"
	printf '\n[options]\ninstall_requires = not-in-any-wheelhouse\n' >>"$TMP/missing/setup.cfg"
	sed -i '0,/^\[options\]$/{/^\[options\]$/d}' "$TMP/missing/setup.cfg"
	run_split env TMPDIR="$SCRATCH" "${BUILD[@]}" -q "$TMP/missing"
	echo "$err"
	[ "$status" -eq 1 ]
	grep -q 'No matching distribution found for not-in-any-wheelhouse' <<<"$err"
	grep -q '^wheel-build: builder: step [0-9]* of [0-9]* (wheels) failed with exit code 1: ' <<<"$err"
	left_nothing
	next_build
}

# held_bin STAGE: a copy of the driver next to the built tools in
# $TMP/bin, STAGE replaced by the real one reading its document through a
# pipe that a sleep (pid in $TMP/hold.pid) keeps open: the stage runs,
# blocked on its input, until the test signals.  $TMP/stage.pid is its pid.
held_bin() {
	local t
	mkdir "$TMP/bin"
	cp "$PBRX_ROOT/build/bin/pbrx-build-images" "$TMP/bin/"
	for t in cfg-extras image-inspect bindep-filter image-plan wheel-build image-assemble; do
		ln -s "$PBRX_ROOT/build/bin/$t" "$TMP/bin/$t"
	done
	rm "$TMP/bin/$1"
	cat >"$TMP/bin/$1" <<EOF
#!/bin/bash
if [ -e "$TMP/stage.pid" ]; then
	exec "$PBRX_ROOT/build/bin/$1" "\$@"
fi
echo \$\$ >"$TMP/stage.pid"
exec 4<&0
exec "$PBRX_ROOT/build/bin/$1" "\$@" < <(cat <&4; echo \$BASHPID >"$TMP/hold.pid"; exec sleep 600) 4<&-
EOF
	chmod +x "$TMP/bin/$1"
}

# signal_during STAGE SIGNAL PROJECT: run the build, deliver SIGNAL while
# STAGE runs (SIGINT to the whole process group, as a terminal's ^C does;
# SIGTERM to pbrx-build-images alone, as a supervisor does), and check the
# exit status and what is left.  wheel-build and image-assemble are caught
# in a step that lasts (slow_project); the others are held by held_bin.
signal_during() {
	local stage=$1 sig=$2 proj=$3 driver=pbrx-build-images pid rc=0 i want starts ends
	rm -f "$TMP/stage.pid" "$TMP/hold.pid"
	case $stage in
	wheel-build | image-assemble) ;;
	*) driver=$TMP/bin/pbrx-build-images ;;
	esac
	before
	# Its own process group, SIGINT not ignored (bats' background jobs
	# ignore it).
	env --default-signal=INT TMPDIR="$SCRATCH" setsid "$driver" \
		--base-image "$PBRX_BASE_IMAGE" --find-links "$DEPS" --find-links /usr/share/python-wheels \
		"$proj" >"$TMP/out" 2>"$TMP/err" 3>&- &
	pid=$!
	for ((i = 0; i < 1800; i++)); do
		case $stage in
		wheel-build)
			grep -q 'Preparing metadata (setup.py): started' "$TMP/err" && break ;;
		image-assemble)
			"$DOCKER_CLI" ps --no-trunc --format '{{.Command}}' | grep -q 'sleep 127' && break ;;
		*)
			[ -s "$TMP/hold.pid" ] && break ;;
		esac
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	HOLD_PID=$(cat "$TMP/hold.pid" 2>/dev/null || :)
	# the stage runs
	[ "$(grep "^\[[a-z-]*\] start\$" "$TMP/err" | tail -n 1)" = "[$stage] start" ]
	kill -0 "$pid"
	if [ "$sig" = INT ]; then
		kill -INT -- "-$pid"
		want=130
	else
		kill -TERM "$pid"
		want=143
	fi
	wait "$pid" || rc=$?
	sed "s/^/# $stage $sig: /" "$TMP/err" | tail -n 2 >&3
	[ "$rc" -eq "$want" ]
	[ ! -s "$TMP/out" ]
	[ "$(grep -c "^pbrx-build-images: SIG$sig: stopping $stage, removing the temporary files\$" "$TMP/err")" -eq 1 ]
	# it was the last stage to start, and it did not finish
	starts=$(grep -c "^\[[a-z-]*\] start\$" "$TMP/err" || :)
	ends=$(grep -c "^\[[a-z-]*\] done in [0-9.]* s\$" "$TMP/err" || :)
	[ "$starts" -eq $((ends + 1)) ]
	[ "$(grep "^\[[a-z-]*\] start\$" "$TMP/err" | tail -n 1)" = "[$stage] start" ]
	if [ -n "$HOLD_PID" ]; then
		kill "$HOLD_PID" 2>/dev/null || :
		HOLD_PID=""
		# the held stage itself is gone
		! kill -0 "$(cat "$TMP/stage.pid")" 2>/dev/null
	fi
	# nothing of the run is left running
	[ "$(pgrep -f -- "--find-links $DEPS" || :)" = "" ]
	# image-assemble cancelled the Dockerfile build in flight, whose RUN
	# was stopped, not waited for
	! grep -q 'the RUN step finished' "$TMP/err"
	[ "$(pgrep -f '^(/usr/bin/)?sleep 127$' || :)" = "" ]
	left_nothing
}

# slow_project DIR: tiny whose setup.py takes long in the builder (slow
# wheel-build) and whose image is built from a Dockerfile with a RUN that
# lasts (slow image-assemble, after the base is made).  A signal cancels
# the Dockerfile build in flight: the RUN never says it finished.
slow_project() {
	cp -R "$TINY" "$1"
	printf 'FROM tiny-base\nRUN sleep 127 && echo the RUN step finished\nCMD ["/usr/local/bin/tiny"]\n' \
		>"$1/Dockerfile.tiny"
}

signals_test() {
	local proj=$TINY
	case $1 in
	wheel-build)
		proj=$TMP/slow
		slow_project "$proj"
		printf 'import time\ntime.sleep(347)\n' >>"$proj/setup.py"
		;;
	image-assemble)
		proj=$TMP/slow
		slow_project "$proj"
		;;
	*) held_bin "$1" ;;
	esac
	signal_during "$1" INT "$proj"
	signal_during "$1" TERM "$proj"
	next_build
}

@test "SIGINT and SIGTERM during cfg-extras: 130 and 143, nothing left" { signals_test cfg-extras; }
@test "SIGINT and SIGTERM during image-inspect: 130 and 143, nothing left" { signals_test image-inspect; }
@test "SIGINT and SIGTERM during bindep-filter: 130 and 143, nothing left" { signals_test bindep-filter; }
@test "SIGINT and SIGTERM during image-plan: 130 and 143, nothing left" { signals_test image-plan; }
@test "SIGINT and SIGTERM during wheel-build: 130 and 143, nothing left" { signals_test wheel-build; }
@test "SIGINT and SIGTERM during image-assemble: 130 and 143, nothing left" { signals_test image-assemble; }

@test "two builds of different projects at once on one engine: both succeed, both images right" {
	before
	YC=$TMP/yamlcat
	cp -R "$PBRX_ROOT/examples/yamlcat" "$YC"
	tiny_project "$TMP/other" other
	mkdir "$SCRATCH/a" "$SCRATCH/b"
	env TMPDIR="$SCRATCH/a" "${BUILD[@]}" -q "$YC" >"$TMP/a.out" 2>"$TMP/a.err" 3>&- &
	a=$!
	env TMPDIR="$SCRATCH/b" "${BUILD[@]}" -q "$TMP/other" >"$TMP/b.out" 2>"$TMP/b.err" 3>&- &
	b=$!
	ra=0 rb=0
	wait "$a" || ra=$?
	wait "$b" || rb=$?
	cat "$TMP/a.err" "$TMP/b.err"
	[ "$ra" -eq 0 ]
	[ "$rb" -eq 0 ]
	[ "$(jq -r '.images[].ref' "$TMP/a.out")" = "yamlcat-base:latest
yamlcat:latest
yamlcat-lint:latest" ]
	[ "$(jq -r '.images[].ref' "$TMP/b.out")" = "other-base:latest
other:latest" ]
	# each document's IDs are what the tags name
	for f in a b; do
		jq -r '.images[] | "\(.ref) \(.id)"' "$TMP/$f.out" | while read -r ref id; do
			[ "$("$DOCKER_CLI" image inspect -f '{{.Id}}' "$ref")" = "$id" ]
		done
	done
	[ "$("$DOCKER_CLI" run --rm --network none other:latest)" = "other says hello" ]
	[ "$(echo 'a: 1' | "$DOCKER_CLI" run -i --rm --network none yamlcat:latest | head -n 3)" = "+STR
+DOC
+MAP" ]
	# neither got the other's project
	[ "$("$DOCKER_CLI" run --rm --network none --entrypoint python3 other:latest -c 'import yamlcat' 2>&1 >/dev/null | tail -n 1)" = "ModuleNotFoundError: No module named 'yamlcat'" ]
	[ "$("$DOCKER_CLI" run --rm --network none --entrypoint python3 yamlcat:latest -c 'import other' 2>&1 >/dev/null | tail -n 1)" = "ModuleNotFoundError: No module named 'other'" ]
	[ "$("$DOCKER_CLI" ps -aq)" = "" ]
	[ "$(ls -A "$SCRATCH/a" "$SCRATCH/b" | grep -v -e '^$' -e ':$' || :)" = "" ]
	# the images that were there before are still there
	grep -v '^untagged:' "$TMP/images.before" | while read -r line; do
		images_state | grep -qxF "$line"
	done
}
