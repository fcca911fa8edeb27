#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2030,SC2031 # out and err come from run_split
# Every kind of project end to end: pyproject.toml with the
# setuptools backend, setup.py only, pbr-style setup.cfg; names with dots,
# dashes and capitals; extras spelled differently from what pbrx looks
# for; and a bindep.txt that forgets a runtime library.  Each is built by
# pbrx-build-images against a private dockerd from the offline Debian
# base image, and each script image is run with no network.

load helpers
load lib/dockerd

setup_file() {
	PATH="$PBRX_ROOT/build/bin:$PATH"
	export PATH LC_ALL=C
	# No package index here: dependencies come from local wheelhouses.
	export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
	dockerd_start
	dockerd_base_image
	"$PBRX_ROOT/examples/make-deps-wheelhouse" "$BATS_FILE_TMPDIR/deps"
}

teardown_file() {
	dockerd_stop
}

setup() {
	common_setup
	D=$DOCKER_CLI
	BUILD=(pbrx-build-images --base-image "$PBRX_BASE_IMAGE"
		--find-links "$BATS_FILE_TMPDIR/deps" --find-links /usr/share/python-wheels)
}

teardown() {
	common_teardown
}

# build EXAMPLE: copy examples/EXAMPLE to $TMP and build it; the document
# in $out, stderr in $err.
build() {
	cp -a "$PBRX_ROOT/examples/$1" "$TMP/$1"
	run_split "${BUILD[@]}" "$TMP/$1"
	if [ "$status" -ne 0 ]; then
		printf '%s\n' "$err" >&2
		return 1
	fi
}

# image_says IMAGE EXPECTED: the image's command, run with no network,
# prints EXPECTED.
image_says() {
	local got
	got=$("$D" run --rm --network none "$1") || {
		echo "docker run $1 failed" >&2
		return 1
	}
	if [ "$got" != "$2" ]; then
		printf 'docker run %s: got "%s", expected "%s"\n' "$1" "$got" "$2" >&2
		return 1
	fi
}

@test "pyproject.toml project (setuptools backend): name, scripts and extras from the wheel" {
	build pyproject-tool
	# cfg-extras knew no name; the wheel did.
	[ "$(jq -r '.project.name' <<<"$out")" = null ]
	[ "$(jq -r '.project.source' <<<"$out")" = pyproject.toml ]
	[ "$(jq -r '.wheels.metadata.name' <<<"$out")" = Py.Project-Tool ]
	[ "$(jq -c '.plan | [.project, .source, .pending]' <<<"$out")" = '["Py.Project-Tool","wheel",[]]' ]
	[ "$(jq -c '[.plan.scripts[] | [.name, .from]]' <<<"$out")" = '[["PyTool-Hello","wheel"],["pytool_plain","wheel"]]' ]
	# extras as the wheel spells them, each from the wheel
	[ "$(jq -cS '.plan.extras | map_values(.from)' <<<"$out")" = '{"py_project_tool_base":"wheel","pytool.hello":"wheel"}' ]
	# image names normalised as pip writes names
	[ "$(jq -r '[.images[].name] | join(" ")' <<<"$out")" = "py-project-tool-base pytool-hello pytool-plain" ]
	# the extras were not in the first plan: the builder built them from the wheel
	grep -q '^\[builder extras\] run: python3 -m pip wheel .*Py.Project_Tool-2.1-py3-none-any.whl\[' <<<"$err"
	image_says pytool-hello "hello from Py.Project-Tool tinyansi lint_rules"
	image_says pytool-plain "plain tinyansi -"
}

