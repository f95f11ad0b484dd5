#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything, in order of cost; non-zero if anything failed.
#   unit tests -> short libFuzzer run -> module build (W=1, sparse) -> style -> patched ipvsadm
#   (build + CLI test) -> lab harness self-test -> VM suite -> packet-path
#   suites on the debug kernel
set -u
cd "$(dirname "$0")/.."

results=()
status=0

step() {
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		results+=("PASS $name")
	else
		results+=("FAIL $name")
		status=1
	fi
}

# A build step fails on any compiler or sparse warning, not only on errors.
build_clean() {
	local log
	log=$(mktemp)
	make clean >/dev/null 2>&1
	make W=1 C=2 modules 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] || grep -E 'warning:|error:' "$log" | grep -v '^make' >/dev/null; then
		echo "build: warnings or errors (see above)"
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
}

step "unit tests" make -s unit
step "fuzz (short run)" make -s -C tests/fuzz run RUNS=300000
step "module build (W=1, sparse)" build_clean
step "checkpatch --strict" make -s style
step "patched ipvsadm" make -s ipvsadm
step "ipvsadm CLI" bash tools/ipvsadm/test-cli.sh
step "lab self-test" bash tests/selftest/run.sh
step "VM suite" bash tests/run-vm.sh
# The packet-path suites again on the debug kernel (KASAN, lockdep, kmemleak):
# about 14 minutes, plus about 17 to build the kernel once on a fresh machine.
# The full debug lane (make check-debug) is run before resolving kernel work.
step "debug lane (syncookie, faults, reap)" \
	bash tests/check-debug.sh tests/syncookie.sh tests/faults.sh tests/reap.sh

echo
printf '%s\n' "${results[@]}"
pass=$(printf '%s\n' "${results[@]}" | grep -c '^PASS')
echo "check: $pass passed, $((${#results[@]} - pass)) failed"
exit $status
