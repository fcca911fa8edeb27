# SPDX-License-Identifier: Apache-2.0
# Small pure-Python projects and the private dockerd that builds them, for
# the files that check what pbrx does around a build rather than the
# images themselves (faults.bats, security.bats).
#
#   load lib/tiny
#   setup_file()    { tiny_setup_file; }
#   teardown_file() { dockerd_stop; }
#   setup()         { tiny_setup; }

load lib/dockerd

# tiny_project DIR NAME: a pure-Python project with one console script
# that prints "NAME says hello".
tiny_project() {
	mkdir -p "$1/$2"
	cat >"$1/setup.cfg" <<EOF2
[metadata]
name = $2
version = 0.1

[options]
packages = $2

[options.entry_points]
console_scripts =
    $2 = $2:main
EOF2
	printf 'from setuptools import setup\nsetup()\n' >"$1/setup.py"
	printf 'def main():\n    print("%s says hello")\n' "$2" >"$1/$2/__init__.py"
	printf '# no packages\n' >"$1/bindep.txt"
}

# tiny_setup_file: the file's dockerd with the local base image, pbrx on
# PATH, pip without an index, and DEPS: the example dependencies'
# wheelhouse (tinyansi, lint-rules).
tiny_setup_file() {
	dockerd_start
	dockerd_base_image
	export PATH="$PBRX_ROOT/build/bin:$PATH" LC_ALL=C
	export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
	DEPS=$BATS_FILE_TMPDIR/deps
	"$PBRX_ROOT/examples/make-deps-wheelhouse" "$DEPS"
	export DEPS
}

# tiny_setup: common_setup, and BUILD: the start of every build command
# (the local base image, the wheels of DEPS and Debian's, no index).
tiny_setup() {
	common_setup
	# shellcheck disable=SC2034 # for the tests
	BUILD=(pbrx-build-images --base-image "$PBRX_BASE_IMAGE"
		--find-links "$DEPS" --find-links /usr/share/python-wheels)
}
