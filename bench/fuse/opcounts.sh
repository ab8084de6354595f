#!/usr/bin/env bash
# bench/fuse/opcounts.sh: requests per opcode (ours) and the server's syscalls (strace -c, any target) for each of the bench's workloads.
# Usage: bench/fuse/opcounts.sh [ADAPTER OPTIONS...]   (root). Prints one block per workload.
#   TARGET=ours (default) | ll | hp: whose server to trace (ll/hp: libfuse's passthrough_ll/_hp with
#   the bench's options; they print no opcode counts, but their /dev/fuse reads count the requests).
#   WORKLOADS: the steps to run (default "tarx lscold lswarm create unlink rmrf"; also "seqread").
#   BENCH_DIR (default /var/tmp): where the shared directory lives (as bench.sh); STRACE="strace -w"
#   counts wall time per syscall instead of system time.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
target=${TARGET:-ours}
workloads=${WORKLOADS:-tarx lscold lswarm create unlink rmrf}
adapter=$BUILD/tests/fuse/fuse-host-mount
mkdir -p "$BUILD/bench"
tarball=$(python3 bench/fuse/mktree.py "$BUILD/bench")
base=$(mktemp -d "${BENCH_DIR:-/var/tmp}/krun-fuse-ops.XXXXXX")
mkdir -p "$base/src" "$base/mnt"
case $target in
ours) "$adapter" -s "$@" "$base/src" "$base/mnt" 2>>"$base/log" >/dev/null & ;;	# append: the log is truncated per step
ll) "$(tools/build-fuse-peers.sh)/passthrough_ll" -f -o source="$base/src",timeout=5,xattr,allow_other,default_permissions \
	"$base/mnt" >"$base/log" 2>&1 & ;;
hp) "$(tools/build-fuse-peers.sh)/passthrough_hp" --foreground "$base/src" "$base/mnt" >"$base/log" 2>&1 & ;;
*) echo "TARGET=ours|ll|hp" >&2; exit 2 ;;
esac
pid=$!
trap 'umount "$base/mnt" 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$base"' EXIT
for _ in $(seq 50); do mountpoint -q "$base/mnt" && break; sleep 0.1; done
names=$(sed -n 's/^\s*FUSE_\([A-Z_0-9]*\)\s*= \([0-9]*\),.*/\2 \1/p' /usr/include/linux/fuse.h | awk '$1 < 64 && !seen[$1]++')
STRACE=${STRACE-$(command -v strace || true)}

# step NAME CMD...: run CMD, then print the requests it caused by opcode and the server's syscalls.
step() {
	local name=$1 sp= t0
	shift
	if [ "$target" = ours ]; then kill -USR1 $pid; sleep 0.2; : >"$base/log"; fi
	[ -n "$STRACE" ] && { $STRACE -c -f -p $pid -o "$base/strace" 2>/dev/null & sp=$!; sleep 0.5; }
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t0=$(echo "$(date +%s.%N) - $t0" | bc -l)
	[ -n "$sp" ] && { kill -INT $sp; wait $sp 2>/dev/null || true; }
	if [ "$target" = ours ]; then
		kill -USR1 $pid; sleep 0.2
		echo "== $name: $(sed -n 's/requests: //p' "$base/log") requests, $(printf %.2f "$t0") s under strace"
		awk 'NR == FNR { n[$1] = $2; next } /^opcode/ { sub(":", "", $2); printf "  %-14s %s\n", n[$2], $3 }' \
			<(echo "$names") "$base/log" | sort -k2 -nr | head -8
	else
		echo "== $name ($target): $(printf %.2f "$t0") s under strace"
	fi
	[ -n "$sp" ] && awk 'NR > 2 && $4 ~ /^[0-9]+$/ && ($4 > 500 || $NF == "total") { printf "  syscall %-12s %s calls %s s\n", $NF, $4, $2 }' "$base/strace" | head -12
	true
}
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
mkdir "$base/mnt/tree"
for w in $workloads; do
	case $w in
	seqread)
		dd if=/dev/zero of="$base/mnt/big" bs=1M count=512 conv=fsync status=none; drop
		step "seq read 512 MiB" dd if="$base/mnt/big" of=/dev/null bs=1M
		rm -f "$base/mnt/big" ;;
	tarx) step "tar x 43 MB" tar xf "$tarball" -C "$base/mnt/tree" ;;
	lscold) drop; step "ls -lR cold (6.2k)" ls -lR "$base/mnt/tree" ;;
	lswarm) step "ls -lR warm (6.2k)" ls -lR "$base/mnt/tree" ;;
	create) step "create 5000" python3 -c "
import os
os.mkdir('$base/mnt/m')
for i in range(5000): os.close(os.open('$base/mnt/m/f%d' % i, os.O_CREAT | os.O_WRONLY, 0o644))" ;;
	unlink) step "unlink 5000" python3 -c "
import os
for i in range(5000): os.unlink('$base/mnt/m/f%d' % i)" ;;
	rmrf) step "rm -rf (6.2k)" rm -rf "$base/mnt/tree" ;;
	esac
done
