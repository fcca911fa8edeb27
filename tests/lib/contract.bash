# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# The engine contract (tests/tools/engine-contract.c) against one back
# end: contract_setup_file ENGINE starts it (dockerd, podman or buildah
# as root), and contract_test runs the program over the base image.
# Loaded by tests/engine-contract-ENGINE.bats, each a few lines.

load lib/dockerd
load lib/podman
load lib/buildah

# contract_setup_file docker|podman|buildah
contract_setup_file() {
	local root
	CONTRACT_ENGINE=$1
	case $1 in
	docker)
		dockerd_start
		dockerd_base_image
		PBRX_ENGINE=docker ;;
	podman)
		command -v podman >/dev/null || {
			echo "podman is not installed" >&2
			return 1
		}
		podman_start
		dockerd_base_image
		PBRX_ENGINE=docker ;;
	buildah)
		buildah_start
		buildah_base_image
		PBRX_ENGINE=buildah ;;
	esac
	export CONTRACT_ENGINE PBRX_ENGINE
	root=$BATS_TEST_DIRNAME/..
	# shellcheck disable=SC2046 # the sanitizers' flags, when built so
	cc -D_GNU_SOURCE -I"$root/common" -std=c11 -g -Wall -Wextra -Werror \
		$(nm "$root/build/libcommon.a" 2>/dev/null | grep -q __asan &&
			echo -fsanitize=address,undefined -fno-sanitize-recover=all) \
		-o "$BATS_FILE_TMPDIR/engine-contract" "$root/tests/tools/engine-contract.c" \
		"$root/build/libcommon.a" -ljansson -lcurl -larchive
}

contract_teardown_file() {
	case $CONTRACT_ENGINE in
	docker) dockerd_stop ;;
	podman) podman_stop ;;
	buildah) buildah_stop ;;
	esac
}

# Every step of the contract, in order, and nothing on stdout but them.
contract_test() {
	mkdir -p "$TMP/in"
	echo "hello from the host" >"$TMP/in/hello"
	run_split "$BATS_FILE_TMPDIR/engine-contract" "$PBRX_ENGINE" "$PBRX_BASE_IMAGE" \
		"$TMP/in" "pbrx-test/contract:$$"
	echo "$out"
	echo "$err" >&2
	[ "$status" -eq 0 ]
	[ "$out" = "ok: open $PBRX_ENGINE
ok: image inspect
ok: missing image
ok: container create
ok: container start
ok: run
ok: exit code
ok: output
ok: sweep leaves a live container
ok: commit
ok: commit changes
ok: tag
ok: tagged image is the commit
ok: container remove
ok: container gone
ok: image remove" ]
}
