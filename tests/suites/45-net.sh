#!/usr/bin/env bash
# Networking end-to-end (tests/net/run.sh): one nested VM for every case, in a private mount namespace (resolv.conf).
set -u
cd "$(dirname "$0")/../.."
TEST_VMLINUX=${TEST_VMLINUX:-$(kernel/build.sh --print-dir)/vmlinux}
export TEST_VMLINUX
exec tests/harness/with-kvm unshare -m tests/net/run.sh
