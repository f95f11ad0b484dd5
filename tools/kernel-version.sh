#!/bin/sh
# The kernel version to build for.  On a director: the running kernel, when
# its headers are installed.  Otherwise (this lab host runs a kernel without
# modules): the version Debian's linux-headers-amd64 depends on, which is
# also the kernel the lab guest boots, so modules and guest always match.
kv=$(uname -r)
if [ -d "/lib/modules/$kv/build" ] && [ -z "${IPVS_EXT_LAB:-}" ]; then
	echo "$kv"
	exit 0
fi
dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null | sed 's/[ ,(].*//')
[ -n "$dep" ] || { echo "kernel-version: no headers for $kv and linux-headers-amd64 is not installed (run tools/install-deps.sh)" >&2; exit 1; }
echo "${dep#linux-headers-}"
