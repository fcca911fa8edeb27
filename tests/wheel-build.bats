#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# wheel-build end to end: the real planning pipeline on examples/yamlcat,
# a private dockerd and the offline Debian base image; dependencies from a
# local wheelhouse (examples/make-deps-wheelhouse), no package index.

# shellcheck disable=SC2154 # out and err are set by run_split
true

load helpers
load lib/dockerd
setup_file() {
	dockerd_start
	dockerd_base_image
	export PATH="$PBRX_ROOT/build/bin:$PATH" LC_ALL=C
	DEPS=$BATS_FILE_TMPDIR/deps
	"$PBRX_ROOT/examples/make-deps-wheelhouse" "$DEPS"
	# A copy of the example owned by someone else, so owners are checked
	# for real: the build must leave it exactly as it is.
	SRC=$BATS_FILE_TMPDIR/src/yamlcat
	mkdir -p "${SRC%/*}"
	cp -R "$PBRX_ROOT/examples/yamlcat" "$SRC"
	chown -R 4321:4322 "$SRC"
	chmod 0640 "$SRC/bindep.txt"
	PLAN=$BATS_FILE_TMPDIR/plan.json
	cfg-extras "$SRC" | image-inspect -q "$PBRX_BASE_IMAGE" | bindep-filter |
		image-plan -q --base-image "$PBRX_BASE_IMAGE" >"$PLAN"
	export DEPS SRC PLAN
}

teardown_file() {
	dockerd_stop
}

setup() {
	common_setup
	# Only the PIP_* variables a test sets: the machine's own would change
	# what pip finds.
	while read -r v; do
		unset "$v"
	done < <(compgen -e | grep '^PIP_')
	export TMPDIR=$TMP
	WH=$BATS_FILE_TMPDIR/wheelhouse
}

teardown() {
	common_teardown
}

# Every path of the tree with owner, group, mode, size, mtime and ctime,
# then the sha256 of every file.
tree_state() {
	(
		cd "$1" &&
			find . -printf '%p %U %G %m %s %T@ %C@\n' | sort &&
			find . -type f -print0 | sort -z | xargs -0 sha256sum
	)
}

# The builder's wheels with the example's dependencies, no index.
build() {
	PIP_NO_INDEX=1 run_split wheel-build "$@" --find-links /usr/share/python-wheels \
		--find-links "$DEPS" <"$PLAN"
}

