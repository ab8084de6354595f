#!/usr/bin/env python3
# bench/fuse/mktree.py: writes (once) the bench's tarball, a seeded synthetic source tree of about 43 MB and 6.2k entries (or ENTRIES, argv[2]), and prints its path.
import io, os, random, sys, tarfile

entries_max = int(sys.argv[2]) if len(sys.argv) > 2 else 6200
out = os.path.join(sys.argv[1], "fuse-tree-v1.tar" if entries_max == 6200 else
                   "fuse-tree-v1-%d.tar" % entries_max)
if not os.path.exists(out):
    rng = random.Random(15)
    tmp = out + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.GNU_FORMAT) as tar:
        dirs = ["src"]
        entries = 0
        total = 0
        blob = bytes(rng.getrandbits(8) for _ in range(1 << 20))
        while entries < entries_max:
            if rng.random() < 0.07 or len(dirs) < 4:	# ~430 directories, up to 6 deep
                parent = rng.choice(dirs)
                if parent.count("/") < 6:
                    d = "%s/d%d" % (parent, entries)
                    dirs.append(d)
                    ti = tarfile.TarInfo(d)
                    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(ti)
                    entries += 1
                    continue
            # sizes like a source tree: mostly a few KiB, a long tail (mean ~7 KiB)
            sz = min(int(rng.lognormvariate(8.15, 1.25)), 1 << 20)
            ti = tarfile.TarInfo("%s/f%d.c" % (rng.choice(dirs), entries))
            ti.size, ti.mode = sz, 0o644
            off = rng.randrange(0, (1 << 20) - sz + 1)
            tar.addfile(ti, io.BytesIO(blob[off:off + sz]))
            entries += 1
            total += sz
    os.rename(tmp, out)
print(out)
