#!/usr/bin/env bash
# bench/net.sh: TCP throughput guest->host and host->guest for the built-in network, passt and tap in
# one run, time to the first byte of new connections, and what the implicit network adds to
# start->exit of /bin/true. Run through tests/harness/with-kvm (as root: tap, netns). Prints figures.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
RUN=$(realpath "$B/tests/net/net-run")
NP=$(realpath "$B/tests/net/netprobe")
SECS=${TEST_NET_BENCH_SECS:-5}
N=${TEST_NET_BENCH_RUNS:-5}
# The nested VM comes up with lo down; the host-side servers listen on 127.0.0.1.
ip link set lo up 2>/dev/null
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
R=$T/rootfs
cp -a "$B/rootfs" "$R" && install -m 0755 "$NP" "$R/bin/netprobe"

mbps() { grep -o '[0-9.]* MB/s' "$1" | head -1 | cut -d' ' -f1; }

# guest_to_host NAME HOSTADDR GUESTDST [net-run opts]: host sink, guest source.
guest_to_host() {
	local name=$1 haddr=$2 gdst=$3; shift 3
	"$NP" sink "$haddr" 7100 > "$T/sink" & local sp=$!
	sleep 0.3
	"$RUN" --mem 512 "$@" "$R" /bin/netprobe source "$gdst" 7100 "$SECS" > "$T/g2h" 2>&1 < /dev/null
	sleep 0.5; kill $sp 2>/dev/null; wait $sp 2>/dev/null
	printf '%-10s guest->host %8s MB/s (host sink saw %s MB/s)\n' "$name" "$(mbps "$T/g2h")" "$(mbps "$T/sink")"
	eval "g2h_${name//-/_}+=($(mbps "$T/sink"))"
}

# host_to_guest NAME HOSTDST HOSTPORT [net-run opts]: guest sink on 8101, host source.
host_to_guest() {
	local name=$1 hdst=$2 hport=$3; shift 3
	"$RUN" --mem 512 "$@" "$R" /bin/sh -c "/bin/netprobe sink 0.0.0.0 8101 & sleep $((SECS + 8))" \
		> "$T/vm" 2>&1 < /dev/null & local vp=$!
	# A forward accepts before the guest listens (and then resets): start once the guest listens.
	for _ in $(seq 600); do grep -q LISTENING "$T/vm" && break; sleep 0.1; done
	"$NP" source "$hdst" "$hport" "$SECS" > "$T/h2g"
	wait $vp
	printf '%-10s host->guest %8s MB/s (guest sink saw %s MB/s)\n' "$name" "$(mbps "$T/h2g")" "$(mbps "$T/vm")"
	eval "h2g_${name//-/_}+=($(mbps "$T/vm"))"
}

ttfb() { # ttfb NAME GUESTDST [net-run opts]: 20 new connections guest->host echo
	local name=$1 gdst=$2; shift 2
	"$NP" echo1 0.0.0.0 7102 > /dev/null & local ep=$!
	sleep 0.3
	"$RUN" "$@" "$R" /bin/netprobe ttfb "$gdst" 7102 20 > "$T/ttfb" 2>&1 < /dev/null
	kill $ep; wait $ep 2>/dev/null
	printf '%-10s first byte of a new connection: %s\n' "$name" "$(grep -o 'median.*' "$T/ttfb")"
}

echo "net bench: ${SECS} s per direction, ${TEST_NET_BENCH_ROUNDS:-3} rounds, 1 vCPU, 512 MiB guest (netprobe, 64 KiB writes)"
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
g2h_built_in=() h2g_built_in=() g2h_passt=() h2g_passt=()
passt_ok=
if ! unshare -Ur true 2>/dev/null; then
	echo "passt      skipped: it sandboxes itself in a user namespace, which cannot be created here"
elif command -v passt >/dev/null && { ip link show nd0 >/dev/null 2>&1 || {
	ip link add nd0 type dummy && ip addr add 192.0.2.1/24 dev nd0 && ip link set nd0 up &&
	ip route add default via 192.0.2.254 dev nd0; }; }; then
	passt_ok=1
else
	echo "passt      skipped (no passt or no dummy uplink)"
