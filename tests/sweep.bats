#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Containers left by a run that died (nothing lost): every container a
# stage makes is named with the owner token of its process
# (common/engine/owner.h), and image-inspect, wheel-build and
# image-assemble remove at their start the containers whose process is
# gone (the latter two unless .base.swept says image-inspect did); those of
# live processes, other boots (other hosts), other pid namespaces and
# names without a token stay.  A private dockerd, and buildah as root
# with a private storage.  The containers are made by hand with names
# that say what the sweep must think of them.

# shellcheck disable=SC2154 # out and err are set by run_split
true

load helpers
load lib/dockerd
load lib/buildah

setup_file() {
	dockerd_start
	dockerd_base_image
	export PATH="$PBRX_ROOT/build/bin:$PATH" LC_ALL=C
	PLAN=$BATS_FILE_TMPDIR/plan.json
	cfg-extras "$PBRX_ROOT/examples/yamlcat" | image-inspect -q "$PBRX_BASE_IMAGE" |
		bindep-filter | image-plan -q --base-image "$PBRX_BASE_IMAGE" >"$PLAN"
	export PLAN
}

teardown_file() {
	dockerd_stop
}

setup() {
	common_setup
	# This host and boot, this pid namespace: what a token of ours says.
	BOOT=$(tr -d -- - </proc/sys/kernel/random/boot_id | cut -c1-16)
	NS=$(stat -L -c %i /proc/self/ns/pid)
	# A process of ours that is gone, with its real start time.
	sleep 600 &
	DEAD=$!
	DEAD_START=$(start_time "$DEAD")
	kill "$DEAD"
	wait "$DEAD" || :
	[ ! -e "/proc/$DEAD" ]
	# This test's shell: alive all along.
	LIVE=$$
	LIVE_START=$(start_time "$LIVE")
	echo "dead $DEAD started at $DEAD_START; live $LIVE at $LIVE_START"
	[ -n "$DEAD_START" ] && [ -n "$LIVE_START" ]
}

teardown() {
	"$DOCKER_CLI" ps -aq | xargs -r "$DOCKER_CLI" rm -f >/dev/null
	common_teardown
}

# start_time PID: field 22 of /proc/PID/stat (the fields after the
# command name, which is in parentheses).
start_time() {
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	cut -d' ' -f20 <<<"$stat"
}

# token PID START [BOOT [NS]]: an owner token, ours unless told.
token() {
	echo "pbrx-${3:-$BOOT}-${4:-$NS}-$1-$2"
}

# The other boot: BOOT with its first digit changed.
other_boot() {
	local first=${BOOT:0:1}
	if [ "$first" = 0 ]; then first=1; else first=0; fi
	echo "$first${BOOT:1}"
}

# docker_names: the names of every container, sorted.
docker_names() {
	"$DOCKER_CLI" ps -a --format '{{.Names}}' | sort
}

# make_containers CREATE: the cases, each made with CREATE NAME; sets
# STALE (the names the sweep must remove, sorted) and KEEP (the others).
make_containers() {
	local create=$1 n
	local -a stale keep
	stale=(
		"left-a.$(token "$DEAD" "$DEAD_START")"
		# the pid of a live process, but another start time: the pid
		# was used again
		"left-b.$(token "$LIVE" "$((LIVE_START + 1))")"
	)
	keep=(
		"live.$(token "$LIVE" "$LIVE_START")"
		"other-boot.$(token "$DEAD" "$DEAD_START" "$(other_boot)")"
		"other-ns.$(token "$DEAD" "$DEAD_START" "$BOOT" "$((NS + 1))")"
		"no-token-$DEAD"
		# tokens that don't parse: something after, a digit too many
		"trailing.$(token "$DEAD" "$DEAD_START")-x"
		"long-boot.$(token "$DEAD" "$DEAD_START" "${BOOT}0")"
	)
	# upper-case digits (when the boot id has letters: 1 - (10/16)^16)
	if [[ "$BOOT" == *[a-f]* ]]; then
		keep+=("upper.$(token "$DEAD" "$DEAD_START" "${BOOT^^}")")
	fi
	for n in "${stale[@]}" "${keep[@]}"; do
		"$create" "$n" >/dev/null
	done
	STALE=$(printf '%s\n' "${stale[@]}" | sort)
	KEEP=$(printf '%s\n' "${keep[@]}" | sort)
}

