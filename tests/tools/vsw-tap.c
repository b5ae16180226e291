// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vsw-tap.c - test tool: a libvswitch port whose "guest" is a TAP device.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Tests need guests with a real network stack that start in milliseconds:
 * this tool attaches a port to a switch, like QEMU's -netdev vswitch does,
 * and moves frames between it and a TAP device, so the kernel's stack (in
 * the network namespace the tool runs in) is the guest.  With --offload the
 * TAP device and the port negotiate checksum and TSO offloads, so 64 KiB
 * frames travel exactly as they do from a virtio-net guest.
 *
 * Usage: vsw-tap --switch NAME --tap IFNAME [--socket PATH] [--port NAME]
 *                [--vlan N] [--mac MAC] [--offload] [--ready-file PATH]
 *
 * The port sends from one MAC, as a NIC does: --mac, else the TAP device's
 * address when the tool starts (the switch drops frames from any other).
 *
 * Runs until SIGTERM/SIGINT or until the daemon goes away (exit 3); with
 * --reconnect it re-attaches (bounded: every 200 ms, for at most 60 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vswitch/vswitch.h"
#include "tool-util.h"
#include "tool-util.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* Move frames until told to stop; Return: 0 on stop, <0 when the port died. */
static int pump(struct vsw_port *p, int tap)
{
	static uint8_t buf[VSW_FRAME_MAX + sizeof(struct vsw_vnet_hdr)];
	bool tap_blocked = false;	/* TX ring full: wait for a kick */

	while (!stop) {
		struct pollfd pfd[3] = {
			{ tap, tap_blocked ? 0 : POLLIN, 0 },
			{ vsw_port_event_fd(p), POLLIN, 0 },
			{ vsw_port_ctrl_fd(p), POLLIN, 0 },
		};
		struct vsw_frame f;
		int n, rc;

		/* Switch -> TAP. */
		for (n = 0; n < 256 && (rc = vsw_recv(p, &f)) > 0; n++) {
			struct iovec iov[2] = {
				{ &f.vnet, sizeof(f.vnet) },
				{ (void *)f.data, f.len },
			};

			/* A full TAP queue drops, like a NIC with no buffers. */
			if (writev(tap, iov, 2) < 0 && errno != EAGAIN && errno != EIO)
				return -errno;
			vsw_recv_done(p);
		}
		if (rc < 0)
			return rc;
		vsw_recv_flush(p);
		/* TAP -> switch. */
		for (int i = 0; !tap_blocked && i < 256; i++) {
			ssize_t len = read(tap, buf, sizeof(buf));
			struct iovec iov;

			if (len < 0) {
				if (errno == EAGAIN)
					break;
				return -errno;
			}
			if (len < (ssize_t)sizeof(struct vsw_vnet_hdr) + 14)
				continue;
			iov.iov_base = buf + sizeof(struct vsw_vnet_hdr);
			iov.iov_len = (size_t)len - sizeof(struct vsw_vnet_hdr);
			rc = vsw_send(p, (struct vsw_vnet_hdr *)buf, &iov, 1, VSW_SEND_MORE);
			if (rc == -EAGAIN) {
				tap_blocked = true;	/* this frame is lost, like a full NIC */
			} else if (rc < 0 && rc != -EMSGSIZE && rc != -EINVAL) {
				return rc;
			}
		}
		vsw_flush(p);
		if (n == 256)
			continue;
		if (vsw_rx_arm(p)) {
			vsw_rx_disarm(p);
			continue;
		}
		if (poll(pfd, 3, 1000) < 0 && errno != EINTR)
			return -errno;
		vsw_rx_disarm(p);
		if (pfd[2].revents) {
			rc = vsw_ctrl_process(p);
			if (rc < 0)
				return rc;
		}
		if (pfd[1].revents) {
			vsw_event_clear(p);
			tap_blocked = false;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "switch", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'p' },
		{ "tap", required_argument, NULL, 't' },
		{ "vlan", required_argument, NULL, 'v' },
		{ "mac", required_argument, NULL, 'm' },
		{ "offload", no_argument, NULL, 'o' },
		{ "reconnect", no_argument, NULL, 'r' },
		{ "ready-file", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct vsw_attach_opts o = { 0 };
	const char *tapname = NULL, *ready = NULL;
	bool offload = false, reconnect = false;
	struct vsw_port *p = NULL;
	uint8_t mac[6];
	char err[256];
	int c, tap, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.sock_path = optarg; break;
		case 'w': o.switch_name = optarg; break;
		case 'p': o.port_name = optarg; break;
		case 't': tapname = optarg; break;
		case 'v': o.vlan = atoi(optarg); break;
		case 'm':
			if (!parse_mac(optarg, mac)) {
				fprintf(stderr, "vsw-tap: bad MAC %s\n", optarg);
				return 2;
			}
			o.mac = mac;
			break;
		case 'o': offload = true; break;
		case 'r': reconnect = true; break;
		case 'f': ready = optarg; break;
		default:
			fprintf(stderr, "usage: vsw-tap --switch NAME --tap IFNAME [--socket PATH] "
				"[--port NAME] [--vlan N] [--mac MAC] [--offload] [--reconnect] "
				"[--ready-file PATH]\n");
			return 2;
		}
	}
	if (!o.switch_name || !tapname) {
		fprintf(stderr, "vsw-tap: --switch and --tap are required\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	tap = tap_open(tapname, offload);
	if (tap < 0) {
		fprintf(stderr, "vsw-tap: TAP %s: %s\n", tapname, strerror(-tap));
		return 1;
	}
	if (!o.mac) {
		struct ifreq ifr = { 0 };

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tapname);
		if (ioctl(tap, SIOCGIFHWADDR, &ifr) < 0) {
			fprintf(stderr, "vsw-tap: MAC of %s: %s\n", tapname, strerror(errno));
			return 1;
		}
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		o.mac = mac;
	}
	o.offloads = offload ? VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO4 | VSW_OFFLOAD_TSO6 : 0;
	for (;;) {
		int64_t give_up = now_ms() + 60000;

		while ((rc = vsw_attach(&o, &p, err, sizeof(err))) < 0) {
			if (!reconnect || stop || now_ms() > give_up) {
				fprintf(stderr, "vsw-tap: %s\n", err);
				return 1;
			}
			usleep(200000);
		}
		fprintf(stderr, "vsw-tap: %s attached to switch %s as port %s (VLAN %d)\n",
			tapname, vsw_port_switch(p), vsw_port_name(p), vsw_port_vlan(p));
		if (ready) {
			FILE *f = fopen(ready, "w");

			if (f)
				fclose(f);
		}
		rc = pump(p, tap);
		vsw_detach(p);
		if (rc == 0)
			return 0;
		fprintf(stderr, "vsw-tap: port lost: %s\n", vsw_strerror(rc));
		if (!reconnect)
			return 3;
	}
}
