#!/usr/bin/env bash
# tests/suites/45-kernel.sh: what the bundled guest kernel gives workloads (nested KVM, BPF, binfmt_misc, vsock
# loopback, ext4/vfat/xfs through loop, dm-crypt), booted through libkrun; plus the nested-virt start check.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/tests/kernel/krun-guest
IMG=$B/tests/kernel/img

# Where the host KVM offers no VMX/SVM to guests, krun_set_nested_virt(true) must make the start fail
# with a clear error before any guest code runs (checked on the native /dev/kvm, PVM here).
if grep -qw -e vmx -e svm /proc/cpuinfo; then
	echo "SKIP kernel-nested-refused: this host offers VMX/SVM, the refusal cannot be provoked here"
elif [ ! -c /dev/kvm ]; then
	echo "SKIP kernel-nested-refused: no /dev/kvm"
else
	out=$(timeout -k 5 60 "$RUN" --nested / /bin/true 2>&1 < /dev/null)
	rc=$?
	if [ $rc -ne 0 ] && grep -q "nested virtualization requested" <<<"$out"; then
		echo "PASS kernel-nested-refused (exit $rc: $(grep -m1 -o 'nested virtualization requested.*' <<<"$out" | cut -c1-90)...)"
	else
		echo "FAIL kernel-nested-refused: exit $rc, $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	fi
fi

# File system images are made on the host; the guest mounts them through loop devices.
rm -rf "$IMG"
mkdir -p "$IMG"
truncate -s 32M "$IMG/ext4.img" "$IMG/vfat.img"
truncate -s 300M "$IMG/xfs.img"	# mkfs.xfs's minimum
mkfs.ext4 -q -F "$IMG/ext4.img" &&
	mkfs.vfat "$IMG/vfat.img" > /dev/null &&
	mkfs.xfs -q -f "$IMG/xfs.img" ||
	echo "FAIL kernel-images: mkfs failed (tools/deps.sh installs dosfstools, xfsprogs)"

tests/harness/with-kvm tests/kernel/run.sh
rm -rf "$IMG"
