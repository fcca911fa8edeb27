#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# progress-render, offline: recorded event streams (as the stages of a
# run write them with PBRX_PROGRESS=events, pbrx-progress(7)) rendered in
# each mode and compared with what a person is shown.
#   fixtures/progress-render/build.events    a run's events, ending with
#                                            the summary of built.json
#   fixtures/progress-render/failure.events  a step that fails after 150
#                                            lines of output
#   fixtures/progress-render/apt.events      apt-get's and dpkg's output (as
#                                            a Debian image's packages step
#                                            gave it), apk's, a failing
#                                            install
# PBRX_REGEN=1 writes the expected files again: review the diff.

load helpers

setup() {
	common_setup
	F=$PBRX_ROOT/tests/fixtures/progress-render
	# The summary event names the document by its path.
	sed "s|DOC|$F/built.json|" "$F/build.events" >"$TMP/build.events"
}

teardown() {
	common_teardown
}

# expect NAME: stderr ($err) is fixtures/progress-render/NAME.
expect() {
	if [ -n "${PBRX_REGEN:-}" ]; then
		printf '%s\n' "$err" >"$F/$1"
	fi
	diff -u "$F/$1" - <<<"$err"
}

@test "progress-render: the shared options" {
	check_stage_options progress-render "usage: progress-render [-hqv] [--version] [--progress MODE] [--width COLUMNS]"
}

@test "progress-render: plain: every line prefixed with its image and step, each step's and stage's time, the summary" {
	run_split progress-render --progress plain <"$TMP/build.events"
	[ "$status" -eq 0 ]
	[ "$out" = "" ]
	expect build.plain
}

@test "progress-render: quiet: warnings and the summary, no step" {
	run_split progress-render --progress quiet <"$TMP/build.events"
	[ "$status" -eq 0 ]
	expect build.quiet
	# -q is quiet whatever the mode
	run_split progress-render -q --progress plain <"$TMP/build.events"
	expect build.quiet
}

@test "progress-render: the summary: a table of images, the cache hits, the total and the critical path" {
	run_split progress-render --progress quiet <"$TMP/build.events"
	# a layer --prepare built is new, though image-assemble found it cached
	grep -Eqx 'yamlcat-base:latest +2504e89a389b +191\.0 MB +2/0 +0\.9 s' <<<"$err"
	grep -qx 'cache: 1 of 3 layers reused: builder packages' <<<"$err"
	# wheel-build and --prepare ran side by side: the run waited on
	# --prepare, whose own exit event dates its end (the driver's end
	# event for it came later)
	grep -qx 'total 4.7 s; critical path: image-assemble --prepare 3.3 s > image-assemble 1.0 s' <<<"$err"
	grep -qx 'waited longest on: yamlcat-base packages 3.1 s (image-assemble --prepare)' <<<"$err"
}

@test "progress-render: the summary's facts in the document, written whole where the event says" {
	sed "s|\"DOC\"|\"$F/built.json\",\"output\":\"$TMP/out.json\"|" "$F/build.events" >"$TMP/out.events"
	run_split progress-render --progress quiet <"$TMP/out.events"
	[ "$status" -eq 0 ]
	[ "$out" = "" ]
	# what stderr shows is unchanged
	expect build.quiet
	# the document as it was, the summary's section last
	[ "$(jq -c 'del(.summary)' "$TMP/out.json")" = "$(jq -c . "$F/built.json")" ]
	[ "$(jq -r 'keys_unsorted | last' "$TMP/out.json")" = summary ]
	# the same facts as the lines on stderr
	[ "$(jq -c '.summary.images' "$TMP/out.json")" = \
		'[{"ref":"yamlcat-base:latest","new":2,"reused":0,"seconds":0.9},{"ref":"yamlcat:latest","new":0,"reused":0,"seconds":0}]' ]
	[ "$(jq -c '.summary.cache' "$TMP/out.json")" = \
		'{"layers":3,"reused":1,"hits":[{"image":"builder","layer":"packages"}]}' ]
	[ "$(jq -c '.summary.seconds' "$TMP/out.json")" = 4.7 ]
	# every stage of the path, the short ones the line leaves out too
	[ "$(jq -c '.summary.critical_path' "$TMP/out.json")" = \
		'[{"stage":"cfg-extras","seconds":0},{"stage":"image-assemble --prepare","seconds":3.3},{"stage":"image-assemble","seconds":1}]' ]
	[ "$(jq -c '.summary.waited_longest_on' "$TMP/out.json")" = \
		'{"stage":"image-assemble --prepare","image":"yamlcat-base","step":"packages","seconds":3.1}' ]
	# times read as people write them
	grep -Eqx ' +"seconds": 4\.7,' "$TMP/out.json"
}

