#!/bin/bash
# Must FAIL although it exits 0: the WARNING in the kernel log fails the run.
set -eu
insmod tests/selftest/oops/lab_oops.ko mode=warn
rmmod lab_oops
echo "selftest: warned and exiting 0"
