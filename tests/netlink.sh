#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The generic netlink families reject malformed requests with an errno and
# an extack message, need CAP_NET_ADMIN, and keep settings per netns.
# Runs in the lab guest: tools/lab/run.sh tests/netlink.sh
# vm-suite order=20 timeout=900
source "$(dirname "$0")/lib.sh"

# Requests are written with the names of include/uapi/linux/ip_vs_ext.h,
# short within their family and attribute (tests/genl.py): what the kernel
# is sent is what the header says, whatever its numbers.  A number stands
# where a request deliberately carries what no name stands for.
GENL="python3 $TESTS_DIR/genl.py"
# a valid IPv4 TCP service 192.0.2.10:80
SVC='SERVICE:nest:{AF:u16:AF_INET,PROTOCOL:u16:IPPROTO_TCP,ADDR:hex:c000020a,PORT:be16:80}'
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
	expect 22 "virtual service attribute is missing" IPVS_PERSIST SET_SERVICE MODE:u8:ABSOLUTE
	expect 22 "address family is missing" IPVS_PERSIST SET_SERVICE 'SERVICE:nest:{PROTOCOL:u16:IPPROTO_TCP}'
	# no address family has number 99
	expect 34 ".+" IPVS_PERSIST SET_SERVICE 'SERVICE:nest:{AF:u16:99}'
	expect 22 "service needs a firewall mark" IPVS_PERSIST SET_SERVICE \
		'SERVICE:nest:{AF:u16:AF_INET,PROTOCOL:u16:IPPROTO_TCP}'
	expect 93 "protocol must be" IPVS_PERSIST SET_SERVICE \
		'SERVICE:nest:{AF:u16:AF_INET,PROTOCOL:u16:IPPROTO_ICMP,ADDR:hex:c000020a,PORT:be16:80}'
	expect 22 "address length" IPVS_PERSIST SET_SERVICE \
		'SERVICE:nest:{AF:u16:AF_INET6,PROTOCOL:u16:IPPROTO_TCP,ADDR:hex:c000020a,PORT:be16:80}'
	expect 22 "a firewall-mark service has no" IPVS_PERSIST SET_SERVICE \
		'SERVICE:nest:{AF:u16:AF_INET,FWMARK:u32:7,PORT:be16:80}'
	expect 34 ".*" IPVS_PERSIST SET_SERVICE 'SERVICE:nest:{AF:u16:AF_INET,FWMARK:u32:0}'
	# one past IPVS_PERSIST_MODE_MAX; one past IPVS_PERSIST_MAX_LIMIT
	expect 34 ".*" IPVS_PERSIST SET_SERVICE "$SVC" MODE:u8:3
	expect 34 ".*" IPVS_PERSIST SET_SERVICE "$SVC" CAP:u32:31536001
	expect 22 "lifetime cap does not apply" IPVS_PERSIST SET_SERVICE "$SVC" MODE:u8:ABSOLUTE CAP:u32:60
	# counters are the kernel's to send, and nested
	expect 22 ".*" IPVS_PERSIST SET_SERVICE "$SVC" STATS:u32:1
	expect 22 "mode is missing" IPVS_SYNCOOKIE SET_SERVICE "$SVC"
	expect 95 "need an address:port service" IPVS_SYNCOOKIE SET_SERVICE \
		'SERVICE:nest:{AF:u16:AF_INET,FWMARK:u32:7}' MODE:u8:ON
	expect 95 "need an address:port service" IPVS_SYNCOOKIE SET_SERVICE \
		'SERVICE:nest:{AF:u16:AF_INET,PROTOCOL:u16:IPPROTO_TCP,ADDR:hex:c000020a,PORT:be16:0}' MODE:u8:AUTO
	# one past IPVS_SYNCOOKIE_MODE_MAX
	expect 34 ".*" IPVS_SYNCOOKIE SET_SERVICE "$SVC" MODE:u8:3
	expect 34 "size out of range" IPVS_SYNCOOKIE SET_SECRET SECRET:hex:0011
	expect 22 "cookie secret is missing" IPVS_SYNCOOKIE SET_SECRET
	expect 0 "" IPVS_SYNCOOKIE SET_SECRET SECRET:hex:00112233445566778899aabbccddeeff
	# GET_INFO takes no attribute
	expect 22 ".*" IPVS_REAP GET_INFO STATE:u8:1
	expect 0 "" IPVS_REAP GET_INFO
	expect 22 ".*" IPVS_SYNCOOKIE GET_INFO STATS:u8:1
	expect 0 "" IPVS_SYNCOOKIE GET_INFO
}

