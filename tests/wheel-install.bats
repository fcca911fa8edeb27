#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2154 # out and err are set by run_split (helpers.bash)
# py/install against pip itself, in the base image's own Python: the same
# wheels installed by pip 23.0.1 into one copy of the base image's root
# file system (chroot), and by pbrx into a layer (tests/tools/wheel-install,
# its scheme and .pyc files from the programs py/install runs in the other
# copy), then every path, mode and byte compared (tests/tools/tree-list.py):
# pip's additions against the layer's entries, directories included.  The
# one difference allowed is the one pbrx-wheel-install(7) lists: INSTALLER
# says "pbrx" (and RECORD's row for it).  Needs root (chroot), and the base
# image's root file system, which scripts/make-python-base-image caches
# (and builds with debootstrap when it is missing), extracted once: each
# root is an overlay on that pristine copy (a copy where overlayfs can't
# be mounted), so pip's additions are what differs from it.

load helpers

EPOCH=1700000000

setup_file() {
	if [ "$(id -u)" != 0 ]; then
		echo "wheel-install.bats: needs root, to chroot into the base image's file system" >&2
		return 1
	fi
	WHEEL_INSTALL=$(test_program tools/wheel-install)
	TREE_LIST=$PBRX_ROOT/tests/tools/tree-list.py
	MAKE_WHEELS=$PBRX_ROOT/tests/tools/make-test-wheels.py
	BASE_ROOT=$BATS_FILE_TMPDIR/base
	mkdir "$BASE_ROOT"
	tar --numeric-owner -xpf "$("$PBRX_ROOT/scripts/make-python-base-image" -q --no-load \
		--print-tarball)" -C "$BASE_ROOT"
	export WHEEL_INSTALL TREE_LIST MAKE_WHEELS BASE_ROOT
}

setup() {
	common_setup
	umask 022
}

teardown() {
	local m
	if [ -f "$TMP/.mounts" ]; then
		while read -r m; do
			umount "$m"
		done <"$TMP/.mounts"
	fi
	common_teardown
}

# in_root ROOT CMD...: CMD run in ROOT (chroot) with nothing of this
# machine's environment or pip configuration; SOURCE_DATE_EPOCH makes pip
# write checked-hash .pyc files, as pbrx always does; no bytecode of
# pip's own modules, no cache: the install is all that changes.
in_root() {
	local root=$1
	shift
	env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=$EPOCH PIP_NO_INDEX=1 PIP_CONFIG_FILE=/dev/null \
		PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 \
		chroot "$root" "$@"
}

# new_root DIR WHEELDIR: the base image's root file system in DIR, the
# wheels of WHEELDIR in its /wheels.
new_root() {
	mkdir "$1" "$1.upper" "$1.work"
	if mount -t overlay overlay -o "lowerdir=$BASE_ROOT,upperdir=$1.upper,workdir=$1.work" \
		"$1" 2>/dev/null; then
		echo "$1" >>"$TMP/.mounts"
	else
		cp -a "$BASE_ROOT/." "$1"
	fi
	mkdir "$1/wheels"
	cp "$2"/*.whl "$1/wheels/"
}

# canonical NAME: the name as pip compares names (PEP 503).
canonical() {
	printf '%s\n' "$1" | tr '[:upper:]' '[:lower:]' | sed -E 's/[-_.]+/-/g'
}

# wheel_of DIR NAME: the file name of NAME's wheel in DIR.
wheel_of() {
	local f base
	for f in "$1"/*.whl; do
		base=${f##*/}
		if [ "$(canonical "${base%%-*}")" = "$(canonical "$2")" ]; then
			printf '%s\n' "$base"
			return 0
		fi
	done
	echo "wheel_of: no wheel of $2 in $1" >&2
	return 1
}