docker_create() {
	"$DOCKER_CLI" create --network none --name "$1" "$PBRX_BASE_IMAGE" true
}

# removal_lines STAGE IDS_OF: the lines the sweep must say for STALE,
# sorted; IDS_OF NAME gives a container's ID.
removal_lines() {
	local stage=$1 ids_of=$2 n pid
	while read -r n; do
		pid=${n%-*}
		pid=${pid##*-}
		echo "$stage: removing container $n ($("$ids_of" "$n" | cut -c1-12)) left by an earlier run (process $pid is gone)"
	done <<<"$STALE" | sort
}

docker_id() {
	"$DOCKER_CLI" inspect --format '{{.Id}}' "$1"
}

buildah_create() {
	buildah from --quiet --pull=never --name "$1" scratch
}

buildah_id() {
	buildah containers --json | jq -r --arg n "$1" '.[] | select(.containername == $n) | .id'
}

buildah_names() {
	buildah containers --format '{{.ContainerName}}' | sort
}

@test "a container name carries this process's token; the stage leaves none behind" {
	export XDG_CACHE_HOME=$TMP/cache
	run_split image-inspect -v "$PBRX_BASE_IMAGE" </dev/null
	[ "$status" -eq 0 ]
	# the os-release reader, named by the owner token of image-inspect
	grep -Eq "/containers/create\\?name=pbrx-read-file-0\\.pbrx-$BOOT-$NS-[0-9]+-[0-9]+\$" <<<"$err"
	[ "$("$DOCKER_CLI" ps -aq)" = "" ]
}

@test "docker: image-inspect removes the containers of gone processes of this boot and namespace, and only those" {
	make_containers docker_create
	want=$(removal_lines image-inspect docker_id)
	[ "$(wc -l <<<"$STALE")" -eq 2 ]
	# -q: the removals are said all the same
	run_split image-inspect -q "$PBRX_BASE_IMAGE" </dev/null
	echo "$err"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$err")" = "$want" ]
	[ "$(docker_names)" = "$KEEP" ]
	# a second run finds nothing to remove and says nothing
	run_split image-inspect "$PBRX_BASE_IMAGE" </dev/null
	[ "$status" -eq 0 ]
	[ "$err" = "" ]
	[ "$(docker_names)" = "$KEEP" ]
}

@test "docker: wheel-build and image-assemble sweep at their start too, when no .base.swept says it's done (here before failing on a missing image)" {
	for stage in wheel-build image-assemble; do
		make_containers docker_create
		want=$(removal_lines "$stage" docker_id)
		if [ "$stage" = wheel-build ]; then
			jq '.plan.builder.from = "pbrx-test/no-such-image:1" | del(.base.swept)' "$PLAN" >"$TMP/doc.json"
		else
			# a wheelhouse as wheel-build would name it: image-assemble
			# checks before anything that the plan's mounts can be made
			jq --arg w "$TMP" '.plan.images[0].from = "pbrx-test/no-such-image:1" | del(.base.swept) |
				.wheels = {"wheelhouse": $w}' "$PLAN" >"$TMP/doc.json"
		fi
		run_split "$stage" -q <"$TMP/doc.json"
		echo "$err"
		[ "$status" -eq 1 ]
		[ "$(grep -c 'left by an earlier run' <<<"$err")" -eq 2 ]
		[ "$(grep 'left by an earlier run' <<<"$err" | sort)" = "$want" ]
		grep -q "no-such-image" <<<"$err"
		[ "$(docker_names)" = "$KEEP" ]
		"$DOCKER_CLI" ps -aq | xargs -r "$DOCKER_CLI" rm -f >/dev/null
	done
}

@test "docker: image-assemble --prepare leaves the sweep to the stages beside and after it" {
	make_containers docker_create
	jq '.plan.images[0].from = "pbrx-test/no-such-image:1" | del(.base.swept)' "$PLAN" >"$TMP/doc.json"
	run_split image-assemble -q --prepare <"$TMP/doc.json"
	echo "$err"
	refute grep -q 'left by an earlier run' <<<"$err"
	[ "$(docker_names)" = "$(sort <<<"$STALE
$KEEP")" ]
}

