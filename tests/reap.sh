#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Watermark-driven reaping (ip_vs_dos_reap), end to end: real connections
# and a spoofed SYN flood through a NAT service (topology: tests/lib.sh).
# The `conns` metric with a small budget makes utilisation deterministic:
# idle-but-open connections are never reaped, so their number sets it.
# Runs in the lab guest: tools/lab/run.sh tests/reap.sh
# vm-suite order=50 timeout=3600 debug=3
source "$(dirname "$0")/lib.sh"

VS=/proc/sys/net/ipv4/vs

# reap_field NAME [NS]: a counter of /proc/net/stat/ip_vs_dos_reap summed
# over CPUs (diverted: the SYN-cookie proxy's, which answered them), or a
# line of /proc/net/ip_vs_reap (state, utilisation, recorded, time_*)
REAP_COUNTERS=" reaped refused transitions reset samples kicked "
reap_field() {
	local ns=${2:-director}
	if [ "$1" = diverted ]; then
		sc diverted "$ns"
	elif [[ $REAP_COUNTERS == *" $1 "* ]]; then
		counter ip_vs_dos_reap "$1" "$ns"
	else
		ip netns exec "$ns" awk -v k="$1" '$1 == k { print $2 }' /proc/net/ip_vs_reap
	fi
}
reap_state() { reap_field state; }
state_is() { [ "$(reap_state)" = "$1" ]; }
diverted() { [ "$(reap_field diverted)" -ge "$1" ]; }
reaper_lists_diverted() { [[ $(ipvs -L --reaper) =~ diverted\ [1-9] ]]; }
# wait_samples N: until the reaper has taken N more samples (hang detector)
samples_past() { [ "$(reap_field samples)" -ge "$1" ]; }
wait_samples() {
	local want=$(($(reap_field samples) + $1))
	wait_for $HANG samples_past $want
}

# A flood (reap_flood PORT ADDR [BURST]) is flood_start's (tests/lib.sh):
# SYNs from ADDR, a spoofed address of 192.0.2.128/26 (each flood its own:
# source ports count up from the same port in each, and a tuple IPVS still
# has would reach a real server), in bursts of BURST (default 1000) 100 us
# apart, until flood_stop: however slow the machine, it lasts as long as
# the case needs it; flood_sent counts what hping3 sent.  spoof: a random
# address of that range for counted sends of their own.  Documentation
# addresses only.
spoof() { echo "192.0.2.$((128 + RANDOM % 64))"; }
reap_flood() {
	FLOOD_GAP=u100 FLOOD_BURST=${3:-1000} flood_start "$1" 0 "$2"
}
refused_past() { [ "$(reap_field refused)" -ge "$1" ]; }
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

