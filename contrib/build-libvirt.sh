#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (and cache) libvirt 11.3.0 (Debian bookworm-backports' source) with
# the series in libvirt-patches/ applied: <interface type='vswitch'>, the
# way build-qemu.sh builds QEMU with qemu-patches/.
#
# Usage:
#   contrib/build-libvirt.sh               build, or reuse the cached build
#                                          for the current patches; last
#                                          stdout line = the meson build dir
#   contrib/build-libvirt.sh --print-path  print that build dir if the cached
#                                          build for the current key exists,
#                                          else exit 1
#   contrib/build-libvirt.sh --test        build (or reuse), then run the
#                                          test suites the series touches
#                                          (qemuxmlconftest, virschematest,
#                                          qemucapabilitiestest,
#                                          domaincapstest, qemuhotplugtest,
#                                          virt-aa-helper-test)
#   contrib/build-libvirt.sh --dev DIR     create a libvirt git tree at DIR:
#                                          pristine source tagged
#                                          vswitch-base, one commit per
#                                          patch, configured in DIR/build
#   contrib/build-libvirt.sh --regen DIR   rewrite the patch directory from
#                                          DIR with git format-patch
#                                          vswitch-base..HEAD
#
# Environment:
#   VSWITCH_CACHE_DIR   cache root (default ~/.cache/vswitch)
#   LIBVIRT_PATCH_DIR   the patch series (default: libvirt-patches/ of
#                       this repository)
#   JOBS                parallel build jobs (default: 2)
#
# Cache: $VSWITCH_CACHE_DIR/libvirt-11.3.0-<key>/ holds the git source tree
# and its build/ dir, libvirt-11.3.0-<key>.log the build log; the key hashes
# the tarball, the meson options and the patches. The two most recently
# used builds are kept.
#
# Source: the upstream tarball inside Debian's libvirt source package of
# bookworm-backports (11.3.0-2~bpo12+1); only the orig tarball is fetched
# and checked against its sha256.
set -eu
set -o pipefail

exec 3>&1 1>&2 4>&2

HERE=$(cd "$(dirname "$0")" && pwd -P)
CACHE=${VSWITCH_CACHE_DIR:-$HOME/.cache/vswitch}
PATCH_DIR=${LIBVIRT_PATCH_DIR:-$HERE/../libvirt-patches}
JOBS=${JOBS:-2}

LIBVIRT_VERSION=11.3.0
TARBALL=libvirt_${LIBVIRT_VERSION}.orig.tar.xz
TARBALL_SHA256=6bcb0c42c4580436fea262ced56f68a6afe20f7390b1bea2116718cc034a0283
SOURCE_PACKAGE=libvirt
SOURCE_ARGS=(-t bookworm-backports libvirt)
BUILD_REV=1

# Only what the QEMU driver, virsh and the tests need; every other driver,
# storage backend and optional library off, so the result does not depend
# on which -dev packages happen to be installed.  AppArmor on, as in
# Debian's build: virt-aa-helper learns the socket of a vswitch interface
# (its profiles are not installed).
# runstatedir: with the default prefix /usr/local the state is under
# /var/local and /usr/local/etc, but the run dir would be /run/libvirt,
# Debian's libvirt's; keep it apart.
MESON_OPTS=(
	-Drunstatedir=/var/local/run
	-Ddocs=disabled -Dnls=disabled -Dtests=enabled -Dexpensive_tests=disabled
	-Ddriver_qemu=enabled -Ddriver_libvirtd=enabled -Ddriver_remote=enabled
	-Ddriver_bhyve=disabled -Ddriver_esx=disabled -Ddriver_hyperv=disabled
	-Ddriver_interface=disabled -Ddriver_libxl=disabled -Ddriver_lxc=disabled
	-Ddriver_ch=disabled -Ddriver_network=disabled -Ddriver_openvz=disabled
	-Ddriver_test=disabled -Ddriver_vbox=disabled -Ddriver_vmware=disabled
	-Ddriver_vz=disabled -Ddriver_secrets=disabled
	-Dstorage_dir=disabled -Dstorage_disk=disabled -Dstorage_fs=disabled
	-Dstorage_gluster=disabled -Dstorage_iscsi=disabled
	-Dstorage_iscsi_direct=disabled -Dstorage_lvm=disabled
	-Dstorage_mpath=disabled -Dstorage_rbd=disabled -Dstorage_scsi=disabled
	-Dstorage_vstorage=disabled -Dstorage_zfs=disabled
	-Dwireshark_dissector=disabled -Dsanlock=disabled -Dglusterfs=disabled
	-Dapparmor=enabled -Dsecdriver_apparmor=enabled
	-Dapparmor_profiles=disabled
	-Dlibiscsi=disabled -Dlibssh=disabled -Dlibssh2=disabled -Dnss=disabled
	-Dpolkit=disabled -Dfirewalld=disabled -Dhost_validate=disabled
	-Dbash_completion=disabled -Dnbdkit=disabled
)

# The test suites the series touches (meson test names).
TESTS=(qemuxmlconftest virschematest qemucapabilitiestest domaincapstest
	qemuhotplugtest virt-aa-helper-test)

TOOL="build-libvirt"
BUILD_PREFIX=libvirt-$LIBVIRT_VERSION
# BASE_TAG, STAMP_NAME, KEEP_BUILDS, the git identity; log, die,
# fetch_tarball, patches, installed, prune_cache, dev_identity, mode_regen,
# on_exit
# shellcheck source=contrib/patched-build.sh
. "$HERE/patched-build.sh"

cache_key() {
	{
		echo "libvirt $LIBVIRT_VERSION $TARBALL_SHA256 rev $BUILD_REV"
		printf '%s\n' "${MESON_OPTS[@]}"
		echo "patches $(patches | xargs -r cat | sha256sum)"
	} | sha256sum | cut -c1-12
}

