#!/usr/bin/env bash
# tests/e2e-fs/run.sh: virtio-fs cases in real guests (issue #11, mirroring upstream libkrun's fs tests); run under tests/harness/with-kvm.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/tests/e2e/krun-run
KFS=$B/tests/e2e-fs/krun-fs
G=$B/tests/e2e-fs/fs-guest
ONLY=${TEST_ONLY:-}
# Root copies on tmpfs. The device-node share sits on the repo's filesystem (9p from the
# host inside the nested VM), because 6.1's tmpfs has no user.* xattrs; the other writable
# cases run on the tmpfs root, because 9p has no fallocate and its client resolves an
# unlinked file's fd by name.
T=$(mktemp -d)
W=$(mktemp -d "$PWD/$B/e2e-fs.XXXXXX")
trap 'rm -rf "$T" "$W"' EXIT
want() { [ -z "$ONLY" ] || grep -qw -- "$1" <<<"$ONLY"; }

# guest_result NAME [EXTRA-FAILURE]: PASS/FAIL NAME from the guest's line in $T/out.
guest_result() {
	local name=$1 extra=${2:-} line
	line=$(grep -a "^GUEST-[A-Z]* $name\b" "$T/out" | head -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $name: the guest printed nothing for it"
		sed 's/^/    | /' "$T/out" | tail -n 15
	elif [ "${line#GUEST-PASS}" = "$line" ]; then
		echo "FAIL $name: ${line#GUEST-FAIL $name: }"
	elif [ -n "$extra" ]; then
		echo "FAIL $name: $extra"
	else
		echo "PASS $name"
	fi
}

rootfs() { # rootfs DIR: a private copy of the test rootfs with the guest program
	cp -a "$B/rootfs" "$1" && install -m 0755 "$G" "$1/bin/fs-guest"
}

# fallocate, readdir-rewind, rename-fchmod on the writable root; device nodes on a second share.
case_rw() {
	local xa host=""
	rootfs "$T/root"
	timeout -k 5 ${TEST_TIMEOUT:-180} "$RUN" --root "$T/root" --virtiofs "fst:$W:0" -- /bin/sh -c \
		'mkdir -p /rw /mnt/t; /bin/fs-guest rw /rw;
		 mount -t virtiofs fst /mnt/t && /bin/fs-guest mknod /mnt/t' \
		> "$T/out" 2>&1 < /dev/null
	for n in null blk2; do
		xa=$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.containers.override_stat").decode())' \
			"$W/$n" 2>&1)
		[ -f "$W/$n" ] && [ ! -L "$W/$n" ] || host="host $n is not a regular file"
		[ -n "$host" ] || case $xa in *:*:*) ;; *) host="host $n lacks the override_stat xattr ($xa)";; esac
	done
	guest_result fs-fallocate
	guest_result fs-readdir-rewind
	guest_result fs-rename-fchmod
	guest_result fs-mknod-device "$host"
}

# A read-only root: 17 kinds of mutation get EROFS and nothing changes on the host.
case_readonly() {
	local extra=""
	rootfs "$T/ro"
	mkdir "$T/ro/data" "$T/ro/data/subdir"
	printf 'precious\n' > "$T/ro/data/file"
	python3 -c 'import os,sys; os.setxattr(sys.argv[1], "trusted.keep", b"1")' "$T/ro/data/file" 2>/dev/null
	(cd "$T/ro" && find . -printf '%p %m %s %T@\n' | sort) > "$T/before"
	timeout -k 5 ${TEST_TIMEOUT:-180} "$KFS" ro-root "$T/ro" -- /bin/fs-guest readonly /data/file \
		> "$T/out" 2>&1 < /dev/null
	(cd "$T/ro" && find . -printf '%p %m %s %T@\n' | sort) > "$T/after"
	cmp -s "$T/before" "$T/after" || extra="the host tree changed: $(diff "$T/before" "$T/after" | head -n 3 | tr '\n' ' ')"
	[ "$(cat "$T/ro/data/file")" = precious ] || extra="the file changed"
	guest_result fs-readonly-mutations "$extra"
}

# No host directory at all: the root is overlay directories and files (krun_add_virtiofs3 NULL).
case_overlay() {
	timeout -k 5 ${TEST_TIMEOUT:-180} "$KFS" overlay-root "$G" -- /bin/fs-guest overlay \
		> "$T/out" 2>&1 < /dev/null
	guest_result fs-overlay-root
}

for c in rw readonly overlay; do
	want "$c" && "case_$c"
done
exit 0
