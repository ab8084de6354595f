#!/usr/bin/env bash
# bench/fuse/guest-build.sh: issue #15's build goal: make -j2 in a guest whose root (gcc included) is on virtio-fs versus the same tree on a virtio-blk ext4 root; run under tests/harness/with-kvm.
# The build itself is bench/blk/bench.sh's make part (staged root, ext4 image, krun-run); this runs it
# TEST_FSB_BUILD_REPS times (default 1) and writes build/bench/fuse-build.tsv: real/user/sys seconds on
# each root and the fs/blk ratios (below 1.5 meets the goal). Prints figures; asserts nothing.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
reps=${TEST_FSB_BUILD_REPS:-1}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$reps"); do
	TEST_BENCH_BLK_FIO=0 bench/blk/bench.sh 2>&1 | tee -a "$out"
done
mkdir -p "$B/bench"
# "... real/user/sys: virtio-fs root R/U/S s, virtio-blk ext4 root R/U/S s; ..." -> medians
python3 - "$out" "$B/bench/fuse-build.tsv" <<'PY'
import re, statistics, sys
runs = []
for line in open(sys.argv[1]):
    m = re.search(r"make -j2 \((\d+) C files.*virtio-fs root ([\d.]+)/([\d.]+)/([\d.]+) s,"
                  r" virtio-blk ext4 root ([\d.]+)/([\d.]+)/([\d.]+) s", line)
    if m:
        runs.append((int(m.group(1)), [float(x) for x in m.groups()[1:]]))
if not runs:
    print("bench/fuse/guest-build: no figures (see the output above)")
    sys.exit(0)
n = runs[0][0]
med = [statistics.median(r[1][i] for r in runs) for i in range(6)]
with open(sys.argv[2], "w") as f:
    f.write("workload\tunit\tbetter\tvirtio-fs\tvirtio-blk\tfs/blk\n")
    for i, what in enumerate(("real", "user", "sys")):
        fs, blk = med[i], med[i + 3]
        f.write("guest-make-j2-%d-files-%s\ts\tlower\t%.2f\t%.2f\t%.2f\n" % (n, what, fs, blk, fs / blk if blk else 0))
print(open(sys.argv[2]).read(), end="")
print("bench/fuse/guest-build: goal fs/blk <= 1.5 (%d run(s), medians)" % len(runs))
PY
