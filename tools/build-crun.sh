#!/usr/bin/env bash
# tools/build-crun.sh: builds Debian 12's crun source package with --with-libkrun against our libkrun.h, cached.
# Prints the path of the crun binary. The cache key covers the source package version, this script
# and include/libkrun.h, so a warm run costs one apt-cache call. crun dlopens libkrun.so.1 at run
# time: LD_LIBRARY_PATH (or an install) decides which libkrun it gets, not this build.
set -eu
cd "$(dirname "$0")/.."
REPO=$PWD
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libkrun-c}
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# Debian's own apt sources carry no deb-src lines by default; add them once (same mirrors).
ensure_deb_src() {
	local f=/etc/apt/sources.list.d/debian-src.sources
	apt-cache showsrc crun >/dev/null 2>&1 && apt-cache showsrc crun | grep -q '^Version:' && return 0
	[ -e "$f" ] || $SUDO tee "$f" >/dev/null <<'SRC'
# deb-src for Debian's archive: tools/build-crun.sh builds crun from Debian's source package.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	$SUDO apt-get update -qq
}

ensure_deb_src
version=$(apt-cache showsrc crun | sed -n 's/^Version: //p' | sort -V | tail -n 1)
key=$( { echo "$version"; cat "$0" include/libkrun.h; } | sha256sum | cut -c1-16)
out=$CACHE_DIR/crun/$key
if [ -x "$out/crun" ]; then
	echo "$out/crun"
	exit 0
fi

mkdir -p "$CACHE_DIR/crun"
exec 9>"$CACHE_DIR/crun/.lock"
flock 9
[ -x "$out/crun" ] && { echo "$out/crun"; exit 0; }
echo "build-crun: building crun $version with --with-libkrun (a few minutes, once)" >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get build-dep -y -qq "crun=$version" >&2
work=$(mktemp -d "$CACHE_DIR/crun/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -qq "crun=$version") >&2 2>&1
src=$(find "$work" -maxdepth 1 -type d -name 'crun-*' | head -n 1)
# Debian's rules call plain dh: add the configure switch, point the headers at ours.
cat >> "$src/debian/rules" <<'RULES'

override_dh_auto_configure:
	dh_auto_configure -- --with-libkrun
RULES
(cd "$src" && DEB_BUILD_OPTIONS="nocheck nodoc parallel=$(nproc)" \
	DEB_CPPFLAGS_APPEND="-I$REPO/include" dpkg-buildpackage -b -uc -us -nc) > "$work/build.log" 2>&1 || {
	tail -n 30 "$work/build.log" >&2
	exit 1
}
"$src/debian/tmp/usr/bin/crun" --version | grep -q '+LIBKRUN' || { echo "build-crun: no +LIBKRUN in --version" >&2; exit 1; }
mkdir -p "$out.tmp"
install -m 0755 "$src/debian/tmp/usr/bin/crun" "$out.tmp/crun"
echo "$version" > "$out.tmp/version"
mv "$out.tmp" "$out"
echo "$out/crun"
