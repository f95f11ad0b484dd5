#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmarks, inside the lab guest (started by bench/run.sh through
# tools/lab/run.sh).  Topology: tests/lib.sh, plus a "flood" namespace on the
# client bridge and a dummy "sink" device in the director that takes every
# reply to the spoofed sources (192.0.2.128/25).  Raw samples go to
# $LAB_RESULTS/bench.raw (one line per repetition); bench/table.py makes the
# table.  Methodology: bench/README.md.
#
# usage: bench/guest.sh [SCENARIO...]   reaper established conn syn legit
#                                       (default: all, always in this order)
source "$(dirname "$0")/../tests/lib.sh"
set -o pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
BC="python3 $BENCH/bclient.py"
SYNFLOOD=${SYNFLOOD:?SYNFLOOD: the compiled tools/synflood.c}
REPS=${BENCH_REPS:-5}
RAW=${LAB_RESULTS:-/tmp}/bench.raw
VS=/proc/sys/net/ipv4/vs
SINK_NET=192.0.2.128/25   # spoofed sources; the director routes them to a dummy
DROP_DST=192.0.2.99       # blackholed in the director: the transport-only baseline
SYN_N=${BENCH_SYN_N:-40000}
HTTP_RPORT=8000           # busybox httpd on rs1 and rs2 (scenario 3)
HTTP_PLAIN=84             # NAT services to them: plain
HTTP_COOKIE=85            # and --syncookie on
: >"$RAW"

