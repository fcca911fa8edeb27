#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# bindep-filter: bindep's grammar and selection rules, platform atoms from
# os-release files, the document contract, and every error message.

load helpers
load lib/fixture

setup() { common_setup; }
teardown() { common_teardown; }

FIX="$BATS_TEST_DIRNAME/fixtures/bindep-filter"
EXAMPLE="$BATS_TEST_DIRNAME/corpus/bindep/pbrx-docs-example.txt"
OSR="$BATS_TEST_DIRNAME/corpus/os-release"

@test "grammar and semantics cases (tests/fixtures/bindep-filter/cases)" {
	fixture_all bindep-filter "$FIX/cases"
	[ "$fixture_count" -gt 50 ]
}

@test "the example of pbrx's documentation on Alpine 3.20: compile and runtime packages" {
	run bindep-filter --brief --os-release "$OSR/alpine-3.20" -f "$EXAMPLE" compile
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' gcc libffi libffi-dev libressl-dev linux-headers make musl-dev)" ]
	run bindep-filter --brief --os-release "$OSR/alpine-3.20" -f "$EXAMPLE"
	[ "$status" -eq 0 ]
	[ "$output" = "libffi" ]
}

@test "platform atoms of every os-release in the corpus" {
	local f name got failed=0
	while IFS=: read -r name want; do
		got=$(bindep-filter -f "$EXAMPLE" --os-release "$OSR/$name" </dev/null |
			jq -r '.bindep.platform.atoms | join(" ")')
		if [ " $got" != "$want" ]; then
			echo "$name: got '$got', want '${want# }'"
			failed=1
		fi
	done <"$FIX/atoms.expected"
	[ "$(wc -l <"$FIX/atoms.expected")" -eq "$(find "$OSR" -type f | wc -l)" ]
	[ "$failed" -eq 0 ]
}

@test "atoms of each os-release family, written out by hand (atoms.by-hand)" {
	local name want got failed=0 n=0
	while IFS=: read -r name want; do
		case "$name" in '#'* | '') continue ;; esac
		got=$(bindep-filter -f "$EXAMPLE" --os-release "$OSR/$name" </dev/null |
			jq -r '.bindep.platform.atoms | map(sub("^platform:"; "")) | join(" ")')
		if [ " $got" != "$want" ]; then
			echo "$name: got '$got', want '${want# }'"
			failed=1
		fi
		n=$((n + 1))
	done <"$FIX/atoms.by-hand"
	[ "$n" -eq 18 ]
	[ "$failed" -eq 0 ]
}

@test "atoms: VERSION_ID missing, version from PRETTY_NAME" {
	printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$TMP/osr"
	run bindep-filter -f "$EXAMPLE" --os-release "$TMP/osr" </dev/null
	[ "$(echo "$output" | jq -r '.bindep.platform.version')" = "12" ]
}

@test "--platform alone gives exactly those atoms, with or without the prefix" {
	run bindep-filter -f "$EXAMPLE" --platform alpine --platform platform:apk </dev/null
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c .bindep.platform)" = '{"source":"platform","atoms":["platform:alpine","platform:apk"]}' ]
}

@test "--os-release plus --platform adds atoms" {
	run bindep-filter -f "$EXAMPLE" --os-release "$OSR/debian-12" --platform extra </dev/null
	[ "$(echo "$output" | jq -r '.bindep.platform.atoms[-1]')" = "platform:extra" ]
}

@test "platform from the base image's os-release in the document" {
	echo '{"base": {"image": "x", "os_release": {"ID": "alpine", "VERSION_ID": "3.20.3"}}}' |
		bindep-filter -f "$EXAMPLE" >"$TMP/doc"
	[ "$(jq -r .bindep.platform.source "$TMP/doc")" = base ]
	[ "$(jq -r '.bindep.selections.runtime.packages[].name' "$TMP/doc")" = libffi ]
	# the image's own os-release decides, never its name
	echo '{"base": {"image": "alpine-looking", "os_release": {"ID": "debian", "VERSION_ID": "12"}}}' |
		bindep-filter -f "$EXAMPLE" >"$TMP/doc"
	[ "$(jq -r '.bindep.selections.compile.packages[].name' "$TMP/doc")" = libffi-dev ]
}

@test "no option and no base: the host's os-release" {
	run_split bindep-filter -f "$EXAMPLE" </dev/null
	[ "$status" -eq 0 ]
	[ "$(echo "$out" | jq -r .bindep.platform.source)" = host ]
	[ "$(echo "$out" | jq -r .bindep.platform.os_release)" = /etc/os-release ]
}

