# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2030,SC2031,SC2016,SC2154 # out/err/status come from run_split; scripts for the images' sh
# The end-to-end suite of pbrx-build-images and image-assemble, run once
# per engine by lib/e2e.bats (tests/pbrx-build-images[-ENGINE].bats are
# links to it):
# the example project (examples/yamlcat) built into images from the
# offline Debian base image, then the images run, inspected and taken
# apart.  One build in setup_file serves most tests; the others build
# again with other options.
#
#   TEST_ENGINE=docker|podman|buildah|rootless    (lib/engine.bash)
#   load lib/e2e
#   @test "..." { e2e_test_build; }
#
# This file gives the bats file its setup_file, teardown_file, setup and
# teardown, and an e2e_test_NAME function a test.  What sets the
# engines apart, by TEST_ENGINE in setup_file:
#   E2E_SECOND_ENV "VAR=VALUE ..." for the second build (docker: over TLS)
#   E2E_OTHER_OWNER    owner given to some project files ("" to keep)
#   E2E_NO_CACHE=1 also check that --no-cache builds every layer again
#   E2E_PODMAN=1   podman's commit adds TERM=xterm and container=podman
#                  to the environment and WorkingDir "/": not compared
#   E2E_NO_ENGINE  "VAR=VALUE" under which the engine does not answer

load lib/engine
load lib/oci

setup_file() {
	E2E_SECOND_ENV="" E2E_NO_CACHE="" E2E_PODMAN=""
	case $TEST_ENGINE in
	docker)
		engine_start --tls "$(dockerd_free_port)"
		E2E_SECOND_ENV="DOCKER_HOST=$DOCKERD_TLS_HOST DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$DOCKERD_CERTS"
		E2E_NO_CACHE=1
		E2E_NO_ENGINE=DOCKER_HOST=unix:///nonexistent/docker.sock ;;
	podman)
		engine_start
		E2E_PODMAN=1
		E2E_NO_ENGINE=DOCKER_HOST=unix:///nonexistent/podman.sock ;;
	buildah | rootless)
		engine_start
		E2E_NO_ENGINE=CONTAINERS_STORAGE_CONF=/nonexistent/storage.conf ;;
	esac
	if [ "$TEST_ENGINE" = rootless ]; then
		# the user can't give its files to another
		E2E_OTHER_OWNER=""
		export E2E_OTHER_OWNER
	fi
	export E2E_SECOND_ENV E2E_NO_CACHE E2E_PODMAN E2E_NO_ENGINE
	e2e_setup_file
}

teardown_file() {
	engine_stop
}

setup() {
	e2e_setup
}

teardown() {
	common_teardown
}

# snapshot DIR: every entry's path, owner, mode, type, size and mtime,
# and every file's checksum.
snapshot() {
	(
		cd "$1" || exit 1
		find . -printf '%p %u:%g %m %y %s %T@\n' | sort
		find . -type f -print0 | sort -z | xargs -0 sha256sum
	)
}

# as_user CMD...: run CMD as the user that builds.
as_user() {
	if [ "$TEST_BACKEND" = buildah ]; then
		buildah_as "$@"
	else
		"$@"
	fi
}

# as_user_exec CMD...: the same, replacing the shell: in a background
# job, $! is then the command's pid.
as_user_exec() {
	if [ "$TEST_BACKEND" = buildah ]; then
		BUILDAH_EXEC="exec" buildah_as "$@"
	else
		exec "$@"
	fi
}

# img_json REF: the image as {Id, Size, Config, Layers}.
img_json() {
	if [ "$TEST_BACKEND" = docker ]; then
		"$DOCKER_CLI" image inspect "$1" | jq '.[0] | {Id, Size, Config, Layers: .RootFS.Layers}'
	else
		as_user buildah inspect --type image "$1" |
			jq '{Id: ("sha256:" + .FromImageID), Size: ([(.Manifest | fromjson).layers[].size] | add),
				Config: .Docker.config, Layers: .Docker.rootfs.diff_ids}'
	fi
}

# img REF [-r] JQ: one value of img_json, compact (-r: raw).
img() {
	if [ "$2" = -r ]; then
		img_json "$1" | jq -r "$3"
	else
		img_json "$1" | jq -c "$2"
	fi
}

# ids REF...: their image IDs, one a line.
ids() {
	local r
	for r in "$@"; do
		img "$r" -r .Id
	done
}

# img_run [-i] [--entrypoint EP] REF [ARG...]: as docker run --rm
# --network none; buildah runs the image's entrypoint and cmd itself.
img_run() {
	local stdin=/dev/null ep="" ref c rc=0
	local -a argv args
	while :; do
		case $1 in
		-i) stdin=/dev/stdin; shift ;;
		--entrypoint) ep=$2; shift 2 ;;
		*) break ;;
		esac
	done
	ref=$1
	shift
	if [ "$TEST_BACKEND" = docker ]; then
		# Not --rm: podman's service then loses the exit status.
		c=pbrx-e2e-run-$$-$RANDOM
		args=(--name "$c" --network none)
		[ "$stdin" = /dev/stdin ] && args+=(-i)
		[ -n "$ep" ] && args+=(--entrypoint "$ep")
		"$DOCKER_CLI" run "${args[@]}" "$ref" "$@" <"$stdin" || rc=$?
		"$DOCKER_CLI" rm -f "$c" >/dev/null
		return "$rc"
	fi
	if [ -n "$ep" ]; then
		argv=("$ep" "$@")
	else
		mapfile -t argv < <(img_json "$ref" | jq -r --argjson n "$#" \
			'.Config | (.Entrypoint // []) + (if $n > 0 then [] else (.Cmd // []) end) | .[]')
		argv+=("$@")
	fi
	c=$(as_user buildah from --quiet --pull=never "$ref") || return 1
	as_user buildah run --isolation chroot --no-hosts "$c" -- "${argv[@]}" <"$stdin" || rc=$?
	as_user buildah rm "$c" >/dev/null
	return "$rc"
}

# run_in IMAGE SHELL-SCRIPT: the script in a throwaway container.
run_in() {
	run_split img_run --entrypoint /bin/sh "$1" -c "$2"
}

