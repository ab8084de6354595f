#!/usr/bin/env bash
# bench/fuse/guest-dirty.sh: seq write on the guest's virtio-fs root with the kernel's FUSE bdi limit (max_ratio 1) against the init's (100), interleaved in one boot; run under tests/harness/with-kvm.
# Each round writes TEST_FSB_MIB (default 64) MiB with dd and fsync, once per setting, in
# alternating order; prints "FSD max_ratio=N MiB/s" per write and the medians. Asserts nothing.
# Knobs: TEST_FSB_MIB, TEST_FSB_REPS (default 5), KRUN_FS_CACHE (default: the root's always).
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/tests/e2e/krun-run
MIB=${TEST_FSB_MIB:-64}
REPS=${TEST_FSB_REPS:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x "$RUN" ] && [ -d "$B/rootfs" ] || { echo "bench/fuse/guest-dirty: build $RUN and rootfs first"; exit 0; }
cp -a "$B/rootfs" "$T/root"

# In the guest: the root's bdi from its st_dev, then REPS rounds of both settings.
cat >"$T/root/dirty.sh" <<'EOF'
set -u
mib=$1 reps=$2
dev=$(stat -c %d /)
bdi=/sys/class/bdi/$((dev >> 8)):$((dev & 255))
echo "FSD bdi $bdi max_ratio $(cat "$bdi/max_ratio") read_ahead_kb $(cat "$bdi/read_ahead_kb")"
t() { cut -d' ' -f1 /proc/uptime; }
one() {
	echo "$1" >"$bdi/max_ratio" || return
	sync; echo 3 >/proc/sys/vm/drop_caches
	t0=$(t)
	dd if=/dev/zero of=/dirty.bin bs=1M count="$mib" conv=fsync 2>/dev/null || echo "FSD dd failed"
	t1=$(t)
	rm -f /dirty.bin
	echo "FSD max_ratio=$1 $(echo "$mib $t0 $t1" | awk '{ printf "%.1f", $1 / ($3 - $2) }')"
}
i=0
while [ "$i" -lt "$reps" ]; do
	if [ $((i % 2)) -eq 0 ]; then one 1; one 100; else one 100; one 1; fi
	i=$((i + 1))
done
EOF
timeout -k 5 1800 "$RUN" --mem 2048 --cpus 2 --root "$T/root" -- /bin/sh /dirty.sh "$MIB" "$REPS" \
	>"$T/out" 2>&1 </dev/null
grep -a '^FSD' "$T/out" || { echo "bench/fuse/guest-dirty: guest printed nothing"; tail -n 20 "$T/out"; }
grep -a '^FSD max_ratio=' "$T/out" | python3 -c '
import sys, statistics
v = {}
for l in sys.stdin:
    f = l.split()
    v.setdefault(f[1], []).append(float(f[2]))
for k, a in sorted(v.items()):
    print("guest seq write %s MiB, %s: median %.1f MiB/s (%d rounds: %s)" % (sys.argv[1], k,
          statistics.median(a), len(a), " ".join("%.1f" % x for x in a)))
' "$MIB"