@test "document: runtime and compile selections with constraints and lines" {
	printf 'libfoo [compile] >=1.0,<2.0\nlibfoo [compile] >=1.0\nlibbar\n' >"$TMP/b.txt"
	run_split bindep-filter -f "$TMP/b.txt" --platform dpkg </dev/null
	[ "$status" -eq 0 ]
	[ "$(echo "$out" | jq -c .bindep.selections)" = '{"runtime":{"profiles":["default"],"packages":[{"name":"libbar","constraints":[],"lines":[3]}]},"compile":{"profiles":["compile"],"packages":[{"name":"libbar","constraints":[],"lines":[3]},{"name":"libfoo","constraints":[">=1.0","<2.0"],"lines":[1,2]}]}}' ]
}

@test "document: named selections NAME=P1,P2 and a plain profile" {
	run_split bindep-filter -f "$EXAMPLE" --platform apk build=compile,test test </dev/null
	[ "$status" -eq 0 ]
	[ "$(echo "$out" | jq -r '.bindep.selections | keys_unsorted | join(" ")')" = "build selected" ]
	[ "$(echo "$out" | jq -c '.bindep.selections.build.profiles')" = '["compile","test"]' ]
}

@test "document: other sections kept untouched and in order, bindep replaced in place" {
	printf '{"zeta": {"b": 1, "a": [3, 2]}, "bindep": {"old": true}, "alpha": "x", "u": "\\u00e9"}' >"$TMP/in"
	bindep-filter -f "$EXAMPLE" --platform apk <"$TMP/in" >"$TMP/out"
	[ "$(jq -r 'keys_unsorted | join(" ")' "$TMP/out")" = "zeta bindep alpha u" ]
	[ "$(jq -c .zeta "$TMP/out")" = '{"b":1,"a":[3,2]}' ]
	[ "$(jq -r .u "$TMP/out")" = "é" ]
	[ "$(jq -r .bindep.old "$TMP/out")" = null ]
}

@test "document: empty stdin means {}" {
	run_split bindep-filter -f "$EXAMPLE" --platform apk <<<""
	[ "$status" -eq 0 ]
	[ "$(echo "$out" | jq -r 'keys | join(" ")')" = "bindep" ]
}

@test "document: bad JSON exits 2 with line and column, nothing on stdout" {
	run_split bindep-filter -f "$EXAMPLE" --platform apk < <(printf '{"a": 1,\n  "b": }')
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "bindep-filter: <stdin>:2:8: unexpected token near '}'" ]
	run_split bindep-filter -f "$EXAMPLE" --platform apk <<<'[1]'
	[ "$status" -eq 2 ]
	[ "$err" = "bindep-filter: <stdin>: expected a JSON object at the top level" ]
	run_split bindep-filter -f "$EXAMPLE" <<<'{"base": {"os_release": "alpine"}}'
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "bindep-filter: <stdin>: .base.os_release: expected an object" ]
}

@test "-f - reads the bindep file from stdin" {
	run_split bindep-filter -f - --brief --platform apk < "$EXAMPLE"
	[ "$status" -eq 0 ]
	[ "$out" = libffi ]
	run_split bindep-filter -f - --platform apk < <(printf 'gcc [\n')
	[ "$status" -eq 2 ]
	[ "$err" = "bindep-filter: <stdin>:1:6: missing ']' at the end of the line" ]
}

@test "file lookup: bindep.txt, then other-requirements.txt, never both" {
	cd "$TMP"
	run_split bindep-filter --brief --platform dpkg
	[ "$status" -eq 2 ]
	[ "$err" = "bindep-filter: neither bindep.txt nor other-requirements.txt exists; use -f FILE" ]
	echo old-pkg >other-requirements.txt
	run_split bindep-filter --brief --platform dpkg
	[ "$out" = old-pkg ]
	echo new-pkg >bindep.txt
	run_split bindep-filter --brief --platform dpkg
	[ "$status" -eq 2 ]
	[ "$err" = "bindep-filter: both bindep.txt and other-requirements.txt exist, choose one with -f" ]
	rm other-requirements.txt
	run_split bindep-filter --brief --platform dpkg
	[ "$out" = new-pkg ]
}

@test "in a pipeline the bindep file is the project's" {
	mkdir "$TMP/proj"
	echo proj-pkg >"$TMP/proj/bindep.txt"
	run_split bindep-filter --platform dpkg <<<"{\"project\": {\"name\": \"p\", \"dir\": \"$TMP/proj\"}}"
	[ "$status" -eq 0 ]
	[ "$(echo "$out" | jq -r .bindep.file)" = "$TMP/proj/bindep.txt" ]
	rm "$TMP/proj/bindep.txt"
	run_split bindep-filter --platform dpkg <<<"{\"project\": {\"name\": \"p\", \"dir\": \"$TMP/proj\"}}"
	[ "$status" -eq 0 ]
	[ "$err" = "bindep-filter: warning: $TMP/proj: no bindep.txt or other-requirements.txt: no distro packages selected" ]
	[ "$(echo "$out" | jq -c .bindep.selections.runtime.packages)" = "[]" ]
}

