#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM suite: each test file in a fresh lab guest (tools/lab/run.sh), which
# also fails a run on a kernel oops, warning or hang.  Usage:
#   tests/run-vm.sh [TEST.sh...]     (default: all)
#   tests/run-vm.sh --list [debug]   the files it runs by default (those of
#                                    the debug lane), in their order
#
# A test file of tests/ belongs to the suite by a line of its own:
#   # vm-suite order=N timeout=SECONDS [debug=M]
# Files run by increasing order, the foundation first (modules, netlink,
# ipvsadm) so that a broken build shows at once, the longest last; timeout
# is the file's hang limit (below); debug=M puts the file M-th in the lane
# of tests/check.sh that runs the packet-path files on the debug kernel.
set -u
cd "$(dirname "$0")/.."

# suite_field FILE KEY: KEY's number on FILE's vm-suite line, if any
suite_field() {
	awk -v k="$2" '$1 == "#" && $2 == "vm-suite" {
		for (i = 3; i <= NF; i++)
			if (split($i, kv, "=") == 2 && kv[1] == k && kv[2] ~ /^[0-9]+$/) { print kv[2]; exit }
	}' "$1"
}

# suites [KEY]: the files with KEY (default: order) on their vm-suite line,
# by its value
suites() {
	local key=${1:-order} t n
	for t in tests/*.sh; do
		case ${t##*/} in
		lib.sh | run-vm.sh | check*.sh) continue ;;
		esac
		n=$(suite_field "$t" "$key")
		[ -z "$n" ] || printf '%s %s\n' "$n" "$t"
	done | sort -n -k1,1 | cut -d' ' -f2
}

if [ "${1:-}" = --list ]; then
	suites "${2:-order}"
	exit
fi

mapfile -t SUITE < <(suites)
[ $# -gt 0 ] && SUITE=("$@")
[ ${#SUITE[@]} -gt 0 ] || { echo "run-vm: no test file has a vm-suite line" >&2; exit 2; }

# check-debug passes the kernel (KERNEL, read by run.sh), memory and
# command line through the environment.
extra=()
[ -n "${LAB_MEM:-}" ] && extra+=(--mem "$LAB_MEM")
[ -n "${LAB_APPEND:-}" ] && extra+=(--append "$LAB_APPEND")

# Timeouts detect hangs; they are not speed requirements.  Each (timeout=
# on the file's vm-suite line, 900 s without) is about twice the file's
# time in the slowest make check known: on the debug kernel (KASAN,
# lockdep), itself two to three times the stock kernel's, with both cores
# of the host busy beside it (tests/syncookie.sh: over 30 minutes).  A busy
# machine passes as a quiet one does, only later.  LAB_TIMEOUT overrides
# them all.
failed=()
for t in "${SUITE[@]}"; do
	echo "=== VM: $t"
	start=$SECONDS
	limit=$(suite_field "$t" timeout 2>/dev/null)
	if ! bash tools/lab/run.sh "${extra[@]}" --timeout "${LAB_TIMEOUT:-${limit:-900}}" "$t"; then
		failed+=("$t")
	fi
	echo "=== VM: $t took $((SECONDS - start)) s"
done
echo "VM suite: $((${#SUITE[@]} - ${#failed[@]})) passed, ${#failed[@]} failed ${failed[*]:+(${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
