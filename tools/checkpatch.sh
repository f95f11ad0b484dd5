#!/bin/sh
# Run the kernel's checkpatch.pl --strict on our kernel sources.  The script
# comes from Debian's linux-source-6.1 (extracted once into the cache).
set -eu
cache=${IPVS_EXT_CACHE:-/var/cache/ipvs-ext}/checkpatch
if [ ! -f "$cache/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null) ||
		{ echo "checkpatch: linux-source-6.1 is not installed (run tools/install-deps.sh)" >&2; exit 1; }
	mkdir -p "$cache"
	top=$(tar -tJf "$tarball" | head -1 | cut -d/ -f1)
	tar -xJf "$tarball" -C "$cache" --strip-components=2 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi
exec perl "$cache/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "$@"