# Working containers, names of the running ones, image IDs, tags.
containers() {
	if [ "$TEST_BACKEND" = docker ]; then
		"$DOCKER_CLI" ps -aq
	else
		as_user buildah containers --all --quiet
	fi
}

container_names() {
	if [ "$TEST_BACKEND" = docker ]; then
		"$DOCKER_CLI" ps --format '{{.Names}}'
	else
		as_user buildah containers --all --format '{{.ContainerName}}'
	fi
}

all_images() {
	if [ "$TEST_BACKEND" = docker ]; then
		"$DOCKER_CLI" images -aq --no-trunc | sort -u
	else
		as_user buildah images --all --quiet --no-trunc | sort -u
	fi
}

tags() {
	if [ "$TEST_BACKEND" = docker ]; then
		"$DOCKER_CLI" images --format '{{.Repository}}:{{.Tag}}'
	else
		as_user buildah images --format '{{.Name}}:{{.Tag}}'
	fi
}

# e2e_setup_file: the project, the dependencies' wheelhouse, the first
# build.  W is where the build user can write: BATS_FILE_TMPDIR, or a
# directory in the rootless user's home.
e2e_setup_file() {
	local rc=0
	PATH="$PBRX_ROOT/build/bin:$PATH"
	export PATH LC_ALL=C PBRX_ENGINE=$TEST_BACKEND
	# No package index here: dependencies come from local wheelhouses.
	export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
	if [ -n "${BUILDAH_HOME:-}" ]; then
		W=$BUILDAH_HOME/e2e
		mkdir -p "$W"
	else
		W=$BATS_FILE_TMPDIR
	fi
	export W
	echo "$W" >"$BATS_FILE_TMPDIR/w"
	# pbrx's cache of this file's builds (bytecode, pip's answers,
	# layers): what one test finds is what an earlier one left, never a
	# run before.
	mkdir -p "$W/cache"
	export XDG_CACHE_HOME=$W/cache
	"$PBRX_ROOT/examples/make-deps-wheelhouse" "$W/deps"

	# The project: a copy of the example in a git work tree (for the
	# source and revision labels), some files owned by another user.
	PROJ=$W/yamlcat
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
	if [ -n "${BUILDAH_HOME:-}" ]; then
		chown -R "$BUILDAH_USER:" "$W"
	fi
	if [ -n "${E2E_OTHER_OWNER-1000:1000}" ]; then
		chown "${E2E_OTHER_OWNER-1000:1000}" "$PROJ/setup.cfg" "$PROJ/yamlcat/cmd.py"
	fi
	snapshot "$PROJ" >"$W/before"

	BUILD=(pbrx-build-images --base-image "$PBRX_BASE_IMAGE"
		--find-links "$W/deps" --find-links /usr/share/python-wheels)
	as_user "${BUILD[@]}" --wheelhouse "$W/wheels" --keep-documents "$W/docs" "$PROJ" \
		>"$W/build1.out" 2>"$W/build1.err" || rc=$?
	echo "$rc" >"$W/build1.status"
}

e2e_setup() {
	common_setup
	W=$(cat "$BATS_FILE_TMPDIR/w")
	if [ -n "${BUILDAH_HOME:-}" ]; then
		# Where the build user can reach it.
		rm -rf "$TMP"
		TMP=$(mktemp -d "$W/test.XXXXXX")
		chown "$BUILDAH_USER:" "$TMP"
	fi
	BUILD=(pbrx-build-images --base-image "$PBRX_BASE_IMAGE"
		--find-links "$W/deps" --find-links /usr/share/python-wheels)
	if [ "$(cat "$W/build1.status")" != 0 ]; then
		cat "$W/build1.err" >&2
		return 1
	fi
}

