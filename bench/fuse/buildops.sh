#!/usr/bin/env bash
# bench/fuse/buildops.sh: requests per opcode that a small C build (make -j2, gcc) costs on a share, through our server on the host's /dev/fuse (no VM).
# Usage: bench/fuse/buildops.sh [ADAPTER OPTIONS...]   (root; default -c always, the root share's policy)
#   BUILD_DIRS (default "src/fuse src/util"): this repository's folders compiled (compile only).
# The share holds a root staged like bench/blk's: gcc's driver, cc1, as, make, a shell, their
# libraries and exactly the headers the sources include; the build runs chrooted into the mount,
# once cold (after mounting) and once more after `make clean` (the guest's caches warm).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
adapter=$BUILD/tests/fuse/fuse-host-mount
dirs=${BUILD_DIRS:-src/fuse src/util}
[ $# -gt 0 ] || set -- -c always
base=$(mktemp -d /var/tmp/krun-fuse-buildops.XXXXXX)
S=$base/src
mkdir -p "$S/proj" "$S/tmp" "$base/mnt"
pid=
trap 'umount "$base/mnt" 2>/dev/null; [ -n "$pid" ] && wait $pid 2>/dev/null; rm -rf "$base"' EXIT

cp -a src include init "$S/proj/"
cat >"$S/proj/Makefile" <<'MK'
OBJS := $(patsubst %.c,%.o,$(shell find $(DIRS) -name '*.c'))
all: $(OBJS)
clean:
	rm -f $(OBJS)
%.o: %.c
	gcc -O1 -pipe -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Iinit -c $< -o $@
MK
stage() { for f in "$@"; do mkdir -p "$S$(dirname "$f")" && cp -L "$f" "$S$f"; done; }
bins=(/bin/sh /usr/bin/gcc /usr/bin/as /usr/bin/make /usr/bin/find /usr/bin/rm "$(gcc -print-prog-name=cc1)")
stage "${bins[@]}" $(ldd "${bins[@]}" 2>/dev/null | awk '$3 ~ /^\// {print $3} $1 ~ /^\/lib64/ {print $1}' | sort -u)
stage $(cd "$S/proj" && for c in $(find $dirs -name '*.c'); do
	gcc -M -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Iinit "$c"; done | tr ' \\' '\n\n' | grep '^/' | sort -u)
n=$(cd "$S/proj" && find $dirs -name '*.c' | wc -l)

"$adapter" -s "$@" "$S" "$base/mnt" 2>"$base/log" >/dev/null &
pid=$!
for _ in $(seq 50); do mountpoint -q "$base/mnt" && break; sleep 0.1; done
names=$(sed -n 's/^\s*FUSE_\([A-Z_0-9]*\)\s*= \([0-9]*\),.*/\2 \1/p' /usr/include/linux/fuse.h | awk '$1 < 64 && !seen[$1]++')
step() { # NAME CMD: run CMD chrooted in the mount, print its requests by opcode
	local name=$1 t0
	kill -USR1 $pid; sleep 0.2; : >"$base/log"
	t0=$(date +%s.%N)
	${BUILDOPS_WRAP:-} chroot "$base/mnt" /bin/sh -c "$2" >/dev/null
	t0=$(echo "$(date +%s.%N) - $t0" | bc -l)
	kill -USR1 $pid; sleep 0.2
	printf '== %s: %s requests, %.2f s\n' "$name" "$(sed -n 's/requests: //p' "$base/log")" "$t0"
	awk 'NR == FNR { n[$1] = $2; next } /^opcode/ { sub(":", "", $2); printf "  %-14s %s\n", n[$2], $3 }' \
		<(echo "$names") "$base/log" | sort -k2 -nr | head -10
}
echo "bench/fuse/buildops: make -j2 of $n C files, adapter options: $*"
step "build, cold" "cd /proj && make -s -j2 DIRS='$dirs'"
step "build again (after make clean)" "cd /proj && make -s clean DIRS='$dirs' && make -s -j2 DIRS='$dirs'"
