# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# patched-build.sh - what build-qemu.sh and build-libvirt.sh share (sourced,
# not run): an upstream tarball in a git tree, a patch series on top, one
# cached build per cache key.
#
# The sourcing script sets, before it calls anything here:
#   TOOL         name in messages (build-qemu)
#   CACHE        cache root; builds are $CACHE/$BUILD_PREFIX-<key>
#   BUILD_PREFIX project and version (qemu-10.0.2)
#   PATCH_DIR    the patch series
#   OUT          this key's build dir (prune_cache() keeps it)
#   LOG          build log to show on failure, or empty
#   TARBALL, TARBALL_SHA256   the orig tarball and its sha256
#   SOURCE_PACKAGE            the Debian source package it comes from
#   SOURCE_ARGS               apt-get source's arguments selecting it
# and keeps stdout on fd 3 and stderr on fd 4, as both scripts do.

BASE_TAG=vswitch-base           # tag of the pristine tree in a --dev tree
STAMP_NAME=vswitch-build.stamp  # file in a build dir that marks it finished
KEEP_BUILDS=2                   # finished builds prune_cache() keeps

# Fixed identity and dates: git works without any user config and the
# pristine base commit gets the same hash on every machine.
export GIT_AUTHOR_NAME="vswitch build" GIT_AUTHOR_EMAIL="build@vswitch.invalid"
export GIT_COMMITTER_NAME="vswitch build" GIT_COMMITTER_EMAIL="build@vswitch.invalid"
export GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z"

log() { echo "$TOOL: $*"; }
die() { echo "$TOOL: error: $*" >&4; exit 1; }

# Download the orig tarball once into $CACHE/dist with apt-get source and
# check its sha256; set TARBALL_PATH.
fetch_tarball() {
	local dist=$CACHE/dist alog sum sandbox=()
	alog=$dist/apt-get-source-$SOURCE_PACKAGE.log
	mkdir -p "$dist"
	if [ ! -f "$dist/$TARBALL" ]; then
		log "fetching $TARBALL with apt-get source"
		# apt-get source also tries the .dsc and debian.tar.xz, which
		# 404 on the snapshot mirror: ignore its status, the tarball is
		# what we check. As root, apt drops to the _apt user, which
		# cannot write here.
		[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
		(cd "$dist" && apt-get source --download-only "${sandbox[@]}" \
			"${SOURCE_ARGS[@]}") >"$alog" 2>&1 || true
		if [ ! -f "$dist/$TARBALL" ] && [ "$(id -u)" = 0 ]; then
			# A deb-src entry setup-apt.sh has just added needs this.
			apt-get update -q >>"$alog" 2>&1 || true
			(cd "$dist" && apt-get source --download-only "${sandbox[@]}" \
				"${SOURCE_ARGS[@]}") >>"$alog" 2>&1 || true
		fi
		if [ ! -f "$dist/$TARBALL" ]; then
			cat "$alog"
			die "apt-get source did not fetch $TARBALL (is there a deb-src" \
			    "entry for bookworm-backports? run contrib/setup-apt.sh)"
		fi
		# Drop leftovers of the partial source download.
		rm -f "$dist/${SOURCE_PACKAGE}"_*.dsc "$dist/${SOURCE_PACKAGE}"_*.debian.tar.*
	fi
	sum=$(sha256sum "$dist/$TARBALL" | cut -d' ' -f1)
	if [ "$sum" != "$TARBALL_SHA256" ]; then
		rm -f "$dist/$TARBALL"
		die "$TARBALL: sha256 $sum, expected $TARBALL_SHA256 (file removed)"
	fi
	# shellcheck disable=SC2034 # prepare_tree() of the sourcing script
	TARBALL_PATH=$dist/$TARBALL
}

# The patch files, in the order git am applies them.
patches() {
	local p
	for p in "$PATCH_DIR"/*.patch; do
		[ -f "$p" ] && echo "$p"
	done
	return 0
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Keep the $KEEP_BUILDS most recently used builds (stamp mtime); remove the
# others and any unfinished build left by an interrupted run. Called with
# the lock held, so no other build is in progress.
prune_cache() {
	local d
	for d in "$CACHE/$BUILD_PREFIX"-????????????; do
		[ -d "$d" ] || continue
		if [ ! -f "$d/$STAMP_NAME" ] && [ "$d" != "$OUT" ]; then
			log "removing unfinished build $d"
			rm -rf "$d" "$d.log"
		fi
	done
	# shellcheck disable=SC2012 # names are ours: no blanks
	ls -1t "$CACHE/$BUILD_PREFIX"-????????????/"$STAMP_NAME" 2>/dev/null |
		tail -n +$((KEEP_BUILDS + 1)) | while read -r d; do
			d=${d%/"$STAMP_NAME"}
			[ "$d" = "$OUT" ] && continue
			log "removing old build $d"
			rm -rf "$d" "$d.log"
		done
}

# A --dev tree: the developer's own commits need an identity if git has none.
dev_identity() {
	local dir=$1
	git -C "$dir" config user.email >/dev/null ||
		git -C "$dir" config user.email "$GIT_AUTHOR_EMAIL"
	git -C "$dir" config user.name >/dev/null ||
		git -C "$dir" config user.name "$GIT_AUTHOR_NAME"
}

# --regen DIR: rewrite $PATCH_DIR from DIR's commits since $BASE_TAG.
mode_regen() {
	local dir=$1 n
	git -C "$dir" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
		die "$dir: no tag $BASE_TAG (create the tree with --dev)"
	if [ -n "$(git -C "$dir" status --porcelain --untracked-files=no)" ]; then
		log "warning: $dir has uncommitted changes; they are not exported"
	fi
	n=$(git -C "$dir" rev-list --count "$BASE_TAG..HEAD")
	mkdir -p "$PATCH_DIR"
	rm -f "$PATCH_DIR"/*.patch
	if [ "$n" -gt 0 ]; then
		# --zero-commit / --no-signature: no churn when the series is
		# regenerated without changes.
		git -C "$dir" format-patch -q --zero-commit --no-signature \
			-o "$PATCH_DIR" "$BASE_TAG..HEAD"
	fi
	log "wrote $n patch(es) to $PATCH_DIR"
	echo "$PATCH_DIR" >&3
}

# On failure, show the end of the build log.
on_exit() {
	local rc=$?
	if [ "$rc" != 0 ] && [ -n "$LOG" ] && [ -f "$LOG" ]; then
		echo "$TOOL: failed; last lines of $LOG:" >&4
		tail -n 40 "$LOG" >&4
	fi
}
