#!/usr/bin/env bash
# tests/suites/15-harness.sh: checks tests/harness/with-kvm and the raw /dev/kvm (kvm-selftest).
# Two L1 boots in all (plus one cut short by the timeout): each boot costs seconds under TCG.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
WK=tests/harness/with-kvm
SELFTEST=$BUILD/tests/kvm/kvm-selftest
work=$BUILD/tests/harness
mkdir -p "$work"
work=$(cd "$work" && pwd)

pass() { echo "PASS harness/$1"; }
fail() { echo "FAIL harness/$1: $2"; }
skip() { echo "SKIP harness/$1: $2"; }

# Output of a selftest run, indented so its own PASS lines do not count twice.
indent() { sed 's/^/    /'; }

if [ ! -x "$SELFTEST" ]; then
	fail build "$SELFTEST missing (make $SELFTEST)"
	exit 1
fi

if [ -e /dev/kvm ]; then
	if "$SELFTEST" >"$work/native.out" 2>&1; then
		pass kvm-selftest-native
	else
		fail kvm-selftest-native "$(grep -m1 FAIL "$work/native.out")"
		indent <"$work/native.out"
	fi
else
	skip kvm-selftest-native "no /dev/kvm"
fi

"$WK" true
rc=$?
[ $rc -eq 0 ] && pass true-exits-0 || fail true-exits-0 "exit $rc"

# One boot for the rest: exit status, output, environment, devices, writable cwd, selftest.
rm -f "$work/written-inside" "$work/inside.out"
marker="marker-$$-$RANDOM"
TEST_HARNESS_VAR="a b'c" "$WK" bash -c '
	echo "$1"
	echo "env=$TEST_HARNESS_VAR"
	echo "cwd=$PWD"
	for d in kvm fuse ptmx; do [ -c /dev/$d ] && echo "dev-$d"; done
	script -qec true /dev/null >/dev/null 2>&1 && echo pty-ok
	echo written >"$2/written-inside"
	"$3" >"$2/selftest.out" 2>&1 && echo selftest-ok
	echo to-stderr >&2
	exit 7' _ "$marker" "$work" "$SELFTEST" >"$work/inside.out" 2>"$work/inside.err"
rc=$?
[ $rc -eq 7 ] && pass exit-status-7 || fail exit-status-7 "exit $rc"
if head -n1 "$work/inside.out" | grep -qx "$marker"; then
	pass stdout-passes-through
else
	fail stdout-passes-through "first line: $(head -n1 "$work/inside.out")"
fi
grep -qx to-stderr "$work/inside.err" && pass stderr-passes-through ||
	fail stderr-passes-through "no line on stderr"
grep -qxF "env=a b'c" "$work/inside.out" && pass env-passes-through ||
	fail env-passes-through "TEST_HARNESS_VAR lost"
grep -qxF "cwd=$PWD" "$work/inside.out" && pass same-cwd || fail same-cwd "cwd differs"
for d in kvm fuse ptmx; do
	grep -qx "dev-$d" "$work/inside.out" && pass "dev-$d-inside" ||
		fail "dev-$d-inside" "/dev/$d missing"
done
if command -v script >/dev/null; then
	grep -qx pty-ok "$work/inside.out" && pass pty-inside || fail pty-inside "no pty (script failed)"
else
	skip pty-inside "no script(1) to open a pty with"
fi
[ "$(cat "$work/written-inside" 2>/dev/null)" = written ] && pass cwd-writable ||
	fail cwd-writable "file written inside not seen outside"
if grep -qx selftest-ok "$work/inside.out"; then
	pass kvm-selftest-nested
else
	fail kvm-selftest-nested "$(grep -m1 FAIL "$work/selftest.out" 2>/dev/null)"
	indent <"$work/selftest.out" 2>/dev/null
fi
# The L1 boot time is the harness's main cost; show it in the log.
grep -h 'L1 up' "$work/inside.err" | sed 's/^/    /'

# Natively (hardware KVM) there is no L1 and so nothing to time out.
if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -d /sys/module/kvm_intel -o -d /sys/module/kvm_amd ]; then
	skip timeout "hardware KVM: commands run natively"
else
	WITH_KVM_TIMEOUT=2 "$WK" sleep 60 2>/dev/null
	rc=$?
	[ $rc -eq 124 ] && pass timeout-exits-124 || fail timeout-exits-124 "exit $rc"
	# A stopped L1 (simulated: its heartbeat writer is SIGSTOPped) first gets one NMI (the kick
	# that wakes an L1 whose timer interrupt was lost; this one stays stale), then is ended early
	# with 125 and a report of where its CPUs are; tests/run.sh keys its one retry on that line.
	WITH_KVM_KICK=8 WITH_KVM_STALL=20 WITH_KVM_TIMEOUT=300 "$WK" sh -c \
		'sleep 2; for p in $(pgrep -x init); do [ "$p" != 1 ] && kill -STOP "$p"; done; sleep 280' \
		>/dev/null 2>"$work/stall.err"
	rc=$?
	if [ $rc -eq 125 ] && grep -q '^with-kvm: L1 stopped: no heartbeat' "$work/stall.err" &&
	   grep -q 'RIP=' "$work/stall.err" && grep -q 'an NMI was sent' "$work/stall.err" &&
	   grep -q 'LVTT\|Timer' "$work/stall.err"; then
		pass stall-detected
	else
		fail stall-detected "exit $rc"; indent <"$work/stall.err"
	fi
fi
exit 0
