#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The SYN-cookie proxy (ip_vs_syncookie), end to end: real TCP through
# cookie services with NAT real servers (topology: tests/lib.sh), and
# hand-made segments (tests/tcp_raw.py) for what a socket cannot do: forged
# and replayed cookies, data on the cookie ACK, RST in the handshake, a
# cookie carried to another director.
#
# Floods (flood_start, tests/lib.sh) are counted hping3 SYNs from spoofed
# addresses that no host has.
#
# Runs in the lab guest: tools/lab/run.sh tests/syncookie.sh [case...]
# vm-suite order=60 timeout=3600 debug=1
source "$(dirname "$0")/lib.sh"

VS=/proc/sys/net/ipv4/vs
SLOT=/sys/module/ip_vs_syncookie/parameters/slot_secs
GENL="python3 $TESTS_DIR/genl.py"
KEY1=000102030405060708090a0b0c0d0e0f
KEY2=f0e1d2c3b4a5968778695a4b3c2d1e0f
BIG=20000000            # bytes of the main transfers, each way
SMALL=5000000           # bytes of the transfers of the variants

# ---- counters (sc NAME [NS], tests/lib.sh)

# mark [NS]: remember the counters; grown NAME [NS]: growth since then
declare -A MARKS
mark() { MARKS[${1:-director}]=$(sc_stats "${1:-}"); }
grown() { echo $(($(sc "$1" "${2:-}") - $(sc_sum "${MARKS[${2:-director}]}" "$1"))); }

# assert_grown NAME N [NS]
assert_grown() {
	assert_eq "$1 grew by" "$2" "$(grown "$1" "${3:-}")"
}

# assert_grown_min NAME N [NS]
assert_grown_min() {
	local g
	g=$(grown "$1" "${3:-}")
	[ "$g" -ge "$2" ] || fail "$1 grew by $g, want >= $2"
}

# ---- services and knobs

# svc [-p T]... VS MODE RS...: a fresh rr service VS (addr:port) with
# --syncookie MODE and NAT real servers RS (addr:port)
svc() {
	local opts=() vs mode rs
	while [[ $1 == -* ]]; do opts+=("$1" "$2"); shift 2; done
	vs=$1 mode=$2
	shift 2
	ipvs -D -t "$vs" 2>/dev/null || true
	ipvs -A -t "$vs" -s rr "${opts[@]}" --syncookie "$mode" || fail "ipvsadm -A -t $vs --syncookie $mode"
	for rs; do
		ipvs -a -t "$vs" -r "$rs" -m || fail "ipvsadm -a -t $vs -r $rs -m"
	done
}

vs_set() { d sh -c "echo $2 >$VS/$1" || fail "cannot set $1 to $2"; }
vs_get() { d cat "$VS/$1"; }

# set_secret NS HEX: the cookie secret of a director netns
set_secret() {
	assert_eq "SET_SECRET in $1" "errno=0 msg=" \
		"$(ip netns exec "$1" $GENL IPVS_SYNCOOKIE SET_SECRET "SECRET:hex:$2")"
}

# ---- IPVS entries


# entries_from ADDR...: connection entries of these client addresses
entries_from() {
	local a re=""
	for a; do re+="${re:+|}$(hexip "$a")"; done
	connection_lines | awk -v re="^($re)\$" '$2 ~ re' | wc -l
}

# entries_from_port PORT [NS]: entries of the client's port PORT (flood
# entries of spoofed addresses have random ports too)
entries_from_port() {
	ip netns exec "${2:-director}" awk -v c="$(hexip $CLIENT)" -v p="$(printf %04X "$1")" \
		'NR > 1 && $2 == c && $3 == p' /proc/net/ip_vs_conn | wc -l
}

# valid_above N: the director accepted more than N cookies so far
valid_above() { [ "$(sc cookies_valid)" -gt "$1" ]; }

# ip_vs_conn slab objects in use (the cache may be merged into another one,
# then only /sys/kernel/slab has its name)
conn_slab() {
	local n
	n=$(awk '$1 == "ip_vs_conn" { print $2 }' /proc/slabinfo 2>/dev/null)
	[ -n "$n" ] || n=$(cut -d' ' -f1 /sys/kernel/slab/ip_vs_conn/objects 2>/dev/null)
	echo "${n:-0}"
}

# ---- the raw client: its own kernel's RSTs for the raw ports are dropped

RST_RULE=(OUTPUT -p tcp --tcp-flags RST RST --sport 40000:40999 -m mark ! --mark 0x5c -j DROP)
raw_on() { ip netns exec "${1:-client}" iptables -I "${RST_RULE[@]}" || fail "RST rule in ${1:-client}"; }
raw_off() { c iptables -D "${RST_RULE[@]}"; }
raw6_on() { c ip6tables -I "${RST_RULE[@]}" || fail "IPv6 RST rule in client"; }
raw6_off() { c ip6tables -D "${RST_RULE[@]}"; }

# want_hex PYTHON-EXPR: hex of a bytes expression; stream() is tcp_tool's
want_hex() {
	python3 -c "import sys; sys.path.insert(0, '$TESTS_DIR'); from tcp_tool import stream; print(($1).hex())"
}

