// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sandbox.c - vswitch-natd's sandbox: privileges, limits, and a seccomp
 * filter that lets libslirp do its job and little else.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The threat: a guest that finds a memory bug in libslirp runs code in
 * this process.  What that code must not be able to do, and what stops it:
 *   - harm vswitchd (signal it, trace it, read its memory): kill, tkill
 *     and tgkill only at our own pid, no ptrace or process_vm_*, not
 *     dumpable, and as root a different user from the daemon's;
 *   - reconfigure the switch: no AF_UNIX sockets (the control socket),
 *     no socketpair; the fds we keep are the NAT's port and its rpc link;
 *   - run other programs, fork, start threads: no execve, no clone or
 *     fork or vfork (a thread would escape nothing, but nothing needs one);
 *   - change files: open and openat only with O_RDONLY (libslirp reads
 *     /etc/resolv.conf), no unlink, rename, chmod, mkdir, ...;
 *   - write new code: mmap and mprotect without PROT_EXEC;
 *   - raise its privileges: no new privileges, at most
 *     CAP_NET_BIND_SERVICE, no setuid family.
 * It keeps what a NAT needs: IPv4/IPv6 sockets (TCP, UDP and the ICMP
 * "ping" sockets), poll, time, memory.  Anything else kills the process;
 * vswitchd then starts a new one.  VSWITCH_NATD_SECCOMP=log in the
 * environment logs instead of killing (for finding a missing call).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "sandbox.h"

#define NOFILE_MAX	8192	/* libslirp's sockets: one per connection */

static int fail(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s: %s", what, strerror(errno));
	return -1;
}

static bool kept(const int *keep, int nkeep, int fd)
{
	for (int i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

int natd_sandbox_prepare(const int *keep, int nkeep, const char *user,
			 char *why, size_t whylen)
{
	struct rlimit nofile = { NOFILE_MAX, NOFILE_MAX }, core = { 0, 0 };
	int max = (int)sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		if (!kept(keep, nkeep, fd))
			close(fd);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam(user);

		if (!pw || !pw->pw_uid) {
			snprintf(why, whylen, "user '%s' %s", user,
				 pw ? "is root" : "does not exist");
			return -1;
		}
		/*
		 * vswitchd left us only CAP_SETUID, CAP_SETGID and
		 * CAP_NET_BIND_SERVICE in the bounding set; the last one we keep.
		 */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
			return fail(why, whylen, "cannot change to the NAT's user");
		capng_clear(CAPNG_SELECT_CAPS);
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_BIND_SERVICE);
		if (capng_apply(CAPNG_SELECT_CAPS) < 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return fail(why, whylen, "cannot drop capabilities");
		snprintf(why, whylen, "uid %u, only CAP_NET_BIND_SERVICE",
			 (unsigned)pw->pw_uid);
	} else {
		bool bind = capng_get_caps_process() == 0 &&
			    capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_BIND_SERVICE);

		capng_clear(CAPNG_SELECT_CAPS);
		if (bind)
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
				     CAP_NET_BIND_SERVICE);
		/* Without capabilities this fails harmlessly: there is nothing to drop. */
		capng_apply(CAPNG_SELECT_CAPS);
		snprintf(why, whylen, "uid %u%s", (unsigned)geteuid(),
			 bind ? ", only CAP_NET_BIND_SERVICE" : ", no capabilities");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(why, whylen, "no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail(why, whylen, "dumpable");
	if (setrlimit(RLIMIT_CORE, &core) < 0)
		return fail(why, whylen, "core limit");
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_max > NOFILE_MAX)
		nofile.rlim_max = NOFILE_MAX;
	nofile.rlim_cur = nofile.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return fail(why, whylen, "fd limit");
	return 0;
}