e2e_test_build() {
	out=$(cat "$W/build1.out")
	err=$(cat "$W/build1.err")
	[ "$(jq -r '.images[] | "\(.name) \(.ref)"' <<<"$out")" = "yamlcat-base yamlcat-base:latest
yamlcat yamlcat:latest
yamlcat-lint yamlcat-lint:latest" ]
	for ref in yamlcat-base:latest yamlcat:latest yamlcat-lint:latest; do
		id=$(img "$ref" -r .Id)
		size=$(img "$ref" .Size)
		[ "$(jq -r --arg r "$ref" '.images[] | select(.ref == $r) | "\(.id) \(.size)"' <<<"$out")" = "$id $size" ]
		# the summary's table lists it: short ID, size, layers new/reused, time
		grep -Eq "^$ref +${id:7:12} +[0-9]+\.[0-9] MB +[0-9]+/[0-9]+ +[0-9]+\.[0-9] s\$" <<<"$err"
	done
	[ "$(jq -c 'keys_unsorted' <<<"$out")" = '["project","base","bindep","plan","wheels","images","summary"]' ]
	# the summary's facts, as stderr's summary says them
	[ "$(jq -c '.summary | keys_unsorted' <<<"$out")" = '["seconds","images","cache","critical_path","waited_longest_on"]' ]
	[ "$(jq -c '[.summary.images[].ref]' <<<"$out")" = '["yamlcat-base:latest","yamlcat:latest","yamlcat-lint:latest"]' ]
	grep -qx "$(jq -r '.summary.cache | "cache: \(.reused) of \(.layers) layers reused"' <<<"$out").*" <<<"$err"
	[ "$(jq -c '.images[0] | keys_unsorted' <<<"$out")" = '["name","ref","id","size","layers","layer_counts","seconds"]' ]
	# every layer, bottom first; the Python layers pbrx wrote, named
	for ref in yamlcat-base:latest yamlcat:latest yamlcat-lint:latest; do
		[ "$(jq -c --arg r "$ref" '[.images[] | select(.ref == $r) | .layers[].diff_id]' <<<"$out")" = \
			"$(img "$ref" .Layers)" ]
	done
	[ "$(jq -c '[.images[] | [.layers[] | .name // empty]]' <<<"$out")" = \
		'[["dependencies","project"],[],["extras"]]' ]
	# what the progress events said of each image: layers new and
	# reused, and its time
	[ "$(jq -c '[.images[] | (.layer_counts | keys), (.seconds | type)] | unique' <<<"$out")" = '["number",["new","reused"]]' ]
	# where pip installs in the base image, as its python3 said
	[ "$(jq -r '.base.python | "\(.purelib) \(.scripts) \(.python) \(.cache_tag)"' <<<"$out")" = \
		"/usr/local/lib/python3.11/dist-packages /usr/local/bin /usr/bin/python3 cpython-311" ]
	# plain progress (stderr is no terminal): each stage with its time,
	# each container command, each output line prefixed
	for s in cfg-extras image-inspect bindep-filter image-plan wheel-build image-assemble; do
		grep -q "^\[$s\] done in [0-9]*\.[0-9] s\$" <<<"$err"
	done
	# what pip installs for each image, asked of pip in the builder;
	# the Python layers written, not installed by pip in a container
	grep -q '^\[builder resolve\] run: python3 -m pip install --dry-run .*/tmp/pbrx/wheels/yamlcat-1.0-cp311-cp311-linux_x86_64.whl\[yamlcat_base,yamlcat_lint\]$' <<<"$err"
	grep -q '^\[yamlcat-lint extras\] \(wrote\|cached\) sha256:[0-9a-f]\{64\}$' <<<"$err"
	! grep -q '^\[yamlcat[a-z-]* [a-z]*\] run: .*pip install' <<<"$err"
	# pip's warning about root is not said in a container made for the step
	! grep -q "Running pip as the 'root' user" <<<"$err"
	grep -q '^total [0-9.]* s; critical path: ' <<<"$err"
	grep '^total ' <<<"$err" | sed "s|^|# ${BATS_TEST_FILENAME##*/}: first build: |" >&3
	# nothing left behind: no container, no temporary tag, no scratch
	[ "$(containers)" = "" ]
	[ "$(tags | grep -c pbrx-tmp || :)" = 0 ]
}

e2e_test_run() {
	run_split img_run -i yamlcat:latest <<<'a: [1, 2]'
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
	run_split img_run -i yamlcat-lint:latest <<<$'a: 1\na: 2'
	[ "$status" -eq 1 ]
	[ "$out" = "<stdin>:2:1: duplicate key 'a'" ]
	run_split img_run yamlcat:latest /usr/local/bin/yamlcat --version
	[ "$status" -eq 0 ]
	[ "$out" = "yamlcat 1.0 (libyaml 0.2.5)" ]
	run_split img_run yamlcat-lint:latest /usr/local/bin/yamlcat-lint --version
	[ "$out" = "yamlcat-lint 1.0 (libyaml 0.2.5)" ]
}

e2e_test_final_images() {
	for ref in yamlcat-base:latest yamlcat:latest yamlcat-lint:latest; do
		run_in "$ref" '
			command -v gcc cc c99 || echo no-compiler
			dpkg-query -W -f "\${Package} \${Status}\n" | grep -e "-dev " -e "^gcc-12 " -e "^cpp" || echo no-dev
			dpkg-query -W -f "\${Package} \${Status}\n" libyaml-0-2
			find / -xdev \( -name "*.whl" -o -name "_cyaml.c" -o -name "yamlcat*.egg-info" -o -path /tmp/pbrx \) \
				-not -path "/usr/share/python-wheels/*" -print
			ls -A /tmp /var/lib/apt/lists
			test -e /root/.cache || echo no-cache
			ls /var/cache/apt/archives | grep -v -e "^lock$" -e "^partial$" || echo clean
			# no log or backup of this build'"'"'s installs
			cat /var/log/apt/* /var/log/dpkg.log 2>/dev/null | grep -a -e dumb-init -e libyaml || echo no-log
			test -e /var/lib/dpkg/status-old || echo no-status-old'
		[ "$status" -eq 0 ]
		[ "$out" = "no-compiler
no-dev
libyaml-0-2 install ok installed
/tmp:

/var/lib/apt/lists:
no-cache
clean
no-log
no-status-old" ]
	done
}

e2e_test_extras() {
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

e2e_test_config() {
	rev=$(as_user git -C "$PROJ" rev-parse HEAD)
	cfg='.Config | [.Env, .User, .WorkingDir]'
	if [ "${E2E_PODMAN:-0}" = 1 ]; then
		cfg='.Config | [(.Env | map(select(test("^(TERM|container)=") | not)) | sort), .User, (.WorkingDir | sub("^/$"; ""))]'
	fi
	for name in yamlcat-base yamlcat yamlcat-lint; do
		[ "$(img "$name:latest" .Config.Entrypoint)" = '["/usr/bin/dumb-init","--"]' ]
		[ "$(img "$name:latest" .Config.Labels)" = "{\"org.opencontainers.image.created\":\"2023-11-14T22:13:20Z\",\"org.opencontainers.image.revision\":\"$rev\",\"org.opencontainers.image.source\":\"https://example.org/yamlcat.git\",\"org.opencontainers.image.title\":\"$name\",\"org.opencontainers.image.version\":\"1.0\"}" ]
		[ "$(img "$name:latest" "$cfg")" = "$(img "$PBRX_BASE_IMAGE" "$cfg")" ]
	done
	# the base keeps the base image's CMD; each script image runs its script
	[ "$(img yamlcat-base:latest .Config.Cmd)" = '["python3"]' ]
	[ "$(img yamlcat:latest .Config.Cmd)" = '["/usr/local/bin/yamlcat"]' ]
	[ "$(img yamlcat-lint:latest .Config.Cmd)" = '["/usr/local/bin/yamlcat-lint"]' ]
}

e2e_test_layers() {
	base=$(img yamlcat-base:latest .Layers)
	# pbrx writes the script image's config: no layer, on every engine
	[ "$(img yamlcat:latest .Layers)" = "$base" ]
	if [ "$TEST_ENGINE" = docker ]; then
		# and docker history says so, each Python layer by its wheels
		run "$DOCKER_CLI" history --format '{{.Size}} {{.CreatedBy}}' --no-trunc yamlcat:latest
		[ "${lines[0]}" = "0B pbrx: config" ]
		[ "${lines[2]%% *}" != 0B ]
		[ "${lines[2]#* }" = "pbrx: project: yamlcat-1.0-cp311-cp311-linux_x86_64.whl" ]
		[ "${lines[3]#* }" = "pbrx: dependencies: tinyansi-1.0-py3-none-any.whl" ]
	fi
	[ "$(img yamlcat-lint:latest '.Layers[:-1]')" = "$base" ]
	# the base image itself: three layers over the one it starts from,
	# the runtime packages, the dependencies' wheels, the project; the
	# first two are the cached images of this project
	[ "$(jq -c '.[:-3]' <<<"$base")" = "$(img "$PBRX_BASE_IMAGE" .Layers)" ]
	packages=$(cache_ref packages)
	[ "$(jq -c '.[:-2]' <<<"$base")" = "$(img "$packages" .Layers)" ]
	# The packages' layer holds libyaml and dumb-init (under 300 kB),
	# not also debconf's databases, some 800 kB that dpkg-preconfigure
	# would copy up by opening them read-write.
	added=$(($(img "$packages" .Size) - $(img "$PBRX_BASE_IMAGE" .Size)))
	echo "# the runtime packages' layer: $added bytes" >&3
	[ "$added" -gt 0 ] && [ "$added" -lt 600000 ]
	# no cached image of the Python layers: pbrx keeps their tars
	! tags | grep -q 'pbrx-cache/yamlcat:dependencies'
}

# untag REF: the engine forgets the name REF.
untag() {
	if [ "$TEST_BACKEND" = docker ]; then
		"$DOCKER_CLI" rmi "$1" >/dev/null
	else
		as_user buildah rmi "$1" >/dev/null
	fi
}

e2e_test_reproducible() {
	# The same commit again with every cache of the final images
	# dropped: a new wheelhouse (the project's wheel built again from the
	# source), no bytecode, pip answers or layers kept (an empty
	# XDG_CACHE_HOME), and the packages' layer installed again (its cache
	# tag removed; the builder's stays, for time).
	local xdg=$TMP/xdg
	mkdir -p "$xdg"
	chown --reference="$TMP" "$xdg"
	untag "$(cache_ref packages)"
	run_split as_user env XDG_CACHE_HOME="$xdg" "${BUILD[@]}" --wheelhouse "$TMP/wheels" \
		--tag again "$PROJ"
	[ "$status" -eq 0 ]
	# (one renderer: --prepare's lines and wheel-build's never meet)
	grep -q '^\[yamlcat-base packages\] committed \(localhost/\)\?pbrx-cache/yamlcat:packages-[0-9a-f]*$' <<<"$err"
	grep -q '^\[builder bytecode\] run: ' <<<"$err"
	grep -q '^\[yamlcat-base project\] wrote ' <<<"$err"
	grep -q '^\[yamlcat-base dependencies\] wrote ' <<<"$err"
	for name in yamlcat-base yamlcat yamlcat-lint; do
		[ "$(img "$name:again" -r .Id)" = "$(img "$name:latest" -r .Id)" ]
	done
}

# yamlcat_tags: the engine's yamlcat* names, sorted.
yamlcat_tags() {
	tags | grep -E '^(localhost/)?yamlcat' | sort || :
}

# The images as the document says them, but what the engine alone can
# tell (an unpacked size) and what depends on the cache (the time, what
# was reused).
images_of() {
	jq -c '[.images[] | {name, ref, id, layers: [.layers[] | del(.reused)]}]' "$@"
}

e2e_test_oci_output() {
	# the whole images in one OCI layout, nothing tagged in the engine
	local layout=$TMP/layout before
	before=$(yamlcat_tags)
	run_split as_user "${BUILD[@]}" --wheelhouse "$W/wheels" --output "oci:$layout" "$PROJ"
	[ "$status" -eq 0 ]
	[ "$(jq -c .output <<<"$out")" = "{\"kind\":\"oci\",\"path\":\"$layout\"}" ]
	# the same images, the same IDs, as the engine build's
	[ "$(images_of <<<"$out")" = "$(images_of "$W/build1.out")" ]
	[ "$(yamlcat_tags)" = "$before" ]
	[ "$(tags | grep -c pbrx-tmp || :)" = 0 ]
	[ "$(containers)" = "" ]
	# each image's size: its layers' bytes
	for i in 0 1 2; do
		[ "$(jq --argjson i "$i" '.images[$i].size' <<<"$out")" -gt 100000000 ]
	done
	# a valid layout: one manifest per image, named by its ref, its
	# config the image's ID, every blob there; nothing else beside it
	run oci_layout_check "$layout"
	[ "$status" -eq 0 ]
	[ "$output" = "$(jq -r '.images[] | "\(.ref) \(.id)"' <<<"$out")" ]
	[ "$(find "$layout" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" = "blobs index.json oci-layout " ]
	[ "$(find "$TMP" -maxdepth 1 -name '*.pbrx-*')" = "" ]
	# layers stored uncompressed, each once: the base's are shared
	for m in $(jq -r '.manifests[].digest | ltrimstr("sha256:")' "$layout/index.json"); do
		jq -r '.layers[].mediaType' "$layout/blobs/sha256/$m"
	done | sort -u >"$TMP/types"
	[ "$(cat "$TMP/types")" = application/vnd.oci.image.layer.v1.tar ]
	[ "$(find "$layout/blobs/sha256" -type f | wc -l)" -eq \
		"$(jq '[.images[].layers[].diff_id] | unique | length + 6' <<<"$out")" ]
	# the check sees a layer gone, or bytes changed
	cp -a "$layout" "$TMP/broken"
	rm "$TMP/broken/blobs/sha256/$(jq -r '.images[0].layers[0].diff_id | ltrimstr("sha256:")' <<<"$out")"
	run oci_layout_check "$TMP/broken"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "oci: $(jq -r '.images[0].layers[0].diff_id' <<<"$out"): no such blob" ]
	f=$TMP/broken/blobs/sha256/$(jq -r '.images[0].layers[-1].diff_id | ltrimstr("sha256:")' <<<"$out")
	cp "$layout/blobs/sha256/${f##*/}" "$f.x"
	printf x >>"$f.x"
	mv "$f.x" "$f"
	run oci_layout_check "$TMP/broken"
	[ "$status" -eq 1 ]
	[ "$output" = "oci: $f: not its digest" ]
	rm -rf "$TMP/broken"
	# complete: an empty storage runs a script from the layout alone
	run_split oci_layout_run "$layout" yamlcat:latest /usr/local/bin/yamlcat --version
	[ "$status" -eq 0 ]
	[ "$out" = "yamlcat 1.0 (libyaml 0.2.5)" ]
	# built again over it: replaced whole
	run_split as_user "${BUILD[@]}" --wheelhouse "$W/wheels" --output "oci:$layout" "$PROJ"
	[ "$status" -eq 0 ]
	run oci_layout_check "$layout"
	[ "$status" -eq 0 ]
	[ "$(find "$TMP" -maxdepth 1 -name '*.pbrx-*')" = "" ]
}

