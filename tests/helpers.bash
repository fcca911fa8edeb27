# SPDX-License-Identifier: Apache-2.0
# Shared by every bats file: the built tools first on PATH, a C locale,
# and a fresh temp dir ($TMP) removed after each test.

PBRX_ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
# A copy of the shared test corpus (real bindep files, os-release files of
# many distributions; see tests/corpus/README.md), so a clean clone tests
# without anything outside the repository.
CORPUS="$PBRX_ROOT/tests/corpus"
export PBRX_ROOT CORPUS

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

# refute CMD...: fail when CMD succeeds.  Not "! CMD": bats (set -e)
# ignores a negated command's status except as a test's last command.
refute() {
	if "$@"; then
		echo "refute: succeeded: $*" >&2
		return 1
	fi
}
