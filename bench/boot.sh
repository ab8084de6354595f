#!/usr/bin/env bash
# bench/boot.sh: start->exit wall time of the boot-initramfs guest (median of N) and VMM overhead RSS
# (every mapping except guest RAM and the kernel image, Firecracker's method). Run it through
# tests/harness/with-kvm on machines without hardware KVM. Prints figures; asserts nothing.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
N=${1:-10}
RUN=$B/tests/e2e/krun-run
VMLINUX=${TEST_VMLINUX:?the suite passes the cached vmlinux path}
INITRD=$B/tests/e2e/initramfs.cpio.gz
BASE="reboot=k,panic_warm panic=-1 console=hvc0 quiet rdinit=/init no-kvmapf"

times=()
for i in $(seq "$N"); do
	s=$(date +%s%N)
	"$RUN" --kernel "$VMLINUX" --initrd "$INITRD" --cmdline "$BASE krun_test=boot" > /dev/null 2>&1 < /dev/null
	times+=($(( ($(date +%s%N) - s) / 1000000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "boot-initramfs start->exit: median ${median} ms over $N runs (1 vCPU, 128 MiB): ${times[*]}"

# chroot_vm /bin/true: virtio-fs root, guest init, upstream's 4 vCPUs / 4096 MiB.
R=$(mktemp -d)
cp -a "$B/rootfs/." "$R/"
times=()
for i in $(seq "$N"); do
	s=$(date +%s%N)
	"$B/examples/chroot_vm" "$R" /bin/true > /dev/null 2>&1 < /dev/null
	times+=($(( ($(date +%s%N) - s) / 1000000 )))
done
rm -rf "$R"
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "chroot_vm /bin/true start->exit: median ${median} ms over $N runs: ${times[*]}"

# Overhead RSS: sample a guest that stays up for 3 s.
"$RUN" --kernel "$VMLINUX" --initrd "$INITRD" --cmdline "$BASE krun_test=hold" > /dev/null 2>&1 < /dev/null &
pid=$!
sleep 2
awk '
	/^[0-9a-f]+-[0-9a-f]+ / { guest = ($0 ~ /krun-guest-ram/ || $0 ~ /libkrunfw/) }
	/^Rss:/ { if (guest) g += $2; else o += $2 }
	END { printf "VMM overhead RSS: %.2f MiB (guest RAM and kernel image resident: %.2f MiB)\n", o / 1024, g / 1024 }
' "/proc/$pid/smaps"
wait $pid
