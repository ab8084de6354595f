#!/usr/bin/env bash
# tests/suites/30-fuse.sh: mounts temp dirs through the library's FUSE server (/dev/fuse adapter) and runs conformance, escape and read-only checks.
set -u
B=${BUILD:-build}/tests/fuse
for bin in fuse-host-mount fuse-conformance fuse-escape fuse-posix; do
	if [ ! -x "$B/$bin" ]; then
		echo "SKIP fuse: $B/$bin not built (make check builds it)"
		exit 0
	fi
done
if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then
	echo "SKIP fuse: needs root and /dev/fuse"
	exit 0
fi

base=$(mktemp -d /var/tmp/krun-fuse.XXXXXX)
chmod 755 "$base"
mkdir -p "$base/share/src" "$base/share/outside" "$base/mnt" "$base/ro-src" "$base/ro-mnt"
printf 'top secret\n' >"$base/share/outside/secret"
chmod 600 "$base/share/outside/secret"
pids=()

# mount_share ARGS... SRC MNT: start the adapter and wait for "ready".
mount_share() {
	local mnt=${*: -1} log
	log=$(mktemp "$base/log.XXXXXX")
	"$B/fuse-host-mount" "$@" >"$log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do
		grep -q ready "$log" && mountpoint -q "$mnt" && return 0
		sleep 0.1
	done
	echo "FAIL fuse/mount: $(cat "$log")"
	return 1
}

cleanup() {
	for m in "$base/mnt" "$base/ro-mnt" "$base/always-mnt" "$base/never-mnt"; do
		mountpoint -q "$m" && umount "$m" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$base"
}
trap cleanup EXIT

rc=0
if mount_share -O "$base/share/src" "$base/mnt"; then
	echo "PASS fuse/mount"
	"$B/fuse-conformance" "$base/mnt" "$base/share/src" overlay || rc=1
	"$B/fuse-escape" "$base/mnt" "$base/share/src" "$base/share/outside" || rc=1
	"$B/fuse-posix" "$base/mnt" "$base/share/src" || rc=1
	# The same conformance checks as an unprivileged uid, in a directory it owns.
	mkdir "$base/mnt/uid4321" && chown 4321:4321 "$base/mnt/uid4321" &&
		setpriv --reuid=4321 --regid=4321 --clear-groups \
			"$B/fuse-conformance" "$base/mnt/uid4321" "$base/share/src/uid4321" || rc=1
	umount "$base/mnt" && echo "PASS fuse/umount" || { echo "FAIL fuse/umount"; rc=1; }
else
	rc=1
fi

# The root share's policy (cache=always: writeback cache, kept page cache, FLUSH off) and
# cache=never pass the same conformance and POSIX checks (cases prefixed always/, never/).
for pol in always never; do
	mkdir -p "$base/$pol-src" "$base/$pol-mnt"
	if mount_share -c $pol "$base/$pol-src" "$base/$pol-mnt"; then
		{ "$B/fuse-conformance" "$base/$pol-mnt" "$base/$pol-src" &&
			"$B/fuse-posix" "$base/$pol-mnt" "$base/$pol-src"; } |
			sed -E "s#^(PASS|FAIL|SKIP) #\1 $pol/#" || rc=1
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1
		umount "$base/$pol-mnt"
	else
		rc=1
	fi
done

# Read-only share: every modifying operation must fail with EROFS.
echo data >"$base/ro-src/file"
if mount_share -r "$base/ro-src" "$base/ro-mnt"; then
	ro_check() { # name, command...
		local name=$1 out
		shift
		if out=$("$@" 2>&1); then
			echo "FAIL fuse/readonly_$name: succeeded"
			rc=1
		elif grep -q 'Read-only file system' <<<"$out"; then
			echo "PASS fuse/readonly_$name"
		else
			echo "FAIL fuse/readonly_$name: $out"
			rc=1
		fi
	}
	ro_check create touch "$base/ro-mnt/new"
	ro_check write sh -c "echo x >>'$base/ro-mnt/file'"
	ro_check unlink rm "$base/ro-mnt/file"
	ro_check mkdir mkdir "$base/ro-mnt/d"
	ro_check chmod chmod 777 "$base/ro-mnt/file"
	ro_check setxattr python3 -c "import os, sys; os.setxattr(sys.argv[1], 'user.x', b'1')" "$base/ro-mnt/file"
	if [ "$(cat "$base/ro-mnt/file")" = data ]; then
		echo "PASS fuse/readonly_read"
	else
		echo "FAIL fuse/readonly_read"
		rc=1
	fi
	umount "$base/ro-mnt"
else
	rc=1
fi
exit $rc
