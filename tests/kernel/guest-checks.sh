#!/bin/sh
# tests/kernel/guest-checks.sh: runs INSIDE the guest (root = the host's /); prints "KTEST <case> ok|fail|skip <detail>".
# Usage: guest-checks.sh BUILD_DIR IMG_DIR CASE...   (BUILD_DIR and IMG_DIR are absolute host paths seen through virtio-fs)
B=$1 IMG=$2
shift 2
# Scratch space: a tmpfs on a directory of the build tree (made by run.sh), never over /tmp: the
# guest's root is the nested VM's root, and a checkout below /tmp (as CI's clone) must stay visible.
T=$B/tests/kernel/guest-tmp
mount -t tmpfs tmpfs $T || { echo "KTEST setup fail cannot mount a tmpfs on $T"; exit 1; }

res() { echo "KTEST $1 $2 $3"; }

# /dev/kvm exists and runs a long-mode payload to PIO/MMIO/HLT exits: one more level of nesting.
case_nested_kvm() {
	flags=$(grep -m1 -wo -e svm -e vmx /proc/cpuinfo)
	[ -n "$flags" ] || { res kernel-nested-kvm fail "no svm/vmx in the guest's /proc/cpuinfo"; return; }
	[ -c /dev/kvm ] || { res kernel-nested-kvm fail "cpu has $flags but no /dev/kvm"; return; }
	if timeout 600 "$B/tests/kvm/kvm-selftest" > $T/kvm.out 2>&1; then
		res kernel-nested-kvm ok "($flags in the guest, /dev/kvm ran a VM: $(grep -c '^PASS' $T/kvm.out) selftest checks passed)"
	else
		res kernel-nested-kvm fail "$flags and /dev/kvm present, kvm-selftest: $(grep -m1 -e FAIL -e rror $T/kvm.out)"
	fi
}

# Without krun_set_nested_virt the guest sees neither the CPU feature nor /dev/kvm.
case_nested_off() {
	if grep -qw -e svm -e vmx /proc/cpuinfo || [ -e /dev/kvm ]; then
		res kernel-nested-off fail "svm/vmx or /dev/kvm visible without nested virt"
	else
		res kernel-nested-off ok "(no svm/vmx, no /dev/kvm)"
	fi
}

case_bpf() {
	if "$B/tests/kernel/bpf-devcg" > $T/bpf.out 2>&1; then
		res kernel-bpf ok "($(tail -n1 $T/bpf.out | sed 's/^bpf-devcg: //'))"
	else
		res kernel-bpf fail "$(tr '\n' ' ' < $T/bpf.out | cut -c1-300)"
	fi
}

# A magic-number handler: without binfmt_misc the shell would run the file itself ("KRUNBIN: not found").
case_binfmt() {
	d=/proc/sys/fs/binfmt_misc
	[ -e $d/register ] || mount -t binfmt_misc binfmt_misc $d 2>$T/binfmt.err ||
		{ res kernel-binfmt fail "mount binfmt_misc: $(cat $T/binfmt.err)"; return; }
	printf '#!/bin/sh\necho "binfmt-interp ran $1"\n' > $T/interp
	printf 'KRUNBIN\n' > $T/prog.krun
	chmod +x $T/interp $T/prog.krun
	echo ":krun-test:M::KRUNBIN::$T/interp:" > $d/register
	out=$($T/prog.krun 2>&1)
	if [ "$out" = "binfmt-interp ran $T/prog.krun" ] && grep -q enabled $d/krun-test; then
		res kernel-binfmt ok "(registered handler ran $T/prog.krun)"
	else
		res kernel-binfmt fail "got '$out'"
	fi
	echo -1 > $d/krun-test 2>/dev/null
}

case_vsock_loopback() {
	out=$(python3 -c '
import socket
s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
s.bind((1, 5555)); s.listen(1)
c = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
c.connect((1, 5555))
a, peer = s.accept()
c.sendall(b"ping over vsock loopback")
print(a.recv(64).decode(), "peer cid", peer[0])
' 2>&1)
	case "$out" in
	"ping over vsock loopback peer cid 1") res kernel-vsock-loopback ok "(CID 1 stream: $out)" ;;
	*) res kernel-vsock-loopback fail "$(echo "$out" | tail -n1)" ;;
	esac
}

# fs_loop NAME FSTYPE: mount the host-made image through a loop device, write, remount, read back.
fs_loop() {
	name=$1 fs=$2 img=$IMG/$1.img
	grep -qw "$fs" /proc/filesystems || { res kernel-fs-$name fail "$fs not in /proc/filesystems"; return; }
	[ -f "$img" ] || { res kernel-fs-$name fail "no image $img"; return; }
	mkdir -p $T/mnt
	# The loop device's backing file is the host's image, reached through virtio-fs.
	if ! mount -t "$fs" -o loop "$img" $T/mnt 2>$T/mnt.err; then
		res kernel-fs-$name fail "mount -o loop: $(cat $T/mnt.err)"; return
	fi
	dev=$(awk -v m=$T/mnt '$2 == m { print $1 }' /proc/mounts)
	echo "written by the guest on $fs" > $T/mnt/hello.txt
	umount $T/mnt && mount -t "$fs" -o loop,ro "$img" $T/mnt
	got=$(cat $T/mnt/hello.txt 2>&1)
	umount $T/mnt
	if [ "$got" = "written by the guest on $fs" ]; then
		res kernel-fs-$name ok "($fs on $dev: write, remount, read back)"
	else
		res kernel-fs-$name fail "read back '$got'"
	fi
}

# dm-crypt over loop: plaintext in, ciphertext on the backing file, plaintext back.
case_dm_crypt() {
	truncate -s 8M $T/crypt.img
	loop=$(losetup -f --show $T/crypt.img 2>$T/dm.err) || { res kernel-dm-crypt fail "losetup: $(cat $T/dm.err)"; return; }
	key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
	if ! dmsetup --noudevsync create krun-crypt --table "0 16384 crypt aes-xts-plain64 $key 0 $loop 0" 2>$T/dm.err; then
		res kernel-dm-crypt fail "dmsetup: $(cat $T/dm.err)"; losetup -d $loop; return
	fi
	dm=/dev/$(basename "$(readlink -f /sys/block/dm-0 2>/dev/null || echo dm-0)")
	yes KRUNCRYPTMARK | head -c 1048576 > $T/plain
	dd if=$T/plain of=$dm bs=64k oflag=direct 2>/dev/null
	sync
	dd if=$dm of=$T/back bs=64k count=16 iflag=direct 2>/dev/null
	raw=$(head -c 1048576 $T/crypt.img | grep -c KRUNCRYPTMARK)
	dmsetup --noudevsync remove krun-crypt; losetup -d $loop
	if cmp -s $T/plain $T/back && [ "$raw" = 0 ]; then
		res kernel-dm-crypt ok "(aes-xts-plain64 on $loop: plaintext read back, none on the backing file)"
	else
		res kernel-dm-crypt fail "read back differs or plaintext on the backing file ($raw lines)"
	fi
}

for c in "$@"; do
	case $c in
	nested-kvm) case_nested_kvm ;;
	nested-off) case_nested_off ;;
	bpf) case_bpf ;;
	binfmt) case_binfmt ;;
	vsock-loopback) case_vsock_loopback ;;
	fs-ext4) fs_loop ext4 ext4 ;;
	fs-vfat) fs_loop vfat vfat ;;
	fs-xfs) fs_loop xfs xfs ;;
	dm-crypt) case_dm_crypt ;;
	*) res "$c" fail "unknown case" ;;
	esac
done
