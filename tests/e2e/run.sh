#!/usr/bin/env bash
# tests/e2e/run.sh: end-to-end cases that boot real guests; run under tests/harness/with-kvm. Prints PASS/FAIL lines.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/tests/e2e/krun-run
INITRD=$B/tests/e2e/initramfs.cpio.gz
VMLINUX=${TEST_VMLINUX:?the suite passes the cached vmlinux path}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ONLY=${TEST_ONLY:-}
# The prolog our VMM uses, with the initramfs's init instead of /init.krun.
BASE="reboot=k,panic_warm panic=-1 console=hvc0 quiet rdinit=/init no-kvmapf"

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; sed 's/^/    | /' "$T/out" 2>/dev/null | tail -n 15; }
want() { [ -z "$ONLY" ] || grep -qw -- "$1" <<<"$ONLY"; }

# boot NAME TEST [krun-run options...]: boot the initramfs with krun_test=TEST, output in $T/out.
boot() {
	local t=$1; shift
	timeout -k 5 ${TEST_TIMEOUT:-120} "$RUN" --kernel "$VMLINUX" --initrd "$INITRD" \
		--cmdline "$BASE krun_test=$t" "$@" > "$T/out" 2>&1 < /dev/null
}

case_boot_initramfs() {
	local start=$(date +%s%N) rc
	boot boot; rc=$?
	if [ $rc -eq 0 ] && grep -q "E2E-MARKER boot ok" "$T/out"; then
		pass "boot-initramfs ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
	else
		fail boot-initramfs "exit $rc"
	fi
}

# KRUN_KERNEL_FORMAT_RAW: a flat image entered at 2 GiB (upstream's x86 contract); libkrunfw's
# bundle is such an image, and the relocatable kernel runs from there.
case_raw_kernel() {
	local rc
	timeout -k 5 ${TEST_TIMEOUT:-120} "$RUN" --raw --kernel "$B/krunfw/kernel.bin" --initrd "$INITRD" \
		--cmdline "$BASE krun_test=boot" > "$T/out" 2>&1 < /dev/null
	rc=$?
	[ $rc -eq 0 ] && grep -q "E2E-MARKER boot ok" "$T/out" && pass raw-kernel || fail raw-kernel "exit $rc"
}

case_smp_4() {
	boot smp --cpus 4
	grep -q "E2E-CPUS 4" "$T/out" && pass smp-4 || fail smp-4 "guest did not see 4 CPUs"
}

case_ram_2g() {
	local kb
	boot mem --mem 2048
	kb=$(sed -n 's/.*E2E-MEMTOTAL \([0-9]*\).*/\1/p' "$T/out")
	# Within 5 % of 2048 MiB.
	if [ -n "$kb" ] && [ "$kb" -gt $((2048 * 1024 * 95 / 100)) ] && [ "$kb" -lt $((2048 * 1024 * 105 / 100)) ]; then
		pass "ram-2g (MemTotal $kb kB)"
	else
		fail ram-2g "MemTotal '$kb' kB"
	fi
}

case_rng() {
	boot rng
	grep -q "E2E-RNG 1048576 virtio_rng" "$T/out" && pass rng || fail rng "did not read 1 MiB from virtio-rng"
}

case_console_stdin_pipe() {
	local rc
	head -c 1048576 /dev/urandom > "$T/in"
	timeout -k 5 120 "$RUN" --kernel "$VMLINUX" --initrd "$INITRD" \
		--cmdline "$BASE krun_test=echo" < "$T/in" > "$T/echo" 2> "$T/out"
	rc=$?
	if [ $rc -eq 0 ] && cmp -s "$T/in" "$T/echo"; then
		pass console-stdin-pipe
	else
		fail console-stdin-pipe "exit $rc, $(stat -c %s "$T/echo") bytes back, content differs"
	fi
}

