#!/usr/bin/env bash
# tests/e2e/run.sh: end-to-end cases that boot real guests; run under tests/harness/with-kvm. Prints PASS/FAIL lines.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/tests/e2e/krun-run
INITRD=$B/tests/e2e/initramfs.cpio.gz
VMLINUX=${E2E_VMLINUX:-$(kernel/build.sh --print-dir)/vmlinux}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ONLY=${E2E_ONLY:-}
# The prolog our VMM uses, with the initramfs's init instead of /init.krun.
BASE="reboot=k,panic_warm panic=-1 console=hvc0 quiet rdinit=/init no-kvmapf"

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; sed 's/^/    | /' "$T/out" 2>/dev/null | tail -n 15; }
want() { [ -z "$ONLY" ] || grep -qw -- "$1" <<<"$ONLY"; }

# boot NAME TEST [krun-run options...]: boot the initramfs with krun_test=TEST, output in $T/out.
boot() {
	local t=$1; shift
	timeout -k 5 ${E2E_TIMEOUT:-120} "$RUN" --kernel "$VMLINUX" --initrd "$INITRD" \
		--cmdline "$BASE krun_test=$t" "$@" > "$T/out" 2>&1 < /dev/null
}

case_boot_initramfs() {
	local start=$(date +%s%N) rc
	boot boot; rc=$?
	if [ $rc -eq 0 ] && grep -q "E2E-MARKER boot ok" "$T/out"; then
		pass "boot-initramfs ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
	else
		fail boot-initramfs "exit $rc"
	fi
}

case_smp_4() {
	boot smp --cpus 4
	grep -q "E2E-CPUS 4" "$T/out" && pass smp-4 || fail smp-4 "guest did not see 4 CPUs"
}

case_ram_2g() {
	local kb
	boot mem --mem 2048
	kb=$(sed -n 's/.*E2E-MEMTOTAL \([0-9]*\).*/\1/p' "$T/out")
	# Within 5 % of 2048 MiB.
	if [ -n "$kb" ] && [ "$kb" -gt $((2048 * 1024 * 95 / 100)) ] && [ "$kb" -lt $((2048 * 1024 * 105 / 100)) ]; then
		pass "ram-2g (MemTotal $kb kB)"
	else
		fail ram-2g "MemTotal '$kb' kB"
	fi
}

case_rng() {
	boot rng
	grep -q "E2E-RNG 1048576 virtio_rng" "$T/out" && pass rng || fail rng "did not read 1 MiB from virtio-rng"
}

case_console_stdin_pipe() {
	local rc
	head -c 1048576 /dev/urandom > "$T/in"
	timeout -k 5 120 "$RUN" --kernel "$VMLINUX" --initrd "$INITRD" \
		--cmdline "$BASE krun_test=echo" < "$T/in" > "$T/echo" 2> "$T/out"
	rc=$?
	if [ $rc -eq 0 ] && cmp -s "$T/in" "$T/echo"; then
		pass console-stdin-pipe
	else
		fail console-stdin-pipe "exit $rc, $(stat -c %s "$T/echo") bytes back, content differs"
	fi
}

case_guest_panic() {
	local rc
	boot panic; rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "guest kernel panicked" "$T/out"; then
		pass "guest-panic (exit $rc)"
	else
		fail guest-panic "exit $rc"
	fi
}

for c in boot_initramfs smp_4 ram_2g rng console_stdin_pipe guest_panic; do
	want "${c//_/-}" && "case_$c"
done
exit 0
