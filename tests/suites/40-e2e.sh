#!/usr/bin/env bash
# End-to-end: boot real guests with libkrun, natively where KVM runs Linux, in the nested VM here.
set -u
cd "$(dirname "$0")/../.."
# Resolved on the host: the nested VM must never try to build the kernel.
TEST_VMLINUX=${TEST_VMLINUX:-$(kernel/build.sh --print-dir)/vmlinux}
export TEST_VMLINUX
exec tests/harness/with-kvm tests/e2e/run.sh
