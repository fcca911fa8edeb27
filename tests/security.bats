#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Nobody in: project-controlled text never becomes a shell
# command or an option, the project is mounted read-only in unprivileged
# containers, and pip's secrets reach pip but nothing that is kept: no
# layer, image configuration, history, label, document or log line.  A
# private dockerd; small pure-Python projects made here.

# shellcheck disable=SC2154 # out and err are set by run_split
true

load helpers
load lib/tiny

setup_file() {
	tiny_setup_file
}

teardown_file() {
	dockerd_stop
}

setup() {
	tiny_setup
	# Unique per test: what an injected command would create.
	MARK=/tmp/pbrx-pwned-$BATS_TEST_NUMBER-$$-$RANDOM
}

teardown() {
	rm -f "$MARK"
	common_teardown
}

# payloads: one a line, each of which would create $MARK if a shell ran it.
payloads() {
	printf '%s\n' "x;touch $MARK" "\$(touch $MARK)" "\`touch $MARK\`" --privileged ../../etc
}

# no_mark: $MARK exists neither here nor in any image of the engine.
no_mark() {
	local ref
	[ ! -e "$MARK" ]
	for ref in $("$DOCKER_CLI" images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>'); do
		"$DOCKER_CLI" run --rm --network none --entrypoint /bin/sh "$ref" -c "test ! -e '$MARK'" || {
			echo "$MARK in $ref"
			return 1
		}
	done
}

# rejected STAGE: the last run failed with exit 2 and one line from STAGE
# (and the driver's own line), with nothing on stdout, nothing left.
rejected() {
	[ "$status" -eq 2 ] || {
		echo "exit $status: $err"
		return 1
	}
	[ "$out" = "" ]
	[ "$(grep -c "^$1: " <<<"$err")" -eq 1 ]
	[ "$(grep -vc -e "^$1: " -e "^pbrx-build-images: $1 failed (exit status 2) after [0-9.]* s\$" <<<"$err" || :)" -eq 0 ]
	[ "$("$DOCKER_CLI" ps -aq)" = "" ]
}

@test "bindep.txt package names: each payload rejected with its line and column, exit 2" {
	tiny_project "$TMP/p" tiny
	while read -r p; do
		printf 'libyaml-0-2\n%s\n' "$p" >"$TMP/p/bindep.txt"
		run_split "${BUILD[@]}" -q "$TMP/p"
		echo "$p: $err"
		rejected bindep-filter
		grep -q "^bindep-filter: $TMP/p/bindep.txt:2:[0-9]*: " <<<"$err"
	done < <(payloads)
	no_mark
}

@test "setup.cfg extras and console script names: each payload rejected, exit 2" {
	while read -r p; do
		rm -rf "$TMP/p"
		tiny_project "$TMP/p" tiny
		printf '\n[options.extras_require]\n%s =\n    tinyansi\n' "$p" >>"$TMP/p/setup.cfg"
		run_split "${BUILD[@]}" -q "$TMP/p"
		echo "extra $p: $err"
		rejected cfg-extras
		grep -q "^cfg-extras: .*setup.cfg:[0-9]*: .*not a valid extra name" <<<"$err"

		rm -rf "$TMP/p"
		tiny_project "$TMP/p" tiny
		printf '    %s = tiny:main\n' "$p" >>"$TMP/p/setup.cfg"
		run_split "${BUILD[@]}" -q "$TMP/p"
		echo "script $p: $err"
		[ "$status" -eq 2 ]
		[ "$out" = "" ]
		[ "$(grep -vc '^pbrx-build-images: [a-z-]* failed (exit status 2) after [0-9.]* s$' <<<"$err" || :)" -eq 1 ]
		[ "$("$DOCKER_CLI" ps -aq)" = "" ]
	done < <(payloads)
	no_mark
}

@test "names only the wheel declares (setup.py): rejected after wheel-build, exit 2; nothing run" {
	# No setup.cfg: the wheel is the authority for scripts and extras.
	n=0
	while read -r p; do
		n=$((n + 1))
		rm -rf "$TMP/p"
		mkdir -p "$TMP/p/tiny" "$TMP/scratch"
		printf 'def main():\n    print("hello")\n' >"$TMP/p/tiny/__init__.py"
		printf '# none\n' >"$TMP/p/bindep.txt"
		if [ $((n % 2)) = 1 ]; then
			what=script
			printf 'from setuptools import setup\nsetup(name="tiny", version="0.1", packages=["tiny"],\n  entry_points={"console_scripts": [%s + " = tiny:main"]})\n' \
				"$(jq -Rn --arg p "$p" '$p')" >"$TMP/p/setup.py"
		else
			what=extra
			printf 'from setuptools import setup\nsetup(name="tiny", version="0.1", packages=["tiny"],\n  extras_require={%s: ["tinyansi"]})\n' \
				"$(jq -Rn --arg p "$p" '$p')" >"$TMP/p/setup.py"
		fi
		run_split env TMPDIR="$TMP/scratch" "${BUILD[@]}" -q "$TMP/p"
		echo "$what $p: exit $status: $err"
		[ "$out" = "" ]
		[ "$status" -ne 0 ]
		if [ "$status" -eq 2 ]; then
			# the wheel's metadata is refused by wheel-build (a
			# warning naming it) or the second plan (an error)
			grep -q '^pbrx-build-images: image-plan failed (exit status 2) after [0-9.]* s$' <<<"$err"
			[ "$(grep -c '^image-plan: ' <<<"$err")" -eq 1 ]
			[ "$(grep -c '^wheel-build: ' <<<"$err" || :)" -le 1 ]
		else
			# setuptools itself refuses the name: pip's step fails
			[ "$status" -eq 1 ]
			grep -q '^pbrx-build-images: wheel-build failed (exit status 1)' <<<"$err"
		fi
		[ "$("$DOCKER_CLI" ps -aq)" = "" ]
		[ "$(ls -A "$TMP/scratch")" = "" ]
	done < <(payloads)
	no_mark
}

@test "payloads in the project's path, the wheelhouse's and find-links': inert data, the build works" {
	# Each path component is a payload (a '/' in one makes directories).
	dir=$TMP/$(payloads | tr '\n' '/')
	mkdir -p "$dir"
	tiny_project "$dir/proj" tiny
	mkdir -p "$dir/links" "$dir/wheels"
	cp "$DEPS"/* "$dir/links/"
	printf '\n[options]\ninstall_requires = tinyansi\n' >>"$dir/proj/setup.cfg"
	sed -i '0,/^\[options\]$/{/^\[options\]$/d}' "$dir/proj/setup.cfg"
	run_split pbrx-build-images -q --base-image "$PBRX_BASE_IMAGE" --find-links "$dir/links" \
		--find-links /usr/share/python-wheels --wheelhouse "$dir/wheels" "$dir/proj"
	echo "$err"
	[ "$status" -eq 0 ]
	# ('..' among the payloads climbs up a directory)
	[ "$(jq -r .project.dir <<<"$out")" = "$(realpath "$dir/proj")" ]
	[ "$("$DOCKER_CLI" run --rm --network none tiny:latest)" = "tiny says hello" ]
	"$DOCKER_CLI" run --rm --network none --entrypoint python3 tiny:latest -c 'import tinyansi'
	ls "$dir/wheels" | grep -q '^tinyansi-'
	[ "$("$DOCKER_CLI" ps -aq)" = "" ]
	no_mark
}

@test "containers: the project mounted read-only, none privileged, no added capability" {
	tiny_project "$TMP/p" tiny
	proj=$(cd "$TMP/p" && pwd)
	# Every container's create request, from dockerd's debug log: none
	# is missed however briefly it lives.
	dockerd_debug true
	since=$(wc -l <"$DOCKERD_RUN/dockerd.log")
	rc=0
	"${BUILD[@]}" -q "$TMP/p" >"$TMP/out" 2>"$TMP/err" || rc=$?
	dockerd_debug false
	cat "$TMP/err"
	[ "$rc" -eq 0 ]
	dockerd_posted "$since" | jq -c 'select(.HostConfig)' >"$TMP/created"
	cat "$TMP/created"
	# at least the builder's (the images' Python layers are written, in
	# no container)
	[ "$(wc -l <"$TMP/created")" -ge 1 ]
	# none privileged, no capability or device added
	[ "$(jq -s '[.[] | select(.HostConfig.Privileged == true)] | length' "$TMP/created")" -eq 0 ]
	[ "$(jq -s '[.[] | select((.HostConfig.CapAdd // []) != [])] | length' "$TMP/created")" -eq 0 ]
	[ "$(jq -s '[.[] | select((.HostConfig.Devices // []) != [])] | length' "$TMP/created")" -eq 0 ]
	# the host's paths as mounts or binds: "SOURCE:TARGET[:OPTIONS]"
	jq -r '(.HostConfig.Mounts // [])[] | [.Source, (.ReadOnly // false)] | @tsv' "$TMP/created" >"$TMP/mounts"
	jq -r '(.HostConfig.Binds // [])[] | split(":") | [.[0], ((.[2] // "") | test("(^|,)ro(,|$)"))] | @tsv' \
		"$TMP/created" >>"$TMP/mounts"
	cat "$TMP/mounts"
	# the builder mounted the project, and every mount of it is read-only
	grep -q "^$proj	true$" "$TMP/mounts"
	! grep -q "^$proj\(/[^	]*\)\?	false$" "$TMP/mounts"
	# nothing from the host but the project, the wheelhouse and
	# find-links directories: never the engine's socket or /
	! cut -f1 "$TMP/mounts" | grep -qx -e / -e '.*docker\.sock' -e /var/run -e /run
	echo "# $(wc -l <"$TMP/created") containers created, $(wc -l <"$TMP/mounts") mounts" >&3
}

# scan_for DIR STRING...: none of the strings in any file under DIR, with
# gzip-compressed files uncompressed first.
scan_for() {
	local dir=$1 f s
	shift
	while IFS= read -r -d '' f; do
		if gzip -t "$f" 2>/dev/null; then
			gzip -dc "$f" >"$f.plain" && rm "$f"
		fi
	done < <(find "$dir" -type f -print0)
	for s in "$@"; do
		if grep -rlaF -- "$s" "$dir"; then
			echo "found $s"
			return 1
		fi
	done
}

@test "pip's secrets (PIP_CONFIG_FILE, PIP_INDEX_URL): used, and in no layer, config, history, label, document or log" {
	pass=pipconf-pass-$RANDOM$RANDOM
	token=index-token-$RANDOM$RANDOM
	tiny_project "$TMP/p" tiny
	printf '\n[options]\ninstall_requires = tinyansi\n' >>"$TMP/p/setup.cfg"
	sed -i '0,/^\[options\]$/{/^\[options\]$/d}' "$TMP/p/setup.cfg"
	# pip.conf's index, with a password.
	printf '[global]\nindex-url = https://builder:%s@127.0.0.1:9/simple\n' "$pass" >"$TMP/pip.conf"
	# The builder's steps see both: the project's setup.py reports what it
	# sees (hashes only) in a file of the wheel.
	cat >"$TMP/p/setup.py" <<'EOF'
import hashlib, os
from setuptools import setup
def h(s):
    return hashlib.sha256(s.encode()).hexdigest()
with open("tiny/seen.txt", "w") as f:
    f.write("%s %s\n" % (h(os.environ.get("PIP_INDEX_URL", "")),
                         h(open(os.environ["PIP_CONFIG_FILE"]).read())))
setup(package_data={"tiny": ["seen.txt"]})
EOF
	url=https://user:$token@127.0.0.1:9/simple
	mkdir "$TMP/docs" "$TMP/wheels"
	run_split env PIP_CONFIG_FILE="$TMP/pip.conf" PIP_INDEX_URL="$url" PIP_NO_INDEX=1 \
		"${BUILD[@]}" -vv --wheelhouse "$TMP/wheels" --keep-documents "$TMP/docs" "$TMP/p"
	[ "$status" -eq 0 ] || {
		echo "$err"
		return 1
	}
	# used: the builder's pip had both (and the build had no index)
	seen=$("$DOCKER_CLI" run --rm --network none --entrypoint python3 tiny:latest -c \
		'import importlib.resources as r; print(r.files("tiny").joinpath("seen.txt").read_text(), end="")')
	echo "seen: $seen"
	[ "$seen" = "$(printf %s "$url" | sha256sum | cut -d' ' -f1) $(sha256sum <"$TMP/pip.conf" | cut -d' ' -f1)" ]
	"$DOCKER_CLI" run --rm --network none --entrypoint python3 tiny:latest -c 'import tinyansi'
	# not kept: the log, the documents, the wheelhouse
	printf '%s\n' "$err" >"$TMP/log"
	printf '%s\n' "$out" >"$TMP/docs/out.json"
	mkdir "$TMP/scan"
	cp "$TMP/log" "$TMP/scan/"
	cp -R "$TMP/docs" "$TMP/scan/docs"
	(cd "$TMP/wheels" && for w in *.whl; do mkdir "$TMP/scan/$w" && unzip -q "$w" -d "$TMP/scan/$w"; done)
	# every image of the engine, the cache's too: layers, configuration,
	# history, labels
	refs=$("$DOCKER_CLI" images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>')
	for ref in $refs; do
		"$DOCKER_CLI" image inspect "$ref" >"$TMP/scan/inspect-${ref//[\/:]/_}.json"
		"$DOCKER_CLI" history --no-trunc "$ref" >"$TMP/scan/history-${ref//[\/:]/_}.txt"
	done
	mkdir "$TMP/scan/save"
	# shellcheck disable=SC2086 # one argument per image
	"$DOCKER_CLI" save $refs | tar -x -C "$TMP/scan/save"
	# Each layer scanned as it is (its files' bytes are in the tar) and
	# extracted as far as tar can (device nodes and the like may fail), so
	# compressed files in it are scanned uncompressed.
	for layer in "$TMP"/scan/save/*/layer.tar; do
		mkdir "$layer.d"
		tar -x -C "$layer.d" -f "$layer" 2>/dev/null || :
		[ -n "$(ls -A "$layer.d")" ] || [ "$(tar -t -f "$layer" | wc -l)" -eq 0 ]
	done
	echo "# scanned $(find "$TMP/scan" -type f | wc -l) files of $(wc -w <<<"$refs") images" >&3
	# the strings searched for are in what the build was given
	grep -qF "$pass" "$TMP/pip.conf"
	scan_for "$TMP/scan" "$pass" "$token" "builder:$pass" "user:$token"
	[ "$("$DOCKER_CLI" ps -aq)" = "" ]
}
