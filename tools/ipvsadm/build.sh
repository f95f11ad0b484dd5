#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the patched ipvsadm: fetch Debian's pristine upstream tarball (once,
# into a cache), unpack it into tools/ipvsadm/build/, apply patches/series and
# build against libnl-genl-3.  The result is build/ipvsadm and build/ipvsadm.8.
#
#   build.sh            patched ipvsadm (the default)
#   build.sh hosttest   also the test binaries of test-cli.sh, in
#                       build/hosttest/: ipvsadm-patched and ipvsadm-stock
#                       (unpatched), both linked with test/hoststub.c,
#                       ext-selftest (test/ext-selftest.c) and list-fixture
#                       (test/list-fixture.c)
#   build.sh fetch      only fetch and verify the tarball
#
# Idempotent: the tree is unpacked afresh whenever the tarball, the series, a
# patch or the uapi header changed (see build/.ipvs-ext-stamp); otherwise only
# make runs.  Environment: IPVS_EXT_CACHE (default /var/cache/ipvs-ext), CC.
set -eu

TARBALL=ipvsadm_1.31.orig.tar.gz
SHA256=7276bcf214f31051188b2e44f11029e57303f37e54126e517000c1b2123a6d4e

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${IPVS_EXT_CACHE:-/var/cache/ipvs-ext}/ipvsadm
build=$here/build
uapi=$top/include/uapi
CC=${CC:-gcc}

# The upstream Makefiles set their own CFLAGS and must not inherit a caller's
# command-line variables (MAKEFLAGS) nor its job server: they are not
# parallel-safe.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL

die() {
	echo "ipvsadm build: $*" >&2
	exit 1
}

sha_ok() {
	[ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]
}