case_console_output() {
	local rc
	boot boot --console-output "$T/console.txt"; rc=$?
	if [ $rc -eq 0 ] && grep -q "E2E-MARKER boot ok" "$T/console.txt" && ! grep -q E2E-MARKER "$T/out"; then
		pass console-output
	else
		fail console-output "exit $rc, marker not in the console file only"
	fi
}

case_console_multiport() {
	local rc
	head -c 65536 /dev/urandom > "$T/pin"
	boot port --port "e2e-port:$T/pin:$T/pout"; rc=$?
	[ $rc -eq 0 ] && cmp -s "$T/pin" "$T/pout" && pass console-multiport ||
		fail console-multiport "exit $rc, named port did not echo 64 KiB"
}

# Free page reporting: memory the guest frees goes back to the host.
case_balloon() {
	local pid i high low
	timeout -k 5 120 "$RUN" --mem 256 --kernel "$VMLINUX" --initrd "$INITRD" \
		--cmdline "$BASE krun_test=balloon" > "$T/out" 2>&1 < /dev/null &
	for i in $(seq 600); do grep -q E2E-ALLOC "$T/out" && break; sleep 0.1; done
	pid=$(pgrep -n -f "krun-run.*krun_test=balloon")
	high=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	for i in $(seq 600); do grep -q E2E-FREED "$T/out" && break; sleep 0.1; done
	low=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	wait
	if [ -n "$high" ] && [ -n "$low" ] && [ $((high - low)) -gt $((48 * 1024)) ]; then
		pass "balloon (RSS $((high / 1024)) -> $((low / 1024)) MiB after the guest freed 96 MiB)"
	else
		fail balloon "RSS ${high:-?} -> ${low:-?} kB: freed guest memory not returned"
	fi
}

case_guest_panic() {
	local rc
	boot panic; rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "guest kernel panicked" "$T/out"; then
		pass "guest-panic (exit $rc)"
	else
		fail guest-panic "exit $rc"
	fi
}

# --- virtio-fs root, guest init and chroot_vm ---
CHROOT_VM=$B/examples/chroot_vm
R=$T/rootfs
rootfs_ready=
rootfs() { # a private copy of the test rootfs on a local filesystem
	[ -n "$rootfs_ready" ] || { cp -a "$B/rootfs" "$R" && rootfs_ready=1; }
}
vm() { # vm CMD...: chroot_vm into the rootfs, stdout in $T/out, stderr in $T/err
	rootfs
	timeout -k 5 ${TEST_TIMEOUT:-180} "$CHROOT_VM" "$R" "$@" > "$T/out" 2> "$T/err" < "${VM_STDIN:-/dev/null}"
}
expect_rc() { # expect_rc NAME WANT CMD...
	local name=$1 want=$2 rc; shift 2
	vm "$@"; rc=$?
	[ $rc -eq "$want" ] && pass "$name" || { cat "$T/err" >> "$T/out"; fail "$name" "exit $rc, want $want"; }
}

case_fs_exit_code() { expect_rc fs-exit-code 42 /bin/sh -c 'exit 42'; }
case_fs_not_found() { expect_rc fs-not-found 127 /no/such/program; }
case_fs_signal() { expect_rc fs-signal 137 /bin/probe kill-self 9; }

case_fs_env_args() {
	local rc
	vm /bin/probe args "two words" "it's" '$HOME' 'a\b' "" 'say "hi"'; rc=$?
	printf '%s\n' '</bin/probe>' '<args>' '<two words>' "<it's>" '<$HOME>' '<a\b>' '<>' '<say "hi">' > "$T/want"
	if [ $rc -eq 0 ] && cmp -s "$T/want" "$T/out"; then
		vm /bin/probe env
		grep -qx TEST=works "$T/out" && pass fs-env-args || fail fs-env-args "TEST=works not in the environment"
	else
		diff "$T/want" "$T/out" >> "$T/err"; cat "$T/err" > "$T/out"; fail fs-env-args "exit $rc, arguments differ"
	fi
}