@test "cold build: project and dependency wheels, the wheels section, the tree untouched" {
	rm -rf "$WH"
	tree_state "$SRC" >"$TMP/before"
	start=$SECONDS
	build --wheelhouse "$WH"
	echo "cold build: $((SECONDS - start)) s" >&3
	[ "$status" -eq 0 ]
	[[ "$err" == *"[builder wheels] run: python3 -m pip wheel --wheel-dir /tmp/pbrx/out --find-links /tmp/pbrx/wheels /tmp/pbrx/build[yamlcat_base,yamlcat_lint]"* ]]
	[ "$(jq -c '.wheels | keys_unsorted' <<<"$out")" = '["wheelhouse","temporary","files","project_wheel","metadata","installs","bytecode","runtime_libraries"]' ]
	# What pip installs for each image, asked of pip in the builder, in
	# its order: the base's extras, then the base's and yamlcat-lint's.
	[ "$(jq -c '[.wheels.installs[] | [(.extras | join(",")), [.wheels[] | "\(.file)\(if .requested then "*" else "" end)"]]]' <<<"$out")" = \
		'[["yamlcat_base",["tinyansi-1.0-py3-none-any.whl","yamlcat-1.0-cp311-cp311-linux_x86_64.whl*"]],["yamlcat_base,yamlcat_lint",["tinyansi-1.0-py3-none-any.whl","lint_rules-0.3.1-py3-none-any.whl","yamlcat-1.0-cp311-cp311-linux_x86_64.whl*"]]]' ]
	# and the bytecode pip would compile, by each wheel's SHA-256
	bc=$(jq -r .wheels.bytecode <<<"$out")
	sum=$(jq -r '.wheels.files[] | select(.distribution == "yamlcat") | .sha256' <<<"$out")
	[ -f "$bc/$sum/usr/local/lib/python3.11/dist-packages/yamlcat/__pycache__/cmd.cpython-311.pyc" ]
	# What the project's wheel declares, read from the wheel itself.
	[ "$(jq -c '.wheels.metadata | [.file, .name, .version, [.scripts[].name], (.extras | keys_unsorted)]' <<<"$out")" = \
		'["yamlcat-1.0-cp311-cp311-linux_x86_64.whl","yamlcat","1.0",["yamlcat","yamlcat-lint"],["yamlcat_base","yamlcat_lint"]]' ]
	[ "$(jq -c '.wheels.metadata.extensions[] | [.file, .needed[0]]' <<<"$out")" = \
		'["yamlcat/_cyaml.cpython-311-x86_64-linux-gnu.so","libyaml-0.so.2"]' ]
	# The plan knew every extra: no extras step.
	[[ "$err" != *"[builder extras]"* ]]
	[ "$(jq -r .wheels.wheelhouse <<<"$out")" = "$WH" ]
	[ "$(jq -r .wheels.temporary <<<"$out")" = false ]
	[ "$(jq -r .wheels.project_wheel <<<"$out")" = yamlcat-1.0-cp311-cp311-linux_x86_64.whl ]
	[ "$(jq -r '.wheels.files[] | "\(.built) \(.distribution) \(.version) \(.file)"' <<<"$out")" = \
		"true lint-rules 0.3.1 lint_rules-0.3.1-py3-none-any.whl
true tinyansi 1.0 tinyansi-1.0-py3-none-any.whl
true yamlcat 1.0 yamlcat-1.0-cp311-cp311-linux_x86_64.whl" ]
	# The sums are sha256sum's, and the files are all the wheelhouse has.
	[ "$(jq -r '.wheels.files[] | "\(.sha256)  \(.file)"' <<<"$out")" = "$(cd "$WH" && sha256sum -- *)" ]
	# Every other section is kept, in order.
	[ "$(jq -c 'keys_unsorted' <<<"$out")" = "$(jq -c 'keys_unsorted + ["wheels"]' "$PLAN")" ]
	# The C extension was compiled against libyaml.
	unzip -l "$WH/yamlcat-1.0-cp311-cp311-linux_x86_64.whl" | grep -q 'yamlcat/_cyaml\.cpython-311-x86_64-linux-gnu\.so'
	# Byte for byte and owner for owner, nothing added.
	tree_state "$SRC" >"$TMP/after"
	diff -u "$TMP/before" "$TMP/after"
	[ -z "$(find "$SRC" -name build -o -name '*.egg-info' -o -name dist)" ]
	# The wheels belong to whoever ran wheel-build; no container is left.
	[ -z "$(find "$WH" ! -user "$(id -u)")" ]
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "second build with the same wheelhouse: only the project's wheel is built again" {
	[ -f "$WH/tinyansi-1.0-py3-none-any.whl" ] || skip "needs the cold build's wheelhouse"
	sums=$(cd "$WH" && sha256sum tinyansi-* lint_rules-*)
	start=$SECONDS
	build -q --wheelhouse "$WH"
	echo "cached build: $((SECONDS - start)) s" >&3
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	[ "$(jq -r '.wheels.files[] | "\(.built) \(.file)"' <<<"$out")" = \
		"false lint_rules-0.3.1-py3-none-any.whl
false tinyansi-1.0-py3-none-any.whl
true yamlcat-1.0-cp311-cp311-linux_x86_64.whl" ]
	[ "$(cd "$WH" && sha256sum tinyansi-* lint_rules-*)" = "$sums" ]
	[ "$(jq -r '.wheels.files[] | "\(.sha256)  \(.file)"' <<<"$out")" = "$(cd "$WH" && sha256sum -- *)" ]
	[ "$($DOCKER_CLI ps -aq)" = "" ]
	# What the man page's example shows is what happened.
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh SEE/p' "$PBRX_ROOT/man/man1/wheel-build.1" |
		grep -E '^(true|false) ' | tail -n 3 >"$TMP/man"
	[ "$(jq -r '.wheels.files[] | "\(.built) \(.file)"' <<<"$out")" = "$(cat "$TMP/man")" ]
}

@test "the builder's package steps: a cached layer, found by its key, --no-cache builds it again" {
	# The cold build tagged its packages layer; it has the compiler.
	tag=$($DOCKER_CLI images --format '{{.Repository}}:{{.Tag}}' pbrx-cache/builder)
	[[ "$tag" =~ ^pbrx-cache/builder:packages-[0-9a-f]{40}$ ]]
	$DOCKER_CLI run --rm --network none --entrypoint gcc "$tag" --version
	# Steps of the test's own, cheap: a new key, built once, then found.
	jq --arg n "$BATS_TEST_NUMBER-$$" '.plan.builder.steps = [
		{"name": "packages", "layer": "packages", "argv": ["sh", "-c", "echo $0 >/layer-made", $n]},
		{"name": "wheel", "argv": ["sh", "-c", "cat /layer-made; touch /tmp/pbrx/wheels/yamlcat-1.0-py3-none-any.whl"]}]' \
		"$PLAN" >"$TMP/plan"
	run_split wheel-build <"$TMP/plan"
	[ "$status" -eq 0 ]
	grep -q '^\[builder packages\] committed pbrx-cache/builder:packages-[0-9a-f]\{40\}$' <<<"$err"
	new=$(sed -n 's/^\[builder packages\] committed //p' <<<"$err")
	[ "$new" != "$tag" ]
	grep -qx "\[builder wheel\] $BATS_TEST_NUMBER-$$" <<<"$err"
	rm -rf "$(jq -r .wheels.wheelhouse <<<"$out")"
	run_split wheel-build <"$TMP/plan"
	[ "$status" -eq 0 ]
	grep -qx "\[builder packages\] cached $new" <<<"$err"
	# the layer's file is there: the cached image was used
	grep -qx "\[builder wheel\] $BATS_TEST_NUMBER-$$" <<<"$err"
	rm -rf "$(jq -r .wheels.wheelhouse <<<"$out")"
	run_split wheel-build --no-cache <"$TMP/plan"
	[ "$status" -eq 0 ]
	grep -qx "\[builder packages\] committed $new" <<<"$err"
	rm -rf "$(jq -r .wheels.wheelhouse <<<"$out")"
	# a layer after a step without one is refused
	jq '.plan.builder.steps = [{"name": "a", "argv": ["true"]},
		{"name": "b", "layer": "packages", "argv": ["true"]}]' "$PLAN" >"$TMP/plan"
	run_split wheel-build <"$TMP/plan"
	[ "$status" -eq 2 ]
	[ "$err" = "wheel-build: <stdin>: .plan.builder.steps[1]: layer: the cached layers must come first, each with a name" ]
	[ "$out" = "" ]
	$DOCKER_CLI rmi "$new" >/dev/null
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "a temporary wheelhouse, as a user other than root: kept, theirs, removable" {
	# The private daemon's socket, opened to the test user only here.
	chmod o+rw "${DOCKER_HOST#unix://}"
	mkdir "$TMP/home"
	cp -R "$DEPS" "$TMP/deps"
	chown -R 4321:4321 "$TMP"
	PIP_NO_INDEX=1 HOME=$TMP/home run_split setpriv --reuid 4321 --regid 4321 --clear-groups \
		wheel-build -q --find-links /usr/share/python-wheels --find-links "$TMP/deps" <"$PLAN"
	chmod o-rw "${DOCKER_HOST#unix://}"
	echo "$err"
	[ "$status" -eq 0 ]
	wh=$(jq -r .wheels.wheelhouse <<<"$out")
	[ "$(jq -r .wheels.temporary <<<"$out")" = true ]
	[[ "$wh" == "$TMP"/pbrx-wheels.* ]]
	[ "$(jq -r '.wheels.files[].built' <<<"$out" | sort -u)" = true ]
	[ "$(jq -r '.wheels.files | length' <<<"$out")" = 3 ]
	[ -z "$(find "$wh" ! -user 4321)" ]
	[ -z "$(find "$wh" ! -group 4321)" ]
	setpriv --reuid 4321 --regid 4321 --clear-groups rm -r "$wh"
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "find-links only its owner can read: the wheels built as root after the commit, said once" {
	# The builder's user is "other" to the host: a directory of
	# dependencies that is its owner's alone, it can't read; root can.
	mkdir "$TMP/private"
	cp "$DEPS"/*.whl "$TMP/private/"
	chmod 0700 "$TMP/private"
	PIP_NO_INDEX=1 run_split wheel-build -v --wheelhouse "$TMP/wh" \
		--find-links /usr/share/python-wheels --find-links "$TMP/private" <"$PLAN"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'built as root' <<<"$err")" = 1 ]
	grep -qx "wheel-build: builder: the wheels are built as root, after the packages are committed: $TMP/private is not readable by other users" <<<"$err"
	[ "$(jq -r '.wheels.files | length' <<<"$out")" = 3 ]
	# a file alone in a readable directory is enough
	chmod 0755 "$TMP/private"
	chmod 0600 "$TMP/private/tinyansi-1.0-py3-none-any.whl"
	PIP_NO_INDEX=1 run_split wheel-build -v --wheelhouse "$TMP/wh2" \
		--find-links /usr/share/python-wheels --find-links "$TMP/private" <"$PLAN"
	[ "$status" -eq 0 ]
	grep -qx "wheel-build: builder: the wheels are built as root, after the packages are committed: $TMP/private/tinyansi-1.0-py3-none-any.whl is not readable by other users" <<<"$err"
	# readable by all: built as nobody, nothing said
	chmod 0644 "$TMP/private/tinyansi-1.0-py3-none-any.whl"
	PIP_NO_INDEX=1 run_split wheel-build -v --wheelhouse "$TMP/wh3" \
		--find-links /usr/share/python-wheels --find-links "$TMP/private" <"$PLAN"
	[ "$status" -eq 0 ]
	! grep -q 'built as root' <<<"$err"
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "a failing pip step exits 1 naming stage, step and command, and leaves nothing" {
	PIP_INDEX_URL=https://user:token@127.0.0.1:9/simple PIP_NO_INDEX=1 \
		run_split wheel-build --find-links /usr/share/python-wheels <"$PLAN"
	[ "$status" -eq 1 ]
	[[ "$out$err" != *token* ]]
	[ "$out" = "" ]
	[[ "$err" == *"No matching distribution found for tinyansi"* ]]
	[ "$(tail -n 1 <<<"$err")" = "wheel-build: builder: step 10 of 10 (wheels) failed with exit code 1: python3 -m pip wheel --wheel-dir /tmp/pbrx/out --find-links /tmp/pbrx/wheels /tmp/pbrx/build[yamlcat_base,yamlcat_lint]" ]
	[ "$($DOCKER_CLI ps -aq)" = "" ]
	# The temporary wheelhouse went too.
	[ -z "$(find "$TMP" -maxdepth 1 -name 'pbrx-wheels.*' -o -maxdepth 1 -name 'pbrx-out.*')" ]
}

@test "with -q a failing step's output is shown, the others' not" {
	jq '.plan.builder.steps = [{"name": "one", "argv": ["echo", "fine"]},
		{"name": "two", "argv": ["sh", "-c", "echo broken >&2; exit 3"]}]' "$PLAN" >"$TMP/plan"
	run_split wheel-build -q <"$TMP/plan"
	[ "$status" -eq 1 ]
	# quiet: the failing step, its argv and output, and the failure
	[ "$(sed 's/after [0-9.]* s$/after T/' <<<"$err")" = "wheel-build: builder two failed (exit status 3) after T
  argv: sh -c 'echo broken >&2; exit 3'
  its output, 1 line:
  | broken
wheel-build: builder: step 2 of 2 (two) failed with exit code 3: sh -c 'echo broken >&2; exit 3'" ]
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "SIGTERM during the build removes the builder and the temporary wheelhouse" {
	# --no-cache: the package steps run, though an earlier test cached them
	PIP_NO_INDEX=1 wheel-build --no-cache --find-links /usr/share/python-wheels --find-links "$DEPS" \
		<"$PLAN" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -q '^\[builder packages\] run: env DEBIAN_FRONTEND=noninteractive apt-get -c /tmp/pbrx-apt.conf install' "$TMP/err" && break
		sleep 0.1
	done
	[ "$($DOCKER_CLI ps -q | wc -l)" -eq 1 ]
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 143 ]
	# The step's output may end in the middle of a line.
	tail -n 5 "$TMP/err"
	grep -q 'wheel-build: warning: Terminated: removing the builder$' "$TMP/err"
	[ ! -s "$TMP/out" ]
	[ "$($DOCKER_CLI ps -aq)" = "" ]
	[ -z "$(find "$TMP" -maxdepth 1 -name 'pbrx-wheels.*' -o -maxdepth 1 -name 'pbrx-out.*')" ]
}

@test "pip settings reach pip, find-links merge, and no PIP secret is ever printed" {
	mkdir -p "$TMP/home/.config/pip" "$TMP/links"
	printf '[global]\ntimeout = 77\n' >"$TMP/home/.config/pip/pip.conf"
	touch "$TMP/links/marker"
	# The steps are the test's own: they print what pip would see (the
	# secret only as a hash); the last one leaves a project wheel.
	jq '.plan.builder.steps = [
		{"name": "env", "argv": ["sh", "-c", "printf %s \"$PIP_INDEX_URL\" | sha256sum; echo \"$PIP_FIND_LINKS\"; ls /tmp/pbrx/find-links/2"]},
		{"name": "pip", "argv": ["python3", "-m", "pip", "config", "get", "global.timeout"]},
		{"name": "wheel", "argv": ["touch", "/tmp/pbrx/wheels/yamlcat-1.0-py3-none-any.whl"]}]' \
		"$PLAN" >"$TMP/plan"
	secret=https://user:token@127.0.0.1:9/simple
	PIP_INDEX_URL=$secret PIP_NO_INDEX=1 PIP_FIND_LINKS="$TMP/links https://example.invalid/links" \
		HOME=$TMP/home XDG_CONFIG_HOME='' run_split wheel-build -v --find-links "$DEPS" <"$TMP/plan"
	echo "$err"
	[ "$status" -eq 0 ]
	# the steps' output, each line prefixed with its step (plain progress)
	grep -qx "\[builder env\] $(printf %s "$secret" | sha256sum)" <<<"$err"
	grep -qx '\[builder env\] /tmp/pbrx/find-links/1 /tmp/pbrx/find-links/2 https://example.invalid/links' <<<"$err"
	grep -qx '\[builder env\] marker' <<<"$err"
	grep -qx '\[builder pip\] 77' <<<"$err"
	[[ "$err" == *"wheel-build: passing PIP_INDEX_URL to pip"* ]]
	[[ "$out$err" != *token* ]]
	[ "$(jq -r .wheels.project_wheel <<<"$out")" = yamlcat-1.0-py3-none-any.whl ]
	[ "$(jq -r .wheels.temporary <<<"$out")" = true ]
	rm -rf "$(jq -r .wheels.wheelhouse <<<"$out")"
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

@test "files pip's settings name (constraint, cert, find-links) reach pip, mounted read-only, never over the image's" {
	mkdir -p "$TMP/home/.config/pip" "$TMP/conf-links" "$TMP/etc"
	printf 'pyyaml<99\n' >"$TMP/constraints.txt"
	printf -- '-----BEGIN CERTIFICATE-----\nnot a real CA\n' >"$TMP/etc/ca.pem"
	touch "$TMP/conf-links/conf-marker"
	# The host's configuration as a user's may be: a constraints file,
	# a CA bundle and a find-links directory, by host path.
	printf '[global]\nconstraint = %s\nfind-links = %s\n  https://example.invalid/more\n[install]\ncert: %s\n' \
		"$TMP/constraints.txt" "$TMP/conf-links" "$TMP/etc/ca.pem" >"$TMP/home/.config/pip/pip.conf"
	jq '.plan.builder.steps = [
		{"name": "files", "argv": ["sh", "-c", "cat \"$PIP_CONSTRAINT\"; head -n 2 \"$PIP_CERT\"; echo \"$PIP_FIND_LINKS\"; ls /tmp/pbrx/find-links/1; touch \"$PIP_CONSTRAINT\" 2>/dev/null || echo read-only; case $PIP_CERT in /tmp/pbrx/*) echo under-tmp;; esac"]},
		{"name": "pip", "argv": ["python3", "-m", "pip", "config", "list"]},
		{"name": "wheel", "argv": ["touch", "/tmp/pbrx/wheels/yamlcat-1.0-py3-none-any.whl"]}]' \
		"$PLAN" >"$TMP/plan"
	PIP_NO_INDEX=1 PIP_CERT="$TMP/etc/ca.pem" HOME=$TMP/home XDG_CONFIG_HOME='' \
		run_split wheel-build -v <"$TMP/plan"
	echo "$err"
	[ "$status" -eq 0 ]
	# the steps' output, each line prefixed with its step (plain progress)
	grep -qx '\[builder files\] pyyaml<99' <<<"$err"
	grep -qx '\[builder files\] not a real CA' <<<"$err"
	grep -qx '\[builder files\] /tmp/pbrx/find-links/1' <<<"$err"
	grep -qx '\[builder files\] conf-marker' <<<"$err"
	grep -qx '\[builder files\] read-only' <<<"$err"
	grep -qx '\[builder files\] under-tmp' <<<"$err"
	[[ "$err" == *"pip setting's file $TMP/constraints.txt mounted at /tmp/pbrx/pip/files/"* ]]
	rm -rf "$(jq -r .wheels.wheelhouse <<<"$out")"
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}

# refuses_plan_edit FILTER ERR: wheel-build refuses $PLAN edited by the
# jq FILTER with exit 2 and ERR alone on stderr.
refuses_plan_edit() {
	jq "$1" "$PLAN" >"$TMP/plan"
	run_split wheel-build <"$TMP/plan"
	[ "$status" -eq 2 ]
	[ "$err" = "$2" ]
}

@test "usage, the man page's synopsis, and bad input" {
	run_split wheel-build -h
	[ "$status" -eq 0 ]
	man=$PBRX_ROOT/man/man1/wheel-build.1
	synopsis=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh/p' "$man" | grep -v '^\.Sh' |
		sed -e 's/^\.Nm$/wheel-build/' -e 's/^\.Op Fl \([a-z]*\)$/[-\1]/' \
		    -e 's/^\.Op Fl -\([a-z-]*\)$/[--\1]/' -e 's/^\.Op Fl -\([a-z-]*\) Ar \(.*\)$/[--\1 \2]/' |
		tr '\n' ' ' | sed 's/ $//')
	[ "$out" = "usage: $synopsis" ]
	run_split wheel-build --version
	[ "$status" -eq 0 ]
	[[ "$out" == "wheel-build "* ]]
	run_split wheel-build --engine podman </dev/null
	[ "$status" -eq 2 ]
	[ "$(head -n 1 <<<"$err")" = "wheel-build: warning: unknown engine 'podman' (docker, buildah or auto)" ]
	run_split wheel-build extra </dev/null
	[ "$status" -eq 2 ]
	run_split wheel-build <<<'{"project": {}}'
	[ "$status" -eq 2 ]
	[ "$err" = "wheel-build: <stdin>: .plan: missing" ] || [[ "$err" == "wheel-build: <stdin>: "*plan* ]]
	run_split wheel-build --find-links "$TMP/nowhere" <"$PLAN"
	[ "$status" -eq 2 ]
	[ "$err" = "wheel-build: --find-links $TMP/nowhere: No such file or directory" ]
	refuses_plan_edit '.plan.builder.mounts[0].read_only = false' \
		"wheel-build: <stdin>: .plan.builder.mounts[0]: the host directory $SRC must be mounted read-only"
	refuses_plan_edit 'del(.plan.builder.mounts[0].read_only)' \
		"wheel-build: <stdin>: .plan.builder.mounts[0]: read_only: expected true or false"
	# The same rule in image-assemble (common/doc/plan), before any engine.
	jq --arg src "$SRC" '.plan.images[0].mounts[0] = {"source": $src, "target": "/tmp/src", "read_only": false}' \
		"$PLAN" >"$TMP/plan"
	run_split image-assemble -q <"$TMP/plan"
	[ "$status" -eq 2 ]
	[ "$err" = "image-assemble: <stdin>: .plan.images[0].mounts[0]: the host directory $SRC must be mounted read-only" ]
	refuses_plan_edit '.plan.builder.steps[1].argv = []' \
		"wheel-build: <stdin>: .plan.builder.steps[1].argv: expected a command"
	# Bad input is found before anything is made.
	[ -z "$(find "$TMP" -maxdepth 1 -name 'pbrx-wheels.*' -o -maxdepth 1 -name 'pbrx-out.*')" ]
	[ "$($DOCKER_CLI ps -aq)" = "" ]
}
