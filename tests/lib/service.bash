# SPDX-License-Identifier: Apache-2.0
# A service a test or the bench starts (dockerd, podman, a registry, an
# index): waiting until it answers.  Its own file so that bench/compare,
# which is no bats file, has it with tests/lib/dockerd.bash.

# await_service NAME PID LOG SECONDS WHAT PROBE...: wait up to SECONDS
# until the command PROBE succeeds (NAME answers WHAT); when process PID
# exits first, or SECONDS pass, say so with the end of its LOG and fail.
# The daemons' and the registries' start.
await_service() {
	local name=$1 pid=$2 log=$3 seconds=$4 what=$5 i
	shift 5
	for ((i = 0; i < seconds * 10; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$name exited; its log:" >&2
			tail -n 30 "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$name did not answer $what in $seconds s; its log:" >&2
	tail -n 30 "$log" >&2
	return 1
}
