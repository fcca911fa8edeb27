#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2154 # out and err are set by run_split (helpers.bash)
# bench/: the cheap parts only.  The full bench (bench/compare) starts
# dockerd and builds for many minutes: it is run by hand, never here.
# Here: its usage and argument checks, the report's arithmetic and table
# on a canned JSON (fixtures/bench/raw.json: 3 runs of pbrx, BuildKit and
# pbrx-style with known medians), and pure-stages' inputs.  No timing is
# asserted: only that the numbers given are summarised correctly.

load helpers

setup() {
	common_setup
	BENCH="$PBRX_ROOT/bench"
	RAW="$BATS_TEST_DIRNAME/fixtures/bench/raw.json"
}

teardown() {
	common_teardown
}

@test "bench/compare: --help, and bad arguments exit 2" {
	run "$BENCH/compare" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: compare [-n N] [--pure-runs M] [-o FILE] [--methods LIST]" ]
	run_split "$BENCH/compare" -n 0
	[ "$status" -eq 2 ]
	[ "$err" = "compare: -n and --pure-runs need a positive number, not '0'" ]
	run_split "$BENCH/compare" --methods pbrx,kaniko
	[ "$status" -eq 2 ]
	[ "$err" = "compare: unknown method 'kaniko' (pbrx, buildkit, classic, pbrx-style)" ]
	run_split "$BENCH/compare" -o
	[ "$status" -eq 2 ]
	[[ "$err" == "compare: option -o needs a value"* ]]
}

@test "bench/report --json: medians, ratios and targets from the runs" {
	run_split "$BENCH/report" --json "$RAW"
	[ "$status" -eq 0 ]
	s=$(jq -c .summary <<<"$out")
	# Medians of odd counts: the middle value.
	[ "$(jq -c '.methods.pbrx.wall_s' <<<"$s")" = '{"cold":20,"source":5,"dependency":8}' ]
	[ "$(jq -c '.methods.buildkit.wall_s' <<<"$s")" = '{"cold":25,"source":5,"dependency":4}' ]
	# Bytes come from the runs that measured them (run 1).
	[ "$(jq -c '.methods.pbrx.unique_bytes' <<<"$s")" = 1200000 ]
	# pbrx / other.
	[ "$(jq -c '.ratios.buildkit' <<<"$s")" = '{"cold":0.8,"source":1,"dependency":2,"unique_bytes":1.2}' ]
	[ "$(jq -c '.ratios["pbrx-style"].cold' <<<"$s")" = 0.5 ]
	# CPU % of wall: the median of each run's (user + sys) / wall.
	[ "$(jq -c '.methods.pbrx.cpu_pct_of_wall.cold' <<<"$s")" = 0.6 ]
	# Stage times: the median per stage.
	[ "$(jq -c '.methods.pbrx.stages_s.cold | map(select(.stage == "wheel-build"))[0].s' <<<"$s")" = 15 ]
	# Targets: the process-start floor has none; the rest pass or fail.
	[ "$(jq -c '[.targets[] | [.name, .pass]]' <<<"$s")" = '[["cold",true],["source",false],["dependency",false],["unique_bytes",false],["reproducible",true],["script_no_extra",true],["overhead_cold",true],["overhead_source",true],["overhead_dependency",true],["pure_bindep-filter",false],["pure_cfg-extras",true]]' ]
	# The raw runs are kept as they were.
	[ "$(jq -c '.methods' <<<"$out")" = "$(jq -c '.methods' "$RAW")" ]
}

@test "bench/report --json: an even number of runs takes the mean of the middle two; a missing method gives null" {
	jq 'del(.methods.pbrx.runs[2]) | del(.methods.buildkit)' "$RAW" >"$TMP/two.json"
	run_split "$BENCH/report" --json "$TMP/two.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c '.summary.methods.pbrx.wall_s' <<<"$out")" = '{"cold":15,"source":5.5,"dependency":8}' ]
	[ "$(jq -c '.summary.targets[] | select(.name == "cold") | [.value, .pass]' <<<"$out")" = '[null,null]' ]
	[ "$(jq -c '.summary.ratios | keys' <<<"$out")" = '["pbrx-style"]' ]
}

@test "bench/report: the table" {
	run_split "$BENCH/report" "$RAW"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	grep -Eq '^cold build, s +20\.0 +25\.0 +40\.0 +0\.80 +0\.50 +<= 0\.85 +PASS$' <<<"$out"
	grep -Eq '^after a source change, s +5\.0 +5\.0 +40\.0 +1\.00 +0\.13 +<= 0\.5 +FAIL$' <<<"$out"
	grep -Eq '^after a dependency change, s +8\.0 +4\.0 +40\.0 +2\.00 +0\.20 +<= 0\.7 +FAIL$' <<<"$out"
	grep -Eq '^unique bytes over the base image +1\.2 MB +1 MB +200 MB +1\.200 +0\.006 +<= 0\.35 +FAIL$' <<<"$out"
	grep -Eq '^same IDs, every cache dropped +true +== true +PASS$' <<<"$out"
	grep -Eq '^yamlcat adds over yamlcat-base +0 B +0 B +1\.5 kB +== 0 +PASS$' <<<"$out"
	grep -Eq '^CPU user\+sys, % of wall +0\.60 +0\.60 +0\.89 +< 1 +PASS$' <<<"$out"
	grep -Eq '^  \[5\] wheel-build, s +15\.0 +3\.0 +6\.0$' <<<"$out"
	grep -Eq '^  bindep-filter +12\.50 +13000 +< 10 +FAIL$' <<<"$out"
	grep -Eq '^  process-start +1\.00 +1400 *$' <<<"$out"
	[ "$(tail -n 1 <<<"$out")" = "targets met: 7 of 11" ]
}

@test "bench/report: an unreadable file or a bad option exits 2" {
	run_split "$BENCH/report" "$TMP/none.json"
	[ "$status" -eq 2 ]
	[ "$err" = "report: $TMP/none.json: cannot read it" ]
	run_split "$BENCH/report" --bogus
	[ "$status" -eq 2 ]
}

@test "bench/pure-stages --json: every stage measured on the inputs it claims" {
	run_split "$BENCH/pure-stages" -n 1 --json
	[ "$status" -eq 0 ]
	[ "$(jq -c 'keys' <<<"$out")" = '["bindep-filter","bindep-filter-brief","cfg-extras","image-plan","process-start"]' ]
	[ "$(jq '[.[] | select(.median_ms > 0 and .max_rss_kb > 0 and .runs == 1)] | length' <<<"$out")" = 5 ]
	run_split "$BENCH/pure-stages" -n x
	[ "$status" -eq 2 ]
}
