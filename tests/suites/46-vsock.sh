#!/usr/bin/env bash
# virtio-vsock end-to-end cases (tests/e2e/vsock.sh), booted through the KVM harness.
set -u
cd "$(dirname "$0")/../.."
exec tests/harness/with-kvm tests/e2e/vsock.sh