# differential [--deps] DIR REQ...: pip installs the wheels of DIR named
# by the requirements REQ (NAME==VERSION; with --deps, and their
# dependencies, which aren't REQUESTED) into $TMP/pip; pbrx installs the
# same wheels, in the order pip did (it matters to the .pyc bytes: see
# install.h), into a layer, its scheme probed and its bytecode compiled
# in $TMP/pbrx; then pip's additions and the layer are compared.
differential() {
	local deps=--no-deps dir rp=$TMP/pip rb=$TMP/pbrx name f req
	local -a order=() whls=() args=() requested=()
	if [ "$1" = --deps ]; then
		deps=
		shift
	fi
	dir=$1
	shift
	new_root "$rp" "$dir"
	new_root "$rb" "$dir"
	mkdir "$rb/pbrx"
	# shellcheck disable=SC2086 # $deps: the option or nothing
	if ! in_root "$rp" /usr/bin/python3 -m pip install -I $deps --no-index \
		--find-links /wheels "$@" >"$TMP/pip.log" 2>&1; then
		cat "$TMP/pip.log"
		return 1
	fi
	read -r -a order < <(sed -n 's/^Installing collected packages: //p' "$TMP/pip.log" | tr -d ,)
	echo "pip's order: ${order[*]}"
	for req in "$@"; do
		requested+=("$(canonical "${req%%==*}")")
	done
	in_root "$rb" /usr/bin/python3 -c "$("$WHEEL_INSTALL" --probe)" >"$rb/pbrx/scheme.json"
	for name in "${order[@]}"; do
		f=$(wheel_of "$dir" "$name")
		whls+=("/wheels/$f")
		if [[ " ${requested[*]} " == *" $(canonical "$name") "* ]]; then
			args+=(-r)
		fi
		args+=("$rb/wheels/$f")
	done
	in_root "$rb" /usr/bin/python3 -c "$("$WHEEL_INSTALL" --compile-program)" \
		/pbrx/scheme.json /pbrx/pyc "${whls[@]}"
	"$WHEEL_INSTALL" -b "$rb" "$rb/pbrx/scheme.json" "$rb/pbrx/pyc" "$EPOCH" \
		"$TMP/layer.tar" "${args[@]}" >/dev/null
	mkdir "$TMP/layer"
	LC_ALL=C.UTF-8 tar -xpf "$TMP/layer.tar" -C "$TMP/layer"
	LC_ALL=C.UTF-8 tar --quoting-style=literal -tf "$TMP/layer.tar" >"$TMP/layer.paths"
	python3 "$TREE_LIST" --installer pip --exclude wheels --base "$BASE_ROOT" "$rp" >"$TMP/pip.list"
	python3 "$TREE_LIST" --installer pbrx --paths "$TMP/layer.paths" "$TMP/layer" >"$TMP/pbrx.list"
	echo "$(wc -l <"$TMP/pip.list") entries from pip"
	diff -u "$TMP/pip.list" "$TMP/pbrx.list"
	[ -s "$TMP/pip.list" ]
}

@test "scheme_probe: the scheme pip 23.0.1 itself uses in the base image" {
	local root=$TMP/root
	new_root "$root" /usr/share/python-wheels
	run in_root "$root" /usr/bin/python3 -c "$("$WHEEL_INSTALL" --probe)"
	echo "$output"
	[ "$status" = 0 ]
	printf '%s\n' "$output" >"$TMP/probe.json"
	# pip's own answer, headers without the project's name, which
	# install_wheel adds
	in_root "$root" /usr/bin/python3 -c '
import json, os, sys
from pip._internal.locations import get_scheme, get_major_minor_version
s = get_scheme("X")
json.dump({"purelib": s.purelib, "platlib": s.platlib, "scripts": s.scripts, "data": s.data,
           "headers": os.path.dirname(s.headers), "python": sys.executable,
           "version": get_major_minor_version()}, sys.stdout)' >"$TMP/pip.json"
	python3 -c '
import json, sys
probe, pip = (json.load(open(f)) for f in sys.argv[1:])
bad = [k for k in pip if probe.get(k) != pip[k]]
sys.exit("differ: %s\nprobe %s\npip   %s" % (bad, probe, pip) if bad else 0)' "$TMP/probe.json" "$TMP/pip.json"
	[[ "$output" == *'"cache_tag": "cpython-311"'* ]]
	# and it is the example of pbrx-wheel-install(7)
	sed -n '/^\.Bd -literal/,/^\.Ed/{/^\./d;p;}' "$PBRX_ROOT/man/man7/pbrx-wheel-install.7" |
		python3 -c 'import json, sys; sys.exit(json.loads(sys.stdin.read()) != json.load(open(sys.argv[1])))' \
			"$TMP/probe.json"
}

