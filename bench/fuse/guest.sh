#!/usr/bin/env bash
# bench/fuse/guest.sh: the filesystem bench's workloads inside a guest: virtio-fs root (cache=always, the root's default, and cache=auto), a DAX mount, and a tmpfs in the same guest as the floor; run under tests/harness/with-kvm.
# Appends rows "guest-<workload> unit better tmpfs vfs-always vfs-auto vfs-dax" to build/bench/fuse-guest.tsv.
# Knobs: TEST_FSB_MIB (sequential file, default 64), TEST_FSB_FILES (default 500), TEST_FSB_ENTRIES (tree,
# default 1000: 6.2k entries take tens of minutes in the nested TCG VM), TEST_FSB_REPS (default 1),
# TEST_FSB_POLICIES (default "always auto"; the tmpfs and DAX runs come with "always").
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/tests/e2e/krun-run
MIB=${TEST_FSB_MIB:-64}
NF=${TEST_FSB_FILES:-500}
NE=${TEST_FSB_ENTRIES:-1000}
REPS=${TEST_FSB_REPS:-1}
tarball=$(python3 bench/fuse/mktree.py "$B/bench" "$NE")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x "$B/bench/fsbench" ] || { echo "bench/fuse/guest: build $B/bench/fsbench first"; exit 0; }

# boot POLICY: one guest whose root copy sits on L1's tmpfs, root share under KRUN_FS_CACHE=POLICY;
# it runs the workloads on a guest tmpfs, on the root, and (POLICY always only) on a DAX mount.
boot() {
	local pol=$1 r=$T/root-$1 cmd
	rm -rf "$r" "$T/dax"
	cp -a "$B/rootfs" "$r" && install -m 0755 "$B/bench/fsbench" "$r/bin/fsbench"
	cp "$tarball" "$r/tree.tar"
	mkdir -p "$T/dax" "$r/bench"
	cmd="/bin/fsbench vfs-$pol /bench /tree.tar $MIB $NF"
	if [ "$pol" = always ]; then
		cmd="mkdir -p /mnt/tmp /mnt/dax; mount -t tmpfs -o size=900m tmpfs /mnt/tmp &&
		     /bin/fsbench tmpfs /mnt/tmp /tree.tar $MIB $NF; umount /mnt/tmp; $cmd;
		     mount -t virtiofs -o dax daxfs /mnt/dax && /bin/fsbench vfs-dax /mnt/dax /tree.tar $MIB $NF"
	fi
	KRUN_FS_CACHE=$pol timeout -k 5 3000 "$RUN" --mem 2048 --cpus 2 --root "$r" \
		--virtiofs "daxfs:$T/dax:536870912" -- /bin/sh -c "$cmd" >"$T/out-$pol" 2>&1 </dev/null
	grep -a '^FSB ' "$T/out-$pol" || { echo "bench/fuse/guest: $pol printed nothing"; tail -n 20 "$T/out-$pol"; }
	# a failed workload: show what the guest said about it (the FSB line has no reason)
	grep -aq '^FSB .* failed' "$T/out-$pol" && grep -av '^FSB ' "$T/out-$pol" | head -n 20 | sed 's/^/    | /'
	true
}

for _ in $(seq "$REPS"); do
	for pol in ${TEST_FSB_POLICIES:-always auto}; do boot "$pol"; done
done | tee "$T/all"

# medians per (label, workload) into a table
mkdir -p "$B/bench"
python3 - "$T/all" "$B/bench/fuse-guest.tsv" "$MIB" "$NF" "$NE" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 4 and f[0] == "FSB":
        rows.setdefault((f[1], f[2]), []).append(float(f[3]))
mib, nf = float(sys.argv[3]), float(sys.argv[4])
labels = ["tmpfs", "vfs-always", "vfs-auto", "vfs-dax"]
work = [("write", "seq-write", "MiB/s", mib), ("read", "seq-read", "MiB/s", mib),
        ("create", "create-%d" % nf, "ops/s", nf), ("unlink", "unlink-%d" % nf, "ops/s", nf),
        ("tarx", "tar-x-%s" % sys.argv[5], "s", None), ("lscold", "ls-lR-%s-cold" % sys.argv[5], "s", None),
        ("lswarm", "ls-lR-%s-warm" % sys.argv[5], "s", None), ("rmrf", "rm-rf-%s" % sys.argv[5], "s", None)]
with open(sys.argv[2], "w") as out:
    out.write("workload\tunit\tbetter\t" + "\t".join(labels) + "\n")
    for key, name, unit, amt in work:
        vals = []
        for l in labels:
            v = rows.get((l, key))
            if not v:
                vals.append("-")
                continue
            m = statistics.median(v)
            vals.append("%.3f" % (amt / m if amt else m))
        out.write("guest-%s\t%s\t%s\t%s\n" % (name, unit, "higher" if amt else "lower", "\t".join(vals)))
print(open(sys.argv[2]).read())
PY
