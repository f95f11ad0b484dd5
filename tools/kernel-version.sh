#!/bin/sh
# The kernel version the lab boots and the modules build against: the one
# Debian's linux-headers-amd64 metapackage depends on (so both always match).
dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null | sed 's/[ ,(].*//')
[ -n "$dep" ] || { echo "kernel-version: linux-headers-amd64 is not installed (run tools/install-deps.sh)" >&2; exit 1; }
echo "${dep#linux-headers-}"
