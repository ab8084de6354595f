#!/usr/bin/env bash
# tests/clients/guest.sh: guest-side behaviour clients rely on (a tty that `tty` can name, the VMM's
# process name); runs inside tests/harness/with-kvm (suite 45-clients). Prints PASS/FAIL lines.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
ONLY=${TEST_ONLY:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
R=$T/rootfs
cp -a "$B/rootfs" "$R"

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; sed 's/^/    | /' "$T/out" 2>/dev/null | tail -n 15; }
want() { [ -z "$ONLY" ] || grep -qw -- "$1" <<<"$ONLY"; }

# A root fs with its own /dev/console (images usually have one): the kernel opens that node
# before init mounts devtmpfs over /dev; ttyname() must still find fds 0-2.
case_guest_tty() {
	local rc
	mknod "$R/dev/console" c 5 1
	timeout -k 5 180 script -qefc "$B/examples/chroot_vm $R /bin/sh -c 'tty; exit 3'" /dev/null \
		> "$T/out" 2>&1 < /dev/null; rc=$?
	rm -f "$R/dev/console"
	tr -d '\r' < "$T/out" > "$T/out2" && mv "$T/out2" "$T/out"
	if [ $rc -eq 3 ] && grep -qx /dev/console "$T/out"; then pass guest-tty
	else fail guest-tty "exit $rc (want 3), tty must print /dev/console"; fi
}

# Upstream names the VMM process VM:$HOSTNAME from the host's environment, not the guest's.
case_vm_process_name() {
	local pid comm= i
	HOSTNAME=hostside timeout -k 5 180 "$B/tests/e2e/krun-run" --root "$R" --env HOSTNAME=guestside \
		-- /bin/sh -c 'sleep 4' > "$T/out" 2>&1 < /dev/null &
	pid=$!
	for i in $(seq 100); do
		comm=$(cat /proc/$pid/comm 2>/dev/null)
		case $comm in VM:*) break ;; esac
		# timeout(1) is the parent: look at its child.
		comm=$(cat /proc/"$(pgrep -P $pid | head -n 1)"/comm 2>/dev/null)
		case $comm in VM:*) break ;; esac
		sleep 0.2
	done
	wait $pid
	[ "$comm" = VM:hostside ] && pass vm-process-name || fail vm-process-name "process name '$comm', want VM:hostside"
}

for c in guest-tty vm-process-name; do
	want "$c" || continue
	"case_${c//-/_}"
done
exit 0
