#!/bin/bash
# Must PASS when run with IPVS_EXT_MODULES=tests/selftest/oops: modules from that directory are
# installed in /lib/modules/KV/extra, so modprobe finds them; both ipvsadm binaries are reachable.
set -eu
modinfo -F filename lab_oops | grep -q '/extra/lab_oops.ko$'
modprobe lab_oops mode=ok
grep -q '^lab_oops ' /proc/modules
modprobe -r lab_oops
echo "IPVSADM_STOCK=$IPVSADM_STOCK, ipvsadm on PATH: $(command -v ipvsadm)"
"$IPVSADM_STOCK" --version