e2e_test_oci_archive() {
	# two builds, the same bytes
	local a=$TMP/a/yamlcat.tar b=$TMP/b/yamlcat.tar before
	mkdir -p "$TMP/a" "$TMP/b"
	chown --reference="$TMP" "$TMP/a" "$TMP/b"
	before=$(yamlcat_tags)
	for f in "$a" "$b"; do
		run_split as_user "${BUILD[@]}" --wheelhouse "$W/wheels" --output "oci-archive:$f" "$PROJ"
		[ "$status" -eq 0 ]
		[ "$(jq -c .output <<<"$out")" = "{\"kind\":\"oci-archive\",\"path\":\"$f\"}" ]
		[ "$(images_of <<<"$out")" = "$(images_of "$W/build1.out")" ]
	done
	cmp "$a" "$b"
	[ "$(yamlcat_tags)" = "$before" ]
	# a normalised tar: sorted, owner 0:0, one mtime; a valid layout
	run tar --numeric-owner -tvf "$a"
	[ "$status" -eq 0 ]
	[ "$(awk '{print $2}' <<<"$output" | sort -u)" = 0/0 ]
	[ "$(awk '{print $4, $5}' <<<"$output" | sort -u | wc -l)" = 1 ]
	[ "$(tar -tf "$a")" = "$(tar -tf "$a" | LC_ALL=C sort)" ]
	mkdir "$TMP/x"
	tar -C "$TMP/x" -xf "$a"
	run oci_layout_check "$TMP/x"
	[ "$status" -eq 0 ]
	[ "$output" = "$(jq -r '.images[] | "\(.ref) \(.id)"' "$W/build1.out")" ]
	[ "$(find "$TMP/a" "$TMP/b" -name '*.pbrx-*')" = "" ]
	# a directory where the file goes: said before anything is built,
	# and kept
	mkdir "$TMP/c" "$TMP/c/yamlcat.tar"
	chown -R --reference="$TMP" "$TMP/c"
	run_split as_user image-assemble --output "oci-archive:$TMP/c/yamlcat.tar" <"$W/docs/06-image-plan.json"
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "image-assemble: $TMP/c/yamlcat.tar: not a regular file: not replaced" ]
	[ -d "$TMP/c/yamlcat.tar" ]
	# a write that fails once the images are built (no such directory)
	# says so and leaves nothing: no temporary tag, no half layout
	run_split as_user image-assemble --output "oci-archive:$TMP/c/no/yamlcat.tar" <"$W/docs/06-image-plan.json"
	[ "$status" -eq 1 ]
	[ -z "$out" ]
	grep -qx "image-assemble: $TMP/c/no/yamlcat.tar: No such file or directory" <<<"$err"
	[ "$(ls -A "$TMP/c")" = yamlcat.tar ]
	[ "$(yamlcat_tags)" = "$before" ]
	[ "$(tags | grep -c pbrx-tmp || :)" = 0 ]
	[ "$(containers)" = "" ]
}

