#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# cfg-extras: data-driven cases under fixtures/cfg-extras/<case>/ in the
# format of tests/lib/fixture.bash: the case's tree is the project, and
# cfg-extras runs in (its copy of) it with no argument; env sets
# SOURCE_DATE_EPOCH where a case needs it.  PBRX_REGEN=1 rewrites the
# expectations for review.

load helpers
load lib/fixture

setup() {
	common_setup
	unset SOURCE_DATE_EPOCH GIT_DIR GIT_WORK_TREE
	FIX="$BATS_TEST_DIRNAME/fixtures/cfg-extras"
}

teardown() {
	common_teardown
}

@test "cfg-extras: every fixture case" {
	fixture_all cfg-extras "$FIX"
}

@test "cfg-extras: errors exit 2 with one line and nothing on stdout" {
	local c
	for c in "$FIX"/err-*/; do
		fixture_run cfg-extras "$c"
		[ "$fixture_status" = 2 ] || { echo "$c: status $fixture_status"; false; }
		[ ! -s "$TMP/out" ] || { echo "$c: stdout not empty"; false; }
		[ "$(wc -l <"$TMP/err")" = 1 ] || { echo "$c: not one line"; false; }
	done
}

@test "cfg-extras: the example project (pbrx documentation's foo)" {
	run_split cfg-extras "$PBRX_ROOT/examples/foo"
	[ "$status" = 0 ]
	[ -z "$err" ]
	[ "$(echo "$out" | jq -c '.project | [.name, .dir, [.scripts[].name], (.extras | keys_unsorted)]')" = \
		"[\"foo\",\"$PBRX_ROOT/examples/foo\",[\"foo-manage\",\"foo-scheduler\"],[\"foo_base\",\"foo_manage\"]]" ]
}

@test "cfg-extras: DIR defaults to the current directory; trailing slashes" {
	cp "$FIX/minimal/setup.cfg" "$TMP/"
	cd "$TMP"
	run_split cfg-extras
	[ "$status" = 0 ]
	[ "$(echo "$out" | jq -r .project.dir)" = "$(pwd -P)" ]
	cd /
	run_split cfg-extras "$TMP/nonexistent//"
	[ "$status" = 2 ]
	[ "$err" = "cfg-extras: $TMP/nonexistent//: No such file or directory" ]
}

