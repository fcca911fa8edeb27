#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Bad documents for every pure stage: each value a stage reads replaced by
# the wrong type or removed, truncated JSON, huge arrays.  Whatever the
# input: exit 0 with a whole document, or exit 2 with one line on stderr
# and nothing on stdout; never a crash.

load helpers

setup() {
	common_setup
	cfg-extras "$PBRX_ROOT/examples/foo" |
		bindep-filter --os-release "$CORPUS/os-release/alpine-3.20" >"$TMP/doc.json"
	jq '. + {base: {image: "x", os_release: {ID: "alpine", VERSION_ID: "3.20.3"}}}' \
		"$TMP/doc.json" >"$TMP/doc-base.json"
}
teardown() { common_teardown; }

# check_outcome TOOL: judge the last run (rc, $TMP/out, $TMP/err).
check_outcome() {
	local tool=$1 what=$2
	case $rc in
	0)
		jq -e 'type == "object"' "$TMP/out" >/dev/null ||
			{ echo "$what: exit 0 but stdout is not a document"; return 1; } ;;
	2)
		if [ -s "$TMP/out" ]; then
			echo "$what: exit 2 with output on stdout"
			return 1
		fi
		if [ "$(wc -l <"$TMP/err")" -ne 1 ] || ! grep -q "^$tool: " "$TMP/err"; then
			echo "$what: not one '$tool:' line:"
			cat "$TMP/err"
			return 1
		fi ;;
	*)
		echo "$what: exit $rc"
		cat "$TMP/err"
		return 1 ;;
	esac
}

# mutate_all TOOL DOC SECTION...: every path under the sections, set to a
# number, to a string, to an empty array, and deleted.
mutate_all() {
	local tool=$1 doc=$2 n=0 failed=0 path value
	shift 2
	local filter
	filter=$(printf '.[0] == "%s" or ' "$@")
	while read -r path; do
		for value in 7 '"x"' '[]' '{}' delete; do
			if [ "$value" = delete ]; then
				jq --argjson p "$path" 'delpaths([$p])' "$doc" >"$TMP/in"
			else
				jq --argjson p "$path" --argjson v "$value" 'setpath($p; $v)' "$doc" >"$TMP/in"
			fi
			rc=0
			# shellcheck disable=SC2086 # TOOL_ARGS is a word list
			"$tool" ${TOOL_ARGS:-} <"$TMP/in" >"$TMP/out" 2>"$TMP/err" || rc=$?
			check_outcome "$tool" "$path := $value" || failed=$((failed + 1))
			n=$((n + 1))
		done
	done < <(jq -c "paths | select(${filter% or })" "$doc")
	echo "$n mutated documents, $failed bad outcomes"
	[ "$n" -gt 50 ]
	[ "$failed" -eq 0 ]
}

@test "image-plan: every value it reads with the wrong type, or missing" {
	mutate_all image-plan "$TMP/doc.json" project bindep
}

@test "image-plan: a wrong type names its JSON path" {
	jq '.bindep.selections.runtime = 7' "$TMP/doc.json" >"$TMP/in"
	rc=0
	image-plan <"$TMP/in" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 2 ]
	[ ! -s "$TMP/out" ]
	grep -q '\.bindep\.selections\.runtime' "$TMP/err"
}

@test "bindep-filter: every value of base and project with the wrong type, or missing" {
	TOOL_ARGS="-f $PBRX_ROOT/examples/foo/bindep.txt" mutate_all bindep-filter "$TMP/doc-base.json" base project
}

@test "truncated documents: exit 2, line and column, nothing on stdout" {
	local size cut failed=0 n=0 tool
	size=$(wc -c <"$TMP/doc.json")
	for tool in bindep-filter image-plan cfg-extras; do
		for cut in $(seq 1 37 "$((size - 2))"); do
			head -c "$cut" "$TMP/doc.json" >"$TMP/in"
			rc=0
			if [ "$tool" = cfg-extras ]; then
				"$tool" "$PBRX_ROOT/examples/foo" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" || rc=$?
			else
				"$tool" --platform apk <"$TMP/in" >"$TMP/out" 2>"$TMP/err" || rc=$?
			fi
			n=$((n + 1))
			if [ "$rc" -ne 2 ] || [ -s "$TMP/out" ] ||
				! grep -Eq "^$tool: <stdin>:[0-9]+:[0-9]+: " "$TMP/err"; then
				echo "$tool, $cut bytes: exit $rc: $(cat "$TMP/err")"
				failed=$((failed + 1))
			fi
		done
	done
	echo "$n truncated documents"
	[ "$failed" -eq 0 ]
}

@test "huge arrays: unknown sections pass through; 500 console scripts plan" {
	jq '. + {other: [range(0; 200000)]}' "$TMP/doc.json" >"$TMP/in"
	image-plan <"$TMP/in" >"$TMP/out"
	[ "$(jq '.other | length' "$TMP/out")" -eq 200000 ]
	{
		printf '[metadata]\nname = many\n[entry_points]\nconsole_scripts =\n'
		for i in $(seq 1 500); do printf '    many-%d = many.cli:main%d\n' "$i" "$i"; done
	} >"$TMP/setup.cfg"
	cfg-extras "$TMP" | bindep-filter --platform apk -f "$PBRX_ROOT/examples/foo/bindep.txt" |
		image-plan >"$TMP/out"
	[ "$(jq '.plan.images | length' "$TMP/out")" -eq 501 ]
}

