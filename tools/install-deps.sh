#!/bin/sh
# Install everything ipvs-ext needs on a fresh (minbase) Debian 12 machine, as root.
# Used by the README, by .ci/run and by developers; safe to run again.
set -eu

export DEBIAN_FRONTEND=noninteractive

apt_get() {
	apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "$@"
}

# apt-get source needs deb-src entries; add them for the Debian suites already configured,
# with the same options (Signed-By must agree between deb and deb-src of one source).
add_deb_src() {
	if grep -rqsE '^[[:space:]]*deb-src|^Types:.*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		grep -q 'debian' "$f" || continue
		sed 's/^Types:.*/Types: deb-src/' "$f" >"/etc/apt/sources.list.d/ipvs-ext-src-$(basename "$f")"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		grep -E '^[[:space:]]*deb[[:space:]].*debian' "$f" |
			sed 's/^[[:space:]]*deb[[:space:]]/deb-src /'
	done >/etc/apt/sources.list.d/ipvs-ext-src.list
}

add_deb_src
apt_get update

# Build: compiler, kernel headers matching the guest kernel, sparse, checkpatch (linux-source).
# Lab: qemu (TCG), busybox-static for the initramfs, kmod for depmod/insmod, cpio.
# Tests: iproute2, iptables, ipvsadm (stock, for comparison), hping3, curl, iperf3, python3, cmocka,
# clang + libclang-rt (libFuzzer). Benchmarks: gdb (structure sizes from debug info).
# ipvsadm build: libnl, popt, dpkg-dev (apt-get source).
apt_get install \
	ca-certificates git make gcc libc6-dev bc flex bison libelf-dev pkg-config \
	linux-headers-amd64 linux-source-6.1 sparse perl \
	qemu-system-x86 busybox-static kmod cpio xz-utils zstd \
	iproute2 iptables ipvsadm hping3 curl wrk apache2-utils iperf3 python3 procps psmisc ethtool \
	stress-ng \
	libcmocka-dev libnl-3-dev libnl-genl-3-dev libpopt-dev dpkg-dev patch \
	clang libclang-rt-14-dev gdb \
	dkms

echo "ipvs-ext: dependencies installed"