@test "differential: Debian's wheels of pip, setuptools and wheel" {
	differential /usr/share/python-wheels pip==23.0.1 setuptools==66.1.1 wheel==0.38.4
}

@test "differential: the wheels of every project under examples/" {
	local x
	mkdir "$TMP/wheels" "$TMP/src"
	for x in foo pbr-style pyproject-tool setuppy-tool yamlcat; do
		# a copy: pip wheel builds in the tree it is given
		cp -R "$PBRX_ROOT/examples/$x" "$TMP/src/$x"
		PIP_NO_INDEX=1 PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 \
			/usr/bin/python3 -m pip wheel -q --no-deps \
			--find-links /usr/share/python-wheels -w "$TMP/wheels" "$TMP/src/$x"
	done
	PIP_CONFIG_FILE=/dev/null "$PBRX_ROOT/examples/make-deps-wheelhouse" "$TMP/wheels"
	ls "$TMP/wheels"
	[ "$(find "$TMP/wheels" -name '*.whl' | wc -l)" = 7 ]
	differential "$TMP/wheels" foo==1.0.0 pbr-style==0.9 Py.Project-Tool==2.1 \
		Setup_Py.Demo==0.3 yamlcat==1.0 lint_rules==0.3.1 tinyansi==1.0
}

@test "differential: hand-made wheels (odd modes, quoting, .data, pip's script names, a dependency)" {
	python3 "$MAKE_WHEELS" good "$TMP/wheels"
	differential --deps "$TMP/wheels" Crafted.A==1.0
	# what the wheels are there for, present: crafted-b is no REQUESTED
	# dependency, Crafted.A is; its man page went through the image's
	# /usr/local/man symlink; the modes pip takes from the zip
	local lib=usr/local/lib/python3.11/dist-packages
	[ -f "$TMP/layer/$lib/Crafted.A-1.0.dist-info/REQUESTED" ]
	[ ! -e "$TMP/layer/$lib/crafted_b-2.0.dist-info/REQUESTED" ]
	[ -f "$TMP/layer/usr/local/share/man/man1/crafted.1" ]
	grep -q "^$lib/crafted_a/dosmade.bin	f	0755" "$TMP/pbrx.list"
	grep -q "^$lib/crafted_a/typeless.bin	f	0644" "$TMP/pbrx.list"
	grep -q "^usr/local/bin/windowed	f	0644" "$TMP/pbrx.list"
	grep -q "^usr/include/python3.11/Crafted.A/crafted.h	f" "$TMP/pbrx.list"
	[ "$(head -n 1 "$TMP/layer/usr/local/bin/plain")" = "#!/usr/bin/python3" ]
}

