#!/usr/bin/env bash
# Unit tests: every binary in build/tests/unit, no KVM needed.
set -u
rc=0
for t in "${BUILD:-build}"/tests/unit/*; do
	[ -x "$t" ] || continue
	"$t" || rc=1
done
exit $rc