say() { printf '[bench %s] %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$*" >&2; }
# val SCENARIO METRIC CONTENDER VALUE; base SCENARIO METRIC BASELINE
val() { printf 'V\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }
base() { printf 'B\t%s\t%s\t%s\n' "$@" >>"$RAW"; }
note() { printf 'N\t%s\n' "$*" >>"$RAW"; }
calc() { awk "BEGIN { printf \"%.4f\", $* }"; }

# guest CPU time in USER_HZ ticks, all CPUs, busy = all but idle and iowait
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
slab_active() { awk -v c="$1" '$1 == c { n = $2 } END { print n + 0 }' /proc/slabinfo; }
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
# IPVS entries (connections) of the director: ipvsadm's per-destination
# counters, not /proc/net/ip_vs_conn, which is slow with 10^5 entries
ipvs_entries() { ipvs -Ln | awk '/->/ && $5 ~ /^[0-9]+$/ { s += $5 + $6 } END { print s + 0 }'; }
ct_count() { d cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0; }
flood() { ip netns exec flood "$SYNFLOOD" "$@"; }

setup() {
	modprobe ip_vs || exit 1
	setup_nat || exit 1
	add_client flood 192.0.2.3 2001:db8:1::3
	ip -n director link add sink type dummy
	ip -n director link set sink up
	ip -n director route add $SINK_NET dev sink
	ip -n director route add blackhole $DROP_DST/32
	ip -n flood neigh replace $DROP_DST lladdr "$(d cat /sys/class/net/brc/address)" dev eth0 nud permanent
	d sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.brc.rp_filter=0 net.ipv4.tcp_syncookies=2
	# (c): the kernel's listener syncookies, a local listener of the director
	d $BC serve 8080 director >/dev/null 2>&1 &
	echo $! >>"$LAB_PIDS"
	# the same (empty) iptables base chains for every contender; only
	# SYNPROXY puts rules (and conntrack) in them
	d iptables -t raw -A PREROUTING -p tcp --dport 1 -j ACCEPT && d iptables -t raw -F
	d iptables -A INPUT -p tcp --dport 1 -j ACCEPT && d iptables -F
	svc 80 ""                   # (d) stock
	svc 81 ""                   # (b) SYNPROXY in front while measured
	# scenario 3's HTTP real servers: busybox httpd, one small file
	mkdir -p "$WWW"
	head -c 4096 /dev/urandom >"$WWW/f"
	sha256sum <"$WWW/f" | cut -d' ' -f1 >"$LAB_TMP/f.sha256"
	local r
	for r in rs1 rs2; do
		ip netns exec $r busybox httpd -f -p $HTTP_RPORT -h "$WWW" &
		echo $! >>"$LAB_PIDS"
	done
	wait_for 20 r1 curl -sf -o /dev/null http://$RS1:$HTTP_RPORT/f || { say "rs1 httpd did not start"; exit 1; }
	wait_for 20 r2 curl -sf -o /dev/null http://$RS2:$HTTP_RPORT/f || { say "rs2 httpd did not start"; exit 1; }
	wait_for 20 d $BC greet 192.0.2.1 8080 || { say "director listener did not start"; exit 1; }
}

# the ipvs-ext modules and (a): after the established scenario's "none" block
cookie_setup() {
	ipvs -L -t $VIP:82 >/dev/null 2>&1 && return 0
	ext_load
	svc 82 "--syncookie on"     # (a) ip_vs_syncookie
	wait_for 20 c $TOOL who $VIP 82 || { say "cookie service does not answer"; exit 1; }
}

# svc PORT FLAGS [REAL_PORT]
svc() {
	# shellcheck disable=SC2086 # $2: flags
	ipvs -A -t $VIP:$1 -s rr $2 || exit 1
	ipvs -a -t $VIP:$1 -r $RS1:${3:-80} -m
	ipvs -a -t $VIP:$1 -r $RS2:${3:-80} -m
}

# netfilter SYNPROXY in front of the IPVS service $VIP:81 as iptables-extensions(8)
# documents it, for a VIP terminated on the director (INPUT), with IPVS's
# conntrack support on so that the SYN SYNPROXY sends on is NATed with a
# conntrack entry IPVS keeps up to date (no SYN/SYN-ACK loop).
synproxy_on() {
	d sysctl -qw net.ipv4.vs.conntrack=1
	d iptables -t raw -A PREROUTING -i brc -p tcp -d $VIP --dport 81 --syn -j CT --notrack
	d iptables -A INPUT -i brc -p tcp -d $VIP --dport 81 -m conntrack --ctstate INVALID,UNTRACKED \
		-j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
	d iptables -A INPUT -i brc -p tcp -d $VIP --dport 81 -m conntrack --ctstate INVALID -j DROP
	d sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
}
synproxy_off() {
	d iptables -t raw -F
	d iptables -F
	d sysctl -qw net.ipv4.vs.conntrack=0
}
synproxy_syns() {
	local s=0 v
	for v in $(d awk 'NR > 1 { print $2 }' /proc/net/stat/synproxy); do s=$((s + 16#$v)); done
	echo $s
}

# contender -> port the flood of scenario 1 uses
port_of() { case $1 in cookie) echo 82 ;; synproxy) echo 81 ;; kernel) echo 8080 ;; stock) echo 80 ;; esac; }
host_of() { case $1 in kernel) echo 192.0.2.1 ;; *) echo $VIP ;; esac; }

