#!/usr/bin/env bash
# bench/report.sh: turns the benches' tsv files in build/bench/ into build/bench/report.md with PNG plots (gnuplot).
# Reads boot.tsv and boot-exits.tsv (bench/boot/peers.sh), fuse.tsv (bench/fuse), net.tsv (bench/net.sh),
# vsock.tsv (bench/vsock.sh), footprint.tsv and footprint-maps.tsv (bench/footprint.sh), vmm-cost.tsv
# (bench/boot/vmm-cost.sh); a missing file is named in the report.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
D=$B/bench
R=$D/report.md
mkdir -p "$D"

# md_table FILE: a tsv with a header line as a markdown table.
md_table() {
	awk -F'\t' 'NR == 1 { h = "|"; s = "|"; for (i = 1; i <= NF; i++) { h = h " " $i " |"; s = s "---|" }
			      print h; print s; next }
		    { l = "|"; for (i = 1; i <= NF; i++) l = l " " $i " |"; print l }' "$1"
}

# bars FILE PNG TITLE YLABEL COL...: a clustered bar chart of the given columns, x = column 1.
bars() {
	local f=$1 png=$2 title=$3 ylabel=$4 plot="" c
	shift 4
	command -v gnuplot > /dev/null || return 1
	for c in "$@"; do plot="$plot${plot:+, }'$f' using $c:xtic(${XTIC:-1}) title columnheader($c)"; done
	gnuplot 2> "$D/gnuplot.err" <<-EOF || return 1
	set terminal pngcairo size 800,420 noenhanced font ",10"
	set output '$png'
	set datafile separator "\t"
	set datafile missing "-"
	set title "$title"
	set ylabel "$ylabel"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set boxwidth 0.9
	set key top right
	set grid ytics
	set yrange [0:*]
	set xtics rotate by -20
	plot $plot
	EOF
}

section() { # section TITLE FILE PNG YLABEL COL...: heading, plot, table (or why there is none)
	local title=$1 f=$2 png=$3 ylabel=$4
	shift 4
	echo "## $title"
	echo
	if [ ! -s "$f" ]; then
		echo "No data: \`$f\` is missing (run its bench)."
		echo
		return
	fi
	if bars "$f" "$D/$png" "$title" "$ylabel" "$@"; then
		echo "![$title]($png)"
		echo
	fi
	[ -n "${NOTABLE:-}" ] || { md_table "$f"; echo; }
}

{
	echo "# Benchmark report"
	echo
	echo "Written by \`make bench\` ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))."
	echo "Guests run in the nested VM of tests/harness/with-kvm (TCG + kvm_amd) where the host has no usable KVM:"
	echo "absolute times are those of that setup; the ratios between peers of the same run are what carries over."
	echo
	section "Boot: start to exit per peer (ms, median)" "$D/boot.tsv" boot-time.png "ms" 2
	NOTABLE=1 section "Boot: VM exits per peer (one traced boot)" "$D/boot.tsv" boot-exits.png "exits" 5 6
	if [ -s "$D/boot-exits.tsv" ]; then
		echo "Exits by reason (kvm_exit tracepoint in the nested VM):"
		echo
		md_table "$D/boot-exits.tsv"
		echo
	fi
	# fuse.tsv: workload, unit, better, one column per target, then ours/ll and ours/hp (speed ratios)
	section "Filesystem workloads: our speed ÷ each peer's (above 1: ours faster)" "$D/fuse.tsv" fuse.png "ratio" 9 10
	section "Filesystem workloads on a host tmpfs (the servers' own cost): our speed ÷ each peer's" "$D/fuse-tmpfs.tsv" fuse-tmpfs.png "ratio" 9 10
	NOTABLE= section "Filesystem workloads in the guest" "$D/fuse-guest.tsv" fuse-guest.png "as in the table" 4 5 6 7
	XTIC='strcol(1)." ".strcol(2)' section "Network throughput (MB/s)" "$D/net.tsv" net.png "MB/s" 3
	XTIC='strcol(1)." ".strcol(2)' section "vsock throughput (MiB/s)" "$D/vsock.tsv" vsock.png "MiB/s" 3
	NOTABLE= section "Our VMM's own cost around a boot (ms, nested VM)" "$D/vmm-cost.tsv" vmm-cost.png "ms" 2 3
	section "Footprint" "$D/footprint.tsv" footprint.png "MiB" 2
	if [ -s "$D/footprint-maps.tsv" ]; then
		echo "VMM overhead RSS by mapping (bench/footprint.sh; file-backed pages of shared libraries included):"
		echo
		md_table "$D/footprint-maps.tsv"
		echo
	fi
} > "$R"
echo "bench report: $R"
