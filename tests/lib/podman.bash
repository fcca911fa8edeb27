# SPDX-License-Identifier: Apache-2.0
# A private Podman Docker-compatible API service for one bats file, to
# check that the docker client (common/engine/docker.h) works against it too.
#
#   setup_file()    { podman_start; dockerd_base_image; }
#   teardown_file() { podman_stop; }
#
# podman_start exports DOCKER_HOST and PODMAN_RUN, PODMAN_ROOT, PODMAN_PID.
# Settings these machines need: runc (crun fails on this hybrid
# cgroup setup) and explicit nofile/nproc ulimits (no CAP_SYS_RESOURCE).
# Containers here use network mode none or host only: Podman's default
# network is a bridge on a private range.
#
# Needs lib/dockerd (its start, stop and unmount helpers serve both).
#
# Paths: $PBRX_TEST_PODMAN_RUN (default /run/pbrx-test-podman) for the
# socket, run root, tmp dir and log; /var/lib/<its name> for storage.
# podman_stop removes both.

podman_start() {
	local run
	run=${PBRX_TEST_PODMAN_RUN:-/run/pbrx-test-podman}
	if dockerd_alive "$run/podman.pid"; then
		run=$run-$$
	fi
	PODMAN_RUN=$run
	PODMAN_ROOT=/var/lib/${run##*/}
	export PODMAN_RUN PODMAN_ROOT
	rm -rf "$PODMAN_RUN"
	mkdir -p "$PODMAN_RUN" "$PODMAN_ROOT"
	cat >"$PODMAN_RUN/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
	# fd 3 closed: bats waits for every process holding it.
	CONTAINERS_CONF=$PODMAN_RUN/containers.conf podman \
		--root "$PODMAN_ROOT/storage" --runroot "$PODMAN_RUN/run" --tmpdir "$PODMAN_RUN/tmp" \
		system service --time=0 "unix://$PODMAN_RUN/podman.sock" \
		</dev/null >"$PODMAN_RUN/service.log" 2>&1 3>&- &
	PODMAN_PID=$!
	echo "$PODMAN_PID" >"$PODMAN_RUN/podman.pid"
	export PODMAN_PID
	DOCKER_HOST=unix://$PODMAN_RUN/podman.sock
	export DOCKER_HOST
	dockerd_await "podman system service" "$PODMAN_RUN/podman.sock" "$PODMAN_PID" "$PODMAN_RUN/service.log" || {
		podman_stop
		return 1
	}
}

# The pids of processes named $1 working for this service (their command
# line names its storage).
podman_helpers() {
	local p
	for p in $(pgrep -x "$1"); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF " $PODMAN_ROOT/"; then
			echo "$p"
		fi
	done
}

podman_stop() {
	local pid=${PODMAN_PID:-} p i
	if [ -n "${PODMAN_ROOT:-}" ]; then
		# conmon outlives exec sessions by its --exit-delay (300 s); killed
		# outright it runs no exit command that would mount storage again.
		for p in $(podman_helpers conmon); do
			kill -KILL "$p" 2>/dev/null || :
		done
	fi
	dockerd_kill "podman system service" "$pid" 10
	[ -n "${PODMAN_ROOT:-}" ] || return 0
	# "podman container cleanup" runs started by conmon before: let them end.
	for ((i = 0; i < 100; i++)); do
		[ -z "$(podman_helpers podman)" ] && break
		sleep 0.1
	done
	dockerd_unmount_under "$PODMAN_RUN"
	dockerd_unmount_under "$PODMAN_ROOT"
	rm -rf "$PODMAN_RUN" "$PODMAN_ROOT"
	unset PODMAN_PID
}