# Scenario 6: bytes the module keeps per proxied connection.
s_conn() {
	local size=${SC_CONN_SIZE:-0} bucket k=${BENCH_CONN_K:-100} i kind out pids=() f dk
	bucket=$(awk -v s="$size" 'BEGIN { n = split("8 16 32 64 96 128 192 256 512 1024 2048", b, " ");
		for (i = 1; i <= n; i++) if (b[i] >= s) { print b[i]; exit } }')
	say "conn: sizeof(struct ip_vs_sc_conn) = $size (kmalloc-$bucket)"
	note "sizeof(struct ip_vs_sc_conn) = $size bytes (from the module's DWARF) -> kmalloc-$bucket"
	val conn "sizeof ip_vs_sc_conn (bytes)" computed "$size"
	base conn "kmalloc-$bucket objects per conn" stock
	base conn "ip_vs_conn objects per conn" stock
	base conn "module bytes per proxied conn" computed
	local ds dc
	for ((i = 1; i <= REPS; i++)); do
		val conn "module bytes per proxied conn" computed "$bucket"
		for kind in stock cookie; do
			f=$(mktemp)
			d env BENCH_HOLD=900 $BC slab client $VIP "$(port_of $kind)" $k >"$f" 2>&1 &
			pids+=($!)
			wait_for 120 test -s "$f" || { say "conn: no slab numbers"; cat "$f" >&2; }
			out=$(cat "$f")
			say "conn: rep $i $kind: $out"
			dk=$(sed -n "s/.*kmalloc-$bucket=\([-0-9]*\) .*/\1/p" <<<"$out")
			[ -n "$dk" ] || { say "conn: no kmalloc-$bucket count"; continue 2; }
			[ $kind = stock ] && ds=$dk || dc=$dk
			val conn "kmalloc-$bucket objects per conn" $kind "$(calc "$dk / $k")"
			local dv
			dv=$(sed -n 's/.*ip_vs_conn=\([-0-9]*\) .*/\1/p' <<<"$out")
			[ -n "$dv" ] && val conn "ip_vs_conn objects per conn" $kind "$(calc "$dv / $k")"
		done
		val conn "module bytes per proxied conn" "slab (cookie-stock)" "$(calc "($dc - $ds) * $bucket / $k")"
	done
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	ipvs -Z
}

# Scenario 5: reaper reaction times (conns metric, budget 20, low 50 %, high 80 %).
s_reaper() {
	local i out interval
	interval=$(d cat $VS/reap_interval_ms)
	base reaper "high crossed -> refusing (ms)" "interval"
	base reaper "below low -> normal (ms)" "interval"
	wait_for 60 bash -c "[ \$(ip netns exec director awk 'NR > 1' /proc/net/ip_vs_conn | wc -l) -eq 0 ]"
	d sh -c "echo conns >$VS/reap_metric; echo 20 >$VS/reap_conn_budget;
		echo 99 >$VS/reap_high; echo 50 >$VS/reap_low; echo 80 >$VS/reap_high;
		echo 1 >$VS/reap_floor"
	for ((i = 1; i <= REPS; i++)); do
		val reaper "high crossed -> refusing (ms)" interval "$interval"
		val reaper "below low -> normal (ms)" interval "$interval"
		out=$(d timeout 60 $BC reaper client $VIP 80 2>&1) || { say "reaper: failed: $out"; continue; }
		say "reaper: rep $i: $out"
		val reaper "high crossed -> refusing (ms)" reaper "${out% *}"
		val reaper "below low -> normal (ms)" reaper "${out#* }"
	done
	d sh -c "echo memory >$VS/reap_metric; echo 95 >$VS/reap_high; echo 85 >$VS/reap_low;
		echo 1048576 >$VS/reap_conn_budget; echo 2 >$VS/reap_floor"
}

ext_load() {
	for m in ip_vs_persist_ext ip_vs_syncookie ip_vs_dos_reap; do modprobe $m; done
}

iperf_bps() {
	c timeout 30 iperf3 -c $VIP -p "$1" -t "${BENCH_IPERF_SECS:-2}" -J 2>/dev/null |
		python3 -c 'import json,sys; print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))'
}

# Scenario 4: established path, throughput and short-connection rate.  An
# IPVS connection bound to the cookie proxy pins its module until it expires
# (TIME_WAIT: 2 min), so "none" runs first, as a block, before any ipvs-ext
# module is loaded; then "loaded" and "cookie" alternate.
est_rep() {
	local cfg=$1 i=$2 p=5201 q=80 bps rate
	[ "$cfg" = cookie ] && p=5202 q=83
	bps=$(iperf_bps $p) || bps=
	rate=$(c timeout 30 $BC rate $VIP $q "${BENCH_RATE_SECS:-2}") || rate=
	say "established: rep $i $cfg: $bps Mbit/s, $rate conn/s"
	[ -n "$bps" ] && val established "iperf3 throughput (Mbit/s)" "$cfg" "$bps"
	[ -n "$rate" ] && val established "short connections (conn/s)" "$cfg" "$rate"
}