@test "docker: with .base.swept (image-inspect swept for this run) wheel-build and image-assemble do not look" {
	make_containers docker_create
	[ "$(jq -c .base.swept "$PLAN")" = true ]
	for stage in wheel-build image-assemble; do
		jq '.plan.builder.from = "pbrx-test/no-such-image:1" | .plan.images[0].from = "pbrx-test/no-such-image:1"' \
			"$PLAN" >"$TMP/doc.json"
		run_split "$stage" -q <"$TMP/doc.json"
		echo "$err"
		refute grep -q 'left by an earlier run' <<<"$err"
		[ "$(docker_names)" = "$(sort <<<"$STALE
$KEEP")" ]
	done
}

@test "pbrx-build-images: image-inspect sweeps, the stages after it are told so by .base.swept, not the environment" {
	make_containers docker_create
	want=$(removal_lines image-inspect docker_id)
	# The driver beside the real stages but wheel-build and
	# image-assemble, which say what they were given.  wheel-build fails
	# once image-assemble --prepare, beside it, has said it (the driver
	# stops --prepare when wheel-build fails).
	mkdir "$TMP/bin"
	cp "$PBRX_ROOT/build/bin/pbrx-build-images" "$TMP/bin/"
	for t in cfg-extras image-inspect bindep-filter image-plan; do
		ln -s "$PBRX_ROOT/build/bin/$t" "$TMP/bin/$t"
	done
	printf '#!/bin/sh
doc=$(cat)
echo "wheel-build: swept=$(printf %%s "$doc" | jq -c .base.swept) PBRX_SWEPT=${PBRX_SWEPT:-}" >&2
i=0
while [ ! -e "%s/prepared" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
exit 1
' "$TMP" >"$TMP/bin/wheel-build"
	printf '#!/bin/sh
doc=$(cat)
echo "image-assemble: swept=$(printf %%s "$doc" | jq -c .base.swept) PBRX_SWEPT=${PBRX_SWEPT:-}" >&2
: >"%s/prepared"
printf "%%s\\n" "$doc"
' "$TMP" >"$TMP/bin/image-assemble"
	chmod +x "$TMP/bin/wheel-build" "$TMP/bin/image-assemble"
	run_split "$TMP/bin/pbrx-build-images" -q --base-image "$PBRX_BASE_IMAGE" "$PBRX_ROOT/examples/yamlcat"
	echo "$err"
	[ "$status" -eq 1 ]
	[ "$(grep 'left by an earlier run' <<<"$err" | sort)" = "$want" ]
	grep -qx 'wheel-build: swept=true PBRX_SWEPT=' <<<"$err"
	grep -qx 'image-assemble: swept=true PBRX_SWEPT=' <<<"$err"
	[ "$(docker_names)" = "$KEEP" ]
}

@test "docker: two stages sweeping at once: every stale container goes, no warning" {
	# When both list a container before either removes it, one removal
	# fails (no such container): that is no failure.  Whether they do
	# overlap is up to the scheduler; the outcome must be the same.
	make_containers docker_create
	image-inspect -q "$PBRX_BASE_IMAGE" </dev/null >/dev/null 2>"$TMP/err1" &
	p1=$!
	image-inspect -q "$PBRX_BASE_IMAGE" </dev/null >/dev/null 2>"$TMP/err2" &
	p2=$!
	wait "$p1"
	wait "$p2"
	cat "$TMP/err1" "$TMP/err2"
	refute grep -q warning "$TMP/err1" "$TMP/err2"
	[ "$(cat "$TMP/err1" "$TMP/err2" | grep -c 'left by an earlier run')" -ge 2 ]
	[ "$(docker_names)" = "$KEEP" ]
}

@test "buildah as root: the same sweep over buildah's working containers" {
	(
		buildah_start
		trap buildah_stop EXIT
		buildah_base_image
		# no container at all (buildah says "null"): nothing to say
		[ "$(buildah containers --quiet)" = "" ]
		run_split image-inspect --engine buildah -q "$PBRX_BASE_IMAGE" </dev/null
		[ "$status" -eq 0 ]
		[ "$err" = "" ]
		make_containers buildah_create
		want=$(removal_lines image-inspect buildah_id)
		run_split image-inspect --engine buildah -q "$PBRX_BASE_IMAGE" </dev/null
		echo "$err"
		[ "$status" -eq 0 ]
		[ "$(sort <<<"$err")" = "$want" ]
		[ "$(buildah_names)" = "$KEEP" ]
	)
}
