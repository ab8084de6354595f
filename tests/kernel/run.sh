#!/usr/bin/env bash
# tests/kernel/run.sh: boots guests from the bundled kernel (run under tests/harness/with-kvm) and turns the
# guest's "KTEST case ok|fail|skip detail" lines into PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
B=$PWD/${BUILD:-build}
RUN=$B/tests/kernel/krun-guest
IMG=$B/tests/kernel/img
GUEST=$PWD/tests/kernel/guest-checks.sh
T=$(mktemp -d)
mkdir -p "$B/tests/kernel/guest-tmp"	# the guest's scratch mount point (guest-checks.sh)
trap 'rm -rf "$T"' EXIT

# report OUT CASE...: one result line per case the guest was asked for (missing = FAIL).
report() {
	local out=$1 c line st detail
	shift
	for c in "$@"; do
		line=$(grep -m1 "^KTEST $c " "$out")
		st=$(echo "$line" | cut -d' ' -f3) detail=$(echo "$line" | cut -d' ' -f4-)
		case $st in
		ok) echo "PASS $c $detail" ;;
		skip) echo "SKIP $c: $detail" ;;
		fail) echo "FAIL $c: $detail" ;;
		*) echo "FAIL $c: the guest printed no result"; sed 's/^/    | /' "$out" | tail -n 15 ;;
		esac
	done
}

# What the guest sees without nesting: no VMX/SVM, no /dev/kvm.
timeout -k 5 300 "$RUN" / /bin/sh "$GUEST" "$B" "$IMG" nested-off > "$T/off" 2>&1 < /dev/null
report "$T/off" kernel-nested-off

cases="nested-kvm bpf binfmt vsock-loopback fs-ext4 fs-vfat fs-xfs dm-crypt"
start=$(date +%s)
timeout -k 5 900 "$RUN" --nested --mem 1024 / /bin/sh "$GUEST" "$B" "$IMG" $cases > "$T/on" 2>&1 < /dev/null
echo "kernel: nested guest ran its checks in $(( $(date +%s) - start )) s" >&2
report "$T/on" $(for c in $cases; do echo "kernel-$c"; done)