s_established() {
	local i
	r1 iperf3 -s -p 5201 -D >/dev/null 2>&1
	ipvs -A -t $VIP:5201 -s rr
	ipvs -a -t $VIP:5201 -r $RS1:5201 -m
	wait_for 10 c timeout 10 iperf3 -c $VIP -p 5201 -t 1 || say "iperf3 through $VIP:5201 fails"
	base established "iperf3 throughput (Mbit/s)" none
	base established "short connections (conn/s)" none
	if lsmod | grep -q '^ip_vs_\(syncookie\|dos_reap\|persist_ext\) '; then
		say "established: ipvs-ext modules already loaded: no 'none' figures"
	else
		for ((i = 1; i <= REPS; i++)); do est_rep none $i; done
	fi
	ext_load
	ipvs -A -t $VIP:5202 -s rr --syncookie on
	ipvs -a -t $VIP:5202 -r $RS1:5201 -m
	ipvs -A -t $VIP:83 -s rr --syncookie on
	ipvs -a -t $VIP:83 -r $RS1:80 -m
	ipvs -a -t $VIP:83 -r $RS2:80 -m
	for ((i = 1; i <= REPS; i++)); do
		est_rep loaded $i
		est_rep cookie $i
	done
	ipvs -D -t $VIP:5202
	ipvs -D -t $VIP:83
	ipvs -D -t $VIP:5201
}

# One SYN-cost repetition: SYN_N spoofed SYNs at full speed from one
# generator; CPU time of the whole guest over it, and the state left.
syn_rep() {
	local who=$1 port dst=$VIP b0 b1 e0 e1 s0 s1 k0 k1 ct0 ct1 out n secs sp0
	port=$(port_of "$who")
	case $who in
	drop) dst=$DROP_DST port=80 ;;
	kernel) dst=192.0.2.1 ;;
	synproxy) synproxy_on; sp0=$(synproxy_syns) ;;
	esac
	e0=$(ipvs_entries) s0=$(slab_active ip_vs_conn) k0=$(slab_kb) ct0=$(ct_count)
	b0=$(busy)
	out=$(flood -d $dst -p "$port" -c "$SYN_N" -t 30)
	b1=$(busy)
	sleep 0.3
	e1=$(ipvs_entries) s1=$(slab_active ip_vs_conn) k1=$(slab_kb) ct1=$(ct_count)
	n=$(awk '{ print $2 }' <<<"$out")
	secs=$(awk '{ print $4 }' <<<"$out")
	if [ "$who" = synproxy ]; then
		say "syn: SYNPROXY saw $(($(synproxy_syns) - sp0)) of $n SYNs"
		synproxy_off
	fi
	say "syn: $who: $out, busy $((b1 - b0)) ticks, entries +$((e1 - e0)), ip_vs_conn +$((s1 - s0)), slab +$((k1 - k0)) kB, conntrack +$((ct1 - ct0))"
	val syn "CPU per SYN, gross (us)" "$who" "$(calc "($b1 - $b0) * 10000 / $n")"
	val syn "SYNs/s, one saturated generator" "$who" "$(calc "$n / $secs")"
	echo "$(calc "($b1 - $b0) * 10000 / $n")" >>"$LAB_TMP/syn-$who"
	[ "$who" = drop ] && return
	val state "IPVS entries per 100k SYNs" "$who" "$(calc "($e1 - $e0) * 100000 / $n")"
	val state "ip_vs_conn objects per 100k SYNs" "$who" "$(calc "($s1 - $s0) * 100000 / $n")"
	val state "conntrack entries per 100k SYNs" "$who" "$(calc "($ct1 - $ct0) * 100000 / $n")"
	val state "slab memory per 100k SYNs (kB)" "$who" "$(calc "($k1 - $k0) * 100000 / $n")"
}

