#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2154 # out and err are set by run_split (helpers.bash)
# image-plan: data-driven cases under fixtures/image-plan/<case>/ in the
# format of tests/lib/fixture.bash: stdin the document (@DIR@ is the
# case's copy in $TMP, the project's directory), args options one a line
# (@CORPUS@ is tests/corpus).  PBRX_REGEN=1 bats tests/image-plan.bats
# rewrites stdout/stderr/status from the current build: review the diff
# before committing it.

load helpers
load lib/fixture

setup() {
	common_setup
	unset SOURCE_DATE_EPOCH GIT_DIR GIT_WORK_TREE
	FIX="$BATS_TEST_DIRNAME/fixtures/image-plan"
}

teardown() {
	common_teardown
}

# run_case NAME: image-plan for one case (tests/lib/fixture.bash).
run_case() {
	fixture_run image-plan "$FIX/$1"
}

@test "image-plan: every fixture case" {
	fixture_all image-plan "$FIX"
}

@test "image-plan: errors write nothing on stdout" {
	local c
	for c in "$FIX"/err-*/; do
		fixture_run image-plan "$c"
		[ "$fixture_status" = 2 ] || { echo "$c: status $fixture_status"; false; }
		[ ! -s "$TMP/out" ] || { echo "$c: stdout not empty"; false; }
		[ "$(wc -l <"$TMP/err")" = 1 ] || { echo "$c: not one line"; false; }
	done
}

@test "image-plan: deterministic (same input, byte-identical output)" {
	run_case alpine-prefix
	cp "$TMP/out" "$TMP/first"
	run_case alpine-prefix
	cmp "$TMP/first" "$TMP/out"
	run_case mirror-debian
	cp "$TMP/out" "$TMP/first"
	run_case mirror-debian
	cmp "$TMP/first" "$TMP/out"
}

