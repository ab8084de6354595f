#!/usr/bin/env bash
# tests/net/run.sh: end-to-end network cases (run inside tests/harness/with-kvm, in a private mount namespace). Prints PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$(realpath "$B/tests/net/net-run")
NP=$(realpath "$B/tests/net/netprobe")
T=$(mktemp -d)
ONLY=${TEST_ONLY:-}
# The nested VM comes up with lo down; the host-side servers listen on 127.0.0.1.
ip link set lo up 2>/dev/null
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { # the tail of what the guest and the host side printed
	echo "FAIL $1: $2"
	for f in "$T"/out "$T"/err "$T"/host; do [ -s "$f" ] && sed "s#^#    $(basename "$f"): #" "$f" | tail -n ${TEST_FAIL_LINES:-30}; done
}
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

# No port map: a guest listen() becomes a host listener on the same port (TSI's semantics), and the
# host listener goes away when the guest's does.
case_net_expose() {
	local rc gone=no
	fresh_root; : > "$T/host"
	vm -- /bin/sh -c '/bin/netprobe serve 0.0.0.0 8086 from-guest; sleep 4; echo VM-DONE' &
	local vmpid=$!
	"$NP" connect 127.0.0.1 8086 from-host 90 > "$T/host"
	# The init reports listeners every 200 ms: the forward must be gone well before the VM ends.
	for _ in $(seq 30); do
		ss -Hltn 'sport = :8086' | grep -q . || { gone=yes; break; }
		sleep 0.1
	done
	wait $vmpid; rc=$?
	if [ $rc -eq 0 ] && grep -q "GOT from-guest" "$T/host" && grep -q "GOT from-host" "$T/out" &&
	   [ $gone = yes ]; then
		pass net-expose
	else
		fail net-expose "exit $rc, host listener gone after the guest's closed: $gone"
	fi
}

# passt needs a routable uplink: a dummy interface with a default route (L1 is throwaway).
uplink() {
	[ -n "${uplink_done:-}" ] && return 0
	ip link add nd0 type dummy 2>/dev/null && ip addr add 192.0.2.1/24 dev nd0 && ip link set nd0 up &&
		ip route add default via 192.0.2.254 dev nd0 && uplink_done=1
}

# passt_try NET-RUN-OPTS...: DHCP in the guest, guest -> host (passt maps the gateway to the
# host) and host -> guest (passt -t 18082:8082), bytes checked on both sides; 0 when all arrived.
passt_try() {
	local rc sp vmpid
	fresh_root; : > "$T/host"; : > "$T/host2"; : > "$T/out"
	"$NP" serve 0.0.0.0 7002 from-host > "$T/host" & sp=$!
	wait_for "$T/host" LISTENING
	# On a failed exchange the guest prints what its stack saw (the VMM logs its frame counters).
	vm --log 3 "$@" -- /bin/sh -c 'ip -4 addr show eth0 | grep inet; cat /etc/resolv.conf;
		if ! /bin/netprobe connect 192.0.2.254 7002 from-guest 20; then
			cat /proc/net/dev /proc/net/tcp; grep -E "^(Tcp|Ip):" /proc/net/snmp; exit 1; fi
		/bin/netprobe serve 0.0.0.0 8082 from-guest2' &
	vmpid=$!
	# Connect only once the guest listens: a connection passt accepts earlier sends a SYN the
	# guest cannot answer yet, and the client then waits on it far longer than the test can.
	for _ in $(seq 1100); do
		grep -q "LISTENING 8082" "$T/out" 2>/dev/null && break
		kill -0 $vmpid 2>/dev/null || break
		sleep 0.1
	done
	"$NP" connect 127.0.0.1 18082 from-host2 30 > "$T/host2"
	wait $vmpid; rc=$?
	kill $sp 2>/dev/null; wait $sp 2>/dev/null
	[ $rc -eq 0 ] && grep -q "inet 192.0.2.1/24" "$T/out" && grep -q "GOT from-host$" "$T/out" &&
		grep -q "GOT from-guest$" "$T/host" && grep -q "GOT from-guest2" "$T/host2" &&
		grep -q "GOT from-host2" "$T/out"
}

# passt_case NAME START NET-RUN-OPTS...: passt_try, with START (a function, or true) run before
# each try. Debian 12's passt (2023-03-09) now and then leaves a connection's reply undelivered
# (about 1 run in 10 here, never with its pcap on; the VMM's counters say whether the frame ever
# reached us): one retry, and the first try's evidence goes to the log and the PASS line.
passt_case() {
	local name=$1 start=$2; shift 2
	$start; passt_try "$@" && { pass "$name"; return; }
	fail_log "$name"
	$start; if passt_try "$@"; then
		pass "$name (second try; the first failed: $B/tests/net/$name.first.log)"
		grep -v "syslog" "$B/tests/net/$name.first.log" | tail -n 40 | sed 's/^/    first try: /'
	else
		fail "$name" "both tries failed (first: $B/tests/net/$name.first.log)"
	fi
}

