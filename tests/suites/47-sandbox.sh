#!/usr/bin/env bash
# The VMM's seccomp sandbox (tests/e2e/sandbox.sh), booted through the KVM harness.
set -u
cd "$(dirname "$0")/../.."
exec tests/harness/with-kvm tests/e2e/sandbox.sh
