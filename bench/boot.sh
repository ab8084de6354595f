#!/usr/bin/env bash
# bench/boot.sh: start->exit wall time of the boot-initramfs guest (median of N) and VMM overhead RSS
# (every mapping except guest RAM and the kernel image, Firecracker's method). Run it through
# tests/harness/with-kvm on machines without hardware KVM. Prints figures; asserts nothing.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
mkdir -p "$B/bench"
N=${1:-10}
RUN=$B/tests/e2e/krun-run
VMLINUX=${TEST_VMLINUX:?the suite passes the cached vmlinux path}
INITRD=$B/tests/e2e/initramfs.cpio.gz
BASE="reboot=k,panic_warm panic=-1 console=hvc0 quiet rdinit=/init no-kvmapf"

times=()
for i in $(seq "$N"); do
	s=$(date +%s%N)
	"$RUN" --kernel "$VMLINUX" --initrd "$INITRD" --cmdline "$BASE krun_test=boot" > /dev/null 2>&1 < /dev/null
	times+=($(( ($(date +%s%N) - s) / 1000000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "boot-initramfs start->exit: median ${median} ms over $N runs (1 vCPU, 128 MiB): ${times[*]}"

# chroot_vm /bin/true: virtio-fs root, guest init, upstream's 4 vCPUs / 4096 MiB.
R=$(mktemp -d)
cp -a "$B/rootfs/." "$R/"
times=()
for i in $(seq "$N"); do
	s=$(date +%s%N)
	"$B/examples/chroot_vm" "$R" /bin/true > /dev/null 2>&1 < /dev/null
	times+=($(( ($(date +%s%N) - s) / 1000000 )))
done
rm -rf "$R"
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "chroot_vm /bin/true start->exit: median ${median} ms over $N runs: ${times[*]}"

# Overhead RSS: sample a guest that stays up for 3 s. Guest memory ranges come from the VMM's
# debug log; the kernel image is the libkrunfw mapping.
"$RUN" --log 4 --kernel "$VMLINUX" --initrd "$INITRD" --cmdline "$BASE krun_test=hold" \
	> /dev/null 2> "$B/bench-hold.log" < /dev/null &
pid=$!
sleep 2
sed -n 's/.*guest memory 0x[0-9a-f]*+0x\([0-9a-f]*\) at host 0x\([0-9a-f]*\).*/\2 \1/p' "$B/bench-hold.log" > "$B/bench-ram.txt"
rss=$(awk -v ramfile="$B/bench-ram.txt" '
	function hex(s,   i, c, v) { v = 0; s = tolower(s); for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c } return v }
	BEGIN { while ((getline l < ramfile) > 0) { split(l, f, " "); n++; lo[n] = hex(f[1]); hi[n] = lo[n] + hex(f[2]) } }
	/^[0-9a-f]+-[0-9a-f]+ / {
		split($1, r, "-"); s = hex(r[1]); guest = ($0 ~ /libkrunfw/)
		for (i = 1; i <= n; i++) if (s >= lo[i] && s < hi[i]) guest = 1
	}
	/^Rss:/ { if (guest) g += $2; else o += $2 }
	END { printf "%.2f %.2f\n", o / 1024, g / 1024 }
' "/proc/$pid/smaps")
echo "VMM overhead RSS: ${rss% *} MiB (guest RAM and kernel image resident: ${rss#* } MiB)"
mib() { awk -v b="$(stat -L -c %s "$1")" 'BEGIN { printf "%.2f", b / 1048576 }'; }
printf 'what\tMiB\nVMM overhead RSS (console, rng, balloon, built-in net; idle)\t%s\nlibkrun.so (file)\t%s\nlibkrunfw.so (file)\t%s\n' \
	"${rss% *}" "$(mib "$B/libkrun.so")" "$(mib "$B/libkrunfw.so.5")" > "$B/bench/footprint.tsv"
wait $pid