# The failing try's output, kept for the report.
fail_log() {
	local f
	for f in "$T"/out "$T"/err "$T"/host "$T"/host2 "$T"/passt.log; do
		[ -s "$f" ] && sed "s#^#$(basename "$f"): #" "$f"
	done > "$B/tests/net/$1.first.log"
}

# krun_add_net_unixstream(path): a fresh one-off passt per try; it drops root to nobody before
# binding its socket.
passt_sock_start() {
	[ -n "${PASST_PID:-}" ] && { kill "$PASST_PID" 2>/dev/null; wait "$PASST_PID" 2>/dev/null; }
	rm -f "$T/passt/passt.sock"
	passt -f -q -1 -s "$T/passt/passt.sock" -t 18082:8082 > "$T/passt.log" 2>&1 & PASST_PID=$!
	for _ in $(seq 100); do [ -S "$T/passt/passt.sock" ] && break; sleep 0.1; done
}

case_net_passt() {
	command -v passt >/dev/null || { skip net-passt "no passt (make deps)"; return; }
	unshare -Ur true 2>/dev/null || { skip net-passt "no user namespaces here (passt sandboxes itself in one)"; return; }
	uplink || { skip net-passt "no dummy interface for passt's uplink"; return; }
	# krun_set_passt_fd: net-run starts "passt --fd" on a socket pair, as chroot_vm does.
	passt_case net-passt-fd true --passt "-t 18082:8082"
	chmod o+x "$T" && mkdir -p "$T/passt" && chown nobody "$T/passt"
	passt_case net-passt-unixstream passt_sock_start --no-implicit --unixstream "$T/passt/passt.sock" --dhcp
	kill "$PASST_PID" 2>/dev/null; wait "$PASST_PID" 2>/dev/null
}

# stream_peer_case NAME NET-RUN-OPTS...: passt's framing against a peer of ours, one frame each way.
stream_peer_case() {
	local name=$1 rc; shift
	fresh_root; : > "$T/host"
	bg "$NP" streampeer "$T/stream.sock" from-peer > "$T/host"
	wait_for "$T/host" LISTENING
	vm "$@" -- /bin/netprobe rawpingpong eth0 from-guest; rc=$?
	if [ $rc -eq 0 ] && grep -q "PEER GOT from-guest from 5a:94:ef:e4:0c:ee" "$T/host" &&
	   grep -q "RAW GOT from-peer" "$T/out"; then
		pass "$name"
	else
		fail "$name" "exit $rc"
	fi
}

# krun_set_passt_fd and krun_add_net_unixstream(path) against a stream peer of ours (runs everywhere).
case_net_unixstream() {
	stream_peer_case net-unixstream-passt-fd --passt-connect "$T/stream.sock"
	stream_peer_case net-unixstream-path --no-implicit --unixstream "$T/stream.sock"
}

# gvproxy is not packaged: a peer of our own checks the VFKT magic and one frame each way.
case_net_unixgram() {
	local rc
	fresh_root; : > "$T/host"
	bg "$NP" grampeer "$T/gram.sock" from-peer > "$T/host"
	wait_for "$T/host" LISTENING
	vm --unixgram "$T/gram.sock" --vfkit -- /bin/netprobe rawpingpong eth0 from-guest; rc=$?
	if [ $rc -eq 0 ] && grep -q "MAGIC ok" "$T/host" &&
	   grep -q "PEER GOT from-guest from 5a:94:ef:e4:0c:ee" "$T/host" && grep -q "RAW GOT from-peer" "$T/out"; then
		pass net-unixgram
	else
		fail net-unixgram "exit $rc"
	fi
}

