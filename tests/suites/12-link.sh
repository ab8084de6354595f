#!/usr/bin/env bash
# tests/suites/12-link.sh: installs into a scratch root and builds a client with pkg-config against it:
# every public symbol links, only krun_* is exported, SONAME and the install layout match upstream.
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=/usr/local
root=$tmp/root
lib=$root$prefix/lib64

fail() { echo "FAIL $1: $2"; }

if ! make --no-print-directory -s install DESTDIR="$root" PREFIX=$prefix >"$tmp/install.log" 2>&1; then
	fail link/install "make install failed: $(tail -3 "$tmp/install.log" | tr '\n' ' ')"
	exit 1
fi

# Layout: the real file, both symlinks, three headers, the .pc file.
missing=
for f in lib64/libkrun.so.1.19.0 include/libkrun.h include/libkrun_display.h \
	 include/libkrun_input.h lib64/pkgconfig/libkrun.pc; do
	[ -f "$root$prefix/$f" ] || missing="$missing $f"
done
[ "$(readlink "$lib/libkrun.so.1")" = libkrun.so.1.19.0 ] || missing="$missing lib64/libkrun.so.1->libkrun.so.1.19.0"
[ "$(readlink "$lib/libkrun.so")" = libkrun.so.1.19.0 ] || missing="$missing lib64/libkrun.so->libkrun.so.1.19.0"
if [ -z "$missing" ]; then echo "PASS link/layout"; else fail link/layout "missing:$missing"; fi

soname=$(readelf -d "$lib/libkrun.so.1.19.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = libkrun.so.1 ]; then echo "PASS link/soname"; else fail link/soname "SONAME is '$soname'"; fi

exports=$(nm -D --defined-only "$lib/libkrun.so.1.19.0" | awk '{print $3}')
stray=$(grep -v '^krun_' <<<"$exports" | tr '\n' ' ')
count=$(grep -c '^krun_' <<<"$exports")
if [ -z "$stray" ] && [ "$count" -eq 68 ]; then
	echo "PASS link/exports ($count krun_* symbols, nothing else)"
else
	fail link/exports "$count krun_* symbols; non-krun exports: ${stray:-none}"
fi

# The sysroot variable makes pkg-config prefix the .pc paths with the scratch root.
flags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_LIBDIR=$lib/pkgconfig \
	pkg-config --cflags --libs libkrun) || { fail link/pkg-config "pkg-config failed"; exit 1; }
# A sanitizer build (make SANITIZE=...) of the library needs its runtimes first in the program
# that links it: such a caller is built with the same sanitizers.
ldd "$lib/libkrun.so.1.19.0" | grep -q 'libasan\.so' && flags="$flags -fsanitize=address"
ldd "$lib/libkrun.so.1.19.0" | grep -q 'libubsan\.so' && flags="$flags -fsanitize=undefined"
# shellcheck disable=SC2086
if ! ${CC:-gcc} -std=gnu11 -Wall -Wextra -Werror tests/link/all-symbols.c $flags \
	-Wl,-rpath,"$lib" -o "$tmp/all-symbols" 2>"$tmp/cc.log"; then
	fail link/all-symbols "does not link: $(head -5 "$tmp/cc.log" | tr '\n' ' ')"
	exit 1
fi
if out=$("$tmp/all-symbols") && grep -q '^PASS' <<<"$out"; then
	echo "PASS link/all-symbols: ${out#PASS }"
else
	fail link/all-symbols "$out"
fi

# C++ callers include the headers too.
if command -v "${CXX:-g++}" >/dev/null; then
	printf '#include <libkrun.h>\n#include <libkrun_display.h>\n#include <libkrun_input.h>\nint main() { return krun_has_feature(KRUN_FEATURE_INIT_BLOB) == 1 ? 0 : 1; }\n' >"$tmp/cxx.cc"
	# shellcheck disable=SC2086
	if "${CXX:-g++}" -Wall -Werror "$tmp/cxx.cc" $flags -Wl,-rpath,"$lib" -o "$tmp/cxx" 2>"$tmp/cxx.log" &&
	   "$tmp/cxx"; then
		echo "PASS link/cxx-headers"
	else
		fail link/cxx-headers "$(head -3 "$tmp/cxx.log" | tr '\n' ' ')"
	fi
fi

# "make install PREFIX=/usr" after a build with the default prefix: the installed .pc says /usr.
root2=$tmp/root2
if make --no-print-directory -s install DESTDIR="$root2" PREFIX=/usr >"$tmp/install2.log" 2>&1 &&
   pc=$root2/usr/lib64/pkgconfig && [ -f "$pc/libkrun.pc" ]; then
	got="$(PKG_CONFIG_PATH=$pc PKG_CONFIG_LIBDIR=$pc pkg-config --variable=prefix libkrun) $(PKG_CONFIG_PATH=$pc PKG_CONFIG_LIBDIR=$pc pkg-config --libs libkrun)"
	got=${got%% }
	if [ "$got" = "/usr -L/usr/lib64 -lkrun" ]; then echo "PASS link/pc-install-prefix"
	else fail link/pc-install-prefix "installed libkrun.pc gives '$got'"; fi
else
	fail link/pc-install-prefix "make install PREFIX=/usr failed: $(tail -3 "$tmp/install2.log" | tr '\n' ' ')"
fi
