#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Foundation: the three feature modules load alone and together, in any
# order, with their generic netlink families and sysctls, each bringing the
# core (ip_vs_ext) through modprobe; they unload cleanly, also with services
# defined, and the core after them; sysctls are per netns and range-checked.
# Runs in the lab guest: tools/lab/run.sh tests/modules.sh
# vm-suite order=10 timeout=900
source "$(dirname "$0")/lib.sh"

MODS="ip_vs_persist_ext ip_vs_syncookie ip_vs_dos_reap"
CORE=ip_vs_ext
declare -A FAMILY=([ip_vs_persist_ext]=IPVS_PERSIST [ip_vs_syncookie]=IPVS_SYNCOOKIE
	[ip_vs_dos_reap]=IPVS_REAP)
declare -A SYSCTL=([ip_vs_persist_ext]=persist_mode [ip_vs_syncookie]=syncookie_threshold
	[ip_vs_dos_reap]=reap_low)

loaded() { [ -d "/sys/module/$1" ]; }
family_present() { genl ctrl get name "$1" >/dev/null 2>&1; }
unload_all() { local m; for m in $MODS $CORE; do rmmod "$m" 2>/dev/null || true; done; }

# check_present MODULE: loaded, family registered, sysctl present.
check_present() {
	loaded "$1" || fail "$1 not loaded"
	family_present "${FAMILY[$1]}" || fail "family ${FAMILY[$1]} missing"
	[ -f "/proc/sys/net/ipv4/vs/${SYSCTL[$1]}" ] || fail "sysctl ${SYSCTL[$1]} missing"
}

check_absent() {
	! loaded "$1" || fail "$1 still loaded"
	[ ! -f "/proc/sys/net/ipv4/vs/${SYSCTL[$1]}" ] || fail "sysctl ${SYSCTL[$1]} left behind"
}

each_alone() {
	local m
	for m in $MODS; do
		modprobe "$m" || fail "modprobe $m"
		check_present "$m"
		loaded $CORE || fail "modprobe $m did not bring $CORE"
		for o in $MODS; do
			[ "$o" = "$m" ] || ! loaded "$o" || fail "$o loaded with $m"
		done
		! rmmod $CORE 2>/dev/null || fail "$CORE unloaded under $m"
		rmmod "$m" || fail "rmmod $m"
		check_absent "$m"
		rmmod $CORE || fail "rmmod $CORE after $m"
	done
}

every_order() {
	local order m
	for order in "0 1 2" "2 1 0" "1 0 2" "0 2 1"; do
		local list=($MODS) seq=()
		for i in $order; do seq+=("${list[$i]}"); done
		for m in "${seq[@]}"; do modprobe "$m" || fail "modprobe $m"; done
		for m in $MODS; do check_present "$m"; done
		# unload in load order (not reverse): no feature depends on another
		for m in "${seq[@]}"; do rmmod "$m" || fail "rmmod $m"; done
		for m in $MODS; do check_absent "$m"; done
		rmmod $CORE || fail "rmmod $CORE after the features"
	done
}

# Netlink resolves a missing family by loading its module.
family_autoload() {
	local m
	unload_all
	for m in $MODS; do
		family_present "${FAMILY[$m]}" || fail "resolving ${FAMILY[$m]} did not load $m"
		loaded "$m" || fail "$m not autoloaded"
	done
	unload_all
}

# Stock services and settings in place: unload works; a service using the
# persist_ext engine pins its module (as --pe sip does) until it is deleted.
unload_with_services() {
	local m
	for m in $MODS; do modprobe "$m"; done
	ipvsadm -A -t $VIP:80 -s rr
	ipvsadm -a -t $VIP:80 -r $RS1:80 -m
	ipvsadm -A -t $VIP:81 -s rr -p 30 --pe persist_ext || fail "--pe persist_ext refused"
	ipvsadm -A -u $VIP:53 -s rr
	! rmmod ip_vs_persist_ext 2>/dev/null || fail "rmmod while its engine is bound to a service"
	rmmod ip_vs_syncookie || fail "rmmod ip_vs_syncookie with services"
	rmmod ip_vs_dos_reap || fail "rmmod ip_vs_dos_reap with services"
	ipvsadm -D -t $VIP:81
	wait_for 60 rmmod ip_vs_persist_ext || fail "rmmod after the service went"
	assert_eq "stock services intact" 2 "$(ipvsadm -Sn | grep -c '^-A')"
	ipvsadm -C
}
# services left by a failure would pin ip_vs_persist_ext for the next cases
unload_with_services_undo() { ipvsadm -C 2>/dev/null; }

# Every sysctl rejects what is out of range and keeps its value.
sysctl_ranges() {
	local m
	for m in $MODS; do modprobe "$m"; done
	local bad=(
		"persist_mode 3" "persist_mode -1" "persist_max -1" "persist_max 31536001"
		"syncookie_threshold 0" "syncookie_off_delay 0" "syncookie_syn_retries 11"
		"syncookie_invalid_rst 2" "reap_low 0" "reap_high 101" "reap_low 95"
		"reap_high 85" "reap_metric bogus" "reap_interval_ms 5" "reap_floor 0"
		"reap_conn_budget 0"
	)
	local b name val before after
	for b in "${bad[@]}"; do
		name=${b% *} val=${b#* }
		before=$(cat "/proc/sys/net/ipv4/vs/$name")
		if echo "$val" >"/proc/sys/net/ipv4/vs/$name" 2>/dev/null; then
			fail "$name accepted $val"
		fi
		after=$(cat "/proc/sys/net/ipv4/vs/$name")
		assert_eq "$name after bad write" "$before" "$after"
	done
	# and good values stick
	sysctl -qw net.ipv4.vs.persist_mode=2 net.ipv4.vs.reap_metric=conns \
		net.ipv4.vs.reap_high=99 net.ipv4.vs.reap_low=98 || fail "good values refused"
	assert_eq reap_metric conns "$(cat /proc/sys/net/ipv4/vs/reap_metric)"
	assert_eq reap_low 98 "$(cat /proc/sys/net/ipv4/vs/reap_low)"
	unload_all
}

# Each netns has its own knobs and settings; namespaces come and go.
per_netns() {
	local m i
	for m in $MODS; do modprobe "$m"; done
	sysctl -qw net.ipv4.vs.persist_max=77
	for i in 1 2 3 4 5; do
		ip netns add t$i
		ip netns exec t$i ipvsadm -A -t 192.0.2.10:80 -s rr -p 5 --pe persist_ext
		assert_eq "fresh netns default" 0 \
			"$(ip netns exec t$i cat /proc/sys/net/ipv4/vs/persist_max)"
		ip netns exec t$i sysctl -qw net.ipv4.vs.persist_max=$i
		ip netns del t$i
	done
	assert_eq "init netns value" 77 "$(cat /proc/sys/net/ipv4/vs/persist_max)"
	sysctl -qw net.ipv4.vs.persist_max=0
	wait_for 60 bash -c 'for m in '"$MODS $CORE"'; do [ ! -d /sys/module/$m ] || rmmod $m || exit 1; done' \
		|| fail "modules did not unload after the namespaces went"
}

trap 'unload_all; ipvsadm -C 2>/dev/null' EXIT
modprobe ip_vs
run_cases each_alone every_order family_autoload unload_with_services sysctl_ranges per_netns -- "$@"
summary
