#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Add bookworm-backports (binary) and deb-src entries derived from the
# machine's existing Debian entry, so no host name is written in this repo.
set -eu
src=/etc/apt/sources.list.d/debian.sources
out=/etc/apt/sources.list.d/vswitch-extra.sources
[ "$(id -u)" = 0 ] || { echo "setup-apt.sh: run as root" >&2; exit 1; }
[ -f "$out" ] && exit 0
[ -f "$src" ] || { echo "setup-apt.sh: $src not found" >&2; exit 1; }
# First stanza (the main archive, not -security): keep URIs and Signed-By.
uris=$(awk '/^URIs:/{print $2; exit}' "$src")
signed=$(awk '/^Signed-By:/{print $2; exit}' "$src")
[ -n "$uris" ] || { echo "setup-apt.sh: no URIs in $src" >&2; exit 1; }
{
	echo "Types: deb deb-src"
	echo "URIs: $uris"
	echo "Suites: bookworm-backports"
	echo "Components: main"
	[ -n "$signed" ] && echo "Signed-By: $signed"
	echo
	echo "Types: deb-src"
	echo "URIs: $uris"
	echo "Suites: bookworm bookworm-updates"
	echo "Components: main"
	[ -n "$signed" ] && echo "Signed-By: $signed"
} > "$out"
