# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared topology and helpers of the VM suite; sourced by tests/*.sh, which
# run as root inside the lab guest (tools/lab/run.sh).
#
#  client (ns)                 director (ns)                      rs1, rs2 (ns)
# +-------------+          +-------------------------+        +-----------------+
# | eth0        |   veth   | brc 192.0.2.1/24        |  veth  | eth0            |
# | 192.0.2.2   |----------|     2001:db8:1::1/64    |--------| 198.51.100.11/12|
# | 2001:db8:1::2          | VIP 192.0.2.10          |        | 2001:db8:2::11/12
# +-------------+  (more   |     2001:db8:1::10      |        | gw: director    |
#   clientN: .N+1 on brc)  | brs 198.51.100.1/24     |        +-----------------+
#                          |     2001:db8:2::1/64    |
#                          +-------------------------+
#
# NAT real servers route back through the director.  Every real server runs
# tests/tcp_tool.py serve, which greets each connection with its own name,
# so a client can tell which real server it reached.

set -u

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTS_DIR/.." && pwd)
TOOL="python3 $TESTS_DIR/tcp_tool.py"
RAW="python3 $TESTS_DIR/tcp_raw.py"

VIP=192.0.2.10
VIP6=2001:db8:1::10
CLIENT=192.0.2.2
CLIENT6=2001:db8:1::2
RS1=198.51.100.11
RS2=198.51.100.12
RS1_6=2001:db8:2::11
RS2_6=2001:db8:2::12

PASSED=0
FAILED=0
CURRENT=""
FAIL_SAID=""
DEFERRED=()

# Commands inside a namespace.
c() { ip netns exec client "$@"; }
d() { ip netns exec director "$@"; }
r1() { ip netns exec rs1 "$@"; }
r2() { ip netns exec rs2 "$@"; }
# ipvsadm in the director: the patched one if the lab put it on PATH.
ipvs() { ip netns exec director ipvsadm "$@"; }

log() { printf '%s\n' "$*" >&2; }

