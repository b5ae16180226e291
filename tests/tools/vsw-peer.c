// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vsw-peer.c - test tool: a scriptable libvswitch client, honest or hostile.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Integration tests start one vsw-peer process per port and drive it over
 * stdin/stdout, one command line in, one reply line out:
 *
 *   send HEX [VNETHEX]   send one frame (hex), optional 12-byte vnet header
 *                        -> "ok" | "err <errno name>"
 *   sendn N HEX          send the frame N times, each with a fresh random
 *                        source MAC if HEX's source is 000000000000
 *                        -> "ok <sent>"
 *   recv MS              wait up to MS for a frame -> "frame HEX" | "none"
 *   count MS             count frames arriving within MS -> "count N"
 *   raw-prod N           hostile: store N in the TX ring's producer index
 *   raw-rec LEN          hostile: publish a record whose length field is LEN
 *   status MS            wait up to MS for the daemon to reset/drop the port
 *                        -> "alive" | "reset" | "gone"
 *   vlan MS              read the daemon's news for MS -> "vlan N"
 *   mac MAC              tell the switch our MAC and wait (bounded) for its
 *                        answer -> "ok" | "err ..."
 *   quit                 detach and exit
 *
 * Usage: vsw-peer --socket PATH --switch NAME [--port NAME] [--vlan N] [--mac MAC]
 * (--mac: the MAC declared at attach, the one the port may send from)
 * Prints "attached PORT VLAN" or "error MESSAGE" first.  Exits when stdin
 * closes.  Every wait is bounded by the command's own timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vswitch/vswitch.h"
#include "tool-util.h"
#include "ring-ops.h"

static struct vsw_port *port;
static uint8_t frame[VSW_FRAME_MAX];

static void reply_frame(const struct vsw_frame *f)
{
	printf("frame ");
	for (uint32_t i = 0; i < f->len; i++)
		printf("%02x", f->data[i]);
	printf("\n");
}

static void cmd_send(char *args)
{
	char *hex = strtok(args, " "), *vhex = strtok(NULL, " ");
	struct vsw_vnet_hdr vnet = { 0 };
	struct iovec iov = { frame, 0 };
	int n, rc;

	n = hex ? unhex(hex, frame, sizeof(frame)) : -1;
	if (n < 0) {
		printf("err bad-hex\n");
		return;
	}
	if (vhex && unhex(vhex, (uint8_t *)&vnet, sizeof(vnet)) != sizeof(vnet)) {
		printf("err bad-vnet\n");
		return;
	}
	iov.iov_len = (size_t)n;
	rc = vsw_send(port, &vnet, &iov, 1, 0);
	if (rc < 0)
		printf("err %s\n", vsw_strerror(rc));
	else
		printf("ok\n");
}

static void cmd_sendn(char *args)
{
	long count = strtol(strtok(args, " "), NULL, 10);
	char *hex = strtok(NULL, " ");
	static const uint8_t zero[6];
	struct iovec iov = { frame, 0 };
	bool random_src;
	long sent = 0;
	int n;

	n = hex ? unhex(hex, frame, sizeof(frame)) : -1;
	if (n < 14 || count < 0 || count > 10000000) {
		printf("err bad-args\n");
		return;
	}
	iov.iov_len = (size_t)n;
	random_src = !memcmp(frame + 6, zero, 6);
	for (long i = 0; i < count; i++) {
		int rc;

		if (random_src) {
			uint32_t r = (uint32_t)random();

			frame[6] = 0x02;	/* locally administered unicast */
			frame[7] = 0x42;
			memcpy(frame + 8, &r, 4);
		}
		rc = vsw_send(port, NULL, &iov, 1, VSW_SEND_MORE);
		/* Full: let the switch drain, for at most about a second. */
		for (int tries = 0; rc == -EAGAIN && tries < 10000; tries++) {
			vsw_flush(port);
			usleep(100);
			rc = vsw_send(port, NULL, &iov, 1, VSW_SEND_MORE);
		}
		if (rc == 0)
			sent++;
		else if (rc != -EAGAIN)
			break;
	}
	vsw_flush(port);
	printf("ok %ld\n", sent);
}

static void cmd_recv(char *args)
{
	struct vsw_frame f;
	int rc = next_frame(port, &f, now_ms() + atoi(args));

	if (rc > 0) {
		reply_frame(&f);
		vsw_recv_done(port);
		vsw_recv_flush(port);
	} else if (rc == 0) {
		printf("none\n");
	} else {
		printf("err %s\n", vsw_strerror(rc));
	}
}

/* The TX ring (client -> switch) as a hostile client sees it. */
static struct vsw_ring *tx_ring(uint8_t **data, uint32_t *size)
{
	struct vsw_shm_hdr *h = vsw_port_shm(port, NULL);

