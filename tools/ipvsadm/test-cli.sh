#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side test of the patched ipvsadm's command line; needs no IPVS and
# no ipvs-ext module.
#
# Stock ipvsadm opens IPVS (ipvs_init) before it parses a single option, so
# on a host whose kernel lacks IPVS every invocation, even --help, ends with
# "Can't initialize ipvs" (exit 2).  The tests therefore run the test
# binaries of "build.sh hosttest": the patched and the unpatched ipvsadm
# relinked with test/hoststub.c, in which ipvs_init succeeds and no generic
# netlink family resolves.  A command that passes option processing thus
# fails at its first kernel request and changes nothing.
#
#  1. every bad combination of our options that option processing catches
#     exits 2 with one line on stderr and nothing on stdout;
#  2. valid ones pass option processing (they stop at the missing module);
#  3. --help mentions the new options, and keeps every stock line but --pe's;
#  4. stock options behave byte for byte like the unpatched ipvsadm (stdout,
#     stderr, exit status) as far as they get without a kernel;
#  5. ipvsadm's listing code, run over made-up services and settings
#     (build/hosttest/list-fixture): stock's output without the modules,
#     the documented -L, -S and --stats additions with settings;
#  6. the netlink client works against the kernel's nlctrl family
#     (build/hosttest/ext-selftest);
#  7. our lines add no compiler warning (-Wall -Wextra).
#
# Checked only after the kernel is reached (tests/ in the lab): -E
# --syncookie on|auto with -g/-i real servers, -a/-e -g|-i on a service
# with SYN cookies on|auto, missing modules, and the kernel's refusals.
#
# Usage: test-cli.sh [-v]     (-v: print every check)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ht=$here/build/hosttest
verbose=0
[ "${1:-}" = -v ] && verbose=1

pass=0
failed=0

ok() {
	pass=$((pass + 1))
	[ $verbose = 1 ] && echo "ok: $1"
	return 0
}

