#!/usr/bin/env bash
# bench/boot/net-cost.sh: where a boot with the built-in network spends its time against one without it: KVM exits
# by reason, time in the guest / halted / in each exit's handling, L1 CPU time per thread while the VM runs, a guest
# profile sampled by host-interrupt exits, and the guest's printk times; interleaved rounds. Asserts nothing.
#
# Run it inside tests/harness/with-kvm (it mounts tracefs there). TEST_NETCOST_RUNS (default 7) rounds;
# TEST_NETCOST_PEERS (default "ours ours-nonet"); TEST_NETCOST_APPEND: more guest command line;
# TEST_NETCOST_DMESG=1: the guest also prints its log with initcall_debug times (the rounds then take longer),
# and the initcalls whose median differs most between the peers are listed. TEST_NETCOST_TRACE=0: no tracing (start->exit
# and the guest's uptime at init only, without the tracer's cost). Peer "ours-again" is "ours" once more: its
# difference to "ours" is what the noise alone makes of the same boot (an A/A check).
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
N=${TEST_NETCOST_RUNS:-7}
PEERS=${TEST_NETCOST_PEERS:-ours ours-nonet}
VMLINUX=${TEST_VMLINUX:?the Makefile passes the cached vmlinux path}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
KEEP=${TEST_NETCOST_KEEP:-}
TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs nodev $TR 2>/dev/null
[ -w $TR/trace ] || { echo "net-cost: skipped: no tracefs here"; exit 0; }

# The boot bench's initramfs, whose init also prints the guest's kernel log (with printk times) before rebooting.
mkdir -p "$T/ir/bin" "$T/ir/proc" "$T/ir/dev"
cp /bin/busybox "$T/ir/bin/busybox"
for a in sh mount cat echo reboot dmesg; do ln -s busybox "$T/ir/bin/$a"; done
cat > "$T/ir/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
read up idle < /proc/uptime
echo "BENCH-INIT uptime=$up" > /dev/hvc0
read cmd < /proc/cmdline
case " $cmd " in *" netcost.dmesg "*) dmesg > /dev/hvc0 ;; esac
reboot -f
EOF
chmod +x "$T/ir/init"
(cd "$T/ir" && find . | cpio -o -H newc --quiet | gzip -1 > "$T/initramfs.cpio.gz")
CMD="reboot=k panic=-1 console=hvc0 quiet rdinit=/init no-kvmapf ${TEST_NETCOST_APPEND:-}"
[ "${TEST_NETCOST_DMESG:-0}" = 1 ] && CMD+=" printk.time=1 log_buf_len=1M initcall_debug netcost.dmesg"

run_peer() { # run_peer PEER ROUND
	local a=()
	[ "$1" = ours-nonet ] && a=(--no-implicit-net)
	timeout -k 5 120 "$B/tests/e2e/krun-run" "${a[@]}" --kernel "$VMLINUX" --initrd "$T/initramfs.cpio.gz" \
		--cmdline "$CMD" > "$T/$1.$2.out" 2>&1 < /dev/null
}

echo 0 > $TR/tracing_on
echo mono > $TR/trace_clock
echo 65536 > $TR/buffer_size_kb
echo > $TR/set_event
for e in kvm:kvm_exit kvm:kvm_entry kvm:kvm_userspace_exit sched:sched_switch sched:sched_process_exec \
	sched:sched_process_exit; do
	echo "$e" >> $TR/set_event
done
TRACE=${TEST_NETCOST_TRACE:-1}
for i in $(seq "$N"); do
	for p in $PEERS; do
		echo > $TR/trace
		[ "$TRACE" = 1 ] && echo 1 > $TR/tracing_on
		s=$(date +%s%N)
		run_peer "$p" "$i"
		e=$(date +%s%N)
		echo 0 > $TR/tracing_on
		echo "$(( (e - s) / 1000000 ))" > "$T/$p.$i.ms"
		cp $TR/trace "$T/$p.$i.trace"
	done
done
echo > $TR/set_event

