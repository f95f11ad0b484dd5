#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Faults under traffic: real servers that vanish or are drained, services
# deleted or flushed while connections (proxied ones included) are open,
# lossy, reordering, duplicating and corrupting links on both sides of the
# director, malformed packets.  Pass = every transfer that completes is byte-exact, nothing
# hangs, the modules unload afterwards, and a clean kernel log.
# Topology: tests/lib.sh; services (all NAT to rs1/rs2 port 80):
#   VIP:80  plain            VIP:81  persistent, idle mode
#   VIP:82  SYN cookies on
# Runs in the lab guest: tools/lab/run.sh tests/faults.sh [case...]
# vm-suite order=70 timeout=2400 debug=2
source "$(dirname "$0")/lib.sh"

MODS="ip_vs_persist_ext ip_vs_syncookie ip_vs_dos_reap ip_vs_ext"
XFER=4000000

# (also at the top, without errexit: hence the explicit return)
services() {
	ipvs -A -t $VIP:80 -s rr &&
		ipvs -A -t $VIP:81 -s rr -p 60 --persist-mode idle &&
		ipvs -A -t $VIP:82 -s rr --syncookie on || return 1
	for p in 80 81 82; do
		ipvs -a -t "$VIP:$p" -r "$RS1:80" -m
		ipvs -a -t "$VIP:$p" -r "$RS2:80" -m
	done
}

# xfer_bg NAME PORT ARGS...: a transfer in the background, its output in $LAB_TMP/NAME.
XFERS=()
xfer_bg() {
	local name=$1 port=$2
	shift 2
	ip netns exec client $TOOL xfer $VIP "$port" "$@" >"$LAB_TMP/$name" 2>&1 &
	XFERS+=($!)
	# none outlives a case that failed before waiting for it
	defer stop_jobs "$!"
}

wait_xfers() {
	local pid rc=0
	for pid in "${XFERS[@]}"; do wait "$pid" || rc=1; done
	XFERS=()
	return $rc
}

# No transfer may ever deliver wrong bytes, whatever else happened to it.
no_corruption() {
	! grep -l CORRUPT "$LAB_TMP"/x* 2>/dev/null | grep -q . ||
		fail "corrupted transfer: $(grep -l CORRUPT "$LAB_TMP"/x* | xargs)"
}

established_82() { ipvs -Lnc | grep ESTABLISHED | grep -q "$VIP:82 "; }

# rs1_up: rs1's link up again, with what IPv6 dropped when it went down
rs1_up() {
	ip -n rs1 link set eth0 up
	ip -n rs1 addr add "$RS1_6/64" dev eth0 nodad 2>/dev/null || true
	ip -n rs1 route add default via 198.51.100.1 2>/dev/null || true
	ip -n rs1 -6 route add default via 2001:db8:2::1 2>/dev/null || true
}

# The real server of a proxied transfer goes dark mid-transfer: the client
# is not fed wrong data, and once the server is back and the entry gone,
# the service works.
rs_vanishes() {
	local pid
	ipvs -e -t $VIP:82 -r $RS2:80 -m -w 0
	ip netns exec client timeout 20 $TOOL xfer $VIP 82 --get 40000000 >"$LAB_TMP/x-vanish" 2>&1 &
	pid=$!
	wait_for 60 established_82 ||
		fail "transfer not established"
	ip -n rs1 link set eth0 down
	sleep 2
	rs1_up
	# the transfer may fail (cut after 20 s): only wrong bytes are a failure
	wait $pid || true
	no_corruption
	ipvs -e -t $VIP:82 -r $RS2:80 -m -w 1
	assert_match "a new transfer afterwards" " ok$" "$(c $TOOL xfer $VIP 82 --get $XFER)"
}
# rs1 and rs2 as they were, if the case failed before it restored them
rs_vanishes_undo() {
	rs1_up
	ipvs -e -t "$VIP:82" -r "$RS2:80" -m -w 1
}

