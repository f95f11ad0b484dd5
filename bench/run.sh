#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmarks (make bench): builds the flood generator, runs bench/guest.sh
# in one lab guest (tools/lab/run.sh), prints the table and, for a full run,
# keeps it as bench/results/<date>-<kernel>.txt.  Methodology: bench/README.md.
#
# usage: bash bench/run.sh [SCENARIO...]   reaper established conn syn legit
#                                          (default: all; "syn" also gives "state")
# env:   BENCH_REPS (5), BENCH_SYN_N (40000), LAB_TIMEOUT (900), BENCH_OUT (results dir)
# The modules and ipvsadm must be built (make modules ipvsadm; make bench does it).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${IPVS_EXT_CACHE:-/var/cache/ipvs-ext}
ALL=(reaper established conn syn legit)

for s in "$@"; do
	[[ " ${ALL[*]} " == *" $s "* ]] || { echo "bench: unknown scenario $s (${ALL[*]})" >&2; exit 2; }
done
[ -f ip_vs_syncookie.ko ] || { echo "bench: build first: make modules ipvsadm" >&2; exit 2; }

# the generator, compiled into the cache (the guest sees the host's root)
mkdir -p "$CACHE/bench"
SYNFLOOD=$CACHE/bench/synflood
if [ ! -x "$SYNFLOOD" ] || [ tools/synflood.c -nt "$SYNFLOOD" ]; then
	gcc -O2 -Wall -o "$SYNFLOOD.tmp" tools/synflood.c
	mv "$SYNFLOOD.tmp" "$SYNFLOOD"
fi

# sizeof(struct ip_vs_sc_conn) from the module's debug information
size=$(gdb -batch -ex 'print sizeof(struct ip_vs_sc_conn)' ip_vs_syncookie.ko 2>/dev/null |
	sed -n 's/^\$1 = //p') || true
[ -n "$size" ] || echo "bench: gdb could not read sizeof(struct ip_vs_sc_conn); scenario conn will show 0" >&2

out=${BENCH_OUT:-$(mktemp -d /tmp/ipvs-bench.XXXXXX)}
mkdir -p "$out"
start=$(date +%s)
rc=0
bash tools/lab/run.sh --timeout "${LAB_TIMEOUT:-900}" --mem 2048 --append slab_nomerge --out "$out" \
	--env SYNFLOOD="$SYNFLOOD" --env SC_CONN_SIZE="${size:-0}" \
	${BENCH_REPS:+--env BENCH_REPS=$BENCH_REPS} ${BENCH_SYN_N:+--env BENCH_SYN_N=$BENCH_SYN_N} \
	bench/guest.sh "$@" || rc=$?
[ -s "$out/bench.raw" ] || { echo "bench: no results (lab run status $rc, see $out)" >&2; exit 1; }

kv=$(sed -n 's/^LAB_KV=//p' "$out/lab.env")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
table=$(
	echo "ipvs-ext benchmarks, $(date -u +%Y-%m-%d) (UTC), $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- '*.c' 2>/dev/null || echo '+dirty')"
	echo "guest: kernel $kv, QEMU TCG (no KVM), 2 vCPUs, 2048 MB; host: $cpu, $(nproc) CPUs"
	echo "scenarios: ${*:-all}; lab run status $rc; wall time $(($(date +%s) - start)) s (whole lab run, boot included)"
	echo "each figure: median [min..max] of n repetitions; ratio = median / the baseline's median, same run"
	python3 bench/table.py "$out/bench.raw"
)
echo "$table"
echo "$table" >"$out/table.txt"
if [ $# -eq 0 ] && [ $rc -eq 0 ]; then
	mkdir -p bench/results
	f=bench/results/$(date -u +%Y-%m-%d)-$kv.txt
	echo "$table" >"$f"
	echo "bench: results in $f" >&2
else
	echo "bench: partial run or lab failure (status $rc): table in $out/table.txt only" >&2
fi
exit $rc
