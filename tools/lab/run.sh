#!/bin/bash
# Run a test script as root in a throwaway QEMU (TCG) guest and judge the outcome.
#
# usage: tools/lab/run.sh [options] SCRIPT [ARGS...]
#        tools/lab/run.sh [options] --interactive [SETUP-SCRIPT [ARGS...]]
#
#   --kernel DIR      kernel directory: vmlinuz (or bzImage) + lib/modules/KV
#                     (default: env KERNEL, else the Debian kernel prepared by kernel.sh)
#   --mem MB          guest memory (default 1024)
#   --smp N           guest CPUs (default 2)
#   --timeout SEC     kill the guest after SEC seconds (default 300; 0 = none; --interactive: none)
#   --append "ARGS"   extra kernel command line (e.g. "panic_on_warn=1")
#   --env NAME=VALUE  set NAME in the script's environment (repeatable; host env does not pass)
#   --out DIR         results directory (default: a fresh mktemp -d, printed)
#   --interactive     root shell on the console (after SETUP-SCRIPT, if given); `exit` powers off
#   --no-lock         do not wait for other lab VMs (by default one VM runs at a time)
#
# The guest sees the host root read-only under a tmpfs overlay; SCRIPT runs in this repository's
# directory with stdout/stderr on the console. SCRIPT is a path (relative to the current directory
# or to the repository) or a command on PATH (e.g. `run.sh bash -c 'modprobe ip_vs'`).
# IPVS_EXT_MODULES (default: the repository top): every *.ko there is installed in the guest's
# /lib/modules/KV/extra, so modprobe finds it.
#
# Exit status: the script's status if the run was otherwise clean (0 = PASS); 124 on timeout;
# 1 on a kernel panic, no status from the guest, or a clean exit with a bad kernel log (BUG:,
# WARNING:, Oops, KASAN, ...); 130 when interrupted. The last line is `LAB: PASS|FAIL SCRIPT ...`.
# Results dir: console.log, dmesg, status, lab.env, timing.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
CACHE=${IPVS_EXT_CACHE:-/var/cache/ipvs-ext}

# What in the guest's kernel log fails a run. Case-sensitive on purpose: the command line has "oops=panic".
BAD_LOG='BUG:|WARNING:|Oops|KASAN|UBSAN|circular locking|RCU stall|rcu_.* self-detected stall|detected stalls|refcount_t|unreferenced object|Kernel panic|general protection fault|blocked for more than'

kernel=${KERNEL:-}
mem=1024
smp=2
timeout=
append=
out=
interactive=false
lock=true
envs=()

say() { echo "LAB: $*" >&2; }
die() { say "error: $*"; exit 2; }
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit "${1:-0}"; }

