#!/usr/bin/env bash
# bench/footprint.sh: VMM overhead RSS (every mapping but guest RAM and the kernel image, Firecracker's method) of a
# guest with what a podman container gets (virtio-fs root, console, built-in network, vsock), idle and after a minute
# of traffic on all three, by mapping; and the libraries' file sizes. Run through tests/harness/with-kvm. Asserts nothing.
#
# TEST_FOOTPRINT_SECS (default 60): seconds of traffic. Writes build/bench/footprint.tsv and footprint-maps.tsv.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
SECS=${TEST_FOOTPRINT_SECS:-60}
RUN=$B/tests/e2e/krun-run
NP=$B/tests/net/netprobe
VT=$B/tests/guest/vsock-test
OUT=$B/bench
mkdir -p "$OUT"
ip link set lo up 2>/dev/null	# the nested VM comes up with lo down; the host sink listens on 127.0.0.1
T=$(mktemp -d "$PWD/$B/footprint.XXXXXX")
serve_loop=
trap 'touch "$T/stop"; [ -n "$serve_loop" ] && pkill -P $serve_loop; kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
R=$T/rootfs
cp -a "$B/rootfs" "$R" && install -m 0755 "$NP" "$R/bin/netprobe" && install -m 0755 "$VT" "$R/bin/vsock-test"

# The guest: idle, then SECS s of TCP to the host over the built-in network, file writes and reads on its
# virtio-fs root and vsock bulk transfers at once, then idle again until the host has sampled.
cat > "$R/bin/footprint-guest" <<EOF
#!/bin/sh
echo FOOTPRINT-IDLE; sleep 6
end=\$((\$(date +%s) + $SECS))
/bin/netprobe source 10.0.2.2 7100 $SECS > /dev/null 2>&1 &
( while [ \$(date +%s) -lt \$end ]; do /bin/vsock-test bulk 1234 16 > /dev/null 2>&1 || sleep 1; done ) &
i=0
while [ \$(date +%s) -lt \$end ]; do
	dd if=/dev/urandom of=/var/fp-\$((i % 64)) bs=64k count=4 2> /dev/null; cat /var/fp-* > /dev/null; i=\$((i + 1))
done
wait
echo FOOTPRINT-DONE files=\$i; sleep 6
EOF
chmod 0755 "$R/bin/footprint-guest"
mkdir -p "$R/var"

