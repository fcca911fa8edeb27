# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# The engine a bats file tests, named by TEST_ENGINE before it loads this:
#   docker    a private dockerd (lib/dockerd.bash)
#   podman    Podman's Docker-compatible API service (lib/podman.bash),
#             which pbrx drives as --engine docker
#   buildah   buildah as root, a private containers-storage (lib/buildah.bash)
#   rootless  buildah as a user made for the purpose, its own storage
# TEST_BACKEND is what pbrx's --engine calls it: docker or buildah.
#
#   setup_file()    { engine_start; }
#   teardown_file() { engine_stop; }

load lib/dockerd
load lib/podman
load lib/buildah

case ${TEST_ENGINE:?docker, podman, buildah or rootless} in
docker | podman) TEST_BACKEND=docker ;;
buildah | rootless) TEST_BACKEND=buildah ;;
*)
	echo "TEST_ENGINE=$TEST_ENGINE: docker, podman, buildah or rootless" >&2
	return 1 ;;
esac
export TEST_ENGINE TEST_BACKEND

# engine_start [ARGS...]: the engine started (dockerd_start ARGS for
# docker), the offline base image in it (PBRX_BASE_IMAGE).
engine_start() {
	case $TEST_ENGINE in
	docker)
		dockerd_start "$@"
		dockerd_base_image ;;
	podman)
		command -v podman >/dev/null || {
			echo "podman is not installed (scripts/install-deps installs it)" >&2
			return 1
		}
		podman_start
		dockerd_base_image ;;
	buildah)
		buildah_start
		buildah_base_image ;;
	rootless)
		buildah_rootless_start
		buildah_base_image ;;
	esac
}

# engine_stop: the engine stopped, and everything it kept removed.
engine_stop() {
	case $TEST_ENGINE in
	docker) dockerd_stop ;;
	podman) podman_stop ;;
	*) buildah_stop ;;
	esac
}
