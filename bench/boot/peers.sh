#!/usr/bin/env bash
# bench/boot/peers.sh: boots one kernel + initramfs with ours, QEMU microvm and the bare loader, interleaved; prints
# medians, ratios, VM exits by reason and start/exit costs, and writes build/bench/boot*.tsv. Run it inside
# tests/harness/with-kvm (it mounts tracefs there). Asserts nothing.
#
# TEST_BOOT_RUNS (default 9) timed rounds; TEST_BOOT_PEERS (default "ours ours-nonet qemu bare").
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
N=${TEST_BOOT_RUNS:-9}
PEERS=${TEST_BOOT_PEERS:-ours ours-nonet qemu bare}
VMLINUX=${TEST_VMLINUX:?the Makefile passes the cached vmlinux path}
INITRD=$B/bench/boot/initramfs.cpio.gz
OUT=$B/bench
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$OUT"
# Same command line for all; only the reset method differs (microvm has no i8042, so a triple fault).
BASE="panic=-1 console=hvc0 quiet rdinit=/init no-kvmapf"

run_peer() { # run_peer PEER: boots once (at most 120 s), guest output in $T/PEER.out
	local tmo="timeout -k 5 120"
	case $1 in
	ours) $tmo "$B/tests/e2e/krun-run" --kernel "$VMLINUX" --initrd "$INITRD" --cmdline "reboot=k $BASE" ;;
	# No implicit built-in network (krun_disable_implicit_vsock): the same devices as the QEMU peer.
	ours-nonet) $tmo "$B/tests/e2e/krun-run" --no-implicit-net --kernel "$VMLINUX" --initrd "$INITRD" \
		--cmdline "reboot=k $BASE" ;;
	qemu) $tmo qemu-system-x86_64 -M microvm,x-option-roms=off,pit=off,pic=off,rtc=off,isa-serial=off,acpi=off \
		-enable-kvm -cpu host -m 128 -smp 1 -kernel "$VMLINUX" -initrd "$INITRD" \
		-append "reboot=t $BASE" -nodefaults -no-user-config -display none -no-reboot \
		-device virtio-serial-device -chardev stdio,id=con -device virtconsole,chardev=con \
		-device virtio-rng-device -device virtio-balloon-device ;;
	bare) $tmo "$B/bench/boot/bare-loader" "$VMLINUX" "$INITRD" "reboot=k $BASE" ;;
	esac > "$T/$1.out" 2>&1 < /dev/null
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A ms up
for i in $(seq "$N"); do
	for p in $PEERS; do
		s=$(date +%s%N)
		run_peer "$p"
		ms[$p]+="$(( ($(date +%s%N) - s) / 1000000 )) "
		u=$(sed -n 's/.*BENCH-INIT uptime=\([0-9.]*\).*/\1/p' "$T/$p.out" | head -n1)
		[ -n "$u" ] || [ "$p" = bare ] || echo "boot: $p did not reach init: $(tail -n 2 "$T/$p.out" | tr '\n' ' ')" >&2
		up[$p]+="${u:-0} "
	done
done

# One traced boot per peer: every KVM exit (kvm_exit), those that reached the VMM (kvm_userspace_exit),
# and the process's exec/exit around the first guest entry and the last exit.
TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs nodev $TR 2>/dev/null
traced=0
if [ -w $TR/trace ]; then
	traced=1
	echo 0 > $TR/tracing_on
	echo mono > $TR/trace_clock
	echo 65536 > $TR/buffer_size_kb
	echo > $TR/set_event
	for e in kvm:kvm_exit kvm:kvm_userspace_exit kvm:kvm_entry sched:sched_process_exec sched:sched_process_exit; do
		echo "$e" >> $TR/set_event
	done
	for p in $PEERS; do
		echo > $TR/trace
		echo 1 > $TR/tracing_on
		run_peer "$p"
		echo 0 > $TR/tracing_on
		cp $TR/trace "$T/$p.trace"
	done
	echo > $TR/set_event
fi

# trace_summary PEER: "exits user first_entry_ms reset_exit_ms" and $T/PEER.reasons ("reason count").
trace_summary() {
	awk -v reasons="$T/$1.reasons" '
		function ts(   t) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) + 0 }
		/sched_process_exec:/ && !exec { exec = ts() }
		/ kvm_entry:/ && !entry { entry = ts() }
		/ kvm_exit:/ { n++; for (i = 1; i <= NF; i++) if ($i == "reason") r[$(i + 1)]++; last = ts() }
		/ kvm_userspace_exit:/ { u++ }
		/sched_process_exit:/ { pexit = ts() }
		END {
			for (k in r) print k, r[k] > reasons
			printf "%d %d %.1f %.1f\n", n, u, (entry - exec) * 1000, (pexit - last) * 1000
		}' "$T/$1.trace"
}

printf 'peer\tmedian_ms\tratio_to_ours\tguest_init_s\texits\texits_to_vmm\texec_to_first_entry_ms\tlast_exit_to_process_exit_ms\truns_ms\n' > "$OUT/boot.tsv"
printf 'peer\treason\tcount\n' > "$OUT/boot-exits.tsv"
set -- $PEERS
base=$(median ${ms[$1]})
echo "boot ($N interleaved rounds, 1 vCPU, 128 MiB, same vmlinux + initramfs, nested VM):"
for p in $PEERS; do
	m=$(median ${ms[$p]})
	u=$(median ${up[$p]})
	sum="- - - -"
	if [ $traced = 1 ]; then
		sum=$(trace_summary "$p")
		sort -k2,2nr "$T/$p.reasons" | awk -v p="$p" '{ printf "%s\t%s\t%s\n", p, $1, $2 }' >> "$OUT/boot-exits.tsv"
	fi
	read -r ex ux fe re <<<"$sum"
	ratio=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$m" "$ratio" "$u" "$ex" "$ux" "$fe" "$re" "${ms[$p]% }" >> "$OUT/boot.tsv"
	printf '  %-10s start->exit median %5d ms (%s x %s), guest at init %ss, exits %s (to the VMM %s), exec->first entry %s ms, last exit->process exit %s ms\n' \
		"$p" "$m" "$ratio" "$1" "$u" "$ex" "$ux" "$fe" "$re"
	[ $traced = 1 ] && echo "             exits by reason: $(sort -k2,2nr "$T/$p.reasons" | head -n 8 | awk '{ printf "%s %s, ", $1, $2 }')"
done
grep -h 'bare-loader:' "$T/bare.out" 2>/dev/null | sed 's/^/  /'
# Per round (interleaving cancels the machine's slow drifts): each peer's time over QEMU's in the same round.
if [[ " $PEERS " == *" qemu "* ]]; then
	for p in $PEERS; do
		[ "$p" = qemu ] && continue
		awk -v a="${ms[$p]}" -v b="${ms[qemu]}" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
			for (i = 1; i <= n; i++) if (y[i] > 0) print x[i] / y[i] }' | sort -n |
			awk -v p="$p" '{ a[NR] = $1 } END { printf "  %-10s / qemu per round: median %.2f, middle half %.2f..%.2f\n", p, a[int((NR + 1) / 2)], a[int(NR / 4) + 1], a[int(3 * NR / 4) + (NR % 4 ? 1 : 0)] }'
	done
fi
