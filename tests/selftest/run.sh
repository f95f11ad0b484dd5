#!/bin/bash
# Self-test of the QEMU lab (tools/lab/run.sh): runs guest scripts whose outcome is known and checks
# that the runner judges each one right: clean runs PASS; a failing script, a hang, an oops and a
# WARNING in the kernel log FAIL with the right reason and exit status.
#
# usage: tests/selftest/run.sh [CASE...]     (default: all cases; logs in a fresh /tmp directory)
set -euo pipefail

SELFTEST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SELFTEST/../.." && pwd)
LAB=$REPO/tools/lab/run.sh
G=tests/selftest/guest

passed=0
failed=0
logs=

# expect NAME: sets WANT_RC (exit status), WANT (regex for the verdict line), ENVS (for run.sh's
# environment) and ARGS (run.sh's arguments).
# shellcheck disable=SC2016 # args: a literal $c, to check quoting
expect() {
	ENVS=()
	case $1 in
	pass) WANT_RC=0 WANT="PASS .*" ARGS=("$G/pass.sh") ;;
	fail) WANT_RC=1 WANT="FAIL .* \(exit 1\)" ARGS=("$G/fail.sh") ;;
	hang) WANT_RC=124 WANT="FAIL .* \(timeout after 40s\)" ARGS=(--timeout 40 "$G/hang.sh") ;;
	oops) WANT_RC=1 WANT="FAIL .* \(kernel panic\)" ARGS=("$G/oops.sh") ;;
	warn) WANT_RC=1 WANT="FAIL .* \(kernel log has errors\)" ARGS=("$G/warn.sh") ;;
	ipvs) WANT_RC=0 WANT="PASS .*" ARGS=("$G/ipvs.sh") ;;
	modules) WANT_RC=0 WANT="PASS .*" ARGS=("$G/modules.sh") ENVS=(IPVS_EXT_MODULES="$SELFTEST/oops") ;;
	background) WANT_RC=0 WANT="PASS .*" ARGS=(--timeout 60 "$G/background.sh") ;;
	args) WANT_RC=0 WANT="PASS .*" ARGS=(--env 'LAB_SELFTEST=x y' "$G/args.sh" 'a b' '$c') ;;
	*) return 1 ;;
	esac
}
ALL_CASES=(pass fail hang oops warn ipvs modules background args)

build_oops_module() {
	make -s -C "$SELFTEST/oops" >/dev/null
}

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Run one case; its console and verdict go to $logs/NAME.log, its results to $logs/NAME/.
run_case() {
	local name=$1 rc=0 verdict t0 t1 extra=
	expect "$name" || { echo "unknown case $name" >&2; failed=$((failed + 1)); return 0; }
	t0=$(now)
	(cd "$REPO" && env "${ENVS[@]}" "$LAB" --out "$logs/$name" "${ARGS[@]}") >"$logs/$name.log" 2>&1 || rc=$?
	t1=$(now)
	verdict=$(grep -E '^LAB: (PASS|FAIL) ' "$logs/$name.log" | tail -n 1) || true
	# oops.sh touched oops-at (host time, via 9p) just before the oops: how fast pvpanic ends qemu.
	if [[ -f $logs/$name/oops-at ]]; then
		extra=", oops to runner exit $(secs "$(date -r "$logs/$name/oops-at" +%s.%N)" "$t1")s"
	fi
	if [[ $rc -eq $WANT_RC && $verdict =~ ^LAB:\ $WANT$ ]]; then
		passed=$((passed + 1))
		echo "ok   $name: rc $rc, $verdict ($(secs "$t0" "$t1")s$extra)"
	else
		failed=$((failed + 1))
		echo "FAIL $name: rc $rc (want $WANT_RC), '$verdict' (want /LAB: $WANT/); see $logs/$name.log"
	fi
	grep -h 'timing:' "$logs/$name.log" | sed 's/^LAB: /       /' || true
}

main() {
	local t0 c cases=("$@")
	t0=$(now)
	build_oops_module
	logs=$(mktemp -d /tmp/ipvs-lab-selftest.XXXXXX)
	echo "selftest logs in $logs"
	[[ ${#cases[@]} -gt 0 ]] || cases=("${ALL_CASES[@]}")
	for c in "${cases[@]}"; do
		run_case "$c"
	done
	echo "$passed passed, $failed failed ($(secs "$t0" "$(now)")s)"
	[[ $failed -eq 0 ]]
}

main "$@"
