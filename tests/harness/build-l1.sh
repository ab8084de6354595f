#!/usr/bin/env bash
# tests/harness/build-l1.sh: builds the nested-VM (L1) kernel and initramfs that with-kvm boots.
#
# Usage: build-l1.sh KERNEL_PKG OUTDIR
# Fetches Debian's generic kernel package KERNEL_PKG with `apt-get download` (nothing is
# installed on the host), takes its vmlinuz and the few modules L1 needs, and packs them
# with the static busybox and l1-init into OUTDIR/initramfs.cpio. OUTDIR is written
# only at the end, through a rename, so a reader never sees half a cache entry.
set -euo pipefail

pkg=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

# Modules L1 needs; their dependencies are added from each module's own "depends" field,
# because the package ships no modules.dep (depmod runs only at install time).
WANT="virtio_pci 9pnet_virtio 9p virtio_console fuse kvm-amd tun dummy"

work=$(mktemp -d "${TMPDIR:-/tmp}/with-kvm-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# apt-get download writes into the current directory; on a stale or empty package list
# the download fails, so refresh the list once and retry.
(
	cd "$work"
	if ! apt-get download -q "$pkg" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		apt-get download -q "$pkg" >/dev/null 2>&1
	fi
) || { echo "with-kvm: cannot download $pkg" >&2; exit 1; }

deb=$(ls "$work"/*.deb)
mkdir -p "$work/x"
# Only the kernel image and the module tree: a full extraction is ~400 MB.
dpkg-deb --fsys-tarfile "$deb" |
	tar -x -C "$work/x" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/*'
rm -f "$deb"

kver=$(ls "$work/x/lib/modules")
moddir="$work/x/lib/modules/$kver/kernel"

# Maps a module name (dashes and underscores are the same to the kernel) to its file.
declare -A path_of
while IFS= read -r f; do
	n=$(basename "$f" .ko)
	path_of[${n//-/_}]=$f
done < <(find "$moddir" -name '*.ko')

# Depth-first: a module goes into the load order after everything it depends on.
order=()
declare -A seen
add_module() {
	local n=${1//-/_} dep deps
	[ -n "${seen[$n]:-}" ] && return 0
	seen[$n]=1
	[ -n "${path_of[$n]:-}" ] || { echo "with-kvm: module $1 not in $pkg" >&2; exit 1; }
	deps=$(modinfo -F depends "${path_of[$n]}")
	for dep in ${deps//,/ }; do
		add_module "$dep"
	done
	order+=("$n")
}
for m in $WANT; do
	add_module "$m"
done

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,host,ctl,lib/modules}
cp /bin/busybox "$root/bin/busybox"
for a in sh mount umount mkdir insmod chroot reboot cat sleep echo ln mknod ls stty sync; do
	ln -s busybox "$root/bin/$a"
done
for n in "${order[@]}"; do
	cp "${path_of[$n]}" "$root/lib/modules/$n.ko"
	echo "$n" >>"$root/lib/modules/order"
done
install -m 0755 "$here/l1-init" "$root/init"

mkdir -p "$work/out"
# QEMU boots an ELF vmlinux through its PVH entry: that skips the xz decompression, which
# costs seconds under TCG. The bzImage holds it as an xz stream after the setup code.
vmlinuz=$(ls "$work"/x/boot/vmlinuz-*)
off=$(grep -abo -m1 $'\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
# Through a file, not a pipe: xz stops reading at the stream's end and tail would fail.
if [ -n "$off" ] && tail -c +$((off + 1)) "$vmlinuz" >"$work/kernel.xz" &&
	xz -dc --single-stream "$work/kernel.xz" >"$work/out/kernel" 2>/dev/null &&
	[ "$(head -c 4 "$work/out/kernel")" = $'\x7fELF' ]; then
	:
else
	cp "$vmlinuz" "$work/out/kernel"
fi
# Uncompressed: QEMU copies it in at memcpy speed, while gunzip would run under TCG.
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/out/initramfs.cpio"
echo "$pkg $kver" >"$work/out/info"

mkdir -p "$(dirname "$out")"
rm -rf "$out.tmp.$$"
mv "$work/out" "$out.tmp.$$"
mv -T "$out.tmp.$$" "$out" 2>/dev/null || rm -rf "$out.tmp.$$"
