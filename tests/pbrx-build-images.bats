#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2030,SC2031,SC2016 # out and err come from run_split; scripts for the images' sh
# pbrx-build-images and image-assemble end to end: the example project
# (examples/yamlcat) built into images by a private dockerd from the
# offline Debian base image, then the images run, inspected and taken
# apart.  One build in setup_file serves most tests; the others build
# again with other options.

load helpers
load lib/dockerd

# snapshot DIR: every entry's path, owner, mode, type, size and mtime,
# and every file's checksum.
snapshot() {
	(
		cd "$1" || exit 1
		find . -printf '%p %u:%g %m %y %s %T@\n' | sort
		find . -type f -print0 | sort -z | xargs -0 sha256sum
	)
}

setup_file() {
	local w=$BATS_FILE_TMPDIR
	PATH="$PBRX_ROOT/build/bin:$PATH"
	export PATH LC_ALL=C
	# No package index here: dependencies come from local wheelhouses.
	export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
	dockerd_start --tls "$(dockerd_free_port)"
	dockerd_base_image
	"$PBRX_ROOT/examples/make-deps-wheelhouse" "$w/deps"

	# The project: a copy of the example in a git work tree (for the
	# source and revision labels), some files owned by another user.
	PROJ=$w/yamlcat
	export PROJ
	cp -a "$PBRX_ROOT/examples/yamlcat" "$PROJ"
	(
		cd "$PROJ" || exit 1
		git init -q
		git remote add origin https://example.org/yamlcat.git
		git add .
		GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000 \
			git -c user.name=test -c user.email=test@example.org commit -q -m yamlcat
	)
	chown 1000:1000 "$PROJ/setup.cfg" "$PROJ/yamlcat/cmd.py"
	snapshot "$PROJ" >"$w/before"

	BUILD=(pbrx-build-images --base-image "$PBRX_BASE_IMAGE"
		--find-links "$w/deps" --find-links /usr/share/python-wheels)
	local rc=0
	"${BUILD[@]}" --wheelhouse "$w/wheels" --keep-documents "$w/docs" "$PROJ" \
		>"$w/build1.out" 2>"$w/build1.err" || rc=$?
	echo "$rc" >"$w/build1.status"
}

teardown_file() {
	dockerd_stop
}

setup() {
	common_setup
	W=$BATS_FILE_TMPDIR
	D=$DOCKER_CLI
	BUILD=(pbrx-build-images --base-image "$PBRX_BASE_IMAGE"
		--find-links "$W/deps" --find-links /usr/share/python-wheels)
	if [ "$(cat "$W/build1.status")" != 0 ]; then
		cat "$W/build1.err" >&2
		return 1
	fi
}

teardown() {
	common_teardown
}

# The image IDs of every image, tagged or not, sorted.
all_images() {
	"$D" images -aq --no-trunc | sort -u
}

# run_in IMAGE SHELL-SCRIPT: the script in a throwaway container, no network.
run_in() {
	run_split "$D" run --rm --network none --entrypoint /bin/sh "$1" -c "$2"
}

