#!/usr/bin/env bash
# End-to-end: boot real guests with libkrun, natively where KVM runs Linux, in the nested VM here.
set -u
cd "$(dirname "$0")/../.."
exec tests/harness/with-kvm tests/e2e/run.sh