@test "setup.py-only project: the wheel declares everything; a capitalised extra found normalised" {
	build setuppy-tool
	[ "$(jq -r '.project.source' <<<"$out")" = setup.py ]
	[ "$(jq -r '[.images[].name] | join(" ")' <<<"$out")" = "setup-py-demo-base spdemo" ]
	[ "$(jq -c '[.plan.scripts[] | [.name, .from]]' <<<"$out")" = '[["spdemo","wheel"]]' ]
	# setuptools wrote "SPDemo" as "spdemo": pip is asked with that spelling
	[ "$(jq -r '.wheels.metadata.name' <<<"$out")" = Setup-Py.Demo ]
	# pip is asked, in the builder, for what each image installs; the
	# images' Python layers are written from its answers
	grep -q '^\[builder resolve\] run: python3 -m pip install --dry-run .*\.whl\[setup_py\.demo_base\]$' <<<"$err"
	grep -q '^\[builder resolve\] run: python3 -m pip install --dry-run .*\.whl\[setup_py\.demo_base,spdemo\]$' <<<"$err"
	[ "$(jq -c '[.wheels.installs[].extras]' <<<"$out")" = '[["setup_py.demo_base"],["setup_py.demo_base","spdemo"]]' ]
	grep -q '^\[spdemo extras\] \(wrote\|cached\) ' <<<"$err"
	image_says spdemo "spdemo tinyansi lint_rules"
}

@test "pbr-style setup.cfg project: scripts and extras from setup.cfg, confirmed by the wheel" {
	build pbr-style
	[ "$(jq -r '.project.source' <<<"$out")" = setup.cfg ]
	[ "$(jq -c '[.plan.scripts[] | [.name, .from]]' <<<"$out")" = '[["pbr-style-run","setup.cfg"]]' ]
	[ "$(jq -c '.plan.extras | map_values(.from)' <<<"$out")" = '{"pbr_style_base":"setup.cfg","pbr_style_run":"setup.cfg"}' ]
	[ "$(jq -r '[.images[].name] | join(" ")' <<<"$out")" = "pbr-style-base pbr-style-run" ]
	# setup.cfg and the wheel agree: no warning, no extra builder step
	[ "$(grep -c -e ': warning: ' -e '^\[builder extras\]' <<<"$err")" = 0 ]
	image_says pbr-style-run "pbr-style tinyansi lint_rules"
}

@test "--plan-only: a project without setup.cfg says its images come after the wheel" {
	cp -a "$PBRX_ROOT/examples/pyproject-tool" "$TMP/p"
	run_split pbrx-build-images --plan-only --base-image "$PBRX_BASE_IMAGE" "$TMP/p"
	[ "$status" -eq 0 ]
	grep -q '^image-plan: note: <stdin>: pyproject.toml: the project'"'"'s name, console scripts and extras, and so its images, are known only after the wheel is built: pbrx-build-images without --plan-only builds it and plans them (by hand: wheel-build, then image-plan again)$' <<<"$err"
	[ "$(jq -c '.plan | [.project, .pending, .images]' <<<"$out")" = '[null,["name","scripts","extras"],[]]' ]
}

@test "a bindep.txt without the runtime library: a warning names it, the extension and the bindep line" {
	cp -a "$PBRX_ROOT/examples/yamlcat" "$TMP/yamlcat"
	grep -v '^libyaml-0-2 ' "$PBRX_ROOT/examples/yamlcat/bindep.txt" >"$TMP/yamlcat/bindep.txt"
	run_split "${BUILD[@]}" --tag broken "$TMP/yamlcat"
	# the images are built all the same: it is a warning
	[ "$status" -eq 0 ]
	# the extension's DT_NEEDED entries, read from the wheel with libelf
	[ "$(jq -c '.wheels.metadata.extensions[] | [.file, (.needed | index("libyaml-0.so.2") != null)]' <<<"$out")" = '["yamlcat/_cyaml.cpython-311-x86_64-linux-gnu.so",true]' ]
	grep -qx "image-assemble: warning: yamlcat-base: libyaml-0.so.2, needed by yamlcat/_cyaml.cpython-311-x86_64-linux-gnu.so, is not in the image: add the runtime package that provides it to bindep.txt, probably 'libyaml-0-2 \[platform:dpkg\]'" <<<"$err"
	# and the image indeed fails when the extension is imported
	run_split "$D" run -i --rm --network none yamlcat:broken <<<'a: 1'
	[ "$status" -ne 0 ]
	grep -q 'libyaml-0.so.2' <<<"$err"
}