# hold_n N: N idle-but-open client connections (each its own process),
# which the case drops when it is over, if it has not done so itself.
HOLDS=()
hold_n() {
	local i
	[ ${#HOLDS[@]} -gt 0 ] || defer drop_holds 99
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
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		n=$((n - 1))
	done
}

# Each case starts from normal, without connections of an earlier case
# (whose holds went with it).
no_entries() { [ "$(connection_lines | wc -l)" = 0 ]; }
fresh() {
	# a failed case may have left these on
	d sh -c "echo 0 >$VS/reap_refuse_rst; echo 0 >$VS/reap_cookie_fallback; echo 100 >$VS/reap_interval_ms"
	# a SYN IPVS took while no reaper ran may have its server's SYN-ACK
	# in IPVS's SYNACK state: 120 s
	wait_for 180 no_entries ||
		fail "$(conn_count) entries left by an earlier case:" \
			"$(connection_lines | awk '{ print $8 }' | sort | uniq -c | xargs)"
	wait_for $HANG state_is normal || fail "state $(reap_state) left by an earlier case"
}

established() { [ "$(connection_lines | grep -c ESTABLISHED)" -ge "$1" ]; }
entries_at_most() { [ "$(conn_count)" -le "$1" ]; }

# budget 20, low 50 % (10 entries), high 80 % (16 entries)
watermarks_and_hysteresis() {
	fresh
	reap_config 20 50 80
	hold_n 12
	wait_for $HANG established 12 || fail "12 connections not established"
	wait_for $HANG state_is reaping || fail "12/20 entries: state $(reap_state), want reaping"
	# reaping: closing timeouts scale from 120 s towards the 1 s floor
	local fin
	fin=$(tcpfin)
	{ [ "$fin" -lt 120 ] && [ "$fin" -ge 1 ]; } || fail "tcpfin while reaping: $fin"
	hold_n 4
	wait_for $HANG established 16 || fail "16 connections not established"
	wait_for $HANG state_is refusing || fail "16/20 entries: state $(reap_state), want refusing"
	assert_eq "tcpfin at full pressure (the floor)" 1 "$(tcpfin)"
	assert_match "ipvsadm -L --reaper" "state refusing" "$(ipvs -L --reaper)"
	# refusing: a new connection is refused, the open ones keep working
	! c $TOOL who $VIP 80 2>/dev/null || fail "a new connection got through while refusing"
	[ "$(reap_field refused)" -ge 1 ] || fail "refused counter did not move"
	assert_eq "a local service of the director while refusing" director \
		"$(c $TOOL who 192.0.2.1 8080)"
	# hysteresis: back between the marks it keeps refusing (samples
	# taken once the 4 entries are gone) ...
	drop_holds 4
	wait_for $HANG entries_at_most 12 || fail "$(conn_count) entries after closing 4 of 16"
	wait_samples 3 || fail "no samples"
	assert_eq "state with 12/20 entries after refusing" refusing "$(reap_state)"
	# ... until below low, where everything is restored
	drop_holds 4
	wait_for $HANG state_is normal || fail "8/20 entries: state $(reap_state), want normal"
	assert_eq "tcpfin restored" 120 "$(tcpfin)"
	c $TOOL who $VIP 80 >/dev/null || fail "new connection refused after normal"
	drop_holds 99
}

# The conns metric does not wait for the next sample: the SYN whose entry
# brings the table to the high mark has one taken a jiffy later (counted
# as kicked).  With reap_interval_ms at 10 s, refusing starts right after
# that connection.  Whether the periodic sample came first is a matter of
# speed, so the verdict is the kick, not the time (logged).
now_ms() { date +%s%3N; }
# reaping_at N BUDGET: N open connections, made under a budget that leaves
# the state normal, then BUDGET puts them between the watermarks.  (Made
# while reaping, each would have to finish its handshake within reap_floor;
# the case at hand is about what comes after.)
reaping_at() {
	reap_config $(($1 * 4)) 50 80
	hold_n "$1"
	wait_for $HANG established "$1" || fail "$1 connections not established"
	reap_config "$2" 50 80
	wait_for $HANG state_is reaping || fail "$1/$2 entries: state $(reap_state), want reaping"
}
refusing_at_once() {
	local t_set t_ref k0 s0
	fresh
	reaping_at 15 20
	d sh -c "echo 10000 >$VS/reap_interval_ms"
	t_set=$(now_ms)
	wait_samples 1 || fail "no sample after the interval write"
	assert_eq "state at 15/20 entries, interval 10 s" reaping "$(reap_state)"
	k0=$(reap_field kicked)
	s0=$(reap_field samples)
	hold_n 1
	wait_for $HANG established 16 || fail "16 connections not established"
	wait_for $HANG state_is refusing || fail "state $(reap_state) at 16/20 entries, want refusing"
	t_ref=$(now_ms)
	log "  refusing $((t_ref - t_set)) ms after the interval became 10 s," \
		"$(($(reap_field samples) - s0)) sample(s) since the 16th connection"
	[ "$(reap_field kicked)" -gt "$k0" ] || fail "no sample started by the 16th connection"
	d sh -c "echo 100 >$VS/reap_interval_ms"
	drop_holds 99
	wait_for $HANG state_is normal || fail "state $(reap_state) once the holds are gone, want normal"
}

# auto_service: fresh state and an auto cookie service VIP:82 whose
# threshold is out of reach (cookies only through the reaper's fallback)
auto_service() {
	fresh
	modprobe ip_vs_syncookie
	d sh -c "echo 1000000 >$VS/syncookie_threshold"
	ipvs -A -t $VIP:82 -s rr --syncookie auto
	ipvs -a -t $VIP:82 -r $RS1:80 -m
}
# auto_service_off: what auto_service and the cases using it set, undone
auto_service_off() {
	d sh -c "echo 0 >$VS/reap_cookie_fallback; echo 1000 >$VS/syncookie_threshold"
	ipvs -D -t "$VIP:82" 2>/dev/null
}
cookie_fallback_undo() { auto_service_off; }

# While refusing, reap_cookie_fallback=1 has ip_vs_syncookie answer the SYNs
# of an auto service (threshold out of reach) with cookies: a legitimate
# client still gets in, a plain service stays refused.
cookie_fallback() {
	local sent
	auto_service
	reap_config 20 50 80
	hold_n 17
	wait_for $HANG established 16 || fail "connections not established"
	wait_for $HANG state_is refusing || fail "state $(reap_state), want refusing"
	# fallback off: the auto service is refused like any other
	! c $TOOL who $VIP 82 2>/dev/null || fail "got through without the fallback"
	d sh -c "echo 1 >$VS/reap_cookie_fallback"
	sent=$(sc cookies_sent)
	assert_eq "auto service while refusing, with the fallback" rs1 "$(c $TOOL who $VIP 82)"
	[ "$(sc cookies_sent)" -gt "$sent" ] || fail "no cookie sent"
	wait_for 30 diverted 1 ||
		fail "diverted counter $(reap_field diverted)"
	# netlink has the proxy's count as of the reaper's last sample
	wait_for 30 reaper_lists_diverted ||
		fail "ipvsadm -L --reaper: $(ipvs -L --reaper)"
	! c $TOOL who $VIP 80 2>/dev/null || fail "plain service not refused"
	drop_holds 99
	wait_for $HANG state_is normal || fail "state $(reap_state), want normal"
	# normal again: the auto service answers SYNs straight (no cookie)
	sent=$(sc cookies_sent)
	assert_eq "auto service after refusing" rs1 "$(c $TOOL who $VIP 82)"
	assert_eq "cookies sent after refusing" "$sent" "$(sc cookies_sent)"
	d sh -c "echo 0 >$VS/reap_cookie_fallback; echo 1000 >$VS/syncookie_threshold"
	ipvs -D -t $VIP:82
}

# Refusing is a decision about the packet in hand: no later packet may
# inherit it, such as the SYN that ip_vs_syncookie makes of a validated
# cookie ACK after the reaper's hook (its client believes it is connected).
# A spoofed flood of the plain service fills the table with half-open
# entries until refusing (22 idle connections of 40 keep it there once they
# are reaped: above low), with reap_cookie_fallback=1; while it lasts,
# every real client of the auto cookie service gets in, byte-exact,
# through a validated cookie.
fallback_under_flood() {
	local n=20 i ok=0 out st sent r0 v0 d0 refused
	auto_service
	reaping_at 22 40
	d sh -c "echo 1 >$VS/reap_cookie_fallback"
	r0=$(reap_field refused)
	reap_flood 80 192.0.2.130
	wait_for 300 state_is refusing ||
		fail "state $(reap_state) after $(flood_sent) SYNs, want refusing"
	v0=$(sc cookies_valid)
	d0=$(reap_field diverted)
	for ((i = 0; i < n; i++)); do
		# client speaks first; the timeout is a hang detector
		out=$(c timeout 120 $TOOL xfer $VIP 82 --get 100000 2>&1 | tail -n 1)
		if [ "$out" = "rs1 ok" ]; then
			ok=$((ok + 1))
		else
			log "  client $i: ${out:-no answer}"
		fi
	done
	st=$(reap_state)
	flood_stop
	sent=$(flood_sent)
	refused=$(($(reap_field refused) - r0))
	log "  $ok of $n clients in; $sent flood SYNs sent, $refused refused;" \
		"cookies validated $(($(sc cookies_valid) - v0)), diverted $(($(reap_field diverted) - d0))"
	d sh -c "echo 0 >$VS/reap_cookie_fallback; echo 1000 >$VS/syncookie_threshold"
	ipvs -D -t $VIP:82
	drop_holds 99
	assert_eq "state when the last client was done" refusing "$st"
	assert_eq "clients of the auto cookie service in during the flood" $n $ok
	[ "$(sc cookies_valid)" -ge $((v0 + n)) ] || fail "cookies validated: $(($(sc cookies_valid) - v0)) of $n"
	[ "$(reap_field diverted)" -ge $((d0 + n)) ] ||
		fail "diverted: $(($(reap_field diverted) - d0)) of $n"
	# the flood's SYNs were refused, but for those that made the entries up
	# to the high mark before refusing began (fewer than the budget, plus
	# what arrived in the jiffy until the sample): half is a wide margin
	[ "$sent" -ge 1000 ] || fail "the flood sent $sent SYNs"
	[ $((refused * 2)) -ge "$sent" ] || fail "refused $refused of $sent SYNs"
}
fallback_under_flood_undo() { auto_service_off; }

# reap_refuse_rst=1: while refusing, a SYN to a virtual service (IPv4 and
# IPv6) is answered with a reset, so that its client fails at once rather
# than retry; the director's own services are untouched.
refuse_rst() {
	local r0 r1
	fresh
	ipvs -D -t "[$VIP6]:80" 2>/dev/null || true
	ipvs -A -t "[$VIP6]:80" -s rr
	ipvs -a -t "[$VIP6]:80" -r "[$RS1_6]:80" -m
	reap_config 20 50 80
	hold_n 17
	wait_for $HANG established 16 || fail "connections not established"
	wait_for $HANG state_is refusing || fail "state $(reap_state), want refusing"
	d sh -c "echo 1 >$VS/reap_refuse_rst"
	# (the SYN of a 17th hold, if refused, may be retried and reset too)
	r0=$(reap_field reset)
	assert_match "IPv4 SYN, refusing with resets" "error:ConnectionRefusedError" \
		"$(c $TOOL probe $VIP 80 --every 1 --count 1)"
	assert_match "IPv6 SYN, refusing with resets" "error:ConnectionRefusedError" \
		"$(c $TOOL probe $VIP6 80 --every 1 --count 1)"
	r1=$(reap_field reset)
	[ "$r1" -ge $((r0 + 2)) ] || fail "resets sent: $((r1 - r0)), want 2"
	assert_match "ipvsadm -L --reaper" "refused [1-9][0-9]* reset [1-9]" "$(ipvs -L --reaper)"
	assert_eq "a local service of the director" director \
		"$(c $TOOL who 192.0.2.1 8080)"
	d sh -c "echo 0 >$VS/reap_refuse_rst"
	r1=$(reap_field reset)
	assert_match "refusing without resets" "error:TimeoutError" \
		"$(c $TOOL probe $VIP 80 --every 1 --count 1)"
	assert_eq "resets after reap_refuse_rst=0" "$r1" "$(reap_field reset)"
	! d sh -c "echo 2 >$VS/reap_refuse_rst" 2>/dev/null || fail "reap_refuse_rst=2 accepted"
	ipvs -D -t "[$VIP6]:80"
	drop_holds 99
}

# An administrator's ipvsadm --set during reaping is what gets restored.
tcpfin_below() { [ "$(tcpfin)" -lt "$1" ]; }
set_during_reaping() {
	fresh
	reap_config 20 50 80
	hold_n 13
	wait_for $HANG established 13 || fail "connections not established"
	wait_for $HANG state_is reaping || fail "state $(reap_state), want reaping"
	ipvs --set 900 77 300
	wait_for $HANG tcpfin_below 77 || fail "tcpfin $(tcpfin) not scaled from the new 77"
	drop_holds 99
	wait_for $HANG state_is normal || fail "state $(reap_state), want normal"
	assert_eq "tcpfin after reaping" 77 "$(tcpfin)"
	ipvs --set 900 120 300
}
# the stock timeouts back, if the case failed before that
set_during_reaping_undo() { ipvs --set 900 120 300; }

# A spoofed flood: embryonic entries are reaped, established traffic and
# persistence templates survive, and all is restored when it stops.  The
# flood lasts until the transfer is done and the reaper has reaped and
# changed state (600 s: a hang detector), however fast the machine is.
flood() {
	local xfer max=0 n before_fin hport sent reaped0 trans0 end
	fresh
	reap_config 3000 20 60
	d sh -c "echo 1 >$VS/drop_entry; echo 1 >$VS/secure_tcp"
	# a persistent service with a template made before the flood
	ipvs -A -t $VIP:81 -s rr -p 120
	ipvs -a -t $VIP:81 -r $RS1:80 -m
	c $TOOL who $VIP 81 >/dev/null
	# an idle-but-open connection, which must outlive the flood
	hold_n 1
	wait_for $HANG established 1 || fail "idle connection not established"
	hport=$(c ss -Htn state established dst $VIP | awk '{ n = split($3, a, ":"); print a[n] }')
	[ -n "$hport" ] || fail "no port for the idle connection"
	c $TOOL xfer $VIP 80 --get 20000000 >"$LAB_TMP/xfer" 2>&1 &
	xfer=$!
	# the transfer is established before the flood: a new connection may be refused
	wait_for $HANG established 2 || fail "transfer not established"
	reaped0=$(reap_field reaped)
	trans0=$(reap_field transitions)
	reap_flood 80 192.0.2.131
	end=$((SECONDS + 600))
	while kill -0 $xfer 2>/dev/null || [ "$(reap_field reaped)" = "$reaped0" ] ||
		[ "$(reap_field transitions)" = "$trans0" ]; do
		[ $SECONDS -lt $end ] || break
		n=$(conn_count)
		[ "$n" -gt $max ] && max=$n
		sleep 0.3
	done
	[ "$(template_lines | wc -l)" -ge 1 ] || fail "persistence template reaped"
	flood_stop
	sent=$(flood_sent)
	# the transfer's output is the verdict on it
	wait $xfer || true
	log "  $sent SYNs sent, max entries $max, reaped $(($(reap_field reaped) - reaped0))," \
		"refused $(reap_field refused) (all cases)"
	[ "$sent" -gt 0 ] || fail "hping3 sent nothing"
	assert_match "transfer during the flood" "ok$" "$(cat "$LAB_TMP/xfer")"
	assert_eq "entry of the idle connection (client port $hport) after the flood" ESTABLISHED \
		"$(connection_lines | awk -v p="$(printf %04X "$hport")" '$3 == p { print $8 }')"
	[ "$(reap_field reaped)" -gt "$reaped0" ] || fail "nothing reaped of $sent SYNs (max entries $max)"
	[ "$(reap_field transitions)" -gt "$trans0" ] ||
		fail "no state change with $sent SYNs (max entries $max)"
	wait_for 120 state_is normal || fail "state $(reap_state) after the flood"
	assert_eq "tcpfin after the flood" 120 "$(tcpfin)"
	# a new embryonic entry gets the configured SYN_RECV timeout again (no
	# answer reaches hping3, which then fails; the entry is the verdict)
	c hping3 -q -S -p 80 -c 1 -a 192.0.2.77 $VIP >/dev/null 2>&1 || true
	wait_for 30 bash -c "ip netns exec director grep -q ^TCP.C000024D /proc/net/ip_vs_conn" || true
	before_fin=$(connection_lines | awk '$2 == "C000024D" { print $9 }')
	[ "${before_fin:-0}" -gt 50 ] || fail "embryonic timeout after the flood: '$before_fin'"
	d sh -c "echo 0 >$VS/drop_entry; echo 0 >$VS/secure_tcp"
	ipvs -D -t $VIP:81
	drop_holds 99
}
# drop_entry and secure_tcp would change every later case
flood_undo() {
	d sh -c "echo 0 >$VS/drop_entry; echo 0 >$VS/secure_tcp"
	ipvs -D -t "$VIP:81" 2>/dev/null
}

# The SYN ring holds recent embryonic connections: in normal state (where
# nothing is popped) a full ring drops its oldest, or after 16384 SYNs it
# would hold those for ever and miss a later ramp; and it records only SYNs
# that open something of IPVS's (not those to a port of the director
# without a service, nor SYN+ACKs).  Here 17000 such SYNs and 1000
# SYN+ACKs come first, in normal state, then a ramp of spoofed SYNs to the
# plain service; the budget then drops under the ramp's entries: refusing,
# at full pressure, must reap all of them, oldest first, at the next sample.
embryonic() { connection_lines | grep -c SYN_RECV || true; }
reaped_past() { [ "$(reap_field reaped)" -ge "$1" ]; }
ring_recent() {
	local rec0 sent n r0 bad=
	fresh
	reap_config 100000 50 80
	rec0=$(reap_field recorded)
	sent=$(c hping3 -q -S -p 9 -a "$(spoof)" -i u100 -c 17000 $VIP 2>&1 |
		awk '/packets transmitted/ { print $1 }')
	sent=$((sent + $(c hping3 -q -SA -p 9 -a "$(spoof)" -i u100 -c 1000 $VIP 2>&1 |
		awk '/packets transmitted/ { print $1 }')))
	log "  $sent SYNs and SYN+ACKs to port 9: recorded $rec0 -> $(reap_field recorded)"
	# (checked at the end, so that a failure shows the reaping too)
	[ "$(reap_field recorded)" -le "$rec0" ] ||
		bad="recorded $(reap_field recorded) tuples of $sent segments to a port without a service"
	sent=$(c hping3 -q -S -p 80 -a "$(spoof)" -i u1000 -c 300 $VIP 2>&1 |
		awk '/packets transmitted/ { print $1 }')
	n=$(embryonic)
	log "  ramp: $sent SYNs, $n embryonic entries, recorded $(reap_field recorded)"
	[ "$n" -ge $((sent / 2)) ] || fail "$n embryonic entries of $sent SYNs"
	assert_eq "state during the ramp" normal "$(reap_state)"
	r0=$(reap_field reaped)
	reap_config $((n / 4)) 50 80
	wait_for $HANG reaped_past $((r0 + n)) ||
		fail "reaped $(($(reap_field reaped) - r0)) of $n embryonic entries" || bad=${bad:-reaping}
	reap_config 1048576 85 95
	wait_for $HANG state_is normal || fail "state $(reap_state) after the ramp, want normal"
	[ -z "$bad" ] || fail "$bad"
}

# The work sleeps in a netns without virtual services (every netns has
# the module's state): time in normal, which each run accounts,
# stays put there; the first new-connection packet once the netns has a
# service wakes it.  (A SYN of its own to a port without a service: IPVS
# drops one to a service without real servers at LOCAL_OUT already.)
ns_field() { reap_field "$1" reapidle; }
ns_field_past() { [ "$(ns_field "$1")" -gt "$2" ]; }
idle_without_services() {
	local t0 t1 s0
	ip netns del reapidle 2>/dev/null || true
	add_ns reapidle
	# the run queued when the netns was made
	wait_for $HANG ns_field_past time_normal_ms 0 || fail "the work never ran"
	t0=$(ns_field time_normal_ms)
	s0=$(ns_field samples)
	sleep 2
	t1=$(ns_field time_normal_ms)
	assert_eq "time in normal accounted in 2 s without services" "$t0" "$t1"
	assert_eq "samples in 2 s without services" "$s0" "$(ns_field samples)"
	ip netns exec reapidle ipvsadm -A -t 127.0.0.1:80 -s rr
	# a SYN to a closed port: refused, which is all it takes
	ip netns exec reapidle bash -c 'exec 3<>/dev/tcp/127.0.0.1/9' 2>/dev/null || true
	wait_for $HANG ns_field_past samples "$s0" || fail "a SYN once there is a service did not wake the work"
	ip netns exec reapidle ipvsadm -C
	ip netns del reapidle
}
idle_without_services_undo() { ip netns del reapidle 2>/dev/null; }

# memory metric: fill a tmpfs past the low watermark, then free it.
memory_metric() {
	local util low
	d sh -c "echo memory >$VS/reap_metric"
	wait_samples 2 || fail "no samples"
	util=$(reap_field utilisation | cut -d. -f1)
	low=$((util + 10))
	[ $low -lt 95 ] || fail "guest memory already at $util %"
	d sh -c "echo 99 >$VS/reap_high; echo $low >$VS/reap_low; echo $((low + 4)) >$VS/reap_high"
	wait_samples 2 || fail "no samples"
	state_is normal || fail "state $(reap_state) at $util % with low $low"
	local total_kb fill_mb
	total_kb=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)
	fill_mb=$((total_kb * 15 / 100 / 1024))
	mkdir -p "$LAB_TMP/fill"
	mount -t tmpfs -o size=$((fill_mb + 16))m tmpfs "$LAB_TMP/fill"
	dd if=/dev/zero of="$LAB_TMP/fill/x" bs=1M count=$fill_mb status=none
	wait_for $HANG bash -c "! ip netns exec director grep -q 'state normal' /proc/net/ip_vs_reap" ||
		fail "filling $fill_mb MB left state $(reap_state)"
	rm -f "$LAB_TMP/fill/x"
	umount "$LAB_TMP/fill"
	wait_for $HANG state_is normal || fail "state $(reap_state) after freeing"
	reap_config 1048576 85 95
}
# the memory back, if the case failed before that
memory_metric_undo() {
	rm -f "$LAB_TMP/fill/x"
	umount "$LAB_TMP/fill" 2>/dev/null
}

# Unload during a flood while refusing: IPVS is left as stock.
unload_during_flood() {
	fresh
	reap_config 20 50 80
	hold_n 17
	wait_for $HANG established 16 || fail "connections not established"
	wait_for $HANG state_is refusing || fail "state $(reap_state), want refusing"
	local r0 sent
	r0=$(reap_field refused)
	# unloaded once 500 of the flood's SYNs have been refused
	reap_flood 80 192.0.2.132 200
	wait_for 300 refused_past $((r0 + 500)) ||
		fail "refused $(($(reap_field refused) - r0)) of $(flood_sent) SYNs"
	rmmod ip_vs_dos_reap || fail "rmmod during a flood"
	flood_stop
	sent=$(flood_sent)
	log "  $sent SYNs sent"
	drop_holds 99
	assert_eq "tcpfin after unload" 120 "$(tcpfin)"
	c $TOOL who $VIP 80 >/dev/null || fail "new connections still refused after unload"
	modprobe ip_vs_dos_reap
	wait_for $HANG state_is normal
}
# the module back, if the case failed after unloading it
unload_during_flood_undo() { modprobe ip_vs_dos_reap; }

# The director's netns goes away while refusing: no leak, no warning.
netns_exit_while_refusing() {
	fresh
	reap_config 20 50 80
	hold_n 17
	wait_for $HANG established 16 || fail "connections not established"
	wait_for $HANG state_is refusing || fail "state $(reap_state), want refusing"
	ip netns del director
	drop_holds 99
	wait_for 30 rmmod ip_vs_dos_reap || fail "module busy after the netns went"
}

# While reaping, a client whose handshake takes longer than a sampling
# interval (here a 500 ms delay on its link, against 100 ms) gets in: the
# reaper expires no embryonic connection younger than reap_floor (3 s
# here).  It used to expire the SYN's entry at the next sample, and the
# client's ACK then met the director's reset.
handshake_in_flight() {
	local out r0
	fresh
	reaping_at 12 20
	d sh -c "echo 3 >$VS/reap_floor"
	r0=$(reap_field reaped)
	c tc qdisc add dev eth0 root netem delay 500ms
	defer c tc qdisc del dev eth0 root
	out=$(c timeout 60 $TOOL who $VIP 80 2>&1) || true
	log "  reaped while it connected: $(($(reap_field reaped) - r0)), state $(reap_state)"
	assert_match "a client with a 500 ms round trip, while reaping" "^rs[12]$" "$out"
	state_is reaping || fail "state $(reap_state) after the client, want reaping"
}

cleanup() {
	c tc qdisc del dev eth0 root 2>/dev/null
	flood_kill
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

run_cases watermarks_and_hysteresis refusing_at_once handshake_in_flight cookie_fallback fallback_under_flood refuse_rst \
	set_during_reaping flood ring_recent idle_without_services memory_metric unload_during_flood \
	netns_exit_while_refusing -- "$@"
summary
