# SPDX-License-Identifier: Apache-2.0
# buildah for one bats file, no daemon: a private containers-storage as
# root, or a rootless user of its own.
#
#   setup_file()    { buildah_start; buildah_base_image; }         # root
#   setup_file()    { buildah_rootless_start; buildah_base_image; } # rootless
#   teardown_file() { buildah_stop; }
#
# buildah_as CMD... runs a command as the build user with its storage:
# as it is as root, through setpriv as the test user when rootless (both
# start functions export what it needs, so it works in every test).
# Storage: as root, CONTAINERS_STORAGE_CONF points at
# /var/lib/pbrx-test-buildah[-PID] (overlay); rootless, the user's own
# ~/.local/share/containers with the overlay driver (native rootless
# overlay, Linux >= 5.13), runroot in XDG_RUNTIME_DIR.
#
# The rootless user is made with useradd -m, which gives it /etc/subuid
# and /etc/subgid ranges (newuidmap and newgidmap come from uidmap);
# buildah_stop removes it with its home, after killing, by pid, any of
# its processes still running.

# The rootless user: a name per test run, so two runs don't share one.
BUILDAH_USER=${BUILDAH_USER:-pbrx-e2e-$$}

buildah_start() {
	local run
	run=${PBRX_TEST_BUILDAH_RUN:-/run/pbrx-test-buildah}
	if [ -e "$run" ]; then
		run=$run-$$
	fi
	BUILDAH_RUN=$run
	BUILDAH_ROOT=/var/lib/${run##*/}
	export BUILDAH_RUN BUILDAH_ROOT
	rm -rf "$BUILDAH_RUN" "$BUILDAH_ROOT"
	mkdir -p "$BUILDAH_RUN" "$BUILDAH_ROOT"
	cat >"$BUILDAH_RUN/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$BUILDAH_ROOT/storage"
runroot = "$BUILDAH_RUN/run"
CONF
	CONTAINERS_STORAGE_CONF=$BUILDAH_RUN/storage.conf
	export CONTAINERS_STORAGE_CONF
	BUILDAH_HOME=""
	export BUILDAH_HOME
	unset DOCKER_HOST
}

buildah_rootless_start() {
	local home uid
	export BUILDAH_USER
	if id "$BUILDAH_USER" >/dev/null 2>&1; then
		buildah_remove_user
	fi
	useradd -m -s /bin/sh "$BUILDAH_USER"
	home=$(getent passwd "$BUILDAH_USER" | cut -d: -f6)
	uid=$(id -u "$BUILDAH_USER")
	grep -q "^$BUILDAH_USER:" /etc/subuid || {
		echo "useradd gave $BUILDAH_USER no /etc/subuid range" >&2
		return 1
	}
	mkdir -p "$home/.config/containers"
	printf '[storage]\ndriver = "overlay"\n' >"$home/.config/containers/storage.conf"
	BUILDAH_RUN=/run/pbrx-test-rootless-$uid
	mkdir -p "$BUILDAH_RUN"
	chmod 700 "$BUILDAH_RUN"
	chown -R "$BUILDAH_USER:" "$home" "$BUILDAH_RUN"
	BUILDAH_HOME=$home
	BUILDAH_ROOT=""
	export BUILDAH_RUN BUILDAH_HOME BUILDAH_ROOT
	unset DOCKER_HOST CONTAINERS_STORAGE_CONF
}

# With BUILDAH_EXEC=exec, it replaces the shell (for a background job
# whose pid must be the command's).
buildah_as() {
	if [ -z "${BUILDAH_HOME:-}" ]; then
		${BUILDAH_EXEC:-} "$@"
		return
	fi
	${BUILDAH_EXEC:-} setpriv --reuid="$BUILDAH_USER" --regid="$BUILDAH_USER" --init-groups \
		env HOME="$BUILDAH_HOME" USER="$BUILDAH_USER" LOGNAME="$BUILDAH_USER" \
		XDG_RUNTIME_DIR="$BUILDAH_RUN" "$@"
}

# buildah_base_image: the offline Python base image (scripts/
# make-python-base-image, its rootfs cached by root) in the build user's
# storage; exports PBRX_BASE_IMAGE.
buildah_base_image() {
	local script=$BATS_TEST_DIRNAME/../scripts/make-python-base-image
	PBRX_BASE_IMAGE=${PBRX_BASE_IMAGE:-pbrx-test/python:bookworm}
	export PBRX_BASE_IMAGE
	"$script" -q --no-load >/dev/null
	buildah_as "$script" -q --buildah "$PBRX_BASE_IMAGE"
}

# The pids of the test user's processes.
buildah_user_pids() {
	id "$BUILDAH_USER" >/dev/null 2>&1 || return 0
	pgrep -u "$BUILDAH_USER" || :
}

buildah_remove_user() {
	local p home
	for p in $(buildah_user_pids); do
		echo "killing a leftover process of $BUILDAH_USER: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
		kill -KILL "$p" 2>/dev/null || :
	done
	home=$(getent passwd "$BUILDAH_USER" | cut -d: -f6)
	if [ -n "$home" ] && [ -d "$home" ]; then
		dockerd_unmount_under "$home"
	fi
	userdel -r "$BUILDAH_USER" 2>/dev/null || :
	if [ -n "$home" ] && [ "$home" != / ]; then
		rm -rf "$home"
	fi
}

buildah_stop() {
	buildah_as buildah rm --all >/dev/null 2>&1 || :
	buildah_as buildah rmi --all --force >/dev/null 2>&1 || :
	if [ -n "${BUILDAH_HOME:-}" ]; then
		buildah_as buildah unshare rm -rf "$BUILDAH_HOME/.local/share/containers" 2>/dev/null || :
		buildah_remove_user
	fi
	if [ -n "${BUILDAH_RUN:-}" ]; then
		dockerd_unmount_under "$BUILDAH_RUN"
		rm -rf "$BUILDAH_RUN"
	fi
	if [ -n "${BUILDAH_ROOT:-}" ]; then
		dockerd_unmount_under "$BUILDAH_ROOT"
		rm -rf "$BUILDAH_ROOT"
	fi
}
