#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Persistence-extension modes (ip_vs_persist_ext), end to end: real TCP and
# UDP connections through a NAT service with two real servers (rr), set up
# by the patched ipvsadm.  Topology: tests/lib.sh.  T is the service's
# persistence timeout; expiry must be within 1 s of the specified time.
# Runs in the lab guest: tools/lab/run.sh tests/persist.sh
# vm-suite order=40 timeout=1200
source "$(dirname "$0")/lib.sh"

T=4

# next_port: a port of its own for the case ($PORT), so that no template of
# an earlier case (IPVS keeps them past -C, and reuses the same real
# servers) can interfere.  The last one given out is kept in a file, as
# each case runs in a subshell of its own.
PORT=1000
next_port() {
	PORT=$(($(cat "$LAB_TMP/port") + 1))
	echo $PORT >"$LAB_TMP/port"
}

# service PROTO_FLAG ADDR EXTRA...: a fresh persistent rr service on
# next_port (but for -f)
service() {
	local proto=$1 vs=$2 rs_port=80
	shift 2
	next_port
	[ "$proto" = -f ] || vs=$vs:$PORT
	ipvs -C
	ipvs -A "$proto" "$vs" -s rr -p $T "$@"
	if [[ $vs == \[* ]]; then
		ipvs -a "$proto" "$vs" -r "[$RS1_6]:$rs_port" -m
		ipvs -a "$proto" "$vs" -r "[$RS2_6]:$rs_port" -m
	elif [ "$proto" = -f ]; then
		ipvs -a -f "$vs" -r "$RS1:$rs_port" -m
		ipvs -a -f "$vs" -r "$RS2:$rs_port" -m
	else
		ipvs -a "$proto" "$vs" -r "$RS1:$rs_port" -m
		ipvs -a "$proto" "$vs" -r "$RS2:$rs_port" -m
	fi
}

# probe ARGS...: "t=<s> <server>" lines from the client.
probe() { c $TOOL probe "$@"; }

# The verdicts below are made on the times the probes report: a probe that a
# busy machine delays only widens the interval known to hold the event, it
# cannot turn a right answer into a failure.

# switches LINES: how often consecutive probes reached different servers
switches() { awk 'NR > 1 && $2 != prev { n++ } { prev = $2 } END { print n + 0 }' <<<"$1"; }

# last_probe LINES: time of the last probe
last_probe() { awk '{ sub("t=", "", $1); t = $1 } END { print t }' <<<"$1"; }

# ends_within LINES LOW HIGH: the affinity to the first server ended between
# LOW and HIGH s: the first probe to reach another server came at LOW or
# later, and the last one before it, still on the first server, at HIGH or
# earlier.
ends_within() {
	awk -v lo="$2" -v hi="$3" '{ sub("t=", "", $1) } NR == 1 { first = $2 }
		!sw && $2 == first { last = $1 } !sw && $2 != first { sw = 1; at = $1 }
		END { exit !(sw && at >= lo && last <= hi) }' <<<"$1"
}

# kept_while_every LINES GAP: every probe reached the first server, as long
# as each came less than GAP s after the one before (a longer pause, which
# only a stalled machine makes, may end a renewed affinity: no verdict after)
kept_while_every() {
	awk -v gap="$2" '{ sub("t=", "", $1) } NR == 1 { first = $2 }
		NR > 1 && $1 - prev >= gap { exit } { prev = $1 } $2 != first { bad = 1; exit }
		END { exit bad }' <<<"$1"
}

# Expiry (seconds left) of the first template of the director.
template_expiry() {
	template_lines | awk '{ print $9 }' | head -1
}

# The template's timer is well past T: IPVS's 60 s for a template in use.
long_template() { [ "$(template_expiry)" -gt $((T + 5)) ] 2>/dev/null; }

# No connection of the current service ($PORT) is left.
no_connections() {
	[ "$(connection_lines | awk -v p="$(printf %04X "$PORT")" '$5 == p' | wc -l)" = 0 ]
}

# Templates of the current service ($PORT).
count_templates() {
	template_lines | awk -v p="$(printf %04X "$PORT")" '$5 == p && /persist_ext/' | wc -l
}

renew_keeps_then_ends() {
	local out lookups reused
	lookups=$(counter ip_vs_persist_ext lookups)
	reused=$(counter ip_vs_persist_ext reused)
	service -t $VIP --persist-mode renew
	# reconnecting every T/2 keeps the real server for 3T
	out=$(probe $VIP $PORT --every $((T / 2)) --count 7)
	kept_while_every "$out" $((T - 1)) || fail "server changed while reconnecting every T/2: $out"
	# each connection counted once: in the service, which the netns's
	# totals (/proc/net/stat, GET_INFO) include
	assert_match "the service's counters" "persist-mode: created 1 reused 6 extended 0 " \
		"$(ipvs -L -n --stats -t $VIP:$PORT)"
	assert_eq "template lookups in /proc/net/stat/ip_vs_persist_ext" $((lookups + 7)) \
		"$(counter ip_vs_persist_ext lookups)"
	reused=$((reused + 6))
	assert_eq "reuses in /proc/net/stat/ip_vs_persist_ext" $reused "$(counter ip_vs_persist_ext reused)"
	assert_match "reuses in GET_INFO" "(^| )reused=$reused( |$)" \
		"$(d python3 "$TESTS_DIR/genl.py" --stats IPVS_PERSIST GET_INFO)"
	local first
	first=$(awk 'NR == 1 { print $2 }' <<<"$out")
	# silence: IPVS keeps the template (60 s) while the RST-closed
	# connections linger in CLOSE (10 s); renew ends it once they are gone
	wait_for 60 no_connections || fail "connections did not expire"
	sleep 1
	out=$(probe $VIP $PORT --every 1 --count 1)
	[ "$(awk '{ print $2 }' <<<"$out")" != "$first" ] ||
		fail "affinity outlived T and its connections (stock 60 s linger)"
	assert_eq "templates after the old one was dropped" 1 "$(count_templates)"
}

absolute_ends_at_t() {
	local out n sw
	service -t $VIP --persist-mode absolute
	out=$(probe $VIP $PORT --every 0.5 --count $((4 * T)))
	ends_within "$out" $((T - 1)) $((T + 1)) || fail "absolute affinity did not end at $T +- 1 s: $out"
	# one template per server in turn (rr), the first kept while its
	# connections linger
	n=$(count_templates)
	sw=$(switches "$out")
	{ [ "$n" -ge 1 ] && [ "$n" -le $((sw + 1)) ]; } || fail "$n templates for $sw switches: $out"
	# one switch only, unless a stalled machine probed 2T after the first
	if awk -v t="$(last_probe "$out")" -v T=$T 'BEGIN { exit !(t < 2 * T - 0.5) }'; then
		assert_eq "switches" 1 "$sw"
	fi
}

idle_trickle_keeps_silence_ends() {
	local out first pid last at
	service -t $VIP --persist-mode idle
	ip netns exec client $TOOL hold $VIP $PORT --trickle $((3 * T)) --silent 60 >"$LAB_TMP/hold" &
	pid=$!
	defer stop_jobs "$pid"
	wait_for 60 test -s "$LAB_TMP/hold" || fail "hold connection failed"
	first=$(head -1 "$LAB_TMP/hold")
	# 2T into the trickle, which goes on for another T: only it kept the
	# affinity (the connection itself is older than T)
	sleep $((2 * T))
	out=$(probe $VIP $PORT --every 1 --count 1)
	wait_for 60 grep -q '^silent ' "$LAB_TMP/hold" || fail "the trickle did not end"
	last=$(awk '/^silent / { print $2 }' "$LAB_TMP/hold")
	# the template is re-armed once a second at most: it holds until T-1 s
	# after the last byte at least
	at=$(awk '{ print $3 }' <<<"$out")
	if awk -v at="$at" -v l="$last" -v t=$T 'BEGIN { exit !(at < l + t - 1) }'; then
		assert_eq "server 2T into the trickle" "$first" "$(awk '{ print $2 }' <<<"$out")"
	else
		log "  the probe into the trickle came after it had ended: no verdict on it"
	fi
	# connection open but silent: still there T-2 s after the last byte ...
	out=$(probe $VIP $PORT --every 1 --count 1 --at "$(awk -v l="$last" -v t=$T 'BEGIN { print l + t - 2 }')")
	at=$(awk '{ print $3 }' <<<"$out")
	if awk -v at="$at" -v l="$last" -v t=$T 'BEGIN { exit !(at < l + t - 1) }'; then
		assert_eq "server T-2 s after the last byte" "$first" "$(awk '{ print $2 }' <<<"$out")"
	else
		log "  the probe T-2 s after the last byte came $(awk -v at="$at" -v l="$last" 'BEGIN { print at - l }') s after it"
	fi
	# ... and gone T+1 s after the last packet, the probe's included (unless
	# a late probe above found it gone already)
	if [ "$(awk '{ print $2 }' <<<"$out")" = "$first" ]; then
		out=$(probe $VIP $PORT --every 1 --count 1 --at "$(awk -v a="$at" -v t=$T 'BEGIN { print a + t + 1 }')")
		[ "$(awk '{ print $2 }' <<<"$out")" != "$first" ] ||
			fail "idle affinity outlived T+1 s of silence"
	fi
}

# max_caps MODE: a client reconnecting every 0.5 s loses its affinity at the
# 6 s cap, whatever the mode would otherwise do.
max_caps() {
	local out
	service -t $VIP --persist-mode "$1" --persist-max 6
	out=$(probe $VIP $PORT --every 0.5 --count 18)
	ends_within "$out" 5 7 || fail "$1 with max 6 did not end at 6 +- 1 s: $out"
}

max_caps_renew() { max_caps renew; }
max_caps_idle() { max_caps idle; }

# A template kept by IPVS past T (a connection held open) has a 60 s timer;
# a new connection re-arms it to T, not 60 s.
sixty_second_shrink_fixed() {
	local pid exp
	service -t $VIP --persist-mode renew
	ip netns exec client $TOOL hold $VIP $PORT --silent 30 >"$LAB_TMP/hold" &
	pid=$!
	defer stop_jobs "$pid"
	wait_for 60 test -s "$LAB_TMP/hold" || fail "hold connection failed"
	# at T the template's timer fires (late on a busy machine) and finds
	# the connection: IPVS re-arms it for 60 s
	wait_for 60 long_template || fail "template timer after T with an open connection: $(template_expiry) s"
	probe $VIP $PORT --every 1 --count 1 >/dev/null
	exp=$(template_expiry)
	[ "${exp:-99}" -le $T ] || fail "new connection re-armed the template to $exp s, want <= $T"
}

udp_absolute() {
	local out
	service -u $VIP --persist-mode absolute
	out=$(probe $VIP $PORT --udp --every 0.5 --count $((4 * T)))
	ends_within "$out" $((T - 1)) $((T + 1)) || fail "UDP absolute did not end at $T +- 1 s: $out"
}

fwmark_absolute() {
	local out
	service -f 7 --persist-mode absolute
	# a firewall-mark service keeps the client's destination port
	d iptables -t mangle -A PREROUTING -d $VIP -p tcp --dport 80 -j MARK --set-mark 7
	out=$(probe $VIP 80 --every 0.5 --count $((4 * T)))
	d iptables -t mangle -F PREROUTING
	ends_within "$out" $((T - 1)) $((T + 1)) || fail "fwmark absolute did not end at $T +- 1 s: $out"
}

ipv6_absolute() {
	local out
	service -t "[$VIP6]" --persist-mode absolute
	out=$(probe $VIP6 $PORT --every 0.5 --count $((4 * T)))
	ends_within "$out" $((T - 1)) $((T + 1)) || fail "IPv6 absolute did not end at $T +- 1 s: $out"
}

# -M: a second client of the same /24 shares the first one's affinity.
netmask_shared() {
	local a b
	service -t $VIP --persist-mode idle -M 255.255.255.0
	c ip addr add 192.0.2.3/24 dev eth0 2>/dev/null || true
	a=$(c $TOOL who $VIP $PORT --src $CLIENT)
	b=$(c $TOOL who $VIP $PORT --src 192.0.2.3)
	assert_eq "server of the second client of the /24" "$a" "$b"
}

cli_errors() {
	local out rc args
	ipvs -C
	for args in "-A -t $VIP:80 -s rr --persist-mode idle" \
		"-A -t $VIP:80 -s rr -p 5 --persist-mode sometimes" \
		"-A -t $VIP:80 -s rr -p 5 --persist-max -3" \
		"-A -t $VIP:80 -s rr -p 5 --persist-mode absolute --persist-max 9" \
		"-A -t $VIP:80 -s rr -p 5 --persist-mode idle --pe sip"; do
		rc=0
		out=$(ipvs $args 2>&1) || rc=$?
		assert_eq "exit status of ipvsadm $args" 2 $rc
		assert_eq "lines of the message of ipvsadm $args" 1 "$(wc -l <<<"$out")"
	done
	assert_eq "services after refused commands" "" "$(ipvs -Sn)"
}

save_restore() {
	ipvs -C
	ipvs -A -t $VIP:80 -s rr -p 5 --persist-mode idle --persist-max 600
	ipvs -A -u $VIP:53 -s rr -p 9 --persist-mode absolute
	ipvs -A -t "[$VIP6]:443" -s rr -p 7 --persist-mode renew
	ipvs -a -t $VIP:80 -r $RS1:80 -m
	assert_save_restore "saved idle flags" "--persist-mode idle --persist-max 600"
	assert_match "-L shows the mode" "persist-mode idle" "$(ipvs -Ln)"
}

# Unload while templates exist and traffic flows: refused while in use, no
# oops.  Tearing the director's netns down (IPVS flushes its connections and
# templates) while traffic flows frees the module.  Last case: it destroys
# the topology.
unload_under_traffic() {
	local pid
	service -t $VIP --persist-mode idle
	c $TOOL probe $VIP $PORT --every 0.2 --count 40 >/dev/null &
	pid=$!
	sleep 2
	! rmmod ip_vs_persist_ext 2>/dev/null || fail "unloaded while its engine is in use"
	ip netns del director
	# the probes are traffic, not a verdict: whatever became of them
	wait $pid || true
	wait_for 30 rmmod ip_vs_persist_ext || fail "module still busy after its netns went"
	modprobe ip_vs_persist_ext
}

# Direct routing: the mode does not depend on the forwarding method.  The
# real servers hold the VIP on lo and answer the client through the
# director's forwarding path (same-host DR needs accept_local there).
dr_absolute() {
	local out rs
	for rs in rs1 rs2; do
		ip -n $rs addr add $VIP/32 dev lo
		ip netns exec $rs sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2
	done
	d sysctl -qw net.ipv4.conf.all.accept_local=1 net.ipv4.conf.brs.accept_local=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.brs.rp_filter=0
	ipvs -C
	ipvs -A -t $VIP:80 -s rr -p $T --persist-mode absolute
	ipvs -a -t "$VIP:80" -r "$RS1" -g
	ipvs -a -t "$VIP:80" -r "$RS2" -g
	out=$(probe $VIP 80 --every 0.5 --count $((4 * T)))
	ipvs -C
	for rs in rs1 rs2; do ip -n $rs addr del $VIP/32 dev lo; done
	ends_within "$out" $((T - 1)) $((T + 1)) || fail "DR absolute did not end at $T +- 1 s: $out"
}
# the VIP off the real servers, if the case failed before that: with it, a
# real server answers the VIP itself
dr_absolute_undo() {
	local rs
	for rs in rs1 rs2; do ip -n "$rs" addr del "$VIP/32" dev lo 2>/dev/null; done
}

# Sync daemon failover: a backup director (its own netns, on both bridges)
# receives the master's templates with their pe_data and, once traffic moves
# to it, applies the same mode from the master's creation time.
#
#   client --brc-- director (master, 192.0.2.1)  --brs-- rs1, rs2
#              \-- backup   (192.0.2.5, VIP on lo) --/   (198.51.100.5)
# template_made PORT: when (date +%s.%N) the director made the template of
# VIP:PORT, from the age its engine shows in /proc/net/ip_vs_conn (never
# earlier than it was)
template_made() {
	local age
	age=$(d awk -v p="$(printf %04X "$1")" '$3 == "0000" && $5 == p {
		for (i = 10; i <= NF; i++) if ($i ~ /^age=[0-9]+ms$/) { gsub(/[^0-9]/, "", $i); print $i; exit } }' \
		/proc/net/ip_vs_conn)
	[ -n "$age" ] || return 0
	awk -v now="$(date +%s.%N)" -v a="$age" 'BEGIN { printf "%.3f\n", now - a / 1000 }'
}

sync_failover() {
	local t=20 port master_rs other_rs start made out
	add_ns backup
	ip link add b-c netns backup type veth peer name v-bc netns director
	ip link add b-s netns backup type veth peer name v-bs netns director
	ip -n director link set v-bc master brc up
	ip -n director link set v-bs master brs up
	ip -n backup addr add 192.0.2.5/24 dev b-c
	ip -n backup addr add 198.51.100.5/24 dev b-s
	ip -n backup addr add $VIP/32 dev lo
	ip -n backup link set b-c up
	ip -n backup link set b-s up
	ip netns exec backup sysctl -qw net.ipv4.ip_forward=1
	next_port
	port=$PORT
	# weights make each scheduler's choice certain: rs1 on the master,
	# rs2 on the backup, which must nevertheless honour the master's
	# template for rs1 until it ends (a quiescent server, weight 0, keeps
	# its templates: expire_quiescent_template is 0)
	ipvs -C
	ipvs -A -t $VIP:$port -s wrr -p $t --persist-mode absolute
	ipvs -a -t $VIP:$port -r $RS1:80 -m -w 1
	ipvs -a -t $VIP:$port -r $RS2:80 -m -w 0
	ip netns exec backup ipvsadm -A -t $VIP:$port -s wrr -p $t --persist-mode absolute
	ip netns exec backup ipvsadm -a -t $VIP:$port -r $RS1:80 -m -w 0
	ip netns exec backup ipvsadm -a -t $VIP:$port -r $RS2:80 -m -w 1
	d sysctl -qw net.ipv4.vs.sync_threshold="1 0"
	ipvs --start-daemon master --mcast-interface brc --syncid 7
	ip netns exec backup ipvsadm --start-daemon backup --mcast-interface b-c --syncid 7
	# the master's template, made by a connection with some traffic
	start=$(date +%s.%N)
	c $TOOL hold $VIP $port --trickle 2 >"$LAB_TMP/hold"
	master_rs=$(head -1 "$LAB_TMP/hold")
	other_rs=rs2
	assert_eq "master's choice" rs1 "$master_rs"
	made=$(template_made $port)
	[ -n "$made" ] || fail "no template on the master"
	wait_for 60 bash -c "ip netns exec backup awk '\$3 == \"0000\"' /proc/net/ip_vs_conn | grep -q persist_ext" ||
		fail "no template synced to the backup"
	# failover: client and real servers now use the backup
	ip -n client route add $VIP/32 via 192.0.2.5
	for rs in rs1 rs2; do ip -n $rs route replace default via 198.51.100.5; done
	# made on the backup well before the template's end (a busy machine
	# may take long to sync it: then there is no verdict on this one)
	if awk -v s="$start" -v now="$(date +%s.%N)" -v t=$t 'BEGIN { exit !(now < s + t - 6) }'; then
		out=$(c $TOOL who $VIP $port) || true
		assert_eq "backup, synced template (age < $t s)" "$master_rs" "$out"
	else
		log "  the template reached the backup $t s or more after its creation: no verdict on its use"
	fi
	# absolute: ends $t s after the master created it, which was after
	# start by however long the client took to connect (seconds on a busy
	# machine): its age on the master says when
	sleep "$(awk -v s="$made" -v now="$(date +%s.%N)" -v t=$t 'BEGIN { d = s + t + 1 - now; print (d > 0 ? d : 0) }')"
	out=$(c $TOOL who $VIP $port) || true
	assert_eq "backup, after the master's creation + $t s" "$other_rs" "$out"
	ip -n client route del $VIP/32 via 192.0.2.5
	for rs in rs1 rs2; do ip -n $rs route replace default via 198.51.100.1; done
	ipvs --stop-daemon master
	ip netns del backup
}
# the master back in charge, if the case failed before that
sync_failover_undo() {
	local rs
	ip -n client route del "$VIP/32" via 192.0.2.5 2>/dev/null
	for rs in rs1 rs2; do ip -n "$rs" route replace default via 198.51.100.1; done
	ipvs --stop-daemon master 2>/dev/null
	ip netns del backup 2>/dev/null
}

cleanup() {
	cleanup_nat
	rm -rf "$LAB_TMP"
}
trap cleanup EXIT
LAB_TMP=$(mktemp -d)
echo $PORT >"$LAB_TMP/port"
modprobe ip_vs_persist_ext || exit 1
setup_nat || exit 1

run_cases cli_errors save_restore absolute_ends_at_t max_caps_renew max_caps_idle idle_trickle_keeps_silence_ends sixty_second_shrink_fixed renew_keeps_then_ends udp_absolute fwmark_absolute dr_absolute ipv6_absolute netmask_shared sync_failover unload_under_traffic -- "$@"
summary
