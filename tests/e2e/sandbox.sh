#!/usr/bin/env bash
# tests/e2e/sandbox.sh: the VMM's seccomp sandbox (src/sandbox/) seen from outside: every thread filtered, a forbidden syscall ends the VMM, KRUN_SANDBOX=0; run under tests/harness/with-kvm.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
CHROOT_VM=$B/examples/chroot_vm
T=$(mktemp -d)
R=$T/rootfs
ONLY=${TEST_ONLY:-}
VM_PID=
trap '[ -n "$VM_PID" ] && kill -KILL $VM_PID 2>/dev/null; rm -rf "$T"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; cat "$T/out" "$T/err" 2>/dev/null | sed 's/^/    | /' | tail -n 20; }
want() { [ -z "$ONLY" ] || grep -qw -- "$1" <<<"$ONLY"; }

cp -a "$B/rootfs" "$R" || { echo "FAIL sandbox-setup: no rootfs"; exit 1; }

# threads PID: one line per thread of chroot_vm (the child of timeout PID), "NAME SECCOMP-MODE".
threads() {
	local s pid
	pid=$(pgrep -n -P "$1")
	for s in /proc/$pid/task/*/status; do
		awk -F'\t' '/^Name:/ {n=$2} /^Seccomp:/ {m=$2} END {print n, m}' "$s"
	done
}

# running_vm: chroot_vm with a workload that waits for SIGTERM, in the background; after it
# wrote and read files on the virtio-fs root (the worker's list), it prints "ready".
running_vm() {
	timeout -k 5 180 "$CHROOT_VM" "$R" /bin/sh -c \
		'echo data > /tmp/sbx && cat /tmp/sbx >/dev/null && ls -l / >/dev/null && exec /bin/probe wait-signal' \
		> "$T/out" 2> "$T/err" < /dev/null &
	VM_PID=$!
	for _ in $(seq 1200); do grep -q ready "$T/out" && return 0; sleep 0.1; done
	return 1
}

stop_vm() { # SIGTERM reaches the workload, which exits 115; sets rc
	kill -TERM $VM_PID; wait $VM_PID; rc=$?; VM_PID=
}

# Whether the other e2e suites of this run had the filters on: KRUN_SANDBOX reaches every suite
# (with-kvm passes KRUN_*), and no test script but this one turns the sandbox off.
others_filtered() {
	local off
	[ "${KRUN_SANDBOX-}" != 0 ] || { echo "KRUN_SANDBOX=0 in this run's environment"; return 1; }
	off=$(grep -rlE 'KRUN_SANDBOX=(0|"0")' tests --include='*.sh' --include='*.c' --exclude-dir=unit |
		grep -vx tests/e2e/sandbox.sh | paste -sd' ' -)
	[ -z "$off" ] || { echo "turned off by $off"; return 1; }
}

# The default (no KRUN_SANDBOX in the environment, as in every other e2e suite): every VMM
# thread has a filter (Seccomp: 2) while the guest runs, and the guest still works. The line
# also states whether every other e2e suite of the run had the filters on.
case_sandbox_e2e() {
	local rc list others
	others=$(others_filtered) && others="every e2e suite of this run had the filters on (default, no script turns them off)" ||
		others="other suites of this run ran WITHOUT the filters: $others"
	unset KRUN_SANDBOX
	if ! running_vm; then fail sandbox-e2e "the workload never got ready"; return; fi
	threads $VM_PID > "$T/threads"
	stop_vm
	list=$(sort "$T/threads" | sed 's/ \([0-9]\)$/=\1/' | paste -sd, -)
	if [ $rc -eq 115 ] && [ -s "$T/threads" ] && ! awk '$NF != 2 {bad=1} END {exit !bad}' "$T/threads" &&
	   grep -q '^fc_vcpu' "$T/threads" && grep -q '^virtio-fs' "$T/threads"; then
		pass "sandbox-e2e (default on; every thread Seccomp 2: $list; $others)"
	else
		cat "$T/threads" >> "$T/err"; fail sandbox-e2e "exit $rc, threads: $list"
	fi
}

# A test hook makes one thread of each role call getppid (on no list) right after its filter is
# installed: the VMM must die with status 159 and a line naming the syscall and the thread.
case_sandbox_forbidden() {
	local role rc bad=
	for role in virtio-fs vcpu main; do
		KRUN_SANDBOX_SELFTEST=$role timeout -k 5 120 "$CHROOT_VM" "$R" /bin/true > "$T/out" 2> "$T/err" < /dev/null
		rc=$?
		if [ $rc -ne 159 ] || ! grep -q "sandbox: thread '$role' made forbidden syscall getppid (110)" "$T/err"; then
			bad="$bad $role(exit $rc)"
		fi
	done
	[ -z "$bad" ] && pass "sandbox-forbidden-syscall (virtio-fs, vcpu, main: exit 159, syscall named)" ||
		fail sandbox-forbidden-syscall "roles not stopped as expected:$bad"
}

# KRUN_SANDBOX=0: no thread is filtered (and the hook has nothing to trip).
case_sandbox_off() {
	local rc
	if ! KRUN_SANDBOX=0 KRUN_SANDBOX_SELFTEST=virtio-fs running_vm; then
		fail sandbox-off "the workload never got ready"; return
	fi
	threads $VM_PID > "$T/threads"
	stop_vm
	if [ $rc -eq 115 ] && [ -s "$T/threads" ] && ! awk '$NF != 0 {bad=1} END {exit !bad}' "$T/threads"; then
		pass "sandbox-off (KRUN_SANDBOX=0: $(wc -l < "$T/threads") threads, none filtered)"
	else
		cat "$T/threads" >> "$T/err"; fail sandbox-off "exit $rc"
	fi
}

want sandbox-e2e && case_sandbox_e2e
want sandbox-forbidden-syscall && case_sandbox_forbidden
want sandbox-off && case_sandbox_off
exit 0
