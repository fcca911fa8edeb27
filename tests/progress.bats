#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# What a person sees of a pbrx-build-images run, against a private
# dockerd: on a real terminal (tmux runs the driver in an 80x24 pane and
# its screen is captured), in a CI log (plain), with --progress quiet, and
# when a step fails.  The renderer alone, over recorded events:
# progress-render.bats.

load helpers
load lib/dockerd

setup_file() {
	dockerd_start
	dockerd_base_image
	W=$BATS_FILE_TMPDIR
	export W
	"$PBRX_ROOT/examples/make-deps-wheelhouse" "$W/deps" >/dev/null
	cp -a "$PBRX_ROOT/examples/yamlcat" "$W/yamlcat"
	# A project whose compile package does not exist: the builder's
	# package step fails (and image-assemble --prepare, beside it, is
	# stopped).
	cp -a "$PBRX_ROOT/examples/yamlcat" "$W/broken"
	echo 'no-such-package-pbrx [compile platform:dpkg]' >>"$W/broken/bindep.txt"
	# The first build, in a log: plain.
	PIP_NO_INDEX=1 PATH="$PBRX_ROOT/build/bin:$PATH" pbrx-build-images \
		--base-image "$PBRX_BASE_IMAGE" --find-links "$W/deps" \
		--find-links /usr/share/python-wheels "$W/yamlcat" >"$W/plain.out" 2>"$W/plain.err" ||
		echo $? >"$W/plain.status"
}

teardown_file() {
	dockerd_stop
}

setup() {
	common_setup
	export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
	BUILD=(pbrx-build-images --base-image "$PBRX_BASE_IMAGE" --find-links "$W/deps"
		--find-links /usr/share/python-wheels)
	# A tmux server of this test's own.
	TMUX_SOCKET=pbrx-progress-$$-$BATS_TEST_NUMBER
}

teardown() {
	tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || :
	common_teardown
}

