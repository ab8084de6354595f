#!/usr/bin/env bash
# bench/fuse/bench.sh: throughput and metadata rates through the FUSE server (host /dev/fuse adapter) as a ratio of the same test on the native directory.
# Usage: bench/fuse/bench.sh [SIZE_MIB] [NFILES]   (root; build first: make build/tests/fuse/fuse-host-mount)
# REPS=N (default 3): rounds; each round runs every test native then through FUSE, and the
# figures are the medians, so a noisy neighbour on a shared machine hits both sides alike.
set -eu
cd "$(dirname "$0")/../.."
size=${1:-512}
nfiles=${2:-5000}
reps=${REPS:-3}
adapter=${BUILD:-build}/tests/fuse/fuse-host-mount
[ -x "$adapter" ] || { echo "build $adapter first" >&2; exit 1; }

base=$(mktemp -d /var/tmp/krun-fuse-bench.XXXXXX)
mkdir -p "$base/src" "$base/mnt"
"$adapter" -t 2 "$base/src" "$base/mnt" >"$base/log" 2>&1 &
pid=$!
trap 'umount "$base/mnt" 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$base"' EXIT
for _ in $(seq 50); do mountpoint -q "$base/mnt" && break; sleep 0.1; done

# seconds DIR CMD...: wall time of CMD run inside DIR.
seconds() {
	local dir=$1 t0
	shift
	t0=$(date +%s.%N)
	(cd "$dir" && "$@") >/dev/null 2>&1
	echo "$(date +%s.%N) - $t0" | bc -l
}

drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }

seq_write() { dd if=/dev/zero of=big bs=1M count="$size" conv=fsync; }
seq_read() { dd if=big of=/dev/null bs=1M; }
meta() { # create, stat, unlink NFILES files; prints three durations
	python3 - "$nfiles" <<'EOF'
import os, sys, time
n = int(sys.argv[1])
os.makedirs("meta", exist_ok=True)
t = [time.monotonic()]
for i in range(n):
    os.close(os.open("meta/f%d" % i, os.O_CREAT | os.O_WRONLY, 0o644))
t.append(time.monotonic())
for i in range(n):
    os.stat("meta/f%d" % i)
t.append(time.monotonic())
for i in range(n):
    os.unlink("meta/f%d" % i)
t.append(time.monotonic())
print(" ".join("%.6f" % (t[i + 1] - t[i]) for i in range(3)))
EOF
}

declare -A res
for _ in $(seq "$reps"); do
	for where in native fuse; do
		dir=$base/src
		[ $where = fuse ] && dir=$base/mnt
		res[$where.write]+=" $(seconds "$dir" seq_write)"
		drop
		res[$where.read]+=" $(seconds "$dir" seq_read)"
		rm -f "$dir/big"
		read -r c s u < <(cd "$dir" && meta)
		res[$where.create]+=" $c" res[$where.stat]+=" $s" res[$where.unlink]+=" $u"
	done
done
for k in "${!res[@]}"; do	# median of the rounds
	res[$k]=$(printf '%s\n' ${res[$k]} | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
done

row() { # name unit amount key
	local nat fus
	nat=$(echo "$3 / ${res[native.$4]}" | bc -l)
	fus=$(echo "$3 / ${res[fuse.$4]}" | bc -l)
	printf '%-10s native %10.0f %-6s fuse %10.0f %-6s ratio %.2f\n' "$1" "$nat" "$2" "$fus" "$2" \
		"$(echo "$fus / $nat" | bc -l)"
}
row seq-write MiB/s "$size" write
row seq-read MiB/s "$size" read
row create ops/s "$nfiles" create
row stat ops/s "$nfiles" stat
row unlink ops/s "$nfiles" unlink