@test "progress-render: a document it cannot read: the summary shown, no document written" {
	printf '{"images": [' >"$TMP/bad.json"
	sed "s|\"DOC\"|\"$TMP/bad.json\",\"output\":\"$TMP/out.json\"|" "$F/build.events" >"$TMP/out.events"
	run_split progress-render --progress quiet <"$TMP/out.events"
	[ "$status" -eq 0 ]
	grep -q "^progress-render: warning: $TMP/bad.json:1:" <<<"$err"
	grep -qx 'total 4.7 s; critical path: image-assemble --prepare 3.3 s > image-assemble 1.0 s' <<<"$err"
	[ ! -e "$TMP/out.json" ]
	[ "$(find "$TMP" -name 'out.json*')" = "" ]
}

@test "progress-render: in a log, apt's and apk's chatter left out, their errors and warnings shown; -v and a failure show it all" {
	run_split progress-render --progress plain <"$F/apt.events"
	[ "$status" -eq 0 ]
	expect apt.plain
	# what a package manager fetched, unpacked and set up: not shown
	! grep -e 'Get:' -e 'Reading package lists' -e 'Selecting previously' -e 'Unpacking ' \
		-e 'Setting up ' -e '(Reading database' -e 'newly installed' -e '\]   dumb-init' \
		-e 'Installing dumb-init' -e 'OK: ' <<<"$err"
	# its warnings, what the packages' scripts say, the error: shown
	grep -qx '\[yamlcat-base packages\] W: a warning apt gives' <<<"$err"
	grep -qx "\\[yamlcat-base packages\\] a line of a package's own script" <<<"$err"
	grep -qx '\[builder packages\] E: Unable to locate package no-such-package-pbrx' <<<"$err"
	# the failing step's end: every line of it
	grep -qx '  its output, 3 lines:' <<<"$err"
	grep -qx '  | Reading package lists...' <<<"$err"
	grep -qx '  | E: Unable to locate package no-such-package-pbrx' <<<"$err"
	# -v: everything, as it came
	run_split progress-render -v --progress plain <"$F/apt.events"
	[ "$status" -eq 0 ]
	for line in 'Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]' \
		'Selecting previously unselected package dumb-init.' '  dumb-init libyaml-0-2' \
		'Setting up libyaml-0-2:amd64 (0.2.5-1) ...' '(1/2) Installing dumb-init (1.2.5-r3)' \
		'OK: 10 MiB in 29 packages'; do
		grep -qxF "] $line" <<<"$(sed 's/^\[[^]]*\]/]/' <<<"$err")"
	done
	[ "$(grep -c '^\[yamlcat-base packages\] ' <<<"$err")" = 30 ]
}

@test "progress-render: a failing step: its argv and the last 100 lines of its output, in every mode" {
	for mode in plain quiet tty; do
		run_split progress-render --progress "$mode" --width 60 <"$F/failure.events"
		[ "$status" -eq 0 ]
		# a terminal's control sequences left out
		err=$(sed $'s/\r//; s/\033\\[[0-9;]*[A-Za-z]//g' <<<"$err")
		grep -q "image-assemble: yamlcat-lint install failed (exit status 3) after 2.0 s" <<<"$err"
		grep -qx "  argv: sh -c 'seq 150; exit 3'" <<<"$err"
		grep -qx "  its output (the end), 100 lines:" <<<"$err"
		[ "$(grep -c '^  | ' <<<"$err")" = 100 ]
		grep -qx '  | 51' <<<"$err"
		! grep -qx '  | 50' <<<"$err"
		grep -qx '  | 150' <<<"$err"
		# the stage's own message comes after the step's output
		tail=$(grep -n -x '  | 150' <<<"$err" | cut -d: -f1)
		said=$(grep -n -F "image-assemble: yamlcat-lint: step install failed (exit status 3): sh -c 'seq 150; exit 3'" <<<"$err" | cut -d: -f1)
		[ "$tail" -lt "$said" ]
	done
	run_split progress-render --progress plain <"$F/failure.events"
	expect failure.plain
}

