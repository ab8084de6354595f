#!/usr/bin/env bash
# tests/net/run.sh: end-to-end network cases (run inside tests/harness/with-kvm, in a private mount namespace). Prints PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$(realpath "$B/tests/net/net-run")
NP=$(realpath "$B/tests/net/netprobe")
T=$(mktemp -d)
ONLY=${TEST_ONLY:-}
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; for f in "$T"/out "$T"/err "$T"/host; do [ -s "$f" ] && sed "s|^|    $(basename "$f") | |" "$f" | tail -n 12; done; }
skip() { echo "SKIP $1: $2"; }
want() { [ -z "$ONLY" ] || grep -qw -- "$1" <<<"$ONLY"; }
bg() { "$@" & PIDS+=($!); }

# A private copy of the test rootfs with the probe; fresh per case so /etc/resolv.conf starts absent.
R=$T/rootfs
fresh_root() { rm -rf "$R"; cp -a "$B/rootfs" "$R" && install -m 0755 "$NP" "$R/bin/netprobe"; }
vm() { # vm [net-run options] -- CMD...: output in $T/out, $T/err
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
	timeout -k 5 ${TEST_TIMEOUT:-120} "$RUN" "${opts[@]}" "$R" "$@" > "$T/out" 2> "$T/err" < /dev/null
}
wait_for() { # wait_for FILE PATTERN: up to 30 s
	for _ in $(seq 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1
}

# Guest -> host loopback through the gateway address; bytes checked on both sides.
case_net_builtin_connect() {
	fresh_root; : > "$T/host"
	bg "$NP" serve 127.0.0.1 7001 from-host > "$T/host"
	wait_for "$T/host" LISTENING
	vm -- /bin/netprobe connect 10.0.2.2 7001 from-guest; local rc=$?
	wait_for "$T/host" "GOT"
	if [ $rc -eq 0 ] && grep -q "GOT from-host" "$T/out" && grep -q "GOT from-guest" "$T/host"; then
		pass net-builtin-connect
	else
		fail net-builtin-connect "exit $rc"
	fi
}

# A name only the host-side DNS server knows resolves in the guest (libslirp's forwarder at 10.0.2.3).
case_net_builtin_dns() {
	command -v dnsmasq >/dev/null || { skip net-builtin-dns "no dnsmasq (make deps)"; return; }
	fresh_root
	# libslirp forwards to the first nameserver of the host's resolv.conf: make it ours.
	echo "nameserver 127.0.0.1" > "$T/resolv.conf"
	mount --bind "$T/resolv.conf" /etc/resolv.conf || { skip net-builtin-dns "cannot bind-mount resolv.conf"; return; }
	bg dnsmasq -k -u root --pid-file= --no-resolv --no-hosts --bind-interfaces \
		--listen-address=127.0.0.1 --port=53 --address=/krun-test.example/192.0.2.77 2> "$T/host"
	vm -- /bin/sh -c 'cat /etc/resolv.conf; /bin/netprobe resolve krun-test.example'; local rc=$?
	if [ $rc -eq 0 ] && grep -q "RESOLVED krun-test.example 192.0.2.77" "$T/out" &&
	   grep -q "nameserver 10.0.2.3" "$T/out"; then
		pass net-builtin-dns
	else
		fail net-builtin-dns "exit $rc"
	fi
}

# krun_set_port_map({"18080:8080"}): a host client reaches the guest's listener; bytes both ways.
case_net_portmap() {
	fresh_root; : > "$T/host"
	vm --map 18080:8080 -- /bin/netprobe serve 0.0.0.0 8080 from-guest &
	local vmpid=$!
	"$NP" connect 127.0.0.1 18080 from-host 60 > "$T/host"
	wait $vmpid; local rc=$?
	if [ $rc -eq 0 ] && grep -q "GOT from-guest" "$T/host" && grep -q "GOT from-host" "$T/out"; then
		pass net-portmap
	else
		fail net-portmap "exit $rc"
	fi
}

for c in net_builtin_connect net_builtin_dns net_portmap; do
	want "${c//_/-}" && "case_$c"
done
exit 0