# Weight 0 drains a real server: open transfers to it finish byte-exact,
# new connections go elsewhere.
weight_zero() {
	local i who p
	for p in 80 82; do
		xfer_bg "x-w0-$p-a" $p --get $XFER
		xfer_bg "x-w0-$p-b" $p --put $XFER
	done
	sleep 1
	ipvs -e -t $VIP:80 -r $RS1:80 -m -w 0
	ipvs -e -t $VIP:82 -r $RS1:80 -m -w 0
	for i in $(seq 1 6); do
		# a refused connection shows as an empty name
		who=$(c $TOOL who $VIP 82) || true
		assert_eq "new proxied connection with rs1 drained" rs2 "$who"
	done
	wait_xfers || fail "a transfer failed: $(cat "$LAB_TMP"/x-w0-* | xargs)"
	assert_eq "transfers ok" 4 "$(cat "$LAB_TMP"/x-w0-* | grep -c ' ok$')"
	ipvs -e -t $VIP:80 -r $RS1:80 -m -w 1
	ipvs -e -t $VIP:82 -r $RS1:80 -m -w 1
}
# rs1's weight back, if the case failed before it restored it
weight_zero_undo() {
	ipvs -e -t "$VIP:80" -r "$RS1:80" -m -w 1
	ipvs -e -t "$VIP:82" -r "$RS1:80" -m -w 1
}

# Deleting a service while its proxied connections are open.  Stock IPVS
# drops the packets of connections whose real server went away, so the
# transfers stall (each is cut after 20 s here): never with wrong bytes,
# no kernel report, and the service comes back at once.
established_82_n() { [ "$(ipvs -Lnc | grep ESTABLISHED | grep -c "$VIP:82 ")" -ge "$1" ]; }
service_deleted() {
	local pids=() p
	for p in get put; do
		ip netns exec client timeout 20 $TOOL xfer $VIP 82 --$p 40000000 >"$LAB_TMP/x-del-$p" 2>&1 &
		pids+=($!)
		defer stop_jobs "$!"
	done
	wait_for 60 established_82_n 2 || fail "transfers not established"
	ipvs -D -t $VIP:82
	ipvs -A -t $VIP:82 -s rr --syncookie on
	ipvs -a -t $VIP:82 -r $RS1:80 -m
	ipvs -a -t $VIP:82 -r $RS2:80 -m
	assert_match "service re-added" "^rs[12]$" "$(c $TOOL who $VIP 82)"
	# stalled and cut: only wrong bytes are a failure
	wait "${pids[@]}" || true
	no_corruption
}
# the service back, if the case failed after deleting it (-A refuses one
# that is there)
service_deleted_undo() {
	ipvs -A -t "$VIP:82" -s rr --syncookie on 2>/dev/null &&
		ipvs -a -t "$VIP:82" -r "$RS1:80" -m && ipvs -a -t "$VIP:82" -r "$RS2:80" -m
}

# ipvsadm -C under a flood and transfers through every kind of service.
flush_under_load() {
	local p
	FLOOD_GAP=u300 flood_start 82 1000 192.0.2.240 192.0.2.241
	for p in 80 81 82; do xfer_bg "x-flush-$p" $p --get $XFER; done
	sleep 1.5
	# the flood lasts until the flush is done
	ipvs -C
	flood_stop
	# cut by the flush: only wrong bytes are a failure
	wait_xfers || true
	no_corruption
	assert_eq "services after -C" 0 "$(ipvs -Ln | grep -c '^TCP')"
	services
	assert_match "cookie service after -C" "^rs[12]$" "$(c $TOOL who $VIP 82)"
}
# the services back, if the case failed between -C and their return
# (services changes nothing when the first of them is there)
flush_under_load_undo() { services 2>/dev/null; }

