#!/usr/bin/env bash
# tests/suites/45-clients.sh: real clients on our library, in the nested VM: Debian's crun built with
# its krun handler (tools/build-crun.sh, cached) runs OCI bundles, plus the guest behaviour clients
# rely on (tty naming, process name). podman has its own suite (46-podman.sh).
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
export BUILD=$B
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for f in "$B/libkrun.so.1" "$B/libkrunfw.so.5" "$B/examples/chroot_vm" "$B/tests/e2e/krun-run" "$B/rootfs/bin/probe"; do
	if [ ! -e "$f" ]; then
		echo "SKIP clients: $f is not built (make all check targets first)"
		exit 0
	fi
done
# Built on the host (apt and the cache are there), never inside the nested VM.
if crun=$(tools/build-crun.sh 2>"$log"); then
	cmd='tests/clients/guest.sh; tests/clients/crun.sh "$1"'
else
	echo "SKIP crun: could not build Debian's crun with --with-libkrun: $(tail -n 3 "$log" | tr '\n' ' ')"
	cmd='tests/clients/guest.sh'
fi
# One L1 for all cases but crun-cpus, with one vCPU: with two, L1 (TCG with emulated SVM)
# sometimes stopped for good while a case started its VM (no heartbeat; with-kvm now ends such
# an L1 after WITH_KVM_STALL s and shows where its CPUs were). On a loaded 2-core machine the
# cases need more than with-kvm's default 900 s.
rc=0
TEST_ELSEWHERE=crun-cpus WITH_KVM_TIMEOUT=${WITH_KVM_TIMEOUT:-1200} WITH_KVM_SMP=1 \
	tests/harness/with-kvm sh -c "$cmd" sh "${crun:-}" || rc=$?
# crun-cpus needs two vCPUs in L1, so a cpuset can be seen to shrink the guest.
if [ -n "${crun:-}" ] && { [ -z "${TEST_ONLY:-}" ] || grep -qw crun-cpus <<<"$TEST_ONLY"; }; then
	TEST_ONLY=crun-cpus WITH_KVM_TIMEOUT=600 WITH_KVM_SMP=2 \
		tests/harness/with-kvm tests/clients/crun.sh "$crun" || rc=$?
fi
exit $rc
