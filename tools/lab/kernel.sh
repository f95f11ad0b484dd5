#!/bin/bash
# Prepare a guest kernel and its lab initramfs for tools/lab/run.sh.
#
#   kernel.sh                  Debian kernel matching linux-headers-amd64 (downloaded, cached)
#   kernel.sh --kernel DIR     a kernel you built: DIR holds vmlinuz (or bzImage) + lib/modules/KV
#   kernel.sh --kv             only print KV of the Debian kernel the headers are for
#
# Prints KEY=VALUE lines on stdout (KDIR, KV, VMLINUZ, MODDIR, INITRD); progress goes to stderr.
#
# The Debian image is never installed on the host (its postinst pulls udev/initramfs-tools):
# `apt-get download` + `dpkg -x` into ${IPVS_EXT_CACHE:-/var/cache/ipvs-ext}/kernel-$KV/.
# The initramfs only loads what is needed to reach the host root over virtio-9p (plus pvpanic so a
# guest panic ends qemu at once); it is cached under the content hash of everything put into it.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${IPVS_EXT_CACHE:-/var/cache/ipvs-ext}
# Loaded in the initramfs, in this order (dependencies are resolved from modules.dep). Modules the
# kernel has built in (a custom debug kernel usually has) are skipped.
INITRAMFS_MODULES=(virtio_pci 9pnet_virtio 9p overlay pvpanic_pci)

log() { echo "kernel.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# KV of the kernel the installed headers are for: linux-headers-amd64 depends on
# linux-headers-<KV> (= <debian version>).
debian_kv() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64) ||
		die "linux-headers-amd64 is not installed (run tools/install-deps.sh)"
	dep=${dep%% *}
	dep=${dep%%,*}
	[[ $dep == linux-headers-* ]] || die "cannot parse linux-headers-amd64 Depends: $dep"
	echo "${dep#linux-headers-}"
}

# Download and unpack linux-image-$KV into $CACHE/kernel-$KV (once; concurrent callers serialise on
# a lock and the tree is renamed into place only when complete).
fetch_debian_kernel() {
	local kv=$1 dest=$CACHE/kernel-$1 tmp pkg
	[[ -e $dest/.complete ]] && return 0
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.kernel-$kv.lock"
	flock 9
	if [[ ! -e $dest/.complete ]]; then
		tmp=$(mktemp -d "$CACHE/.kernel-$kv.XXXXXX")
		log "downloading linux-image-$kv into $CACHE"
		for pkg in "linux-image-$kv" "linux-image-$kv-unsigned"; do
			# apt drops privileges to _apt for the download; let it write there.
			chmod 0777 "$tmp"
			(cd "$tmp" && apt-get download -q "$pkg" >&2) && break
			pkg=
		done
		[[ -n $pkg ]] || die "apt-get download linux-image-$kv failed"
		chmod 0755 "$tmp"
		dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/tree"
		rm -f "$tmp"/*.deb
		depmod -b "$tmp/tree" "$kv"
		ln -s "boot/vmlinuz-$kv" "$tmp/tree/vmlinuz"
		touch "$tmp/tree/.complete"
		rm -rf "$dest"
		mv "$tmp/tree" "$dest"
		rmdir "$tmp"
	fi
	exec 9>&-
}

# The kernel image inside a kernel directory: Debian layout, `make install` layout or a build tree.
find_vmlinuz() {
	local kdir=$1 f
	for f in "$kdir/vmlinuz" "$kdir/bzImage" "$kdir/arch/x86/boot/bzImage" "$kdir"/boot/vmlinuz-*; do
		[[ -f $f ]] && { echo "$f"; return 0; }
	done
	die "no vmlinuz/bzImage in $kdir"
}

# KV of a kernel directory: the single lib/modules/<KV> in it.
find_kv() {
	local kdir=$1 d kvs=()
	for d in "$kdir"/lib/modules/*/; do
		[[ -d $d ]] && kvs+=("$(basename "$d")")
	done
	[[ ${#kvs[@]} -eq 1 ]] || die "expected exactly one lib/modules/<KV> in $kdir, found ${#kvs[@]}"
	echo "${kvs[0]}"
}

# Print the module files (paths relative to MODDIR) to load for the given module names, each after
# its dependencies. modules.dep lists a module's dependencies so that loading them last-to-first works.
resolve_modules() {
	local moddir=$1
	shift
	awk -v want="$*" '
		function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.(xz|zst|gz))?$/, "", p); gsub(/-/, "_", p); return p }
		function load(m,   n, i, d) {
			if (m in done) return
			done[m] = 1
			n = split(deps[m], d, " ")
			for (i = n; i >= 1; i--) load(d[i])
			print m
		}
		{ m = $1; sub(/:$/, "", m); byname[base(m)] = m; $1 = ""; deps[m] = $0 }
		END {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) {
				x = w[i]; gsub(/-/, "_", x)
				if (x in byname) load(byname[x]); else print "?" x
			}
		}' "$moddir/modules.dep"
}