# on_terminal [VAR=VALUE...] -- ARGS...: pbrx-build-images ARGS on an 80x24
# terminal (a tmux pane), waited for; $screen is what the pane shows
# then, $history the lines scrolled off it ($scrolled of them), $colour the screen with its
# attributes, $status the exit status.
on_terminal() {
	local -a env=()
	while [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	{
		echo '#!/bin/bash'
		printf 'export PATH=%q DOCKER_HOST=%q PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 LC_ALL=C\n' \
			"$PATH" "$DOCKER_HOST"
		printf 'unset NO_COLOR PBRX_PROGRESS\n'
		[ "${#env[@]}" -eq 0 ] || printf 'export %q\n' "${env[@]}"
		printf '%q ' "${BUILD[@]}" "$@"
		printf '>%q\n' "$TMP/doc.json"
		printf 'echo $? >%q.tmp && mv %q.tmp %q\n' "$TMP/status" "$TMP/status" "$TMP/status"
		echo 'exec sleep 600'
	} >"$TMP/run"
	chmod +x "$TMP/run"
	rm -f "$TMP/status"
	tmux -L "$TMUX_SOCKET" -f /dev/null new-session -d -x 80 -y 24 "$TMP/run"
	# The build ends (an engine-bound run: minutes at most).
	for ((i = 0; i < 6000; i++)); do
		[ -e "$TMP/status" ] && break
		sleep 0.1
	done
	status=$(cat "$TMP/status")
	# -J joins wrapped lines, and keeps trailing spaces: dropped
	screen=$(tmux -L "$TMUX_SOCKET" capture-pane -p -J | sed 's/ *$//')
	colour=$(tmux -L "$TMUX_SOCKET" capture-pane -p -e)
	# (-E -1 on no history would show the screen's first line)
	scrolled=$(tmux -L "$TMUX_SOCKET" display -p '#{history_size}')
	history=""
	if [ "$scrolled" -gt 0 ]; then
		history=$(tmux -L "$TMUX_SOCKET" capture-pane -p -J -S - -E -1 | sed 's/ *$//')
	fi
	# Shown in the test's output when it fails.
	printf '%s\n' "--- the screen:" "$screen" "---"
}

# secs_text SECONDS: a time in tenths as the summary writes it ("12.3 s",
# "2 m 05 s").
secs_text() {
	local t10
	t10=$(jq -n "$1 * 10 | round")
	if [ "$t10" -lt 600 ]; then
		printf '%d.%d s' $((t10 / 10)) $((t10 % 10))
	else
		printf '%d m %02d s' $((t10 / 600)) $((t10 / 10 % 60))
	fi
}

@test "on a terminal: one line per step, the summary table at the end, all on one 80x24 screen" {
	on_terminal -- --no-cache "$W/yamlcat"
	[ "$status" -eq 0 ]
	# nothing scrolled off the screen
	[ "$scrolled" = 0 ]
	lines=$(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' <<<"$screen")
	[ "$(wc -l <<<"$lines")" -le 23 ]
	# each step folded to one line with its time
	grep -Eqx 'builder +packages +[0-9.]+ s' <<<"$screen"
	grep -Eqx 'builder +wheels +[0-9.]+ s' <<<"$screen"
	grep -Eqx 'yamlcat-base +packages +[0-9.]+ s' <<<"$screen"
	# the Python layers pbrx writes itself, one line each
	grep -Eqx 'yamlcat-base +dependencies +written' <<<"$screen"
	grep -Eqx 'yamlcat-base +project +written' <<<"$screen"
	grep -Eqx 'yamlcat-lint +extras +written' <<<"$screen"
	# no container output left on the screen, no stage's chatter
	! grep -q -e 'Unpacking' -e 'Successfully' -e 'Reading package lists' -e '^pbrx-build-images' <<<"$screen"
	# it ends with the summary: the images, the cache, the time
	id=$(jq -r '.images[0].id' "$TMP/doc.json")
	grep -Eq '^image +id +size +new/reused +time$' <<<"$screen"
	grep -Eqx "yamlcat-base:latest +${id:7:12} +[0-9.]+ MB +3/0 +[0-9.]+ s" <<<"$screen"
	grep -Eqx 'yamlcat:latest +[0-9a-f]{12} +[0-9.]+ MB +0/0 +[0-9.]+ s' <<<"$screen"
	grep -Eqx 'yamlcat-lint:latest +[0-9a-f]{12} +[0-9.]+ MB +1/0 +[0-9.]+ s' <<<"$screen"
	grep -qx 'cache: 0 of [0-9]* layers reused' <<<"$screen"
	# (image-assemble is on the path too, named when it took half a
	# second or more: how long it takes is the machine's)
	grep -Eq '^total [0-9.]+ s; critical path: (.* )?wheel-build [0-9.]+ s( > image-assemble [0-9.]+ s)?$' <<<"$(tail -n 2 <<<"$lines" | head -n 1)"
	grep -q '^waited longest on: builder packages [0-9.]* s (wheel-build)$' <<<"$(tail -n 1 <<<"$lines")"
	# colour on a terminal: the running steps bold, the output dim, the
	# summary's header bold
	grep -q $'\033\\[1m' <<<"$colour"
}

@test "on a terminal: NO_COLOR: no colour; a warm build's layers say cached" {
	on_terminal NO_COLOR=1 -- "$W/yamlcat"
	[ "$status" -eq 0 ]
	! grep -q $'\033\\[[0-9;]*m' <<<"$colour"
	grep -Eqx 'builder +packages +cached' <<<"$screen"
	grep -Eqx 'yamlcat-base +dependencies +cached' <<<"$screen"
	grep -q '^cache: 4 of 5 layers reused: ' <<<"$screen"
	# a layer --prepare found and image-assemble found again: said once
	[ "$(grep -Ec '^yamlcat-base +packages +cached$' <<<"$screen")" = 1 ]
}

@test "on a terminal: a failing step shows its argv and the end of its output" {
	on_terminal -- "$W/broken"
	[ "$status" -eq 1 ]
	all="$history
$screen"
	grep -q "^wheel-build: builder packages failed (exit status 100) after " <<<"$all"
	grep -q "^  argv: env DEBIAN_FRONTEND=noninteractive apt-get .* install .*no-such-package-pbrx" <<<"$all"
	grep -q "^  | E: Unable to locate package no-such-package-pbrx" <<<"$all"
	# the step stopped beside it is no failure of its own
	! grep -q "^image-assemble --prepare: .* failed" <<<"$all"
	# the run's last word: which stage failed
	[ "$(grep -v '^$' <<<"$screen" | tail -n 1)" = "pbrx-build-images: wheel-build failed (exit status 1) after ${screen##*failed (exit status 1) after }" ]
}

@test "in a log (plain): every line of container output prefixed with its image and step, each step's start and end" {
	[ ! -e "$W/plain.status" ]
	err=$(cat "$W/plain.err")
	# every line is a prefixed one, or the summary
	summary=${err#*$'\n\n'}
	[ "$summary" != "$err" ]
	! grep -v '^\[' <<<"${err%%$'\n\n'*}"
	grep -q '^\[builder packages\] run: env DEBIAN_FRONTEND=noninteractive apt-get update ' <<<"$err"
	# apt's and dpkg's chatter is left out of a log (-v shows it)
	! grep -e '^\[[^]]* packages\] Reading package lists' -e '^\[[^]]* packages\] Get:' \
		-e '^\[[^]]* packages\] Selecting previously unselected' \
		-e '^\[[^]]* packages\] Unpacking ' -e '^\[[^]]* packages\] Setting up ' \
		-e '^\[[^]]* packages\] (Reading database' <<<"$err"
	grep -q '^\[yamlcat-base packages\] run: env DEBIAN_FRONTEND=noninteractive apt-get .* install ' <<<"$err"
	grep -q '^\[builder packages\] done in [0-9.]* s$' <<<"$err"
	grep -q '^\[builder wheels\] done in [0-9.]* s$' <<<"$err"
	grep -q '^\[yamlcat-base dependencies\] wrote sha256:[0-9a-f]\{64\}$' <<<"$err"
	# pip in the builder keeps its info lines, prefixed: they hold why
	# an index could not be reached when a build fails
	grep -q '^\[builder wheels\] Processing ' <<<"$err"
	grep -q '^\[wheel-build\] start$' <<<"$err"
	grep -q '^\[wheel-build\] done in [0-9.]* s$' <<<"$err"
	# pip's warning about root is said no more
	! grep -q "Running pip as the 'root' user" <<<"$err"
	# no escape sequence in a log
	! grep -q $'\033' <<<"$err"
	# the summary, and the document has its facts
	grep -Eq '^yamlcat-base:latest +[0-9a-f]{12} +[0-9.]+ MB +3/0 +[0-9.]+ s$' <<<"$summary"
	[ "$(jq -c '[.images[] | .layer_counts]' "$W/plain.out")" = '[{"new":2,"reused":1},{"new":0,"reused":0},{"new":1,"reused":0}]' ]
	[ "$(jq '[.images[] | .seconds | numbers] | length' "$W/plain.out")" = 3 ]
	# the summary's facts in the document too: each image's layers, the
	# cache, the total time, the critical path, as stderr says them
	[ "$(jq -c '[.summary.images[] | [.ref, .new, .reused]]' "$W/plain.out")" = \
		'[["yamlcat-base:latest",3,0],["yamlcat:latest",0,0],["yamlcat-lint:latest",1,0]]' ]
	[ "$(jq -r '.summary.cache | "cache: \(.reused) of \(.layers) layers reused"' "$W/plain.out")" = \
		"$(grep '^cache: ' <<<"$summary")" ]
	grep -q "^total $(secs_text "$(jq '.summary.seconds' "$W/plain.out")"); critical path: " <<<"$summary"
	[ "$(jq -r '.summary.critical_path | map(.stage) | index("wheel-build") != null and index("image-assemble") != null' "$W/plain.out")" = true ]
	[ "$(jq -r '.summary.waited_longest_on | "\(.image) \(.step) (\(.stage))"' "$W/plain.out")" = "builder packages (wheel-build)" ]
	grep -q "^waited longest on: builder packages $(secs_text "$(jq '.summary.waited_longest_on.seconds' "$W/plain.out")") (wheel-build)$" <<<"$summary"
}

@test "in a log: a failing step shows its argv and the end of its output, then the failure" {
	run_split "${BUILD[@]}" --progress plain "$W/broken"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	grep -q "^wheel-build: builder packages failed (exit status 100) after " <<<"$err"
	grep -q "^  | E: Unable to locate package no-such-package-pbrx" <<<"$err"
	# apt's error in the log as it comes, its chatter not
	grep -qx '\[builder packages\] E: Unable to locate package no-such-package-pbrx' <<<"$err"
	! grep -q '^\[builder packages\] Reading package lists' <<<"$err"
	grep -q "^wheel-build: builder: step 3 of [0-9]* (packages) failed with exit code 100: env DEBIAN_FRONTEND=noninteractive apt-get " <<<"$err"
	grep -q '^\[yamlcat-base packages\] stopped after ' <<<"$err" ||
		! grep -q '^\[yamlcat-base packages\] run: ' <<<"$err"
	[[ "${err##*$'\n'}" == "pbrx-build-images: wheel-build failed (exit status 1) after "*" s" ]]
}

@test "--progress quiet: only the summary; a failure only its step and messages" {
	run_split "${BUILD[@]}" --progress quiet "$W/yamlcat"
	echo "$err"
	[ "$status" -eq 0 ]
	[ "${err%%$'\n'*}" = "" ]
	grep -Eq '^image +id +size +new/reused +time$' <<<"$err"
	[ "$(wc -l <<<"$err")" = 8 ]
	# PBRX_PROGRESS says the same; -q too
	PBRX_PROGRESS=quiet run_split "${BUILD[@]}" "$W/yamlcat"
	echo "$err"
	[ "$(wc -l <<<"$err")" = 8 ]
	run_split "${BUILD[@]}" -q "$W/yamlcat"
	echo "$err"
	[ "$(wc -l <<<"$err")" = 8 ]
	run_split "${BUILD[@]}" --progress quiet "$W/broken"
	echo "$err"
	[ "$status" -eq 1 ]
	! grep -q '^\[' <<<"$err"
	grep -q "^  | E: Unable to locate package no-such-package-pbrx" <<<"$err"
}

@test "-v shows everything: pip's progress lines too, apt's and dpkg's" {
	run_split "${BUILD[@]}" -v --progress plain --no-cache "$W/yamlcat"
	[ "$status" -eq 0 ]
	grep -q '^\[builder wheels\] Processing /tmp/pbrx/build$' <<<"$err"
	grep -q '^\[builder packages\] Reading package lists' <<<"$err"
	grep -q '^\[builder packages\] Get:[0-9]* ' <<<"$err"
	grep -q '^\[yamlcat-base packages\] Selecting previously unselected package dumb-init' <<<"$err"
	grep -q '^\[yamlcat-base packages\] Setting up dumb-init ' <<<"$err"
}

@test "--plan-only: the plan for people on stderr" {
	run_split "${BUILD[@]}" --plan-only "$W/yamlcat"
	[ "$status" -eq 0 ]
	grep -q '^plan: yamlcat 1.0 (names from setup.cfg), from pbrx-test/python:bookworm, packages by apt-get$' <<<"$err"
	grep -Eq '^  builder +packages: gcc libc6-dev libyaml-0-2 libyaml-dev python3-dev; extras: yamlcat_base, yamlcat_lint$' <<<"$err"
	grep -Eq '^  yamlcat-base +base +packages: dumb-init libyaml-0-2; extras: yamlcat_base$' <<<"$err"
	grep -Eq '^  yamlcat-lint +script +packages: none; extras: yamlcat_lint$' <<<"$err"
}

@test "a bad --progress is misuse" {
	run_split pbrx-build-images --progress fancy "$W/yamlcat"
	[ "$status" -eq 2 ]
	[ "${err%%$'\n'*}" = "pbrx-build-images: unknown progress mode 'fancy' (auto, tty, plain or quiet)" ]
	run_split image-assemble --progress fancy </dev/null
	[ "$status" -eq 2 ]
	[ "${err%%$'\n'*}" = "image-assemble: warning: unknown progress mode 'fancy' (auto, tty, plain or quiet)" ]
}