case_fs_workdir() {
	rootfs
	timeout -k 5 180 "$RUN" --root "$R" --workdir /tmp -- /bin/probe cwd > "$T/out" 2>&1 < /dev/null
	grep -qx /tmp "$T/out" && pass fs-workdir || fail fs-workdir "cwd is not /tmp"
}

case_fs_rlimits() {
	vm /bin/probe rlimit 6
	grep -q 4096 "$T/out" && grep -q 8192 "$T/out" && pass fs-rlimits || fail fs-rlimits "RLIMIT_NPROC is not 4096:8192"
}

case_fs_config_json() {
	rootfs
	cat > "$R/.krun_config.json" <<'JSON'
{"ociVersion":"1.0.2","process":{"args":["/bin/probe","args","from config"],"env":["PATH=/bin:/sbin","FROM_JSON=yes"],"cwd":"/tmp"}}
JSON
	timeout -k 5 180 "$RUN" --root "$R" > "$T/out" 2>&1 < /dev/null
	rm -f "$R/.krun_config.json"
	grep -qx '<from config>' "$T/out" && pass fs-config-json || fail fs-config-json "config.json args not run"
}

case_fs_readwrite() {
	local rc sum
	vm /bin/probe write /data.bin 64; rc=$?
	sum=$(sha256sum "$R/data.bin" | cut -d' ' -f1)
	if [ $rc -eq 0 ] && grep -q "$sum" "$T/out" && [ "$(stat -c %s "$R/data.bin")" -eq $((64 << 20)) ]; then
		pass fs-readwrite
	else
		fail fs-readwrite "exit $rc, host sha256 $sum not reported by the guest"
	fi
	rm -f "$R/data.bin"
}

case_fs_escape() {
	local rc
	rootfs
	echo "TOPSECRET-$$" > "$T/secret"
	ln -sfn ../secret "$R/esc-rel"
	ln -sfn "$T/secret" "$R/esc-abs"
	ln -sfn /../../../../.. "$R/esc-up"
	vm /bin/sh -c 'cat /esc-rel /esc-abs /../secret /esc-up'"$T"'/secret /../../secret 2>/dev/null;
		ls -a /.. /esc-up 2>/dev/null; ln /esc-abs /hard 2>/dev/null; cat /hard 2>/dev/null; exit 0'
	rc=$?
	if [ $rc -eq 0 ] && ! grep -q TOPSECRET "$T/out" "$T/err"; then
		pass fs-escape
	else
		fail fs-escape "exit $rc or the secret leaked"
	fi
	rm -f "$R/esc-rel" "$R/esc-abs" "$R/esc-up" "$R/hard"
}

case_fs_dax() {
	local sum
	rootfs
	mkdir -p "$T/dax"
	timeout -k 5 180 "$RUN" --root "$R" --virtiofs "daxfs:$T/dax:0x10000000" -- /bin/sh -c \
		'mkdir -p /mnt && mount -t virtiofs -o dax daxfs /mnt && grep daxfs /proc/mounts && /bin/probe write /mnt/f 8 && sha256sum /mnt/f' \
		> "$T/out" 2>&1 < /dev/null
	sum=$(sha256sum "$T/dax/f" 2>/dev/null | cut -d' ' -f1)
	if grep -q 'daxfs.*dax' "$T/out" && [ -n "$sum" ] && [ "$(grep -c "$sum" "$T/out")" -ge 2 ]; then
		pass fs-dax
	else
		fail fs-dax "dax mount or data mismatch"
	fi
}