fi
# Built-in and passt alternate, TEST_NET_BENCH_ROUNDS times: the shared machine's load swings
# more than the difference between them, so single runs mislead; the medians are compared.
for i in $(seq "${TEST_NET_BENCH_ROUNDS:-3}"); do
	guest_to_host built-in 127.0.0.1 10.0.2.2
	[ -n "$passt_ok" ] && guest_to_host passt 0.0.0.0 192.0.2.254 --passt "-t none"
	host_to_guest built-in 127.0.0.1 18101 --map 18101:8101
	[ -n "$passt_ok" ] && host_to_guest passt 127.0.0.1 18101 --passt "-t 18101:8101"
done
ttfb built-in 10.0.2.2
[ -n "$passt_ok" ] && ttfb passt 192.0.2.254 --passt "-t none"
# For the report (bench/report.sh): the medians, one line per backend and direction.
mkdir -p "$B/bench"
{
	printf 'backend\tdirection\tMB_s\n'
	printf 'built-in\tguest->host\t%s\nbuilt-in\thost->guest\t%s\n' "$(med "${g2h_built_in[@]}")" "$(med "${h2g_built_in[@]}")"
	[ -z "$passt_ok" ] || printf 'passt\tguest->host\t%s\npasst\thost->guest\t%s\n' "$(med "${g2h_passt[@]}")" "$(med "${h2g_passt[@]}")"
} > "$B/bench/net.tsv"
echo "medians (MB/s the receiver counted): built-in guest->host $(med "${g2h_built_in[@]}")," \
	"host->guest $(med "${h2g_built_in[@]}")"
if [ -n "$passt_ok" ]; then
	echo "medians (MB/s the receiver counted): passt    guest->host $(med "${g2h_passt[@]}")," \
		"host->guest $(med "${h2g_passt[@]}")"
	# The issue's goal: built-in >= passt.
	awk -v a="$(med "${g2h_built_in[@]}")" -v b="$(med "${g2h_passt[@]}")" \
	    -v c="$(med "${h2g_built_in[@]}")" -v d="$(med "${h2g_passt[@]}")" \
		'BEGIN { printf "built-in / passt (medians): guest->host %.2fx, host->guest %.2fx\n", (b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
fi

if [ -c /dev/net/tun ]; then
	cat > "$T/tap.sh" <<-EOS
	set -e
	ip link set lo up; ip tuntap add dev btap0 mode tap; ip addr add 192.168.78.1/24 dev btap0; ip link set btap0 up
	"$NP" sink 192.168.78.1 7100 > $T/sink & sp=\$!
	"$RUN" --mem 512 --tap btap0 --features 0x1983 "$R" /bin/sh -c 'ip addr add 192.168.78.2/24 dev eth0; /bin/netprobe source 192.168.78.1 7100 $SECS' > $T/g2h 2>&1 < /dev/null
	kill \$sp
	"$RUN" --mem 512 --tap btap0 --features 0x1983 "$R" /bin/sh -c 'ip addr add 192.168.78.2/24 dev eth0; /bin/netprobe sink 0.0.0.0 8101 & sleep $((SECS + 8))' > $T/vm 2>&1 < /dev/null & vp=\$!
	for _ in \$(seq 600); do grep -q LISTENING $T/vm && break; sleep 0.1; done
	"$NP" source 192.168.78.2 8101 $SECS > $T/h2g
	wait \$vp
	EOS
	if unshare -n bash "$T/tap.sh"; then
		printf '%-10s guest->host %8s MB/s\n' tap "$(mbps "$T/g2h")"
		printf '%-10s host->guest %8s MB/s\n' tap "$(mbps "$T/h2g")"
		printf 'tap\tguest->host\t%s\ntap\thost->guest\t%s\n' "$(mbps "$T/g2h")" "$(mbps "$T/h2g")" >> "$B/bench/net.tsv"
	else
		echo "tap        failed"
	fi
fi

# What the implicit network costs at start: /bin/true with and without it, interleaved, medians.
with=() without=()
for i in $(seq "$N"); do
	s=$(date +%s%N); "$RUN" "$R" /bin/true > /dev/null 2>&1 < /dev/null; with+=($(( ($(date +%s%N) - s) / 1000000 )))
	s=$(date +%s%N); "$RUN" --no-implicit "$R" /bin/true > /dev/null 2>&1 < /dev/null; without+=($(( ($(date +%s%N) - s) / 1000000 )))
done
echo "/bin/true start->exit: with the implicit network median $(med "${with[@]}") ms, without $(med "${without[@]}") ms ($N runs each: ${with[*]} / ${without[*]})"
