#!/usr/bin/env bash
# tests/fuzz/run.sh: runs each named libFuzzer target for FUZZ_SECONDS (nice 19), prints PASS/FAIL fuzz-<name> with its figures.
# The tree's corpus (tests/fuzz/corpus/<name>) seeds and regression-tests every run; new
# inputs go to a scratch corpus under $BUILD/fuzz/work, crashes to $BUILD/fuzz/crashes.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}/fuzz
secs=${FUZZ_SECONDS:-20}
rc=0
mkdir -p "$B/crashes"
for name in "$@"; do
	bin=$B/fuzz-$name
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz-$name: $bin not built (make fuzz-build)"
		rc=1
		continue
	fi
	work=$B/work/$name
	log=$B/fuzz-$name.log
	mkdir -p "$work"
	nice -n 19 "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$B/crashes/$name-" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
	if [ "$st" -eq 0 ] && [ -n "$execs" ]; then
		echo "PASS fuzz-$name ($execs execs in ${secs} s, $speed/s, $cov)"
	else
		echo "FAIL fuzz-$name: exit $st, see $log"
		grep -E 'ERROR|fuzz oracle|SUMMARY|Test unit written' "$log" | head -5
		rc=1
	fi
done
exit $rc
