// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * closer.c - sockets a peer could make slow to close are closed, and the
 * file descriptors a peer passes are received, away from the threads that
 * must never wait, and one peer's slow closes never hold another's.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The attack: a client passes vswitchd a descriptor (SCM_RIGHTS) that
 * holds the last reference to, say, a TCP socket lingering on close with
 * data it cannot send, or a file of a FUSE mount whose server never
 * answers the flush.  Whichever thread drops that reference (a recv()
 * without room for descriptors, closing a socket with such a message
 * unread) waits in the kernel for as long as the client likes.
 * The defence (net-backend/docs/design.md, "Trust boundaries"):
 *   - On kernels that have it (Linux 6.16), SO_PASSRIGHTS off, on the
 *     listening socket (accepted sockets inherit it, so even a message
 *     sent before accept() carries nothing) and on each peer socket: a
 *     client's sendmsg() with descriptors fails, nothing reaches us.
 *   - Elsewhere (Debian 12's 6.1), vswd_recv() takes every descriptor
 *     that comes (room for SCM_MAX_FD), turns lingering off on those that
 *     are sockets, and has them closed here; the caller drops a peer that
 *     passed any.  A peer's socket is shut down first (it can send nothing
 *     more), then closed at once if its queue holds no descriptors (the
 *     kernel's count, scm_fds in /proc/self/fdinfo, Linux 5.6), which is
 *     every honest peer's case, and here otherwise.
 *   - What comes here is queued per owner (the peer's uid), and each
 *     owner's queue is worked through one close at a time on a pool of
 *     threads: a close that blocks holds its owner's queue and one thread,
 *     never the main loop, the data path or another user's closes.  The
 *     caller counts an owner's pending closes against its connection limit
 *     (vswd_closer_pending()) and stops accepting while too many are
 *     pending in all (vswd_closer_pending_total()): a peer needs a socket
 *     of its own lingering for each, and what piles up stays bounded.
 *   - The data path's doorbells are pipes, which carry no descriptors.
 *
 * Tests may set VSWITCHD_TEST_PASS_RIGHTS=1 to leave SO_PASSRIGHTS alone,
 * and so exercise on a new kernel what an old one does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vswitchd.h"

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS	83	/* Linux 6.16 */
#endif
#define SCM_MAX_FD	253	/* what one message may carry */
#define CLOSER_THREADS	32	/* owners whose closes may be stuck at once */

/* One owner's closes: queued, and the one in progress. */
struct owner {
	guint32 uid;
	GQueue fds;
	unsigned pending;	/* queued + in progress */
	bool running;		/* a pool thread works through it */
};

static GMutex lock;
static GHashTable *owners;	/* uid -> struct owner */
static GThreadPool *pool;
static unsigned total;		/* every owner's pending */

static void owner_run(gpointer data, gpointer user_data)
{
	struct owner *o = data;

	/* Pool threads have GLib's names; ours says what waits. */
	pthread_setname_np(pthread_self(), "vswitch-closer");
	g_mutex_lock(&lock);
	while (!g_queue_is_empty(&o->fds)) {
		int fd = GPOINTER_TO_INT(g_queue_pop_head(&o->fds));

		g_mutex_unlock(&lock);
		close(fd);
		g_mutex_lock(&lock);
		o->pending--;
		total--;
	}
	o->running = false;
	if (!o->pending) {
		g_hash_table_remove(owners, GUINT_TO_POINTER(o->uid));
		g_free(o);
	}
	g_mutex_unlock(&lock);
}

void vswd_closer_start(void)
{
	owners = g_hash_table_new(g_direct_hash, g_direct_equal);
	pool = g_thread_pool_new(owner_run, NULL, CLOSER_THREADS, FALSE, NULL);
}

void vswd_closer_stop(void)
{
	GThreadPool *p = pool;

	if (!p)
		return;
	/* What is queued goes first; a close that blocks must not hold the exit. */
	g_mutex_lock(&lock);
	pool = NULL;
	g_mutex_unlock(&lock);
	g_thread_pool_free(p, FALSE, FALSE);
}

void vswd_close_later(guint32 owner, int fd)
{
	struct owner *o;

	if (fd < 0)
		return;
	g_mutex_lock(&lock);
	if (!pool) {
		g_mutex_unlock(&lock);
		close(fd);
		return;
	}
	o = g_hash_table_lookup(owners, GUINT_TO_POINTER(owner));
	if (!o) {
		o = g_new0(struct owner, 1);
		o->uid = owner;
		g_queue_init(&o->fds);
		g_hash_table_insert(owners, GUINT_TO_POINTER(owner), o);
	}
	g_queue_push_tail(&o->fds, GINT_TO_POINTER(fd));
	o->pending++;
	total++;
	if (!o->running) {
		o->running = true;
		g_thread_pool_push(pool, o, NULL);
	}
	g_mutex_unlock(&lock);
}

/* Descriptors queued on Unix socket @fd, or -1 if the kernel does not say. */
static int queued_fds(int fd)
{
	char path[64], line[128];
	FILE *f;
	int n = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "scm_fds: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

void vswd_close_peer(guint32 owner, int fd)
{
	if (fd < 0)
		return;
	/* The peer sees the end now, and can queue nothing more. */
	shutdown(fd, SHUT_RDWR);
	if (queued_fds(fd) == 0)
		close(fd);
	else
		vswd_close_later(owner, fd);
}

unsigned vswd_closer_pending(guint32 owner)
{
	struct owner *o;
	unsigned n = 0;

	g_mutex_lock(&lock);
	o = owners ? g_hash_table_lookup(owners, GUINT_TO_POINTER(owner)) : NULL;
	if (o)
		n = o->pending;
	g_mutex_unlock(&lock);
	return n;
}

unsigned vswd_closer_pending_total(void)
{
	unsigned n;

	g_mutex_lock(&lock);
	n = total;
	g_mutex_unlock(&lock);
	return n;
}

void vswd_refuse_fds(int fd)
{
	static int test_pass = -1;
	int off = 0;

	if (test_pass < 0) {
		const char *e = getenv("VSWITCHD_TEST_PASS_RIGHTS");

		test_pass = e && !strcmp(e, "1");
	}
	if (test_pass)
		return;
	/* ENOPROTOOPT before 6.16: vswd_recv() and the closer do the job. */
	setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off));
}

ssize_t vswd_recv(int fd, guint32 owner, void *buf, size_t len, int flags, bool *passed)
{
	union {
		char buf[CMSG_SPACE(SCM_MAX_FD * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	ssize_t n = recvmsg(fd, &msg, flags | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return n;
	/* Room for a whole message's worth, so the kernel closes none here. */
	if (msg.msg_flags & MSG_CTRUNC)
		*passed = true;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		int *fds = (int *)CMSG_DATA(c);
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		*passed = true;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			struct linger no = { 0, 0 };
			struct stat st;

			/* A socket's close then returns at once, whatever it holds. */
			if (!fstat(fds[i], &st) && S_ISSOCK(st.st_mode))
				setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &no, sizeof(no));
			vswd_close_later(owner, fds[i]);
		}
	}
	return n;
}
