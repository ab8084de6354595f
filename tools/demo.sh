#!/usr/bin/env bash
# tools/demo.sh: the main job: run a command inside a microVM whose root is build/rootfs (through the KVM harness).
set -eu
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
	set -- /bin/sh -c 'echo "hello from $(uname -sr) in a microVM with $(nproc) vCPUs"; exit 3'
fi
set +e
tests/harness/with-kvm "${BUILD:-build}/examples/chroot_vm" "${BUILD:-build}/rootfs" "$@"
rc=$?
echo "demo: the command exited with $rc"
