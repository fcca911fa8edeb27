# SPDX-License-Identifier: Apache-2.0
# Shared by every bats file: the built tools first on PATH, a C locale,
# and a fresh temp dir ($TMP) removed after each test.

PBRX_ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
# A copy of the shared test corpus (real bindep files, os-release files of
# many distributions; see tests/corpus/README.md), so a clean clone tests
# without anything outside the repository.
CORPUS="$PBRX_ROOT/tests/corpus"
export PBRX_ROOT CORPUS
# shellcheck source=tests/lib/service.bash
. "$PBRX_ROOT/tests/lib/service.bash"

common_setup() {
	PATH="$PBRX_ROOT/build/bin:$PATH"
	export PATH LC_ALL=C
	TMP="$(mktemp -d "${TMPDIR:-/tmp}/pbrx-test.XXXXXX")"
	export TMP
}

common_teardown() {
	if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
		rm -rf "$TMP"
	fi
}

# run_split CMD...: like bats' run, but keeps stdout in $out and stderr in
# $err separately (the document contract puts nothing but JSON on stdout).
run_split() {
	local rc=0
	"$@" >"$TMP/.out" 2>"$TMP/.err" || rc=$?
	status=$rc
	out="$(cat "$TMP/.out")"
	err="$(cat "$TMP/.err")"
}

# test_program unit/NAME|tools/NAME: the path of a test program, built
# by make check (make test-programs) as the tools are; fails saying so
# when it is missing.
test_program() {
	local p=$PBRX_ROOT/build/tests/$1
	if [ ! -x "$p" ]; then
		echo "$p: missing: make test-programs (make check builds it)" >&2
		return 1
	fi
	printf '%s\n' "$p"
}

# check_stage_options TOOL USAGE: what every tool does with the options
# all of them share (base/stage): -h prints USAGE as its first line on
# stdout, --version "TOOL VERSION", an unknown option exits 2 with
# getopt's line on stderr and nothing on stdout.
check_stage_options() {
	local tool=$1 usage=$2
	run_split "$tool" -h
	[ "$status" -eq 0 ]
	[ "${out%%$'\n'*}" = "$usage" ]
	run_split "$tool" --version
	[ "$status" -eq 0 ]
	[[ "$out" == "$tool "[0-9]* ]]
	run_split "$tool" --bogus </dev/null
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "${err%%$'\n'*}" = "$tool: unrecognized option '--bogus'" ]
}

# refute CMD...: fail when CMD succeeds.  Not "! CMD": bats (set -e)
# ignores a negated command's status except as a test's last command.
refute() {
	if "$@"; then
		echo "refute: succeeded: $*" >&2
		return 1
	fi
}

