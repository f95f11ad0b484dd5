#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The generic netlink families reject malformed requests with an errno and
# an extack message, need CAP_NET_ADMIN, and keep settings per netns.
# Runs in the lab guest: tools/lab/run.sh tests/netlink.sh
source "$(dirname "$0")/lib.sh"

GENL="python3 $TESTS_DIR/genl.py"
# commands (include/uapi/linux/ip_vs_ext.h)
SET=1 GET=2 DEL=3 FLUSH=4 INFO=5 SECRET=6
# a valid IPv4 TCP service 192.0.2.10:80
SVC='1:nest:{1:u16:2,2:u16:6,3:hex:c000020a,4:be16:80}'
# a recognisable cookie secret
KEY=5ec7e75ec7e75ec7e75ec7e75ec7e7aa

# expect ERRNO MSG_REGEX FAMILY CMD ATTR...
expect() {
	local want=$1 re=$2 out
	shift 2
	# what genl.py printed, even if it failed: the assertion shows it
	out=$($GENL "$@") || true
	assert_match "$* -> $out" "^errno=$want msg=.*$re" "$out"
}

malformed_rejected() {
	expect 22 "virtual service attribute is missing" IPVS_PERSIST $SET 2:u8:1
	expect 22 "address family is missing" IPVS_PERSIST $SET '1:nest:{2:u16:6}'
	expect 34 ".+" IPVS_PERSIST $SET '1:nest:{1:u16:99}'
	expect 22 "service needs a firewall mark" IPVS_PERSIST $SET '1:nest:{1:u16:2,2:u16:6}'
	expect 93 "protocol must be" IPVS_PERSIST $SET '1:nest:{1:u16:2,2:u16:1,3:hex:c000020a,4:be16:80}'
	expect 22 "address length" IPVS_PERSIST $SET '1:nest:{1:u16:10,2:u16:6,3:hex:c000020a,4:be16:80}'
	expect 22 "a firewall-mark service has no" IPVS_PERSIST $SET '1:nest:{1:u16:2,5:u32:7,4:be16:80}'
	expect 34 ".*" IPVS_PERSIST $SET '1:nest:{1:u16:2,5:u32:0}'
	expect 34 ".*" IPVS_PERSIST $SET "$SVC" 2:u8:3
	expect 34 ".*" IPVS_PERSIST $SET "$SVC" 3:u32:31536001
	expect 22 "lifetime cap does not apply" IPVS_PERSIST $SET "$SVC" 2:u8:1 3:u32:60
	expect 22 ".*" IPVS_PERSIST $SET "$SVC" 4:u32:1
	expect 22 "mode is missing" IPVS_SYNCOOKIE $SET "$SVC"
	expect 95 "need an address:port service" IPVS_SYNCOOKIE $SET '1:nest:{1:u16:2,5:u32:7}' 2:u8:1
	expect 95 "need an address:port service" IPVS_SYNCOOKIE $SET '1:nest:{1:u16:2,2:u16:6,3:hex:c000020a,4:be16:0}' 2:u8:2
	expect 34 ".*" IPVS_SYNCOOKIE $SET "$SVC" 2:u8:3
	expect 34 "size out of range" IPVS_SYNCOOKIE $SECRET 4:hex:0011
	expect 22 "cookie secret is missing" IPVS_SYNCOOKIE $SECRET
	expect 0 "" IPVS_SYNCOOKIE $SECRET 4:hex:00112233445566778899aabbccddeeff
	expect 22 ".*" IPVS_REAP $INFO 2:u8:1
	expect 0 "" IPVS_REAP $INFO
}

set_get_del() {
	expect 0 "" IPVS_PERSIST $SET "$SVC" 2:u8:2 3:u32:600
	expect 0 "" IPVS_PERSIST $GET "$SVC"
	expect 0 "" IPVS_PERSIST $DEL "$SVC"
	expect 2 "service has no" IPVS_PERSIST $DEL "$SVC"
	expect 2 "service has no" IPVS_PERSIST $GET "$SVC"
	expect 0 "" IPVS_PERSIST $SET "$SVC" 2:u8:0
	expect 0 "" IPVS_PERSIST $FLUSH
	expect 2 ".*" IPVS_PERSIST $GET "$SVC"
}

