#!/usr/bin/env bash
# tests/e2e/blk.sh: virtio-blk end to end (raw and qcow2 images, read-only, flush, discard, root on a disk); run under tests/harness/with-kvm.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/tests/e2e/krun-run
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ONLY=${TEST_ONLY:-}
R=$T/rootfs
cp -a "$B/rootfs" "$R"
# Host-side image tools live in /sbin on Debian.
PATH=$PATH:/usr/sbin:/sbin

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; sed 's/^/    | /' "$T/out" 2>/dev/null | tail -n 15; }
want() { [ -z "$ONLY" ] || grep -qw -- "$1" <<<"$ONLY"; }

# vm [krun-run options] -- CMD...: the test rootfs over virtio-fs plus disks; output in $T/out.
vm() {
	timeout -k 5 ${TEST_TIMEOUT:-180} "$RUN" --root "$R" "$@" > "$T/out" 2>&1 < /dev/null
}

# mkext4 IMG SIZE DIR: an ext4 image holding DIR, made on the host.
mkext4() {
	rm -f "$1"
	mkfs.ext4 -q -F -E nodiscard -d "$3" "$1" "$2"
}

case_blk_raw_rw() {
	local rc sum
	mkdir -p "$T/seed" && echo "host-wrote-this" > "$T/seed/hello.txt"
	mkext4 "$T/raw.img" 64M "$T/seed"
	vm --disk "vda:$T/raw.img:raw:0:2" -- /bin/sh -c 'mount -t ext4 /dev/vda /mnt &&
		cat /mnt/hello.txt && echo "serial=$(cat /sys/block/vda/serial)" &&
		/bin/probe write /mnt/guest.bin 16 && umount /mnt && echo guest-done'
	rc=$?
	debugfs -R "dump /guest.bin $T/guest.bin" "$T/raw.img" > /dev/null 2>&1
	sum=$(sha256sum "$T/guest.bin" 2>/dev/null | cut -d' ' -f1)
	if [ $rc -eq 0 ] && grep -qx host-wrote-this "$T/out" && grep -qx serial=vda "$T/out" &&
	   grep -q guest-done "$T/out" && [ -n "$sum" ] && grep -q "$sum" "$T/out" &&
	   [ "$(stat -c %s "$T/guest.bin")" -eq $((16 << 20)) ]; then
		pass blk-raw-rw
	else
		fail blk-raw-rw "exit $rc, host file or serial differs (sha256 ${sum:-none})"
	fi
	rm -f "$T/guest.bin"
}

case_blk_readonly() {
	local rc before after
	mkdir -p "$T/seed" && echo "host-wrote-this" > "$T/seed/hello.txt"
	mkext4 "$T/ro.img" 32M "$T/seed"
	before=$(sha256sum "$T/ro.img")
	vm --disk "vda:$T/ro.img:raw:1:2" -- /bin/sh -c 'echo "ro=$(cat /sys/block/vda/ro)";
		mount -t ext4 -o ro /dev/vda /mnt && cat /mnt/hello.txt;
		dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct 2>/dev/null && echo WRITE-ACCEPTED;
		mount -o remount,rw /mnt 2>/dev/null && echo REMOUNT-RW; echo guest-done'
	rc=$?
	after=$(sha256sum "$T/ro.img")
	if [ $rc -eq 0 ] && grep -qx ro=1 "$T/out" && grep -qx host-wrote-this "$T/out" &&
	   ! grep -q -e WRITE-ACCEPTED -e REMOUNT-RW "$T/out" && grep -q guest-done "$T/out" &&
	   [ "$before" = "$after" ]; then
		pass blk-readonly
	else
		fail blk-readonly "exit $rc, read-only disk written or unreadable"
	fi
}

# After the guest's sync returns, SIGKILL the VMM: what was flushed is in the image.
flush_durable() { # NAME IMG FORMAT
	local name=$1 img=$2 fmt=$3 pid i ok=0
	head -c $((8 << 20)) /dev/urandom > "$R/pattern"
	# No timeout(1) in between: the SIGKILL must hit the VMM itself.
	"$RUN" --root "$R" --disk "vda:$img:$fmt:0:2" -- /bin/sh -c \
		'dd if=/pattern of=/dev/vda bs=1M seek=3 2>/dev/null && sync && echo SYNCED && sleep 600' \
		> "$T/out" 2>&1 < /dev/null &
	pid=$!
	for i in $(seq 1200); do grep -q SYNCED "$T/out" && break; sleep 0.1; done
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ "$fmt" = qcow2 ]; then
		qemu-img check -q "$img" >> "$T/out" 2>&1 &&
			qemu-img convert -f qcow2 -O raw "$img" "$T/flushed.raw" && img=$T/flushed.raw
	fi
	dd if="$img" of="$T/region" bs=1M skip=3 count=8 2>/dev/null
	grep -q SYNCED "$T/out" && cmp -s "$T/region" "$R/pattern" && ok=1
	[ $ok -eq 1 ] && pass "$name" || fail "$name" "flushed data not in the image after SIGKILL"
	rm -f "$R/pattern" "$T/flushed.raw" "$T/region"
}

