#!/usr/bin/env bash
# tests/e2e/vsock.sh: virtio-vsock end-to-end cases (guest vsock ports <-> host UNIX sockets); run under tests/harness/with-kvm.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/tests/e2e/krun-run
VT=$B/tests/guest/vsock-test
T=$(mktemp -d)
R=$T/rootfs
ONLY=${TEST_ONLY:-}
HOST_PID=
trap '[ -n "$HOST_PID" ] && kill $HOST_PID 2>/dev/null; rm -rf "$T"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; cat "$T/out" "$T/host" 2>/dev/null | sed 's/^/    | /' | tail -n 20; }
want() { [ -z "$ONLY" ] || grep -qw -- "$1" <<<"$ONLY"; }

cp -a "$B/rootfs" "$R" && install -m 0755 "$VT" "$R/bin/vsock-test" || { echo "FAIL vsock-setup: no rootfs"; exit 1; }

# vm [krun-run options] -- CMD...: the guest runs CMD on the virtio-fs root; output in $T/out.
vm() {
	timeout -k 5 ${TEST_TIMEOUT:-240} "$RUN" --root "$R" "$@" > "$T/out" 2>&1 < /dev/null
}

# serve PATH MODE [ARG]: the host end in the background, output in $T/host; waits for its socket.
serve() {
	rm -f "$1"
	"$VT" serve "$@" > "$T/host" 2>&1 &
	HOST_PID=$!
	for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	return 1
}

host_done() { # wait for the host end (at most 30 s after the VM)
	for _ in $(seq 300); do kill -0 $HOST_PID 2>/dev/null || break; sleep 0.1; done
	kill $HOST_PID 2>/dev/null; wait $HOST_PID 2>/dev/null; HOST_PID=
}

sha() { sed -n "s/^$1 \([0-9]*\) \([0-9a-f]*\)$/\1 \2/p" "$2"; }

case_guest_connect() {
	serve "$T/s" greet
	vm --vsock-port "1234:$T/s" -- /bin/vsock-test connect 1234
	host_done
	if grep -qx "GUEST-GOT hello from host" "$T/out" && grep -qx "GUEST-EOF" "$T/out" &&
	   grep -qx "GUEST-UNMAPPED Connection reset by peer" "$T/out" &&
	   grep -qx "HOST-GOT hello from guest" "$T/host"; then
		pass vsock-guest-connect
	else
		fail vsock-guest-connect "messages did not cross both ways, no EOF, or port 1235 was not refused"
	fi
}

case_host_connect() {
	local vm_pid
	rm -f "$T/l"
	vm --vsock-port "5000:$T/l:listen" -- /bin/vsock-test listen 5000 &
	vm_pid=$!
	for _ in $(seq 200); do [ -S "$T/l" ] && break; sleep 0.05; done
	timeout 60 "$VT" client "$T/l" ping > "$T/host" 2>&1
	wait $vm_pid
	if grep -qx "HOST-CLIENT-GOT pong: ping" "$T/host" && grep -qx "GUEST-SERVED ping" "$T/out" &&
	   [ ! -e "$T/l" ]; then
		pass vsock-host-connect
	else
		fail vsock-host-connect "the guest listener did not answer the host client (or the socket file stayed)"
	fi
}

case_bulk() {
	local gs gr hs hr
	serve "$T/s" bulk 64
	vm --mem 256 --vsock-port "1234:$T/s" -- /bin/vsock-test bulk 1234 64
	host_done
	gs=$(sha GUEST-SENT "$T/out") gr=$(sha GUEST-RECV "$T/out")
	hs=$(sha HOST-SENT "$T/host") hr=$(sha HOST-RECV "$T/host")
	if [ -n "$gs" ] && [ "$gs" = "$hr" ] && [ -n "$hs" ] && [ "$hs" = "$gr" ] && [ "${gs%% *}" = 67108864 ] &&
	   [ "${hs%% *}" = 67108864 ]; then
		pass "vsock-bulk (64 MiB each way, sha256 equal; $(sed -n 's/HOST-MIBS //p' "$T/host") MiB/s both ways together)"
	else
		fail vsock-bulk "guest sent '$gs' host got '$hr'; host sent '$hs' guest got '$gr'"
	fi
}

case_many() {
	serve "$T/s" echo 100
	vm --vsock-port "1234:$T/s" -- /bin/vsock-test many 1234 100
	host_done
	grep -qx "GUEST-MANY 100/100" "$T/out" && grep -qx "HOST-ECHOED 100" "$T/host" && pass vsock-many ||
		fail vsock-many "not all 100 concurrent connections echoed"
}

case_peer_gone() {
	serve "$T/s" peer-gone
	vm --vsock-port "1234:$T/s" -- /bin/vsock-test peer-gone 1234
	host_done
	if grep -q "^GUEST-WRITE-ERROR" "$T/out" && grep -qx "GUEST-AFTER hello from host" "$T/out" &&
	   grep -q "^HOST-CLOSED" "$T/host"; then
		pass "vsock-peer-gone ($(sed -n 's/^GUEST-WRITE-ERROR //p' "$T/out"))"
	else
		fail vsock-peer-gone "the guest's writes did not fail, or the VM did not go on"
	fi
}

# krun_disable_implicit_vsock + krun_add_vsock(ctx, 0): the explicit device carries the ports.
case_explicit() {
	serve "$T/s" greet
	vm --explicit-vsock --vsock-port "1234:$T/s" -- /bin/vsock-test connect 1234
	host_done
	grep -qx "GUEST-GOT hello from host" "$T/out" && grep -qx "HOST-GOT hello from guest" "$T/host" &&
		pass vsock-explicit || fail vsock-explicit "no exchange through the explicit vsock"
}

for c in guest_connect host_connect bulk many peer_gone explicit; do
	n=vsock-${c//_/-}
	want "$n" && "case_$c"
done
exit 0