KEY=$(cache_key)
OUT=$CACHE/libvirt-$LIBVIRT_VERSION-$KEY
BUILD=$OUT/build
STAMP=$OUT/$STAMP_NAME

# --- Dependencies -----------------------------------------------------

# Debian packages the configuration above needs (bookworm; meson from
# bookworm-backports, which build-qemu.sh installs too).
DEPS=(gcc libc6-dev make ninja-build pkg-config git xz-utils meson
	libglib2.0-dev libgnutls28-dev libxml2-dev libxml2-utils xsltproc
	libjson-c-dev libtirpc-dev libnl-3-dev libnl-route-3-dev
	libcap-ng-dev libselinux1-dev libapparmor-dev python3-docutils)

ensure_deps() {
	local missing=() p
	for p in "${DEPS[@]}"; do installed "$p" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root to install them)"
	log "installing: ${missing[*]}"
	apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >&2
}

# --- Source -----------------------------------------------------------

prepare_tree() {
	local dir=$1 mode=${2:-} list
	mkdir -p "$dir"
	log "extracting $TARBALL into $dir"
	tar --no-same-owner --strip-components=1 -C "$dir" -xf "$TARBALL_PATH"
	git -C "$dir" init -q -b master
	git -C "$dir" add -A -f .
	# Upstream, subprojects/keycodemapdb is a git submodule: keep it
	# untracked, or syntax-check (which checks every tracked file)
	# fails on it.
	git -C "$dir" rm -r -q --cached subprojects/keycodemapdb
	echo "/subprojects/keycodemapdb/" >>"$dir/.git/info/exclude"
	git -C "$dir" commit -q -m "libvirt $LIBVIRT_VERSION ($TARBALL)" \
		-m "subprojects/keycodemapdb is left untracked: upstream it is a git submodule, and syntax-check checks every tracked file."
	git -C "$dir" tag "$BASE_TAG"
	list=$(patches)
	if [ -n "$list" ]; then
		log "applying $(echo "$list" | wc -l) patch(es) from $PATCH_DIR"
		# shellcheck disable=SC2086 # patch paths have no blanks
		if ! git -C "$dir" am -q -3 --committer-date-is-author-date $list; then
			if [ "$mode" = dev ]; then
				die "a patch does not apply (see above): fix it in $dir" \
				    "and git am --continue; then meson setup $dir/build" \
				    "${MESON_OPTS[*]}"
			fi
			git -C "$dir" am --abort || true
			die "a patch of $PATCH_DIR does not apply (see above)"
		fi
	else
		log "$PATCH_DIR is empty or missing: building stock libvirt"
	fi
}

configure_tree() {
	local dir=$1
	(cd "$dir" && nice -n 19 meson setup build "${MESON_OPTS[@]}")
}

# --- Modes ------------------------------------------------------------

mode_print_path() {
	[ -f "$STAMP" ] || exit 1
	echo "$BUILD" >&3
}

mode_build() {
	if [ -f "$STAMP" ]; then
		touch "$STAMP"
		echo "$BUILD" >&3
		return 0
	fi
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.build-libvirt.lock"
	flock -n 9 || { log "waiting for another build-libvirt.sh"; flock 9; }
	if [ -f "$STAMP" ]; then
		echo "$BUILD" >&3
		return 0
	fi
	if [ "$(id -u)" = 0 ]; then
		"$HERE/setup-apt.sh"	# the deb-src entry apt-get source needs
	fi
	ensure_deps
	fetch_tarball

	local start=$SECONDS
	LOG=$OUT.log
	rm -rf "$OUT"
	: >"$LOG"
	log "building into $OUT (log: $LOG)"
	prepare_tree "$OUT" >>"$LOG" 2>&1
	log "configuring"
	configure_tree "$OUT" >>"$LOG" 2>&1
	log "compiling (nice ninja -j$JOBS)"
	nice -n 19 ninja -C "$BUILD" -j"$JOBS" >>"$LOG" 2>&1
	{
		echo "key=$KEY"
		echo "build=$BUILD"
		echo "patches=$(patches | xargs -r -n1 basename | tr '\n' ' ')"
		echo "built=$(date -u +%FT%TZ) in $((SECONDS - start))s"
	} >"$STAMP"
	LOG=
	log "built in $((SECONDS - start))s"
	prune_cache
	echo "$BUILD" >&3
}

mode_test() {
	mode_build 3>/dev/null
	log "running: meson test ${TESTS[*]}"
	nice -n 19 meson test -C "$BUILD" --num-processes "$JOBS" \
		--print-errorlogs "${TESTS[@]}" >&2
	echo "$BUILD" >&3
}

mode_dev() {
	local dir=$1
	if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
		die "$dir exists and is not empty"
	fi
	ensure_deps
	fetch_tarball
	prepare_tree "$dir" dev
	dir=$(cd "$dir" && pwd -P)
	configure_tree "$dir"
	dev_identity "$dir"
	log "dev tree ready: $dir (base tag $BASE_TAG, build dir $dir/build)"
	log "build:  nice ninja -C $dir/build -j$JOBS"
	log "then:   $0 --regen $dir"
	echo "$dir" >&3
}

LOG=
trap on_exit EXIT

case "${1:-}" in
"") mode_build ;;
--print-path) mode_print_path ;;
--test) mode_test ;;
--dev) [ $# -eq 2 ] || die "usage: $0 --dev DIR"; mode_dev "$2" ;;
--regen) [ $# -eq 2 ] || die "usage: $0 --regen DIR"; mode_regen "$2" ;;
-h | --help) sed -n '3,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p}' "$0" ;;
*) die "unknown argument $1 (try --help)" ;;
esac
