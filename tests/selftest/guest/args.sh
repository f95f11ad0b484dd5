#!/bin/bash
# Must PASS when run as `args.sh 'a b' '$c'` with --env LAB_SELFTEST='x y': arguments and
# --env values reach the guest intact; the guest runs as root in the repository with the lab PATH.
set -eu
# shellcheck disable=SC2016 # a literal $c
[[ $# -eq 2 && $1 == 'a b' && $2 == '$c' ]] || { echo "bad args: $*"; exit 1; }
[[ ${LAB_SELFTEST:-} == 'x y' ]] || { echo "bad env: ${LAB_SELFTEST:-unset}"; exit 1; }
[[ $(id -u) -eq 0 && -f tools/lab/run.sh && -d /lib/modules/$(uname -r)/kernel ]]
[[ -e /dev/fd/0 && -d /sys/kernel/debug/tracing || -d /sys/kernel/tracing ]]
[[ $HOME == /root && :$PATH: == *:/usr/sbin:* ]]
ip -o link show lo | grep -q 'UP'
echo "selftest: args ok"