@test "progress-render: tty: live lines redrawn in place, folded to one line with the time when done, cut to the width" {
	run_split progress-render --progress tty --width 64 <"$TMP/build.events"
	[ "$status" -eq 0 ]
	# the live area is written over at each redraw: up N lines, each
	# line's end cleared; never the whole screen cleared (a terminal may
	# keep it in its scrollback)
	grep -q $'^\r\033\\[[0-9]*A' <<<"$err"
	grep -q $'\033\\[K$' <<<"$err"
	! grep -q $'\033\\[J' <<<"$err"
	# the lines that stay: one per step, with its time, or cached
	screen=$(sed $'s/\r//; s/\033\\[[0-9;]*[A-Za-z]//g' <<<"$err")
	grep -qx 'builder       packages      cached' <<<"$screen"
	grep -qx 'yamlcat-base  packages      3.1 s' <<<"$screen"
	grep -qx 'builder       wheels        3.2 s' <<<"$screen"
	# a running step's line shows its command without env's VAR=VALUE
	grep -q '^yamlcat-base  packages      apt-get update  [0-9.]* s$' <<<"$screen"
	# no line is wider than the terminal
	[ "$(sed $'s/\r//; s/\033\\[[0-9;]*[A-Za-z]//g' <<<"$err" | awk '{ if (length($0) > 63) n++ } END { print n + 0 }')" = 0 ]
	# no colour but on a terminal
	! grep -q $'\033\\[[0-9;]*m' <<<"$err"
}

@test "progress-render: tty: the image column as wide as the plan's longest name from the start" {
	printf '{"plan": {"images": [{"name": "pbrx-demo/yamlcat-base"}, {"name": "pbrx-demo/yamlcat"}]}}\n' >"$TMP/plan.json"
	{
		printf '\036{"t":1.0,"e":"stage","stage":"wheel-build","state":"start","document":"%s"}\n' "$TMP/plan.json"
		printf '\036{"t":1.1,"e":"layer","stage":"wheel-build","image":"builder","step":"packages","ref":"c:1","cached":true}\n'
		printf '\036{"t":1.2,"e":"layer","stage":"wheel-build","image":"pbrx-demo/yamlcat-base","step":"packages","ref":"c:2","cached":true}\n'
		printf '\036{"t":1.3,"e":"stage","stage":"wheel-build","state":"end","status":0}\n'
	} >"$TMP/wide.events"
	run_split progress-render --progress tty --width 80 <"$TMP/wide.events"
	[ "$status" -eq 0 ]
	screen=$(sed $'s/\r//; s/\033\\[[0-9;]*[A-Za-z]//g' <<<"$err")
	grep -qx 'builder                 packages      cached' <<<"$screen"
	grep -qx 'pbrx-demo/yamlcat-base  packages      cached' <<<"$screen"
	# a document without a plan, or none: the width seen so far
	sed "s|$TMP/plan.json|$TMP/none.json|" "$TMP/wide.events" >"$TMP/none.events"
	run_split progress-render --progress tty --width 80 <"$TMP/none.events"
	[ "$status" -eq 0 ]
	[ "$err" != "" ]
	grep -q '^builder       packages      cached' <<<"$(sed $'s/\r//; s/\033\\[[0-9;]*[A-Za-z]//g' <<<"$err")"
}

@test "progress-render: -v shows the notes; plain shows info lines, quiet does not" {
	run_split progress-render --progress plain <"$TMP/build.events"
	grep -qx 'wheel-build: a message for people' <<<"$err"
	! grep -q 'a note' <<<"$err"
	run_split progress-render -v --progress plain <"$TMP/build.events"
	grep -qx 'wheel-build: a note, only with -v' <<<"$err"
	run_split progress-render --progress quiet <"$TMP/build.events"
	! grep -q 'a message for people' <<<"$err"
}

@test "progress-render: text that is not an event is shown as it came; a broken event too" {
	printf 'plain text\n\036{"e":"msg","level":"warn","text":"w"}\n\036{broken\n' >"$TMP/in"
	run_split progress-render --progress plain <"$TMP/in"
	[ "$status" -eq 0 ]
	[ "$err" = "plain text
w
{broken" ]
}

@test "progress-render: a bad mode is misuse" {
	run_split progress-render --progress fancy </dev/null
	[ "$status" -eq 2 ]
	[ "${err%%$'\n'*}" = "progress-render: warning: unknown progress mode 'fancy' (auto, tty, plain or quiet)" ]
}

@test "progress-render: the close event ends it, though a process left behind holds its input open" {
	mkfifo "$TMP/in"
	{
		printf '\036{"e":"msg","level":"warn","text":"before"}\n\036{"e":"close"}\nafter\n'
		exec sleep 30
	} >"$TMP/in" 3>&- &
	writer=$!
	run_split timeout 20 progress-render --progress plain <"$TMP/in"
	kill "$writer"
	[ "$status" -eq 0 ]
	[ "$err" = "before" ]
}
