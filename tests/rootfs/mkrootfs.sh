#!/usr/bin/env bash
# tests/rootfs/mkrootfs.sh: builds the test guest root (busybox-static + probe) into a directory.
# Usage: mkrootfs.sh OUTDIR BUSYBOX [PROBE]. Rebuilds OUTDIR from scratch, atomically.
set -eu
out=$1 busybox=$2 probe=${3:-}
tmp=$out.tmp.$$
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,root,dev,proc,sys,run,var/tmp,mnt}
# /tmp is world-writable with the sticky bit, as programs expect.
install -d -m 1777 "$tmp/tmp"
install -m 0755 "$busybox" "$tmp/bin/busybox"
# One symlink per applet at its canonical path (bin/sh, usr/bin/md5sum, sbin/ifconfig, ...).
"$busybox" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$tmp/$(dirname "$applet")"
	ln -sf /bin/busybox "$tmp/$applet"
done
[ -n "$probe" ] && install -m 0755 "$probe" "$tmp/bin/probe"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tmp/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$tmp/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$tmp/etc/hosts"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
