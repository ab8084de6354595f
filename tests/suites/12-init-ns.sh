#!/usr/bin/env bash
# tests/suites/12-init-ns.sh: runs the real static guest init as PID 1 of fresh host namespaces
# chrooted into the test rootfs, checking what the workload sees (no VM needed, root needed).
# The exit-code ioctl and reboot cannot be observed here (reboot() ends a PID namespace with SIGHUP).
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
init=$B/init/init root=$B/rootfs

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	echo "SKIP init-ns: needs root and unshare"
	exit 0
fi
if [ ! -x "$init" ] || [ ! -x "$root/bin/probe" ]; then
	echo "SKIP init-ns: build $init and 'make rootfs' first"
	exit 0
fi

work=$(mktemp -d)
# init chmods /dev/kvm in its devtmpfs, which is the host's; put the mode back afterwards.
kvm_mode=$(stat -c %a /dev/kvm 2>/dev/null || true)
cleanup() {
	[ -n "$kvm_mode" ] && chmod "$kvm_mode" /dev/kvm
	rm -rf "$work"
}
trap cleanup EXIT
cp -a "$root" "$work/root"
cp "$init" "$work/root/init.krun"

# run_init ENV... -- ARGS...: boots init with the kernel's default env (HOME, TERM) plus ENV.
run_init() {
	local envs=(HOME=/ TERM=linux)
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env -i "${envs[@]}" timeout 20 unshare -mpfun --propagation private \
		/usr/sbin/chroot "$work/root" /init.krun "$@" </dev/null 2>&1
}

set_config() {
	if [ -n "${1:-}" ]; then printf '%s' "$1" >"$work/root/.krun_config.json"
	else rm -f "$work/root/.krun_config.json"; fi
}

# expect NAME OUTPUT LINE...: every LINE must appear as a whole line of OUTPUT.
expect() {
	local name=$1 out=$2 line
	shift 2
	for line in "$@"; do
		if ! grep -qxF -- "$line" <<<"$out"; then
			echo "FAIL init-ns/$name: missing line '$line' in output:"
			sed 's/^/    /' <<<"$out"
			return
		fi
	done
	echo "PASS init-ns/$name"
}

set_config ""
out=$(run_init KRUN_INIT=/bin/probe -- args "a b" "" c)
expect krun-init-args "$out" "</bin/probe>" "<args>" "<a b>" "<>" "<c>"

out=$(run_init -- -c "echo shell-ok; pwd")
expect default-shell "$out" "shell-ok" "/"

out=$(run_init KRUN_INIT=/bin/probe HOSTNAME=guest1 -- hostname)
expect hostname "$out" "guest1"
out=$(run_init KRUN_INIT=/bin/probe -- hostname)
expect hostname-default "$out" "localhost"

out=$(run_init KRUN_INIT=/bin/probe 'KRUN_RLIMITS=7=123:456,4=unlimited:unlimited' -- rlimit 7)
expect rlimits "$out" "123 456"

out=$(run_init KRUN_INIT=/nonexistent -- x)
expect exec-enoent "$out" "Couldn't execute '/nonexistent' inside the vm: No such file or directory"

out=$(run_init KRUN_INIT=/etc/passwd -- x)
expect exec-eacces "$out" "Couldn't execute '/etc/passwd' inside the vm: Permission denied"

out=$(run_init KRUN_INIT=/bin/probe KRUN_INIT_PID1=1 -- pid)
expect pid1-mode "$out" "1"
out=$(run_init KRUN_INIT=/bin/probe -- pid)
expect forked-mode "$out" "2"

set_config '{"ociVersion":"1.0.2","process":{"args":["/bin/probe","env"],"env":["FROM_CFG=yes","HOME=/root","BOTH=cfg","TERM=xterm"],"cwd":"/tmp"}}'
out=$(run_init BOTH=cmdline -- ignored)
expect oci-env "$out" "FROM_CFG=yes" "HOME=/root" "TERM=xterm" "BOTH=cmdline"
out=$(run_init KRUN_HOME=/home/x KRUN_TERM=vt100 -- ignored)
expect krun-home-term "$out" "HOME=/home/x" "TERM=vt100"

set_config '{"process":{"args":["/bin/probe","cwd"],"cwd":"/tmp"}}'
out=$(run_init -- ignored)
expect oci-cwd "$out" "/tmp"
out=$(run_init KRUN_WORKDIR=/etc -- ignored)
expect workdir-overrides-cwd "$out" "/etc"

set_config '{"Config":{"Entrypoint":["/bin/probe"],"Cmd":["args","x y"],"Env":["E=1"]}}'
out=$(run_init -- ignored)
expect docker-nested "$out" "</bin/probe>" "<args>" "<x y>"

set_config '{"process":{"args":["/bin/probe","args","from-default"]}}'
printf '%s' '{"Cmd":["/bin/probe","args","from-krun-config"]}' >"$work/root/alt.json"
out=$(run_init KRUN_CONFIG=/alt.json -- ignored)
expect krun-config-path "$out" "<from-krun-config>"

# The VMM's exec file (argv/env too big for the command line) and crun's OCI config both apply.
set_config '{"process":{"args":["/bin/sh"],"env":["FROM_CFG=yes","BOTH=cfg"],"cwd":"/tmp"}}'
printf '%s' '{"args":["/bin/probe","env"],"Env":["BOTH=exec","Q=a\"b"]}' >"$work/root/.krun_exec.json"
out=$(run_init KRUN_EXEC_FILE=/.krun_exec.json -- ignored)
expect exec-file-and-config "$out" "FROM_CFG=yes" "BOTH=exec" 'Q=a"b'
rm -f "$work/root/.krun_exec.json"

set_config '{"process":{"args":["/bin/probe", "truncated'
out=$(run_init -- -c "echo fallback")
expect malformed-config "$out" "fallback"
set_config ""

# Signals sent to PID 1 reach the workload (the kernel would otherwise drop them).
log=$work/sig.log
env -i HOME=/ KRUN_INIT=/bin/probe unshare -mpfun --propagation private \
	/usr/sbin/chroot "$work/root" /init.krun wait-signal </dev/null >"$log" 2>&1 &
ushare=$!
initpid=
for _ in $(seq 100); do
	grep -q ready "$log" && initpid=$(ps --ppid "$ushare" -o pid= | tr -d ' ') && break
	sleep 0.1
done
if [ -n "$initpid" ]; then
	kill -USR1 "$initpid"
	wait "$ushare" 2>/dev/null
	expect signal-forwarding "$(cat "$log")" "got signal 10"
else
	echo "FAIL init-ns/signal-forwarding: workload never got ready"
	kill "$ushare" 2>/dev/null
fi
exit 0
