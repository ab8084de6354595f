#!/usr/bin/env bash
# bench/boot/host-steps.sh: where the host side of a boot goes, exec -> first KVM_RUN, step by step: uprobes on
# libkrun's start-up functions (entry and return) and KVM's first kvm_entry on one clock, for krun-run with and
# without the implicit network and for the bare loader. Prints the first run's timelines (ms since exec) and the
# medians of the main steps. Needs tracefs with uprobes (run it in tests/harness/with-kvm). Asserts nothing.
#
# TEST_STEPS_RUNS (default 5) runs per peer.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
N=${TEST_STEPS_RUNS:-5}
VMLINUX=${TEST_VMLINUX:?the Makefile passes the cached vmlinux path}
INITRD=$B/bench/boot/initramfs.cpio.gz
LIB=$(realpath "$B/libkrun.so.1")
RUN=$(realpath "$B/tests/e2e/krun-run")
BARE=$(realpath "$B/bench/boot/bare-loader")
TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs nodev $TR 2>/dev/null
[ -w $TR/uprobe_events ] || { echo "host-steps: skipped: no tracefs uprobes here"; exit 0; }

# off FILE SYMBOL: the symbol's file offset (its address minus its segment's address - offset).
off() {
	local a
	a=$( (nm "$1"; nm -D "$1") 2>/dev/null | awk -v s="$2" '{ sub(/@.*/, "", $3) } $3 == s && $2 ~ /^[tT]$/ { print $1; exit }')
	[ -n "$a" ] || return 1
	readelf -lW "$1" | while read -r type o v _ _ msz _; do
		[ "$type" = LOAD ] && [ $((16#$a)) -ge $((v)) ] && [ $((16#$a)) -lt $((v + msz)) ] &&
			printf '0x%x\n' $((16#$a - v + o))
	done | grep .
}
echo 0 > $TR/tracing_on
echo mono > $TR/trace_clock
echo > $TR/set_event
echo > $TR/uprobe_events
probe() { # probe FILE SYMBOL [ret]: entry (and return) uprobes named after the symbol
	local o
	o=$(off "$1" "$2" | head -n1) && [ -n "$o" ] || { echo "host-steps: no symbol $2 in $1" >&2; return; }
	echo "p:steps/$2 $1:$o" >> $TR/uprobe_events
	[ "${3:-}" = ret ] && echo "r:steps/${2}_ret $1:$o" >> $TR/uprobe_events
}
probe "$RUN" main
probe "$BARE" main
probe "$LIB" krunfw_preload ret
probe "$LIB" krun_create_ctx
probe "$LIB" krun_start_enter
for f in sbx_prepare vm_create vmm_setup_memory vmm_create_devices net_slirp_create slirp_thread_init sbx_enter \
	sbx_thread_settle vmm_setup_boot vcpu_create_all vcpu_start_all; do
	probe "$LIB" $f ret
done
# libseccomp: the filter's database (init/rule_add) and its compilation and load (seccomp_load).
SC=$(ldd "$LIB" | awk '/libseccomp/ { print $3 }')
[ -n "$SC" ] && probe "$(realpath "$SC")" seccomp_load ret
# libslirp: the built-in network's stack, created on its own thread (slirp_thread_init).
SL=$(ldd "$LIB" | awk '/libslirp/ { print $3 }')
[ -n "$SL" ] && probe "$(realpath "$SL")" slirp_new ret
echo 'steps:*' > $TR/set_event
for e in kvm:kvm_entry sched:sched_process_exec; do echo "$e" >> $TR/set_event; done
echo 8192 > $TR/buffer_size_kb

one() { # one PEER: the run's timeline, "ms event[comm]" lines up to the first guest entry
	echo > $TR/trace
	echo 1 > $TR/tracing_on
	case $1 in
	ours) "$RUN" --kernel "$VMLINUX" --initrd "$INITRD" --cmdline "reboot=k panic=-1 console=hvc0 quiet rdinit=/init" ;;
	ours-nonet) "$RUN" --no-implicit-net --kernel "$VMLINUX" --initrd "$INITRD" \
		--cmdline "reboot=k panic=-1 console=hvc0 quiet rdinit=/init" ;;
	bare) "$BARE" "$VMLINUX" "$INITRD" "reboot=k panic=-1 console=hvc0 quiet rdinit=/init" ;;
	esac > /dev/null 2>&1 < /dev/null
	echo 0 > $TR/tracing_on
	awk '
		function ts(   i) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) + 0 }
		/sched_process_exec:/ && !x { x = ts(); next }
		!x { next }
		{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) ev = $(i + 1) }
		ev == "kvm_entry:" { printf "%.1f first_kvm_entry\n", (ts() - x) * 1000; exit }
		{ split($1, c, "-"); sub(/:$/, "", ev); printf "%.1f %s[%s]\n", (ts() - x) * 1000, ev, c[1] }' $TR/trace
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END { if (NR) print a[int((NR+1)/2)]; else print "-" }'; }

declare -A at
for i in $(seq "$N"); do
	for p in ours ours-nonet bare; do
		tl=$(one $p)
		if [ "$i" = 1 ]; then	# one timeline per peer (every thread's filter shows there)
			echo "== $p, run 1"
			echo "$tl" | sed 's/^/  /'
		fi
		# Medians of the first occurrence of each event.
		while read -r t e; do
			k="$p ${e%%\[*}"
			case " ${seen:-} " in *" $k "*) continue ;; esac
			seen="${seen:-} $k"
			at[$k]+="$t "
		done <<<"$tl"
		seen=
	done
done
echo "host-steps: medians of $N runs, ms since exec (first occurrence of each event):"
for k in "${!at[@]}"; do printf '%s %s\n' "$k" "$(median ${at[$k]})"; done | sort -k1,1 -k3,3n |
	awk '{ printf "  %-10s %8s  %s\n", $1, $3, $2 }'
echo > $TR/set_event
echo > $TR/uprobe_events