@test "warnings: unknown platform (the pbrx docs' platform:apline) and a profile typo" {
	printf 'gcc [platform:apline compile]\nmake [compiel]\nfoo [compile]\nbar [compile]\nbaz [platform:zzzzzz]\n' >"$TMP/b.txt"
	run_split bindep-filter -f "$TMP/b.txt" --brief --platform alpine compile
	[ "$status" -eq 0 ]
	[ "$out" = "$(printf 'bar\nfoo')" ]
	[ "$err" = "bindep-filter: warning: $TMP/b.txt:1:6: unknown platform 'platform:apline'; did you mean 'platform:alpine'?
bindep-filter: warning: $TMP/b.txt:2:7: profile 'compiel' is used only here; did you mean 'compile'?
bindep-filter: warning: $TMP/b.txt:5:6: unknown platform 'platform:zzzzzz': no distribution bindep knows is called that" ]
}

@test "no warnings on the real-world corpus's platform names" {
	local b
	for b in "$BATS_TEST_DIRNAME"/corpus/bindep/*.txt; do
		bindep-filter -f "$b" --platform dpkg --brief >/dev/null 2>>"$TMP/err" </dev/null
	done
	# real files use only platform names bindep knows
	run grep -c 'unknown platform' "$TMP/err"
	[ "$output" = 0 ] || { cat "$TMP/err"; false; }
}

@test "corpus: every real bindep file on every os-release, runtime and compile" {
	local b f name exp failed=0 n=0
	for b in "$BATS_TEST_DIRNAME"/corpus/bindep/*.txt; do
		exp="$FIX/corpus/$(basename "$b" .txt).expected"
		: >"$TMP/got"
		for f in "$OSR"/*; do
			name=$(basename "$f")
			for p in default compile; do
				echo "== $name $p" >>"$TMP/got"
				bindep-filter --brief -f "$b" --os-release "$f" "$p" </dev/null >>"$TMP/got" 2>/dev/null
				n=$((n + 1))
			done
		done
		if ! cmp -s "$exp" "$TMP/got"; then
			echo "$(basename "$b")"
			diff "$exp" "$TMP/got" | head -20
			failed=1
		fi
	done
	echo "$n selections compared"
	[ "$n" -gt 3000 ]
	[ "$failed" -eq 0 ]
}

@test "os-release errors name the file and line" {
	printf 'NAME=x\nID="alpine\n' >"$TMP/osr"
	run_split bindep-filter -f "$EXAMPLE" --os-release "$TMP/osr" </dev/null
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "bindep-filter: $TMP/osr:2: unterminated quote" ]
	printf 'NAME=x\n' >"$TMP/osr"
	run_split bindep-filter -f "$EXAMPLE" --os-release "$TMP/osr" </dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "bindep-filter: $TMP/osr: no ID: bindep cannot tell the distribution" ]
	run_split bindep-filter -f "$EXAMPLE" --os-release "$TMP/missing" </dev/null
	[ "$status" -eq 2 ]
	[ "$err" = "bindep-filter: $TMP/missing: No such file or directory" ]
}

@test "usage: --help, --version, bad options and arguments" {
	check_stage_options bindep-filter "usage: bindep-filter [-f FILE|-] [--os-release FILE] [--platform NAME]... [--brief] [PROFILE...]"
	run_split bindep-filter --help
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	run_split bindep-filter --bogus
	[ "$err" = "bindep-filter: unrecognized option '--bogus'
usage: bindep-filter [-f FILE|-] [--os-release FILE] [--platform NAME]... [--brief] [PROFILE...]" ]
	run_split bindep-filter -f "$EXAMPLE" --brief Compile
	[ "$status" -eq 2 ]
	[ "$err" = "bindep-filter: bad profile 'Compile' in 'Compile': profiles are lower case letters, digits, ':', '.' and '-'" ]
	run_split bindep-filter -f "$EXAMPLE" --brief a=default b=compile
	[ "$status" -eq 2 ]
	[ "$err" = "bindep-filter: --brief prints one selection; 2 were asked for" ]
}

@test "options may follow profiles, as with bindep" {
	run bindep-filter -f "$EXAMPLE" --brief compile --platform apk --platform alpine
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = gcc ]
}

@test "a failed write to stdout is an error, not silent truncation" {
	local rc=0
	bindep-filter -f "$EXAMPLE" --platform apk </dev/null >/dev/full 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 1 ]
	[ "$(cat "$TMP/err")" = "bindep-filter: stdout: write error: No space left on device" ]
}

@test "a 20,000-line file is accepted (timing is in bench/, not here)" {
	local i
	for i in $(seq 1 2500); do
		cat "$EXAMPLE"
	done >"$TMP/big.txt"
	[ "$(wc -l <"$TMP/big.txt")" -eq 20000 ]
	run bindep-filter --brief --platform apk -f "$TMP/big.txt" compile
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 7 ]
}
