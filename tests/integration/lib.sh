# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - what the shell integration tests share (sourced, not run).
#
# Set $tmp (a directory of the test's own) before the first check.
#   check DESCRIPTION COMMAND...  run COMMAND, its output in $tmp/out;
#                                 print "ok - DESCRIPTION", or fail
#   fail DESCRIPTION              count a failure: "FAIL: DESCRIPTION" and
#                                 the last $out_lines (default 15) lines of
#                                 $tmp/out; counts $failures; then calls
#                                 after_failure if the test defines it (to
#                                 stop early when going on makes no sense)
#   stop_pid PID [TENTHS]         SIGTERM, up to TENTHS tenths of a second
#                                 (default 50), then SIGKILL; reaped
#   report NAME                   "NAME: P/N checks passed"; fails if any
#                                 check did
# Only processes the test started are given to stop_pid.

checks=0
failures=0
out_lines=${out_lines:-15}

fail() {
	failures=$((failures + 1))
	echo "FAIL: $*"
	# shellcheck disable=SC2154 # $tmp: the test's
	if [ -s "$tmp/out" ]; then sed 's/^/  out: /' "$tmp/out" | tail -"$out_lines"; fi
	if declare -F after_failure >/dev/null; then after_failure; fi
}

check() {
	local what=$1

	shift
	checks=$((checks + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok - $what"
	else
		fail "$what"
	fi
}

stop_pid() {
	local pid=$1 tenths=${2:-50} i=0

	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt "$tenths" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

report() {
	echo "$1: $((checks - failures))/$checks checks passed"
	[ "$failures" -eq 0 ]
}
