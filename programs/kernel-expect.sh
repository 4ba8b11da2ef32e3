#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every corpus program (corpus.yaml) over every packet of its pcap in this machine's kernel
# with bpftool (BPF_PROG_TEST_RUN) and writes
#   expected/NAME.txt        one line per packet: "INDEX RETVAL OUTPUT_HEX"
#   expected/NAME.maps.yaml  every map of the object after the last packet
# Loading the objects proves the kernel verifier accepts every program.
# Needs root, bpftool, python3 with PyYAML. Usage: programs/kernel-expect.sh [NAME...]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
py=/usr/bin/python3
[ -x "$py" ] || py=python3

die() { echo "kernel-expect.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (bpf(2) and mount)"
command -v bpftool >/dev/null || die "bpftool not found"
command -v taskset >/dev/null || die "taskset (util-linux) not found"

# No '.' in the path: libbpf rewrites '.' to '_' in pin paths.
tmp="$(mktemp -d /tmp/jxdp_kexpect_XXXXXX)"
cleanup() {
	if mountpoint -q "$tmp/fs"; then umount "$tmp/fs"; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$tmp/fs" "$tmp/pkts"
mount -t bpf bpf "$tmp/fs"

# Return codes from enum xdp_action in <linux/bpf.h>.
xdp_names=(XDP_ABORTED XDP_DROP XDP_PASS XDP_TX XDP_REDIRECT)

"$py" corpus.py entries > "$tmp/entries.tsv"
mkdir -p expected
selected=("$@")
n_entries=0
while IFS=$'\t' read -r name object program pcap maps want; do
	if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " == *" $name "* ]]; then
		continue
	fi
	n_entries=$((n_entries + 1))
	[ -f "$object" ] || die "$name: object $object missing (run make)"
	[ -f "$pcap" ] || die "$name: pcap $pcap missing (run packets/gen_packets.py)"

	progdir="$tmp/fs/$name-progs"
	mapdir="$tmp/fs/$name-maps"
	mkdir "$mapdir"
	if ! bpftool prog loadall "$object" "$progdir" type xdp pinmaps "$mapdir" >"$tmp/load.log" 2>&1; then
		cat "$tmp/load.log" >&2
		die "$name: the kernel refused $object (verifier log above)"
	fi
	[ -e "$progdir/$program" ] || die "$name: $object has no program $program"

	if [ "$maps" != "-" ]; then
		"$py" corpus.py preload "$maps" > "$tmp/preload.tsv"
		objname="$(basename "$object" .o)"
		while IFS=$'\t' read -r map key value; do
			pinned="$map"
			# Global data (".data", ".bss"): libbpf pins "<8 chars of object>.<section>" with '_' for '.'.
			if [[ "$map" == .* ]]; then pinned="${objname:0:8}${map}"; pinned="${pinned//./_}"; fi
			[ -e "$mapdir/$pinned" ] || die "$name: $maps names map $map, not in $object"
			# shellcheck disable=SC2086 # key and value are lists of hex bytes
			bpftool map update pinned "$mapdir/$pinned" key hex $key value hex $value \
				|| die "$name: bpftool map update $map key $key failed"
		done < "$tmp/preload.tsv"
	fi

	rm -f "$tmp/pkts"/* "$tmp/out.tmp"
	count="$("$py" corpus.py split "$pcap" "$tmp/pkts")"
	out="expected/$name.txt"
	: > "$tmp/out.tmp"
	verdicts=""
	for ((i = 0; i < count; i++)); do
		in="$tmp/pkts/$(printf '%04d' "$i").bin"
		rm -f "$tmp/out.bin"
		# CPU 0: the per-CPU map values and get_smp_processor_id are then the same every run.
		if taskset -c 0 bpftool -j prog run pinned "$progdir/$program" data_in "$in" \
			data_out "$tmp/out.bin" data_size_out 8192 > "$tmp/run.json" 2>&1; then
			ret="$(sed -n 's/.*"retval":\([0-9]*\).*/\1/p' "$tmp/run.json")"
			[ -n "$ret" ] || die "$name packet $i: no retval in $(cat "$tmp/run.json")"
			rname="${xdp_names[$ret]:-RET_$ret}"
			hex="$(od -An -v -tx1 "$tmp/out.bin" | tr -d ' \n')"
			[ -n "$hex" ] || hex="-"
			echo "$i $rname $hex" >> "$tmp/out.tmp"
			verdicts="$verdicts $rname"
		elif [ "$(stat -c %s "$in")" -lt 14 ] && grep -q "Invalid argument" "$tmp/run.json"; then
			# net/bpf/test_run.c bpf_test_init(): data_in shorter than ETH_HLEN is refused.
			echo "$i EINVAL -" >> "$tmp/out.tmp"
		else
			die "$name packet $i: bpftool prog run failed: $(cat "$tmp/run.json")"
		fi
	done
	seen="$(echo "$verdicts" | tr ' ' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"
	[ "$seen" = "$want" ] || die "$name: the packets give verdicts {$seen}, corpus.yaml says {$want}"
	mv "$tmp/out.tmp" "$out"
	"$py" corpus.py dump-maps "$mapdir" "$(basename "$object" .o)" > "expected/$name.maps.yaml"
	echo "$name: $count packets, verdicts: $seen"
	rm -rf "$progdir" "$mapdir"
done < "$tmp/entries.tsv"
[ "$n_entries" -gt 0 ] || die "no corpus entry matched: $*"
