#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM suite: each test file in a fresh lab guest (tools/lab/run.sh), which
# also fails a run on a kernel oops, warning or hang.  Usage:
#   tests/run-vm.sh [TEST.sh...]     (default: all)
set -u
cd "$(dirname "$0")/.."

SUITE=(tests/modules.sh tests/netlink.sh tests/ipvsadm.sh tests/persist.sh tests/reap.sh tests/syncookie.sh tests/faults.sh tests/stress.sh)
[ $# -gt 0 ] && SUITE=("$@")

# check-debug passes the kernel (KERNEL, read by run.sh), memory and
# command line through the environment.
extra=()
[ -n "${LAB_MEM:-}" ] && extra+=(--mem "$LAB_MEM")
[ -n "${LAB_APPEND:-}" ] && extra+=(--append "$LAB_APPEND")

# Timeouts detect hangs; they are not speed requirements.  Each is about
# four times the file's time on the debug kernel (KASAN, lockdep) on two
# cores, itself two to three times the stock kernel's: a busy machine
# passes as a quiet one does, only later.  LAB_TIMEOUT overrides them all.
declare -A TIMEOUT=([tests/persist.sh]=1200 [tests/reap.sh]=1800 [tests/syncookie.sh]=1800
	[tests/faults.sh]=1200 [tests/stress.sh]=3600)

failed=()
for t in "${SUITE[@]}"; do
	echo "=== VM: $t"
	start=$SECONDS
	if ! bash tools/lab/run.sh "${extra[@]}" --timeout "${LAB_TIMEOUT:-${TIMEOUT[$t]:-900}}" "$t"; then
		failed+=("$t")
	fi
	echo "=== VM: $t took $((SECONDS - start)) s"
done
echo "VM suite: $((${#SUITE[@]} - ${#failed[@]})) passed, ${#failed[@]} failed ${failed[*]:+(${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