# the CPU cost net of the transport (generator, veth, bridge, IP input), per
# repetition against the median of the drop baseline
syn_net() {
	local who=$1 med v
	med=$(sort -g "$LAB_TMP/syn-drop" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	while read -r v; do
		val syn "CPU per SYN over drop (us)" "$who" "$(calc "$v - $med")"
	done <"$LAB_TMP/syn-$who"
}

s_syn() {
	local i who
	base syn "CPU per SYN, gross (us)" drop
	base syn "SYNs/s, one saturated generator" drop
	base syn "CPU per SYN over drop (us)" synproxy
	base state "IPVS entries per 100k SYNs" stock
	base state "ip_vs_conn objects per 100k SYNs" stock
	base state "conntrack entries per 100k SYNs" stock
	base state "slab memory per 100k SYNs (kB)" stock
	# SYNPROXY must carry a real connection end to end before it is measured
	synproxy_on
	local got
	got=$(c timeout 10 $TOOL who $VIP 81 2>&1)
	c timeout 20 $TOOL xfer $VIP 81 --get 1000000 >/dev/null 2>&1 && got="$got+xfer"
	synproxy_off
	say "syn: SYNPROXY check: $got"
	note "SYNPROXY end-to-end check before measuring: '$got' (want rs1/rs2+xfer)"
	for ((i = 1; i <= REPS; i++)); do
		for who in drop cookie kernel synproxy; do syn_rep $who; done
	done
}
# stock last: its SYN_RECV entries (60 s) would lengthen every IPVS lookup after it
s_syn_stock() {
	local i who
	for ((i = 1; i <= REPS; i++)); do syn_rep stock; done
	for who in cookie kernel synproxy stock; do syn_net $who; done
}

# Scenario 3: real HTTP clients, plain NAT service against the cookie
# service, both to the same busybox httpd real servers.  With "flood", two
# generators (one per guest CPU) flood the cookie service from 0.5 s before
# the first request until the last answer, whichever contender is measured.
# curl_series URL N: "ok n p50 p99" of curl's time to first byte (ms), N
# transfers of one curl process (a new connection each: httpd closes); ok:
# status 200 and a body with the file's sha256; p50 and p99 of those
curl_series() {
	local url=$1 n=$2 d=$LAB_TMP/curl
	rm -rf "$d"
	mkdir "$d"
	c curl -s --max-time 3 -o "$d/#1" -w '%{http_code} %{time_starttransfer} %{url_effective}\n' \
		"$url?[1-$n]" >"$LAB_TMP/curl.out"
	sha256sum "$d"/* 2>/dev/null | awk -v h="$(cat "$LAB_TMP/f.sha256")" -v out="$LAB_TMP/curl.out" '
		$1 == h { sub(/.*\//, "", $2); good[$2] = 1 }
		END { while ((getline l <out) > 0) { split(l, a, " "); sub(/.*\?/, "", a[3]);
			if (a[1] == 200 && good[a[3]]) print a[2] } }' >"$LAB_TMP/ttfb"
	echo "$(wc -l <"$LAB_TMP/ttfb") $n $($BC pct 1000 <"$LAB_TMP/ttfb")"
}

# ab_series URL N: the same from ab (one connection per request, all of
# them timed); time to first byte = connect + wait of its -g output (whole
# ms); ok = complete - failed (ab compares every body's length with the
# first's) - status not 2xx
ab_series() {
	local url=$1 n=$2 out ok
	rm -f "$LAB_TMP/ab.tsv"
	if ! out=$(c ab -q -r -n "$n" -c 1 -s 3 -g "$LAB_TMP/ab.tsv" "$url" 2>&1); then
		# it stops at the first request without an answer in 3 s
		say "legit: ab: $(tail -1 <<<"$out")"
		ok=$(awk '/^Total of [0-9]+ requests completed/ { print $3 }' <<<"$out")
		echo "${ok:-0} $((${ok:-0} + 1)) nan nan"
		return
	fi
	ok=$(awk '/^Complete requests:/ { s += $3 } /^Failed requests:|^Non-2xx responses:/ { s -= $3 }
		END { print (s > 0 ? s : 0) }' <<<"$out")
	echo "$ok $n $(awk -F'\t' 'NR > 1 { print $3 + $6 }' "$LAB_TMP/ab.tsv" | $BC pct 1)"
}

# legit_rep CONTENDER CONDITION: plain|cookie, "no flood"|flood
legit_rep() {
	local who=$1 cond=$2 port=$HTTP_PLAIN url cu ab f1 f2
	[ "$who" = cookie ] && port=$HTTP_COOKIE
	url=http://$VIP:$port/f
	if [ "$cond" = flood ]; then
		# not through flood(): $! must be the generator, it is killed when done
		ip netns exec flood "$SYNFLOOD" -d $VIP -p $HTTP_COOKIE -c 1000000000 -t 300 -q &
		f1=$!
		ip netns exec flood "$SYNFLOOD" -d $VIP -p $HTTP_COOKIE -c 1000000000 -t 300 -q &
		f2=$!
		sleep 0.5
	fi
	cu=$(curl_series "$url" "${BENCH_LEGIT_N:-25}")
	ab=$(ab_series "$url" "${BENCH_AB_N:-100}")
	[ "$cond" = flood ] && { kill $f1 $f2; wait $f1 $f2 2>/dev/null; }
	say "legit: $cond, $who: curl ok n p50 p99: $cu; ab: $ab"
	# ok n p50 p99 (curl) ok n p50 p99 (ab)
	set -- $cu $ab
	[ $# -eq 8 ] || return 0
	val legit "$cond: success (%)" "$who" "$(calc "($1 + $5) * 100 / ($2 + $6)")"
	[ "$3" != nan ] && val legit "$cond: curl TTFB p50 (ms)" "$who" "$3"
	[ "$4" != nan ] && val legit "$cond: curl TTFB p99 (ms)" "$who" "$4"
	[ "$7" != nan ] && val legit "$cond: ab TTFB p50 (ms)" "$who" "$7"
	[ "$8" != nan ] && val legit "$cond: ab TTFB p99 (ms)" "$who" "$8"
}

s_legit() {
	local i who cond m
	svc $HTTP_PLAIN "" $HTTP_RPORT
	svc $HTTP_COOKIE "--syncookie on" $HTTP_RPORT
	for cond in "no flood" flood; do
		for m in "success (%)" "curl TTFB p50 (ms)" "curl TTFB p99 (ms)" "ab TTFB p50 (ms)" "ab TTFB p99 (ms)"; do
			base legit "$cond: $m" plain
		done
	done
	wait_for 20 c curl -sf -o /dev/null http://$VIP:$HTTP_COOKIE/f || say "legit: the cookie service does not answer"
	for ((i = 1; i <= REPS; i++)); do
		for cond in "no flood" flood; do
			for who in plain cookie; do legit_rep $who "$cond"; done
		done
	done
	ipvs -D -t $VIP:$HTTP_PLAIN
	ipvs -D -t $VIP:$HTTP_COOKIE
}

cleanup() {
	cleanup_nat
	rm -rf "$LAB_TMP"
}
trap cleanup EXIT
LAB_TMP=$(mktemp -d)
WWW=$LAB_TMP/www

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(reaper established conn syn legit)
wants() { [[ " ${want[*]} " == *" $1 "* ]]; }

note "kernel $(uname -r), guest CPUs $(nproc), guest memory $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB, repetitions $REPS"
setup
say "setup done; scenarios: ${want[*]}"
for s in reaper established conn syn legit; do
	wants $s || continue
	case $s in
	reaper) modprobe ip_vs_dos_reap ;;
	established) lsmod | grep -q '^ip_vs_dos_reap ' && { wait_for 20 rmmod ip_vs_dos_reap || say "rmmod ip_vs_dos_reap failed"; } ;;
	*) cookie_setup ;;
	esac
	# the floods measure stock IPVS, not IPVS with the reaper refusing
	[ $s = syn ] || [ $s = legit ] && { lsmod | grep -q ^ip_vs_dos_reap && rmmod ip_vs_dos_reap; }
	say "== $s"
	s_$s
done
wants syn && { say "== syn (stock)"; s_syn_stock; }
say "done"