# A tap in a network namespace of its own, dnsmasq answering DHCP on it, TCP both ways, offloads on.
case_net_tap() {
	command -v dnsmasq >/dev/null || { skip net-tap "no dnsmasq (make deps)"; return; }
	[ -c /dev/net/tun ] || { skip net-tap "no /dev/net/tun"; return; }
	fresh_root
	cat > "$T/tap.sh" <<-EOS
	set -e
	ip link set lo up
	ip tuntap add dev ktap0 mode tap
	ip addr add 192.168.77.1/24 dev ktap0
	ip link set ktap0 up
	dnsmasq -k -u root --pid-file= --no-resolv --no-hosts --port=0 --interface=ktap0 --bind-interfaces \
		--dhcp-range=192.168.77.10,192.168.77.10,1h --dhcp-leasefile=$T/leases 2> $T/dnsmasq.log &
	"$NP" serve 192.168.77.1 7003 from-host > $T/host &
	timeout -k 5 120 "$RUN" --tap ktap0 --dhcp --features 0x1983 "$R" /bin/sh -c \
		'ip -4 addr show eth0 | grep inet; /bin/netprobe connect 192.168.77.1 7003 from-guest 20 &&
		 /bin/netprobe serve 0.0.0.0 8083 from-guest2' > $T/out 2> $T/err &
	vmpid=\$!
	"$NP" connect 192.168.77.10 8083 from-host2 90 > $T/host2
	wait \$vmpid
	EOS
	unshare -n bash "$T/tap.sh"; local rc=$?
	if [ $rc -eq 0 ] && grep -q "inet 192.168.77.10/24" "$T/out" && grep -q "GOT from-host$" "$T/out" &&
	   grep -q "GOT from-guest$" "$T/host" && grep -q "GOT from-guest2" "$T/host2" &&
	   grep -q "GOT from-host2" "$T/out"; then
		pass net-tap
	else
		cat "$T/dnsmasq.log" >> "$T/err" 2>/dev/null
		fail net-tap "exit $rc"
	fi
}

# The guest floods transmit (UDP) while the host floods receive (TCP through a port map): the
# VMM's RSS stays under guest RAM + 64 MiB and the VM finishes normally.
case_net_flood() {
	local rc vmpid max=0 rss bound=$(( (256 + 64) * 1024 ))
	fresh_root; : > "$T/host"
	vm --mem 256 --map 18084:8084 -- /bin/sh -c '/bin/netprobe sink 0.0.0.0 8084 & /bin/netprobe udpflood 10.0.2.2 9 8; sleep 1; echo ALIVE' &
	vmpid=$!
	bg "$NP" source 127.0.0.1 18084 8 > "$T/host"
	while kill -0 $vmpid 2>/dev/null; do
		rss=$(awk '/VmRSS/ {print $2}' /proc/$(pgrep -n -f "net-run.*18084:8084")/status 2>/dev/null)
		[ -n "$rss" ] && [ "$rss" -gt "$max" ] && max=$rss
		sleep 0.5
	done
	wait $vmpid; rc=$?
	if [ $rc -eq 0 ] && grep -q ALIVE "$T/out" && grep -q "UDPFLOOD" "$T/out" && [ "$max" -gt 0 ] &&
	   [ "$max" -lt "$bound" ]; then
		pass "net-flood (max RSS $((max / 1024)) MiB, bound $((bound / 1024)) MiB; $(grep -o 'UDPFLOOD [0-9]*' "$T/out"), $(grep -o 'SOURCE.*' "$T/host"))"
	else
		fail net-flood "exit $rc, max RSS $max kB (bound $bound kB)"
	fi
}

# The workload leaves a UDP flood running and exits: the VM still powers off, every time. Guest
# kernel 6.1.192's shutdown marks the virtqueues broken, and its virtio-net transmit cleanup
# then spins forever on a broken queue with completed, unreclaimed buffers (Linux 0d0eff39ceb3
# fixed it); the init takes the NICs down before the reboot so nothing transmits then.
case_net_exit_while_sending() {
	local i rc hung=0 bad=0 runs=${TEST_EXIT_RUNS:-5} start t
	fresh_root
	for i in $(seq "$runs"); do
		start=$(date +%s)
		TEST_TIMEOUT=45 vm --cpus 4 -- /bin/sh -c '/bin/netprobe udpflood 10.0.2.2 9 60 & sleep 0.5; echo BYE'; rc=$?
		t=$(( $(date +%s) - start ))
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			hung=$((hung + 1))
		elif [ $rc -ne 0 ] || ! grep -q BYE "$T/out"; then
			bad=$((bad + 1))
		fi
		echo "    run $i: exit $rc after $t s"
	done
	if [ $hung -eq 0 ] && [ $bad -eq 0 ]; then
		pass "net-exit-while-sending ($runs runs)"
	else
		fail net-exit-while-sending "$hung of $runs VMs never powered off, $bad failed"
	fi
}

for c in net_builtin_connect net_builtin_dns net_portmap net_expose net_passt net_unixstream net_unixgram net_tap net_flood net_exit_while_sending; do
	want "${c//_/-}" && "case_$c"
done
exit 0
