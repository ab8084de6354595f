#!/usr/bin/env bash
# bench/boot/vmm-cost.sh: our VMM's own cost around a boot: krun_start_enter -> the first guest entry, and the guest's
# reset (its last VM exit) -> process exit, for 1 vCPU / 128 MiB and 8 vCPUs / 4 GiB (medians of TEST_VMMCOST_RUNS, default
# 3). Times come from one clock: a uprobe on krun_start_enter and KVM's tracepoints. Needs tracefs and uprobes (run it
# in tests/harness/with-kvm with WITH_KVM_MEM >= 6144 for the 4 GiB guest). Writes build/bench/vmm-cost.tsv.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
N=${TEST_VMMCOST_RUNS:-3}
VMLINUX=${TEST_VMLINUX:?the Makefile passes the cached vmlinux path}
INITRD=$B/bench/boot/initramfs.cpio.gz
LIB=$(realpath "$B/libkrun.so.1")
TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs nodev $TR 2>/dev/null
if [ ! -w $TR/uprobe_events ]; then
	echo "vmm-cost: skipped: no tracefs uprobes here"
	exit 0
fi

# File offset of krun_start_enter: its address minus the (address - offset) of the segment holding it.
sym=$(nm -D "$LIB" | awk '$3 == "krun_start_enter" { print $1 }')
off=$(readelf -lW "$LIB" | while read -r type o v _ _ msz _; do
	[ "$type" = LOAD ] && [ $((16#$sym)) -ge $((v)) ] && [ $((16#$sym)) -lt $((v + msz)) ] &&
		printf '0x%x\n' $((16#$sym - v + o))
done)
[ -n "$off" ] || { echo "vmm-cost: skipped: krun_start_enter not found in $LIB"; exit 0; }
echo 0 > $TR/tracing_on
echo mono > $TR/trace_clock
echo > $TR/set_event
echo "p:krun/start_enter $LIB:$off" > $TR/uprobe_events || { echo "vmm-cost: skipped: uprobe not accepted"; exit 0; }
for e in krun:start_enter kvm:kvm_entry kvm:kvm_exit sched:sched_process_exit; do echo "$e" >> $TR/set_event; done
echo 16384 > $TR/buffer_size_kb

one() { # one CPUS MIB: "enter_ms reset_ms" of one boot
	echo > $TR/trace
	echo 1 > $TR/tracing_on
	"$B/tests/e2e/krun-run" --cpus "$1" --mem "$2" --kernel "$VMLINUX" --initrd "$INITRD" \
		--cmdline "reboot=k panic=-1 console=hvc0 quiet rdinit=/init no-kvmapf" > /dev/null 2>&1 < /dev/null &
	local pid=$!
	wait $pid
	echo 0 > $TR/tracing_on
	# The VMM renames its main thread: its exit is the sched_process_exit of the process id.
	awk -v pid="$pid" '
		function ts(   i) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) + 0 }
		/ start_enter:/ && !s { s = ts() }
		/ kvm_entry:/ && s && !e { e = ts() }
		/ kvm_exit:/ { last = ts() }
		/sched_process_exit:/ && $0 ~ (" pid=" pid " ") { x = ts() }
		END { if (s && e && x) printf "%.2f %.2f\n", (e - s) * 1000, (x - last) * 1000; else print "- -" }' $TR/trace
}
median() { printf '%s\n' "$@" | grep -v -- - | sort -n | awk '{a[NR]=$1} END { if (NR) print a[int((NR+1)/2)]; else print "-" }'; }

printf 'config\tstart_enter_to_first_entry_ms\treset_to_exit_ms\truns\n' > "$B/bench/vmm-cost.tsv"
echo "VMM's own cost (nested VM: a software-emulated CPU, not native figures; medians of $N):"
for c in "1 128" "8 4096"; do
	en=() rs=()
	for _ in $(seq "$N"); do
		read -r a b <<<"$(one $c)"
		en+=("$a") rs+=("$b")
	done
	set -- $c
	printf '%s vCPU / %s MiB\t%s\t%s\t%s\n' "$1" "$2" "$(median "${en[@]}")" "$(median "${rs[@]}")" "${en[*]} / ${rs[*]}" >> "$B/bench/vmm-cost.tsv"
	echo "  $1 vCPU / $2 MiB: krun_start_enter -> first guest entry $(median "${en[@]}") ms, guest reset -> process exit $(median "${rs[@]}") ms (runs: ${en[*]} / ${rs[*]})"
done
echo > $TR/set_event
echo > $TR/uprobe_events
