#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (and cache) QEMU 10.0.2's qemu-system-x86_64 with the qemu-patches/ series applied.
#
# Usage:
#   contrib/build-qemu.sh               build, or reuse the cached build for the
#                                       current patches; last stdout line = path
#                                       of qemu-system-x86_64
#   contrib/build-qemu.sh --print-path  print that path if the cached build for
#                                       the current key exists, else exit 1
#   contrib/build-qemu.sh --install [PREFIX]
#                                       build or reuse the cached build, then
#                                       install it into $DESTDIR$PREFIX (default
#                                       /usr/local) with its firmware, loading
#                                       the libvswitch installed in that prefix
#                                       (meson install the project there first);
#                                       last stdout line = installed binary
#   contrib/build-qemu.sh --dev DIR     create a QEMU git tree at DIR: pristine
#                                       source tagged vswitch-base, one commit
#                                       per patch, configured in DIR/build
#   contrib/build-qemu.sh --regen DIR   rewrite qemu-patches/ from DIR with
#                                       git format-patch vswitch-base..HEAD
#
# Environment:
#   VSWITCH_CACHE_DIR  cache root (default ~/.cache/vswitch)
#   VSWITCH_BUILD_DIR  the project's meson build dir, whose meson-uninstalled/
#                      holds vswitch-uninstalled.pc (default <repo>/build)
#   DESTDIR            --install: staging directory prepended to PREFIX
#
# Cache: $VSWITCH_CACHE_DIR/qemu-10.0.2-<key>/ holds the git source tree and
# its build/ dir, qemu-10.0.2-<key>.log the build log; the key hashes the
# configure options, qemu-patches/*.patch, net-backend/include/vswitch/*.h
# and the project build dir whose libvswitch the binary loads.
# The two most recently used builds are kept. The QEMU finds its firmware
# (option ROMs built here, Debian's SeaBIOS and iPXE) without -L.
#
# An installed QEMU (--install) is relocatable: it finds its firmware in
# ../share/qemu and libvswitch through its RUNPATH $ORIGIN/../LIBDIR, so
# it works from any prefix, under a DESTDIR too, and for any user who can
# read the prefix (libvirt's QEMU user): nothing points into the cache.
#
# Source: the upstream tarball inside Debian's qemu source package of
# bookworm-backports (see net-backend/docs/design.md, "Pinned versions and
# sources").
set -eu
set -o pipefail

# Everything but the final result goes to stderr: keep stdout on fd 3,
# and stderr on fd 4 for messages while output goes to the build log.
exec 3>&1 1>&2 4>&2

REPO=$(cd "$(dirname "$0")/.." && pwd -P)
CACHE=${VSWITCH_CACHE_DIR:-$HOME/.cache/vswitch}
PATCH_DIR=$REPO/qemu-patches
HEADER_DIR=$REPO/net-backend/include/vswitch
PROJECT_BUILD=${VSWITCH_BUILD_DIR:-$REPO/build}

QEMU_VERSION=10.0.2
TARBALL=qemu_${QEMU_VERSION}+ds.orig.tar.xz
TARBALL_SHA256=0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1
SOURCE_PACKAGE=qemu
SOURCE_ARGS=(qemu/bookworm-backports)
# Part of the cache key: bump it when the build steps below change.
BUILD_REV=1

