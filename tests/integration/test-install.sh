#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-install.sh - `meson install` into a DESTDIR gives a vswitch that works.
#
# Installs the build tree (--no-rebuild) into a temporary DESTDIR and checks
# that everything meson says it installs is there, including what a
# package needs besides the programs (units, sysusers.d, man pages, bash
# completion, headers, vswitch.pc, the AppArmor snippet for libvirt); then runs the installed vswitchd, its
# installed NAT helper and the installed vswitchctl, linked with the
# installed libvswitch, and builds a program against the installed headers
# and vswitch.pc.  vswitchd looks for vswitch-natd next to itself, then in
# the libexecdir compiled in, which under a DESTDIR is not where the file
# is: the test checks that the compiled-in path is where meson put the
# helper, and passes --nat-helper with that path under DESTDIR.
# Only the PID started here is killed, every wait is bounded, the
# temporary directory goes in the EXIT trap.  Exit: 0 pass, 1 fail.
# Environment: VSWITCH_BUILD_DIR (default <repo>/build).

set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${VSWITCH_BUILD_DIR:-$repo/build}
# shellcheck source=tests/integration/lib.sh
. "$repo/tests/integration/lib.sh"
python=$(command -v /usr/bin/python3 || command -v python3)
if [ -z "$python" ] || ! command -v meson >/dev/null || ! command -v cc >/dev/null ||
   ! command -v pkg-config >/dev/null; then
	echo "FAIL: needs python3, meson, cc and pkg-config (contrib/install-deps.sh)"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vswitch-install.XXXXXX") || exit 1
chmod 0755 "$tmp"
dest=$tmp/dest
pid=

stop() {
	[ -z "$pid" ] || stop_pid "$pid"
	pid=
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP


check "meson install --destdir (no rebuild)" \
	meson install -C "$build" --destdir "$dest" --no-rebuild --quiet
if [ "$failures" -gt 0 ]; then
	echo "test-install: nothing installed, nothing more to check"
	exit 1
fi

# What meson installs, as installed paths (without DESTDIR), one a line.
meson introspect --installed "$build" |
	"$python" -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin).values())))' \
	>"$tmp/installed"
# installed NAME: the installed path ending in /NAME.
installed() { grep -m1 -- "/$1\$" "$tmp/installed"; }

all_there() {
	local f n=0

	while read -r f; do
		[ -e "$dest$f" ] || { echo "missing: $dest$f"; return 1; }
		n=$((n + 1))
	done <"$tmp/installed"
	[ "$n" -gt 0 ]
}
check "every file meson lists is under DESTDIR" all_there
for f in sbin/vswitchd bin/vswitchctl libexec/vswitch-natd libvswitch.so.0 libvswitch.so \
	 include/vswitch/vswitch.h include/vswitch/ring.h pkgconfig/vswitch.pc \
	 systemd/system/vswitchd.service systemd/user/vswitchd.service sysusers.d/vswitch.conf \
	 bash-completion/completions/vswitchctl man8/vswitchd.8 man8/vswitchctl.8 \
	 apparmor.d/abstractions/libvirt-qemu.d/vswitch; do
	check "installs $f" installed "$f"
done

vswitchd=$dest$(installed sbin/vswitchd)
vswitchctl=$dest$(installed bin/vswitchctl)
natd_path=$(installed libexec/vswitch-natd)
libdir=$(dirname "$(installed libvswitch.so.0)")
sbindir=$(dirname "$(installed sbin/vswitchd)")
export LD_LIBRARY_PATH=$dest$libdir

check "the system unit runs the installed vswitchd" \
	grep -qx "ExecStart=$sbindir/vswitchd --socket-group vswitch" \
	"$dest$(installed systemd/system/vswitchd.service)"
check "the installed vswitchctl links the installed libvswitch" \
	sh -c "ldd '$vswitchctl' | grep -q '=> $dest$libdir/libvswitch.so.0 '"
check "the installed vswitchd looks for its NAT helper where meson put it" \
	sh -c "'$vswitchd' --help | grep -q 'else in $(dirname "$natd_path"))'"

sock=$tmp/run/vswitchd.sock
start() {
	local i

	mkdir -p "$tmp/run"
	"$vswitchd" --socket "$sock" --state-dir "$tmp/state" --user root \
		--nat-helper "$dest$natd_path" >"$tmp/vswitchd.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		"$vswitchctl" -s "$sock" nat show 2>/dev/null | grep -q running && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/vswitchd.log"
	return 1
}
check "the installed vswitchd starts, and its installed NAT helper" start
nat_exe() {
	local npid

	npid=$("$vswitchctl" -s "$sock" --json nat show |
		"$python" -c 'import json, sys; print(json.load(sys.stdin)["pid"])') &&
		[ "$(readlink "/proc/$npid/exe")" = "$dest$natd_path" ]
}
check "... the NAT helper running is the installed one" nat_exe
check "the installed vswitchctl adds a switch" \
	"$vswitchctl" -s "$sock" switch add p1 --type private
check "... and lists it next to Default" \
	sh -c "'$vswitchctl' -s '$sock' switch list >'$tmp/list' &&
	       grep -q '^p1 *private' '$tmp/list' && grep -q '^Default *default' '$tmp/list'"
stop

# A client of the installed library, built with vswitch.pc.
cat >"$tmp/client.c" <<'EOF'
#include <stdio.h>
#include <vswitch/vswitch.h>

int main(void)
{
	char path[108];

	if (vsw_default_sock_path(path, sizeof(path)) < 0)
		return 1;
	printf("%s %s\n", VSW_VERSION_STRING, path);
	return 0;
}
EOF
build_client() {
	local pc san=()

	pc=$(dirname "$dest$(installed pkgconfig/vswitch.pc)")
	# A sanitized build's library wants its runtime first: so does the client.
	if ldd "$dest$(installed libvswitch.so)" | grep -q libasan; then
		san=("-fsanitize=address,undefined")
	fi
	# shellcheck disable=SC2046 # pkg-config's output: words
	cc "${san[@]}" -o "$tmp/client" "$tmp/client.c" $(PKG_CONFIG_PATH=$pc \
		pkg-config --define-variable=prefix="$dest$(pkg-config --variable=prefix \
		--with-path="$pc" vswitch)" --cflags --libs vswitch) &&
		"$tmp/client" | grep -qE '^[0-9.]+ /.*/vswitchd\.sock$'
}
check "a program builds with vswitch.pc and the installed headers, and runs" build_client

check "the installed bash completion registers vswitchctl" \
	bash -c "source '$dest$(installed bash-completion/completions/vswitchctl)' &&
		 complete -p vswitchctl"
check "man finds the installed pages" \
	sh -c "man -M '$dest$(dirname "$(dirname "$(installed man8/vswitchd.8)")")' -w vswitchd vswitchctl"

report test-install
