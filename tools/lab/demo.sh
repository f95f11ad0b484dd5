#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The lab demo (make demo): in the guest, load the modules, build the NAT
# topology of tests/lib.sh, carry real traffic through an IPVS service
# configured by the patched ipvsadm, and show the persistence modes, the
# reaper and the SYN-cookie proxy at work.  With --setup-only (make lab) it stops after the setup and leaves
# the topology up for an interactive shell.  A demo, not a test: it shows
# the modules at work and judges nothing (tests/run-vm.sh runs the tests).
source "$(dirname "$0")/../../tests/lib.sh"

step() { printf '\n### %s\n' "$*"; }

step "modules"
for m in ip_vs ip_vs_persist_ext ip_vs_syncookie ip_vs_dos_reap; do
	modprobe "$m" || exit 1
done
lsmod | grep -E '^ip_vs'
setup_nat || exit 1

step "a NAT service: $VIP:80 -> rs1, rs2 (rr)"
ipvs -A -t $VIP:80 -s rr
ipvs -a -t $VIP:80 -r $RS1:80 -m
ipvs -a -t $VIP:80 -r $RS2:80 -m
ipvs -Ln
if [ "${1:-}" = --setup-only ]; then
	echo "topology up: namespaces $(ip netns list | cut -d' ' -f1 | xargs); try: ip netns exec client python3 tests/tcp_tool.py who $VIP 80"
	exit 0
fi
c $TOOL xfer $VIP 80 --get 2000000 || exit 1
c $TOOL xfer $VIP 80 --put 2000000 || exit 1

step "persistence modes side by side (timeout 3 s, a connection every 0.5 s)"
T=3
port=2000
for mode in renew absolute idle; do
	port=$((port + 1))
	ipvs -A -t $VIP:$port -s rr -p $T --persist-mode $mode || exit 1
	ipvs -a -t $VIP:$port -r $RS1:80 -m
	ipvs -a -t $VIP:$port -r $RS2:80 -m
done
ipvs -Ln | grep -E 'persist|TCP'
port=2000
pids=()
for mode in renew absolute idle; do
	port=$((port + 1))
	c $TOOL probe $VIP $port --every 0.5 --count 12 >"/tmp/demo-$mode" &
	pids+=($!)
done
wait "${pids[@]}"
printf '%-10s' "t(s)" renew absolute idle
echo
paste /tmp/demo-renew /tmp/demo-absolute /tmp/demo-idle |
	awk '{ sub("t=", "", $1); printf "%-10s%-10s%-10s%-10s\n", $1, $2, $5, $8 }'
echo "absolute re-schedules the client every $T s however busy it is;"
echo "renew and idle keep it while it keeps coming back."
ipvs -Ln --stats | grep -A3 -E ':200[123] '

step "adaptive reaping under a spoofed SYN flood (conns metric, budget 3000, low 20 %, high 60 %)"
VS=/proc/sys/net/ipv4/vs
d sh -c "echo conns >$VS/reap_metric; echo 3000 >$VS/reap_conn_budget; echo 20 >$VS/reap_low; echo 60 >$VS/reap_high"
c timeout 8 hping3 -q -S -p 80 --flood -a 192.0.2.199 $VIP >/dev/null 2>&1 &
flood=$!
printf '%-5s %-9s %-12s %-8s %-8s %s\n' t state utilisation entries reaped refused
for i in $(seq 1 12); do
	d awk -v t=$i -v n="$(conn_count)" -v r="$(counter ip_vs_dos_reap reaped)" \
		-v f="$(counter ip_vs_dos_reap refused)" '{ v[$1] = $2 }
		END { printf "%-5s %-9s %-12s %-8s %-8s %s\n", t, v["state"], v["utilisation"], n, r, f }' \
		/proc/net/ip_vs_reap
	sleep 1
done
wait $flood
ipvs -L --reaper
d dmesg | grep 'reaper:' | tail -4

step "SYN flood: a stock service and a cookie service side by side (5 s each, 20 real clients during it)"
d sh -c "echo memory >$VS/reap_metric; echo 95 >$VS/reap_high; echo 85 >$VS/reap_low"
ipvs -A -t $VIP:8080 -s rr --syncookie on || exit 1
ipvs -a -t $VIP:8080 -r $RS1:80 -m
ipvs -a -t $VIP:8080 -r $RS2:80 -m
ipvs -Ln | grep -A2 ':8080'
# IPVS entries of a virtual port (/proc/net/ip_vs_conn has it in hex)
entries() { d awk -v p="$(printf %04X "$1")" 'NR > 1 && $5 == p' /proc/net/ip_vs_conn | wc -l; }
printf '%-16s %-14s %-14s %-13s %s\n' service "peak entries" "entries after" "cookies sent" "real clients ok"
for port in 80 8080; do
	sent0=$(sc cookies_sent)
	c timeout 5 hping3 -q -S -p $port --flood -a 192.0.2.199 $VIP >/dev/null 2>&1 &
	flood=$!
	ok=0 peak=0
	for i in $(seq 1 20); do
		c timeout 3 $TOOL who $VIP $port >/dev/null 2>&1 && ok=$((ok + 1))
		n=$(entries $port)
		[ "$n" -gt "$peak" ] && peak=$n
	done
	wait $flood
	name=stock
	[ $port = 8080 ] && name=cookie
	printf '%-16s %-14s %-14s %-13s %s\n' "$name :$port" "$peak" "$(entries $port)" \
		"$(($(sc cookies_sent) - sent0))" "$ok/20"
done
echo "the stock service keeps one IPVS entry per spoofed SYN (and forwards each to a real"
echo "server); the cookie service keeps none: only clients that completed the handshake get one."
d cat /proc/net/stat/ip_vs_syncookie
ipvs -Ln --stats | grep -A1 ':8080 '

step "clean up"
ipvs -C
cleanup_nat
echo "demo: OK"