e2e_test_runtime_auto() {
	# bindep.txt without its runtime line for libyaml: the builder says
	# which package owns the library the extension needs, and
	# --runtime-packages auto installs it.
	# (an empty cache: the builder is asked, not the answer kept)
	local proj=$TMP/yamlcat xdg=$TMP/xdg
	cp -a "$PROJ" "$proj"
	grep -v '^libyaml-0-2 ' "$PROJ/bindep.txt" >"$proj/bindep.txt"
	mkdir -p "$xdg"
	chown -R --reference="$TMP" "$proj" "$xdg"
	run_split as_user env XDG_CACHE_HOME="$xdg" "${BUILD[@]}" --runtime-packages auto \
		--tag auto "$proj"
	[ "$status" -eq 0 ]
	grep -q '^\[builder runtime\] run: python3 -c OWNERS /tmp/pbrx/resolve/owners.json libyaml-0.so.2 libc.so.6$' <<<"$err"
	grep -qx 'image-plan: runtime: the extensions need libyaml-0-2 (libyaml-0.so.2), libc6 (libc.so.6, in every base image)' <<<"$err"
	[ "$(jq -c '[.wheels.runtime_libraries[] | [.soname, .package, .essential]]' <<<"$out")" = \
		'[["libyaml-0.so.2","libyaml-0-2",false],["libc.so.6","libc6",true]]' ]
	[ "$(jq -c '.plan.images[0].packages' <<<"$out")" = '["dumb-init","libyaml-0-2"]' ]
	! grep -q 'is not in the image' <<<"$err"
	run_split img_run yamlcat:auto /usr/local/bin/yamlcat --version
	[ "$status" -eq 0 ]
	[ "$out" = "yamlcat 1.0 (libyaml 0.2.5)" ]
	# without it, bindep.txt's selection: the image lacks the library,
	# and the check says so
	run_split as_user env XDG_CACHE_HOME="$xdg" "${BUILD[@]}" --tag bindep "$proj"
	[ "$status" -eq 0 ]
	# the same builder: its answer kept, not asked again
	! grep -q '^\[builder runtime\] run: ' <<<"$err"
	[ "$(jq -c '[.wheels.runtime_libraries[] | .package]' <<<"$out")" = '["libyaml-0-2","libc6"]' ]
	grep -q "^image-assemble: warning: yamlcat-base: libyaml-0.so.2, needed by yamlcat/_cyaml.cpython-311-x86_64-linux-gnu.so, is not in the image" <<<"$err"
}

# cache_ref LAYER: the one tag of pbrx-cache/yamlcat for that layer.
cache_ref() {
	local t
	t=$(tags | grep -x "\(localhost/\)\?pbrx-cache/yamlcat:$1-[0-9a-f]\{40\}")
	[ "$(wc -l <<<"$t")" = 1 ]
	printf '%s\n' "$t"
}

