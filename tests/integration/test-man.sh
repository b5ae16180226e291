#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-man.sh - the man pages agree with the programs.
#
#   - every command `vswitchctl help` lists is an entry of vswitchctl(8),
#     and every option it lists is documented there;
#   - every long option of `vswitchd --help` is an entry of vswitchd(8);
#   - groff formats both without a warning.
# An entry is a macro line (.B, .BI, .BR...) that starts with the command
# or option, font changes and quotes removed.  Needs no root, starts no
# daemon.  Exit: 0 pass, 1 fail.
# Environment: VSWITCH_BUILD_DIR (default <repo>/build).

set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${VSWITCH_BUILD_DIR:-$repo/build}
vswitchd=$build/net-backend/daemon/vswitchd
vswitchctl=$build/net-backend/cli/vswitchctl
man=$repo/net-backend/docs/man
failures=0
checks=0

for f in "$vswitchd" "$vswitchctl"; do
	if [ ! -x "$f" ]; then
		echo "FAIL: $f is missing: build first (meson compile -C $build)"
		exit 1
	fi
done
if ! command -v groff >/dev/null; then
	echo "FAIL: groff is needed (groff-base, contrib/install-deps.sh)"
	exit 1
fi

# entries PAGE: the page's macro lines as plain text.
entries() {
	sed -n 's/^\.\(B\|BI\|BR\|IB\|RB\|TP\|TQ\|I\)\b *//p' "$1" |
		sed 's/\\f[BIRP]//g; s/\\-/-/g; s/\\e/\\/g; s/"//g; s/  */ /g'
}

check() { # WHAT COND...
	local what=$1

	shift
	checks=$((checks + 1))
	if "$@"; then
		echo "ok - $what"
	else
		failures=$((failures + 1))
		echo "FAIL: $what"
	fi
}

ctl_entries=$(entries "$man/vswitchctl.8")
d_entries=$(entries "$man/vswitchd.8")

# Commands: the lines between "Commands:" and the blank line after them,
# synopsis and description separated by two spaces or more; a command is
# the words of its synopsis before the first argument (upper case, [, |).
mapfile -t cmds < <("$vswitchctl" help | sed -n '/^Commands:/,/^$/p' | sed '1d;$d' |
	sed 's/^ *//; s/   *.*//' |
	awk '{ c = ""; for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++) c = c (c ? " " : "") $i; print c }')
check "vswitchctl help lists commands (${#cmds[@]})" [ "${#cmds[@]}" -ge 20 ]
for c in "${cmds[@]}"; do
	check "vswitchctl(8) documents '$c'" \
		grep -qE "^$c( |$)" <<<"$ctl_entries"
done
mapfile -t opts < <("$vswitchctl" help | sed -n '/^Options/,/^$/p' | grep -oE -- '--[a-z][a-z-]*')
check "vswitchctl help lists options (${#opts[@]})" [ "${#opts[@]}" -ge 5 ]
for o in "${opts[@]}"; do
	check "vswitchctl(8) documents $o" grep -qE -- "(^|, )$o( |=|$)" <<<"$ctl_entries"
done

mapfile -t dopts < <("$vswitchd" --help | grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z-]*' |
	grep -oE -- '--[a-z][a-z-]*')
check "vswitchd --help lists options (${#dopts[@]})" [ "${#dopts[@]}" -ge 18 ]
for o in "${dopts[@]}"; do
	check "vswitchd(8) documents $o" grep -qE -- "(^|, )$o( |=|$)" <<<"$d_entries"
done

for p in vswitchd vswitchctl; do
	check "groff formats $p.8 without a warning" \
		test -z "$(groff -man -ww -z "$man/$p.8" 2>&1)"
done

echo "test-man: $((checks - failures))/$checks checks passed"
[ "$failures" -eq 0 ]
