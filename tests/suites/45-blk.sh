#!/usr/bin/env bash
# Block devices end to end (tests/e2e/blk.sh), booted through the KVM harness.
set -u
cd "$(dirname "$0")/../.."
exec tests/harness/with-kvm tests/e2e/blk.sh