@test "build: three images named after project and scripts; stdout is the document" {
	out=$(cat "$W/build1.out")
	err=$(cat "$W/build1.err")
	[ "$(jq -r '.images[] | "\(.name) \(.ref)"' <<<"$out")" = "yamlcat-base yamlcat-base:latest
yamlcat yamlcat:latest
yamlcat-lint yamlcat-lint:latest" ]
	for ref in yamlcat-base:latest yamlcat:latest yamlcat-lint:latest; do
		id=$("$D" image inspect --format '{{.Id}}' "$ref")
		size=$("$D" image inspect --format '{{.Size}}' "$ref")
		[ "$(jq -r --arg r "$ref" '.images[] | select(.ref == $r) | "\(.id) \(.size)"' <<<"$out")" = "$id $size" ]
		# the summary lists it with its size
		grep -q "^image-assemble: $ref ${id:7:12} [0-9.]* MB\$" <<<"$err"
	done
	[ "$(jq -c 'keys_unsorted' <<<"$out")" = '["project","base","bindep","plan","wheels","images"]' ]
	[ "$(jq -c '.images[0] | keys_unsorted' <<<"$out")" = '["name","ref","id","size"]' ]
	# each stage with its time, each container command
	for s in cfg-extras image-inspect bindep-filter image-plan wheel-build image-assemble; do
		grep -q "^pbrx-build-images: \[[1-7]\] $s: [0-9]*\.[0-9] s\$" <<<"$err"
	done
	grep -q '^image-assemble: yamlcat-lint: install: python3 -m pip install --no-index --no-cache-dir --find-links /tmp/pbrx/wheels yamlcat\[yamlcat_lint\]$' <<<"$err"
	grep -q '^pbrx-build-images: done in [0-9.]* s$' <<<"$err"
	# nothing left behind: no container, no temporary tag
	[ "$("$D" ps -aq)" = "" ]
	[ "$("$D" images --format '{{.Repository}}:{{.Tag}}' | grep -c pbrx-tmp || :)" = 0 ]
}

@test "run: each script image runs its script, with the C extension and libyaml" {
	run_split "$D" run -i --rm --network none yamlcat:latest <<<'a: [1, 2]'
	[ "$status" -eq 0 ]
	[ "$out" = "+STR
+DOC
+MAP
=VAL :a
+SEQ
=VAL :1
=VAL :2
-SEQ
-MAP
-DOC
-STR" ]
	run_split "$D" run -i --rm --network none yamlcat-lint:latest <<<$'a: 1\na: 2'
	[ "$status" -eq 1 ]
	[ "$out" = "<stdin>:2:1: duplicate key 'a'" ]
	run_split "$D" run --rm --network none yamlcat:latest /usr/local/bin/yamlcat --version
	[ "$status" -eq 0 ]
	[ "$out" = "yamlcat 1.0 (libyaml 0.2.5)" ]
	run_split "$D" run --rm --network none yamlcat-lint:latest /usr/local/bin/yamlcat-lint --version
	[ "$out" = "yamlcat-lint 1.0 (libyaml 0.2.5)" ]
}

@test "final images: runtime library, but no compiler, -dev package, cache, wheel or source" {
	for ref in yamlcat-base:latest yamlcat:latest yamlcat-lint:latest; do
		run_in "$ref" '
			command -v gcc cc c99 || echo no-compiler
			dpkg-query -W -f "\${Package} \${Status}\n" | grep -e "-dev " -e "^gcc-12 " -e "^cpp" || echo no-dev
			dpkg-query -W -f "\${Package} \${Status}\n" libyaml-0-2
			find / -xdev \( -name "*.whl" -o -name "_cyaml.c" -o -name "yamlcat*.egg-info" -o -path /tmp/pbrx \) \
				-not -path "/usr/share/python-wheels/*" -print
			ls -A /tmp /var/lib/apt/lists
			test -e /root/.cache || echo no-cache
			ls /var/cache/apt/archives | grep -v -e "^lock$" -e "^partial$" || echo clean'
		[ "$status" -eq 0 ]
		[ "$out" = "no-compiler
no-dev
libyaml-0-2 install ok installed
/tmp:

/var/lib/apt/lists:
no-cache
clean" ]
	done
}

@test "extras: yamlcat_base in every image, yamlcat_lint only in yamlcat-lint" {
	probe='for m in yamlcat tinyansi lint_rules; do python3 -c "import $m" 2>/dev/null && echo "$m"; done; true'
	run_in yamlcat-base:latest "$probe"
	[ "$out" = "yamlcat
tinyansi" ]
	run_in yamlcat:latest "$probe"
	[ "$out" = "yamlcat
tinyansi" ]
	run_in yamlcat-lint:latest "$probe"
	[ "$out" = "yamlcat
tinyansi
lint_rules" ]
	# installed as distributions, not only importable
	run_in yamlcat-lint:latest 'python3 -m pip show lint-rules tinyansi yamlcat | grep ^Name:'
	[ "$out" = "Name: lint-rules
Name: tinyansi
Name: yamlcat" ]
}

@test "config: dumb-init entrypoint, each script's CMD, OCI labels, the base's ENV" {
	rev=$(git -C "$PROJ" rev-parse HEAD)
	for name in yamlcat-base yamlcat yamlcat-lint; do
		run "$D" image inspect --format '{{json .Config.Entrypoint}}' "$name:latest"
		[ "$output" = '["/usr/bin/dumb-init","--"]' ]
		run "$D" image inspect --format '{{json .Config.Labels}}' "$name:latest"
		[ "$output" = "{\"org.opencontainers.image.created\":\"2023-11-14T22:13:20Z\",\"org.opencontainers.image.revision\":\"$rev\",\"org.opencontainers.image.source\":\"https://example.org/yamlcat.git\",\"org.opencontainers.image.title\":\"$name\",\"org.opencontainers.image.version\":\"1.0\"}" ]
		run "$D" image inspect --format '{{json .Config.Env}} {{json .Config.User}} {{json .Config.WorkingDir}}' "$name:latest"
		[ "$output" = "$("$D" image inspect --format '{{json .Config.Env}} {{json .Config.User}} {{json .Config.WorkingDir}}' "$PBRX_BASE_IMAGE")" ]
	done
	# the base keeps the base image's CMD; each script image runs its script
	[ "$("$D" image inspect --format '{{json .Config.Cmd}}' yamlcat-base:latest)" = '["python3"]' ]
	[ "$("$D" image inspect --format '{{json .Config.Cmd}}' yamlcat:latest)" = '["/usr/local/bin/yamlcat"]' ]
	[ "$("$D" image inspect --format '{{json .Config.Cmd}}' yamlcat-lint:latest)" = '["/usr/local/bin/yamlcat-lint"]' ]
}

@test "layers: a script image without an extra adds no layer over the base" {
	base=$("$D" image inspect --format '{{json .RootFS.Layers}}' yamlcat-base:latest)
	[ "$("$D" image inspect --format '{{json .RootFS.Layers}}' yamlcat:latest)" = "$base" ]
	lint=$("$D" image inspect --format '{{json .RootFS.Layers}}' yamlcat-lint:latest)
	[ "$(jq -c '.[:-1]' <<<"$lint")" = "$base" ]
	# the base image itself: one layer over the one it starts from
	from=$("$D" image inspect --format '{{json .RootFS.Layers}}' "$PBRX_BASE_IMAGE")
	[ "$(jq -c '.[:-1]' <<<"$base")" = "$from" ]
	# and docker history says so
	run "$D" history --format '{{.Size}}' yamlcat:latest
	[ "${lines[0]}" = 0B ]
}

@test "source tree: byte for byte and owner for owner unchanged by the build" {
	snapshot "$PROJ" >"$TMP/after"
	diff -u "$W/before" "$TMP/after"
}

@test "--keep-documents: every stage's document, the last one the output" {
	run ls "$W/docs"
	[ "$output" = "01-cfg-extras.json
02-image-inspect.json
03-bindep-filter.json
04-image-plan.json
05-wheel-build.json
06-image-assemble.json" ]
	i=0
	for section in project base bindep plan wheels images; do
		i=$((i + 1))
		f=$(printf '%s/%02d-*.json' "$W/docs" "$i")
		# shellcheck disable=SC2086
		[ "$(jq -r 'keys_unsorted | last' $f)" = "$section" ]
	done
	cmp "$W/docs/06-image-assemble.json" "$W/build1.out"
}

@test "second build over TLS with --prefix and --tag: no dependency wheel built again" {
	# the first build made every dependency wheel
	[ "$(jq -c '.wheels.project_wheel as $p | [.wheels.files[] | select(.file != $p) | .built] | unique' "$W/build1.out")" = '[true]' ]
	before=$("$D" image inspect --format '{{.Id}}' yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)
	DOCKER_HOST=$DOCKERD_TLS_HOST DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$DOCKERD_CERTS \
		run_split "${BUILD[@]}" -q --prefix acme --tag v2 --wheelhouse "$W/wheels" "$PROJ"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.images[].ref' <<<"$out")" = "acme/yamlcat-base:v2
acme/yamlcat:v2
acme/yamlcat-lint:v2" ]
	# -q: no stage lines, no step output
	[ "$(grep -c -e '^pbrx-build-images: \[' -e '^Reading package lists' <<<"$err" || :)" = 0 ]
	[ "$(jq -c '.wheels.project_wheel as $p | [.wheels.files[] | select(.file != $p) | .built] | unique' <<<"$out")" = '[false]' ]
	[ "$(jq -r '.wheels.project_wheel as $p | .wheels.files[] | select(.file == $p) | .built' <<<"$out")" = true ]
	run_split "$D" run --rm --network none acme/yamlcat-lint:v2 /usr/local/bin/yamlcat-lint --version
	[ "$out" = "yamlcat-lint 1.0 (libyaml 0.2.5)" ]
	[ "$("$D" image inspect --format '{{index .Config.Labels "org.opencontainers.image.title"}}' acme/yamlcat:v2)" = acme/yamlcat ]
	# the other names are left alone
	[ "$("$D" image inspect --format '{{.Id}}' yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)" = "$before" ]
}

# failing_doc ARGV-JSON: the first build's wheel-build document with the
# yamlcat-lint image's step replaced by ARGV-JSON, on stdout.
failing_doc() {
	jq --argjson argv "$1" '.plan.images[2].steps[0].argv = $argv' "$W/docs/05-wheel-build.json"
}

@test "image-assemble: a failing pip step names image, step and command; nothing left; old tags kept" {
	failing_doc '["python3","-m","pip","install","--no-index","--no-cache-dir","--find-links","/tmp/pbrx/wheels","no-such-dist"]' >"$TMP/doc.json"
	ids=$("$D" image inspect --format '{{.Id}}' yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)
	images=$(all_images)
	run_split image-assemble -q <"$TMP/doc.json"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "${err##*$'\n'}" = "image-assemble: yamlcat-lint: step install failed (exit status 1): python3 -m pip install --no-index --no-cache-dir --find-links /tmp/pbrx/wheels no-such-dist" ]
	# with -q the failed step's output is shown, the others' not
	grep -q "No matching distribution found for no-such-dist" <<<"$err"
	[ "$(grep -c "Reading package lists" <<<"$err" || :)" = 0 ]
	[ "$("$D" ps -aq)" = "" ]
	[ "$("$D" image inspect --format '{{.Id}}' yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)" = "$ids" ]
	# the base and yamlcat images built by this run are gone too
	[ "$(all_images)" = "$images" ]
}

@test "image-assemble: SIGTERM during a step removes containers and temporary images" {
	failing_doc '["sleep","60"]' >"$TMP/doc.json"
	images=$(all_images)
	image-assemble -q <"$TMP/doc.json" >/dev/null 2>"$TMP/err" 3>&- &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		"$D" ps --format '{{.Names}}' | grep -q '^pbrx-yamlcat-lint-' && break
		sleep 0.1
	done
	"$D" ps --format '{{.Names}}' | grep -q '^pbrx-yamlcat-lint-'
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	grep -q "^image-assemble: Terminated: removing containers and temporary images$" "$TMP/err"
	[ "$("$D" ps -aq)" = "" ]
	[ "$(all_images)" = "$images" ]
}

@test "pbrx-build-images: a failing pip step stops the run with the stage's status" {
	ids=$("$D" image inspect --format '{{.Id}}' yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)
	# without the dependencies' wheelhouse pip can't find tinyansi
	mkdir "$TMP/scratch"
	TMPDIR=$TMP/scratch run_split pbrx-build-images -q --base-image "$PBRX_BASE_IMAGE" \
		--find-links /usr/share/python-wheels --keep-documents "$TMP/docs" "$PROJ"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	grep -q "^wheel-build: .*wheels.*python3 -m pip wheel" <<<"$err"
	grep -q '^pbrx-build-images: wheel-build failed (exit status 1) after [0-9.]* s$' <<<"$err"
	[ "$(ls "$TMP/docs")" = "01-cfg-extras.json
02-image-inspect.json
03-bindep-filter.json
04-image-plan.json" ]
	[ "$("$D" ps -aq)" = "" ]
	[ "$("$D" image inspect --format '{{.Id}}' yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)" = "$ids" ]
	# the scratch directory (and the temporary wheelhouse in it) is gone
	[ "$(ls -A "$TMP/scratch")" = "" ]
}

@test "--plan-only: a plan, no build; without an engine, the host's platform" {
	images=$(all_images)
	run_split pbrx-build-images --plan-only --base-image "$PBRX_BASE_IMAGE" --prefix acme "$PROJ"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'keys_unsorted' <<<"$out")" = '["project","base","bindep","plan"]' ]
	[ "$(jq -r '.plan.images[].ref' <<<"$out")" = "acme/yamlcat-base:latest
acme/yamlcat:latest
acme/yamlcat-lint:latest" ]
	[ "$(jq -r .bindep.platform.source <<<"$out")" = base ]
	[ "$(all_images)" = "$images" ]
	[ "$("$D" ps -aq)" = "" ]
	DOCKER_HOST=unix:///nonexistent/docker.sock \
		run_split pbrx-build-images --plan-only --base-image "$PBRX_BASE_IMAGE" "$PROJ"
	[ "$status" -eq 0 ]
	grep -q "^pbrx-build-images: warning: --plan-only: planning for this host's platform" <<<"$err"
	[ "$(jq -r .bindep.platform.source <<<"$out")" = host ]
	[ "$(jq -c 'keys_unsorted' <<<"$out")" = '["project","bindep","plan"]' ]
}

@test "Dockerfile.SCRIPT: built by the engine FROM this run's base, even with a prefix" {
	cp -a "$PROJ" "$TMP/proj"
	cat >"$TMP/proj/Dockerfile.yamlcat" <<'EOF'
# pbrx's Dockerfiles said FROM {name}-base
FROM yamlcat-base
RUN ["python3", "-c", "open('/from-dockerfile', 'w').write('yes')"]
CMD ["/usr/local/bin/yamlcat"]
EOF
	before=$("$D" image inspect --format '{{.Id}}' yamlcat-base:latest)
	run_split "${BUILD[@]}" --prefix df --tag t --wheelhouse "$W/wheels" "$TMP/proj"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.plan.images[1].kind' <<<"$out")" = dockerfile ]
	run_split "$D" run --rm --network none df/yamlcat:t sh -c 'cat /from-dockerfile; echo; yamlcat --version'
	[ "$out" = "yes
yamlcat 1.0 (libyaml 0.2.5)" ]
	# its layers are this run's base's plus one: not yamlcat-base:latest's
	base=$("$D" image inspect --format '{{json .RootFS.Layers}}' df/yamlcat-base:t)
	[ "$("$D" image inspect --format '{{json .RootFS.Layers}}' df/yamlcat:t | jq -c '.[:-1]')" = "$base" ]
	[ "$("$D" image inspect --format '{{.Id}}' yamlcat-base:latest)" = "$before" ]
	[ "$("$D" image inspect --format '{{index .Config.Labels "org.opencontainers.image.title"}}' df/yamlcat:t)" = df/yamlcat ]
	[ "$("$D" image inspect --format '{{json .Config.Entrypoint}}' df/yamlcat:t)" = '["/usr/bin/dumb-init","--"]' ]
	# the project's tree did not get the rewritten Dockerfile
	[ ! -e "$TMP/proj/.pbrx-build.Dockerfile" ]
	[ "$("$D" ps -aq)" = "" ]
}