# bats test_tags=index
@test "package index: wheels downloaded from PyPI (.so, .data/scripts, headers, data, GUI and extras entry points)" {
	local req
	# PyYAML and MarkupSafe: platlib with extensions; black: console
	# scripts, one with extras; docutils: .data/scripts with #!python,
	# .py files (compiled into bin/__pycache__); ruff: a binary in
	# .data/scripts; greenlet: .data/headers; ipykernel: .data/data;
	# thonny: gui_scripts.
	local -a reqs=(PyYAML==6.0.1 MarkupSafe==2.1.3 black==23.11.0 docutils==0.18.1
		ruff==0.1.6 greenlet==3.0.1 ipykernel==6.26.0 thonny==4.1.4)
	for req in "${reqs[@]}"; do
		if ! env -u PIP_NO_INDEX -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null \
			PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=30 python3 -m pip download -q --no-deps --only-binary :all: \
			--python-version 3.11 --platform manylinux2014_x86_64 -d "$TMP/wheels" "$req" \
			>"$TMP/download.log" 2>&1; then
			echo "package index: cannot download $req from the package index (offline?);" \
				"this test needs https://pypi.org. pip said:" >&2
			tail -n 5 "$TMP/download.log" >&2
			return 1
		fi
	done
	differential "$TMP/wheels" "${reqs[@]}"
	grep -q "^usr/local/bin/__pycache__/rst2html.cpython-311.pyc	f	0644" "$TMP/pbrx.list"
	grep -q "^usr/include/python3.11/greenlet/greenlet.h	f	0644" "$TMP/pbrx.list"
	grep -q "^usr/local/share/jupyter/kernels/python3/kernel.json	f	0644" "$TMP/pbrx.list"
	grep -q "^usr/local/bin/thonny	f	0755" "$TMP/pbrx.list"
	grep -q "^usr/local/bin/ruff	f	0755" "$TMP/pbrx.list"
}

@test "pip uninstalls what pbrx installed as it uninstalls what it installed itself" {
	python3 "$MAKE_WHEELS" good "$TMP/wheels"
	differential --deps "$TMP/wheels" Crafted.A==1.0
	# pbrx's layer applied to its root, then both uninstalled by pip
	tar -xpf "$TMP/layer.tar" -C "$TMP/pbrx"
	in_root "$TMP/pbrx" /usr/bin/python3 -m pip inspect >"$TMP/inspect.json" 2>/dev/null
	python3 -c '
import json, sys
got = sorted((d["metadata"]["name"], d.get("installer"), d.get("requested"))
             for d in json.load(open(sys.argv[1]))["installed"] if "rafted" in d["metadata"]["name"])
want = [("Crafted.A", "pbrx", True), ("crafted-b", "pbrx", False)]
sys.exit(0 if got == want else "pip inspect: %s, expected %s" % (got, want))' "$TMP/inspect.json"
	for root in "$TMP/pip" "$TMP/pbrx"; do
		in_root "$root" /usr/bin/python3 -m pip uninstall -y Crafted.A crafted-b
	done
	python3 "$TREE_LIST" --exclude wheels --base "$BASE_ROOT" "$TMP/pip" >"$TMP/left.pip"
	python3 "$TREE_LIST" --exclude wheels --exclude pbrx --base "$BASE_ROOT" "$TMP/pbrx" \
		>"$TMP/left.pbrx"
	diff -u "$TMP/left.pip" "$TMP/left.pbrx"
	# what pip leaves of its own install: the header (outside the lib
	# dir, which RECORD reaches with "../../../../include") and the
	# directories it made for it
	cut -f1 "$TMP/left.pbrx" >"$TMP/left"
	printf '%s\n' usr/include/python3.11 usr/include/python3.11/Crafted.A \
		usr/include/python3.11/Crafted.A/crafted.h | diff -u - "$TMP/left"
}