@test "not JSON at all: binary, NUL bytes, invalid UTF-8, a lone value" {
	local input tool
	for input in '\x00\x01\x02' '{"a": "\xff"}' '"just a string"' '{"a": 1} {"b": 2}' '{"a": 1, "a": 2}'; do
		for tool in bindep-filter image-plan; do
			printf '%b' "$input" >"$TMP/in"
			rc=0
			"$tool" --platform apk <"$TMP/in" >"$TMP/out" 2>"$TMP/err" || rc=$?
			[ "$rc" -eq 2 ] || { echo "$tool on $input: exit $rc"; false; }
			[ ! -s "$TMP/out" ]
			[ "$(wc -l <"$TMP/err")" -eq 1 ]
		done
	done
}

@test "--output: a bad value is one line naming it, exit 2, nothing on stdout, nothing made" {
	local v tool
	cd "$TMP"
	for v in '' oci oci: oci-archive: docker OCI:x tar:x ' oci:x' engine:x; do
		for tool in image-assemble pbrx-build-images; do
			rc=0
			"$tool" --output "$v" <"$TMP/doc.json" >"$TMP/out" 2>"$TMP/err" || rc=$?
			check_outcome "$tool" "$tool --output '$v'"
			[ "$rc" -eq 2 ]
			[ "$(cat "$TMP/err")" = "$tool: --output: expected engine, oci:DIR or oci-archive:FILE, not '$v'" ]
		done
	done
	# a good value, a bad document: the document's line, no layout
	rc=0
	image-assemble --output "oci:$TMP/layout" <"$TMP/doc.json" >"$TMP/out" 2>"$TMP/err" || rc=$?
	check_outcome image-assemble "a document without a plan"
	[ "$rc" -eq 2 ]
	grep -q "^image-assemble: <stdin>: .plan: missing" "$TMP/err"
	[ "$(find "$TMP" -maxdepth 1 -name "layout*")" = "" ]
	# a target that is not a layout is never replaced
	mkdir -p "$TMP/notlayout" "$TMP/dir.tar"
	echo keep >"$TMP/notlayout/file"
	echo keep >"$TMP/file"
	for v in "oci:$TMP/notlayout" "oci:$TMP/file" "oci-archive:$TMP/dir.tar"; do
		rc=0
		image-assemble --output "$v" <"$TMP/doc.json" >"$TMP/out" 2>"$TMP/err" || rc=$?
		check_outcome image-assemble "--output $v"
		[ "$rc" -eq 2 ]
	done
	[ "$(cat "$TMP/err")" = "image-assemble: $TMP/dir.tar: not a regular file: not replaced" ]
	image-assemble --output "oci:$TMP/notlayout" <"$TMP/doc.json" 2>"$TMP/err" || :
	[ "$(cat "$TMP/err")" = "image-assemble: $TMP/notlayout: not empty and not an OCI image layout: not replaced" ]
	image-assemble --output "oci:$TMP/file" <"$TMP/doc.json" 2>"$TMP/err" || :
	[ "$(cat "$TMP/err")" = "image-assemble: $TMP/file: not a directory: not replaced" ]
	[ "$(cat "$TMP/notlayout/file" "$TMP/file")" = "keep
keep" ]
	# the driver's other misuse: with --push, with --plan-only
	rc=0
	pbrx-build-images --output "oci:$TMP/layout" --push "$PBRX_ROOT/examples/foo" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 2 ]
	[ "$(head -n 1 "$TMP/err")" = "pbrx-build-images: --push pushes what the engine has: not with --output oci:$TMP/layout" ]
	rc=0
	pbrx-build-images --plan-only --output=oci-archive:x.tar "$PBRX_ROOT/examples/foo" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 2 ]
	[ "$(head -n 1 "$TMP/err")" = "pbrx-build-images: --output needs images: not with --plan-only" ]
	[ ! -s "$TMP/out" ]
}

@test "valgrind: the pure stages leak nothing and make no memory errors" {
	local V="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99"
	# valgrind can't run ASan binaries: built with make SANITIZE=1, the
	# same runs are checked by ASan, UBSan and LeakSanitizer instead.
	if nm "$PBRX_ROOT/build/bin/cfg-extras" | grep -q __asan_init; then
		V=""
		export ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:exitcode=99
	fi
	$V cfg-extras "$PBRX_ROOT/examples/foo" </dev/null >"$TMP/1.json"
	$V bindep-filter --os-release "$CORPUS/os-release/debian-12" <"$TMP/1.json" >"$TMP/2.json"
	$V image-plan --prefix acme --mirror http://deb.example/debian <"$TMP/2.json" >"$TMP/3.json"
	$V bindep-filter --brief -f "$CORPUS/bindep/openstack__nova.txt" --os-release "$CORPUS/os-release/ubuntu" compile >/dev/null
	# and on the error paths
	rc=0
	printf 'x [\n' | $V bindep-filter -f - --platform dpkg 2>/dev/null || rc=$?
	[ "$rc" -eq 2 ]
	rc=0
	echo '{"bindep": 7}' | $V image-plan 2>/dev/null >/dev/null || rc=$?
	[ "$rc" -eq 2 ]
	rc=0
	$V cfg-extras "$TMP" </dev/null 2>/dev/null >/dev/null || rc=$?
	[ "$rc" -eq 2 ]
}
