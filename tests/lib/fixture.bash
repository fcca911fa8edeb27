# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# The one runner of data-driven cases (tests/fixtures/TOOL/...).  A case is
# a directory:
#   args    the tool's arguments, one a line           (default: none)
#   env     VAR=value lines added to the environment   (default: none)
#   stdin   the tool's standard input                  (default: /dev/null)
#   stdout  the expected standard output               (default: empty)
#   stderr  the expected standard error, exactly       (default: empty)
#   status  the expected exit status                   (default: 0)
# Any other file is the case's tree: the directory is copied to $TMP/CASE
# and the tool runs there.  In args, env and stdin @DIR@ is that copy and
# @CORPUS@ tests/corpus; in the output the copy's path is put back as
# @DIR@ before the comparison.
# PBRX_REGEN=1 rewrites stdout, stderr and status from the current build
# (a file that would hold the default is removed): review the diff.

# fixture_subst DIR: stdin to stdout, @DIR@ and @CORPUS@ replaced.
fixture_subst() {
	sed -e "s|@DIR@|$1|g" -e "s|@CORPUS@|$CORPUS|g"
}

# fixture_run TOOL CASE: run TOOL for the case directory CASE.  Leaves
# $TMP/in (the input, when the case has one), $TMP/out and $TMP/err (the
# output, @DIR@ put back), $TMP/out.raw (stdout as it was) and
# $fixture_status.
fixture_run() {
	local tool=$1 case=${2%/} dir line in
	local -a args=() envs=()
	dir=$TMP/${case##*/}
	mkdir -p "$dir"
	cp -R "$case/." "$dir/"
	if [ -f "$case/args" ]; then
		while IFS= read -r line; do
			line=${line//@DIR@/$dir}
			args+=("${line//@CORPUS@/$CORPUS}")
		done <"$case/args"
	fi
	if [ -f "$case/env" ]; then
		mapfile -t envs < <(fixture_subst "$dir" <"$case/env")
	fi
	in=/dev/null
	if [ -f "$case/stdin" ]; then
		in=$TMP/in
		fixture_subst "$dir" <"$case/stdin" >"$in"
	fi
	fixture_status=0
	(cd "$dir" && env "${envs[@]}" "$tool" "${args[@]}" <"$in" >"$TMP/out.raw" 2>"$TMP/err.raw") ||
		fixture_status=$?
	sed "s|$dir|@DIR@|g" "$TMP/out.raw" >"$TMP/out"
	sed "s|$dir|@DIR@|g" "$TMP/err.raw" >"$TMP/err"
}

# fixture_expected CASE FILE DEFAULT: the expected FILE of CASE, on stdout.
fixture_expected() {
	if [ -f "$1/$2" ]; then
		cat "$1/$2"
	else
		printf '%s' "$3"
	fi
}

# fixture_check CASE: the last run against CASE's expectations; says what
# differs, and fails then.
fixture_check() {
	local case=${1%/} name=${1%/} want ok=0
	name=${name##*/}
	want=$(fixture_expected "$case" status 0)
	if [ "$fixture_status" != "$want" ]; then
		echo "$name: exit status $fixture_status, expected $want"
		ok=1
	fi
	diff -u <(fixture_expected "$case" stdout '') "$TMP/out" || { echo "$name: stdout differs"; ok=1; }
	diff -u <(fixture_expected "$case" stderr '') "$TMP/err" || { echo "$name: stderr differs"; ok=1; }
	return "$ok"
}

# fixture_regen CASE: the last run's output as CASE's expectations.
fixture_regen() {
	local case=${1%/} f
	for f in out err; do
		if [ -s "$TMP/$f" ]; then
			cp "$TMP/$f" "$case/std$f"
		else
			rm -f "$case/std$f"
		fi
	done
	if [ "$fixture_status" != 0 ]; then
		echo "$fixture_status" >"$case/status"
	else
		rm -f "$case/status"
	fi
}

# fixture_all TOOL DIR: every case under DIR (or PBRX_REGEN=1: rewrite
# them).  Sets $fixture_count; fails when any case differs.
fixture_all() {
	local tool=$1 case failed=0
	fixture_count=0
	for case in "$2"/*/; do
		fixture_count=$((fixture_count + 1))
		fixture_run "$tool" "$case"
		if [ -n "${PBRX_REGEN:-}" ]; then
			fixture_regen "$case"
		elif ! fixture_check "$case"; then
			failed=$((failed + 1))
		fi
	done
	echo "$fixture_count cases, $failed failed"
	[ "$failed" -eq 0 ]
}