# fail WHY...: say why the current case fails, and return 1: as the last
# command of a list ("check || fail WHY"), that ends the case (errexit).
fail() {
	log "  FAIL [$CURRENT]: $*"
	FAIL_SAID=1
	return 1
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# assert_match WHAT REGEX TEXT
assert_match() {
	[[ $3 =~ $2 ]] || fail "$1: '$3' does not match /$2/"
}

# HANG: a wait_for limit that only detects a hang.  What a case waits for
# comes within a second on a quiet machine, but on the debug kernel beside
# a CPU hog seventeen clients started at once took over a minute to
# connect.
HANG=600

# wait_for SECONDS CMD...: poll (every 0.1 s) until CMD succeeds.
wait_for() {
	local limit=$1 end
	shift
	end=$((SECONDS + limit))
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# stop_jobs PID...: end those of these background jobs of the shell that
# still run, and reap them (an undo: defer stop_jobs $!).  A job the case
# already waited for is not killed: its PID may be another process's now.
stop_jobs() {
	local p running
	running=" $(jobs -p | xargs) "
	for p; do
		[[ $running == *" $p "* ]] || continue
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

add_ns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

# add_host NAME BRIDGE ADDR ADDR6 GW GW6 [DIRECTOR]: a namespace on a bridge
# of the director (default: director).
add_host() {
	local dir=${7:-director}
	add_ns "$1"
	ip link add eth0 netns "$1" type veth peer name "v-$1" netns "$dir"
	ip -n "$dir" link set "v-$1" master "$2" up
	ip -n "$1" addr add "$3/24" dev eth0
	ip -n "$1" addr add "$4/64" dev eth0 nodad
	ip -n "$1" link set eth0 up
	ip -n "$1" route add default via "$5"
	ip -n "$1" -6 route add default via "$6"
}

# add_client NAME ADDR ADDR6 [DIRECTOR]: one more client on the director's
# client bridge.
add_client() {
	add_host "$1" brc "$2" "$3" 192.0.2.1 2001:db8:1::1 "${4:-director}"
}

# add_rs NAME ADDR ADDR6 [DIRECTOR]: a real server behind the director,
# serving NAME.
add_rs() {
	add_host "$1" brs "$2" "$3" 198.51.100.1 2001:db8:2::1 "${4:-director}"
	ip netns exec "$1" $TOOL serve --name "$1" --port 80 >/dev/null 2>&1 &
	echo $! >>"$LAB_PIDS"
}

# setup_nat [PREFIX]: the NAT topology of the drawing, servers listening.
# With PREFIX, a second one beside the first, in namespaces of its own
# (PREFIXdirector, PREFIXclient, PREFIXrs1, PREFIXrs2) with the same
# addresses: a second director, as its clients and servers see it.
setup_nat() {
	local p=${1:-} br rs
	local dir=${p}director
	# one list of the servers' PIDs for every topology
	[ -n "${LAB_PIDS:-}" ] || LAB_PIDS=$(mktemp)
	add_ns "$dir"
	ip netns exec "$dir" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	for br in brc brs; do
		ip -n "$dir" link add "$br" type bridge
		ip -n "$dir" link set "$br" up
	done
	ip -n "$dir" addr add 192.0.2.1/24 dev brc
	ip -n "$dir" addr add $VIP/32 dev brc
	ip -n "$dir" addr add 2001:db8:1::1/64 dev brc nodad
	ip -n "$dir" addr add $VIP6/128 dev brc nodad
	ip -n "$dir" addr add 198.51.100.1/24 dev brs
	ip -n "$dir" addr add 2001:db8:2::1/64 dev brs nodad
	add_client "${p}client" $CLIENT $CLIENT6 "$dir"
	add_rs "${p}rs1" $RS1 $RS1_6 "$dir"
	add_rs "${p}rs2" $RS2 $RS2_6 "$dir"
	# a hang detector: a busy machine starts python late
	for rs in "$RS1 ${p}rs1" "$RS2 ${p}rs2"; do
		wait_for 60 ip netns exec "${rs#* }" $TOOL who "${rs% *}" 80 ||
			{ log "${rs#* } server did not start"; return 1; }
	done
}

# cleanup_nat [PREFIX]: every namespace and server, or only those of the
# topology setup_nat PREFIX made.
cleanup_nat() {
	local ns p=${1:-}
	if [ -n "$p" ]; then
		for ns in "${p}client" "${p}rs1" "${p}rs2" "${p}director"; do
			ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
			ip netns del "$ns" 2>/dev/null
		done
		return 0
	fi
	if [ -n "${LAB_PIDS:-}" ] && [ -f "$LAB_PIDS" ]; then
		xargs -r kill <"$LAB_PIDS" 2>/dev/null
		rm -f "$LAB_PIDS"
	fi
	for ns in $(ip netns list | cut -d' ' -f1); do
		ip netns pids "$ns" | xargs -r kill 2>/dev/null
		ip netns del "$ns"
	done
}

# Number of IPVS entries (connections and templates) in the director.
conn_count() {
	d awk 'NR > 1' /proc/net/ip_vs_conn | wc -l
}

# /proc/net/ip_vs_conn of the director: Pro FromIP FPrt ToIP TPrt DestIP
# DPrt State Expires [PEName PEData]; templates have client port 0000.
template_lines() {
	d awk 'NR > 1 && $3 == "0000"' /proc/net/ip_vs_conn
}

connection_lines() {
	d awk 'NR > 1 && $3 != "0000"' /proc/net/ip_vs_conn
}

hexip() { printf '%02X%02X%02X%02X' ${1//./ }; }

# resend_rsts PORT: a client's closing RST lost to netem leaves its entry of
# VIP:PORT ESTABLISHED for 900 s, holding the modules that keep state with
# it: send the RST again, as IPVS only needs the flag to move to CLOSE.
resend_rsts() {
	local p
	for p in $(connection_lines | awk -v c="$(hexip $CLIENT)" -v vp="$(printf %04X "$1")" \
		'$2 == c && $5 == vp && $8 == "ESTABLISHED" { print $3 }'); do
		c $RAW send $VIP "$1" --flags R --sport $((16#$p)) --seq random --wait 0.2 >/dev/null 2>&1 || true
	done
}

# ---- counters
#
# Each module's counters are in /proc/net/stat/<module>: a line of counter
# names, then a line of hex values per CPU.  Counters are read by name,
# never by column, so that a counter added to a module moves none of the
# others.
SC_STAT=/proc/net/stat/ip_vs_syncookie

# stat_sum TEXT NAME: counter NAME in TEXT (a copy of such a file), summed
# over CPUs; far below zero if there is no such counter, so that no
# assertion on it holds
stat_sum() {
	local names vals i col=-1 sum=0
	{
		read -r -a names
		for i in "${!names[@]}"; do [ "${names[i]}" != "$2" ] || col=$i; done
		if [ "$col" -lt 0 ]; then
			log "  no counter $2 in: ${names[*]}"
			echo -1000000
			return
		fi
		while read -r -a vals; do
			[ ${#vals[@]} -gt "$col" ] && sum=$((sum + 16#${vals[col]}))
		done
		echo $sum
	} <<<"$1"
}

# counter MODULE NAME [NS]: counter NAME of MODULE in the director (or NS) now
counter() { stat_sum "$(ip netns exec "${3:-director}" cat "/proc/net/stat/$1")" "$2"; }

# the SYN-cookie proxy's: sc_stats [NS] is the file, sc_sum TEXT NAME a
# counter of a copy, sc NAME [NS] a counter now
sc_stats() { ip netns exec "${1:-director}" cat "$SC_STAT"; }
sc_sum() { stat_sum "$@"; }
sc() { counter ip_vs_syncookie "$1" "${2:-}"; }

# ---- ipvsadm

# assert_save_restore [WHAT REGEX]...: the rules ipvsadm -Sn saves match
# each REGEX, and survive the round trip: -C empties the table, -R takes the
# saved rules back and -Sn then shows exactly them.
assert_save_restore() {
	local saved again
	saved=$(ipvs -Sn)
	while [ $# -ge 2 ]; do
		assert_match "$1" "$2" "$saved" || return 1
		shift 2
	done
	ipvs -C
	assert_eq "after -C" "" "$(ipvs -Sn)" || return 1
	ipvs -R <<<"$saved" || fail "-R refused the saved rules" || return 1
	again=$(ipvs -Sn)
	assert_eq "-S after -R" "$saved" "$again"
}

# ---- spoofed SYN floods, defined by counts rather than durations
#
# flood_start PORT MIN ADDR...: SYNs (FLOOD_FLAGS) to VIP:PORT from each spoofed ADDR of
# 192.0.2.0/24 (hping3, source ports incrementing: one tuple per SYN), in
# the background, in counted bursts of FLOOD_BURST paced at FLOOD_GAP
# (hping3 -i), until flood_stop and at least MIN SYNs per address.  The
# director gets a permanent neighbour entry per address, so its answers
# leave on the client bridge to a MAC address nobody has.  flood_sent
# tells how many SYNs went out, for assertions per SYN actually sent.
FLOOD_GAP=${FLOOD_GAP:-u2000}
FLOOD_FLAGS=${FLOOD_FLAGS:--S}   # hping3's TCP flags: -A floods ACKs
FLOOD_BURST=${FLOOD_BURST:-200}
FLOOD_PIDS=()
FLOOD_DIR=""
# Each burst starts where the last ended: hping3 seeds its random first
# source port with the time in seconds, so two bursts of one second would
# repeat their tuples, and a SYN on a tuple IPVS already has goes to the real
# server, whose answer makes the entry ESTABLISHED (900 s).
flood_burst() {
	local port=$1 min=$2 addr=$3 out=$4 n=0 sent base=1024
	while [ ! -e "$FLOOD_DIR/stop" ] || [ $n -lt "$min" ]; do
		sent=$(ip netns exec client hping3 -q "$FLOOD_FLAGS" -p "$port" -s $base -i "$FLOOD_GAP" \
			-c "$FLOOD_BURST" -a "$addr" $VIP 2>&1 | awk '/packets transmitted/ { print $1 }')
		[ -n "$sent" ] || break
		n=$((n + sent))
		echo $n >"$out"
		base=$((base + FLOOD_BURST))
		[ $((base + FLOOD_BURST)) -le 65535 ] || base=1024
	done
}

flood_start() {
	local port=$1 min=$2 a i=0
	shift 2
	# a case that fails mid-flood ends it too
	defer flood_kill
	FLOOD_DIR=$(mktemp -d)
	for a; do
		ip -n director neigh replace "$a" lladdr 02:00:00:00:5c:01 dev brc nud permanent
		i=$((i + 1))
		echo 0 >"$FLOOD_DIR/sent.$i"
		flood_burst "$port" "$min" "$a" "$FLOOD_DIR/sent.$i" &
		FLOOD_PIDS+=($!)
	done
}

# flood_stop: end the flood once each address has sent its MIN SYNs.
flood_stop() {
	local p
	[ -n "$FLOOD_DIR" ] || return 0
	touch "$FLOOD_DIR/stop"
	for p in "${FLOOD_PIDS[@]}"; do wait "$p" || true; done
	FLOOD_PIDS=()
}

flood_sent() { cat "$FLOOD_DIR"/sent.* | awk '{ n += $1 } END { print n + 0 }'; }

# flood_kill: end a flood now, whatever it sent (undo, cleanup).
flood_kill() {
	[ ${#FLOOD_PIDS[@]} -eq 0 ] || { touch "$FLOOD_DIR/stop"; kill "${FLOOD_PIDS[@]}"; } 2>/dev/null || true
	pkill -f 'hping3 -q -' 2>/dev/null || true
	FLOOD_PIDS=()
}

# ---- cases
#
# A case is a function, which run_case runs as "( set -e; NAME )" followed by
# its undo.  Under errexit the first command that fails ends the case, so a
# check needs no return of its own: "check || fail WHY" ends it with a reason,
# assert_eq and assert_match too.  What the case may let fail ends in
# "|| true".  Bash ignores errexit in whatever runs as the condition of if,
# while or until, after !, or before the last && or || of a list, functions
# called there included:
#  - "a && b" checks nothing of a: write two lines;
#  - a function that checks several things (a setup, a series of asserts)
#    runs as a plain statement, never as "f || ..." or "if f";
#  - a function returns the status of its last command: one ending in
#    "[ cond ] && cmd" fails its caller when cond is false;
#  - in "check || { cmd; fail WHY; }" errexit holds again: a cmd there that
#    may fail (diff) needs "|| true", or it ends the case without the WHY.
# Command substitutions do not inherit errexit (no inherit_errexit): a
# function run in $(...) runs to its end whatever fails in it; but x=$(cmd)
# alone on a line fails with cmd, as a local x=$(cmd) does not.
#
# The case runs in a subshell of its own: what it sets (variables, PIDs of
# its background jobs) dies with it, so a case cannot leak state into the
# next one through the shell; a number that must outlive a case lives in a
# file.  Its undo runs in that subshell once the case is over, passed or
# failed, without errexit: first what the case deferred (defer CMD ARGS...),
# last deferred first, then the function NAME_undo if the suite has one.
# Undoing what a failed case never did must be harmless.

# defer CMD ARGS...: run CMD ARGS when the current case is over.
defer() {
	local cmd
	printf -v cmd '%q ' "$@"
	DEFERRED+=("$cmd")
}

# case_over STATUS COMMAND: the EXIT trap of a case: if it failed without
# saying why, say which command ended it, and where; then undo the case.
case_over() {
	local rc=$1 i j where=""
	set +e
	if [ "$rc" -ne 0 ] && [ -z "$FAIL_SAID" ]; then
		for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
			[ "${FUNCNAME[i]}" != run_case ] || break
		done
		# from the case down: FUNCNAME[j - 1] was called at line
		# BASH_LINENO[j - 1] of BASH_SOURCE[j], in FUNCNAME[j]
		for ((j = i - 1; j >= 1; j--)); do
			where+=${FUNCNAME[j]}
			[ "$j" -eq 1 ] || where+=" (${BASH_SOURCE[j]##*/}:${BASH_LINENO[j - 1]}) > "
		done
		log "  FAIL [$CURRENT]: status $rc of: $2"
		log "    in $where"
	fi
	for ((i = ${#DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${DEFERRED[i]}"
	done
	DEFERRED=()
	if declare -F "${CURRENT}_undo" >/dev/null; then
		"${CURRENT}_undo"
	fi
}

# run_case NAME: run function NAME as one test case, count the outcome.
# errexit holds in the subshell only where it is a plain statement: no if,
# ! or || around it, and the status is read on the next line.
run_case() {
	local rc
	CURRENT=$1
	log "-- $1"
	(
		# errexit is ignored under a condition (if, !, ||): then no
		# check would end its case, so run no case at all
		(
			set -e
			false
			true
		)
		rc=$?
		[ $rc -ne 0 ] || { log "  FAIL [$1]: run_case under a condition, errexit off"; exit 2; }
		set -e
		FAIL_SAID=""
		DEFERRED=()
		trap 'case_over $? "$BASH_COMMAND"' EXIT
		"$1"
	)
	rc=$?
	if [ $rc -eq 0 ]; then
		PASSED=$((PASSED + 1))
		log "  ok"
	else
		FAILED=$((FAILED + 1))
	fi
}

# run_cases ALL... -- SELECTED...: the cases named after "--" (all if none).
run_cases() {
	local all=() sel=() c
	while [ $# -gt 0 ] && [ "$1" != -- ]; do all+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	sel=("$@")
	[ ${#sel[@]} -gt 0 ] || sel=("${all[@]}")
	for c in "${sel[@]}"; do
		declare -F "$c" >/dev/null || { log "no such case: $c"; FAILED=$((FAILED + 1)); continue; }
		run_case "$c"
	done
}

# The summary line every test file ends with; exit status follows it.
summary() {
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
	[ "$FAILED" -eq 0 ]
}
