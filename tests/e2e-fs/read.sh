#!/usr/bin/env bash
# tests/e2e-fs/read.sh: large reads, FORGETs and the root's bdi tuning on the virtio-fs root in a real guest (no-open READs through a node's kept read fd; FORGETs arrive without a reply buffer; an unsynced write past the old dirty limit survives shutdown); run under tests/harness/with-kvm.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
CHROOT_VM=$B/examples/chroot_vm
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
R=$T/rootfs
cp -a "$B/rootfs" "$R"

# A 12 MiB file is read in many READs (the first at offset 0, the rest through the kept fd);
# the guest then overwrites 4 KiB in the middle, drops its page cache and reads it again,
# which must show its own write (the kept fd and the write's reopen are the same inode).
# Then it writes and removes another file and drops its caches: the FORGET must free the
# node, so the VMM holds no fd on the removed file while the guest still runs.
# The init lifts the root's dirty limit (max_ratio 100) and raises its readahead; the last
# write (24 MiB, over the kernel's default limit for a FUSE bdi, never synced by the workload)
# must still reach the host whole when the VM shuts down right after it.
head -c $((12 << 20)) /dev/urandom > "$R/big"
cp "$R/big" "$T/want"
before=$(sha256sum "$T/want" | cut -d' ' -f1)
dd if=/dev/zero of="$T/want" bs=4096 count=1 seek=1000 conv=notrunc status=none
after=$(sha256sum "$T/want" | cut -d' ' -f1)
timeout -k 5 180 "$CHROOT_VM" "$R" /bin/sh -c '
	d=$(stat -c %d /); b=/sys/class/bdi/$((d >> 8)):$((d & 255))
	echo "BDI $(cat $b/read_ahead_kb) $(cat $b/max_ratio)"
	sha256sum /big; sha256sum /big
	dd if=/dev/zero of=/big bs=4096 count=1 seek=1000 conv=notrunc 2>/dev/null
	sync; echo 3 > /proc/sys/vm/drop_caches
	sha256sum /big
	dd if=/dev/zero of=/gone bs=1M count=4 2>/dev/null; cat /gone > /dev/null; rm /gone
	sync; echo 3 > /proc/sys/vm/drop_caches; echo FORGOT; sleep 4
	cat /big /big > /copy2' > "$T/out" 2> "$T/err" < /dev/null &
vmm=$!
held=unknown
for _ in $(seq 900); do grep -q FORGOT "$T/out" && break; sleep 0.2; done
if grep -q FORGOT "$T/out"; then
	sleep 1
	pid=$(pgrep -P "$vmm" | head -n 1)	# timeout's child: the VMM
	held=$(ls -l "/proc/${pid:-0}/fd" 2>/dev/null | grep -c '/gone (deleted)')
	[ -n "$pid" ] || held=unknown
fi
wait $vmm
rc=$?
sums=$(awk '/  \/big$/ {print $1}' "$T/out" | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$sums" = "$before $before $after " ]; then
	echo "PASS fs-read-big"
else
	echo "FAIL fs-read-big: exit $rc, guest sums '$sums', host $before then $after"
	cat "$T/out" "$T/err" | sed 's/^/    | /' | tail -n 15
fi
if cmp -s "$R/big" "$T/want"; then
	echo "PASS fs-read-big-host-after-write"
else
	echo "FAIL fs-read-big-host-after-write: the host file is not the guest's write"
fi
if [ "$held" = 0 ] && ! grep -q "unusable request" "$T/err"; then
	echo "PASS fs-forget-frees"
else
	echo "FAIL fs-forget-frees: the VMM held $held fds on the removed file; $(grep -m1 'unusable request\|without room' "$T/err")"
fi
bdi=$(awk '$1 == "BDI" {print $2 "/" $3}' "$T/out")
if [ "$bdi" = 1024/100 ]; then
	echo "PASS fs-root-bdi"
else
	echo "FAIL fs-root-bdi: root read_ahead_kb/max_ratio '$bdi', want 1024/100"
fi
if cat "$T/want" "$T/want" | cmp -s - "$R/copy2"; then
	echo "PASS fs-unsynced-write-kept"
else
	echo "FAIL fs-unsynced-write-kept: $(stat -c %s "$R/copy2" 2>&1) bytes of the guest's last write reached the host, want $((24 << 20)) as written"
fi