# Settings of one netns are invisible in another.
per_netns() {
	ip netns add other
	expect 0 "" IPVS_PERSIST $SET "$SVC" 2:u8:2
	local out
	out=$(ip netns exec other $GENL IPVS_PERSIST $GET "$SVC") || true
	ip netns del other
	assert_match "other netns" "^errno=2 " "$out"
	expect 0 "" IPVS_PERSIST $DEL "$SVC"
}

# Without CAP_NET_ADMIN every command is refused (EPERM).
# The checkout may sit in a home directory of mode 0700 (/root): the
# unprivileged user runs a copy of the helper from a directory it can read.
needs_admin() {
	local out dir
	dir=$(mktemp -d)
	cp "$TESTS_DIR/genl.py" "$dir/"
	chmod 0755 "$dir"
	chmod 0644 "$dir/genl.py"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		python3 "$dir/genl.py" IPVS_PERSIST $FLUSH 2>&1) || true
	rm -rf "$dir"
	assert_match "unprivileged flush" "^errno=1 " "$out"
}

# Root in a user namespace of its own owns its netns, not IPVS: every
# command is refused (EPERM) and our sysctls are read-only there.
userns_root() {
	local f cmd out
	# every command of every family
	for f in "IPVS_PERSIST $SET $GET $DEL $FLUSH $INFO" "IPVS_SYNCOOKIE $SET $GET $DEL $FLUSH" \
		"IPVS_REAP $INFO"; do
		for cmd in ${f#* }; do
			out=$(unshare --user --map-root-user --net $GENL ${f%% *} $cmd "$SVC") || true
			assert_match "${f%% *} command $cmd as userns root" "^errno=1 " "$out"
		done
	done
	out=$(unshare --user --map-root-user --net $GENL IPVS_SYNCOOKIE $SECRET 4:hex:$KEY) || true
	assert_match "cookie secret as userns root" "^errno=1 " "$out"
	for f in reap_low syncookie_threshold persist_mode; do
		[ -e /proc/sys/net/ipv4/vs/$f ] || fail "no sysctl $f"
		! unshare --user --map-root-user --net sh -c \
			"cat /proc/sys/net/ipv4/vs/$f >/proc/sys/net/ipv4/vs/$f" 2>/dev/null ||
			fail "sysctl $f written as userns root"
		! setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all sh -c \
			"cat /proc/sys/net/ipv4/vs/$f >/proc/sys/net/ipv4/vs/$f" 2>/dev/null ||
			fail "sysctl $f written unprivileged"
	done
}

# The cookie secret is write-only: set a recognisable one and look for it in
# every answer of every family and every file the modules show.
secret_unreadable() {
	local all files f cmd
	expect 0 "" IPVS_SYNCOOKIE $SECRET 4:hex:$KEY
	expect 0 "" IPVS_SYNCOOKIE $SET "$SVC" 2:u8:1
	all=$(for f in "IPVS_PERSIST $GET $INFO" "IPVS_SYNCOOKIE $GET" "IPVS_REAP $INFO"; do
		for cmd in ${f#* }; do $GENL --reply ${f%% *} $cmd "$SVC"; done
	done) || true
	assert_match "the service's settings are readable" "reply=[0-9a-f]{8}" "$all"
	# as text, and as the hex of its bytes (a file cat cannot read shows
	# nothing either)
	files=$(cat /proc/net/stat/ip_vs_syncookie /proc/net/ip_vs_reap /proc/sys/net/ipv4/vs/* \
		/sys/module/ip_vs_syncookie/parameters/* 2>/dev/null) || true
	all+=$files$(printf '%s' "$files" | od -An -tx1 | tr -d ' \n')
	expect 0 "" IPVS_SYNCOOKIE $DEL "$SVC"
	if [[ ${all,,} == *$KEY* ]]; then
		fail "the cookie secret can be read back"
	fi
}

# A port bound to the cookie relay stays bound until its netns goes (IPVS
# cannot unbind one): settings set and deleted on ever new ports are
# refused past 1024 ports per netns.
ports_bounded() {
	local out
	ip netns add ports
	out=$(ip netns exec ports $GENL cookie-ports 1100) || true
	ip netns del ports
	assert_match "the 1025th port" "^port=1025 errno=28 msg=SYN cookies are on 1024 ports" "$out"
}

trap 'ip netns del other 2>/dev/null; ip netns del ports 2>/dev/null' EXIT
for m in ip_vs_persist_ext ip_vs_syncookie ip_vs_dos_reap; do modprobe $m || exit 1; done
run_cases malformed_rejected set_get_del per_netns needs_admin userns_root secret_unreadable ports_bounded -- "$@"
summary
