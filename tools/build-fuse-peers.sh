#!/usr/bin/env bash
# tools/build-fuse-peers.sh: builds libfuse's passthrough_ll and passthrough_hp examples from Debian's fuse3 source package, cached by version.
# Prints the directory holding both binaries. The peers of bench/fuse/bench.sh: built against Debian's
# libfuse3 (libfuse3-dev), so they run the same library a distribution user gets. The cache key covers
# the source version and this script; a warm run costs one apt-cache call.
set -eu
cd "$(dirname "$0")/.."
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libkrun-c}
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# Debian's apt sources carry no deb-src lines by default; add them once (same mirrors).
ensure_deb_src() {
	local f=/etc/apt/sources.list.d/debian-src.sources
	apt-cache showsrc fuse3 2>/dev/null | grep -q '^Version:' && return 0
	[ -e "$f" ] || $SUDO tee "$f" >/dev/null <<'SRC'
# deb-src for Debian's archive: tools/build-*.sh build peers from Debian's source packages.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	$SUDO apt-get update -qq
}

ensure_deb_src
version=$(apt-cache showsrc fuse3 | sed -n 's/^Version: //p' | sort -V | tail -n 1)
key=$( { echo "$version"; cat "$0"; } | sha256sum | cut -c1-16)
out=$CACHE_DIR/fuse-peers/$key
if [ -x "$out/passthrough_ll" ] && [ -x "$out/passthrough_hp" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$CACHE_DIR/fuse-peers"
exec 9>"$CACHE_DIR/fuse-peers/.lock"
flock 9
[ -x "$out/passthrough_hp" ] && { echo "$out"; exit 0; }
echo "build-fuse-peers: building passthrough_ll/_hp from fuse3 $version (once)" >&2
pkg-config --exists fuse3 && command -v g++ >/dev/null ||
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libfuse3-dev g++ pkg-config >&2
work=$(mktemp -d "$CACHE_DIR/fuse-peers/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -qq "fuse3=$version") >/dev/null 2>&1
ex=$(find "$work" -maxdepth 2 -type d -name example | head -n 1)
mkdir -p "$work/out"
# What libfuse's meson build puts in config.h on Linux: without them the examples leave out
# utimens, xattrs, fallocate and copy_file_range.
have="-DHAVE_UTIMENSAT -DHAVE_SETXATTR -DHAVE_FALLOCATE -DHAVE_POSIX_FALLOCATE -DHAVE_COPY_FILE_RANGE"
gcc -O2 -D_FILE_OFFSET_BITS=64 $have $(pkg-config --cflags fuse3) "$ex/passthrough_ll.c" \
	-o "$work/out/passthrough_ll" $(pkg-config --libs fuse3) -lpthread
g++ -O2 -std=c++17 $have $(pkg-config --cflags fuse3) -I"$ex" "$ex/passthrough_hp.cc" \
	-o "$work/out/passthrough_hp" $(pkg-config --libs fuse3) -lpthread
rm -rf "$out"
mv "$work/out" "$out"
echo "$out"
