// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * closer.c - sockets a peer could make slow to close are closed, and the
 * file descriptors a peer passes are received, away from the threads that
 * must never wait.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The attack: a client passes vswitchd a descriptor (SCM_RIGHTS) that
 * holds the last reference to, say, a TCP socket lingering on close with
 * data it cannot send.  Whichever thread drops that reference (a recv()
 * without room for descriptors, or closing a socket with such a message
 * unread) waits in the kernel for as long as the client likes.
 * The defence:
 *   - On kernels that have it (Linux 6.16), SO_PASSRIGHTS off: a client's
 *     sendmsg() with descriptors fails, nothing reaches us.
 *   - Elsewhere, vswd_recv() takes every descriptor that comes (room for
 *     SCM_MAX_FD) and hands it to the closer thread, and sockets of peers
 *     are closed by the closer thread too (vswd_close_later()): a blocking
 *     close then holds that thread, never the main loop or the data path.
 *   - The data path's doorbells are pipes, which carry no descriptors.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vswitchd.h"

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS	83	/* Linux 6.16 */
#endif
#define SCM_MAX_FD	253	/* what one message may carry */

static GAsyncQueue *queue;
static GThread *thread;

/* Queued as fd + 2: NULL may not be queued, and 1 (fd -1) stops the thread. */
#define STOP	GINT_TO_POINTER(1)

static gpointer closer_main(gpointer data)
{
	for (;;) {
		int fd = GPOINTER_TO_INT(g_async_queue_pop(queue)) - 2;

		if (fd < 0)
			return NULL;
		close(fd);
	}
}

void vswd_closer_start(void)
{
	queue = g_async_queue_new();
	thread = g_thread_new("vswitch-closer", closer_main, NULL);
}

void vswd_closer_stop(void)
{
	if (!thread)
		return;
	/* What is queued goes first; a close that blocks must not hold the exit. */
	g_async_queue_push(queue, STOP);
	g_thread_unref(thread);
	thread = NULL;
}

void vswd_close_later(int fd)
{
	if (fd < 0)
		return;
	if (!thread) {
		close(fd);
		return;
	}
	g_async_queue_push(queue, GINT_TO_POINTER(fd + 2));
}

void vswd_refuse_fds(int fd)
{
	int off = 0;

	/* ENOPROTOOPT before 6.16: vswd_recv() and the closer do the job. */
	setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off));
}

ssize_t vswd_recv(int fd, void *buf, size_t len, int flags)
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
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		int *fds = (int *)CMSG_DATA(c);
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++)
			vswd_close_later(fds[i]);
	}
	return n;
}
