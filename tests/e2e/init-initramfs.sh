#!/bin/sh
# tests/e2e/init-initramfs.sh: /init of the e2e initramfs; does what krun_test= on the kernel command line asks, then reboots.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
say() { echo "$*" > /dev/hvc0; }
port() { # port NAME: the /dev node of the virtio-console port with that name
	for n in /sys/class/virtio-ports/*/name; do
		[ "$(cat "$n")" = "$1" ] && { echo "/dev/$(basename "$(dirname "$n")")"; return; }
	done
}
t=$(sed -n 's/.*krun_test=\([^ ]*\).*/\1/p' /proc/cmdline)
case "$t" in
boot) say "E2E-MARKER boot ok" ;;
smp) say "E2E-CPUS $(grep -c ^processor /proc/cpuinfo)" ;;
mem) say "E2E-MEMTOTAL $(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)" ;;
rng) say "E2E-RNG $(dd if=/dev/hwrng bs=4096 count=256 2>/dev/null | wc -c) $(cat /sys/class/misc/hw_random/rng_current)" ;;
echo)
	sleep 0.2
	in=$(port krun-stdin); out=$(port krun-stdout)
	cat "$in" > "$out"
	;;
ports) sleep 0.3; for n in /sys/class/virtio-ports/*/name; do say "E2E-PORT $n=$(cat $n)"; done; ls -l /dev/vport* > /dev/hvc0 2>&1 ;;
port) sleep 0.2; p=$(port e2e-port); exec 3<>"$p"; head -c 65536 <&3 >&3; exec 3>&- ;;
balloon) # touch 96 MiB, free it, give free page reporting time to hand it back
	mkdir -p /mnt && mount -t tmpfs -o size=200m tmpfs /mnt
	dd if=/dev/zero of=/mnt/f bs=1M count=96 2>/dev/null; say "E2E-ALLOC"; sleep 3
	rm /mnt/f; sleep 8; say "E2E-FREED"; sleep 3 ;;
hold) say "E2E-HOLD"; sleep 3 ;;
tty) [ -t 0 ] && say "E2E-TTY yes" || say "E2E-TTY no" ;;
panic) say "E2E-PANIC now"; exit 1 ;; # init exiting panics the kernel
esac
sync
reboot -f