bad() {
	failed=$((failed + 1))
	echo "FAIL: $1"
	shift
	for l in "$@"; do
		echo "      $l"
	done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! sh "$here/build.sh" hosttest >"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log"
	echo "0 passed, 1 failed"
	exit 1
fi

# run WHICH ARGS...: sets out, err, rc (stdin from $stdin, default empty).
# Both binaries run as "ipvsadm", so that argv[0] in messages compares equal.
run() {
	local which=$1
	shift
	out=$(printf '%s' "${stdin:-}" |
		(exec -a ipvsadm "$ht/ipvsadm-$which" "$@") 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
}

# refused "WHAT" PATTERN ARGS...: exit 2, one stderr line containing
# PATTERN, empty stdout
refused() {
	local what=$1 pattern=$2
	shift 2
	run patched "$@"
	local lines
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && [ -z "$out" ] &&
	   [[ "$err" == *"$pattern"* ]]; then
		ok "$what: $err"
	else
		bad "$what" "ipvsadm $*" "exit $rc, stdout '$out'" \
			"stderr '$err'" "wanted exit 2 and one line with '$pattern'"
	fi
}

V=192.0.2.10

# 1. bad combinations of our options
refused "--persist-mode without -p" "needs a persistent service (-p)" \
	-A -t $V:80 -s rr --persist-mode idle
refused "--persist-max without -p" "--persist-max needs a persistent service (-p)" \
	-A -t $V:80 --persist-max 60
refused "-E --persist-mode without -p" "--persist-mode needs a persistent service (-p)" \
	-E -t $V:80 --persist-mode renew
refused "unknown mode" "invalid persist-mode \`sometimes'" \
	-A -t $V:80 -p 5 --persist-mode sometimes
refused "empty mode" "invalid persist-mode" \
	-A -t $V:80 -p 5 --persist-mode ""
refused "mode in capitals" "invalid persist-mode" \
	-A -t $V:80 -p 5 --persist-mode IDLE
refused "non-numeric max" "invalid persist-max \`abc'" \
	-A -t $V:80 -p 5 --persist-max abc
refused "negative max" "invalid persist-max \`-3'" \
	-A -t $V:80 -p 5 --persist-max -3
refused "max above the limit" "invalid persist-max \`31536001'" \
	-A -t $V:80 -p 5 --persist-max 31536001
refused "fractional max" "invalid persist-max" \
	-A -t $V:80 -p 5 --persist-max 1.5
refused "max with absolute" "--persist-max does not apply to --persist-mode absolute" \
	-A -t $V:80 -p 5 --persist-mode absolute --persist-max 9
refused "absolute after max" "--persist-max does not apply" \
	-E -t $V:80 -p 5 --persist-max 0 --persist-mode absolute
refused "--pe sip after --persist-mode" "persistence modes use the --pe slot" \
	-A -t $V:80 -p 5 --persist-mode idle --pe sip
refused "--pe sip before --persist-max" "conflicts with --pe sip" \
	-A -t $V:80 -p 5 --pe sip --persist-max 60
refused "--persist-mode twice" "multiple 'persist-mode' options specified" \
	-A -t $V:80 -p 5 --persist-mode idle --persist-mode renew
refused "--persist-mode with -L" "Illegal 'persist-mode' option with the 'list' command" \
	-L --persist-mode idle
refused "--persist-max with -a" "Illegal 'persist-max' option with the 'add-server' command" \
	-a -t $V:80 -r 198.51.100.1 --persist-max 5
refused "--persist-mode with -D" "Illegal 'persist-mode' option with the 'delete-service' command" \
	-D -t $V:80 --persist-mode idle
refused "unknown syncookie mode" "invalid syncookie mode \`maybe'" \
	-A -t $V:80 --syncookie maybe
refused "--syncookie on a UDP service" "--syncookie is only for TCP virtual services" \
	-A -u $V:53 --syncookie on
refused "--syncookie off on an SCTP service" "--syncookie is only for TCP virtual services" \
	-E --sctp-service $V:9 --syncookie off
refused "--syncookie with -e" "Illegal 'syncookie' option with the 'edit-server' command" \
	-e -t $V:80 -r 198.51.100.1 -m --syncookie on
refused "--syncookie with -S" "Illegal 'syncookie' option with the 'save' command" \
	-S --syncookie on
refused "--reaper with --stats" "options conflicts in the list command" \
	-L --reaper --stats
refused "--reaper with -c" "The option 'reaper' conflicts with the 'connection' option" \
	-L -c --reaper
refused "--reaper with a service" "conflicts with the 'service-address' option" \
	-L -t $V:80 --reaper
refused "--reaper with -A" "Illegal 'reaper' option with the 'add-service' command" \
	-A -t $V:80 --reaper
refused "--reaper with -S" "Illegal 'reaper' option with the 'save' command" \
	-S --reaper
# stock checks keep their priority over ours
refused "stock zero-port check first" "Zero port specified for non-persistent service" \
	-A -t $V:0 --persist-mode idle
refused "stock -o check first" "One-Packet Scheduling is only for UDP virtual services" \
	-A -t $V:80 -o --syncookie on

# 2. valid combinations pass option processing and stop at the family
# (the stub resolves none): one line naming the module, exit 2, and IPVS
# was not asked (no "Invalid operation" line)
PM="persistence modes need the ip_vs_persist_ext kernel module (modprobe ip_vs_persist_ext)"
SC="SYN cookies need the ip_vs_syncookie kernel module (modprobe ip_vs_syncookie)"
refused "valid -A --persist-mode" "$PM" -A -t $V:80 -s rr -p 300 --persist-mode idle --persist-max 600
refused "valid renew with -M" "$PM" -A -t $V:80 -p --persist-mode renew -M 255.255.255.0
refused "valid absolute, fwmark IPv6" "$PM" -A -f 7 -6 -p 9 --persist-mode absolute
refused "valid explicit --pe persist_ext" "$PM" -E -t $V:80 -p 5 --pe persist_ext --persist-max 0
refused "valid --syncookie on TCP" "$SC" -A -t $V:80 --syncookie on
refused "valid --syncookie off on fwmark" "$SC" -E -f 7 --syncookie off
refused "--syncookie auto on fwmark" "SYN cookies need an address:port service (not -f fwmark, not port 0)" \
	-E -f 7 --syncookie auto
refused "--syncookie on on port 0" "SYN cookies need an address:port service (not -f fwmark, not port 0)" \
	-A -t $V:0 -p 60 --syncookie on
refused "valid --syncookie on IPv6" "$SC" -A -t "[2001:db8::10]:80" --syncookie off
if [ ! -e /sys/module/ip_vs_dos_reap ]; then
	refused "-L --reaper without the module" \
		"the connection reaper needs the ip_vs_dos_reap kernel module (modprobe ip_vs_dos_reap)" \
		-L --reaper
fi

# 3. --help
run patched --help
if [ "$rc" = 0 ]; then
	ok "--help exits 0"
else
	bad "--help exits 0" "exit $rc: $err"
fi
for opt in --persist-mode --persist-max --syncookie --reaper persist_ext; do
	if grep -q -e "$opt" <<<"$out"; then
		ok "--help mentions $opt"
	else
		bad "--help mentions $opt"
	fi
done
help_patched=$out
run stock --help
removed=$(diff <(echo "$out") <(echo "$help_patched") | grep '^<' |
	grep -v -e '--pe  *engine')
if [ -z "$removed" ]; then
	ok "--help keeps the stock lines"
else
	bad "--help keeps the stock lines" "$removed"
fi

# 4. stock options: same stdout, stderr and status as unpatched ipvsadm
same() {
	local a_out a_err a_rc
	run stock "$@"
	a_out=$out a_err=$err a_rc=$rc
	run patched "$@"
	if [ "$out" = "$a_out" ] && [ "$err" = "$a_err" ] && [ "$rc" = "$a_rc" ]; then
		ok "same as stock: ipvsadm $*"
	else
		bad "same as stock: ipvsadm $*" \
			"stock:   exit $a_rc, stdout '$a_out', stderr '$a_err'" \
			"patched: exit $rc, stdout '$out', stderr '$err'"
	fi
}

while IFS= read -r line; do
	[ -n "$line" ] || continue
	# shellcheck disable=SC2086 # the arguments of one line
	same $line
done <<EOF
-x
-A
-A -t $V:80 -x 1
-A -t $V
-A -t $V:80 -s rr -p abc
-A -t $V:80 -s rr -p 99999999
-A -t $V:0 -s rr
-A -t $V:80 -o
-A -t $V:80 -s rr -b sh-port
-A -t $V:80 -s rr -b bogus
-A -f 0 -s rr
-A -6 -t $V:80
-A -t $V:80 -s rr -p 5 --pe sip
-A -t $V:80 -s rr -p 5 -M 255.255.255.0
-A -u $V:53 -s sh -b sh-fallback,sh-port
-A --sctp-service $V:9 -s mh -b mh-port -o
-A -t $V:80 extra
-E -t $V:80 -s lc
-D -t $V:80
-D -t $V:80 -s rr
-C
-C -t $V:80
-a -t $V:80 -r 198.51.100.1 -w -1
-a -t $V:80 -r 198.51.100.1 -m -w 3
-a -t $V:80 -r 198.51.100.1 -g
-a -t $V:80 -r 198.51.100.1 -i --tun-type gue
-a -t $V:80 -r 198.51.100.1 -m --tun-type gre
-a -t $V:80 -r [2001:db8::1]:80 -m
-a -f 42 -r 198.51.100.1 -g
-e -t $V:80 -r 198.51.100.1 -i --tun-type gre --tun-port 5
-e -t $V:80 -r 198.51.100.1 -x 100 -y 50
-d -t $V:80 -r 198.51.100.1
-d -t $V:80 -r 198.51.100.1 -w 1
-L
-Ln
-L -n --stats
-L --rate --exact
-L -c --stats
-L --timeout --persistent-conn
-L --daemon
-L --timeout --daemon
-L -t $V:80 --thresholds
-S
-Sn
-S -c
-Z
-Z -t $V:80
--set 1 2
--set 900 120 300
--start-daemon master --mcast-ttl 0
--start-daemon bogus
--stop-daemon backup --syncid 300
-v
-L --persist
--sort -L
EOF

stdin='-A -t 192.0.2.10:80 -s rr -x 1
'
same -R
stdin='-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.1 -m
'
same -R
stdin=''

# 5. listings (test/list-fixture.c: ipvsadm's listing code over made-up
# services and settings): without modules exactly stock's output; with
# settings the words, options and counter lines of the extensions
if diff <("$ht/list-fixture-stock") <("$ht/list-fixture" none) >"$tmp/diff"; then
	ok "listings without modules are stock's"
else
	mapfile -t lines <"$tmp/diff"
	bad "listings without modules are stock's" "${lines[@]}"
fi
cat >"$tmp/want" <<'EOF'
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.10:80 rr persistent 300 pe persist_ext persist-mode idle persist-max 600 syncookie on
  -> 198.51.100.1:80              Masq    1      0          0         
TCP  192.0.2.10:443 wlc
  -> 198.51.100.2:443             Route   1      0          0         
UDP  192.0.2.10:53 rr persistent 9 pe sip persist-mode renew
FWM  42 IPv6 rr persistent 60 pe persist_ext persist-mode absolute
--
-A -t 192.0.2.10:80 -s rr -p 300 --pe persist_ext --persist-mode idle --persist-max 600 --syncookie on
-a -t 192.0.2.10:80 -r 198.51.100.1:80 -m -w 1
-A -t 192.0.2.10:443 -s wlc
-a -t 192.0.2.10:443 -r 198.51.100.2:443 -g -w 1
-A -u 192.0.2.10:53 -s rr -p 9 --pe sip
-A -f 42 -6 -s rr -p 60 --pe persist_ext --persist-mode absolute --syncookie off
--
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  192.0.2.10:80                       7        0        0        0        0
  persist-mode: created 101 reused 102 extended 103 expired 104 capped 105
  syncookie: syn 201 sent 202 valid 203 invalid 204 proxied 205
  -> 198.51.100.1:80                     3        0        0        0        0
TCP  192.0.2.10:443                      7        0        0        0        0
  -> 198.51.100.2:443                    3        0        0        0        0
UDP  192.0.2.10:53                       7        0        0        0        0
FWM  42 IPv6                             7        0        0        0        0
--
EOF
if diff "$tmp/want" <("$ht/list-fixture" ext) >"$tmp/diff"; then
	ok "listings with settings (-Ln, -Sn, -Ln --stats)"
else
	mapfile -t lines <"$tmp/diff"
	bad "listings with settings (-Ln, -Sn, -Ln --stats)" "${lines[@]}"
fi

# 6. the netlink client against the kernel's own nlctrl family
if sout=$("$ht/ext-selftest" 2>&1); then
	ok "netlink client self-test"
	[ $verbose = 1 ] && printf '    %s\n' "${sout//$'\n'/$'\n'    }"
else
	mapfile -t lines < <(grep -v '^ok' <<<"$sout")
	bad "netlink client self-test" "${lines[@]}"
fi

# 7. no new warnings with -Wall -Wextra (ipvs_ext.c: none at all)
warnings() {	# warnings DIR FILE: the warnings, without their positions
	# shellcheck disable=SC2046 # pkg-config prints several flags
	(cd "$1" && gcc -Wall -Wextra -Wunused -Wstrict-prototypes -fsyntax-only \
		-DVERSION='"1.31"' -DSCHEDULERS='"rr"' -DPE_LIST='"sip"' \
		-DHAVE_NET_IP_VS_H -I"$top/include/uapi" \
		$(pkg-config --cflags libnl-genl-3.0) "$2" 2>&1) |
		grep 'warning:' | sed 's/^[^ ]* //' | sort
}
new=$(comm -13 <(warnings "$ht/stock" ipvsadm.c) \
	<(warnings "$here/build" ipvsadm.c))
if [ -z "$new" ]; then
	ok "ipvsadm.c: no new -Wextra warning"
else
	bad "ipvsadm.c: no new -Wextra warning" "$new"
fi
new=$(warnings "$here/build" ipvs_ext.c)
if [ -z "$new" ]; then
	ok "ipvs_ext.c: no -Wall -Wextra warning"
else
	bad "ipvs_ext.c: no -Wall -Wextra warning" "$new"
fi

echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