fetch() {
	sha_ok "$cache/$TARBALL" && return 0
	mkdir -p "$cache" || die "cannot create the cache directory $cache"
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	# apt-get exits 100 here: the archive lacks the Debian packaging tarball
	# (404), yet the .dsc and the orig tarball arrive.  Its status is
	# meaningless; the checksum below decides.
	(cd "$tmp" && apt-get source --download-only ipvsadm) >"$tmp/apt.log" 2>&1 || true
	if [ ! -f "$tmp/$TARBALL" ]; then
		sed 's/^/  /' "$tmp/apt.log" >&2
		rm -rf "$tmp"
		die "apt-get source --download-only ipvsadm did not deliver $TARBALL (deb-src entries configured? run tools/install-deps.sh)"
	fi
	if ! sha_ok "$tmp/$TARBALL"; then
		got=$(sha256sum "$tmp/$TARBALL" | cut -d' ' -f1)
		rm -rf "$tmp"
		die "$TARBALL has sha256 $got, expected $SHA256: refusing to build from it"
	fi
	mv "$tmp/$TARBALL" "$cache/$TARBALL"
	mv "$tmp"/*.dsc "$cache/" 2>/dev/null || true
	rm -rf "$tmp"
}

series() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$here/patches/series"
}

stamp() {
	{
		echo "$SHA256"
		series
		for p in $(series); do
			cat "$here/patches/$p"
		done
		cat "$uapi/linux/ip_vs_ext.h"
	} | sha256sum | cut -d' ' -f1
}

unpack() {	# unpack DIR: pristine tree in DIR
	rm -rf "$1"
	mkdir -p "$1"
	tar -xzf "$cache/$TARBALL" -C "$1" --strip-components=1 --no-same-owner ||
		die "cannot unpack $cache/$TARBALL"
}

upstream_make() {	# upstream_make DIR [VAR=value...]
	dir=$1
	shift
	make -j1 -C "$dir" CC="$CC" "$@" >"$dir/.make.log" 2>&1 || {
		cat "$dir/.make.log" >&2
		die "make in $dir failed"
	}
}

build_patched() {
	[ -f "$uapi/linux/ip_vs_ext.h" ] || die "missing $uapi/linux/ip_vs_ext.h"
	want=$(stamp)
	if [ ! -f "$build/.ipvs-ext-stamp" ] ||
	   [ "$(cat "$build/.ipvs-ext-stamp")" != "$want" ]; then
		echo "ipvsadm build: fresh unpack into $build"
		unpack "$build"
		for p in $(series); do
			[ -f "$here/patches/$p" ] || die "patches/series names a missing patch: $p"
			patch -d "$build" -p1 --batch --fuzz=0 --no-backup-if-mismatch \
				--silent <"$here/patches/$p" ||
				die "patch $p does not apply"
		done
		echo "$want" >"$build/.ipvs-ext-stamp.pending"
	fi
	upstream_make "$build" IPVS_EXT_INCLUDE="-I$uapi"
	[ -x "$build/ipvsadm" ] || die "no $build/ipvsadm after make"
	[ -f "$build/ipvsadm.8" ] || die "no $build/ipvsadm.8"
	if [ -f "$build/.ipvs-ext-stamp.pending" ]; then
		mv "$build/.ipvs-ext-stamp.pending" "$build/.ipvs-ext-stamp"
	fi
}

# Test binaries: the patched and the unpatched ipvsadm, relinked with
# test/hoststub.c so that they run on a host without IPVS (stock ipvsadm
# opens IPVS before it parses a single option) and never reach a kernel
# family (see the stub).
build_hosttest() {
	ht=$build/hosttest
	mkdir -p "$ht"
	if [ ! -f "$ht/stock/.ipvs-ext-stamp" ]; then
		unpack "$ht/stock"
		upstream_make "$ht/stock"
		echo "$SHA256" >"$ht/stock/.ipvs-ext-stamp"
	fi
	libs="-lpopt $(pkg-config --libs libnl-genl-3.0)"
	# shellcheck disable=SC2046
	$CC -Wall -Wextra -g $(pkg-config --cflags libnl-genl-3.0) \
		-c -o "$ht/hoststub.o" "$here/test/hoststub.c"
	# shellcheck disable=SC2046
	$CC -Wall -Wextra -g $(pkg-config --cflags libnl-genl-3.0) \
		-I"$build" -I"$uapi" -o "$ht/ext-selftest" \
		"$here/test/ext-selftest.c" $(pkg-config --libs libnl-genl-3.0)
	for v in stock patched; do
		if [ $v = stock ]; then
			src=$ht/stock
			out=$ht/list-fixture-stock
			def=-DFIXTURE_STOCK
			wrap=-Wl,--wrap=ipvs_get_services,--wrap=ipvs_get_dests
		else
			src=$build
			out=$ht/list-fixture
			def=
			wrap=-Wl,--wrap=ipvs_get_services,--wrap=ipvs_get_dests,--wrap=genl_ctrl_resolve
		fi
		# shellcheck disable=SC2046,SC2086
		$CC -Wall -g $(pkg-config --cflags libnl-genl-3.0) -I"$src" \
			-I"$uapi" -DVERSION=\"1.31\" -DSCHEDULERS=\"rr\" \
			-DPE_LIST=\"sip\" -DHAVE_NET_IP_VS_H $def -o "$out" \
			"$here/test/list-fixture.c" "$src/config_stream.o" \
			"$src/dynamic_array.o" "$src/libipvs/libipvs.a" $wrap $libs
	done
	wrap="-Wl,--wrap=ipvs_init,--wrap=genl_ctrl_resolve"
	for v in stock patched; do
		if [ $v = stock ]; then
			src=$ht/stock
		else
			src=$build
		fi
		# shellcheck disable=SC2086 # word splitting of $libs is wanted
		$CC -g -o "$ht/ipvsadm-$v" "$ht/hoststub.o" "$src"/*.o \
			"$src/libipvs/libipvs.a" $wrap $libs
	done
}

case "${1:-build}" in
fetch)
	fetch
	;;
build)
	fetch
	build_patched
	;;
hosttest)
	fetch
	build_patched
	build_hosttest
	;;
*)
	die "usage: build.sh [build|hosttest|fetch]"
	;;
esac