# maps PID FILE: one line per mapping kind ("kind KiB"); guest RAM (the ranges the VMM's debug log names) and the
# kernel image (libkrunfw's mapping) as "guest".
maps() {
	sed -n 's/.*guest memory 0x[0-9a-f]*+0x\([0-9a-f]*\) at host 0x\([0-9a-f]*\).*/\2 \1/p' "$T/log" > "$T/ram"
	awk -v ramfile="$T/ram" '
		function hex(s,   i, v) { v = 0; s = tolower(s); for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
		BEGIN { while ((getline l < ramfile) > 0) { split(l, f, " "); n++; lo[n] = hex(f[1]); hi[n] = lo[n] + hex(f[2]) } }
		/^[0-9a-f]+-[0-9a-f]+ / {
			split($1, r, "-"); st = hex(r[1]); p = $6; k = "anon"
			if (p ~ /libkrunfw/) k = "guest"
			else if (p ~ /^\//) { m = split(p, a, "/"); k = a[m]; sub(/\.so.*/, ".so", k) }
			else if (p != "") k = p
			for (i = 1; i <= n; i++) if (st >= lo[i] && st < hi[i]) k = "guest"
			next
		}
		/^Rss:/ { kb[k] += $2 }
		/^Anonymous:/ { pv[k] += $2 }
		END { for (k in kb) if (kb[k]) print k, kb[k], pv[k] + 0 }' "/proc/$1/smaps" | sort -k2,2nr > "$2"
}
overhead() { awk '$1 != "guest" { s += $2 } END { printf "%.2f", s / 1024 }' "$1"; }
# Anonymous pages (heap, stacks, library data this process wrote): what one more VM costs the host for
# good; the rest of the RSS is file pages (library text) the kernel can drop and other processes share.
private() { awk '$1 != "guest" { s += $3 } END { printf "%.2f", s / 1024 }' "$1"; }
guest() { awk '$1 == "guest" { printf "%.1f", $2 / 1024 }' "$1"; }

rm -f "$T/s"
# vsock peer: one listener per transfer, taking what the guest sends, again and again.
( while [ ! -e "$T/stop" ]; do rm -f "$T/s"; "$VT" serve "$T/s" bulk 0 > /dev/null 2>&1; done ) &
serve_loop=$!
"$NP" sink 127.0.0.1 7100 > /dev/null 2>&1 &
for _ in $(seq 100); do [ -S "$T/s" ] && break; sleep 0.05; done
"$RUN" --log 4 --root "$R" --mem 256 --vsock-port "1234:$T/s" -- /bin/footprint-guest > "$T/out" 2> "$T/log" < /dev/null &
vm=$!
wait_for() { for _ in $(seq 3000); do grep -q "$1" "$T/out" && return 0; kill -0 $vm 2>/dev/null || return 1; sleep 0.1; done; return 1; }
if wait_for FOOTPRINT-IDLE; then
	sleep 3
	maps $vm "$T/idle"
fi
if wait_for FOOTPRINT-DONE; then
	maps $vm "$T/busy"
	# Every mapping's size and resident KiB (guest RAM included: its size tells it apart), for finding what costs.
	awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $1 " " $6 } /^Size:/ { sz = $2 } /^Rss:/ { if ($2) printf "%8d %8d %s\n", sz, $2, m }' \
		"/proc/$vm/smaps" | sort -k2,2nr > "$OUT/footprint-smaps.txt"
fi
threads=$(ls /proc/$vm/task 2>/dev/null | wc -l)
wait $vm
files=$(sed -n 's/.*FOOTPRINT-DONE files=\([0-9]*\).*/\1/p' "$T/out")
[ -s "$T/idle" ] && [ -s "$T/busy" ] || { echo "footprint: the guest did not run: $(tail -n 3 "$T/out")" >&2; exit 1; }

mib() { awk -v b="$(stat -L -c %s "$1")" 'BEGIN { printf "%.2f", b / 1048576 }'; }
strip_mib() { strip -o "$T/stripped" "$1" && mib "$T/stripped"; }
echo "footprint (256 MiB guest, 1 vCPU; virtio-fs root, console, built-in network, vsock; load $(cut -d' ' -f1 /proc/loadavg)):"
echo "  VMM overhead RSS idle $(overhead "$T/idle") MiB, after ${SECS} s of traffic $(overhead "$T/busy") MiB ($threads threads; $files file rounds);" \
	"guest RAM + kernel image resident $(guest "$T/idle") / $(guest "$T/busy") MiB"
echo "  of it anonymous (heap, stacks, written library data): idle $(private "$T/idle") MiB," \
	"after traffic $(private "$T/busy") MiB"
echo "  libkrun.so $(mib "$B/libkrun.so") MiB ($(strip_mib "$B/libkrun.so") stripped), libkrunfw.so $(mib "$B/libkrunfw.so.5") MiB"
echo "  by mapping after traffic (KiB): $(awk '$1 != "guest" { printf "%s %s, ", $1, $2 }' "$T/busy")"
printf 'what\tMiB\nVMM overhead RSS, idle (fs, console, net, vsock)\t%s\nVMM overhead RSS, after %s s of traffic\t%s\nVMM overhead anonymous, idle\t%s\nVMM overhead anonymous, after traffic\t%s\nlibkrun.so (file)\t%s\nlibkrun.so (stripped)\t%s\nlibkrunfw.so (file)\t%s\n' \
	"$(overhead "$T/idle")" "$SECS" "$(overhead "$T/busy")" "$(private "$T/idle")" "$(private "$T/busy")" "$(mib "$B/libkrun.so")" "$(strip_mib "$B/libkrun.so")" \
	"$(mib "$B/libkrunfw.so.5")" > "$OUT/footprint.tsv"
sort "$T/idle" > "$T/idle.s" && sort "$T/busy" > "$T/busy.s"
join -a1 -a2 -e 0 -o 0,1.2,2.2 "$T/idle.s" "$T/busy.s" | awk '$1 != "guest"' | sort -k3,3nr |
	awk 'BEGIN { print "mapping\tidle_KiB\tafter_traffic_KiB" } { printf "%s\t%s\t%s\n", $1, $2, $3 }' > "$OUT/footprint-maps.tsv"