# One boot's trace into "key value" lines: wall, exits by reason, ms in the guest / halted / per exit reason,
# CPU ms per L1 thread between exec and exit, and "rip ADDR" for every host-interrupt exit (the guest profile).
summarize() {
	awk '
		function ts(   i) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) + 0 }
		function field(k,   i) { for (i = 1; i <= NF; i++) if ($i == k) return $(i + 1); return "" }
		/sched_process_exec:/ && /krun-run/ && !exec { exec = ts(); cur_t = exec; match($0, / pid=[0-9]+/); pid = substr($0, RSTART + 5, RLENGTH - 5) }
		!exec { next }
		/ kvm_entry:/ { t = ts(); if (!first) first = t; if (xr != "") { xt[xr] += t - xs; xr = "" } ; ent = t }
		/ kvm_exit:/ {
			t = ts(); r = field("reason"); n[r]++; nx++
			if (ent) guest += t - ent; ent = 0; xr = r; xs = t; last = t
			if (r == "interrupt") print "rip", field("rip")
		}
		/ kvm_userspace_exit:/ { ux++ }
		/ sched_switch:/ {
			t = ts(); c = $0; sub(/.*prev_comm=/, "", c); sub(/ prev_pid=.*/, "", c)
			if (!pexit) cpu[c] += t - cur_t; cur_t = t
		}
		/sched_process_exit:/ && $0 ~ ("pid=" pid " ") && !pexit { pexit = ts() }
		END {
			printf "wall %.1f\nfirst_entry %.1f\nguest_span %.1f\nexits %d\nto_vmm %d\nin_guest %.1f\n", \
				(pexit - exec) * 1000, (first - exec) * 1000, (last - first) * 1000, nx, ux, guest * 1000
			for (r in n) printf "n_%s %d\nms_%s %.1f\n", r, n[r], r, xt[r] * 1000
			for (c in cpu) { k = c; gsub(/ /, "_", k); printf "cpu_%s %.1f\n", k, cpu[c] * 1000 }
		}' "$1"
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'; }

for p in $PEERS; do
	for i in $(seq "$N"); do
		summarize "$T/$p.$i.trace" > "$T/$p.$i.sum"
		echo "ms $(cat "$T/$p.$i.ms")" >> "$T/$p.$i.sum"
		u=$(sed -n 's/.*BENCH-INIT uptime=\([0-9.]*\).*/\1/p' "$T/$p.$i.out" | head -n1)
		echo "guest_init_ms $(awk -v u="${u:-0}" 'BEGIN { print u * 1000 }')" >> "$T/$p.$i.sum"
	done
done

echo "net-cost: $N interleaved rounds, medians (1 vCPU, 128 MiB, one vmlinux; nested VM, load $(cut -d' ' -f1-3 /proc/loadavg))"
# Every key's median per peer, in one pass: "peer key value" lines in, a table out.
for p in $PEERS; do
	for i in $(seq "$N"); do awk -v p="$p" '$1 != "rip" { print p, $1, $2 }' "$T/$p.$i.sum"; done
done | awk -v peers="$PEERS" '
	function med(p, k,   m, i, j, t, a) {
		m = cnt[p, k]; for (i = 1; i <= m; i++) a[i] = v[p, k, i]
		for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return m ? a[int((m + 1) / 2)] : "-"
	}
	{ v[$1, $2, ++cnt[$1, $2]] = $3; if (!($2 in seen)) { seen[$2] = 1; keys[++nk] = $2 } }
	END {
		np = split(peers, P, " ")
		printf "  %-28s", "key"; for (i = 1; i <= np; i++) printf "%14s", P[i]; print ""
		for (j = 1; j <= nk; j++) {
			k = keys[j]
			l = sprintf("  %-28s", k); z = 1
			for (i = 1; i <= np; i++) { m = med(P[i], k); l = l sprintf("%14s", m); if (m != 0) z = 0 }
			if (!z) print l
		}
	}'