@test "cfg-extras: other sections pass through in order; project replaced in place" {
	printf '{"zeta": [1, {"b": 2}], "project": {"old": true}, "alpha": null}' >"$TMP/in.json"
	cfg-extras "$FIX/minimal" <"$TMP/in.json" >"$TMP/out"
	run jq -c 'keys_unsorted, .zeta, .alpha, .project.name' "$TMP/out"
	[ "$output" = '["zeta","project","alpha"]
[1,{"b":2}]
null
"tiny"' ]
}

@test "cfg-extras: bad document on stdin" {
	# shellcheck disable=SC2016 # $1 is for the inner sh
	run_split sh -c 'echo "[1]" | cfg-extras "$1"' sh "$FIX/minimal"
	[ "$status" = 2 ]
	[ "$err" = "cfg-extras: <stdin>: expected a JSON object at the top level" ]
	[ -z "$out" ]
}

@test "cfg-extras: -h, --version, misuse" {
	check_stage_options cfg-extras "usage: cfg-extras [-h] [--version] [DIR]"
	run cfg-extras -h
	[ "$output" = "usage: cfg-extras [-h] [--version] [DIR]" ]
	run_split cfg-extras a b
	[ "$status" = 2 ]
	[ "$err" = "usage: cfg-extras [-h] [--version] [DIR]" ]
	run_split cfg-extras --bogus
	[ "$status" = 2 ]
	[ "$err" = "cfg-extras: unrecognized option '--bogus'
usage: cfg-extras [-h] [--version] [DIR]" ]
}

@test "cfg-extras: a failed write to stdout is an error" {
	local rc=0
	cfg-extras "$FIX/minimal" </dev/null >/dev/full 2>"$TMP/err" || rc=$?
	[ "$rc" = 1 ]
	[ "$(cat "$TMP/err")" = "cfg-extras: stdout: write error: No space left on device" ]
}

# The corpus of real setup.cfg files (tests/corpus/setup-cfg, from PyPI
# sdists, see setup-cfg-SOURCES.tsv) against what Python's configparser
# and pbr's and setuptools' rules make of them
# (tests/tools/setup-cfg-reference.py, run once into
# setup-cfg-expected.json).  Each file is the setup.cfg of a project
# directory with an empty setup.py, as the sdist had one (some name the
# project there), and the sdist's test-requirements.txt where it had one
# (pbr makes it the extra "test" of a project with [extras]).
@test "cfg-extras: every real setup.cfg of the corpus reads as configparser, pbr and setuptools read it" {
	local f base got want n=0 bad=0
	for f in "$PBRX_ROOT"/tests/corpus/setup-cfg/*.cfg; do
		base=${f##*/}
		rm -rf "$TMP/p"
		mkdir "$TMP/p"
		cp "$f" "$TMP/p/setup.cfg"
		: >"$TMP/p/setup.py"
		if [ -f "${f%.cfg}.test-requirements.txt" ]; then
			cp "${f%.cfg}.test-requirements.txt" "$TMP/p/test-requirements.txt"
		fi
		got=$(cfg-extras "$TMP/p" </dev/null |
			jq -Sc '.project | {name, version, scripts: [.scripts[].name], extras}') || got="exit $?"
		want=$(jq -Sc --arg k "$base" '.[$k] | {name, version, scripts, extras}' \
			"$PBRX_ROOT/tests/corpus/setup-cfg-expected.json")
		if [ "$got" != "$want" ]; then
			echo "$base: cfg-extras says $got"
			echo "$base: the reference  $want"
			bad=$((bad + 1))
		fi
		n=$((n + 1))
	done
	[ "$n" -ge 25 ]
	[ "$bad" = 0 ]
}

# pbr adds the extra "test" (test-requirements.txt) to the wheel of a
# project with an [extras] section, and leaves an extra without a
# requirement out: image-plan, comparing setup.cfg with the wheel, has
# nothing to warn about.
@test "cfg-extras: pbr's implicit 'test' extra and empty extras draw no warning from image-plan" {
	mkdir "$TMP/p"
	printf '[metadata]\nname = tested\n[entry_points]\nconsole_scripts =\n    tested = tested:main\n[extras]\ntested_base = requests\nempty =\n' \
		>"$TMP/p/setup.cfg"
	printf 'stestr>=2.0.0\n' >"$TMP/p/test-requirements.txt"
	# the metadata of the wheel pbr builds from it
	jq -c '.wheels = {"metadata": {"file": "tested-1.0-py3-none-any.whl", "name": "tested",
		"version": "1.0", "scripts": [{"name": "tested", "module": "tested",
		"callable": "main", "extras": []}],
		"extras": {"tested-base": ["requests ; extra == '"'"'tested-base'"'"'"],
			   "test": ["stestr>=2.0.0 ; extra == '"'"'test'"'"'"]},
		"requires_dist": [], "extensions": []}} | del(.project)' \
		"$BATS_TEST_DIRNAME/fixtures/image-plan/wheel-disagrees/stdin" >"$TMP/rest.json"
	cfg-extras "$TMP/p" <"$TMP/rest.json" >"$TMP/doc.json"
	[ "$(jq -c '.project.extras' "$TMP/doc.json")" = '{"tested_base":["requests"],"test":["stestr>=2.0.0"]}' ]
	run_split image-plan <"$TMP/doc.json"
	[ "$status" = 0 ]
	if grep -q 'setup.cfg' <<<"$err"; then
		echo "$err"
		false
	fi
}

# Python's own configparser (with pbr's and setuptools' rules, the
# reference above) is the judge: files generated from a fixed seed, with
# the corners real files rarely show.
@test "cfg-extras: agrees with Python's configparser, pbr and setuptools on 1500 generated setup.cfg files" {
	run python3 "$PBRX_ROOT/tests/tools/setup-cfg-differential.py" "$(command -v cfg-extras)" 1500 1
	echo "$output"
	[ "$status" = 0 ]
}
