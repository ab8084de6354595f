#!/usr/bin/env bash
# bench/boot.sh: start->exit wall time of the boot-initramfs guest and of chroot_vm /bin/true (medians of N).
# Run it through tests/harness/with-kvm on machines without hardware KVM. Prints figures; asserts nothing.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
mkdir -p "$B/bench"
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

# VMM overhead RSS and library sizes: bench/footprint.sh (with the devices a podman container gets).
