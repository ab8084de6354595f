#!/usr/bin/env bash
# bench/kernel-boot.sh OLD_VMLINUX NEW_VMLINUX [N]: boot-initramfs start->exit of two guest kernels, runs
# interleaved in the same run (under tests/harness/with-kvm here). Prints medians and the ratio; asserts nothing.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
OLD=${1:?old vmlinux} NEW=${2:?new vmlinux} N=${3:-10}
RUN=$B/tests/e2e/krun-run
INITRD=$B/tests/e2e/initramfs.cpio.gz
BASE="reboot=k,panic_warm panic=-1 console=hvc0 quiet rdinit=/init no-kvmapf"

boot_ms() {
	local s=$(date +%s%N)
	"$RUN" --kernel "$1" --initrd "$INITRD" --cmdline "$BASE krun_test=boot" > /dev/null 2>&1 < /dev/null || echo "boot of $1 failed" >&2
	echo $(( ($(date +%s%N) - s) / 1000000 ))
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

old=() new=()
for i in $(seq "$N"); do
	old+=($(boot_ms "$OLD"))
	new+=($(boot_ms "$NEW"))
done
mo=$(median "${old[@]}") mn=$(median "${new[@]}")
echo "kernel boot, old: median $mo ms over $N runs: ${old[*]}"
echo "kernel boot, new: median $mn ms over $N runs: ${new[*]}"
awk -v o="$mo" -v n="$mn" 'BEGIN { printf "kernel boot new/old: %.3f\n", n / o }'
