#!/usr/bin/env bash
# kernel/build.sh: builds the guest kernel from Debian's linux-source-6.1 into $CACHE_DIR/kernel/<key>/.
#
# Usage: kernel/build.sh [--debug] [--print-dir | --dir-only | --config-only | --check-config FILE]
#   (no action)     build if not cached, then print a summary
#   --print-dir     build if not cached (progress on stderr), print the output directory on stdout
#   --dir-only      print the output directory without building (cheap; for Makefile parse time)
#   --config-only   only produce and check the .config (in the object directory), print its path
#   --check-config F  check that F satisfies every required option of the fragment(s)
#   --debug (or KERNEL_DEBUG=1): variant that adds a 16550 console on 0x3f8 and early printk
#
# The output directory holds vmlinux, bzImage, .config and build-time.txt. Its key hashes every
# input (Debian package version, fragments, this script, variant), so a fresh clone reuses it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libkrun-c}
tarball=${KERNEL_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
jobs=${KERNEL_JOBS:-2}
variant=normal
[ "${KERNEL_DEBUG:-0}" = 1 ] && variant=debug
action=build
check_file=

while [ $# -gt 0 ]; do
	case "$1" in
	--debug) variant=debug ;;
	--print-dir) action=print-dir ;;
	--dir-only) action=dir-only ;;
	--config-only) action=config-only ;;
	--check-config) action=check-config; check_file=${2:?--check-config needs a file}; shift ;;
	-h|--help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "kernel/build.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

fragments=("$here/config-x86_64.fragment")
[ "$variant" = debug ] && fragments+=("$here/config-x86_64-debug.fragment")