# netem on the client link and on the real servers' link at once: loss,
# reordering, duplication and corruption; transfers through every kind of
# service stay byte-exact.
netem_both_sides() {
	local p q="loss 1% delay 1ms reorder 10% 50% duplicate 1% corrupt 0.5%"
	# shellcheck disable=SC2086
	c tc qdisc add dev eth0 root netem $q
	# shellcheck disable=SC2086
	r1 tc qdisc add dev eth0 root netem $q
	# shellcheck disable=SC2086
	r2 tc qdisc add dev eth0 root netem $q
	for p in 80 81 82; do
		xfer_bg "x-netem-$p-get" $p --get $XFER
		xfer_bg "x-netem-$p-put" $p --put $XFER
	done
	# those that failed are named below
	wait_xfers || true
	c tc qdisc del dev eth0 root
	r1 tc qdisc del dev eth0 root
	r2 tc qdisc del dev eth0 root
	for p in 80 81 82; do resend_rsts $p; done
	no_corruption
	assert_eq "transfers over netem" 6 "$(cat "$LAB_TMP"/x-netem-* | grep -c ' ok$')" ||
		fail "failed: $(grep -L ' ok$' "$LAB_TMP"/x-netem-* | while read -r f; do echo "${f##*/}: $(tail -2 "$f" | xargs)"; done)"
}
# clean links, if the case failed before it cleaned them
netem_both_sides_undo() {
	c tc qdisc del dev eth0 root 2>/dev/null
	r1 tc qdisc del dev eth0 root 2>/dev/null
	r2 tc qdisc del dev eth0 root 2>/dev/null
}

# Malformed packets to every kind of service, IPv4 and IPv6: bad option
# lengths, truncated and overlong headers, SYN+FIN, SYN with data, garbage
# ACKs, fragments, IPv6 extension headers (tests/malformed.py).  They are
# dropped or passed as the stock stack would: never a crash or a warning
# (the lab fails the run on either), and every service keeps working.
malformed_packets() {
	local p n n6
	ipvs -A -t "[$VIP6]:82" -s rr --syncookie on
	ipvs -a -t "[$VIP6]:82" -r "[$RS1_6]:80" -m
	for p in 80 81; do
		n=$(c python3 "$TESTS_DIR/malformed.py" $CLIENT $VIP $p) || fail "malformed.py to :$p"
		[ "$n" -gt 50 ] || fail "only $n malformed packets sent to :$p"
	done
	# to the cookie services from sources of their own (192.0.2.99, ::99):
	# nothing of theirs gets past the cookies to IPVS, not a SYN+ACK, nor a
	# SYN in IPv4 or IPv6 fragments (reassembled before LOCAL_IN), nor, with
	# sloppy_tcp=1 (IPVS then schedules any segment), a segment without SYN
	d sysctl -qw net.ipv4.vs.sloppy_tcp=1
	n=$(c python3 "$TESTS_DIR/malformed.py" 192.0.2.99 $VIP 82) || n=0
	n6=$(c python3 "$TESTS_DIR/malformed.py" 2001:db8:1::99 $VIP6 82) || n6=0
	d sysctl -qw net.ipv4.vs.sloppy_tcp=0
	[ "$n" -gt 50 ] || fail "only $n malformed packets sent to :82"
	[ "$n6" -gt 50 ] || fail "only $n6 malformed IPv6 packets sent"
	assert_eq "entries made by malformed packets to the cookie services" 0 \
		"$(connection_lines | awk '$2 == "C0000263" || $2 ~ /:0099$/' | wc -l)"
	for p in 80 81 82; do
		assert_match "service :$p after malformed packets" "^rs[12]$" "$(c $TOOL who $VIP $p)"
	done
	assert_match "IPv6 cookie service after malformed packets" "^rs1$" "$(c $TOOL who $VIP6 82)"
	ipvs -D -t "[$VIP6]:82"
}
# sloppy_tcp off and the IPv6 service gone, if the case failed before that
malformed_packets_undo() {
	d sysctl -qw net.ipv4.vs.sloppy_tcp=0
	ipvs -D -t "[$VIP6]:82" 2>/dev/null
}

# Everything above leaves nothing behind: once the entries expire (-C
# drops them), every module unloads.
modules_unload() {
	ipvs -C
	wait_for 60 bash -c 'for m in '"$MODS"'; do [ ! -d /sys/module/$m ] || rmmod $m 2>/dev/null || exit 1; done' ||
		fail "modules still in use: $(lsmod | grep ^ip_vs_ | xargs)"
}

cleanup() {
	flood_kill
	cleanup_nat
	rm -rf "$LAB_TMP"
}
trap cleanup EXIT
LAB_TMP=$(mktemp -d)
for m in $MODS; do modprobe $m || exit 1; done
setup_nat || exit 1
d sysctl -qw net.ipv4.vs.expire_nodest_conn=1
services || exit 1

run_cases rs_vanishes weight_zero service_deleted flush_under_load netem_both_sides malformed_packets modules_unload -- "$@"
summary
