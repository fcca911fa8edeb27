# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034 # version, engine: the driver's
# driver: what the drivers (pbrx-build-images, pbrx-push-images) share,
# written once and put into each by make (build/bin/) where the driver
# says "# @driver.sh@", after its usage(): messages, finding the stages,
# and the options every driver takes.  A driver so stays one file that
# can be copied anywhere beside the stages.

prog=${0##*/}
version=@VERSION@

die() {
	say "$prog: $*"
	exit "${rc_die:-1}"
}

# usage_error MESSAGE: the message and the usage on stderr, exit 2.
usage_error() {
	printf '%s: %s\n' "$prog" "$1" >&2
	usage >&2
	exit 2
}

# The stages: next to the driver first (a build tree or an install), else
# on PATH.
here=$(cd "$(dirname "$0")" && pwd)
tool() {
	if [ -x "$here/$1" ] && [ ! -d "$here/$1" ]; then
		printf '%s\n' "$here/$1"
	elif command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
	else
		rc_die=1 die "$1: not found next to $prog ($here) nor on PATH"
	fi
}

# need_arg OPTION "$#": the option's value must follow.
need_arg() {
	if [ "$2" -lt 2 ]; then
		usage_error "option $1 needs a value"
	fi
}

engine=${PBRX_ENGINE:-auto}
verbosity=0

# driver_flags FLAGS: bundled short options (-qv, -vv, -h), as every
# stage takes them: -q quiet, each -v more, -h the usage.
driver_flags() {
	local flags=$1
	while [ -n "$flags" ]; do
		case ${flags%"${flags#?}"} in
		q) verbosity=-1 ;;
		v) verbosity=$((verbosity < 0 ? 1 : verbosity + 1)) ;;
		h)
			usage
			exit 0
			;;
		*) usage_error "unknown option -${flags%"${flags#?}"}" ;;
		esac
		flags=${flags#?}
	done
}

# driver_engine NAME: --engine's value.
driver_engine() {
	case $1 in
	docker | buildah | auto) engine=$1 ;;
	*) usage_error "unknown engine '$1' (docker, buildah or auto)" ;;
	esac
}

# driver_quiet: the stages' verbosity options in the array quiet.
driver_quiet() {
	local i
	quiet=()
	if [ "$verbosity" -lt 0 ]; then
		quiet=(-q)
	fi
	for ((i = 0; i < verbosity; i++)); do
		quiet+=(-v)
	done
}

# ---- progress: one renderer for every stage's events ----
# The stages write their progress events (pbrx-progress(7)) on stderr
# with PBRX_PROGRESS=events; the driver sends every stage's stderr, and
# its own messages, to one progress-render, which alone decides how they
# are shown (--progress, PBRX_PROGRESS: auto, tty, plain, quiet).
progress=${PBRX_PROGRESS:-auto}
case $progress in
auto | tty | plain | quiet) ;;
*) progress=auto ;;
esac
# The renderer's input, once started; its pid.
pfd=""
render_pid=""

# driver_progress MODE: --progress's value.
driver_progress() {
	case $1 in
	auto | tty | plain | quiet) progress=$1 ;;
	*) usage_error "unknown progress mode '$1' (auto, tty, plain or quiet)" ;;
	esac
}

# progress_start: the renderer started, the stages told to write events.
progress_start() {
	local renderer
	renderer=$(tool progress-render)
	exec {pfd}> >(exec "$renderer" "${quiet[@]}" --progress "$progress")
	render_pid=$!
	export PBRX_PROGRESS=events
}

# progress_event JSON-MEMBERS: one event from the driver, with its time.
progress_event() {
	local t=${EPOCHREALTIME:-$(date +%s)}
	if [ -n "$pfd" ]; then
		printf '\036{"t":%s,%s}\n' "${t/,/.}" "$1" >&"$pfd"
	fi
}

# json_string TEXT: TEXT as a JSON string (quotes and backslashes
# escaped; what the driver sends has no control characters).
json_string() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

# say TEXT: a line for people, through the renderer while it runs.
say() {
	if [ -n "$pfd" ]; then
		printf '%s\n' "$*" >&"$pfd"
	else
		printf '%s\n' "$*" >&2
	fi
}

# progress_stop: the renderer told the run is over, its input closed,
# and its last words waited for (the failure's output, the summary).  It
# ends on the "close" event, not at the end of its input: a process a
# stage left behind may hold that open.
progress_stop() {
	if [ -n "$pfd" ]; then
		progress_event '"e":"close"'
		exec {pfd}>&-
		pfd=""
		wait "$render_pid" 2>/dev/null || :
		render_pid=""
	fi
}