@test "image-plan: acceptance: foo with prefix acme on alpine" {
	run_case alpine-prefix
	[ "$fixture_status" = 0 ]
	run jq -r '.plan.images[] | "\(.ref) \(.kind) \(.extras | join(","))"' "$TMP/out"
	[ "$output" = "acme/foo-base:latest base foo_base
acme/foo-manage:latest script foo_manage
acme/foo-scheduler:latest script " ]
	# compile packages only in the builder, runtime packages in the base
	run jq -c '.plan.builder.packages, .plan.images[0].packages, [.plan.images[1:][].packages[]]' "$TMP/out"
	[ "$output" = '["gcc","libffi-dev","make"]
["dumb-init","libffi"]
[]' ]
	run jq -c '[.plan.images[] | .steps[].argv | select(.[0] == "apk") | .[3:]]' "$TMP/out"
	[ "$output" = '[["dumb-init","libffi"]]' ]
}

@test "image-plan: every step is an argv of strings, never a shell" {
	local c
	for c in alpine-prefix debian-12 fedora-40 mirror-alpine mirror-debian names-dashes-underscores; do
		run_case "$c"
		run jq -e '[.plan.builder.steps[], .plan.images[].steps[]]
			| all(.argv | type == "array" and length > 0 and all(type == "string"))
			and all(.argv[0] | IN("sh", "bash", "/bin/sh") | not)' "$TMP/out"
		[ "$status" = 0 ] || { echo "$c"; false; }
	done
}

# plan_tree DIR: cfg-extras DIR | image-plan, the project section of the
# alpine-prefix case (for its bindep section) replaced by DIR's; into $TMP/out.
plan_tree() {
	sed "s|@DIR@|$1|g" "$FIX/alpine-prefix/stdin" | jq 'del(.project)' |
		cfg-extras "$1" >"$TMP/in.json"
	image-plan <"$TMP/in.json" >"$TMP/out"
}

# foo_setup_cfg DIR: alpine-prefix's project as a setup.cfg in DIR.
foo_setup_cfg() {
	mkdir -p "$1"
	printf '[metadata]\nname = foo\nversion = 1.0.0\n' >"$1/setup.cfg"
}

@test "image-plan: git in the builder only when pip can use it: a work tree read by pbr, setuptools-scm..., a git+ requirement" {
	local dir="$TMP/proj" tool
	foo_setup_cfg "$dir"
	plan_tree "$dir"
	[ "$(jq -c '.plan.builder.packages | index("git")' "$TMP/out")" = null ]
	# a git work tree whose build reads nothing from git (a github URL
	# is not a use): no git
	mkdir "$dir/.git"
	printf '# pbrx, a digit, scmx\nurl = https://github.com/x/foo\nhome = https://GitLab.com/x/foo\n' >>"$dir/setup.cfg"
	plan_tree "$dir"
	[ "$(jq -c '.plan.builder.packages | index("git")' "$TMP/out")" = null ]
	# ... and one whose build does: pbr, setuptools-scm, hatch-vcs,
	# versioneer, dunamai, or git itself (run, or GitPython)
	for tool in "setup(pbr=True)" "[tool.setuptools_scm]" "requires = ['hatch-vcs']" \
		'source = "vcs"' "import versioneer" "dunamai" \
		"subprocess.check_output(['git', 'describe'])" "from git import Repo"; do
		printf '%s\n' "$tool" >"$dir/setup.py"
		plan_tree "$dir"
		[ "$(jq -c '.plan.builder.packages' "$TMP/out")" = '["gcc","git","libffi-dev","make"]' ]
	done
	# outside a work tree, none of those needs git
	rm -r "$dir/.git"
	plan_tree "$dir"
	[ "$(jq -c '.plan.builder.packages | index("git")' "$TMP/out")" = null ]
	# a VCS requirement, in any of the files pip reads
	for f in setup.cfg setup.py pyproject.toml requirements.txt; do
		rm -rf "$dir"
		foo_setup_cfg "$dir"
		# past the first 8 KiB; in setup.cfg a comment before [metadata]
		{
			printf '# x %.0s\n' $(seq 2250)
			printf '# lib @ git+https://example.org/lib.git\n'
			[ "$f" != setup.cfg ] || cat "$dir/setup.cfg"
		} >"$TMP/f"
		mv "$TMP/f" "$dir/$f"
		plan_tree "$dir"
		[ "$(jq -c '.plan.builder.packages | index("git")' "$TMP/out")" != null ] || { echo "$f"; false; }
	done
}

@test "image-plan: git checkout gives source, revision and created labels" {
	local dir="$TMP/proj"
	mkdir -p "$dir"
	echo x >"$dir/file"
	git -C "$dir" init -q
	git -C "$dir" add file
	GIT_COMMITTER_DATE='2024-01-02T03:04:05Z' GIT_AUTHOR_DATE='2024-01-02T03:04:05Z' \
		git -C "$dir" -c user.name=t -c user.email=t@example.org commit -qm init
	git -C "$dir" remote add origin 'https://user:s3cret@git.example.org/foo.git'
	foo_setup_cfg "$dir"
	plan_tree "$dir"
	run jq -c '.plan.labels' "$TMP/out"
	[ "$output" = "{\"org.opencontainers.image.title\":\"foo\",\"org.opencontainers.image.version\":\"1.0.0\",\"org.opencontainers.image.source\":\"https://git.example.org/foo.git\",\"org.opencontainers.image.revision\":\"$(git -C "$dir" rev-parse HEAD)\",\"org.opencontainers.image.created\":\"2024-01-02T03:04:05Z\"}" ]
	# SOURCE_DATE_EPOCH wins over the commit time
	SOURCE_DATE_EPOCH=0 plan_tree "$dir"
	run jq -r '.plan.labels["org.opencontainers.image.created"]' "$TMP/out"
	[ "$output" = 1970-01-01T00:00:00Z ]
}

@test "image-plan: pure: the same stdin gives the same plan in and out of a git tree, with and without SOURCE_DATE_EPOCH" {
	local c
	for c in debian-12 dockerfile-override source-date-epoch; do
		run_case "$c"
		cp "$TMP/out.raw" "$TMP/first"
		# the project directory becomes a git checkout with a commit
		git -C "$TMP/$c" init -q
		git -C "$TMP/$c" add -A
		git -C "$TMP/$c" -c user.name=t -c user.email=t@example.org commit -qm init
		(
			export SOURCE_DATE_EPOCH=0 GIT_DIR="$TMP/$c/.git"
			cd "$TMP/$c"
			run_case "$c"
		)
		cmp "$TMP/first" "$TMP/out.raw"
		[ "$c" = dockerfile-override ] || continue
		# without the Dockerfile in the tree: .project.dockerfiles decides
		rm "$TMP/$c/Dockerfile.foo-manage"
		image-plan --prefix acme <"$TMP/in" >"$TMP/out" 2>/dev/null
		cmp "$TMP/first" "$TMP/out"
	done
}

@test "image-plan: -h, --version, usage on misuse" {
	check_stage_options image-plan "usage: image-plan [-hqv] [--base-image IMAGE] [--prefix ORG] [--tag TAG]"
}

@test "image-plan: -q silences the note about a missing {name}_base" {
	run_case no-base-extra
	[ -s "$TMP/err" ]
	sed "s|@DIR@|$TMP|g" "$FIX/no-base-extra/stdin" | image-plan -q >/dev/null 2>"$TMP/err"
	[ ! -s "$TMP/err" ]
}

@test "image-plan: a failed write to stdout is an error" {
	sed "s|@DIR@|$TMP|g" "$FIX/alpine-prefix/stdin" >"$TMP/in.json"
	local rc=0
	image-plan <"$TMP/in.json" >/dev/full 2>"$TMP/err" || rc=$?
	[ "$rc" = 1 ]
	[ "$(cat "$TMP/err")" = "image-plan: stdout: write error: No space left on device" ]
}

@test "image-plan: the man page's example runs" {
	cd "$PBRX_ROOT"
	run_split sh -c "cfg-extras examples/foo | image-plan --platform alpine --prefix acme"
	[ "$status" = 0 ]
	[ "$(echo "$out" | jq -r '[.plan.images[].ref] | join(" ")')" = "acme/foo-base:latest acme/foo-manage:latest acme/foo-scheduler:latest" ]
}
