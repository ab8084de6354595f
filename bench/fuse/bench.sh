#!/usr/bin/env bash
# bench/fuse/bench.sh: issue #15's filesystem table on the host: native, our FUSE server (/dev/fuse adapter), libfuse's passthrough_ll and passthrough_hp, interleaved rounds, medians, ratios.
# Usage: bench/fuse/bench.sh   (root; build first: make build/tests/fuse/fuse-host-mount)
#   REPS=N (default 3) rounds; SIZE_MIB (default 512) for the sequential file; NFILES (default 5000).
#   FUSE_BENCH_TARGETS (default "native ours auto ll hp") picks and orders the targets: "ours" is
#   our server with the root share's default policy (cache=always), "auto" the same server with
#   cache=auto (upstream's policy, the default for other shares).
#   OURS_ARGS: extra fuse-host-mount options for "ours".
#   BASE_ADAPTER=PATH adds target "base": another build of fuse-host-mount (before/after a change),
#   run with BASE_ARGS (default "-t 1 -c always -W", as "ours"; an adapter older than -W needs
#   BASE_ARGS="-t 1 -c always").
#   Our two targets run one worker thread (-t 1), as the VM serves a virtio-fs device (one
#   thread for both queues: the guest's 6.1 driver uses one request queue), and -W: the mount's
#   bdi gets the dirty limit the guest init gives a virtio-fs root (max_ratio 100, strict_limit 0,
#   see init/setup.c), so seq write measures what the guest gets. The peers keep the kernel's FUSE defaults (max_ratio 1, strict_limit), as
#   libfuse servers do. read_ahead_kb stays the kernel's 128 KiB for every target (the guest
#   init raises it to 1 MiB), so seq read compares the servers on the same READs.
#   BENCH_DIR (default /var/tmp): where the shared directories live. On this host /var/tmp is ext4
#   on a virtual disk where one create costs about 1 ms, which hides every server's own cost;
#   BENCH_DIR=/dev/shm (tmpfs, stable readdir cookies and user xattrs since 6.6) shows it.
#   TSV (default $BUILD/bench/fuse.tsv): where the table goes.
# Every round runs every workload on every target, back to back, so a noisy neighbour on a
# shared machine hits all alike; the figures are the medians of the rounds.
# Writes build/bench/fuse.tsv: workload, unit, better (higher|lower), then one column per target,
# then ours/ll and ours/hp as speed ratios (above 1: ours faster).
set -eu
cd "$(dirname "$0")/../.."
REPO=$PWD
BUILD=${BUILD:-build}
size=${SIZE_MIB:-512}
nfiles=${NFILES:-5000}
reps=${REPS:-3}
targets=${FUSE_BENCH_TARGETS:-native ours auto ll hp}
adapter=$BUILD/tests/fuse/fuse-host-mount
[ -x "$adapter" ] || { echo "build $adapter first" >&2; exit 1; }
peers=$(tools/build-fuse-peers.sh)
mkdir -p "$BUILD/bench"
tarball=$(python3 bench/fuse/mktree.py "$BUILD/bench")	# 43 MB, 6.2k entries, cached

base=$(mktemp -d "${BENCH_DIR:-/var/tmp}/krun-fuse-bench.XXXXXX")
pids=()
cleanup() {
	for t in $targets; do
		mountpoint -q "$base/$t/mnt" 2>/dev/null && umount "$base/$t/mnt"
	done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$base"
}
trap cleanup EXIT

# mount_target NAME: serve $base/NAME/src at $base/NAME/mnt (native: the source itself).
mount_target() {
	local t=$1 src=$base/$1/src mnt=$base/$1/mnt
	mkdir -p "$src" "$mnt"
	case $t in
	native) rmdir "$mnt"; ln -s src "$mnt"; return ;;
	ours) "$adapter" -t 1 -c always -W ${OURS_ARGS:-} "$src" "$mnt" >"$base/$t.log" 2>&1 & ;;
	auto) "$adapter" -t 1 -c auto -W "$src" "$mnt" >"$base/$t.log" 2>&1 & ;;
	base) "$BASE_ADAPTER" ${BASE_ARGS:--t 1 -c always -W} "$src" "$mnt" >"$base/$t.log" 2>&1 & ;;
	ll) "$peers/passthrough_ll" -f -o source="$src",timeout=5,xattr,allow_other,default_permissions \
		"$mnt" >"$base/$t.log" 2>&1 & ;;
	hp) "$peers/passthrough_hp" --foreground "$src" "$mnt" >"$base/$t.log" 2>&1 & ;;
	esac
	pids+=($!)
	for _ in $(seq 100); do mountpoint -q "$mnt" && return 0; sleep 0.1; done
	echo "bench: $t did not mount: $(cat "$base/$t.log")" >&2
	exit 1
}

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }

