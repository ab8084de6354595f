#!/usr/bin/env bash
# tests/suites/46-podman.sh: Debian's podman -> crun (krun handler) -> our libkrun, in the nested VM.
# About 4.5 min on the loaded 2-core development machine; KRUN_TEST_PODMAN=0 skips it.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
export BUILD=$B
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ "${KRUN_TEST_PODMAN:-1}" = 0 ]; then
	echo "SKIP podman: KRUN_TEST_PODMAN=0"
	exit 0
fi
if ! command -v podman >/dev/null; then
	echo "SKIP podman: podman is not installed (make deps installs it)"
	exit 0
fi
for f in "$B/libkrun.so.1" "$B/libkrunfw.so.5" "$B/rootfs/bin/probe"; do
	[ -e "$f" ] || { echo "SKIP podman: $f is not built"; exit 0; }
done
if ! crun=$(tools/build-crun.sh 2>"$log"); then
	echo "SKIP podman: could not build Debian's crun with --with-libkrun: $(tail -n 3 "$log" | tr '\n' ' ')"
	exit 0
fi
WITH_KVM_TIMEOUT=${WITH_KVM_TIMEOUT:-1800} exec tests/harness/with-kvm tests/clients/podman.sh "$crun"
