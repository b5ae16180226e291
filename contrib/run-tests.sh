#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build everything and run every test: the README's test command, and CI's.
#
# Usage: contrib/run-tests.sh [--quick]
#   --quick   unit and integration tests of the normal build only
#
# As root it first installs the Debian packages it needs
# (contrib/install-deps.sh).  Phases, each stops the run on failure:
#   1. build (build/) and run the unit and integration tests
#   2. the same under AddressSanitizer + UBSan (build-asan/)
#   3. every libFuzzer harness for a short, bounded run (build-fuzz/)
#   4. libvirt 11.3 with libvirt-patches/ (contrib/build-libvirt.sh,
#      cached): the libvirt test suites the series touches
#   5. the patched QEMU (contrib/build-qemu.sh, cached) and the VM tests:
#      the qtest of the QEMU series, real guests on vswitch switches,
#      stock libvirt and the libvirt of phase 4 running domains
#
# Tests that need root (network namespaces, TAP devices) exit 77 (skip)
# without it; as root nothing skips.  Every test creates and removes its
# own namespaces; nothing reaches outside them.
set -eu
set -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$REPO"
QUICK=
[ "${1:-}" = --quick ] && QUICK=1
FUZZ_SECONDS=${VSWITCH_FUZZ_SECONDS:-20}

phase() { echo; echo "=== run-tests: $* ($(date -u +%T))"; }

if [ "$(id -u)" = 0 ]; then
	phase "installing Debian packages"
	contrib/install-deps.sh
fi

setup() { # DIR [meson options...]
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@"
	fi
	meson compile -C "$dir"
}

phase "build and test (build/)"
setup build
meson test -C build --suite unit --suite integration --print-errorlogs
[ -n "$QUICK" ] && exit 0

phase "build and test under AddressSanitizer + UBSan (build-asan/)"
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1 meson test -C build-asan --suite unit --suite integration \
	--print-errorlogs

phase "fuzzers, ${FUZZ_SECONDS}s each (build-fuzz/)"
CC=clang setup build-fuzz -Dfuzzers=true
for f in build-fuzz/tests/fuzz-*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	corpus=$(mktemp -d)
	echo "--- $(basename "$f")"
	"$f" -max_total_time="$FUZZ_SECONDS" -max_len=70000 "$corpus" 2>&1 | tail -n 1
	rm -rf "$corpus"
done

phase "libvirt with libvirt-patches/ and its test suites"
contrib/build-libvirt.sh --test >/dev/null

phase "patched QEMU and VM tests"
meson test -C build --suite vm --print-errorlogs
phase "all tests passed"
