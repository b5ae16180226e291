# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - what the shell integration tests share (sourced, not run).
#
# Set $tmp (a directory of the test's own) before the first check.
#   check DESCRIPTION COMMAND...  run COMMAND, its output in $tmp/out;
#                                 print "ok - DESCRIPTION", or "FAIL: ..."
#                                 and the output's last 15 lines; counts
#                                 $checks and $failures
#   stop_pid PID                  SIGTERM, up to 5 s, then SIGKILL; reaped
#   report NAME                   "NAME: P/N checks passed"; fails if any
#                                 check did
# Only processes the test started are given to stop_pid.

checks=0
failures=0

check() {
	local what=$1

	shift
	checks=$((checks + 1))
	# shellcheck disable=SC2154 # $tmp: the test's
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok - $what"
	else
		failures=$((failures + 1))
		echo "FAIL: $what"
		sed 's/^/  out: /' "$tmp/out" | tail -15
	fi
}

stop_pid() {
	local pid=$1 i=0

	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
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