log() { echo "kernel/build.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# required_options: "SYMBOL VALUE" per line, VALUE "n" for "is not set"; later fragments override.
required_options()
{
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' \
	       -e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 n/p' "${fragments[@]}" |
		awk '{ val[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
		     END { for (i = 0; i < n; i++) print order[i], val[order[i]] }'
}

# check_config FILE: every required option must have resolved exactly as the fragment asks.
check_config()
{
	local cfg=$1 sym want got bad=0

	[ -r "$cfg" ] || die "no config file $cfg"
	while read -r sym want; do
		got=$(sed -n -e "s/^$sym=\(.*\)$/\1/p" -e "s/^# $sym is not set$/n/p" "$cfg" | tail -n1)
		[ -n "$got" ] || got=n
		# Kconfig writes hex values as given; compare numerically when both are numbers.
		if [ "$got" != "$want" ]; then
			if [[ $got =~ ^(0x)?[0-9a-fA-F]+$ && $want =~ ^(0x)?[0-9a-fA-F]+$ ]] &&
			   [ $((got)) -eq $((want)) ]; then
				continue
			fi
			echo "required $sym=$want but got $got" >&2
			bad=1
		fi
	done < <(required_options)
	return $bad
}

if [ "$action" = check-config ]; then
	check_config "$check_file" && exit 0
	die "$check_file does not satisfy the fragment(s) (variant $variant)"
fi

# The key must be computable (for --dir-only) even where the source package is not installed yet.
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	srcver=$(stat -c %s-%Y "$tarball" 2>/dev/null) || srcver=missing
key=$( { echo "$srcver"; echo "$variant"; cat "${fragments[@]}" "$0"; } | sha256sum | cut -c1-16)
out="$cache/kernel/$key"

if [ "$action" = dir-only ]; then
	echo "$out"
	exit 0
fi
if [ "$action" != config-only ] && [ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ]; then
	[ "$action" = print-dir ] && echo "$out" || log "cached: $out ($(cat "$out/build-time.txt" 2>/dev/null))"
	exit 0
fi

[ -r "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.1)"
mkdir -p "$cache/kernel"
# One build at a time: a make running --print-dir waits for a build already under way.
exec 9>"$cache/kernel/.lock"
if ! flock -n 9; then
	log "waiting for another kernel build to finish"
	flock 9
fi
if [ "$action" != config-only ] && [ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ]; then
	[ "$action" = print-dir ] && echo "$out"
	exit 0
fi

# Extract once per source version; the rename makes a half-extracted tree impossible to reuse.
src="$cache/kernel/src-$srcver"
if [ ! -f "$src/Makefile" ]; then
	log "extracting $tarball"
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	rm -rf "$src"
	mv "$src.tmp" "$src"
fi

# The object directory is kept per source version and variant so a fragment edit rebuilds incrementally.
# "-compact": trees built with the linker-script overlay below (never mixed with trees built without).
obj="$cache/kernel/obj-$srcver-$variant-compact"
mkdir -p "$obj"

# Compact layout: x86_64's linker script puts the entry text on its own 2 MiB-aligned block, which
# only page-table isolation needs (it clones that block into the user page tables at PMD level).
# With PTI off (the fragment requires it) page alignment is enough, and the bundle loses up to
# 4 MiB of zero padding. Kbuild finds sources in the object tree before $srctree (VPATH), so a
# changed copy of the script in $obj replaces the original without touching the shared source tree.
lds=arch/x86/kernel/vmlinux.lds.S
mkdir -p "$obj/${lds%/*}"
sed -e '/^#define ALIGN_ENTRY_TEXT_\(BEGIN\|END\)/s/ALIGN(PMD_SIZE)/ALIGN(PAGE_SIZE)/' "$src/$lds" > "$obj/$lds.new"
[ "$(diff "$src/$lds" "$obj/$lds.new" | grep -c '^>')" = 2 ] || die "$lds: entry-text alignment lines not found"
cmp -s "$obj/$lds.new" "$obj/$lds" && rm -f "$obj/$lds.new" || mv "$obj/$lds.new" "$obj/$lds"
kmake=(make -C "$src" O="$obj" ARCH=x86_64 KBUILD_BUILD_USER=root KBUILD_BUILD_HOST=libkrun-c
       KBUILD_BUILD_TIMESTAMP="linux-source $srcver")

start=$(date +%s)
"${kmake[@]}" -s tinyconfig > "$obj/tinyconfig.log" 2>&1 || { cat "$obj/tinyconfig.log" >&2; die "make tinyconfig failed"; }
# Later assignments override earlier ones when Kconfig reads a .config.
cat "${fragments[@]}" >> "$obj/.config"
"${kmake[@]}" -s olddefconfig 2>&1 | { grep -v -e 'override: reassigning' -e 'changes choice state' || true; } >&2
check_config "$obj/.config" || die "required options did not resolve (see above); config in $obj/.config"
if [ "$action" = config-only ]; then
	echo "$obj/.config"
	exit 0
fi

log "building $variant kernel (-j$jobs) in $obj"
"${kmake[@]}" -j"$jobs" vmlinux bzImage >&2
secs=$(( $(date +%s) - start ))

# Publish atomically: the files are copied into a private directory first, then one rename makes
# the whole set appear. A directory left by an older build (or by a make that deleted one file of
# it on interruption) is moved aside first, so a reader never sees a half-written entry.
tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$obj/vmlinux" "$obj/arch/x86/boot/bzImage" "$obj/.config" "$tmp/"
printf '%dm%02ds (make -j%s, %s variant, linux-source %s)\n' $((secs / 60)) $((secs % 60)) \
	"$jobs" "$variant" "$srcver" > "$tmp/build-time.txt"
chmod 755 "$tmp"
if [ -e "$out" ]; then
	old=$(mktemp -d "$out.old.XXXXXX")
	mv -T "$out" "$old/dir" && rm -rf "$old"
fi
mv -T "$tmp" "$out"
trap - EXIT
log "built in $(cat "$out/build-time.txt")"
log "vmlinux $(stat -c %s "$out/vmlinux") bytes, bzImage $(stat -c %s "$out/bzImage") bytes -> $out"
[ "$action" = print-dir ] && echo "$out"
exit 0
