#!/usr/bin/env bash
# tests/suites/48-fs-read.sh: large reads, read-after-write, FORGETs and the root's bdi tuning on the virtio-fs root in a real guest (tests/e2e-fs/read.sh), in the nested VM here.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
for f in "$B/examples/chroot_vm" "$B/rootfs" "$B/libkrun.so.1"; do
	if [ ! -e "$f" ]; then
		echo "SKIP fs-read: $f not built (make check builds it)"
		exit 0
	fi
done
exec tests/harness/with-kvm tests/e2e-fs/read.sh