	*data = (uint8_t *)h + h->data_off[VSW_TX];
	*size = h->data_size;
	return (struct vsw_ring *)((uint8_t *)h + h->ring_off[VSW_TX]);
}

static void kick_switch(void)
{
	/* A zero-length send would be refused: publishing via flush kicks. */
	vsw_flush(port);
}

static void cmd_raw_prod(char *args)
{
	uint8_t *data;
	uint32_t size;
	struct vsw_ring *r = tx_ring(&data, &size);

	__atomic_store_n(&r->prod, (uint32_t)strtoul(args, NULL, 0), __ATOMIC_RELEASE);
	kick_switch();
	printf("ok\n");
}

static void cmd_raw_rec(char *args)
{
	uint8_t *data;
	uint32_t size;
	struct vsw_ring *r = tx_ring(&data, &size);
	uint32_t prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
	struct vsw_rec *rec = (struct vsw_rec *)(data + (prod & (size - 1)));
	uint32_t len = (uint32_t)strtoul(args, NULL, 0);
	uint32_t step = len <= 64 ? vsw_rec_size(len) : vsw_rec_size(64);

	memset(rec, 0, sizeof(*rec) + 64);
	rec->len = len;
	memset(rec + 1, 0xff, 6);		/* broadcast destination */
	((uint8_t *)(rec + 1))[6] = 0x02;	/* some source */
	__atomic_store_n(&r->prod, prod + step, __ATOMIC_RELEASE);
	kick_switch();
	printf("ok\n");
}

static void cmd_mac(char *args)
{
	int64_t deadline = now_ms() + 3000;
	struct pollfd pfd = { vsw_port_ctrl_fd(port), POLLIN, 0 };
	uint8_t mac[6];
	int rc;

	if (!parse_mac(args, mac)) {
		printf("err bad-mac\n");
		return;
	}
	rc = vsw_set_mac(port, mac);
	/* The answer comes on the control connection. */
	while (rc == 0 && vsw_mac_status(port) == -EINPROGRESS) {
		int left = (int)(deadline - now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		rc = vsw_ctrl_process(port);
	}
	if (rc == 0)
		rc = vsw_mac_status(port);
	if (rc < 0)
		printf("err %s\n", vsw_strerror(rc));
	else
		printf("ok\n");
}

static void cmd_vlan(char *args)
{
	int64_t deadline = now_ms() + atoi(args);
	struct pollfd pfd = { vsw_port_ctrl_fd(port), POLLIN, 0 };

	for (;;) {
		int left = (int)(deadline - now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0 || vsw_ctrl_process(port) < 0)
			break;
	}
	printf("vlan %d\n", vsw_port_vlan(port));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "switch", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'p' },
		{ "vlan", required_argument, NULL, 'v' },
		{ "mac", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct vsw_attach_opts o = { 0 };
	uint8_t mac[6];
	char line[2 * VSW_FRAME_MAX + 128];
	char err[256];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.sock_path = optarg; break;
		case 'w': o.switch_name = optarg; break;
		case 'p': o.port_name = optarg; break;
		case 'v': o.vlan = atoi(optarg); break;
		case 'm':
			if (!parse_mac(optarg, mac)) {
				printf("error bad --mac\n");
				return 2;
			}
			o.mac = mac;
			break;
		default: return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	srandom((unsigned)getpid());
	if (!o.switch_name) {
		printf("error --switch is required\n");
		return 2;
	}
	if (vsw_attach(&o, &port, err, sizeof(err)) < 0) {
		printf("error %s\n", err);
		return 1;
	}
	printf("attached %s %d\n", vsw_port_name(port), vsw_port_vlan(port));
	while (fgets(line, sizeof(line), stdin)) {
		char *cmd = strtok(line, " \n"), *args = strtok(NULL, "\n");

		if (!cmd)
			continue;
		if (!args)
			args = "";
		if (!strcmp(cmd, "send"))
			cmd_send(args);
		else if (!strcmp(cmd, "sendn"))
			cmd_sendn(args);
		else if (!strcmp(cmd, "recv"))
			cmd_recv(args);
		else if (!strcmp(cmd, "count"))
			printf("count %ld\n", count_frames(port, atoi(args)));
		else if (!strcmp(cmd, "raw-prod"))
			cmd_raw_prod(args);
		else if (!strcmp(cmd, "raw-rec"))
			cmd_raw_rec(args);
		else if (!strcmp(cmd, "status"))
			printf("%s\n", port_status(port, atoi(args)));
		else if (!strcmp(cmd, "vlan"))
			cmd_vlan(args);
		else if (!strcmp(cmd, "mac"))
			cmd_mac(args);
		else if (!strcmp(cmd, "quit"))
			break;
		else
			printf("err unknown-command\n");
	}
	vsw_detach(port);
	return 0;
}
