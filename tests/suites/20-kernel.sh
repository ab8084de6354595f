#!/usr/bin/env bash
# tests/suites/20-kernel.sh: the cached guest kernel's .config keeps every required option, and libkrunfw.so.5 is well formed.
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
# libkrunfw.so.5 must stay small enough to ship and dlopen quickly.
max_krunfw=$((12 << 20))

# check_variant NAME [--debug]: the variant's cached .config satisfies its fragment(s).
check_variant()
{
	local name=$1 dir why
	shift
	dir=$(kernel/build.sh --dir-only "$@")
	if [ ! -f "$dir/.config" ]; then
		echo "SKIP kernel/config-$name: $dir not built (kernel/build.sh $*)"
		return
	fi
	if why=$(kernel/build.sh --check-config "$dir/.config" "$@" 2>&1); then
		echo "PASS kernel/config-$name"
	else
		echo "FAIL kernel/config-$name: $(echo "$why" | tr '\n' ' ')"
	fi
	for f in vmlinux bzImage build-time.txt; do
		if [ ! -s "$dir/$f" ]; then
			echo "FAIL kernel/artifacts-$name: $dir/$f missing"
			return
		fi
	done
	echo "PASS kernel/artifacts-$name"
}

# The normal variant is what libkrunfw bundles, so `make check` always has it.
dir=$(kernel/build.sh --dir-only)
if [ -f "$dir/.config" ]; then
	check_variant normal
else
	echo "FAIL kernel/config-normal: $dir not built (run make)"
fi
check_variant debug --debug

# A config that lost a required option must be caught by the same check.
tmp=$(mktemp)
if [ -f "$dir/.config" ]; then
	sed -e 's/^CONFIG_VIRTIO_FS=y$/# CONFIG_VIRTIO_FS is not set/' "$dir/.config" > "$tmp"
	if kernel/build.sh --check-config "$tmp" >/dev/null 2>&1; then
		echo "FAIL kernel/check-catches-missing: a config without VIRTIO_FS passed"
	else
		echo "PASS kernel/check-catches-missing"
	fi
fi
rm -f "$tmp"

# The bundle holds every PT_LOAD segment's file bytes at (p_paddr - load address).
bin=$build/krunfw/kernel.bin
vmlinux=$(cat "$build/krunfw/kernel-dir" 2>/dev/null)/vmlinux
if [ -f "$bin" ] && [ -f "$vmlinux" ]; then
	bad= load=
	while read -r off paddr filesz; do
		[ -n "$load" ] || load=$((paddr))
		[ $((filesz)) -gt 0 ] || continue
		cmp -s -n $((filesz)) -i $((off)):$((paddr - load)) "$vmlinux" "$bin" || bad="$bad $paddr"
	done < <(readelf -lW "$vmlinux" | awk '$1 == "LOAD" { print $2, $4, $5 }' | sort -k2,2)
	if [ -z "$bad" ] && [ $(( $(stat -c %s "$bin") % 65536 )) -eq 0 ]; then
		echo "PASS krunfw/bundle-layout"
	else
		echo "FAIL krunfw/bundle-layout: segments at$bad differ or size not 64 KiB granular"
	fi
else
	echo "SKIP krunfw/bundle-layout: no $bin or $vmlinux"
fi

so=$build/libkrunfw.so.5
if [ ! -e "$so" ]; then
	echo "FAIL krunfw/library: $so missing (run make)"
	exit 0
fi
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = libkrunfw.so.5 ]; then
	echo "PASS krunfw/soname"
else
	echo "FAIL krunfw/soname: got '$soname'"
fi
exports=$(nm -D --defined-only "$so" | awk '{ print $3 }' | sort | tr '\n' ' ')
if [ "$exports" = "krunfw_get_kernel krunfw_get_version " ]; then
	echo "PASS krunfw/exports"
else
	echo "FAIL krunfw/exports: $exports"
fi
size=$(stat -L -c %s "$so")
if [ "$size" -le "$max_krunfw" ]; then
	echo "PASS krunfw/size ($size bytes)"
else
	echo "FAIL krunfw/size: $size bytes > $max_krunfw"
fi