case_blk_flush_durable() {
	truncate -s 64M "$T/durable.img"
	flush_durable blk-flush-durable "$T/durable.img" raw
	qemu-img create -q -f qcow2 "$T/durable.qcow2" 64M
	flush_durable blk-flush-durable-qcow2 "$T/durable.qcow2" qcow2
}

# 64 MiB and some odd-sized writes plus a discard from the guest, the same done to a raw file on
# the host: qemu-img finds the qcow2 image consistent and equal to the raw one.
case_blk_qcow2() {
	local rc cmp_out
	head -c $((64 << 20)) /dev/urandom > "$R/p64"
	qemu-img create -q -f qcow2 "$T/q.qcow2" 128M && truncate -s 128M "$T/q.raw"
	vm --disk "vda:$T/q.qcow2:qcow2:0:2" -- /bin/sh -c '
		dd if=/p64 of=/dev/vda bs=1M seek=5 2>/dev/null &&
		dd if=/p64 of=/dev/vda bs=512 skip=3 seek=200001 count=77 conv=notrunc 2>/dev/null &&
		dd if=/p64 of=/dev/vda bs=4096 skip=9 seek=30001 count=5 conv=notrunc 2>/dev/null &&
		blkdiscard -o 16777216 -l 8388608 /dev/vda && sync && echo guest-done'
	rc=$?
	dd if="$R/p64" of="$T/q.raw" bs=1M seek=5 conv=notrunc 2>/dev/null
	dd if="$R/p64" of="$T/q.raw" bs=512 skip=3 seek=200001 count=77 conv=notrunc 2>/dev/null
	dd if="$R/p64" of="$T/q.raw" bs=4096 skip=9 seek=30001 count=5 conv=notrunc 2>/dev/null
	dd if=/dev/zero of="$T/q.raw" bs=1M seek=16 count=8 conv=notrunc 2>/dev/null
	rm -f "$R/p64"
	if [ $rc -eq 0 ] && grep -q guest-done "$T/out" && qemu-img check -q "$T/q.qcow2" >> "$T/out" 2>&1 &&
	   cmp_out=$(qemu-img compare -f qcow2 -F raw "$T/q.qcow2" "$T/q.raw" 2>&1); then
		pass "blk-qcow2 (qemu-img check clean, identical to raw; $(du -k "$T/q.qcow2" | cut -f1) KiB allocated)"
	else
		echo "${cmp_out:-}" >> "$T/out"
		fail blk-qcow2 "exit $rc, qemu-img check or compare failed"
	fi
}

# Discarded ranges are deallocated in the host file and read back as zeroes.
case_blk_discard() {
	local rc before after
	head -c $((32 << 20)) /dev/urandom > "$T/discard.img"
	before=$(stat -c %b "$T/discard.img")
	vm --disk "vda:$T/discard.img:raw:0:2" -- /bin/sh -c \
		'echo "gran=$(cat /sys/block/vda/queue/discard_granularity)";
		blkdiscard -o 4194304 -l 16777216 /dev/vda && echo discarded'
	rc=$?
	after=$(stat -c %b "$T/discard.img")
	# (No <(...) here: the nested VM has no /dev/fd.)
	dd if="$T/discard.img" of="$T/mid" bs=1M skip=4 count=16 2>/dev/null
	dd if="$T/discard.img" of="$T/head" bs=1M count=4 2>/dev/null
	head -c $((16 << 20)) /dev/zero > "$T/zero"
	if [ $rc -eq 0 ] && grep -q discarded "$T/out" && [ $((before - after)) -ge $((16 << 11)) ] &&
	   cmp -s "$T/mid" "$T/zero" && ! cmp -s -n $((4 << 20)) "$T/head" "$T/zero"; then
		pass "blk-discard ($(( (before - after) / 2048 )) MiB deallocated)"
	else
		fail blk-discard "exit $rc, blocks $before -> $after"
	fi
}

# Upstream's root-disk-remount: the disk becomes /, the init that started from the stand-in root is gone.
case_blk_root_remount() {
	local rc fstype
	cp -a "$R" "$T/diskroot" && echo marker > "$T/diskroot/block-marker"
	mkext4 "$T/root.img" 64M "$T/diskroot"
	for fstype in ext4 auto; do
		timeout -k 5 180 "$RUN" --disk "vda:$T/root.img:raw:0:2" --root-disk-remount "/dev/vda:$fstype" \
			-- /bin/sh -c 'test -e /block-marker && ! test -e /init.krun && grep -q "^/dev/vda / ext4" /proc/mounts &&
			test -e /proc/self/status && test -c /dev/null && test -d /sys/block/vda && echo REMOUNT-OK; exit 7' \
			> "$T/out" 2>&1 < /dev/null
		rc=$?
		if [ $rc -ne 7 ] || ! grep -q REMOUNT-OK "$T/out"; then
			fail blk-root-remount "fstype $fstype: exit $rc (want 7), marker or mounts wrong"
			return
		fi
	done
	pass "blk-root-remount (ext4 and probed; exit code 7 carried)"
}

for c in blk_raw_rw blk_readonly blk_flush_durable blk_discard blk_root_remount blk_qcow2; do
	want "${c//_/-}" && "case_$c"
done
exit 0
