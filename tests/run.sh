#!/usr/bin/env bash
# tests/run.sh: runs every suite in tests/suites/ and prints one closing line.
# A suite prints "PASS <name>", "FAIL <name>: why" or "SKIP <name>: why" lines;
# a suite that exits non-zero without printing a FAIL line counts as one failure.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
pass=0 fail=0 skip=0
only=${SUITES:-}
for suite in tests/suites/*.sh; do
	name=$(basename "$suite" .sh)
	if [ -n "$only" ] && ! grep -qw -- "$name" <<<"$only"; then continue; fi
	echo "== suite $name"
	start=$(date +%s)
	out=$(mktemp)
	bash "$suite" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	# The nested VM (L1) itself can stop for good (its timer interrupt lost while it runs a
	# guest: tests/harness/README.md); with-kvm then says so. That is the test machine's
	# failure, not a result: the suite runs once more and only the second run counts.
	if grep -q '^with-kvm: L1 stopped: no heartbeat' "$out"; then
		echo "== suite $name: the nested VM stopped (above); running the suite again, this run counts"
		bash "$suite" 2>&1 | tee "$out"
		rc=${PIPESTATUS[0]}
	fi
	p=$(grep -c '^PASS ' "$out") f=$(grep -c '^FAIL ' "$out") s=$(grep -c '^SKIP ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: suite exited $rc"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "== suite $name: $p passed, $f failed, $s skipped ($(( $(date +%s) - start )) s)"
	rm -f "$out"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
