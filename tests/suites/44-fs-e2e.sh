#!/usr/bin/env bash
# tests/suites/44-fs-e2e.sh: virtio-fs behaviour in real guests (tests/e2e-fs), in the nested VM here.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
for f in "$B/tests/e2e-fs/fs-guest" "$B/tests/e2e-fs/krun-fs" "$B/tests/e2e/krun-run" "$B/rootfs"; do
	if [ ! -e "$f" ]; then
		echo "SKIP fs-e2e: $f not built (make check builds it)"
		exit 0
	fi
done
exec tests/harness/with-kvm tests/e2e-fs/run.sh
