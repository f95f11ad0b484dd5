#!/bin/bash
# Build (once, cached) the lab's debug kernel from Debian's linux-source-6.1:
# allnoconfig + tests/debug-kernel.config (KASAN, UBSAN, kmemleak, lockdep,
# PROVE_RCU, ...).  Cached under $CACHE/debug-kernel-<source>-<fragment hash>;
# prints the directory, which holds vmlinuz, lib/modules/<KV> (for
# tools/lab/run.sh --kernel) and build/ (KDIR for our modules).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${IPVS_EXT_CACHE:-/var/cache/ipvs-ext}
TARBALL=/usr/src/linux-source-6.1.tar.xz
FRAG=$REPO/tests/debug-kernel.config

[ -f "$TARBALL" ] || { echo "debug-kernel: $TARBALL missing (tools/install-deps.sh)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { echo "$srcver"; cat "$FRAG"; } | sha256sum | cut -c1-12)
out=$CACHE/debug-kernel-$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
echo "debug-kernel: building linux-source $srcver with $(basename "$FRAG") in $out (a quarter of an hour or more)" >&2
tar -xJf "$TARBALL" -C "$out"
mv "$out"/linux-source-6.1 "$out/build"
cd "$out/build"
make -s allnoconfig >&2
scripts/kconfig/merge_config.sh -m .config "$FRAG" >&2
make -s olddefconfig >&2
# every line of the fragment must have survived olddefconfig
missing=$(grep '^CONFIG_' "$FRAG" | while read -r l; do
	case $l in *=n) grep -q "^# ${l%%=*} is not set" .config || grep -qx "$l" .config || echo "$l" ;;
	*) grep -qx "$l" .config || echo "$l" ;; esac
done)
[ -z "$missing" ] || echo "debug-kernel: not in the final config: $missing" >&2
make -s -j"$(($(nproc) + 1))" bzImage modules >&2
make -s INSTALL_MOD_PATH="$out" modules_install >&2
cp arch/x86/boot/bzImage "$out/vmlinuz"
touch "$out/.done"
echo "$out"
