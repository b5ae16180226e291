/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sandbox.h - what vswitch-natd gives up before it sees a guest frame.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#ifndef VSWITCH_NATD_SANDBOX_H
#define VSWITCH_NATD_SANDBOX_H

#include <stddef.h>

/**
 * natd_sandbox_prepare() - before the helper reads anything from vswitchd:
 * close every fd but stdin/stdout/stderr and @keep; as root, become @user
 * (no supplementary groups) keeping only CAP_NET_BIND_SERVICE; otherwise
 * keep at most CAP_NET_BIND_SERVICE; no new privileges, not dumpable, no
 * core files.  @why receives what was done, for the log.
 * Return: 0, or -1 with @why saying what failed.
 */
int natd_sandbox_prepare(const int *keep, int nkeep, const char *user,
			 char *why, size_t whylen);

/**
 * natd_sandbox_enter() - the seccomp filter (sandbox.c lists what it
 * allows).  From here on the process cannot execute programs, create
 * threads or processes, signal other processes, trace, open files for
 * writing, make sockets other than IPv4/IPv6 ones, or map executable
 * memory.  @why receives a summary.  Return: 0, or -1 with @why.
 */
int natd_sandbox_enter(char *why, size_t whylen);

#endif /* VSWITCH_NATD_SANDBOX_H */
