/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tool-util.h - what the test tools (vsw-peer, vsw-attack, vsw-tap,
 * vsw-blast) share: a clock, hex and MAC parsing, the bounded waits on a
 * port that their "count" and "status" commands are made of, and a TAP
 * device with virtio-net headers.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#ifndef VSWITCH_TEST_TOOL_UTIL_H
#define VSWITCH_TEST_TOOL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vswitch/vswitch.h"

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Hex string @s into @out (at most @max bytes); Return: bytes, or -1. */
static inline int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (s[0] && s[1] && n < max) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (int)n;
}

/* "52:54:00:12:34:56" into @mac; Return: false if malformed. */
static inline bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return true;
}

/* The next frame on @p before @deadline; Return: 1, 0 (none) or -errno. */
static inline int next_frame(struct vsw_port *p, struct vsw_frame *f, int64_t deadline)
{
	for (;;) {
		int rc = vsw_recv(p, f), left;

		if (rc)
			return rc;
		left = (int)(deadline - now_ms());
		if (left <= 0)
			return 0;
		rc = vsw_wait(p, left);
		if (rc < 0)
			return rc;
	}
}

/* Frames arriving on @p within @ms, consumed. */
static inline long count_frames(struct vsw_port *p, int ms)
{
	int64_t deadline = now_ms() + ms;
	struct vsw_frame f;
	long n = 0;

	while (next_frame(p, &f, deadline) > 0) {
		vsw_recv_done(p);
		if (++n % 64 == 0)
			vsw_recv_flush(p);
	}
	vsw_recv_flush(p);
	return n;
}

/*
 * Wait up to @ms for the daemon to reset or drop @p;
 * Return: "alive", "reset" or "gone".
 */
static inline const char *port_status(struct vsw_port *p, int ms)
{
	int64_t deadline = now_ms() + ms;
	struct pollfd pfd = { vsw_port_ctrl_fd(p), POLLIN, 0 };

	for (;;) {
		int left = (int)(deadline - now_ms()), rc;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return "alive";
		rc = vsw_ctrl_process(p);
		if (rc == -EPROTO)
			return "reset";
		if (rc < 0)
			return "gone";
	}
}

/*
 * tap_open() - TAP device @name (created if need be), non-blocking, with
 * virtio-net headers, taking checksum and TSO offloads if @offload.
 * Return: its fd, or -errno.
 */
static inline int tap_open(const char *name, bool offload)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int hdrlen = sizeof(struct vsw_vnet_hdr);

	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    ioctl(fd, TUNSETVNETHDRSZ, &hdrlen) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, offload ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 : 0) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

#endif /* VSWITCH_TEST_TOOL_UTIL_H */
