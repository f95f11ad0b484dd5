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

failed=()
for t in "${SUITE[@]}"; do
	echo "=== VM: $t"
	if ! bash tools/lab/run.sh "${extra[@]}" --timeout "${LAB_TIMEOUT:-600}" "$t"; then
		failed+=("$t")
	fi
done
echo "VM suite: $((${#SUITE[@]} - ${#failed[@]})) passed, ${#failed[@]} failed ${failed[*]:+(${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
