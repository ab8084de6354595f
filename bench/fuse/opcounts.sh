#!/usr/bin/env bash
# bench/fuse/opcounts.sh: requests per opcode, and the server's syscalls (strace -c), for each of the bench's metadata workloads through our server.
# Usage: bench/fuse/opcounts.sh [ADAPTER OPTIONS...]   (root). Prints one block per workload.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
adapter=$BUILD/tests/fuse/fuse-host-mount
tarball=$(python3 bench/fuse/mktree.py "$BUILD/bench")
base=$(mktemp -d /var/tmp/krun-fuse-ops.XXXXXX)
mkdir -p "$base/src" "$base/mnt"
"$adapter" -s "$@" "$base/src" "$base/mnt" 2>"$base/log" >/dev/null &
pid=$!
trap 'umount "$base/mnt" 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$base"' EXIT
for _ in $(seq 50); do mountpoint -q "$base/mnt" && break; sleep 0.1; done
names=$(sed -n 's/^\s*FUSE_\([A-Z_0-9]*\)\s*= \([0-9]*\),.*/\2 \1/p' /usr/include/linux/fuse.h | awk '$1 < 64 && !seen[$1]++')
STRACE=${STRACE-$(command -v strace || true)}

# step NAME CMD...: run CMD, then print the requests it caused by opcode and the server's syscalls.
step() {
	local name=$1 sp=
	shift
	: >"$base/log"
	kill -USR1 $pid; sleep 0.2; : >"$base/log"
	[ -n "$STRACE" ] && { $STRACE -c -f -p $pid -o "$base/strace" & sp=$!; sleep 0.5; }
	"$@" >/dev/null 2>&1
	[ -n "$sp" ] && { kill -INT $sp; wait $sp 2>/dev/null || true; }
	kill -USR1 $pid; sleep 0.2
	echo "== $name: $(sed -n 's/requests: //p' "$base/log") requests"
	awk 'NR == FNR { n[$1] = $2; next } /^opcode/ { sub(":", "", $2); printf "  %-14s %s\n", n[$2], $3 }' \
		<(echo "$names") "$base/log" | sort -k2 -nr | head -8
	[ -n "$sp" ] && awk 'NR > 2 && $4 ~ /^[0-9]+$/ && $4 > 500 { printf "  syscall %-12s %s calls %s s\n", $NF, $4, $2 }' "$base/strace" | head -8
	true
}
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
mkdir "$base/mnt/tree"
step "tar x 43 MB" tar xf "$tarball" -C "$base/mnt/tree"
drop
step "ls -lR cold (6.2k)" ls -lR "$base/mnt/tree"
step "ls -lR warm (6.2k)" ls -lR "$base/mnt/tree"
step "create 5000" python3 -c "
import os
os.mkdir('$base/mnt/m')
for i in range(5000): os.close(os.open('$base/mnt/m/f%d' % i, os.O_CREAT | os.O_WRONLY, 0o644))"
step "unlink 5000" python3 -c "
import os
for i in range(5000): os.unlink('$base/mnt/m/f%d' % i)"
step "rm -rf (6.2k)" rm -rf "$base/mnt/tree"
