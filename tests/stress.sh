#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Abuse: random and malformed netlink requests, module load/unload while
# floods and transfers run, namespaces with every extension configured
# created and destroyed in a loop.  Pass = the right answers and a clean
# kernel log (the lab fails the run on any oops, warning or leak report).
# Runs in the lab guest: tools/lab/run.sh tests/stress.sh
# vm-suite order=80 timeout=3600
source "$(dirname "$0")/lib.sh"

GENL="python3 $TESTS_DIR/genl.py"
MODS="ip_vs_persist_ext ip_vs_syncookie ip_vs_dos_reap ip_vs_ext"
SVC='SERVICE:nest:{AF:u16:AF_INET,PROTOCOL:u16:IPPROTO_TCP,ADDR:hex:c000020a,PORT:be16:80}'

genl_fuzz() {
	local out m
	for m in $MODS; do modprobe $m; done
	ipvs -A -t $VIP:90 -s rr -p 30 --persist-mode idle
	out=$(d $GENL fuzz 4000 1 IPVS_PERSIST IPVS_SYNCOOKIE IPVS_REAP) ||
		fail "fuzzer: $out"
	log "  $out"
	# still serving well-formed requests afterwards
	assert_match "set after fuzzing" "^errno=0 " "$(d $GENL IPVS_PERSIST SET_SERVICE "$SVC" MODE:u8:IDLE)"
	assert_match "get after fuzzing" "^errno=0 " "$(d $GENL IPVS_PERSIST GET_SERVICE "$SVC")"
	ipvs -D -t $VIP:90
}
# a service left with the persist_ext engine would pin its module
genl_fuzz_undo() { ipvs -D -t "$VIP:90" 2>/dev/null; }

# 100 load/unload cycles of each module while a spoofed flood and
# byte-checked transfers cross a NAT service (persist_ext: no service uses
# its engine here, so it may go).
load_unload_under_traffic() {
	local xfer i m
	reap_sysctls() { d sh -c 'echo conns >/proc/sys/net/ipv4/vs/reap_metric 2>/dev/null; echo 500 >/proc/sys/net/ipv4/vs/reap_conn_budget 2>/dev/null' || true; }
	# the flood lasts until the cycles are done
	FLOOD_GAP=u20 flood_start 80 1000 192.0.2.200 192.0.2.201
	(for i in $(seq 1 6); do c $TOOL xfer $VIP 80 --get 3000000 || exit 1; done) >"$LAB_TMP/xfers" 2>&1 &
	xfer=$!
	defer stop_jobs "$xfer"
	for i in $(seq 1 100); do
		for m in $MODS; do modprobe "$m" || fail "modprobe $m (cycle $i)"; done
		reap_sysctls
		for m in $MODS; do rmmod "$m" || fail "rmmod $m (cycle $i)"; done
	done
	flood_stop
	wait $xfer || fail "transfer failed: $(tail -2 "$LAB_TMP/xfers")"
	assert_eq "transfers" 6 "$(grep -c ' ok$' "$LAB_TMP/xfers")"
	assert_eq "tcpfin after 100 reaper unloads" 120 \
		"$(ipvs -L --timeout | awk '{ print $(NF - 1) }')"
}

