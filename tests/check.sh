#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything, in order of cost; non-zero if anything failed.
#   unit tests -> short libFuzzer run -> module build (W=1, sparse) -> style -> patched ipvsadm
#   (build + CLI test) -> lab harness self-test -> VM suite -> netlink suite
#   from a 0700 home directory -> packet-path suites on the debug kernel
set -u
cd "$(dirname "$0")/.."

results=()
status=0

step() {
	local name=$1 start=$SECONDS
	shift
	echo "=== $name"
	if "$@"; then
		results+=("PASS $name ($((SECONDS - start)) s)")
	else
		results+=("FAIL $name ($((SECONDS - start)) s)")
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
# A checkout in a home directory of mode 0700 (root's): whatever an
# unprivileged user runs in the guest must not come from it.
home_checkout() {
	local home rc
	home=$(mktemp -d /root/ipvs-ext-home.XXXXXX)
	chmod 0700 "$home"
	cp -a . "$home/project"
	bash "$home/project/tools/lab/run.sh" --timeout 600 "$home/project/tests/netlink.sh"
	rc=$?
	rm -rf "$home"
	return $rc
}

step "lab self-test" bash tests/selftest/run.sh
step "VM suite" bash tests/run-vm.sh
step "netlink.sh from a checkout under /root" home_checkout
# The packet-path suites again on the debug kernel (KASAN, lockdep, kmemleak):
# the kernel is built once (tools/lab/debug-kernel.sh) and cached.  They are
# the files with debug= on their vm-suite line (tests/run-vm.sh).
mapfile -t lane < <(bash tests/run-vm.sh --list debug)
names=$(printf '%s, ' "${lane[@]##*/}")
names=${names//.sh/}
if [ ${#lane[@]} -gt 0 ]; then
	step "debug lane (${names%, })" bash tests/check-debug.sh "${lane[@]}"
else
	# check-debug.sh without files would run them all
	results+=("FAIL debug lane: no test file has debug= on its vm-suite line")
	status=1
fi

echo
printf '%s\n' "${results[@]}"
pass=$(printf '%s\n' "${results[@]}" | grep -c '^PASS')
echo "check: $pass passed, $((${#results[@]} - pass)) failed"
exit $status
