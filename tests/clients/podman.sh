#!/usr/bin/env bash
# tests/clients/podman.sh: Debian's podman runs containers through crun's krun handler on our libkrun;
# runs inside tests/harness/with-kvm (suite 46-podman). Usage: podman.sh CRUN. PASS/FAIL/SKIP lines.
#
# What the nested VM needs for podman (all private to this run, nothing in /etc or /var is used):
# storage on vfs below a temporary dir, cgroupfs manager on a cgroup2 mount, file event log, no
# network namespace by default (netavark/CNI are not needed; podman-publish asks for slirp4netns), no_pivot_root (L1's root is on an initramfs).
set -u
cd "$(dirname "$0")/../.."
CRUN=${1:?usage: podman.sh CRUN}
B=${BUILD:-build}
ONLY=${TEST_ONLY:-}
T=$(mktemp -d)
IMG=localhost/krun-test:latest

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; sed 's/^/    | /' "$T/out" 2>/dev/null | tail -n 15; }
want() { [ -z "$ONLY" ] || grep -qw -- "$1" <<<"$ONLY"; }

if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
	echo "SKIP podman: podman/conmon not installed (apt-get install podman)"
	exit 0
fi
if ! grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts && ! mount -t cgroup2 none /sys/fs/cgroup; then
	echo "SKIP podman: cannot mount cgroup2 in the test VM"
	exit 0
fi
echo "+cpuset +memory +pids" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true

# The runtime podman calls: crun as "krun" (its handler), with our libkrun.so.1 first in line.
. tests/clients/sanitizer-env.sh
cat > "$T/krun" <<SH
#!/bin/bash
export LD_LIBRARY_PATH=$PWD/$B
$SAN_ENV
exec -a krun $(readlink -f "$CRUN") "\$@"
SH
chmod +x "$T/krun"
mkdir -p "$T/tmp" "$T/graph" "$T/run"
cat > "$T/containers.conf" <<CONF
[containers]
netns = "none"
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
no_pivot_root = true
tmp_dir = "$T/tmp"
image_copy_tmp_dir = "$T/tmp"
runtime = "krun"
[engine.runtimes]
krun = ["$T/krun"]
CONF
cat > "$T/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$T/graph"
runroot = "$T/run"
CONF
export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf
export CONTAINERS_REGISTRIES_CONF=$T/registries.conf TMPDIR=$T/tmp
: > "$T/registries.conf"
P() { timeout -k 5 ${TEST_TIMEOUT:-180} podman --log-level=error "$@"; }
cleanup() {
	P rm -af >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

if ! tar -C "$B/rootfs" -c . | P import - "$IMG" > "$T/out" 2>&1; then
	fail podman-import "podman import of $B/rootfs failed"
	exit 0
fi

case_run() {
	local rc
	P run --rm "$IMG" /bin/sh -c 'echo in-vm; exit 7' > "$T/out" 2>&1; rc=$?
	[ $rc -eq 7 ] && grep -qx in-vm "$T/out" && pass podman-run || fail podman-run "exit $rc, want 7"
}

# podman stop sends SIGTERM to the VMM; the workload's own handler must run and set the code.
case_stop() {
	local i code
	P run -d --name stopme "$IMG" /bin/sh -c \
		'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.2; done' > "$T/out" 2>&1
	for i in $(seq 120); do
		P logs stopme 2>/dev/null | grep -qx ready && break
		sleep 1
	done
	P stop -t 60 stopme >> "$T/out" 2>&1
	code=$(P inspect -f '{{.State.ExitCode}}' stopme 2>>"$T/out")
	P logs stopme >> "$T/out" 2>&1
	if [ "$code" = 3 ] && grep -qx got-term "$T/out"; then pass podman-stop
	else fail podman-stop "exit code '$code' (want 3 from the SIGTERM handler)"; fi
	P rm -f stopme >/dev/null 2>&1
}

case_logs() {
	P run --name logme "$IMG" /bin/sh -c 'echo out-line; echo err-line >&2' > /dev/null 2>&1
	P logs logme > "$T/out" 2>&1
	grep -qx out-line "$T/out" && grep -qx err-line "$T/out" && pass podman-logs ||
		fail podman-logs "podman logs lacks the workload's stdout/stderr lines"
	P rm -f logme >/dev/null 2>&1
}

case_env_workdir() {
	P run --rm -e FOO=from-podman -w /tmp "$IMG" /bin/sh -c 'echo "FOO=$FOO"; pwd' > "$T/out" 2>&1
	grep -qx FOO=from-podman "$T/out" && grep -qx /tmp "$T/out" && pass podman-env-workdir ||
		fail podman-env-workdir "-e or -w did not reach the workload"
}

# podman -p 18080:80 with a network namespace (slirp4netns, which forwards host ports into it): the
# VMM runs in that namespace and the built-in network exposes the guest's listener there, as TSI does
# upstream; crun's krun handler sets no port map.
case_publish() {
	local body="" i
	command -v slirp4netns >/dev/null ||
		{ echo "SKIP podman-publish: slirp4netns is not installed (make deps)"; return; }
	ip link set lo up 2>/dev/null	# the nested VM starts with lo down; the client uses 127.0.0.1
	P run -d --name pub --network slirp4netns:port_handler=slirp4netns -p 18080:80 "$IMG" /bin/sh -c \
		'mkdir -p /www && echo hello-from-krun > /www/index.html && exec httpd -f -p 80 -h /www' \
		> "$T/out" 2>&1
	for i in $(seq 120); do
		body=$(curl -s -m 5 http://127.0.0.1:18080/index.html 2>/dev/null) && [ -n "$body" ] && break
		sleep 1
	done
	P logs pub >> "$T/out" 2>&1
	if [ "$body" = hello-from-krun ]; then pass podman-publish
	else fail podman-publish "no answer from the guest's httpd through podman -p 18080:80 (got '$body')"; fi
	P rm -f pub >/dev/null 2>&1
}

for c in run stop logs env-workdir publish; do
	want "podman-$c" || continue
	"case_${c//-/_}"
done
exit 0
