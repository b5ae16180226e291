#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages vswitch needs to build, test and run (as root).
#
# Usage: contrib/install-deps.sh
# Adds bookworm-backports (for meson >= 1.5, which QEMU 10 needs) through
# contrib/setup-apt.sh, then installs what is missing.  Idempotent.
set -eu

[ "$(id -u)" = 0 ] || { echo "install-deps.sh: run as root" >&2; exit 1; }
REPO=$(cd "$(dirname "$0")/.." && pwd -P)

# Build: the project and the patched QEMU (contrib/build-qemu.sh).
PKGS="gcc libc6-dev make ninja-build pkg-config git
	libglib2.0-dev libjson-glib-dev libslirp-dev libcap-ng-dev libseccomp-dev libnl-route-3-dev
	gcc-multilib libpixman-1-dev python3 python3-venv bzip2 xz-utils
	seabios ipxe-qemu"
# Tests and benchmarks: namespaces, peers to compare with, tools.
PKGS="$PKGS iproute2 iputils-ping socat iperf3 jq busybox-static vde2 libvdeplug-dev
	ethtool slirp4netns passt
	clang libclang-rt-14-dev systemd groff-base man-db
	apparmor patchelf"
# From bookworm-backports, with what they need.
BPO_PKGS="meson python3-pycotap"
# From bookworm-backports, their dependencies from bookworm where it has
# them (-t would also move systemd to backports): libvirt 11 for
# tests/vm/test-libvirt.py; the QEMU driver brings the user libvirt-qemu.
LIBVIRT_PKGS="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
bpo_missing=
for p in $BPO_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		bpo_missing="$bpo_missing $p"
done
libvirt_missing=
for p in $LIBVIRT_PKGS; do
	dpkg --compare-versions "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null)" ge 11 ||
		libvirt_missing="$libvirt_missing $p/bookworm-backports"
done
if dpkg-query -W -f='${Version}' meson 2>/dev/null | grep -q . &&
   ! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' meson)" ge 1.5; then
	bpo_missing="$bpo_missing meson"
fi
[ -z "$missing$bpo_missing$libvirt_missing" ] && exit 0

"$REPO/contrib/setup-apt.sh"
apt-get update -q
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # word lists
[ -z "$missing" ] || apt-get install -y -q --no-install-recommends $missing
# shellcheck disable=SC2086
[ -z "$bpo_missing" ] || apt-get install -y -q --no-install-recommends \
	-t bookworm-backports $bpo_missing
# shellcheck disable=SC2086
[ -z "$libvirt_missing" ] || apt-get install -y -q --no-install-recommends $libvirt_missing
