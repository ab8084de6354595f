#!/usr/bin/env bash
# bench/kernel-boot.sh BASE_VMLINUX OTHER_VMLINUX...: boot-initramfs start->exit of guest kernels, runs interleaved
# in the same run (under tests/harness/with-kvm here); medians and ratios to the first. Asserts nothing.
# KBOOT_RUNS sets the runs per kernel (default 10).
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
N=${KBOOT_RUNS:-10}
[ $# -ge 2 ] || { echo "usage: $0 BASE_VMLINUX OTHER_VMLINUX..." >&2; exit 2; }
RUN=$B/tests/e2e/krun-run
INITRD=$B/tests/e2e/initramfs.cpio.gz
BASE="reboot=k,panic_warm panic=-1 console=hvc0 quiet rdinit=/init no-kvmapf"

boot_ms() {
	local s=$(date +%s%N)
	"$RUN" --kernel "$1" --initrd "$INITRD" --cmdline "$BASE krun_test=boot" > "$B/kboot.out" 2>&1 < /dev/null &&
		grep -q "E2E-MARKER boot ok" "$B/kboot.out" || echo "boot of $1 failed" >&2
	echo $(( ($(date +%s%N) - s) / 1000000 ))
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A t
for i in $(seq "$N"); do
	for k in $(seq $#); do t[$k]+="$(boot_ms "${!k}") "; done
done
base=
for k in $(seq $#); do
	m=$(median ${t[$k]})
	[ -n "$base" ] || base=$m
	printf 'kernel boot %s: median %d ms (%.3f x the first) over %d runs: %s\n' "${!k}" "$m" \
		"$(awk -v a="$m" -v b="$base" 'BEGIN { print a / b }')" "$N" "${t[$k]}"
done
rm -f "$B/kboot.out"