set_get_del() {
	expect 0 "" IPVS_PERSIST SET_SERVICE "$SVC" MODE:u8:IDLE CAP:u32:600
	expect 0 "" IPVS_PERSIST GET_SERVICE "$SVC"
	expect 0 "" IPVS_PERSIST DEL_SERVICE "$SVC"
	expect 2 "service has no" IPVS_PERSIST DEL_SERVICE "$SVC"
	expect 2 "service has no" IPVS_PERSIST GET_SERVICE "$SVC"
	expect 0 "" IPVS_PERSIST SET_SERVICE "$SVC" MODE:u8:RENEW
	expect 0 "" IPVS_PERSIST FLUSH
	expect 2 ".*" IPVS_PERSIST GET_SERVICE "$SVC"
}

# Settings of one netns are invisible in another.
per_netns() {
	ip netns add other
	expect 0 "" IPVS_PERSIST SET_SERVICE "$SVC" MODE:u8:IDLE
	local out
	out=$(ip netns exec other $GENL IPVS_PERSIST GET_SERVICE "$SVC") || true
	ip netns del other
	assert_match "other netns" "^errno=2 " "$out"
	expect 0 "" IPVS_PERSIST DEL_SERVICE "$SVC"
}

# Without CAP_NET_ADMIN every command is refused (EPERM).
# The checkout may sit in a home directory of mode 0700 (/root): the
# unprivileged user runs a copy of the helper, and of the header it reads
# the names in, from a directory it can read.
needs_admin() {
	local out dir
	dir=$(mktemp -d)
	cp "$TESTS_DIR/genl.py" "$REPO/include/uapi/linux/ip_vs_ext.h" "$dir/"
	chmod 0755 "$dir"
	chmod 0644 "$dir/genl.py" "$dir/ip_vs_ext.h"
	out=$(IPVS_EXT_UAPI=$dir/ip_vs_ext.h setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all python3 "$dir/genl.py" IPVS_PERSIST FLUSH 2>&1) || true
	rm -rf "$dir"
	assert_match "unprivileged flush" "^errno=1 " "$out"
}

# Root in a user namespace of its own owns its netns, not IPVS: every
# command is refused (EPERM) and our sysctls are read-only there.
userns_root() {
	local f cmd out
	# every command of every family
	for f in "IPVS_PERSIST SET_SERVICE GET_SERVICE DEL_SERVICE FLUSH GET_INFO" \
		"IPVS_SYNCOOKIE SET_SERVICE GET_SERVICE DEL_SERVICE FLUSH GET_INFO" "IPVS_REAP GET_INFO"; do
		for cmd in ${f#* }; do
			out=$(unshare --user --map-root-user --net $GENL ${f%% *} $cmd "$SVC") || true
			assert_match "${f%% *} command $cmd as userns root" "^errno=1 " "$out"
		done
	done
	out=$(unshare --user --map-root-user --net $GENL IPVS_SYNCOOKIE SET_SECRET SECRET:hex:$KEY) || true
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
	expect 0 "" IPVS_SYNCOOKIE SET_SECRET SECRET:hex:$KEY
	expect 0 "" IPVS_SYNCOOKIE SET_SERVICE "$SVC" MODE:u8:ON
	all=$(for f in "IPVS_PERSIST GET_SERVICE GET_INFO" "IPVS_SYNCOOKIE GET_SERVICE GET_INFO" "IPVS_REAP GET_INFO"; do
		for cmd in ${f#* }; do $GENL --reply ${f%% *} $cmd "$SVC"; done
	done) || true
	assert_match "the service's settings are readable" "reply=[0-9a-f]{8}" "$all"
	# as text, and as the hex of its bytes (a file cat cannot read shows
	# nothing either)
	files=$(cat /proc/net/stat/ip_vs_* /proc/net/ip_vs_reap /proc/sys/net/ipv4/vs/* \
		/sys/module/ip_vs_syncookie/parameters/* 2>/dev/null) || true
	all+=$files$(printf '%s' "$files" | od -An -tx1 | tr -d ' \n')
	expect 0 "" IPVS_SYNCOOKIE DEL_SERVICE "$SVC"
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
