#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Watermark-driven reaping (ip_vs_dos_reap), end to end: real connections
# and a spoofed SYN flood through a NAT service (topology: tests/lib.sh).
# The `conns` metric with a small budget makes utilisation deterministic:
# idle-but-open connections are never reaped, so their number sets it.
# Runs in the lab guest: tools/lab/run.sh tests/reap.sh
source "$(dirname "$0")/lib.sh"

VS=/proc/sys/net/ipv4/vs

reap_field() { d awk -v k="$1" '$1 == k { print $2 }' /proc/net/ip_vs_reap; }
reap_state() { reap_field state; }
state_is() { [ "$(reap_state)" = "$1" ]; }
# cookies sent by ip_vs_syncookie: column 2 of its per-CPU hex lines
sc_sent() {
	local s=0 v
	for v in $(d awk 'NR > 1 { print $2 }' /proc/net/stat/ip_vs_syncookie); do
		s=$((s + 16#$v))
	done
	echo $s
}
diverted() { [ "$(reap_field diverted)" -ge "$1" ]; }
# the FIN_WAIT timeout (ipvsadm's "tcpfin") as IPVS uses it now
tcpfin() { ipvs -L --timeout | awk '{ print $(NF - 1) }'; }

# reap_config BUDGET LOW HIGH; templates of earlier cases, which live on,
# are added to the budget so that the case's own entries set utilisation
# (one may expire during a case: cases that must reach a mark keep a margin:
# they open 17 of 20 and wait for 16, as the 17th is refused if it comes
# after 16 have reached the high mark).
reap_config() {
	local budget=$(($1 + $(template_lines | wc -l)))
	d sh -c "echo conns >$VS/reap_metric; echo $budget >$VS/reap_conn_budget;
		echo 99 >$VS/reap_high; echo $2 >$VS/reap_low; echo $3 >$VS/reap_high;
		echo 1 >$VS/reap_floor; echo 100 >$VS/reap_interval_ms"
}

# hold_n N: N idle-but-open client connections (each its own process).
HOLDS=()
hold_n() {
	local i
	for ((i = 0; i < $1; i++)); do
		# not through a function: $! must be the client process itself
		ip netns exec client $TOOL hold $VIP 80 --silent 600 >/dev/null 2>&1 &
		HOLDS+=($!)
	done
}

drop_holds() {
	local n=$1 pid
	while [ "$n" -gt 0 ] && [ ${#HOLDS[@]} -gt 0 ]; do
		pid=${HOLDS[-1]}
		unset 'HOLDS[-1]'
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		n=$((n - 1))
	done
}

# Each case starts from normal, without connections of an earlier case.
no_entries() { [ "$(connection_lines | wc -l)" = 0 ]; }
fresh() {
	drop_holds 99
	# a failed case may have left these on
	d sh -c "echo 0 >$VS/reap_refuse_rst; echo 0 >$VS/reap_cookie_fallback; echo 100 >$VS/reap_interval_ms"
	wait_for 90 no_entries || fail "$(conn_count) entries left by an earlier case" || return 1
	wait_for 5 state_is normal || fail "state $(reap_state) left by an earlier case"
}

established() { [ "$(connection_lines | grep -c ESTABLISHED)" -ge "$1" ]; }

# budget 20, low 50 % (10 entries), high 80 % (16 entries)
watermarks_and_hysteresis() {
	fresh || return 1
	reap_config 20 50 80
	hold_n 12
	wait_for 30 established 12 || fail "12 connections not established" || return 1
	wait_for 3 state_is reaping || fail "12/20 entries: state $(reap_state), want reaping" || return 1
	# reaping: closing timeouts scale from 120 s towards the 1 s floor
	local fin
	fin=$(tcpfin)
	[ "$fin" -lt 120 ] && [ "$fin" -ge 1 ] || fail "tcpfin while reaping: $fin" || return 1
	hold_n 4
	wait_for 30 established 16 || fail "16 connections not established" || return 1
	wait_for 3 state_is refusing || fail "16/20 entries: state $(reap_state), want refusing" || return 1
	assert_eq "tcpfin at full pressure (the floor)" 1 "$(tcpfin)" || return 1
	assert_match "ipvsadm -L --reaper" "state refusing" "$(ipvs -L --reaper)" || return 1
	# refusing: a new connection is refused, the open ones keep working
	! c $TOOL who $VIP 80 2>/dev/null || fail "a new connection got through while refusing" || return 1
	[ "$(reap_field refused)" -ge 1 ] || fail "refused counter did not move" || return 1
	assert_eq "a local service of the director while refusing" director \
		"$(c $TOOL who 192.0.2.1 8080)" || return 1
	# hysteresis: back between the marks it keeps refusing ...
	drop_holds 4
	sleep 2
	assert_eq "state with 12/20 entries after refusing" refusing "$(reap_state)" || return 1
	# ... until below low, where everything is restored
	drop_holds 4
	wait_for 20 state_is normal || fail "8/20 entries: state $(reap_state), want normal" || return 1
	assert_eq "tcpfin restored" 120 "$(tcpfin)" || return 1
	c $TOOL who $VIP 80 >/dev/null || fail "new connection refused after normal" || return 1
	drop_holds 99
}

# The conns metric does not wait for the next sample: the SYN whose entry
# brings the table to the high mark has one taken a jiffy later.  With
# reap_interval_ms at 10 s, refusing starts right after that connection,
# long before the periodic sample could have started it.
now_ms() { date +%s%3N; }
refusing_at_once() {
	local t_set t_ref
	fresh || return 1
	reap_config 20 50 80
	hold_n 15
	wait_for 30 established 15 || fail "15 connections not established" || return 1
	wait_for 3 state_is reaping || fail "15/20 entries: state $(reap_state), want reaping" || return 1
	d sh -c "echo 10000 >$VS/reap_interval_ms"
	t_set=$(now_ms)
	sleep 0.5 # the sample the write started
	assert_eq "state at 15/20 entries, interval 10 s" reaping "$(reap_state)" || return 1
	hold_n 1
	wait_for 30 established 16 || fail "16 connections not established" || return 1
	wait_for 5 state_is refusing || fail "state $(reap_state) at 16/20 entries, want refusing" || return 1
	t_ref=$(now_ms)
	log "  refusing $((t_ref - t_set)) ms after the interval became 10 s"
	[ $((t_ref - t_set)) -lt 9500 ] || fail "refusing only with the periodic sample" || return 1
	d sh -c "echo 100 >$VS/reap_interval_ms"
	drop_holds 99
	wait_for 5 state_is normal || fail "state $(reap_state) once the holds are gone, want normal"
}

# While refusing, reap_cookie_fallback=1 has ip_vs_syncookie answer the SYNs
# of an auto service (threshold out of reach) with cookies: a legitimate
# client still gets in, a plain service stays refused.
cookie_fallback() {
	local sent
	fresh || return 1
	modprobe ip_vs_syncookie || return 1
	d sh -c "echo 1000000 >$VS/syncookie_threshold"
	ipvs -A -t $VIP:82 -s rr --syncookie auto
	ipvs -a -t $VIP:82 -r $RS1:80 -m
	reap_config 20 50 80
	hold_n 17
	wait_for 30 established 16 || fail "connections not established" || return 1
	wait_for 3 state_is refusing || fail "state $(reap_state), want refusing" || return 1
	# fallback off: the auto service is refused like any other
	! c $TOOL who $VIP 82 2>/dev/null || fail "got through without the fallback" || return 1
	d sh -c "echo 1 >$VS/reap_cookie_fallback"
	sent=$(sc_sent)
	assert_eq "auto service while refusing, with the fallback" rs1 "$(c $TOOL who $VIP 82)" || return 1
	[ "$(sc_sent)" -gt "$sent" ] || fail "no cookie sent" || return 1
	wait_for 2 diverted 1 ||
		fail "diverted counter $(reap_field diverted)" || return 1
	assert_match "ipvsadm -L --reaper" "diverted [1-9]" "$(ipvs -L --reaper)" || return 1
	! c $TOOL who $VIP 80 2>/dev/null || fail "plain service not refused" || return 1
	drop_holds 99
	wait_for 20 state_is normal || fail "state $(reap_state), want normal" || return 1
	# normal again: the auto service answers SYNs straight (no cookie)
	sent=$(sc_sent)
	assert_eq "auto service after refusing" rs1 "$(c $TOOL who $VIP 82)" || return 1
	assert_eq "cookies sent after refusing" "$sent" "$(sc_sent)" || return 1
	d sh -c "echo 0 >$VS/reap_cookie_fallback; echo 1000 >$VS/syncookie_threshold"
	ipvs -D -t $VIP:82
}

# reap_refuse_rst=1: while refusing, a SYN to a virtual service (IPv4 and
# IPv6) is answered with a reset, so that its client fails at once rather
# than retry; the director's own services are untouched.
refuse_rst() {
	local r0 r1
	fresh || return 1
	ipvs -D -t "[$VIP6]:80" 2>/dev/null
	ipvs -A -t "[$VIP6]:80" -s rr && ipvs -a -t "[$VIP6]:80" -r "[$RS1_6]:80" -m || return 1
	reap_config 20 50 80
	hold_n 17
	wait_for 30 established 16 || fail "connections not established" || return 1
	wait_for 3 state_is refusing || fail "state $(reap_state), want refusing" || return 1
	d sh -c "echo 1 >$VS/reap_refuse_rst"
	# (the SYN of a 17th hold, if refused, may be retried and reset too)
	r0=$(reap_field reset)
	assert_match "IPv4 SYN, refusing with resets" "error:ConnectionRefusedError" \
		"$(c $TOOL probe $VIP 80 --every 1 --count 1)" || return 1
	assert_match "IPv6 SYN, refusing with resets" "error:ConnectionRefusedError" \
		"$(c $TOOL probe $VIP6 80 --every 1 --count 1)" || return 1
	r1=$(reap_field reset)
	[ "$r1" -ge $((r0 + 2)) ] || fail "resets sent: $((r1 - r0)), want 2" || return 1
	assert_match "ipvsadm -L --reaper" "refused [1-9][0-9]* reset [1-9]" "$(ipvs -L --reaper)" ||
		return 1
	assert_eq "a local service of the director" director \
		"$(c $TOOL who 192.0.2.1 8080)" || return 1
	d sh -c "echo 0 >$VS/reap_refuse_rst"
	r1=$(reap_field reset)
	assert_match "refusing without resets" "error:TimeoutError" \
		"$(c $TOOL probe $VIP 80 --every 1 --count 1)" || return 1
	assert_eq "resets after reap_refuse_rst=0" "$r1" "$(reap_field reset)" || return 1
	! d sh -c "echo 2 >$VS/reap_refuse_rst" 2>/dev/null || fail "reap_refuse_rst=2 accepted" || return 1
	ipvs -D -t "[$VIP6]:80"
	drop_holds 99
}

# An administrator's ipvsadm --set during reaping is what gets restored.
set_during_reaping() {
	fresh || return 1
	reap_config 20 50 80
	hold_n 13
	wait_for 30 established 13 || fail "connections not established" || return 1
	wait_for 3 state_is reaping || fail "state $(reap_state), want reaping" || return 1
	ipvs --set 900 77 300
	sleep 0.5
	[ "$(tcpfin)" -lt 77 ] || fail "tcpfin $(tcpfin) not scaled from the new 77" || return 1
	drop_holds 99
	wait_for 20 state_is normal || fail "state $(reap_state), want normal" || return 1
	assert_eq "tcpfin after reaping" 77 "$(tcpfin)" || return 1
	ipvs --set 900 120 300
}

# A spoofed flood: embryonic entries are reaped, established traffic and
# persistence templates survive, and all is restored when it stops.
flood() {
	local xfer max=0 n before_fin hport
	fresh || return 1
	reap_config 3000 20 60
	d sh -c "echo 1 >$VS/drop_entry; echo 1 >$VS/secure_tcp"
	# a persistent service with a template made before the flood
	ipvs -A -t $VIP:81 -s rr -p 120
	ipvs -a -t $VIP:81 -r $RS1:80 -m
	c $TOOL who $VIP 81 >/dev/null || return 1
	# an idle-but-open connection, which must outlive the flood
	hold_n 1
	wait_for 10 established 1 || fail "idle connection not established" || return 1
	hport=$(c ss -Htn state established dst $VIP | awk '{ n = split($3, a, ":"); print a[n] }')
	[ -n "$hport" ] || fail "no port for the idle connection" || return 1
	c $TOOL xfer $VIP 80 --get 20000000 >"$LAB_TMP/xfer" 2>&1 &
	xfer=$!
	# the transfer is established before the flood: a new connection may be refused
	wait_for 10 established 2 || fail "transfer not established" || return 1
	c timeout 12 hping3 -q -S -p 80 --flood --rand-source $VIP >/dev/null 2>&1 &
	for _ in $(seq 1 30); do
		n=$(conn_count)
		[ "$n" -gt $max ] && max=$n
		sleep 0.3
	done
	[ "$(template_lines | wc -l)" -ge 1 ] || fail "persistence template reaped" || return 1
	wait $xfer
	assert_match "transfer during the flood" "ok$" "$(cat "$LAB_TMP/xfer")" || return 1
	assert_eq "entry of the idle connection (client port $hport) after the flood" ESTABLISHED \
		"$(connection_lines | awk -v p="$(printf %04X "$hport")" '$3 == p { print $8 }')" ||
		return 1
	[ "$(reap_field reaped)" -gt 0 ] || fail "nothing reaped (max entries $max)" || return 1
	[ "$(reap_field transitions)" -gt 0 ] || fail "no state change (max entries $max)" || return 1
	log "  max entries $max, reaped $(reap_field reaped), refused $(reap_field refused)"
	wait_for 60 state_is normal || fail "state $(reap_state) after the flood" || return 1
	assert_eq "tcpfin after the flood" 120 "$(tcpfin)" || return 1
	# a new embryonic entry gets the configured SYN_RECV timeout again
	c hping3 -q -S -p 80 -c 1 -a 192.0.2.77 $VIP >/dev/null 2>&1
	wait_for 3 bash -c "ip netns exec director grep -q ^TCP.C000024D /proc/net/ip_vs_conn"
	before_fin=$(connection_lines | awk '$2 == "C000024D" { print $9 }')
	[ "${before_fin:-0}" -gt 50 ] || fail "embryonic timeout after the flood: '$before_fin'" || return 1
	d sh -c "echo 0 >$VS/drop_entry; echo 0 >$VS/secure_tcp"
	ipvs -D -t $VIP:81
	drop_holds 99
}

# memory metric: fill a tmpfs past the low watermark, then free it.
memory_metric() {
	local util low
	drop_holds 99
	d sh -c "echo memory >$VS/reap_metric"
	sleep 0.5
	util=$(reap_field utilisation | cut -d. -f1)
	low=$((util + 10))
	[ $low -lt 95 ] || fail "guest memory already at $util %" || return 1
	d sh -c "echo 99 >$VS/reap_high; echo $low >$VS/reap_low; echo $((low + 4)) >$VS/reap_high"
	sleep 0.5
	state_is normal || fail "state $(reap_state) at $util % with low $low" || return 1
	local total_kb fill_mb
	total_kb=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)
	fill_mb=$((total_kb * 15 / 100 / 1024))
	mkdir -p "$LAB_TMP/fill"
	mount -t tmpfs -o size=$((fill_mb + 16))m tmpfs "$LAB_TMP/fill"
	dd if=/dev/zero of="$LAB_TMP/fill/x" bs=1M count=$fill_mb status=none
	wait_for 5 bash -c "! ip netns exec director grep -q 'state normal' /proc/net/ip_vs_reap" ||
		fail "filling $fill_mb MB left state $(reap_state)" || return 1
	rm -f "$LAB_TMP/fill/x"
	umount "$LAB_TMP/fill"
	wait_for 5 state_is normal || fail "state $(reap_state) after freeing" || return 1
	reap_config 1048576 85 95
}

# Unload during a flood while refusing: IPVS is left as stock.
unload_during_flood() {
	fresh || return 1
	reap_config 20 50 80
	hold_n 17
	wait_for 30 established 16 || fail "connections not established" || return 1
	wait_for 3 state_is refusing || fail "state $(reap_state), want refusing" || return 1
	local flood
	c timeout 5 hping3 -q -S -p 80 --flood --rand-source $VIP >/dev/null 2>&1 &
	flood=$!
	sleep 2
	rmmod ip_vs_dos_reap || fail "rmmod during a flood" || return 1
	wait $flood
	drop_holds 99
	assert_eq "tcpfin after unload" 120 "$(tcpfin)" || return 1
	c $TOOL who $VIP 80 >/dev/null || fail "new connections still refused after unload" || return 1
	modprobe ip_vs_dos_reap
	wait_for 5 state_is normal
}

# The director's netns goes away while refusing: no leak, no warning.
netns_exit_while_refusing() {
	fresh || return 1
	reap_config 20 50 80
	hold_n 17
	wait_for 30 established 16 || fail "connections not established" || return 1
	wait_for 3 state_is refusing || fail "state $(reap_state), want refusing" || return 1
	ip netns del director
	drop_holds 99
	wait_for 30 rmmod ip_vs_dos_reap || fail "module busy after the netns went"
}

cleanup() {
	drop_holds 99
	cleanup_nat
	rm -rf "$LAB_TMP"
}
trap cleanup EXIT
LAB_TMP=$(mktemp -d)
modprobe ip_vs_dos_reap || exit 1
setup_nat || exit 1
# a local service of the director, not a virtual service
d $TOOL serve --name director --port 8080 >/dev/null 2>&1 &
echo $! >>"$LAB_PIDS"
ipvs -A -t $VIP:80 -s rr
ipvs -a -t $VIP:80 -r $RS1:80 -m
ipvs -a -t $VIP:80 -r $RS2:80 -m

run_cases watermarks_and_hysteresis refusing_at_once cookie_fallback refuse_rst set_during_reaping flood memory_metric unload_during_flood netns_exit_while_refusing -- "$@"
summary