e2e_test_cache() {
	local proj=$TMP/yamlcat deps=$TMP/deps
	cp -a "$PROJ" "$proj"
	mkdir -p "$deps"
	cp "$W/deps"/*.whl "$deps/"
	chown -R --reference="$TMP" "$proj" "$deps"
	base_layers=$(img yamlcat-base:latest .Layers)
	# the same build, with the copy of the dependencies
	local -a build=()
	for a in "${BUILD[@]}"; do
		if [ "$a" = "$W/deps" ]; then
			a=$deps
		fi
		build+=("$a")
	done

	# --prepare: the packages' layer (found: the first build made it),
	# the document passed on unchanged
	run_split as_user image-assemble --prepare <"$W/docs/04-image-plan.json"
	[ "$status" -eq 0 ]
	[ "$out" = "$(cat "$W/docs/04-image-plan.json")" ]
	! grep -q 'dependencies' <<<"$err"

	# a one-line change in the project's Python source: every cached
	# layer is found again; only the project's own layer is new
	echo '# a change' >>"$proj/yamlcat/cmd.py"
	run_split as_user env "${build[@]}" --tag src "$proj"
	[ "$status" -eq 0 ]
	grep -q '^\[builder packages\] cached \(localhost/\)\?pbrx-cache/builder:packages-[0-9a-f]\{40\}$' <<<"$err"
	grep -q '^\[yamlcat-base dependencies\] cached ' <<<"$err"
	[ "$(grep -c -e '\] committed \(localhost/\)\?pbrx-cache/' -e '\] run: .*apt-get .*install ' <<<"$err" || :)" = 0 ]
	[ "$(img yamlcat-base:src '.Layers[:-1]')" = "$(jq -c '.[:-1]' <<<"$base_layers")" ]
	[ "$(img yamlcat-base:src '.Layers[-1]')" != "$(jq -c '.[-1]' <<<"$base_layers")" ]
	run_split img_run yamlcat:src /usr/local/bin/yamlcat --version
	[ "$out" = "yamlcat 1.0 (libyaml 0.2.5)" ]

	# a new version of a dependency: its layer and the project's are
	# rebuilt, the packages' are not
	rm "$deps"/tinyansi-*.whl
	cp -R "$PBRX_ROOT/examples/yamlcat-deps/tinyansi" "$TMP/tinyansi"
	sed -i 's/^version = 1.0$/version = 1.1/' "$TMP/tinyansi/setup.cfg"
	PIP_NO_INDEX=1 /usr/bin/python3 -m pip wheel -q --no-deps --find-links /usr/share/python-wheels \
		--wheel-dir "$deps" "$TMP/tinyansi"
	chown -R --reference="$TMP" "$deps"
	run_split as_user env "${build[@]}" --tag dep "$proj"
	[ "$status" -eq 0 ]
	grep -q '^\[yamlcat-base dependencies\] wrote ' <<<"$err"
	[ "$(img yamlcat-base:dep '.Layers[:-2]')" = "$(jq -c '.[:-2]' <<<"$base_layers")" ]
	[ "$(img yamlcat-base:dep '.Layers[-2]')" != "$(jq -c '.[-2]' <<<"$base_layers")" ]
	run_split img_run yamlcat-base:dep python3 -c 'import importlib.metadata as m; print(m.version("tinyansi"))'
	[ "$out" = 1.1 ]

	# --no-cache: every layer is built again (engine-independent, and
	# slow: one engine checks it)
	if [ "${E2E_NO_CACHE:-0}" != 1 ]; then
		return 0
	fi
	run_split as_user env "${build[@]}" --no-cache --tag nocache "$proj"
	[ "$status" -eq 0 ]
	grep -q '^\[builder packages\] committed ' <<<"$err"
	grep -q '^\[yamlcat-base packages\] committed ' <<<"$err"
	grep -q '^\[yamlcat-base dependencies\] wrote ' <<<"$err"
	# once: by --prepare, which image-assemble then finds
	[ "$(grep -c '^\[yamlcat-base packages\] run: .*apt-get .*install' <<<"$err")" = 1 ]
	[ "$(containers)" = "" ]
}

e2e_test_builder_user() {
	# The wheels are built by nobody, who can write nothing the builder's
	# commit takes: this setup.py fails the build when it runs as anyone
	# else, or can write anywhere on the root file system it tries
	# (/var/tmp and /run/lock are every user's in Debian's images).  The
	# packages' layer is built again (--no-cache) in the container that
	# then builds the wheels, and committed beside them: one container.
	local proj=$TMP/yamlcat ref
	cp -a "$PROJ" "$proj"
	cat >>"$proj/setup.py" <<'EOF2'
import os
if (os.getuid(), os.getgid()) != (65534, 65534):
    raise SystemExit("setup.py: run as %d:%d" % (os.getuid(), os.getgid()))
for probe in ("/pbrx-probe", "/usr/local/lib/pbrx-probe", "/root/pbrx-probe",
              "/var/tmp/pbrx-probe", "/run/lock/pbrx-probe", "/etc/pbrx-probe"):
    try:
        open(probe, "w").close()
    except PermissionError:
        continue
    raise SystemExit("setup.py: wrote " + probe)
EOF2
	chown -R --reference="$TMP" "$proj"
	run_split as_user "${BUILD[@]}" -v --no-cache --wheelhouse "$TMP/wheels" --tag user "$proj"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^wheel-build: builder yamlcat-wheel-build' <<<"$err")" = 1 ]
	grep -q '^\[builder packages\] committed \(localhost/\)\?pbrx-cache/builder:packages-[0-9a-f]\{40\}$' <<<"$err"
	! grep -q 'built as root' <<<"$err"
	# the wheels reached the wheelhouse, the user's
	ls "$TMP/wheels"/yamlcat-1.0-*.whl
	[ -z "$(find "$TMP/wheels" ! -user "$(stat -c %u "$TMP")")" ]
	# nothing of the build in the committed builder
	ref=$(tags | grep -m1 -x '\(localhost/\)\?pbrx-cache/builder:packages-[0-9a-f]\{40\}')
	run_in "$ref" 'find / -xdev -name pbrx-probe; find / -xdev -path /tmp -prune -o -perm -0002 ! -type l -print; ls -A /tmp'
	[ "$status" -eq 0 ]
	[ -z "$out" ]
	run_split img_run yamlcat:user /usr/local/bin/yamlcat --version
	[ "$status" -eq 0 ]
}

e2e_test_source_tree() {
	snapshot "$PROJ" >"$TMP/after"
	diff -u "$W/before" "$TMP/after"
}

e2e_test_keep_documents() {
	run ls "$W/docs"
	[ "$output" = "01-cfg-extras.json
02-image-inspect.json
03-bindep-filter.json
04-image-plan.json
05-wheel-build.json
06-image-plan.json
07-image-assemble.json
08-summary.json" ]
	i=0
	# 06: image-plan again, replacing the plan in place (the last key
	# stays wheels); 08: the renderer's, with the summary's facts
	for section in project base bindep plan wheels wheels images summary; do
		i=$((i + 1))
		f=$(printf '%s/%02d-*.json' "$W/docs" "$i")
		# shellcheck disable=SC2086
		[ "$(jq -r 'keys_unsorted | last' $f)" = "$section" ]
	done
	cmp "$W/docs/08-summary.json" "$W/build1.out"
	[ "$(jq -c 'del(.summary)' "$W/docs/08-summary.json")" = "$(jq -c . "$W/docs/07-image-assemble.json")" ]
}

e2e_test_second_build() {
	# the first build made every dependency wheel
	[ "$(jq -c '.wheels.project_wheel as $p | [.wheels.files[] | select(.file != $p) | .built] | unique' "$W/build1.out")" = '[true]' ]
	before=$(ids yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)
	local t0=$SECONDS
	local -a second_env
	read -r -a second_env <<<"${E2E_SECOND_ENV:-}"
	run_split as_user env "${second_env[@]}" "${BUILD[@]}" -q --prefix acme --tag v2 \
		--wheelhouse "$W/wheels" "$PROJ"
	echo "# ${BATS_TEST_FILENAME##*/}: second build (wheels reused): $((SECONDS - t0)) s" >&3
	[ "$status" -eq 0 ]
	[ "$(jq -r '.images[].ref' <<<"$out")" = "acme/yamlcat-base:v2
acme/yamlcat:v2
acme/yamlcat-lint:v2" ]
	# -q: no stage lines, no step output
	[ "$(grep -c -e '^\[' -e 'Reading package lists' <<<"$err" || :)" = 0 ]
	[ "$(jq -c '.wheels.project_wheel as $p | [.wheels.files[] | select(.file != $p) | .built] | unique' <<<"$out")" = '[false]' ]
	[ "$(jq -r '.wheels.project_wheel as $p | .wheels.files[] | select(.file == $p) | .built' <<<"$out")" = true ]
	run_split img_run acme/yamlcat-lint:v2 /usr/local/bin/yamlcat-lint --version
	[ "$out" = "yamlcat-lint 1.0 (libyaml 0.2.5)" ]
	[ "$(img acme/yamlcat:v2 -r '.Config.Labels."org.opencontainers.image.title"')" = acme/yamlcat ]
	# the other names are left alone
	[ "$(ids yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)" = "$before" ]
}

