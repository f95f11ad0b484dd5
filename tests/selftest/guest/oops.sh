#!/bin/bash
# Must FAIL (kernel panic): an oops panics (oops=panic) and pvpanic ends qemu at once.
# The marker's mtime is host time (made by the 9p server): the self-test measures oops-to-exit with it.
set -eu
: >"$LAB_RESULTS/oops-at"
insmod tests/selftest/oops/lab_oops.ko
echo "selftest: survived the oops?!"
