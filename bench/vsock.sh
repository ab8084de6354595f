#!/usr/bin/env bash
# bench/vsock.sh: vsock throughput over a mapped port, guest->host and host->guest (median of REPS), against a
# host UNIX socketpair measured in the same run. Run through tests/harness/with-kvm. Prints figures; asserts nothing.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
MIB=${VSOCK_BENCH_MIB:-256}
REPS=${REPS:-3}
RUN=$B/tests/e2e/krun-run
VT=$B/tests/guest/vsock-test
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp -a "$B/rootfs" "$T/rootfs" && install -m 0755 "$VT" "$T/rootfs/bin/vsock-test"
export VSOCK_TEST_FAST=1	# constant data, no hashing: measure the transport

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# one HOST_MIB GUEST_MIB: MiB/s of one transfer (host sends HOST_MIB, guest sends GUEST_MIB).
one() {
	rm -f "$T/s"
	"$VT" serve "$T/s" bulk "$1" > "$T/host" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do [ -S "$T/s" ] && break; sleep 0.05; done
	"$RUN" --root "$T/rootfs" --mem 256 --vsock-port "1234:$T/s" --env VSOCK_TEST_FAST=1 -- \
		/bin/vsock-test bulk 1234 "$2" > "$T/out" 2>&1 < /dev/null
	wait $pid
	sed -n 's/^HOST-MIBS //p' "$T/host"
}

g2h=() h2g=() pair=()
for _ in $(seq "$REPS"); do
	g2h+=($(one 0 "$MIB"))
	h2g+=($(one "$MIB" 0))
	pair+=($("$VT" pair "$MIB" | sed -n 's/^PAIR-MIBS //p'))
done
p=$(median "${pair[@]}") g=$(median "${g2h[@]}") h=$(median "${h2g[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "?" }'; }
echo "vsock guest->host: median $g MiB/s over $REPS runs of $MIB MiB ($(ratio "$g" "$p") % of a host UNIX socketpair): ${g2h[*]}"
echo "vsock host->guest: median $h MiB/s over $REPS runs of $MIB MiB ($(ratio "$h" "$p") % of a host UNIX socketpair): ${h2g[*]}"
echo "host UNIX socketpair (same run, same program): median $p MiB/s: ${pair[*]}"
# For the report (bench/report.sh): transport, direction, MiB/s.
mkdir -p "$B/bench"
printf 'path\tdirection\tMiB_s\nvsock\tguest->host\t%s\nvsock\thost->guest\t%s\nUNIX socketpair (host)\t-\t%s\n' \
	"$g" "$h" "$p" > "$B/bench/vsock.tsv"