# Copy a module into the initramfs, decompressed: busybox insmod does not handle every compression.
copy_module() {
	local src=$1 dst=$2
	case $src in
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
}

# Build (or reuse) the initramfs for a kernel; prints its path.
build_initramfs() {
	local moddir=$1 kv=$2 busybox mods=() m key out stage i=0
	busybox=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
	[[ $(ldd "$busybox" 2>&1) == *"not a dynamic executable"* ]] ||
		die "$busybox is not static (apt-get install busybox-static)"
	if [[ -f $moddir/modules.dep ]]; then
		while read -r m; do
			if [[ $m == \?* ]]; then
				# Not a module: fine if built in; say so otherwise (the boot will then tell).
				sed 's/-/_/g' "$moddir/modules.builtin" 2>/dev/null | grep -q "/${m#\?}\.ko\$" ||
					log "warning: ${m#\?} is neither a module nor listed in modules.builtin; assuming built in"
				continue
			fi
			mods+=("$m")
		done < <(resolve_modules "$moddir" "${INITRAMFS_MODULES[@]}")
	fi
	key=$( {
		echo "$kv"
		cat "$busybox" "$LAB_DIR/initramfs-init"
		for m in "${mods[@]}"; do echo "$m"; cat "$moddir/$m"; done
	} | sha256sum | cut -c1-16)
	out=$CACHE/initramfs/lab-$kv-$key.cpio.gz
	if [[ ! -f $out ]]; then
		log "building $out"
		mkdir -p "$CACHE/initramfs"
		stage=$(mktemp -d "$CACHE/initramfs/.stage.XXXXXX")
		mkdir -p "$stage"/{bin,dev,proc,sys,tmp,run,lower,upper,newroot,lib/lab-modules}
		cp "$busybox" "$stage/bin/busybox"
		cp "$LAB_DIR/initramfs-init" "$stage/init"
		chmod 0755 "$stage/init"
		# The kernel opens /dev/console for init's stdio before init runs; without the node init
		# would start with no stdio (it reopens the console after mounting devtmpfs anyway).
		mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true
		for m in "${mods[@]}"; do
			i=$((i + 1))
			local name
			name=$(printf '%02d-%s' "$i" "$(basename "${m%.ko*}").ko")
			copy_module "$moddir/$m" "$stage/lib/lab-modules/$name"
			echo "$name" >>"$stage/lib/lab-modules/order"
		done
		touch "$stage/lib/lab-modules/order"
		(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1) >"$stage.cpio.gz"
		mv "$stage.cpio.gz" "$out"
		rm -rf "$stage"
		# One per kernel build and lab change: drop those nobody used for a month.
		find "$CACHE/initramfs" -name 'lab-*.cpio.gz' -mtime +30 -delete
	fi
	touch "$out"
	echo "$out"
}

main() {
	local kdir='' kv vmlinuz moddir initrd
	while [[ $# -gt 0 ]]; do
		case $1 in
		--kernel) kdir=${2:?--kernel needs a directory}; shift 2 ;;
		--kv) debian_kv; return 0 ;;
		-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; return 0 ;;
		*) die "unknown argument: $1" ;;
		esac
	done
	if [[ -z $kdir ]]; then
		kv=$(debian_kv)
		fetch_debian_kernel "$kv"
		kdir=$CACHE/kernel-$kv
	else
		kdir=$(cd "$kdir" && pwd) || die "no such kernel directory"
		kv=$(find_kv "$kdir")
	fi
	vmlinuz=$(find_vmlinuz "$kdir")
	moddir=$kdir/lib/modules/$kv
	[[ -f $moddir/modules.dep ]] || depmod -b "$kdir" "$kv" ||
		die "no modules.dep in $moddir and depmod failed"
	initrd=$(build_initramfs "$moddir" "$kv")
	printf 'KDIR=%s\nKV=%s\nVMLINUZ=%s\nMODDIR=%s\nINITRD=%s\n' "$kdir" "$kv" "$vmlinuz" "$moddir" "$initrd"
}

main "$@"