case_fs_readonly() {
	rootfs
	mkdir -p "$T/ro" && echo "ro-content" > "$T/ro/file"
	timeout -k 5 180 "$RUN" --root "$R" --virtiofs-ro "rofs:$T/ro" -- /bin/sh -c \
		'mkdir -p /mnt && mount -t virtiofs rofs /mnt && cat /mnt/file && ! touch /mnt/new 2>/dev/null && ! rm /mnt/file 2>/dev/null && echo ro-ok' \
		> "$T/out" 2>&1 < /dev/null
	if grep -qx ro-content "$T/out" && grep -qx ro-ok "$T/out" && [ -f "$T/ro/file" ] && [ ! -e "$T/ro/new" ]; then
		pass fs-readonly
	else
		fail fs-readonly "read-only share was modified or unreadable"
	fi
}

case_fs_stdio() {
	local rc
	echo "input-data" > "$T/stdin"
	VM_STDIN=$T/stdin vm /bin/sh -c 'echo out; echo err >&2; cat'; rc=$?
	if [ $rc -eq 0 ] && grep -qx out "$T/out" && grep -qx input-data "$T/out" &&
	   grep -qx err "$T/err" && ! grep -qx out "$T/err" && ! grep -qx err "$T/out"; then
		pass fs-stdio
	else
		cat "$T/err" >> "$T/out"; fail fs-stdio "exit $rc, streams mixed or lost"
	fi
}

# Under a pty: the guest sees a terminal, and the host terminal modes come back, also after a panic.
case_console_tty() {
	rootfs
	cat > "$T/tty.sh" <<EOS
stty -g > "$T/before"
"$CHROOT_VM" "$R" /bin/probe isatty
echo "rc=\$?"
stty -g > "$T/mid"
"$RUN" --kernel "$VMLINUX" --initrd "$INITRD" --cmdline "$BASE krun_test=panic"
echo "panic-rc=\$?"
stty -g > "$T/after"
EOS
	timeout -k 5 240 script -qec "sh $T/tty.sh" /dev/null > "$T/out" 2>&1 < /dev/null
	if grep -q "0:tty" "$T/out" && grep -q "1:tty" "$T/out" && grep -q "rc=0" "$T/out" &&
	   grep -q "panic-rc=1" "$T/out" && cmp -s "$T/before" "$T/mid" && cmp -s "$T/before" "$T/after"; then
		pass console-tty
	else
		fail console-tty "no terminal in the guest, or modes not restored"
	fi
}

# Host SIGTERM (podman stop) must reach the workload, not kill the VM.
case_fs_sigterm() {
	local pid rc i
	rootfs
	timeout -k 5 180 "$CHROOT_VM" "$R" /bin/probe wait-signal > "$T/out" 2> "$T/err" < /dev/null &
	pid=$!
	for i in $(seq 600); do grep -q ready "$T/out" && break; sleep 0.1; done
	kill -TERM $pid
	wait $pid; rc=$?
	[ $rc -eq 115 ] && grep -q "got signal 15" "$T/out" && pass fs-sigterm ||
		{ cat "$T/err" >> "$T/out"; fail fs-sigterm "exit $rc, want 115"; }
}

# Userspace IOAPIC (split irqchip), 2 vCPUs: virtio-rng interrupts must arrive through its MSI routes.
case_split_irqchip() {
	local rc n
	boot rng --cpus 2 --split-irqchip --log 4; rc=$?
	n=$(grep -c "ioapic: GSI routing update" "$T/out")
	if [ $rc -eq 0 ] && grep -q "E2E-RNG 1048576 virtio_rng" "$T/out" && [ "$n" -gt 1 ]; then
		pass "split-irqchip ($n routing updates)"
	else
		fail split-irqchip "exit $rc, $n routing updates"
	fi
}

for c in boot_initramfs raw_kernel smp_4 ram_2g rng console_stdin_pipe console_output console_multiport balloon guest_panic \
	fs_exit_code fs_not_found fs_signal fs_env_args fs_workdir fs_rlimits \
	fs_config_json fs_readwrite fs_escape fs_dax fs_readonly fs_stdio fs_sigterm console_tty split_irqchip; do
	want "${c//_/-}" && "case_$c"
done
exit 0