/* Calls allowed with any arguments.  Names unknown to this architecture are skipped. */
static const char *const allowed[] = {
	/* I/O on the fds we have */
	"read", "readv", "write", "writev", "pread64", "pwrite64", "lseek", "close",
	"poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "eventfd2", "pipe2", "dup", "dup3", "fcntl",
	/* sockets (socket() itself is filtered below) */
	"connect", "bind", "listen", "accept", "accept4", "getsockname", "getpeername",
	"setsockopt", "getsockopt", "shutdown", "sendto", "sendmsg", "sendmmsg",
	"recvfrom", "recvmsg", "recvmmsg",
	/* reading /etc/resolv.conf and its like */
	"fstat", "newfstatat", "stat", "lstat", "statx", "fstatfs", "access",
	"faccessat", "faccessat2", "readlink", "readlinkat", "getdents64",
	/* memory (mmap and mprotect are filtered below) */
	"munmap", "mremap", "brk", "madvise",
	/* time, threads' futexes, identity, randomness */
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
	"clock_nanosleep", "futex", "getpid", "gettid", "getppid", "getuid",
	"geteuid", "getgid", "getegid", "getgroups", "getrandom", "uname",
	"sched_yield", "sched_getaffinity", "getrusage", "sysinfo",
	/* signals to ourselves, and leaving */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"restart_syscall", "exit", "exit_group", "getrlimit",
	NULL
};

static int rule(scmp_filter_ctx ctx, const char *name, unsigned n,
		const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, args);
}

int natd_sandbox_enter(char *why, size_t whylen)
{
	const char *mode = getenv("VSWITCH_NATD_SECCOMP");
	bool log_only = mode && !strcmp(mode, "log");
	scmp_filter_ctx ctx;
	pid_t self = getpid();
	int rc = 0;

	ctx = seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		snprintf(why, whylen, "seccomp_init failed");
		return -1;
	}
	for (const char *const *n = allowed; *n && !rc; n++)
		rc = rule(ctx, *n, 0, NULL);
	/* Internet sockets only: TCP, UDP, and ICMP "ping" sockets. */
	if (!rc)
		rc = rule(ctx, "socket", 1, (struct scmp_arg_cmp[]){
			SCMP_A0(SCMP_CMP_EQ, AF_INET) });
	if (!rc)
		rc = rule(ctx, "socket", 1, (struct scmp_arg_cmp[]){
			SCMP_A0(SCMP_CMP_EQ, AF_INET6) });
	/* Files only for reading. */
	if (!rc)
		rc = rule(ctx, "openat", 1, (struct scmp_arg_cmp[]){
			SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY) });
	if (!rc)
		rc = rule(ctx, "open", 1, (struct scmp_arg_cmp[]){
			SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY) });
	/* No executable memory. */
	if (!rc)
		rc = rule(ctx, "mmap", 1, (struct scmp_arg_cmp[]){
			SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) });
	if (!rc)
		rc = rule(ctx, "mprotect", 1, (struct scmp_arg_cmp[]){
			SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) });
	/* Signals to ourselves only (abort(), raise()). */
	if (!rc)
		rc = rule(ctx, "kill", 1, (struct scmp_arg_cmp[]){
			SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self) });
	if (!rc)
		rc = rule(ctx, "tgkill", 1, (struct scmp_arg_cmp[]){
			SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self) });
	/* Limits may be read, never raised. */
	if (!rc)
		rc = rule(ctx, "prlimit64", 2, (struct scmp_arg_cmp[]){
			SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0) });
	/* ioctl: the byte counts and non-blocking mode libslirp asks for. */
	if (!rc)
		rc = rule(ctx, "ioctl", 1, (struct scmp_arg_cmp[]){
			SCMP_A1(SCMP_CMP_EQ, FIONREAD) });
	if (!rc)
		rc = rule(ctx, "ioctl", 1, (struct scmp_arg_cmp[]){
			SCMP_A1(SCMP_CMP_EQ, FIONBIO) });
	if (!rc)
		rc = rule(ctx, "ioctl", 1, (struct scmp_arg_cmp[]){
			SCMP_A1(SCMP_CMP_EQ, TIOCOUTQ) });
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		snprintf(why, whylen, "seccomp: %s", strerror(-rc));
		return -1;
	}
	snprintf(why, whylen, "seccomp filter %s", log_only ? "logging only" : "in force");
	return 0;
}

/*
 * Under AddressSanitizer, LeakSanitizer's exit check traces the process,
 * which the filter forbids: no leak check in the helper (fuzz-nat checks
 * the same code for leaks in-process).
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
