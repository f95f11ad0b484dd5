#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-debug: the VM suite on the lab's debug kernel (KASAN, UBSAN,
# kmemleak, lockdep, PROVE_RCU; tools/lab/debug-kernel.sh builds it once, in
# a quarter of an hour or more), with panic_on_warn=1: any report fails the
# run, and kmemleak is scanned at the end of each test file.
#   tests/check-debug.sh [TEST.sh...]     (default: all of tests/run-vm.sh)
set -eu
cd "$(dirname "$0")/.."
CACHE=${IPVS_EXT_CACHE:-/var/cache/ipvs-ext}

kernel=$(bash tools/lab/debug-kernel.sh)
# Our modules, built against the debug tree, outside the repository so the
# Debian build at the top stays as it is.
bld=$CACHE/debug-modules
rm -rf "$bld"
mkdir -p "$bld"
cp -r Kbuild ip_vs_*.c include "$bld/"
make -s -C "$kernel/build" M="$bld" modules

export IPVS_EXT_MODULES=$bld
export KERNEL=$kernel LAB_MEM=2048 LAB_APPEND="panic_on_warn=1 kmemleak=on"
bash tests/run-vm.sh "$@"
