#!/usr/bin/env bash
# Networking end-to-end (tests/net/run.sh): one nested VM for every case, in a private mount namespace (resolv.conf).
set -u
cd "$(dirname "$0")/../.."
exec tests/harness/with-kvm unshare -m tests/net/run.sh
