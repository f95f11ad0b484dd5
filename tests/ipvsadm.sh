#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The patched ipvsadm behaves exactly like Debian's stock ipvsadm for every
# stock flag: the same commands, run by each in a namespace of its own, give
# the same output, messages and exit codes.  And when an extension module is
# missing, our flags say so in one line and exit 2.
# Runs in the lab guest: tools/lab/run.sh tests/ipvsadm.sh
# vm-suite order=30 timeout=900
source "$(dirname "$0")/lib.sh"

STOCK=${IPVSADM_STOCK:-/usr/sbin/ipvsadm}
PATCHED=$REPO/tools/ipvsadm/build/ipvsadm

# Both binaries are run as "ipvsadm" so that usage texts compare equal.
BIN=$(mktemp -d)
mkdir "$BIN/stock" "$BIN/patched"
ln -s "$STOCK" "$BIN/stock/ipvsadm"
ln -s "$PATCHED" "$BIN/patched/ipvsadm"

# each COMMANDS: run the ipvsadm argument lines of COMMANDS (one per line)
# with both binaries, each in its own netns; print "rc output" per line.
each() {
	local which=$1 cmds=$2 line
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		# shellcheck disable=SC2086
		out=$(ip netns exec "ns-$which" "$BIN/$which/ipvsadm" $line 2>&1)
		printf '%s | rc=%s\n%s\n' "$line" "$?" "$out"
	done <<<"$cmds"
}

compare() {
	local cmds=$1 a b
	a=$(each stock "$cmds")
	b=$(each patched "$cmds")
	if [ "$a" != "$b" ]; then
		diff <(echo "$a") <(echo "$b") | head -30 >&2
		fail "stock and patched ipvsadm differ"
	fi
}

CONFIG="-A -t 192.0.2.10:80 -s wrr
-a -t 192.0.2.10:80 -r 198.51.100.11:8080 -m -w 3
-a -t 192.0.2.10:80 -r 198.51.100.12 -g -w 0
-a -t 192.0.2.10:80 -r 198.51.100.13 -i -x 100 -y 50
-A -u 192.0.2.10:53 -s sh -b sh-fallback,sh-port
-a -u 192.0.2.10:53 -r 198.51.100.11:53 -m
-A -t 192.0.2.10:443 -s rr -p 300 -M 255.255.255.0
-A -t [2001:db8:1::10]:80 -s lc -p 60
-a -t [2001:db8:1::10]:80 -r [2001:db8:2::11]:80 -m
-A -f 42 -s wlc -p
-a -f 42 -r 198.51.100.12 -g
-A --sctp-service 192.0.2.10:9 -s mh -b mh-port -o
-E -t 192.0.2.10:80 -s lc
-e -t 192.0.2.10:80 -r 198.51.100.11:8080 -m -w 7
-d -t 192.0.2.10:80 -r 198.51.100.13
--set 900 120 300
-Sn
-S
-Ln
-Ln --stats
-Ln --rate
-Ln --thresholds
-Ln --persistent-conn
-Ln --exact
-Lnc
-Ln --timeout
-Ln -t 192.0.2.10:80
-Ln -f 42"

same_config() {
	compare "$CONFIG"
}

ERRORS="-a -t 192.0.2.99:80 -r 198.51.100.11
-A -t 192.0.2.10:80 -s nosuch
-A -t 192.0.2.10
-D -t 192.0.2.99:80
-E -u 192.0.2.99:1 -s rr
-A -t 192.0.2.10:80 -s rr -p 5 --pe nosuchpe
-A -t 192.0.2.10:80 -s rr -M 255.255.255.0
-L -t 192.0.2.99:1
-v
-A -f 0 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.11 -w -1
-Sn"

same_errors() {
	compare "$ERRORS"
}

# -R of the same rules (stdin) gives the same tables and messages.
same_restore() {
	local rules a b which rc
	rules="-A -t 192.0.2.10:80 -s wrr -p 120
-a -t 192.0.2.10:80 -r 198.51.100.11:80 -m -w 2
-A -u 192.0.2.10:53 -s rr
-a -u 192.0.2.10:53 -r 198.51.100.12:53 -g
-A -f 9 -s sh
-a -t 192.0.2.99:1 -r 198.51.100.12"
	for which in stock patched; do
		ip netns exec "ns-$which" "$BIN/$which/ipvsadm" -C
		# the last rule is refused: its exit status is compared
		rc=0
		ip netns exec "ns-$which" "$BIN/$which/ipvsadm" -R <<<"$rules" >"$BIN/$which.out" 2>&1 || rc=$?
		echo "rc=$rc" >>"$BIN/$which.out"
		ip netns exec "ns-$which" "$BIN/$which/ipvsadm" -Sn >>"$BIN/$which.out" 2>&1
	done
	a=$(cat "$BIN/stock.out")
	b=$(cat "$BIN/patched.out")
	[ "$a" = "$b" ] || { diff <(echo "$a") <(echo "$b") >&2 || true; fail "-R differs"; }
}

# Loaded extension modules change nothing for services without settings.
same_with_modules_loaded() {
	local m
	for m in ip_vs_persist_ext ip_vs_syncookie ip_vs_dos_reap; do modprobe "$m"; done
	compare "-C
$CONFIG
-D -u 192.0.2.10:53
-Sn
-C
-Sn"
}

# Our flags without the module (and no way to load it): one line, exit 2.
module_missing() {
	local kv extra out rc=0
	kv=$(uname -r)
	extra=/lib/modules/$kv/extra
	rmmod ip_vs_persist_ext 2>/dev/null || true
	mv "$extra/ip_vs_persist_ext.ko" "$extra/ip_vs_persist_ext.ko.off"
	depmod -a "$kv"
	ip netns exec ns-patched "$PATCHED" -C
	out=$(ip netns exec ns-patched "$PATCHED" -A -t 192.0.2.10:80 -s rr -p 5 --persist-mode idle 2>&1) ||
		rc=$?
	mv "$extra/ip_vs_persist_ext.ko.off" "$extra/ip_vs_persist_ext.ko"
	depmod -a "$kv"
	assert_eq "exit status" 2 "$rc"
	assert_eq "message lines ($out)" 1 "$(wc -l <<<"$out")"
	assert_match "message names the module" "ip_vs_persist_ext" "$out"
}
# the module back where modprobe finds it, if the case failed before that
module_missing_undo() {
	local kv extra
	kv=$(uname -r)
	extra=/lib/modules/$kv/extra
	if [ -e "$extra/ip_vs_persist_ext.ko.off" ]; then
		mv "$extra/ip_vs_persist_ext.ko.off" "$extra/ip_vs_persist_ext.ko"
		depmod -a "$kv"
	fi
}

cleanup() {
	ip netns del ns-stock 2>/dev/null
	ip netns del ns-patched 2>/dev/null
	rm -rf "$BIN"
}
trap cleanup EXIT
[ -x "$PATCHED" ] || { echo "patched ipvsadm not built: make ipvsadm"; exit 1; }
modprobe ip_vs
for m in ip_vs_wrr ip_vs_sh ip_vs_lc ip_vs_wlc ip_vs_mh ip_vs_rr; do modprobe $m; done
ip netns add ns-stock
ip netns add ns-patched

run_cases same_config same_errors same_restore same_with_modules_loaded module_missing -- "$@"
summary