parse_args() {
	while [[ $# -gt 0 ]]; do
		case $1 in
		--kernel) kernel=${2:?}; shift 2 ;;
		--mem) mem=${2:?}; shift 2 ;;
		--smp) smp=${2:?}; shift 2 ;;
		--timeout) timeout=${2:?}; shift 2 ;;
		--append) append=${2?}; shift 2 ;;
		--env) [[ ${2:-} == [A-Za-z_]*=* ]] || die "--env wants NAME=VALUE"; envs+=("$2"); shift 2 ;;
		--out) out=${2:?}; shift 2 ;;
		--interactive) interactive=true; shift ;;
		--no-lock) lock=false; shift ;;
		-h | --help) usage ;;
		--) shift; break ;;
		-*) die "unknown option $1 (see --help)" ;;
		*) break ;;
		esac
	done
	if $interactive; then
		# An optional SCRIPT sets the guest up before the shell starts.
		script=${1:-interactive}
		[[ $# -eq 0 ]] || shift
		timeout=${timeout:-0}
	else
		[[ $# -gt 0 ]] || usage 2
		script=$1
		shift
		timeout=${timeout:-300}
	fi
	args=("$@")
	[[ $mem =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ && $timeout =~ ^[0-9]+$ ]] ||
		die "--mem, --smp and --timeout take numbers"
}

# Absolute host path of the script (the guest sees the same paths). Symlinks are kept: a multi-call
# binary (kmod, busybox) needs its name.
resolve_script() {
	local s=$1
	if [[ -f $s ]]; then
		realpath -s "$s"
	elif [[ $s != /* && -f $REPO/$s ]]; then
		realpath -s "$REPO/$s"
	elif [[ $s != */* ]] && command -v "$s" >/dev/null; then
		command -v "$s"
	else
		die "no such script: $s"
	fi
}

# Sets VMLINUZ, INITRD, MODDIR, KV from kernel.sh (which downloads/builds and caches them).
prepare_kernel() {
	local k v
	while IFS='=' read -r k v; do
		case $k in
		VMLINUZ | INITRD | MODDIR | KV) printf -v "$k" '%s' "$v" ;;
		esac
	done < <("$LAB_DIR/kernel.sh" ${kernel:+--kernel "$kernel"})
	[[ -n ${INITRD:-} && -n ${VMLINUZ:-} ]] || die "kernel.sh failed"
}

prepare_out() {
	if [[ -z $out ]]; then
		out=$(mktemp -d /tmp/ipvs-lab.XXXXXX)
	else
		mkdir -p "$out"
		out=$(realpath "$out")
		rm -rf "$out"/{console.log,dmesg,status,started,lab.env,timing,modules}
	fi
	say "results in $out"
}

# Where a host path is visible in the guest: the guest mounts its own tmpfs on /tmp and keeps the
# host's /tmp at /run/lab/host-tmp (see guest-init).
guest_path() {
	case $1 in
	/tmp | /tmp/*) echo "/run/lab/host-tmp${1#/tmp}" ;;
	*) echo "$1" ;;
	esac
}

# The guest's /lib/modules/KV: the kernel's tree plus every *.ko in IPVS_EXT_MODULES under extra/,
# indexed by depmod here on the host: in the guest, depmod reads all ~4000 modules over 9p under
# TCG (~30 s); here it takes half a second. The kernel's own directories are symlinked, not copied.
stage_modules() {
	local mods=$out/modules/lib/modules/$KV e n=0
	ext_modules=$(realpath -m "${IPVS_EXT_MODULES:-$REPO}")
	rm -rf "$out/modules"
	mkdir -p "$mods/extra"
	for e in "$MODDIR"/*; do
		case ${e##*/} in
		modules.order | modules.builtin | modules.builtin.modinfo) cp "$e" "$mods/" ;;
		modules.* | build | source) ;;
		extra) cp -a "$e"/. "$mods/extra/" ;;
		*) ln -s "$e" "$mods/${e##*/}" ;;
		esac
	done
	for e in "$ext_modules"/*.ko; do
		[[ -f $e ]] || continue
		cp "$e" "$mods/extra/"
		n=$((n + 1))
	done
	depmod -b "$out/modules" "$KV" || die "depmod failed"
	# Now point the links where the guest sees their targets (the host's /tmp moves in the guest).
	for e in "$mods"/*; do
		[[ -L $e ]] && ln -sfn "$(guest_path "$(readlink "$e")")" "$e"
	done
	say "$n module(s) from $ext_modules installed in the guest's /lib/modules/$KV/extra"
}

# Words quoted for bash; nothing at all for no words (printf %q would give '').
quote_words() {
	[[ $# -eq 0 ]] || printf '%q ' "$@"
}

# Parameters for guest-init: env vars do not cross into the guest, the results share does.
write_params() {
	local rows='' cols=''
	if $interactive && [[ -t 0 ]]; then
		read -r rows cols < <(stty size 2>/dev/null) || true
	fi
	{
		printf 'LAB_MODE=%q\n' "$($interactive && echo interactive || echo script)"
		printf 'LAB_KV=%q\nLAB_MODDIR=%q\nLAB_REPO=%q\n' "$KV" "$MODDIR" "$REPO"
		printf 'LAB_EXT_MODULES=%q\n' "$ext_modules"
		printf 'LAB_SCRIPT=%q\n' "$script_path"
		printf 'LAB_TERM=%q\nLAB_ROWS=%q\nLAB_COLS=%q\n' "${TERM:-linux}" "$rows" "$cols"
		printf 'LAB_ARGS=(%s)\n' "$(quote_words "${args[@]}")"
		printf 'LAB_ENV=(%s)\n' "$(quote_words "${envs[@]}")"
	} >"$out/lab.env"
}

# One VM at a time: TCG on two cores is slow enough already, and timeouts get flaky when shared.
take_lock() {
	$lock || return 0
	mkdir -p "$CACHE"
	exec 8>"$CACHE/lab.lock"
	flock -n 8 && return 0
	say "waiting for another lab VM to finish"
	flock 8
}

qemu_cmd() {
	local cmdline sig=on
	# loglevel=5: warnings (WARN_ON traces) show on the console next to the output that caused them.
	# panic=-1 + -no-reboot: a panic ends qemu even before pvpanic is loaded; oops/lockups/hung tasks
	# panic so that they end the run at once instead of at the timeout.
	# trace_clock=global: what tracing picks anyway under TCG (unstable TSC), minus a boot warning.
	cmdline="console=ttyS0 loglevel=5 edd=off trace_clock=global"
	cmdline+=" panic=-1 oops=panic softlockup_panic=1 hung_task_panic=1"
	cmdline+=" rdinit=/init lab_init=$LAB_DIR/guest-init $append"
	# Ctrl-C belongs to the guest shell when interactive; otherwise it stops qemu.
	$interactive && sig=off
	# qboot: boots straight into -kernel, faster than SeaBIOS and does not reset the terminal.
	BIOS=()
	[[ -f /usr/share/qemu/qboot.rom ]] && BIOS=(-bios /usr/share/qemu/qboot.rom)
	# shellcheck disable=SC2054 # the commas are qemu's
	QEMU=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m "$mem" -smp "$smp"
		-nographic -nodefaults -no-reboot -nic none "${BIOS[@]}"
		-device pvpanic-pci -action panic=exit-failure
		-kernel "$VMLINUZ" -initrd "$INITRD" -append "$cmdline"
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
		-virtfs "local,path=$out,mount_tag=results,security_model=none,multidevs=remap"
		-chardev "stdio,id=con,mux=on,signal=$sig,logfile=$out/console.log"
		-serial chardev:con -mon chardev=con,mode=readline)
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Runs qemu; sets qemu_rc. Non-interactive qemu gets /dev/null as stdin so that it neither touches
# the terminal nor stops on SIGTTIN in timeout's process group; Ctrl-C reaches us and we stop it.
run_qemu() {
	local pid
	t_start=$(now)
	if $interactive; then
		qemu_rc=0
		if [[ $timeout -gt 0 ]]; then
			timeout --foreground -k 10 "$timeout" "${QEMU[@]}" || qemu_rc=$?
		else
			"${QEMU[@]}" || qemu_rc=$?
		fi
	else
		timeout -k 10 "$timeout" "${QEMU[@]}" </dev/null &
		pid=$!
		trap 'kill -TERM $pid 2>/dev/null; wait $pid; say "FAIL $script (interrupted)"; exit 130' INT TERM HUP
		qemu_rc=0
		wait $pid || qemu_rc=$?
		trap - INT TERM HUP
	fi
	t_end=$(now)
}

# Sets result (exit status) and reasons[]; prints the offending kernel log lines.
judge() {
	local status='' log bad
	result=0
	reasons=()
	[[ -f $out/status ]] && status=$(<"$out/status")
	if [[ $qemu_rc -eq 124 || $qemu_rc -eq 137 ]]; then
		reasons+=("timeout after ${timeout}s")
		result=124
	elif [[ $qemu_rc -ne 0 ]]; then
		if grep -q 'Kernel panic' "$out/console.log" 2>/dev/null; then
			reasons+=("kernel panic")
		else
			reasons+=("qemu exited with status $qemu_rc")
		fi
		result=1
	elif [[ -z $status ]]; then
		reasons+=("no status file: the guest stopped before the script ended")
		result=1
	fi
	# The kernel log as the guest saved it; after a panic only the console has it.
	log=$out/dmesg
	[[ -s $log ]] || log=$out/console.log
	if bad=$(grep -aE -m 20 "$BAD_LOG" "$log" 2>/dev/null); then
		while IFS= read -r l; do say "kernel log: $l"; done <<<"$bad"
		[[ $log == "$out/dmesg" ]] && reasons+=("kernel log has errors")
		[[ $result -eq 0 ]] && result=1
	fi
	if [[ -n $status && $status != 0 ]]; then
		reasons+=("exit $status")
		[[ $result -eq 0 || $result -eq 1 ]] && result=$status
	fi
	return 0
}

report_timing() {
	local boot=n/a total
	[[ -f $out/started ]] && boot=$(elapsed "$t_start" "$(date -r "$out/started" +%s.%N)")s
	total=$(elapsed "$t_start" "$t_end")s
	echo "boot_to_script=$boot total=$total" >"$out/timing"
	say "timing: qemu start to script $boot, whole run $total"
}

main() {
	parse_args "$@"
	if $interactive && [[ $script == interactive ]]; then
		script_path=
	else
		script_path=$(resolve_script "$script")
	fi
	prepare_kernel
	prepare_out
	# The staged module tree is only for the guest: keep /tmp from filling up with copies of it.
	trap 'rm -rf "$out/modules"' EXIT
	stage_modules
	write_params
	qemu_cmd
	take_lock
	run_qemu
	report_timing
	judge
	if [[ ${#reasons[@]} -eq 0 ]]; then
		say "PASS $script"
	else
		local why=${reasons[0]} r
		for r in "${reasons[@]:1}"; do why+="; $r"; done
		say "FAIL $script ($why)"
	fi
	exit "$result"
}

main "$@"