# A project, wheelhouse and find-links directory whose paths have a ':'
# (buildah's --volume splits there) and a space: mounted all the same.
e2e_test_odd_paths() {
	local odd="$TMP/odd: dir"
	mkdir -p "$odd"
	cp -a "$PROJ" "$odd/yamlcat"
	mkdir "$odd/deps:1" "$odd/wheels:2"
	cp "$W/deps"/*.whl "$odd/deps:1/"
	chown -R --reference="$TMP" "$odd"
	local -a build=()
	for a in "${BUILD[@]}"; do
		if [ "$a" = "$W/deps" ]; then
			a="$odd/deps:1"
		fi
		build+=("$a")
	done
	run_split as_user env "${build[@]}" -q --tag odd --wheelhouse "$odd/wheels:2" "$odd/yamlcat"
	echo "$err"
	[ "$status" -eq 0 ]
	compgen -G "$odd/wheels:2/yamlcat-1.0-*.whl" >/dev/null
	run_split img_run yamlcat-lint:odd /usr/local/bin/yamlcat-lint --version
	[ "$out" = "yamlcat-lint 1.0 (libyaml 0.2.5)" ]
	[ "$(containers)" = "" ]
}

# failing_doc ARGV-JSON: the first build's wheel-build document with the
# yamlcat-lint image's step replaced by ARGV-JSON, on stdout.
failing_doc() {
	jq --argjson argv "$1" '.plan.images[2].steps[0].argv = $argv' "$W/docs/05-wheel-build.json"
}

e2e_test_assemble_failure() {
	failing_doc '["python3","-m","pip","install","--no-index","--no-cache-dir","--find-links","/tmp/pbrx/wheels","no-such-dist"]' >"$TMP/doc.json"
	before=$(ids yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)
	images=$(all_images)
	run_split as_user image-assemble -q <"$TMP/doc.json"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	[ "${err##*$'\n'}" = "image-assemble: yamlcat-lint: step install failed (exit status 1): python3 -m pip install --no-index --no-cache-dir --find-links /tmp/pbrx/wheels no-such-dist" ]
	# with -q the failed step's argv and output are shown, the others' not
	grep -q "^image-assemble: yamlcat-lint install failed (exit status 1) after " <<<"$err"
	grep -q "^  argv: python3 -m pip install --no-index --no-cache-dir --find-links /tmp/pbrx/wheels no-such-dist$" <<<"$err"
	grep -q "^  | ERROR: No matching distribution found for no-such-dist" <<<"$err"
	[ "$(grep -c "Reading package lists" <<<"$err" || :)" = 0 ]
	[ "$(containers)" = "" ]
	[ "$(ids yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)" = "$before" ]
	# the base and yamlcat images built by this run are gone too
	[ "$(all_images)" = "$images" ]
}

# The script images are built side by side: yamlcat-lint's step fails
# while yamlcat's still runs.  One failure is reported, the other image's
# step is stopped by the cleanup (not waited for), and nothing is left.
e2e_test_assemble_parallel_failure() {
	failing_doc '["python3","-m","pip","install","--no-index","--no-cache-dir","--find-links","/tmp/pbrx/wheels","no-such-dist"]' |
		jq '.plan.images[1].steps = [{"name": "install", "argv": ["sleep", "67"]}]' >"$TMP/doc.json"
	images=$(all_images)
	run_split as_user image-assemble -v <"$TMP/doc.json"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	# both steps started; yamlcat's never finished
	grep -q '^\[yamlcat install\] run: sleep 67$' <<<"$err"
	grep -q '^\[yamlcat-lint install\] run: python3 -m pip install ' <<<"$err"
	! grep -q '^image-assemble: yamlcat: built ' <<<"$err"
	# one failure, lint's: none of yamlcat's, whose container went
	grep -e '^image-assemble: [a-z-]*: .*\(fail\|error\|docker: \|buildah: \)' \
		-e '^image-assemble: \(warning: \)\?\(docker\|buildah\): .*\(fail\|error\|No such\|no such\|not \)' \
		<<<"$err" >"$TMP/failures" || :
	cat "$TMP/failures"
	[ "$(cat "$TMP/failures")" = "image-assemble: yamlcat-lint: step install failed (exit status 1): python3 -m pip install --no-index --no-cache-dir --find-links /tmp/pbrx/wheels no-such-dist" ]
	[ "$(containers)" = "" ]
	[ "$(all_images)" = "$images" ]
	[ "$(pgrep -f '^(/usr/bin/)?sleep 67$' || :)" = "" ]
}

e2e_test_assemble_sigterm() {
	failing_doc '["sleep","73"]' >"$TMP/doc.json"
	images=$(all_images)
	as_user_exec image-assemble -q <"$TMP/doc.json" >/dev/null 2>"$TMP/err" 3>&- &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		container_names | grep -q '^pbrx-yamlcat-lint-' && break
		sleep 0.1
	done
	container_names | grep -q '^pbrx-yamlcat-lint-'
	# the step runs
	sleep 1
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	grep -q "^image-assemble: Terminated: removing containers and temporary images$" "$TMP/err"
	[ "$(containers)" = "" ]
	[ "$(all_images)" = "$images" ]
	# nothing of the step is left running
	[ "$(pgrep -f '^(/usr/bin/)?sleep 73$' || :)" = "" ]
}

e2e_test_build_failure() {
	before=$(ids yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)
	# without the dependencies' wheelhouse pip can't find tinyansi
	mkdir "$TMP/scratch"
	chown --reference="$TMP" "$TMP/scratch"
	run_split as_user env TMPDIR="$TMP/scratch" pbrx-build-images -q --base-image "$PBRX_BASE_IMAGE" \
		--find-links /usr/share/python-wheels --keep-documents "$TMP/docs" "$PROJ"
	[ "$status" -eq 1 ]
	[ "$out" = "" ]
	grep -q "^wheel-build: .*wheels.*python3 -m pip wheel" <<<"$err"
	grep -q '^pbrx-build-images: wheel-build failed (exit status 1) after [0-9.]* s$' <<<"$err"
	[ "$(ls "$TMP/docs")" = "01-cfg-extras.json
02-image-inspect.json
03-bindep-filter.json
04-image-plan.json" ]
	[ "$(containers)" = "" ]
	[ "$(ids yamlcat-base:latest yamlcat:latest yamlcat-lint:latest)" = "$before" ]
	# the scratch directory (and the temporary wheelhouse in it) is gone
	[ "$(ls -A "$TMP/scratch")" = "" ]
}

# e2e_test_plan_only: --plan-only with the engine, then under
# E2E_NO_ENGINE, where it does not answer.
e2e_test_plan_only() {
	images=$(all_images)
	run_split as_user pbrx-build-images --plan-only --base-image "$PBRX_BASE_IMAGE" --prefix acme "$PROJ"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'keys_unsorted' <<<"$out")" = '["project","base","bindep","plan"]' ]
	[ "$(jq -r '.plan.images[].ref' <<<"$out")" = "acme/yamlcat-base:latest
acme/yamlcat:latest
acme/yamlcat-lint:latest" ]
	[ "$(jq -r .bindep.platform.source <<<"$out")" = base ]
	[ "$(all_images)" = "$images" ]
	[ "$(containers)" = "" ]
	run_split as_user env "$E2E_NO_ENGINE" pbrx-build-images --plan-only --base-image "$PBRX_BASE_IMAGE" "$PROJ"
	[ "$status" -eq 0 ]
	grep -q "^pbrx-build-images: warning: --plan-only: planning for this host's platform" <<<"$err"
	[ "$(jq -r .bindep.platform.source <<<"$out")" = host ]
	[ "$(jq -c 'keys_unsorted' <<<"$out")" = '["project","bindep","plan"]' ]
}

e2e_test_dockerfile() {
	cp -a "$PROJ" "$TMP/proj"
	cat >"$TMP/proj/Dockerfile.yamlcat" <<'EOF'
# pbrx's Dockerfiles said FROM {name}-base
FROM yamlcat-base
RUN ["python3", "-c", "open('/from-dockerfile', 'w').write('yes')"]
CMD ["/usr/local/bin/yamlcat"]
EOF
	chown -R --reference="$TMP" "$TMP/proj"
	before=$(ids yamlcat-base:latest)
	run_split as_user "${BUILD[@]}" --prefix df --tag t --wheelhouse "$W/wheels" "$TMP/proj"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.plan.images[1].kind' <<<"$out")" = dockerfile ]
	run_split img_run df/yamlcat:t sh -c 'cat /from-dockerfile; echo; yamlcat --version'
	[ "$out" = "yes
yamlcat 1.0 (libyaml 0.2.5)" ]
	# its layers are this run's base's plus one: not yamlcat-base:latest's
	[ "$(img df/yamlcat:t '.Layers[:-1]')" = "$(img df/yamlcat-base:t .Layers)" ]
	[ "$(ids yamlcat-base:latest)" = "$before" ]
	[ "$(img df/yamlcat:t -r '.Config.Labels."org.opencontainers.image.title"')" = df/yamlcat ]
	[ "$(img df/yamlcat:t .Config.Entrypoint)" = '["/usr/bin/dumb-init","--"]' ]
	# the project's tree did not get the rewritten Dockerfile
	[ ! -e "$TMP/proj/.pbrx-build.Dockerfile" ]
	[ "$(containers)" = "" ]
}
