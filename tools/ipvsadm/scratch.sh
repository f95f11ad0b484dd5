#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Edit the ipvsadm patch series in a scratch git tree (tools/ipvsadm/scratch/,
# git-ignored), one commit per patch:
#
#   scratch.sh init      unpack the pristine tarball into scratch/, commit it
#                        (tagged "pristine") and apply patches/series on top,
#                        one commit per patch (git am)
#   scratch.sh refresh   regenerate patches/*.patch and patches/series from
#                        the commits on top of "pristine" (git format-patch)
#
# Work on a concern in scratch/: edit, "git commit --fixup=<commit>", then
# "GIT_SEQUENCE_EDITOR=true git rebase -i --autosquash pristine", then
# refresh.  The commit subject and body become the patch
# header (From/Subject/description); a patch keeps its file name from
# patches/series as long as the number of commits does not change.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
scratch=$here/scratch
cache=${IPVS_EXT_CACHE:-/var/cache/ipvs-ext}/ipvsadm
TARBALL=ipvsadm_1.31.orig.tar.gz

series() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$here/patches/series"
}

case "${1:-}" in
init)
	[ ! -e "$scratch" ] || {
		echo "scratch.sh: $scratch exists; remove it first" >&2
		exit 1
	}
	sh "$here/build.sh" fetch
	mkdir -p "$scratch"
	tar -xzf "$cache/$TARBALL" -C "$scratch" --strip-components=1 --no-same-owner
	cd "$scratch"
	git init -q
	git config user.name >/dev/null || git config user.name "ipvs-ext"
	git config user.email >/dev/null || git config user.email "ipvs-ext@localhost"
	printf '*.o\n*.a\n*.so\n/ipvsadm\n.make.log\n' >.git/info/exclude
	git add -A
	git commit -q -m "ipvsadm 1.31 (pristine $TARBALL)"
	git tag pristine
	for p in $(series); do
		git am -q --keep-cr "$here/patches/$p"
	done
	git log --oneline pristine..
	;;
refresh)
	cd "$scratch"
	n=$(git rev-list --count pristine..HEAD)
	old=$(series | wc -l)
	out=$(mktemp -d)
	git format-patch -q --zero-commit --no-signature --no-numbered \
		--no-renames -o "$out" pristine..HEAD
	if [ "$n" -eq "$old" ]; then
		names=$(series)
	else
		names=$(cd "$out" && ls)
		echo "scratch.sh: $old patches before, $n now: new file names" >&2
	fi
	rm -f "$here"/patches/*.patch
	: >"$here/patches/series.new"
	# shellcheck disable=SC2086 # one name per word
	set -- $names
	for f in $(cd "$out" && ls); do
		mv "$out/$f" "$here/patches/$1"
		echo "$1" >>"$here/patches/series.new"
		shift
	done
	mv "$here/patches/series.new" "$here/patches/series"
	rmdir "$out"
	cat "$here/patches/series"
	;;
*)
	echo "usage: scratch.sh init|refresh" >&2
	exit 1
	;;
esac