# Load/unload with the extensions in use: a cookie service (VIP:82) under a
# spoofed flood, a persistent idle-mode service (VIP:81) and the reaper
# guarding VIP:80, each carrying sha256-checked transfers.  A module whose
# settings or connections are in use may refuse to go ("in use", as
# ip_vs_ftp does); any other failure, a broken transfer or a kernel report
# fails.  Settings go with a module, so each cycle sets them again.
load_unload_with_services() {
	local xfers=() i m p out
	for m in $MODS; do modprobe $m; done
	ipvs -A -t $VIP:81 -s rr -p 30 --persist-mode idle
	ipvs -a -t $VIP:81 -r $RS1:80 -m
	ipvs -A -t $VIP:82 -s rr --syncookie on
	ipvs -a -t $VIP:82 -r $RS1:80 -m
	ipvs -a -t $VIP:82 -r $RS2:80 -m
	FLOOD_GAP=u200 flood_start 82 1000 192.0.2.210 192.0.2.211
	# a cookie handshake in flight when ip_vs_syncookie goes is reset (its
	# ACK finds nobody to validate it): on :82 a transfer may fail, never
	# deliver wrong bytes
	for p in 80 81 82; do
		(for i in $(seq 1 4); do c $TOOL xfer $VIP $p --get 2000000 || [ $p = 82 ] || exit 1; done) \
			>"$LAB_TMP/xfers$p" 2>&1 &
		xfers+=($!)
		defer stop_jobs "$!"
	done
	for i in $(seq 1 30); do
		for m in $MODS; do modprobe "$m" || fail "modprobe $m (cycle $i)"; done
		# the mode again (it went with the module): not a check of its own
		ipvs -E -t $VIP:82 -s rr --syncookie on >/dev/null 2>&1 || true
		d sh -c 'echo conns >/proc/sys/net/ipv4/vs/reap_metric; echo 100000 >/proc/sys/net/ipv4/vs/reap_conn_budget'
		for m in $MODS; do
			out=$(rmmod $m 2>&1) || [[ $out =~ "in use" ]] ||
				fail "rmmod $m (cycle $i): $out"
		done
	done
	flood_stop
	# the transfers are judged by their output below
	for p in 0 1 2; do wait "${xfers[$p]}" || true; done
	for p in 80 81; do
		assert_eq "transfers through :$p" 4 "$(grep -c ' ok$' "$LAB_TMP/xfers$p")"
	done
	! grep -q CORRUPT "$LAB_TMP/xfers82" || fail "corrupted transfer through :82"
	[ "$(grep -c ' ok$' "$LAB_TMP/xfers82")" -ge 1 ] || fail "no transfer through :82 completed"
	ipvs -D -t $VIP:81
	ipvs -D -t $VIP:82
	# A transfer cut mid-way (a handshake the unload reset, a client that
	# gave up) leaves its entry ESTABLISHED for 900 s, holding the module
	# it is bound to, as IPVS's own helpers do: close such entries as their
	# clients would have.  Once the connections are gone, every module goes.
	for p in 80 81 82; do resend_rsts $p; done
	wait_for 150 bash -c 'for m in '"$MODS"'; do [ ! -d /sys/module/$m ] || rmmod $m 2>/dev/null || exit 1; done' ||
		fail "modules still in use after the services went: $(lsmod | grep ^ip_vs_ | xargs);" \
			"entries (state vport count): $(d awk 'NR > 1 { n[$8 " " $5]++ }
				END { for (k in n) printf "%s %d, ", k, n[k] }' /proc/net/ip_vs_conn)"
}
# services left with extensions would pin their modules
load_unload_with_services_undo() {
	ipvs -D -t "$VIP:81" 2>/dev/null
	ipvs -D -t "$VIP:82" 2>/dev/null
}

# 100 namespaces: services with every extension configured, a few packets,
# then the namespace goes.
netns_churn() {
	local i m
	for m in $MODS; do modprobe $m; done
	for i in $(seq 1 100); do
		ip netns add churn
		ip -n churn link set lo up
		ip -n churn addr add 192.0.2.10/32 dev lo
		ip netns exec churn ipvsadm -A -t 192.0.2.10:80 -s rr -p 5 --persist-mode idle --persist-max 60 &&
			ip netns exec churn ipvsadm -a -t 192.0.2.10:80 -r 192.0.2.10:8080 -m &&
			ip netns exec churn ipvsadm -A -t 192.0.2.10:81 -s rr --syncookie on &&
			ip netns exec churn ipvsadm -a -t 192.0.2.10:81 -r 192.0.2.10:8080 -m &&
			ip netns exec churn sysctl -qw net.ipv4.vs.reap_metric=conns net.ipv4.vs.reap_conn_budget=10 ||
			fail "configuring netns (cycle $i)"
		# a few packets, answered or not (hping3 fails without an answer)
		ip netns exec churn timeout 30 hping3 -q -S -p 80 -i u1000 -c 30 -a 192.0.2.250 192.0.2.10 \
			>/dev/null 2>&1 || true
		ip netns exec churn timeout 30 hping3 -q -S -p 81 -i u1000 -c 30 -a 192.0.2.250 192.0.2.10 \
			>/dev/null 2>&1 || true
		ip netns del churn
	done
	# every namespace's state is freed: the modules unload (netns cleanup
	# runs in a workqueue, later on a busy machine)
	wait_for 300 bash -c 'for m in '"$MODS"'; do [ ! -d /sys/module/$m ] || rmmod $m || exit 1; done' ||
		fail "modules still in use after the namespaces went"
}
netns_churn_undo() { ip netns del churn 2>/dev/null; }

cleanup() {
	ip netns del churn 2>/dev/null
	flood_kill
	cleanup_nat
	rm -rf "$LAB_TMP"
}
trap cleanup EXIT
LAB_TMP=$(mktemp -d)
modprobe ip_vs
setup_nat || exit 1
ipvs -A -t $VIP:80 -s rr
ipvs -a -t $VIP:80 -r $RS1:80 -m
ipvs -a -t $VIP:80 -r $RS2:80 -m

run_cases genl_fuzz load_unload_under_traffic load_unload_with_services netns_churn -- "$@"
summary