@test "install_wheel: the same layer, byte for byte, twice" {
	local root=$TMP/root
	new_root "$root" /usr/share/python-wheels
	mkdir "$root/pbrx"
	in_root "$root" /usr/bin/python3 -c "$("$WHEEL_INSTALL" --probe)" >"$root/pbrx/scheme.json"
	in_root "$root" /usr/bin/python3 -c "$("$WHEEL_INSTALL" --compile-program)" \
		/pbrx/scheme.json /pbrx/pyc /wheels/wheel-0.38.4-py3-none-any.whl
	for n in 1 2; do
		"$WHEEL_INSTALL" -b "$root" "$root/pbrx/scheme.json" "$root/pbrx/pyc" "$EPOCH" \
			"$TMP/$n.tar" -r "$root/wheels/wheel-0.38.4-py3-none-any.whl" >"$TMP/$n.id"
	done
	cmp "$TMP/1.tar" "$TMP/2.tar"
	[ "$(cat "$TMP/1.id")" = "sha256:$(sha256sum <"$TMP/1.tar" | cut -d' ' -f1)" ]
	# no pyc dir, no bytecode: no base, every directory in the layer
	"$WHEEL_INSTALL" "$root/pbrx/scheme.json" - "$EPOCH" "$TMP/3.tar" \
		"$root/wheels/wheel-0.38.4-py3-none-any.whl"
	run tar -tf "$TMP/3.tar"
	[[ "$output" == *"usr/local/lib/python3.11/dist-packages/wheel/__init__.py"* ]]
	[[ "$output" != *".pyc"* ]]
	[[ "$output" == *"usr/"$'\n'* ]]
	[[ "$output" != *"REQUESTED"* ]]
}

# case|expected message, after "wheel-install: bad-1.0-py3-none-any.whl: "
# (the wheels: tests/tools/make-test-wheels.py bad)
REFUSALS='unlisted|bad/__init__.py: not in RECORD
mismatch|bad/__init__.py: hash does not match RECORD
size|bad/__init__.py: size 6, RECORD says 7
nohash|bad/__init__.py: no hash in RECORD
md5|bad/__init__.py: hash algorithm '"'md5'"': unknown, or forbidden by the wheel spec
dotdot|bad/../../../../etc/evil: outside /usr/local/lib/python3.11/dist-packages
absolute|/etc/evil: outside /usr/local/lib/python3.11/dist-packages
datadotdot|bad-1.0.data/data/../../../../etc/evil: unknown scheme key '"'..'"' (data, headers, platlib, purelib, scripts)
datakey|bad-1.0.data/bin/tool: unknown scheme key '"'bin'"' (data, headers, platlib, purelib, scripts)
twoinfo|more than one .dist-info directory: bad-1.0.dist-info, other-1.0.dist-info
noinfo|no .dist-info directory
callable|entry point '"'bad = bad'"': a callable suffix (module:function) is required
epline|bad-1.0.dist-info/entry_points.txt:2: expected NAME = VALUE
version|Wheel-Version 2.0 is not compatible with pip 23.0.1
norecord|bad-1.0.dist-info/RECORD: missing
emptyline|bad-1.0.dist-info/RECORD:3: empty line'

@test "install_wheel: refuses what RECORD doesn't vouch for, or what would leave its directory, with one line naming the wheel and the member" {
	local c msg failed=0
	python3 "$MAKE_WHEELS" bad "$TMP/bad"
	cat >"$TMP/scheme.json" <<-'EOF'
		{"purelib": "/usr/local/lib/python3.11/dist-packages",
		 "platlib": "/usr/local/lib/python3.11/dist-packages",
		 "headers": "/usr/include/python3.11", "scripts": "/usr/local/bin", "data": "/usr/local",
		 "python": "/usr/bin/python3", "version": "3.11", "cache_tag": "cpython-311"}
	EOF
	while IFS='|' read -r c msg; do
		cd "$TMP/bad/$c"
		run_split "$WHEEL_INSTALL" "$TMP/scheme.json" - "$EPOCH" "$TMP/out.tar" \
			bad-1.0-py3-none-any.whl
		if [ "$status" != 2 ] || [ "$err" != "wheel-install: bad-1.0-py3-none-any.whl: $msg" ]; then
			echo "$c: status $status: $err"
			failed=1
		fi
	done <<<"$REFUSALS"
	[ "$(find "$TMP/bad" -mindepth 1 -maxdepth 1 | wc -l)" = "$(wc -l <<<"$REFUSALS")" ]
	[ "$failed" = 0 ]
}

