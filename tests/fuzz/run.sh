#!/usr/bin/env bash
# tests/fuzz/run.sh — run libFuzzer harnesses for a while each; one line per harness:
# "PASS fuzz/NAME: N runs" or "FAIL fuzz/NAME: why; reproducer: PATH (re-run: BIN PATH)".
# usage: run.sh BINDIR CORPUSDIR SECONDS NAME...
#   BINDIR     where the harnesses were built (tests/fuzz of the build tree); new inputs go
#              to BINDIR/work/NAME, crashes to BINDIR/crashes/NAME/, logs to BINDIR/NAME.log
#   CORPUSDIR  the seed corpus in the repository (tests/fuzz/corpus), only read
# Exit status: 0 when every harness passed.
set -u
bindir=$1 corpus=$2 seconds=$3
shift 3
rc=0
for name in "$@"; do
	bin=$bindir/$name
	work=$bindir/work/$name
	crashes=$bindir/crashes/$name
	logf=$bindir/$name.log
	if [[ ! -x $bin ]]; then
		printf 'FAIL fuzz/%s: %s was not built\n' "$name" "$bin"
		rc=1
		continue
	fi
	mkdir -p "$work" "$crashes"
	seeds=() dict=()
	[[ -d $corpus/$name ]] && seeds=("$corpus/$name")
	[[ -f $corpus/../$name.dict ]] && dict=("-dict=$corpus/../$name.dict")
	# leaks and UB are failures too (ASAN_OPTIONS / UBSAN_OPTIONS of the caller apply)
	"$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len=8192 \
		-print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" "$work" "${seeds[@]}" \
		>"$logf" 2>&1 </dev/null
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -n1)
	if ((st == 0)); then
		printf 'PASS fuzz/%s: %s runs in %s s\n' "$name" "${runs:-?}" "$seconds"
		continue
	fi
	rc=1
	repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$logf" | tail -n1)
	why=$(grep -m1 -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:|invariant broken' \
		"$logf" | cut -c1-200)
	printf 'FAIL fuzz/%s: %s; reproducer: %s (re-run: %s %s; log %s)\n' "$name" \
		"${why:-exit status $st}" "${repro:-none written}" "$bin" "${repro:-}" "$logf"
	grep -E 'invariant broken|runtime error:|ERROR: |#[0-9]+ 0x' "$logf" | head -n 25 >&2
done
exit "$rc"
