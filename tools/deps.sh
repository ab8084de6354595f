#!/usr/bin/env bash
# tools/deps.sh: installs the Debian packages the build and the tests need (idempotent).
set -eu
cd "$(dirname "$0")"
mapfile -t pkgs < <(sed -e 's/#.*//' -e '/^\s*$/d' packages.txt)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