meta() { # create, unlink NFILES files in DIR; prints two durations
	python3 - "$1" "$nfiles" <<'PY'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
t = [time.monotonic()]
for i in range(n):
    os.close(os.open("%s/f%d" % (d, i), os.O_CREAT | os.O_WRONLY, 0o644))
t.append(time.monotonic())
for i in range(n):
    os.unlink("%s/f%d" % (d, i))
t.append(time.monotonic())
print("%.6f %.6f" % (t[1] - t[0], t[2] - t[1]))
PY
}

declare -A res
# Each workload runs on every target back to back (the order rotates each round), so the
# machine's load changes between targets as little as it can.
on_all() { # KEY FUNCTION: run FUNCTION TARGET MOUNT SRC on each target, timing it into res[T.KEY]
	local key=$1 fn=$2 t t0
	for t in "${order[@]}"; do
		t0=$(now)
		$fn "$t" "$base/$t/mnt" "$base/$t/src"
		res[$t.$key]+=" $(elapsed "$t0")"
	done
}
w_write() { dd if=/dev/zero of="$2/big" bs=1M count="$size" conv=fsync status=none; }
w_read() { dd if="$2/big" of=/dev/null bs=1M status=none; rm -f "$2/big"; drop; }
w_tarx() { mkdir "$2/tree" && tar xf "$tarball" -C "$2/tree"; }
w_ls() { ls -lR "$2/tree" >/dev/null; }
w_rmrf() { rm -rf "$2/tree"; }
# One more copy made natively behind each server's back: 12.4k entries to list. (Every server
# holds an fd per inode the kernel knows: 18.6k entries outgrow this host's hard RLIMIT_NOFILE
# of 20k minus our 1/8 reserve, and root cannot raise it here.)
w_copy() { cp -a "$3/tree" "$3/tree2" && mv "$3/tree2" "$3/tree/copy2"; }

round() {
	local t c u
	on_all write w_write
	drop
	on_all read w_read
	for t in "${order[@]}"; do
		read -r c u < <(meta "$base/$t/mnt/meta")
		res[$t.create]+=" $c" res[$t.unlink]+=" $u"
		rmdir "$base/$t/mnt/meta"
	done
	drop
	on_all tarx w_tarx
	for t in "${order[@]}"; do w_copy "$t" "$base/$t/mnt" "$base/$t/src"; done
	for t in "${order[@]}"; do	# cold: caches dropped right before each target's walk
		drop
		t0=$(now); w_ls "$t" "$base/$t/mnt"; res[$t.lscold]+=" $(elapsed "$t0")"
		t0=$(now); w_ls "$t" "$base/$t/mnt"; res[$t.lswarm]+=" $(elapsed "$t0")"
	done
	on_all rmrf w_rmrf
}

read -ra order <<<"$targets"
for t in "${order[@]}"; do mount_target "$t"; done
echo "bench: $targets in $base, load $(cut -d" " -f1-3 /proc/loadavg)" >&2
for r in $(seq "$reps"); do
	round
	order=("${order[@]:1}" "${order[0]}")	# rotate
	echo "bench: round $r of $reps done" >&2
done
for k in "${!res[@]}"; do	# median of the rounds
	res[$k]=$(printf '%s\n' ${res[$k]} | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
done

tsv=${TSV:-$BUILD/bench/fuse.tsv}
has() { [[ " $targets " == *" $1 "* ]]; }
# row KEY NAME UNIT AMOUNT: a rate (AMOUNT / seconds) when AMOUNT is set, else seconds.
row() {
	local key=$1 name=$2 unit=$3 amt=$4 t v line better=higher
	[ -z "$amt" ] && better=lower
	line="$name	$unit	$better"
	for t in $targets; do
		v=${res[$t.$key]}
		[ -n "$amt" ] && v=$(echo "$amt / $v" | bc -l)
		line+="	$(printf '%.3f' "$v")"
	done
	for t in ll hp; do
		if has ours && has $t; then	# speed ratio: above 1 means ours is faster
			line+="	$(printf '%.2f' "$(echo "${res[$t.$key]} / ${res[ours.$key]}" | bc -l)")"
		else
			line+="	-"
		fi
	done
	echo "$line" >>"$tsv"
}
{ printf 'workload\tunit\tbetter'; for t in $targets; do printf '\t%s' "$t"; done
  printf '\tours/ll\tours/hp\n'; } >"$tsv"
row write seq-write MiB/s "$size"
row read seq-read MiB/s "$size"
row create create-$nfiles ops/s "$nfiles"
row unlink unlink-$nfiles ops/s "$nfiles"
row lscold ls-lR-12k-cold s ""
row lswarm ls-lR-12k-warm s ""
row tarx tar-x-43MB s ""
row rmrf rm-rf-12k s ""
column -t -s '	' "$tsv"
echo "bench: figures in $tsv (host $(uname -r), $(nproc) CPUs, REPS=$reps, in $(df --output=fstype "$base" | tail -n 1), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