# jf KEY JSON: a field of tcp_raw.py's flat JSON (numbers, booleans and
# strings without escapes: compare payloads through payload_hex)
jf() {
	local re="\"$1\": (\"([^\"]*)\"|[^,}]*)"
	[[ $2 =~ $re ]] || { echo "(no $1)"; return; }
	if [[ ${BASH_REMATCH[1]} == \"* ]]; then
		echo "${BASH_REMATCH[2]}"
	else
		echo "${BASH_REMATCH[1]}"
	fi
}

# ======== cases

# 1. Byte-exact transfers both ways through a cookie service, with and
# without the client's TCP options; each connection is one cookie.
# xfer_pair LABEL HOST GET PUT: a download of GET and an upload of PUT bytes
# through HOST:80, byte-exact, reaching different real servers (rr).
xfer_pair() {
	local a b
	# a failed transfer says how in its output, which the assertion shows
	a=$(c $TOOL xfer "$2" 80 --get "$3" 2>&1) || true
	assert_match "$1: $3 bytes from a real server" "^rs[12] ok$" "$a"
	b=$(c $TOOL xfer "$2" 80 --put "$4" 2>&1) || true
	assert_match "$1: $4 bytes to a real server" "^rs[12] ok$" "$b"
	[ "${a% *}" != "${b% *}" ] || fail "$1: both connections reached ${a% *} (rr)"
}

transfer_round() {
	local k
	mark
	xfer_pair "$1" $VIP $BIG $BIG
	for k in cookies_sent cookies_valid proxied; do
		assert_eq "$1: $k grew by" 2 "$(grown $k)"
	done
}

CLIENT_OPTS=(net.ipv4.tcp_timestamps net.ipv4.tcp_sack net.ipv4.tcp_window_scaling)
transfer() {
	svc $VIP:80 on $RS1:80 $RS2:80
	transfer_round "client with timestamps, SACK, window scaling"
	c sysctl -qw "${CLIENT_OPTS[@]/%/=0}"
	transfer_round "client without timestamps, SACK, window scaling"
	assert_match "the service's counters (ipvsadm -L --stats)" \
		"syncookie: syn 4 sent 4 valid 4 invalid 0 proxied 4" "$(ipvs -L -n --stats -t $VIP:80)"
}
transfer_undo() { c sysctl -qw "${CLIENT_OPTS[@]/%/=1}"; }

# 2. A real server with a smaller MSS, a small receive buffer and no window
# scaling (then also no timestamps, no SACK) than the client and the
# director: the translation still delivers every byte.
RMEM=""
rs_options() {
	local out
	RMEM=$(r1 sysctl -n net.ipv4.tcp_rmem)
	svc $VIP:82 on $RS1:80
	ip -n rs1 route replace default via 198.51.100.1 advmss 1200
	r1 sysctl -qw net.ipv4.tcp_rmem="4096 8192 32768" net.ipv4.tcp_window_scaling=0
	mark
	out=$(c $TOOL xfer $VIP 82 --get $SMALL 2>&1) || true
	assert_eq "from rs1 (MSS 1200, 32 kB buffer, no wscale)" "rs1 ok" "$out"
	out=$(c $TOOL xfer $VIP 82 --put $SMALL 2>&1) || true
	assert_eq "to rs1 (MSS 1200, 32 kB buffer, no wscale)" "rs1 ok" "$out"
	r1 sysctl -qw net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0
	out=$(c $TOOL xfer $VIP 82 --get $SMALL 2>&1) || true
	assert_eq "from rs1 also without timestamps and SACK" "rs1 ok" "$out"
	out=$(c $TOOL xfer $VIP 82 --put $SMALL 2>&1) || true
	assert_eq "to rs1 also without timestamps and SACK" "rs1 ok" "$out"
	assert_grown proxied 4
}
rs_options_undo() {
	ip -n rs1 route replace default via 198.51.100.1
	r1 sysctl -qw net.ipv4.tcp_rmem="$RMEM" net.ipv4.tcp_window_scaling=1 \
		net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1
}


# 2b. The MSS a cookie SYN-ACK offers follows the real servers that answer:
# one server with a small MSS (1200) does not lower it for good.
mss_follows() {
	local out
	raw_on
	svc $VIP:88 on $RS1:80
	ip -n rs1 route replace default via 198.51.100.1 advmss 1200
	assert_eq "first connection" rs1 "$(c $TOOL who $VIP 88)"
	out=$(c $RAW handshake $VIP 88 --mss 1460 --wait 2) || true
	assert_eq "MSS offered after rs1 (1200) answered" 1200 "$(jf synack_mss "$out")"
	ipvs -a -t $VIP:88 -r $RS2:80 -m
	ipvs -d -t $VIP:88 -r $RS1:80
	assert_eq "connection after rs1 left" rs2 "$(c $TOOL who $VIP 88)"
	out=$(c $RAW handshake $VIP 88 --mss 1460 --wait 2) || true
	assert_eq "MSS offered after rs2 (1460) answered" 1460 "$(jf synack_mss "$out")"
}
mss_follows_undo() {
	ip -n rs1 route replace default via 198.51.100.1
	ipvs -D -t $VIP:88 2>/dev/null
	raw_off
}

# 2c. A real server without timestamps behind clients with them: once one
# answered without, cookies stop offering timestamps (and with them window
# scaling and SACK) for a minute, so that no client gets segments without
# the option it negotiated; data still flows byte-exact.
rs_without_ts() {
	local out
	raw_on
	r1 sysctl -qw net.ipv4.tcp_timestamps=0
	svc $VIP:89 on $RS1:80
	out=$(c $RAW handshake $VIP 89 --ts --sack --wscale 7 --wait 2) || true
	assert_eq "timestamps offered before any server answered" true \
		"$([ "$(jf synack_tsval "$out")" -ge 0 ] && echo true)"
	assert_eq "a client with timestamps" "rs1 ok" "$(c $TOOL xfer $VIP 89 --get $SMALL 2>&1)"
	out=$(c $RAW handshake $VIP 89 --ts --sack --wscale 7 --wait 2) || true
	assert_eq "timestamps offered after rs1 answered without" -1 "$(jf synack_tsval "$out")"
	assert_eq "window scale offered without timestamps" -1 "$(jf synack_wscale "$out")"
	assert_eq "a client after that" "rs1 ok" "$(c $TOOL xfer $VIP 89 --put $SMALL 2>&1)"
}
rs_without_ts_undo() {
	r1 sysctl -qw net.ipv4.tcp_timestamps=1
	ipvs -D -t $VIP:89 2>/dev/null
	raw_off
}

# 3. Loss, reordering and duplicates on the client link, both directions,
# from the first segment on: a lost third ACK is made up for by the
# client's window probe (its request waits behind the cookie's zero window).
NETEM="delay 2ms reorder 25% 50% duplicate 1% loss 1%"
lossy_xfer() {
	# shellcheck disable=SC2086
	c tc qdisc replace dev eth0 root netem $NETEM
	# shellcheck disable=SC2086
	d tc qdisc replace dev v-client root netem $NETEM
	assert_match "netem: xfer $*" "^rs[12] ok$" "$(c timeout 120 $TOOL xfer $VIP 80 "$@" 2>&1)"
}
netem() {
	svc $VIP:80 on $RS1:80 $RS2:80
	mark
	lossy_xfer --get $BIG
	lossy_xfer --put $SMALL
	assert_grown_min cookies_valid 2
	assert_grown proxied 2
}
netem_undo() {
	c tc qdisc del dev eth0 root 2>/dev/null
	d tc qdisc del dev v-client root 2>/dev/null
	resend_rsts 80
}

# 4. A spoofed SYN flood to a cookie service allocates nothing, while
# legitimate clients get through; the same flood to a stock NAT service
# (the baseline) makes an entry per SYN.
flood() {
	local slab0 slab1 max=0 n probe sent out errs
	svc $VIP:80 on $RS1:80 $RS2:80
	mark
	slab0=$(conn_slab)
	flood_start 80 500 192.0.2.200 192.0.2.201
	ip netns exec client $TOOL probe $VIP 80 --every 0.1 --count 30 >"$LAB_TMP/probe" 2>&1 &
	probe=$!
	# the flood lasts until the probe is done
	while kill -0 $probe 2>/dev/null; do
		n=$(entries_from 192.0.2.200 192.0.2.201)
		[ "$n" -le $max ] || max=$n
		sleep 0.3
	done
	# its output is the verdict on it
	wait $probe || true
	flood_stop
	slab1=$(conn_slab)
	sent=$(flood_sent)
	log "  cookie service: $sent SYNs, ip_vs_conn objects $slab0 -> $slab1, max flood entries $max"
	[ "$sent" -ge 1000 ] || fail "the flood sent only $sent SYNs (2 x 500 asked)"
	assert_eq "entries of the flood (max while flooding)" 0 "$max"
	assert_eq "entries of the flood after it" 0 "$(entries_from 192.0.2.200 192.0.2.201)"
	[ $((slab1 - slab0)) -le 100 ] || fail "ip_vs_conn grew by $((slab1 - slab0)) objects"
	out=$(cat "$LAB_TMP/probe")
	assert_eq "legitimate connections during the flood" 30 "$(grep -cE '^t=[0-9.]+ rs[12]( |$)' <<<"$out")"
	# the legitimate ones may have sent SYNs twice (the director was busy)
	assert_grown_min cookies_sent $((sent / 2 + 30))
	assert_grown_min syn_received $((sent / 2 + 30))
	assert_grown cookies_valid 30
	errs=$(grown cookies_invalid)
	assert_eq "invalid cookies during a SYN-only flood" 0 "$errs"

	# baseline: a stock NAT service (its servers drop SYNs to port 81, so
	# that the entries stay in SYN_RECV); IPVS must have made an entry for
	# at least half of the SYNs sent, or the flood above proves nothing
	ipvs -D -t $VIP:81 2>/dev/null || true
	ipvs -A -t $VIP:81 -s rr
	ipvs -a -t "$VIP:81" -r "$RS1:81" -m
	ipvs -a -t "$VIP:81" -r "$RS2:81" -m
	r1 iptables -I INPUT -p tcp --dport 81 -j DROP
	r2 iptables -I INPUT -p tcp --dport 81 -j DROP
	slab0=$(conn_slab)
	flood_start 81 1000 192.0.2.210 192.0.2.211
	flood_stop
	n=$(entries_from 192.0.2.210 192.0.2.211)
	slab1=$(conn_slab)
	sent=$(flood_sent)
	r1 iptables -D INPUT -p tcp --dport 81 -j DROP
	r2 iptables -D INPUT -p tcp --dport 81 -j DROP
	ipvs -D -t $VIP:81
	log "  stock service: $sent SYNs, $n entries, ip_vs_conn objects $slab0 -> $slab1"
	[ "$n" -ge $((sent / 2)) ] || fail "baseline: $n entries for $sent SYNs"
	[ $((slab1 - slab0)) -ge $((n / 2)) ] || fail "baseline: ip_vs_conn grew by $((slab1 - slab0)) for $n entries"
}
# the baseline's drops and service, if the case failed before it removed
# them: the drops would silence port 81, which server_down needs closed
flood_undo() {
	r1 iptables -D INPUT -p tcp --dport 81 -j DROP 2>/dev/null
	r2 iptables -D INPUT -p tcp --dport 81 -j DROP 2>/dev/null
	ipvs -D -t "$VIP:81" 2>/dev/null
}

# 4b. Client-first connections (HTTP with curl, as browsers and TLS clients
# speak first) get their first byte as soon through a cookie service as
# through a plain one: the real server's SYN-ACK becomes a window update the
# client accepts at once.  One it dropped would leave the client behind the
# cookie's zero window until its zero-window probe (200 ms or more), which
# the client's TCPWinProbe counter shows whatever the machine's speed.
# Plain (VIP:90) and cookie (VIP:91) requests alternate, so that a busy
# machine slows both alike; medians are compared.
TTFB_N=16
HTTP_DIR=""
http_up() {
	local ns port
	HTTP_DIR=$(mktemp -d)
	chmod 0755 "$HTTP_DIR"
	head -c 30000 /dev/urandom >"$HTTP_DIR/f"
	chmod 0644 "$HTTP_DIR/f"
	# one httpd per service, so that the two services share no real
	# server port: curl's ports for the plain service come round again
	# for the cookie service while the server still holds the plain
	# connection in TIME_WAIT, which costs a SYN round trip more (case
	# server_time_wait), not this comparison's subject
	for ns in rs1 rs2; do
		for port in 8080 8081; do
			ip netns exec $ns busybox httpd -f -p $port -h "$HTTP_DIR" &
			echo $! >>"$LAB_PIDS"
		done
	done
	for port in 8080 8081; do
		wait_for 60 r1 curl -sf -o /dev/null http://$RS1:$port/f || fail "rs1 httpd :$port"
		wait_for 60 r2 curl -sf -o /dev/null http://$RS2:$port/f || fail "rs2 httpd :$port"
	done
}

# winprobes: zero-window probes the client has sent (TcpExt TCPWinProbe)
winprobes() {
	c awk '/^TcpExt:/ { if (!col) { for (i = 2; i <= NF; i++) if ($i == "TCPWinProbe") col = i }
		else print $col }' /proc/net/netstat
}

# median and largest of numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
largest() { sort -n | tail -1; }

# ttfb_compare LABEL HOST: TTFB_N requests each way, alternating, by one
# curl (a new connection each: Connection: close); every body checked; the
# cookie service's median within 20 ms of the plain one's (see limit), and no more
# than one zero-window stall in four (a machine too busy to answer in
# 200 ms may stall one; the defect stalls every connection)
ttfb_compare() {
	local label=$1 host=$2 i args=() out t plain=() cookie=() probes mp mc limit bad=""
	[[ $host == *:* ]] && host="[$host]"
	rm -f "$LAB_TMP"/body.*
	for i in $(seq 1 $TTFB_N); do
		args+=(-o "$LAB_TMP/body.p$i" "http://$host:90/f" -o "$LAB_TMP/body.c$i" "http://$host:91/f")
	done
	probes=$(winprobes)
	mark
	# per transfer: first byte, curl's exit code, bytes, HTTP status, client port
	# (curl's status is the last transfer's: the bodies are the verdict)
	out=$(c curl -s -g -H 'Connection: close' --max-time 60 \
		-w '%{time_starttransfer} %{exitcode} %{size_download} %{http_code} %{local_port}\n' "${args[@]}") || true
	for i in $(seq 1 $TTFB_N); do
		cmp -s "$LAB_TMP/body.p$i" "$HTTP_DIR/f" || bad="plain request $i"
		cmp -s "$LAB_TMP/body.c$i" "$HTTP_DIR/f" || bad="cookie request $i"
		[ -z "$bad" ] || break
	done
	if [ -n "$bad" ]; then
		log "$(sed 's/^/    curl: /' <<<"$out")"
		log "$(d cat /proc/net/stat/ip_vs_syncookie | sed 's/^/    /')"
		log "$(d ipvsadm -Lnc | sed 's/^/    /')"
		fail "$label: $bad: wrong body"
	fi
	t=$(awk '{ printf "%d\n", $1 * 1000 + 0.5 }' <<<"$out")
	mapfile -t plain < <(awk 'NR % 2 == 1' <<<"$t")
	mapfile -t cookie < <(awk 'NR % 2 == 0' <<<"$t")
	assert_eq "$label: first bytes timed" $TTFB_N "${#cookie[@]}"
	mp=$(printf '%s\n' "${plain[@]}" | median)
	mc=$(printf '%s\n' "${cookie[@]}" | median)
	log "  $label: first byte median plain $mp ms, cookie $mc ms; largest $(printf '%s\n' \
		"${plain[@]}" | largest), $(printf '%s\n' "${cookie[@]}" | largest) ms;" \
		"cookies sent $(grown cookies_sent), valid $(grown cookies_valid), proxied $(grown proxied)"
	# most connections went through a cookie: a SYN of a tuple IPVS still
	# holds (curl's port come round to the same service within IPVS's 2 min
	# TIME_WAIT) is left to IPVS, which reuses the entry (conn_reuse_mode)
	[ "$(grown cookies_valid)" = $TTFB_N ] || log "$(sed 's/^/    curl: /' <<<"$out")"
	assert_grown_min cookies_valid $((TTFB_N / 2))
	probes=$(($(winprobes) - probes))
	[ $probes -le $((TTFB_N / 4)) ] || fail "$label: $probes zero-window probes of the client"
	# 20 ms, or a third of plain's median on a machine that slows both
	# (the debug kernel): the stall costs 200 ms
	limit=$((mp / 3 > 20 ? mp / 3 : 20))
	[ $((mc - mp)) -le $limit ] || fail "$label: cookie median $mc ms, plain $mp ms (limit +$limit)"
}

first_byte() {
	local af host opt rs
	http_up
	for af in 4 6; do
		host=$VIP
		[ $af = 4 ] || host=$VIP6
		[[ $host == *:* ]] && host="[$host]"
		ipvs -D -t "$host:90" 2>/dev/null || true
		ipvs -A -t "$host:90" -s rr
		svc "$host:91" on
		for rs in $RS1 $RS2; do
			[ $af = 4 ] || { [ $rs = $RS1 ] && rs="[$RS1_6]" || rs="[$RS2_6]"; }
			ipvs -a -t "$host:90" -r "$rs:8080" -m
			ipvs -a -t "$host:91" -r "$rs:8081" -m
		done
	done
	for af in $VIP $VIP6; do
		ttfb_compare "$af: all options" $af
		for opt in "${CLIENT_OPTS[@]}"; do
			c sysctl -qw "$opt=0"
			ttfb_compare "${af}: client without ${opt##*.}" $af
			c sysctl -qw "$opt=1"
		done
	done
	# the same under a flood of the cookie service, lasting until done
	flood_start 91 200 192.0.2.205 192.0.2.206
	ttfb_compare "$VIP under a SYN flood" $VIP
	ttfb_compare "$VIP6 under a SYN flood" $VIP6
	flood_stop
}
first_byte_undo() {
	c sysctl -qw "${CLIENT_OPTS[@]/%/=1}"
	for h in $VIP "[$VIP6]"; do
		ipvs -D -t "$h:90" 2>/dev/null
		ipvs -D -t "$h:91" 2>/dev/null
	done
	true
}

# 5. An ACK with a forged cookie: dropped and counted, no entry; RST with
# syncookie_invalid_rst.
invalid() {
	local out sport ack
	raw_on
	svc $VIP:80 on $RS1:80 $RS2:80
	mark
	out=$(c $RAW send $VIP 80 --flags A --seq random --ack random --wait 1.5) || true
	sport=$(jf sport "$out")
	assert_eq "answers to a forged ACK" "" "$(jf answers "$out")"
	assert_grown cookies_invalid 1
	assert_eq "entries of the forged ACK" 0 "$(entries_from_port "$sport")"
	# a real SYN, then an ACK of a wrong cookie
	out=$(c $RAW handshake $VIP 80 --forge --wait 1.5) || true
	assert_eq "SYN-ACK before the forged ACK" true "$(jf synack "$out")"
	assert_eq "answers to a wrong cookie" "" "$(jf answers "$out")"
	assert_eq "entries of the wrong cookie" 0 "$(entries_from_port "$(jf sport "$out")")"
	assert_grown cookies_invalid 2
	assert_grown proxied 0
	vs_set syncookie_invalid_rst 1
	out=$(c $RAW send $VIP 80 --flags A --seq random --ack random --wait 2) || true
	ack=$(jf ack "$out")
	assert_eq "RST for a forged ACK (syncookie_invalid_rst 1)" true "$(jf rst "$out")"
	assert_eq "the RST's seq (the forged ACK's ack)" "$ack" "$(jf rst_seq "$out")"
	assert_grown cookies_invalid 3
	assert_eq "entries of the RST-answered ACK" 0 "$(entries_from_port "$(jf sport "$out")")"
}
invalid_undo() {
	vs_set syncookie_invalid_rst 0
	raw_off
}

# 6. Cookies are valid in their slot and the previous one only (slot_secs
# 1: a 3 s old one is stale), and only under the secret that made them.
replay() {
	local out st=$LAB_TMP/replay.json
	raw_on
	svc $VIP:80 on $RS1:80 $RS2:80
	echo 1 >$SLOT || fail "cannot set slot_secs"
	mark
	out=$(c $RAW handshake $VIP 80 --expect 4 --wait 4) || true
	assert_eq "SYN-ACK window (a cookie)" 0 "$(jf synack_win "$out")"
	assert_match "greeting through a fresh cookie (slot_secs 1)" "^7273(31|32)0a$" "$(jf payload_hex "$out")"
	assert_grown cookies_valid 1
	mark
	out=$(c $RAW syn $VIP 80 --state "$st") || true
	assert_eq "SYN-ACK" true "$(jf synack "$out")"
	sleep 3 # the cookie must age past two slots: waiting is the test
	out=$(c $RAW ack --state "$st" --wait 2) || true
	assert_eq "payload through a 3 s old cookie" "" "$(jf payload_hex "$out")"
	assert_eq "entries of the stale cookie" 0 "$(entries_from_port "$(jf sport "$out")")"
	assert_grown cookies_invalid 1
	assert_grown cookies_valid 0
	echo 64 >$SLOT
	# the secret changes between SYN-ACK and ACK
	set_secret director $KEY1
	mark
	out=$(c $RAW syn $VIP 80 --state "$st") || true
	assert_eq "SYN-ACK" true "$(jf synack "$out")"
	set_secret director $KEY2
	out=$(c $RAW ack --state "$st" --wait 2) || true
	assert_eq "payload through a cookie of the old secret" "" "$(jf payload_hex "$out")"
	assert_eq "entries of the old secret's cookie" 0 "$(entries_from_port "$(jf sport "$out")")"
	assert_grown cookies_invalid 1
	assert_grown proxied 0
}
replay_undo() {
	echo 64 >$SLOT
	raw_off
}

# 7. Data on the cookie ACK (and right behind it) is held until the server
# answered, then delivered: the server's answers to the two requests prove
# that it got them.
ack_with_data() {
	local out want want_ts
	raw_on
	svc $VIP:80 on $RS1:80
	want=$(want_hex "b'rs1\\n' + stream(8) * 2")
	want_ts=$(want_hex "b'rs1\\n' + stream(3000)")
	mark
	out=$(c $RAW handshake $VIP 80 --data 'GET 8\n' --data 'GET 8\n' --expect 20 --wait 5) || true
	assert_eq "SYN-ACK window (a cookie)" 0 "$(jf synack_win "$out")"
	assert_eq "greeting and answers to the held requests" "$want" "$(jf payload_hex "$out")"
	assert_grown_min held 1
	assert_grown cookies_valid 1
	assert_grown proxied 1
	# without data: the window update opens the zero window of the SYN-ACK
	out=$(c $RAW handshake $VIP 80 --expect 4 --wait 4) || true
	assert_eq "greeting" 7273310a "$(jf payload_hex "$out")"
	assert_eq "window update after the server's handshake" true "$(jf window_update "$out")"
	# timestamps, SACK, window scaling: a few segments, each timestamp of
	# the server translated so that the client's PAWS check takes it
	mark
	out=$(c $RAW handshake $VIP 80 --ts --sack --wscale 7 --data 'GET 3000\n' --expect 3004 --wait 5) || true
	assert_eq "SYN-ACK's TSecr" "$(jf syn_tsval "$out")" "$(jf synack_tsecr "$out")"
	assert_eq "greeting and 3000 bytes (timestamps on)" "$want_ts" "$(jf payload_hex "$out")"
	[ "$(jf ts_answers "$out")" -ge 3 ] || fail "answers with timestamps: $(jf ts_answers "$out")"
	assert_eq "answers with a TSval before the SYN-ACK's or a foreign TSecr" 0 "$(jf ts_bad "$out")"
	assert_grown held 1
}
ack_with_data_undo() { raw_off; }

# Extra. The client's third ACK is lost (dropped before the director): its
# request waits behind the cookie's zero window, and the window probes that
# follow carry the client's ISN itself, not ISN + 1.  A probe validates the
# cookie; the transfer completes.
# shellcheck disable=SC2054 # iptables' commas
LOST_ACK=(PREROUTING -p tcp -s $CLIENT -d $VIP --dport 80 --tcp-flags SYN,ACK,RST,FIN,PSH ACK -j DROP)
ack_lost() { [ "$(d iptables -t raw -L PREROUTING -nvx | awk 'NR == 3 { print $1 }')" -ge 1 ]; }
lost_ack() {
	local pid
	svc $VIP:80 on $RS1:80 $RS2:80
	d iptables -t raw -I "${LOST_ACK[@]}"
	mark
	ip netns exec client timeout 60 $TOOL xfer $VIP 80 --get $SMALL >"$LAB_TMP/xfer" 2>&1 &
	pid=$!
	defer stop_jobs "$pid"
	wait_for 60 ack_lost || fail "the third ACK was not dropped"
	assert_grown cookies_valid 0
	d iptables -t raw -D "${LOST_ACK[@]}"
	# its output is the verdict on it
	wait $pid || true
	assert_match "transfer after a lost third ACK" "^rs[12] ok$" "$(cat "$LAB_TMP/xfer")"
	assert_grown cookies_valid 1
}
lost_ack_undo() { d iptables -t raw -D "${LOST_ACK[@]}" 2>/dev/null; true; }

# 8. RST instead of the third ACK: nothing is opened, nothing left.
# shellcheck disable=SC2054 # iptables' commas
RS_SYNS=(INPUT -p tcp --dport 80 --tcp-flags SYN,ACK,RST SYN)
rs_syns() {
	local n=0 ns
	for ns in rs1 rs2; do
		n=$((n + $(ip netns exec $ns iptables -L INPUT -nvx | awk 'NR == 3 { print $1 }')))
	done
	echo $n
}
rst_in_handshake() {
	local out sport
	raw_on
	svc $VIP:80 on $RS1:80 $RS2:80
	r1 iptables -I "${RS_SYNS[@]}"
	r2 iptables -I "${RS_SYNS[@]}"
	mark
	out=$(c $RAW handshake $VIP 80 --rst --wait 1) || true
	sport=$(jf sport "$out")
	assert_eq "SYN-ACK window (a cookie)" 0 "$(jf synack_win "$out")"
	assert_eq "answers to the RST" "" "$(jf answers "$out")"
	assert_eq "entries after the RST" 0 "$(entries_from_port "$sport")"
	assert_eq "SYNs that reached a real server" 0 "$(rs_syns)"
	assert_grown cookies_valid 0
	assert_grown proxied 0
	# a real connection afterwards reaches a server (and the counting rules work)
	c $TOOL who $VIP 80 >/dev/null || fail "connection after the RST case"
	assert_eq "SYNs that reached a real server for one connection" 1 "$(rs_syns)"
}
rst_in_handshake_undo() {
	r1 iptables -D "${RS_SYNS[@]}"
	r2 iptables -D "${RS_SYNS[@]}"
	raw_off
}

# 9. The real server's port is closed: the client is reset at once.
server_down() {
	local out
	raw_on
	svc $VIP:83 on $RS1:81
	mark
	out=$(c $TOOL probe $VIP 83 --every 1 --count 1)
	assert_match "client of a closed server" "^t=[0-9.]+ error:Connection(Reset|Refused)Error( |$)" "$out"
	out=$(c $RAW handshake $VIP 83 --wait 5) || true
	assert_eq "SYN-ACK window (a cookie)" 0 "$(jf synack_win "$out")"
	assert_eq "RST for the raw client" true "$(jf rst "$out")"
	# at once: from the server's RST, not after SYN retries (time only logged)
	log "  RST $(jf rst_after "$out") s after the ACK"
	assert_grown syn_retries 0
	assert_grown resets 2
	assert_grown cookies_valid 2
}
server_down_undo() { raw_off; }

# 10. The real server drops SYNs: syncookie_syn_retries (1) SYNs more, then
# the client is reset (SYN at 0 s, retry at 1 s, give up at 3 s).
server_silent() {
	local out t
	raw_on
	svc $VIP:84 on $RS1:80
	vs_set syncookie_syn_retries 1
	r1 iptables -I INPUT -p tcp --dport 80 --syn -j DROP
	mark
	out=$(c $RAW handshake $VIP 84 --wait 8) || true
	assert_eq "SYN-ACK window (a cookie)" 0 "$(jf synack_win "$out")"
	assert_eq "RST for the client of a silent server" true "$(jf rst "$out")"
	t=$(jf rst_after "$out")
	# never before the retry's timer (a busy machine may be later)
	awk -v t="$t" 'BEGIN { exit !(t >= 1.5) }' || fail "RST $t s after the ACK, want 3 (>= 1.5)"
	assert_grown syn_retries 1
	assert_grown resets 1
	out=$(c $TOOL probe $VIP 84 --every 1 --count 1)
	assert_match "socket client of a silent server" "^t=[0-9.]+ error:ConnectionResetError( |$)" "$out"
	assert_grown syn_retries 2
}
server_silent_undo() {
	r1 iptables -D INPUT -p tcp --dport 80 --syn -j DROP
	vs_set syncookie_syn_retries 3
	raw_off
}

# 10b. The real server still holds the client's tuple in TIME_WAIT (it
# closed an earlier connection from the same client port, as HTTP servers
# do) and answers the proxied SYN with an ACK of that old connection: the
# director resets the old one and sends the SYN again at once, as the
# client's own stack would, and the request is answered.  The new ISN lies
# before the old connection's, as one of another address pair does half of
# the time; the server accepts such a SYN only once the old one is gone.
server_time_wait() {
	local out dir isn=$((0x60000000)) req='GET /f HTTP/1.0\r\n\r\n'
	# a port of its own per run: IPVS keeps an earlier run's tuple 2 min
	local port=$((40100 + RANDOM % 800))
	raw_on
	dir=$(mktemp -d)
	defer rm -rf "$dir"
	echo "time-wait ok" >"$dir/f"
	chmod 0755 "$dir"
	chmod 0644 "$dir/f"
	r1 busybox httpd -f -p 8082 -h "$dir" &
	defer kill $!
	wait_for 60 r1 curl -sf -o /dev/null http://$RS1:8082/f || fail "rs1 httpd :8082"
	svc $VIP:85 on $RS1:8082
	# the earlier connection, straight to the server, which closes first
	out=$(c $RAW handshake $RS1 8082 --sport $port --isn $isn --data "$req" --fin --wait 10) || true
	assert_eq "earlier connection closed in order" true "$(jf closed "$out")"
	assert_eq "the server's end of it in TIME_WAIT" 1 \
		"$(r1 ss -Htn state time-wait "( sport = :8082 and dport = :$port )" | wc -l)"
	mark
	out=$(c $RAW handshake $VIP 85 --sport $port --isn $((isn - 0x100000)) --data "$req" \
		--fin --wait 30) || true
	assert_eq "client reset" false "$(jf rst "$out")"
	assert_match "answer through the cookie service" '^HTTP/1\.[01] 200 .*time-wait ok' \
		"$(python3 -c 'import sys; print(bytes.fromhex(sys.argv[1]).decode("latin-1"))' "$(jf payload_hex "$out")")"
	assert_grown cookies_valid 1
	assert_grown proxied 1
	# the one SYN sent again at once, after the reset of the old connection
	assert_grown syn_retries 1
}
server_time_wait_undo() {
	ipvs -D -t $VIP:85 2>/dev/null
	raw_off
}

# 10c. One counter surface: /proc/net/stat/ip_vs_syncookie and GET_INFO show
# the same netns totals, in which a service's events count once; they stay
# when the service goes.
counter_surface() {
	local info snap k total entries
	svc $VIP:94 on $RS1:80
	mark
	assert_eq "through a cookie service" rs1 "$(c $TOOL who $VIP 94)"
	for k in syn_received cookies_sent cookies_valid proxied; do
		assert_grown $k 1
	done
	assert_match "the service's own (ipvsadm -L --stats)" \
		"syncookie: syn 1 sent 1 valid 1 invalid 0 proxied 1" "$(ipvs -L -n --stats -t $VIP:94)"
	# nothing counts meanwhile: the two readings are taken back to back
	info=$(d $GENL --stats IPVS_SYNCOOKIE GET_INFO | sed -n 's/^stats //p')
	snap=$(sc_stats)
	for k in syn:syn_received sent:cookies_sent valid:cookies_valid invalid:cookies_invalid \
		proxied:proxied syn_retries:syn_retries resets:resets held:held \
		ack_dropped:ack_dropped nonat:nonat diverted:diverted; do
		assert_match "GET_INFO ${k%%:*} as /proc's ${k#*:}" \
			"(^| )${k%%:*}=$(sc_sum "$snap" "${k#*:}")( |$)" "$info"
	done
	total=$(sc cookies_valid)
	# the first column is a gauge for lnstat: services with settings
	assert_match "the file's first column" "^entries syn_received " "$(sc_stats | head -1)"
	entries=$((16#$(sc_stats | awk 'NR == 2 { print $1 }')))
	ipvs -D -t $VIP:94
	assert_eq "cookies_valid after the service went" "$total" "$(sc cookies_valid)"
	assert_eq "entries after the service went" $((entries - 1)) \
		"$((16#$(sc_stats | awk 'NR == 2 { print $1 }')))"
}
counter_surface_undo() { ipvs -D -t $VIP:94 2>/dev/null; true; }

# 11. auto: cookies only while SYNs exceed the threshold (50/s), until
# off_delay (10 s) after the flood.  The flood comes in bursts of separate
# hping3 runs, and a busy machine stretches the gaps between them to
# seconds: an off_delay longer than any gap keeps the cookies engaged from
# the first second over the threshold to the end of the flood, however
# fast the machine.
# straight: a connection that is not a cookie
straight() {
	local before
	before=$(sc cookies_sent)
	c $TOOL who $VIP 86 >/dev/null && [ "$(sc cookies_sent)" = "$before" ]
}
engaged() { [ "$(grown cookies_sent)" -gt 0 ]; }
auto() {
	local out end
	vs_set syncookie_threshold 50
	vs_set syncookie_off_delay 10
	svc $VIP:86 auto $RS1:80 $RS2:80
	mark
	c $TOOL who $VIP 86 >/dev/null || fail "connection before the flood"
	c $TOOL who $VIP 86 >/dev/null || fail "connection before the flood"
	assert_grown cookies_sent 0
	assert_grown proxied 0
	mark
	flood_start 86 200 192.0.2.220 192.0.2.221
	wait_for 60 engaged || fail "no cookies after $(grown syn_received) SYNs of a flood"
	mark
	# the flood lasts until the probe is done
	out=$(c $TOOL probe $VIP 86 --every 0.2 --count 5)
	assert_eq "legitimate connections during the flood" 5 "$(grep -cE '^t=[0-9.]+ rs[12]( |$)' <<<"$out")"
	assert_grown cookies_valid 5
	flood_stop
	end=$SECONDS
	wait_for 60 straight || fail "cookies still on $((SECONDS - end)) s after the flood (off_delay 10)"
	log "  straight again $((SECONDS - end)) s after the flood"
}
auto_undo() {
	vs_set syncookie_threshold 1000
	vs_set syncookie_off_delay 30
}

# 11b. auto with sloppy_tcp=1: IPVS would open an entry for each spoofed
# ACK; such ACKs count toward engaging the cookies, which then drop them.
# Last: the entries made before the cookies engaged stay ESTABLISHED.
auto_sloppy() {
	local sent n
	vs_set syncookie_threshold 50
	d sysctl -qw net.ipv4.vs.sloppy_tcp=1
	svc $VIP:87 auto $RS1:80 $RS2:80
	mark
	FLOOD_FLAGS=-A flood_start 87 500 192.0.2.225 192.0.2.226
	flood_stop
	sent=$(flood_sent)
	n=$(entries_from 192.0.2.225 192.0.2.226)
	log "  $sent spoofed ACKs: $n entries, $(grown cookies_invalid) dropped as invalid cookies"
	[ "$sent" -ge 1000 ] || fail "the flood sent only $sent ACKs"
	[ "$n" -le $((sent / 4)) ] || fail "$n entries for $sent spoofed ACKs"
	assert_grown_min cookies_invalid $((sent / 2))
	assert_match "a client during the engagement" "^rs[12]$" "$(c $TOOL who $VIP 87)"
}
auto_sloppy_undo() {
	d sysctl -qw net.ipv4.vs.sloppy_tcp=0
	vs_set syncookie_threshold 1000
	ipvs -D -t $VIP:87 2>/dev/null
	true
}

# 11c. IPVS binds the relay to every masquerading connection on a cookie
# service's port, for every virtual address: a plain service on that port
# works as before, IPv6 segments with an extension header (destination
# options) included, byte-exact both ways; so does the cookie service.
# The client sums in software (CHECKSUM_NONE at the director), so that IPVS
# verifies each segment's checksum past the extension header.
VIP6B=2001:db8:1::20
bound_port() {
	local vs
	c ethtool -K eth0 tx off >/dev/null 2>&1 || fail "ethtool -K eth0 tx off in client"
	d ip addr add $VIP6B/128 dev brc nodad
	svc "[$VIP6]:80" on "[$RS1_6]:80" "[$RS2_6]:80"
	ipvs -A -t "[$VIP6B]:80" -s rr
	ipvs -a -t "[$VIP6B]:80" -r "[$RS1_6]:80" -m
	ipvs -a -t "[$VIP6B]:80" -r "[$RS2_6]:80" -m
	mark
	for vs in $VIP6B $VIP6; do
		assert_match "$vs: download with destination options" "^rs[12] ok$" \
			"$(c $TOOL xfer $vs 80 --get $SMALL --dstopts 2>&1)"
		assert_match "$vs: upload with destination options" "^rs[12] ok$" \
			"$(c $TOOL xfer $vs 80 --put $SMALL --dstopts 2>&1)"
	done
	assert_grown cookies_valid 2
}
bound_port_undo() {
	ipvs -D -t "[$VIP6B]:80" 2>/dev/null
	ipvs -D -t "[$VIP6]:80" 2>/dev/null
	d ip addr del $VIP6B/128 dev brc 2>/dev/null
	c ethtool -K eth0 tx on >/dev/null 2>&1
	true
}

# 12. Two directors with the same secret accept each other's cookies.
# Topology B (setup_nat b) copies the addresses of A: bclient --brc--
# bdirector --brs-- brs1, brs2.
setup_b() {
	setup_nat b
	ip netns exec bdirector ipvsadm -A -t $VIP:80 -s rr --syncookie on
	ip netns exec bdirector ipvsadm -a -t $VIP:80 -r $RS1:80 -m
	raw_on bclient
}
shared_secret() {
	local out st=$LAB_TMP/shared.json
	raw_on
	svc $VIP:80 on $RS1:80 $RS2:80
	setup_b
	set_secret director $KEY1
	set_secret bdirector $KEY1
	mark
	mark bdirector
	# ports of their own: the second client on the first's port would
	# find B's connection of the first, and no cookie would be checked
	out=$(c $RAW syn $VIP 80 --sport 40001 --state "$st") || true
	assert_eq "A's SYN-ACK window (a cookie)" 0 "$(jf synack_win "$out")"
	out=$(ip netns exec bclient $RAW ack --state "$st" --expect 5 --wait 4) || true
	assert_eq "B's server greets the client of A's cookie (brs1)" 627273310a "$(jf payload_hex "$out")"
	assert_grown cookies_valid 1 bdirector
	assert_grown proxied 1 bdirector
	assert_grown cookies_sent 1
	assert_grown cookies_valid 0
	# different secrets
	set_secret bdirector $KEY2
	mark bdirector
	out=$(c $RAW syn $VIP 80 --sport 40002 --state "$st") || true
	assert_eq "A's SYN-ACK" true "$(jf synack "$out")"
	out=$(ip netns exec bclient $RAW ack --state "$st" --wait 2) || true
	assert_eq "payload in B for a cookie of another secret" "" "$(jf payload_hex "$out")"
	assert_grown cookies_invalid 1 bdirector
	assert_grown proxied 0 bdirector
	assert_eq "entries in B of the other secret's cookie" 0 "$(entries_from_port "$(jf sport "$out")" bdirector)"
}
shared_secret_undo() {
	raw_off
	cleanup_nat b
}

# 13. IPv6: byte-exact both ways through an IPv6 cookie service.
ipv6() {
	svc "[$VIP6]:80" on "[$RS1_6]:80" "[$RS2_6]:80"
	mark
	xfer_pair IPv6 $VIP6 $BIG $SMALL
	assert_grown cookies_valid 2
	assert_grown proxied 2
	# the module's own IPv6 segments: held data, resets
	raw6_on
	defer raw6_off
	ipv6_raw
}
# the knob and the services, if the case failed before it reset them
ipv6_undo() {
	vs_set syncookie_invalid_rst 0
	ipvs -D -t "[$VIP6]:80" 2>/dev/null
	ipvs -D -t "[$VIP6]:83" 2>/dev/null
}
ipv6_raw() {
	local out ack
	out=$(c $RAW handshake $VIP6 80 --data 'GET 8\n' --expect 12 --wait 5) || true
	assert_eq "IPv6 SYN-ACK window (a cookie)" 0 "$(jf synack_win "$out")"
	assert_match "IPv6: greeting and the answer to the held request" \
		"^7273(31|32)0a$(want_hex 'stream(8)')$" "$(jf payload_hex "$out")"
	svc "[$VIP6]:83" on "[$RS1_6]:81"
	out=$(c $RAW handshake $VIP6 83 --wait 5) || true
	assert_eq "IPv6: RST for the client of a closed server" true "$(jf rst "$out")"
	log "  IPv6: RST $(jf rst_after "$out") s after the ACK"
	vs_set syncookie_invalid_rst 1
	out=$(c $RAW send $VIP6 80 --flags A --seq random --ack random --wait 2) || true
	vs_set syncookie_invalid_rst 0
	ack=$(jf ack "$out")
	assert_eq "IPv6: RST for a forged ACK" true "$(jf rst "$out")"
	assert_eq "IPv6: the RST's seq" "$ack" "$(jf rst_seq "$out")"
	ipvs -D -t "[$VIP6]:80"
	ipvs -D -t "[$VIP6]:83"
}

# 14. A persistent cookie service: one server per client, a template.
persistence() {
	local out
	svc -p 60 $VIP:85 on $RS1:80 $RS2:80
	mark
	out=$(c $TOOL probe $VIP 85 --every 0.2 --count 5)
	assert_eq "connections" 5 "$(grep -cE '^t=[0-9.]+ rs[12]( |$)' <<<"$out")"
	assert_eq "servers reached" 1 "$(awk '{ print $2 }' <<<"$out" | sort -u | wc -l)"
	assert_eq "templates of the service" 1 "$(template_lines | awk '$5 == "0055"' | wc -l)"
	assert_grown cookies_valid 5
	assert_grown proxied 5
}

# Extra. The server answers late (its first SYN dropped): of 10 segments
# of data the client sent meanwhile, 8 are held (the limit) and delivered
# in order once it answered, 2 dropped (a real client sends them again).
held_overflow() {
	local out pid want args=() i
	raw_on
	svc $VIP:80 on $RS1:80
	want=$(want_hex "b'rs1\\n' + stream(1) * 8")
	for i in 1 2 3 4 5 6 7 8 9 10; do args+=(--data 'GET 1\n'); done
	r1 iptables -I INPUT -p tcp --dport 80 --syn -j DROP
	mark
	ip netns exec client $RAW handshake $VIP 80 "${args[@]}" --expect 12 --wait 10 >"$LAB_TMP/held" &
	pid=$!
	defer stop_jobs "$pid"
	wait_for 60 held_full || fail "held $(grown held), dropped $(grown ack_dropped): want 8, 2"
	r1 iptables -D INPUT -p tcp --dport 80 --syn -j DROP
	# its output is the verdict on it
	wait $pid || true
	out=$(cat "$LAB_TMP/held")
	assert_eq "greeting and answers to the 8 held requests" "$want" "$(jf payload_hex "$out")"
	assert_grown held 8
	assert_grown ack_dropped 2
	assert_grown_min syn_retries 1
	assert_grown proxied 1
}
held_full() { [ "$(grown held)" -ge 8 ] && [ "$(grown ack_dropped)" -ge 2 ]; }
held_overflow_undo() {
	r1 iptables -D INPUT -p tcp --dport 80 --syn -j DROP 2>/dev/null
	raw_off
}

# Extra. No real server available (the only one quiescent): IPVS cannot
# schedule the validated cookie.  The client, which already has its SYN-ACK,
# must be reset rather than left waiting for data that never comes.
no_server() {
	local out
	raw_on
	svc $VIP:88 on $RS1:80
	ipvs -e -t $VIP:88 -r $RS1:80 -m -w 0
	mark
	out=$(c $RAW handshake $VIP 88 --wait 3) || true
	assert_eq "SYN-ACK window (a cookie)" 0 "$(jf synack_win "$out")"
	assert_grown cookies_valid 1
	assert_eq "entries of the unscheduled client" 0 "$(entries_from_port "$(jf sport "$out")")"
	assert_eq "RST for the client when no real server is available (answers: $(jf answers "$out"))" \
		true "$(jf rst "$out")"
}
no_server_undo() {
	ipvs -D -t $VIP:88
	raw_off
}

# An ICMP "fragmentation needed" from the client's side about a segment the
# real server sent carries a client-space sequence number: the module
# translates it, so the real server accepts it and lowers its path MTU
# (without translation it counts OutOfWindowIcmps and ignores it).
icmp_pmtu() {
	local before after
	svc $VIP:89 on $RS1:80
	r1 ip route flush cache
	before=$(r1 nstat -az TcpExtOutOfWindowIcmps | awk '/OutOfWindow/ { print $2 }')
	c python3 - "$VIP" 89 1200 <<'PY' || fail "no ICMP sent"
import socket, struct, sys, time
vip, port, mtu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

sniff = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
sniff.settimeout(5)
s = socket.create_connection((vip, port), timeout=5)
cport = s.getsockname()[1]
client = s.getsockname()[0]
nxt = None
while nxt is None:
    pkt = sniff.recv(65535)
    ihl = (pkt[0] & 15) * 4
    sp, dp, seq = struct.unpack("!HHI", pkt[ihl:ihl + 8])
    plen = len(pkt) - ihl - (pkt[ihl + 12] >> 4) * 4
    if sp == port and dp == cport and plen > 0:
        nxt = (seq + plen) & 0xffffffff   # the server's snd_nxt, client space
inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 0, 0x4000, 64, 6, 0,
                    socket.inet_aton(vip), socket.inet_aton(client))
inner += struct.pack("!HHI", port, cport, nxt)
icmp = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + inner
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).sendto(icmp, (vip, 0))
time.sleep(0.5)
s.close()
PY
	wait_for 60 bash -c "ip netns exec rs1 ip route get $CLIENT | grep -q 'mtu 1200'" ||
		fail "rs1 did not learn the path MTU: $(r1 ip route get $CLIENT | xargs)"
	after=$(r1 nstat -az TcpExtOutOfWindowIcmps | awk '/OutOfWindow/ { print $2 }')
	assert_eq "OutOfWindowIcmps on rs1" "$before" "$after"
	ipvs -D -t $VIP:89
	r1 ip route flush cache
}

# Software checksums: with transmit checksum offload off on the client and
# the real servers, segments carry full sums (CHECKSUM_NONE) that IPVS
# verifies before calling the module, and the receivers verify again: the
# module's incremental updates (seq, ack, SACK blocks, timestamps, window)
# must be exact or the transfer stalls.  Loss on the client link makes the
# client send SACK blocks.
checksum_none() {
	local h get put
	for h in client rs1 rs2; do
		ip netns exec $h ethtool -K eth0 tx off >/dev/null 2>&1 || fail "ethtool -K eth0 tx off in $h"
	done
	c tc qdisc add dev eth0 root netem loss 2%
	svc $VIP:90 on $RS1:80 $RS2:80
	# the transfers say how they failed in their output, which the
	# assertions show once the links are restored
	get=$(c timeout 90 $TOOL xfer $VIP 90 --get 5000000 2>&1) || true
	put=$(c timeout 90 $TOOL xfer $VIP 90 --put 5000000 2>&1) || true
	c tc qdisc del dev eth0 root
	for h in client rs1 rs2; do ip netns exec $h ethtool -K eth0 tx on >/dev/null 2>&1 || true; done
	resend_rsts 90
	ipvs -D -t $VIP:90
	assert_match "download with software checksums" " ok$" "$get"
	assert_match "upload with software checksums" " ok$" "$put"
}
# the links as they were, if the case failed before it restored them
checksum_none_undo() {
	local h
	c tc qdisc del dev eth0 root 2>/dev/null
	for h in client rs1 rs2; do ip netns exec $h ethtool -K eth0 tx on >/dev/null 2>&1; done
	ipvs -D -t "$VIP:90" 2>/dev/null
}

# Extra. IPVS picks a direct-routing server for a validated cookie (the stock
# ipvsadm does not refuse adding one): the client is reset, not left
# hanging, and nothing reaches the server.
nonat() {
	local out
	raw_on
	svc $VIP:87 on $RS1:80
	d "${IPVSADM_STOCK:-/usr/sbin/ipvsadm}" -a -t $VIP:87 -r $RS2 -g -w 1 ||
		fail "stock ipvsadm -a -g"
	ipvs -e -t $VIP:87 -r $RS1:80 -m -w 0
	# DR keeps the VIP as destination: count SYNs before routing in rs2
	r2 iptables -t mangle -I PREROUTING -p tcp --syn
	mark
	out=$(c $RAW handshake $VIP 87 --wait 3) || true
	assert_eq "SYN-ACK window (a cookie)" 0 "$(jf synack_win "$out")"
	assert_eq "RST for the client of a DR server" true "$(jf rst "$out")"
	assert_grown nonat 1
	assert_grown proxied 0
	assert_eq "SYNs that reached the DR server" 0 \
		"$(r2 iptables -t mangle -L PREROUTING -nvx | awk 'NR == 3 { n = $1 } END { print n + 0 }')"
}
nonat_undo() {
	r2 iptables -t mangle -D PREROUTING -p tcp --syn 2>/dev/null
	ipvs -D -t $VIP:87
	raw_off
}

# 16. ipvsadm: cookies need NAT real servers; -S | -R keeps the mode.
ipvsadm_cli() {
	local out rc vs args
	ipvs -C
	ipvs -A -t "$VIP:90" -s rr
	ipvs -a -t "$VIP:90" -r "$RS1" -g
	ipvs -A -t "$VIP:91" -s rr
	ipvs -a -t "$VIP:91" -r "$RS1" -i
	for vs in $VIP:90 $VIP:91; do
		rc=0
		out=$(ipvs -E -t "$vs" -s rr --syncookie on 2>&1) || rc=$?
		assert_eq "exit status of -E -t $vs --syncookie on (DR/TUN server)" 2 $rc
		assert_match "message of -E -t $vs --syncookie on" "^ipvsadm: SYN cookies need masquerading \(-m\) real servers" "$out"
		assert_eq "lines of the message" 1 "$(wc -l <<<"$out")"
	done
	[[ $(ipvs -Sn) != *--syncookie* ]] || fail "a refused -E left a mode: $(ipvs -Sn)"
	ipvs -A -t $VIP:92 -s rr --syncookie on
	ipvs -a -t $VIP:92 -r $RS1:80 -m
	for args in "-a -t $VIP:92 -r $RS2 -g" "-a -t $VIP:92 -r $RS2 -i" "-e -t $VIP:92 -r $RS1:80 -g"; do
		rc=0
		out=$(ipvs $args 2>&1) || rc=$?
		assert_eq "exit status of ipvsadm $args" 2 $rc
		assert_match "message of ipvsadm $args" "^ipvsadm: SYN cookies need masquerading \(-m\) real servers$" "$out"
	done
	assert_eq "real servers of $VIP:92" "-a -t $VIP:92 -r $RS1:80 -m -w 1" "$(ipvs -Sn | grep '^-a -t 192.0.2.10:92')"
	ipvs -A -t $VIP:93 -s rr --syncookie auto
	rc=0
	out=$(ipvs -A -u "$VIP:53" -s rr --syncookie on 2>&1) || rc=$?
	assert_eq "exit status of --syncookie on a UDP service" 2 $rc
	assert_match "-L of $VIP:92" " syncookie on" "$(ipvs -L -n | grep "$VIP:92 ")"
	assert_match "-L of $VIP:93" " syncookie auto" "$(ipvs -L -n | grep "$VIP:93 ")"
	assert_match "-L --stats" "syncookie: syn [0-9]+ sent [0-9]+ valid [0-9]+ invalid [0-9]+ proxied [0-9]+" \
		"$(ipvs -L -n --stats)"
	assert_save_restore "saved on" "-A -t $VIP:92 -s rr --syncookie on" \
		"saved auto" "-A -t $VIP:93 -s rr --syncookie auto"
	ipvs -C
}

# 15. rmmod during a flood and a proxied transfer: refused (in use) or done
# cleanly; the transfer is intact either way; free once the connections
# went; modprobe again gives a working proxy.  Last: reloading resets the
# knobs.
loaded() { [ -d /sys/module/ip_vs_syncookie ]; }
no_entries() { [ "$(conn_count)" = 0 ]; }
unload() {
	local pid out start
	svc $VIP:80 on $RS1:80 $RS2:80
	ip netns exec client $TOOL xfer $VIP 80 --get $BIG >"$LAB_TMP/xfer" 2>&1 &
	pid=$!
	defer stop_jobs "$pid"
	wait_for 30 valid_above "$(sc cookies_valid)" || fail "transfer not proxied"
	mark
	flood_start 80 200 192.0.2.230 192.0.2.231
	wait_for 60 engaged || fail "the flood got no cookies"
	if rmmod ip_vs_syncookie 2>"$LAB_TMP/rmmod"; then
		log "  rmmod succeeded during the flood and the transfer"
	else
		assert_match "rmmod's refusal" "in use" "$(cat "$LAB_TMP/rmmod")"
		log "  rmmod refused during the flood and the transfer: $(cat "$LAB_TMP/rmmod")"
	fi
	flood_stop
	# its output is the verdict on it
	wait $pid || true
	assert_match "transfer across rmmod" "^rs[12] ok$" "$(cat "$LAB_TMP/xfer")"
	ipvs -C
	if loaded; then
		# connections of earlier cases too (SYN_RECV lasts 60 s)
		log "  entries at -C (state vport count): $(d awk 'NR > 1 { n[$8 " " $5]++ } END { for (k in n) printf "%s %d, ", k, n[k] }' /proc/net/ip_vs_conn)"
		start=$SECONDS
		wait_for 150 no_entries || fail "entries left 150 s after -C: $(d head -4 /proc/net/ip_vs_conn)"
		log "  no IPVS entry left $((SECONDS - start)) s after -C"
		wait_for 60 rmmod ip_vs_syncookie ||
			fail "rmmod with no IPVS entry left: $(rmmod ip_vs_syncookie 2>&1), refcnt $(cat /sys/module/ip_vs_syncookie/refcnt)"
	fi
	modprobe ip_vs_syncookie || fail "modprobe after rmmod"
	svc $VIP:80 on $RS1:80 $RS2:80
	mark
	assert_match "connection after the reload" "^rs[12]$" "$(c $TOOL who $VIP 80)"
	assert_grown cookies_valid 1
}
# the module back, if the case failed after unloading it
unload_undo() { modprobe ip_vs_syncookie; }

cleanup() {
	flood_kill
	cleanup_nat
	rm -rf "$LAB_TMP"
}
trap cleanup EXIT
LAB_TMP=$(mktemp -d)
modprobe ip_vs_syncookie || exit 1
setup_nat || exit 1
# the raw tool's ports (40000-40999) are never the kernel's own
c sysctl -qw net.ipv4.ip_local_port_range="41000 60999"

run_cases transfer rs_options mss_follows rs_without_ts netem flood first_byte invalid replay ack_with_data lost_ack rst_in_handshake \
	server_down server_silent server_time_wait counter_surface auto shared_secret ipv6 bound_port persistence nonat held_overflow no_server icmp_pmtu checksum_none \
	ipvsadm_cli unload auto_sloppy -- "$@"
summary