# Paired: each round's start->exit minus the first peer's in the same round (interleaving cancels slow drifts).
set -- $PEERS
for p in "${@:2}"; do
	for i in $(seq "$N"); do echo $(( $(cat "$T/$p.$i.ms") - $(cat "$T/$1.$i.ms") )); done | sort -n |
		awk -v p="$p" -v b="$1" '{ a[NR] = $1 } END { printf "  paired start->exit, %s - %s: median %+d ms, middle half %+d..%+d, range %+d..%+d\n", p, b, a[int((NR + 1) / 2)], a[int(NR / 4) + 1], a[int(3 * NR / 4) + (NR % 4 ? 1 : 0)], a[1], a[NR] }'
done

[ "$TRACE" = 1 ] || { [ -n "$KEEP" ] && mkdir -p "$KEEP" && cp "$T"/*.out "$T"/*.ms "$KEEP"/; exit 0; }
# Guest profile: host-interrupt exits (L1's timer ticks, every 4 ms of L1 time) by guest function, all rounds
# together: the functions whose sample counts differ most between the peers.
nm -n "$VMLINUX" | awk '$2 ~ /^[tTwW]$/ { print toupper($1), $3 }' > "$T/syms"
for p in $PEERS; do
	cat "$T/$p".*.sum | awk '$1 == "rip" { print $2 }' | sed 's/^0x//' | tr 'a-f' 'A-F' | sort |
		awk -v syms="$T/syms" -v p="$p" '
			BEGIN { while ((getline l < syms) > 0) { split(l, a, " "); na++; addr[na] = a[1]; name[na] = a[2] } }
			{ while (j < na && addr[j + 1] <= $1) j++; c[length($1) == 16 && j ? name[j] : "(user)"]++ }
			END { for (k in c) print p, k, c[k] }'
done | awk -v peers="$PEERS" '
	{ c[$1, $2] = $3; k[$2] = 1 }
	END { split(peers, P, " "); for (x in k) printf "    %-36s %6d %6d %6d\n", x, c[P[1], x], c[P[2], x], c[P[1], x] - c[P[2], x] }' |
	sort -k4,4nr > "$T/profile"
echo "  guest profile (samples, all rounds: $PEERS, difference), most added and most removed:"
head -n 15 "$T/profile"
echo "    ..."
tail -n 5 "$T/profile"

# Guest printk times: initcalls (the kernel has no kallsyms: addresses, named from vmlinux) whose mean time differs
# by 1 ms or more between the first two peers, and when the kernel ran /init.
if [ "${TEST_NETCOST_DMESG:-0}" = 1 ]; then
	nm "$VMLINUX" | awk '{ print $1, $3 }' > "$T/allsyms"
	set -- $PEERS
	for p in "$1" "$2"; do
		for i in $(seq "$N"); do
			sed -n 's/.*initcall 0x\([0-9a-f]*\) returned .* after \([0-9]*\) usecs.*/\1 \2/p' "$T/$p.$i.out"
			sed -n 's/.*\[ *\([0-9.]*\)\] Run \/init.*/Run_init \1/p' "$T/$p.$i.out" | awk '{ print $1, $2 * 1000000 }'
		done | awk -v p="$p" 'NR == FNR { s[$1] = $2; next } { print p, ($1 in s ? s[$1] : $1), $2 }' "$T/allsyms" -
	done | awk -v a="$1" -v b="$2" '
		{ v[$1, $2] += $3; c[$1, $2]++; k[$2] = 1 }
		END {
			for (x in k) {
				ma = c[a, x] ? v[a, x] / c[a, x] : 0; mb = c[b, x] ? v[b, x] / c[b, x] : 0
				if (ma - mb >= 1000 || mb - ma >= 1000 || x == "Run_init")
					printf "    %-40s %10.0f %10.0f\n", x, ma, mb
			}
		}' | sort -k2,2nr > "$T/initcalls"
	echo "  initcalls whose means differ by 1 ms or more (usecs, 4 ms steps in this guest; Run_init: when the kernel ran /init), $1 $2:"
	cat "$T/initcalls"
fi
[ -n "$KEEP" ] && mkdir -p "$KEEP" && cp "$T"/*.out "$T"/*.sum "$KEEP"/
exit 0
