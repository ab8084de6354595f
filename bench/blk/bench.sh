#!/usr/bin/env bash
# bench/blk/bench.sh: virtio-blk in the guest (fio: sequential MiB/s, 4 KiB random IOPS; raw and qcow2) against the
# same file on the host, and the system time of make -j2 with the root (toolchain included) on virtio-fs versus
# on a virtio-blk disk. Run through tests/harness/with-kvm (fio runs in a guest whose root is the host's "/").
# Knobs (passed into the nested VM): TEST_BENCH_BLK_MIB, TEST_BENCH_BLK_SECS, TEST_BENCH_BLK_FIO=0 (make part
# only), TEST_BENCH_BLK_DIRS (the source folders compiled; few, because gcc in the nested VM is slow).
# Prints figures; asserts nothing.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/tests/e2e/krun-run
SIZE=${TEST_BENCH_BLK_MIB:-128}
SECS=${TEST_BENCH_BLK_SECS:-5}
DIRS=${TEST_BENCH_BLK_DIRS:-src/disk src/util}
PATH=$PATH:/usr/sbin:/sbin
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
command -v fio > /dev/null || { echo "bench/blk: fio is not installed (apt-get install fio)"; exit 0; }

# fio_args DIRECT FILE: one fio run, four phases one after the other.
fio_args() {
	echo --output-format=json --ioengine=psync --direct="$1" --filename="$2" --size="${SIZE}M" \
		--name=seqwrite --rw=write --bs=1M --stonewall \
		--name=seqread --rw=read --bs=1M --stonewall \
		--name=randread --rw=randread --bs=4k --runtime="$SECS" --time_based --stonewall \
		--name=randwrite --rw=randwrite --bs=4k --runtime="$SECS" --time_based --stonewall
}

# fio JSON on stdin -> "seqwrite_MiBs seqread_MiBs randread_IOPS randwrite_IOPS"
fio_figures() {
	python3 -c '
import json, sys
t = sys.stdin.read()
d = json.loads(t[t.index("{"):])
j = {x["jobname"]: x for x in d["jobs"]}
print("%.0f %.0f %.0f %.0f" % (j["seqwrite"]["write"]["bw"] / 1024, j["seqread"]["read"]["bw"] / 1024,
                              j["randread"]["read"]["iops"], j["randwrite"]["write"]["iops"]))'
}

guest_fio() { # IMG FORMAT
	"$RUN" --root / --cpus 2 --mem 1024 --disk "vda:$1:$2:0:2" -- /usr/bin/fio $(fio_args 1 /dev/vda) \
		2> "$T/err" < /dev/null | fio_figures
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }

report() { # NAME "guest figures" "host figures"
	local g=($2) h=($3)
	printf '%-22s seq write %5s MiB/s (host %5s, %s)  seq read %5s MiB/s (host %5s, %s)\n' "$1" \
		"${g[0]}" "${h[0]}" "$(ratio "${g[0]}" "${h[0]}")" "${g[1]}" "${h[1]}" "$(ratio "${g[1]}" "${h[1]}")"
	printf '%-22s 4k randread %6s IOPS (host %6s, %s)  4k randwrite %6s IOPS (host %6s, %s)\n' "" \
		"${g[2]}" "${h[2]}" "$(ratio "${g[2]}" "${h[2]}")" "${g[3]}" "${h[3]}" "$(ratio "${g[3]}" "${h[3]}")"
}

# The host baseline: the same fio on the same kind of file, through the page cache (the image lives
# on tmpfs inside the nested VM, where O_DIRECT does not exist; the guest uses O_DIRECT so that it
# measures the device, not its own page cache).
if [ "${TEST_BENCH_BLK_FIO:-1}" = 1 ]; then
truncate -s "${SIZE}M" "$T/host.img"
host=$(fio $(fio_args 0 "$T/host.img") 2> /dev/null | fio_figures)
truncate -s "${SIZE}M" "$T/raw.img"
g_raw=$(guest_fio "$T/raw.img" raw)
qemu-img create -q -f qcow2 "$T/q.qcow2" "${SIZE}M"
g_q=$(guest_fio "$T/q.qcow2" qcow2)
echo "bench/blk: fio in the guest (O_DIRECT on /dev/vda, 2 vCPUs) vs on the host; ${SIZE} MiB, ${SECS} s random phases"
report "virtio-blk raw" "$g_raw" "$host"
report "virtio-blk qcow2" "$g_q" "$host"
[ -s "$T/err" ] && sed 's/^/    | /' "$T/err" | tail -n 5
fi

# make -j2 of a small C project (this library's C files, compile only) with the whole root (toolchain,
# headers, sources) on virtio-fs versus the same tree as an ext4 root disk (krun_set_root_disk_remount).
# The root: the test rootfs (busybox) plus gcc's driver, cc1, as, make, their libraries and exactly the
# headers the project includes.
S=$T/root
cp -a "$B/rootfs" "$S"
mkdir -p "$S/proj"
cp -a src include init "$S/proj/"
cat > "$S/proj/Makefile" <<'MK'
OBJS := $(patsubst %.c,%.o,$(shell find $(DIRS) -name '*.c'))
all: $(OBJS)
%.o: %.c
	gcc -O1 -pipe -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Iinit -c $< -o $@
MK
stage() { for f in "$@"; do mkdir -p "$S$(dirname "$f")" && cp -L "$f" "$S$f"; done; }
bins=(/usr/bin/gcc /usr/bin/as /usr/bin/make "$(gcc -print-prog-name=cc1)")
stage "${bins[@]}" $(ldd "${bins[@]}" 2>/dev/null | awk '$3 ~ /^\// {print $3} $1 ~ /^\/lib64/ {print $1}' | sort -u)
stage $(cd "$S/proj" && for c in $(find $DIRS -name '*.c'); do
	gcc -M -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Iinit "$c"; done | tr ' \\' '\n\n' | grep '^/' | sort -u)
n=$(cd "$S/proj" && find $DIRS -name '*.c' | wc -l)
mkfs.ext4 -q -F -E nodiscard -d "$S" "$T/root.img" 512M
MAKE_CMD="cd /proj && time -p make -s -j2 DIRS='$DIRS'"
fs_out=$("$RUN" --root "$S" --cpus 2 --mem 1024 -- /bin/sh -c "$MAKE_CMD" 2>&1 < /dev/null)
blk_out=$("$RUN" --cpus 2 --mem 1024 --disk "vda:$T/root.img:raw:0:2" --root-disk-remount /dev/vda:ext4 \
	-- /bin/sh -c "$MAKE_CMD" 2>&1 < /dev/null)
t() { sed -n "s/^$1 //p" <<< "$2" | tail -n1; }
fr=$(t real "$fs_out") fu=$(t user "$fs_out") fs=$(t sys "$fs_out")
br=$(t real "$blk_out") bu=$(t user "$blk_out") bs=$(t sys "$blk_out")
echo "bench/blk: make -j2 ($n C files, root with gcc on it) real/user/sys: virtio-fs root ${fr:-?}/${fu:-?}/${fs:-?} s," \
	"virtio-blk ext4 root ${br:-?}/${bu:-?}/${bs:-?} s; sys time ratio fs/blk $(ratio "${fs:-0}" "${bs:-0}")," \
	"wall ratio $(ratio "${fr:-0}" "${br:-0}")"
[ -n "$fs" ] && [ -n "$bs" ] || { echo "$fs_out" | tail -n 5; echo "$blk_out" | tail -n 5; }