# Configure options (they are part of the cache key). Start from nothing
# (--without-default-features) so the result does not depend on which -dev
# packages happen to be installed, then enable what the tests use.
CONFIGURE_OPTS=(
	--target-list=x86_64-softmmu
	--disable-docs
	--disable-werror
	--disable-download        # offline: only what the tarball and Debian give
	--disable-install-blobs   # the +ds tarball has no firmware blobs
	--without-default-features
	--enable-kvm              # for contrib/kvm-probe.sh
	--enable-slirp            # -netdev user, a benchmark peer
	--enable-pixman           # display devices of the default machines
	--enable-vhost-kernel --enable-vhost-net --enable-vhost-user
	--python=/usr/bin/python3 # Debian's python sees Debian's meson/pycotap
)
# The backend is enabled only once the patch series adds its meson option.
if grep -qs "option('vswitch'" "$PATCH_DIR"/*.patch; then
	CONFIGURE_OPTS+=(--enable-vswitch)
fi

TOOL="build-qemu"
BUILD_PREFIX=qemu-$QEMU_VERSION
# BASE_TAG, STAMP_NAME, KEEP_BUILDS, the git identity; log, die,
# fetch_tarball, patches, installed, prune_cache, dev_identity, mode_regen,
# on_exit
# shellcheck source=contrib/patched-build.sh
. "$REPO/contrib/patched-build.sh"

# Cache key: QEMU version, configure options, patch series, backend headers.
cache_key() {
	{
		echo "qemu $QEMU_VERSION $TARBALL_SHA256 rev $BUILD_REV"
		printf '%s\n' "${CONFIGURE_OPTS[@]}"
		echo "patches $(patches | xargs -r cat | sha256sum)"
		if [ -d "$HEADER_DIR" ]; then
			echo "headers $(cat "$HEADER_DIR"/*.h 2>/dev/null | sha256sum)"
		fi
		# The binary finds libvswitch in this build dir (its RUNPATH):
		# each project build dir gets a QEMU of its own.
		case " ${CONFIGURE_OPTS[*]} " in
		*" --enable-vswitch "*) echo "libvswitch $(realpath -m "$PROJECT_BUILD")" ;;
		esac
	} | sha256sum | cut -c1-12
}

KEY=$(cache_key)
OUT=$CACHE/qemu-$QEMU_VERSION-$KEY
QEMU_BIN=$OUT/build/qemu-system-x86_64
STAMP=$OUT/$STAMP_NAME

# --- Dependencies -----------------------------------------------------

# Debian packages the build needs (found by trying on a minimal bookworm).
# gcc-multilib: configure builds the x86 option ROMs (linuxboot_dma.bin for
# -kernel, kvmvapic.bin, pvh.bin) only if "cc -m32 ... -lgcc" links.
# seabios and ipxe-qemu are not build deps but provide the firmware the
# +ds tarball lacks (see install_firmware).
DEPS=(gcc libc6-dev gcc-multilib make ninja-build pkg-config libglib2.0-dev
	libpixman-1-dev libslirp-dev python3-venv bzip2 xz-utils git
	seabios ipxe-qemu patchelf)
# From bookworm-backports: QEMU 10 wants meson >= 1.5.
BPO_DEPS=(meson python3-pycotap)

ensure_deps() {
	local missing=() bpo=() p
	for p in "${DEPS[@]}"; do installed "$p" || missing+=("$p"); done
	for p in "${BPO_DEPS[@]}"; do installed "$p" || bpo+=("$p"); done
	if installed meson && ! dpkg --compare-versions \
	    "$(dpkg-query -W -f='${Version}' meson)" ge 1.5; then
		bpo+=(meson)
	fi
	[ $((${#missing[@]} + ${#bpo[@]})) -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		die "missing packages: ${missing[*]} ${bpo[*]} (run as root to install them," \
		    "meson and python3-pycotap from bookworm-backports)"
	fi
	log "installing: ${missing[*]} ${bpo[*]}"
	apt-get update -q >&2
	if [ ${#missing[@]} -gt 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}" >&2
	fi
	if [ ${#bpo[@]} -gt 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends -t bookworm-backports "${bpo[@]}" >&2
	fi
}

# --- Source -----------------------------------------------------------

# Create a git tree at $1: pristine source committed and tagged
# $BASE_TAG, then one commit per patch of qemu-patches/. If a patch does
# not apply, $2 = dev leaves git am stopped there for the developer.
prepare_tree() {
	local dir=$1 mode=${2:-} f
	mkdir -p "$dir"
	log "extracting $TARBALL into $dir"
	# --no-same-owner: as root tar would keep the archive's owners, and
	# git then refuses the tree ("dubious ownership").
	tar --no-same-owner --strip-components=1 -C "$dir" -xf "$TARBALL_PATH"
	git -C "$dir" init -q -b master
	# -f: QEMU's .gitignore files cover some shipped paths (subprojects).
	git -C "$dir" add -A -f .
	git -C "$dir" commit -q -m "QEMU $QEMU_VERSION (${TARBALL})"
	git -C "$dir" tag "$BASE_TAG"
	# pc-bios/meson.build decompresses every EDK2 image when building an
	# x86 target; the +ds tarball has none. Valid but empty .bz2 files
	# satisfy it (guests boot with -kernel and SeaBIOS, not EDK2). They
	# are left untracked and ignored so they never end up in a patch.
	for f in aarch64-code arm-code arm-vars riscv-code riscv-vars \
	    i386-code i386-secure-code i386-vars x86_64-code \
	    x86_64-secure-code loongarch64-code loongarch64-vars; do
		bzip2 -c </dev/null >"$dir/pc-bios/edk2-$f.fd.bz2"
	done
	echo "/pc-bios/edk2-*.fd.bz2" >>"$dir/.git/info/exclude"
	local list
	list=$(patches)
	if [ -n "$list" ]; then
		log "applying $(echo "$list" | wc -l) patch(es) from qemu-patches/"
		# shellcheck disable=SC2086 # patch paths have no blanks
		if ! git -C "$dir" am -q -3 --committer-date-is-author-date $list; then
			if [ "$mode" = dev ]; then
				die "a patch does not apply (see above): fix it in $dir" \
				    "and git am --continue; configure with: mkdir" \
				    "$dir/build && cd $dir/build && ../configure" \
				    "${CONFIGURE_OPTS[*]}; then $0 --regen $dir"
			fi
			git -C "$dir" am --abort || true
			die "a patch of qemu-patches/ does not apply (see above)"
		fi
	else
		log "qemu-patches/ is empty or missing: building stock QEMU"
	fi
}

# pkg-config finds libvswitch in the project's build dir through the
# vswitch-uninstalled.pc meson writes there (pkg-config prefers
# NAME-uninstalled.pc). configure keeps PKG_CONFIG_PATH in config.status
# for later re-runs.
export PKG_CONFIG_PATH="$PROJECT_BUILD/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

# With --enable-vswitch, fail early and clearly if libvswitch is not built.
check_libvswitch() {
	case " ${CONFIGURE_OPTS[*]} " in
	*" --enable-vswitch "*)
		pkg-config --exists vswitch ||
			die "pkg-config finds no vswitch: build the project first" \
			    "(meson setup build && ninja -C build), or point" \
			    "VSWITCH_BUILD_DIR at its build dir (now $PROJECT_BUILD)"
		;;
	esac
}

# Configure $1 (source tree) into $1/build.
configure_tree() {
	local dir=$1
	mkdir -p "$dir/build"
	(cd "$dir/build" && nice -n 10 ../configure "${CONFIGURE_OPTS[@]}")
}

# The +ds tarball has no firmware. Build the option ROMs from source and
# link them, with Debian's SeaBIOS (bios-256k.bin, vgabios-*.bin) and iPXE
# (efi-*.rom, pxe-*.rom), into the data dir of build/qemu-bundle: a QEMU
# run from its build dir searches there, so it needs no -L option.
install_firmware() {
	local build=$1 datadir bundle f
	if [ -f "$build/pc-bios/optionrom/config.mak" ]; then
		nice -n 10 make -C "$build/pc-bios/optionrom"
	else
		log "warning: configure found no i386 compiler: no option ROMs" \
		    "(install gcc-multilib); -kernel will not boot"
	fi
	datadir=$(sed -n 's/^#define CONFIG_QEMU_DATADIR "\(.*\)"$/\1/p' "$build/config-host.h")
	[ -n "$datadir" ] || die "no CONFIG_QEMU_DATADIR in $build/config-host.h"
	bundle=$build/qemu-bundle$datadir
	mkdir -p "$bundle"
	for f in /usr/share/seabios/*.bin /usr/lib/ipxe/qemu/*.rom \
	    "$build"/pc-bios/optionrom/*.bin; do
		[ -f "$f" ] && ln -sfn "$f" "$bundle/"
	done
	[ -e "$bundle/bios-256k.bin" ] || die "no bios-256k.bin (install seabios)"
}

# --- Modes ------------------------------------------------------------

mode_print_path() {
	[ -f "$STAMP" ] && [ -x "$QEMU_BIN" ] || exit 1
	echo "$QEMU_BIN" >&3
}

mode_build() {
	# Fast path: a finished build for this key.
	if [ -f "$STAMP" ] && [ -x "$QEMU_BIN" ]; then
		touch "$STAMP"  # most recently used, for prune_cache
		echo "$QEMU_BIN" >&3
		return 0
	fi
	mkdir -p "$CACHE"
	# One build at a time (parallel test runs share the cache).
	exec 9>"$CACHE/.build-qemu.lock"
	flock -n 9 || { log "waiting for another build-qemu.sh"; flock 9; }
	if [ -f "$STAMP" ] && [ -x "$QEMU_BIN" ]; then
		echo "$QEMU_BIN" >&3
		return 0
	fi
	[ "$(id -u)" = 0 ] && "$REPO/contrib/setup-apt.sh"
	ensure_deps
	check_libvswitch
	fetch_tarball

	local start=$SECONDS
	LOG=$OUT.log
	rm -rf "$OUT"
	: >"$LOG"
	log "building into $OUT (log: $LOG)"
	prepare_tree "$OUT" >>"$LOG" 2>&1
	log "configuring: ${CONFIGURE_OPTS[*]}"
	configure_tree "$OUT" >>"$LOG" 2>&1
	install_firmware "$OUT/build" >>"$LOG" 2>&1
	# Only the emulator: qtests and other targets build on demand
	# (ninja -C $OUT/build tests/qtest/netdev-socket).
	log "compiling (nice ninja -j$(nproc) qemu-system-x86_64)"
	nice -n 10 ninja -C "$OUT/build" -j"$(nproc)" qemu-system-x86_64 >>"$LOG" 2>&1
	[ -x "$QEMU_BIN" ] || die "$QEMU_BIN was not built"
	{
		echo "key=$KEY"
		echo "qemu=$QEMU_BIN"
		echo "patches=$(patches | xargs -r -n1 basename | tr '\n' ' ')"
		echo "configure=${CONFIGURE_OPTS[*]}"
		echo "built=$(date -u +%FT%TZ) in $((SECONDS - start))s"
	} >"$STAMP"
	LOG=
	log "built in $((SECONDS - start))s"
	prune_cache
	echo "$QEMU_BIN" >&3
}

# The directory under $1 (a prefix, with DESTDIR) holding the installed
# libvswitch.so.0, as meson installs it: PREFIX/lib or PREFIX/lib/TRIPLET.
installed_libvswitch_dir() {
	local f

	for f in "$1"/lib/libvswitch.so.0 "$1"/lib*/libvswitch.so.0 \
	    "$1"/lib/*/libvswitch.so.0; do
		if [ -e "$f" ]; then
			dirname "$f"
			return 0
		fi
	done
	return 1
}

# Install the cached build with QEMU's own meson install into a staging
# directory, then copy it to $DESTDIR$prefix with the firmware of its
# qemu-bundle, and point its RUNPATH at the installed libvswitch.
mode_install() {
	local prefix=$1 root stage qprefix libdir rel meson f src
	case "$prefix" in
	/*) ;;
	*) die "--install: PREFIX must be an absolute path, not '$prefix'" ;;
	esac
	prefix=$(realpath -m "$prefix")
	root=${DESTDIR:-}$prefix
	libdir=$(installed_libvswitch_dir "$root") ||
		die "no libvswitch.so.0 under $root/lib*: install the project" \
		    "into the same prefix first (meson setup --prefix $prefix ...;" \
		    "meson install${DESTDIR:+ --destdir $DESTDIR})"
	command -v patchelf >/dev/null ||
		die "patchelf is missing (apt-get install patchelf)"
	mode_build 3>/dev/null
	exec 9>"$CACHE/.build-qemu.lock"
	flock -n 9 || { log "waiting for another build-qemu.sh"; flock 9; }
	# Everything meson installs must be built: the emulator is, the
	# trace events file is not yet.
	nice -n 10 ninja -C "$OUT/build" qemu-system-x86_64 trace/trace-events-all >&2
	meson=$OUT/build/pyvenv/bin/meson
	[ -x "$meson" ] || meson=meson
	qprefix=$("$meson" introspect --buildoptions "$OUT/build" |
		python3 -c 'import json, sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
	stage=$(mktemp -d "${TMPDIR:-/tmp}/build-qemu-install.XXXXXX")
	# shellcheck disable=SC2064 # expand now
	trap "rm -rf '$stage'; on_exit" EXIT
	"$meson" install -C "$OUT/build" --no-rebuild --quiet --destdir "$stage" >&2
	[ -x "$stage$qprefix/bin/qemu-system-x86_64" ] ||
		die "meson install put no bin/qemu-system-x86_64 under $stage$qprefix"
	# The firmware the build finds in qemu-bundle: Debian's stays a
	# link, what was built here is copied.
	mkdir -p "$stage$qprefix/share/qemu"
	for f in "$OUT/build/qemu-bundle$qprefix/share/qemu"/*; do
		[ -L "$f" ] || [ -f "$f" ] || continue
		src=$(readlink -f "$f")
		case "$src" in
		"$OUT"/*) cp "$src" "$stage$qprefix/share/qemu/" ;;
		*) cp -P "$f" "$stage$qprefix/share/qemu/" ;;
		esac
	done
	rel=$(realpath -m --relative-to="$root/bin" "$libdir")
	patchelf --set-rpath "\$ORIGIN/$rel" "$stage$qprefix/bin/qemu-system-x86_64"
	# Readable by every user (libvirt's QEMU), whatever the umask.
	chmod -R u=rwX,go=rX "$stage"
	mkdir -p "$root"
	cp -R -P --preserve=mode,timestamps "$stage$qprefix"/. "$root"/
	log "installed $root/bin/qemu-system-x86_64 (firmware in $root/share/qemu," \
	    "libvswitch from $libdir)"
	echo "$root/bin/qemu-system-x86_64" >&3
}

mode_dev() {
	local dir=$1
	if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
		die "$dir exists and is not empty"
	fi
	[ "$(id -u)" = 0 ] && "$REPO/contrib/setup-apt.sh"
	ensure_deps
	check_libvswitch
	fetch_tarball
	prepare_tree "$dir" dev
	dir=$(cd "$dir" && pwd -P)
	configure_tree "$dir"
	install_firmware "$dir/build"
	dev_identity "$dir"
	log "dev tree ready: $dir (base tag $BASE_TAG, build dir $dir/build)"
	log "build:  nice ninja -C $dir/build qemu-system-x86_64"
	log "then:   $0 --regen $dir"
	echo "$dir" >&3
}

LOG=
trap on_exit EXIT

case "${1:-}" in
"") mode_build ;;
--print-path) mode_print_path ;;
--install) [ $# -le 2 ] || die "usage: $0 --install [PREFIX]"; mode_install "${2:-/usr/local}" ;;
--dev) [ $# -eq 2 ] || die "usage: $0 --dev DIR"; mode_dev "$2" ;;
--regen) [ $# -eq 2 ] || die "usage: $0 --regen DIR"; mode_regen "$2" ;;
-h | --help) sed -n '3,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p}' "$0" ;;
*) die "unknown argument $1 (try --help)" ;;
esac