# pip's own wrappers: PipScriptMaker as _install_wheel sets it up, for
# entry_points.txt read by importlib.metadata as pip reads it.
PIP_WRAPPERS='
import importlib.metadata as md, sys
from pip._internal.operations.install.wheel import PipScriptMaker, get_console_script_specs
python, eps_file, out = sys.argv[1:]
console, gui = {}, {}
for ep in md.EntryPoints._from_text(open(eps_file, encoding="utf-8").read()):
    if ep.group == "console_scripts":
        console[ep.name] = ep.value
    elif ep.group == "gui_scripts":
        gui[ep.name] = ep.value
sys.executable = python
maker = PipScriptMaker(None, out)
maker.clobber = True
maker.variants = {""}
maker.set_mode = True
maker.make_multiple(get_console_script_specs(console))
maker.make_multiple(["%s = %s" % kv for kv in gui.items()], {"gui": True})
'

@test "py/scripts: the wrappers of pip's own ScriptMaker, for odd interpreter paths and entry points" {
	local root=$TMP/root py n=0 line
	new_root "$root" /usr/share/python-wheels
	mkdir "$root/t"
	# a name with spaces (distlib's regex takes its last word), dots and
	# '+', a callable with dots, extras, pip's and easy_install's
	# versioned names, a non-ASCII module, a console and a GUI script of
	# one name
	cat >"$root/t/entry_points.txt" <<-'EOF'
		[console_scripts]
		plain = pkg.cli:main
		my tool = pkg.cli:main
		dots.and+plus = pkg.mod.sub:obj.attr.call
		extras = pkg.cli:main [one, two=2]
		pip = pip._internal.cli.main:main
		pip3 = pip._internal.cli.main:main
		pip3.9 = pip._internal.cli.main:main
		easy_install = setuptools.command.easy_install:main
		easy_install-3.9 = setuptools.command.easy_install:main
		unicode = paquet.modülé:fonction
		[gui_scripts]
		plain = pkg.gui:main
		window = pkg.gui:main
	EOF
	# the /bin/sh form for a path with a space or over 127 bytes
	for py in /usr/bin/python3 "/opt/my python/bin/python3" '"/opt/quoted path/python3"' \
		"/usr/bin/env my python" "/$(printf '%0130d' 0)/python3"; do
		n=$((n + 1))
		mkdir "$root/t/pip$n" "$root/t/pbrx$n"
		in_root "$root" /usr/bin/python3 -c "$PIP_WRAPPERS" "$py" /t/entry_points.txt "/t/pip$n"
		"$WHEEL_INSTALL" --wrappers "$py" 3.11 "$root/t/entry_points.txt" "$root/t/pbrx$n"
		[ "$(find "$root/t/pip$n" -type f | wc -l)" = 11 ]
		diff -r "$root/t/pip$n" "$root/t/pbrx$n"
	done
	# entry points both refuse: no callable, two colons, a space before
	# the colon, bad extras, no '=', nothing distlib can read, "."
	while IFS= read -r line; do
		printf '[console_scripts]\n%s\n' "$line" >"$root/t/bad.txt"
		mkdir -p "$root/t/bad"
		run in_root "$root" /usr/bin/python3 -c "$PIP_WRAPPERS" /usr/bin/python3 /t/bad.txt /t/bad
		[ "$status" != 0 ] || { echo "pip took: $line"; return 1; }
		run "$WHEEL_INSTALL" --wrappers /usr/bin/python3 3.11 "$root/t/bad.txt" "$root/t/bad"
		[ "$status" = 2 ] || { echo "pbrx took: $line"; return 1; }
	done <<-'EOF'
		bad = mod
		bad = a:b:c
		bad = mod:func [x-y,z-]
		bad = pkg.cli : main
		bad
		= x:y
		. = x:y
	EOF
}
