// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vsw-blast.c - benchmark tool: small frames as fast as they go, through a
 * network interface or a libvswitch port, and a TAP-to-TAP relay.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * tests/bench/ext-bench.sh drives it; each mode prints one line of
 * key=value figures on stdout and runs for a bounded time.
 *
 *   tx      AF_PACKET sender on --if: --size-byte UDP/IPv4 frames to --dst
 *           (a MAC) from the interface's MAC (or --src), sendmmsg() batches
 *           of --batch, PACKET_QDISC_BYPASS, for --seconds or --count
 *           frames.  A send the device refuses (ENOBUFS: its queue is
 *           full) is counted in "refused" and the sender yields.
 *   vsw-rx  a libvswitch port (declaring --mac) as the receiving "VM":
 *           announces its MAC with one broadcast, then copies every frame
 *           out (as QEMU copies it into the guest) until the input has
 *           been quiet for --idle-ms after the first frame, or --seconds.
 *   vsw-tx  a libvswitch port as the sending "VM": vsw_send() batches of
 *           --batch frames to --dst for --seconds; on a full ring it
 *           yields, then sleeps on the event fd.
 *   relay   a TAP on a Linux bridge with a userspace end, as QEMU's TAP
 *           backend without vhost: opens TAP --tap in the current network
 *           namespace and TAP --tap-b in namespace --netns-b (a path, e.g.
 *           /run/netns/NAME), both with virtio-net headers and, with
 *           --offload, checksum and TSO offloads; then moves frames both
 *           ways, one read() and one write() per frame, like vsw-tap,
 *           until SIGTERM or --seconds.
 *   sink    a UDP socket on port 9 that never reads, with the smallest
 *           receive buffer, until SIGTERM or --seconds: the receiving
 *           namespace's stack then drops the blasted frames at the socket
 *           (UdpRcvbufErrors) instead of answering each with an ICMP
 *           port-unreachable attempt (a route lookup per frame).
 *
 * Frames: Ethernet + IPv4 (--src-ip, --dst-ip) + UDP to port 9 (discard),
 * zero payload; the IPv4 header checksum is right, the UDP checksum 0.
 *
 * Usage:
 *   vsw-blast tx --if IF --dst MAC [--src MAC] [--src-ip A] [--dst-ip B]
 *                [--size N] [--seconds S | --count N] [--batch N] [--no-bypass]
 *   vsw-blast vsw-rx --socket PATH --switch NAME --mac MAC [--seconds S]
 *                [--idle-ms MS] [--ready-file PATH]
 *   vsw-blast vsw-tx --socket PATH --switch NAME --mac MAC --dst MAC
 *                [--src-ip A] [--dst-ip B] [--size N] [--seconds S] [--batch N]
 *   vsw-blast relay --tap IF --tap-b IF --netns-b PATH [--offload]
 *                [--seconds S] [--ready-file PATH]
 *   vsw-blast sink [--seconds S] [--ready-file PATH]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "vswitch/vswitch.h"
#include "tool-util.h"

#define MAX_BATCH	1024
#define RX_BURST	256
#define SPIN_NS		2000000ull	/* yield this long before sleeping */
#define RELAY_BUF	(65536 + 14 + 4 + sizeof(struct vsw_vnet_hdr))

static volatile sig_atomic_t stop;

static struct {
	const char *ifname, *sock, *sw, *tap, *tap_b, *netns_b, *ready;
	uint8_t dst[6], src[6], mac[6];
	bool have_dst, have_src, have_mac;
	struct in_addr src_ip, dst_ip;
	unsigned size, batch;
	double seconds;
	long count;
	int idle_ms;
	bool bypass, offload;
} o = {
	.size = 64,
	.batch = 64,
	.seconds = 3.0,
	.count = -1,
	.idle_ms = 300,
	.bypass = true,
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void ready_file(void)
{
	FILE *f;

	if (o.ready && (f = fopen(o.ready, "w")))
		fclose(f);
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An Ethernet + IPv4 + UDP frame of o.size bytes from @src to o.dst. */
static void build_frame(uint8_t *f, const uint8_t src[6])
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	unsigned iplen = o.size - 14;
	uint16_t c;

	memset(f, 0, o.size);
	memcpy(f, o.dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[6] = 0x40;			/* DF */
	ip[8] = 64;			/* TTL */
	ip[9] = 17;			/* UDP */
	memcpy(ip + 12, &o.src_ip, 4);
	memcpy(ip + 16, &o.dst_ip, 4);
	c = ip_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = 0x27;			/* source port 9999 */
	udp[1] = 0x0f;
	udp[3] = 9;			/* discard */
	udp[4] = (uint8_t)((iplen - 20) >> 8);
	udp[5] = (uint8_t)(iplen - 20);
}

/* ------------------------------------------------------------------ */
/* tx: AF_PACKET                                                       */

static int mode_tx(void)
{
	static uint8_t frame[VSW_FRAME_MAX];
	static struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov = { frame, o.size };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	struct ifreq ifr = { 0 };
	uint64_t sent = 0, refused = 0, calls = 0, start, end, now;
	int one = 1, fd;

	if (!o.ifname || !o.have_dst) {
		fprintf(stderr, "vsw-blast tx: --if and --dst are required\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);	/* protocol 0: receives nothing */
	if (fd < 0) {
		perror("vsw-blast tx: socket(AF_PACKET)");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o.ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		fprintf(stderr, "vsw-blast tx: %s: %s\n", o.ifname, strerror(errno));
		return 1;
	}
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (!o.have_src) {
		if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
			fprintf(stderr, "vsw-blast tx: MAC of %s: %s\n", o.ifname, strerror(errno));
			return 1;
		}
		memcpy(o.src, ifr.ifr_hwaddr.sa_data, 6);
	}
	/* Protocol 0: bound to the device, but hooked to receive nothing. */
	sll.sll_protocol = 0;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("vsw-blast tx: bind");
		return 1;
	}
	sll.sll_protocol = htons(ETH_P_IP);
	if (o.bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		perror("vsw-blast tx: PACKET_QDISC_BYPASS (going on without)");
	build_frame(frame, o.src);
	for (unsigned i = 0; i < o.batch; i++) {
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	start = now = mono_ns();
	end = start + (uint64_t)(o.seconds * 1e9);
	while (!stop && (o.count >= 0 ? sent < (uint64_t)o.count : now < end)) {
		unsigned n = o.batch;
		int rc;

		if (o.count >= 0 && (uint64_t)o.count - sent < n)
			n = (unsigned)((uint64_t)o.count - sent);
		rc = sendmmsg(fd, msgs, n, 0);
		calls++;
		if (rc > 0)
			sent += (uint64_t)rc;
		if (rc < (int)n) {
			int e = rc < 0 ? errno : EAGAIN;

			if (rc < 0 && e != ENOBUFS && e != EAGAIN && e != EINTR) {
				fprintf(stderr, "vsw-blast tx: sendmmsg: %s\n", strerror(e));
				break;
			}
			/* The frame after the last sent one was refused. */
			refused++;
			if (o.count >= 0 && sent < (uint64_t)o.count && refused > 1000)
				break;
			sched_yield();
		}
		now = mono_ns();
	}
	now = mono_ns();
	printf("mode=tx if=%s size=%u frames=%llu refused=%llu seconds=%.4f mpps=%.4f\n",
	       o.ifname, o.size, (unsigned long long)sent, (unsigned long long)refused,
	       (now - start) / 1e9, sent / ((now - start) / 1e3 + 1e-9));
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* vsw-rx, vsw-tx: libvswitch ports                                    */

static struct vsw_port *attach(void)
{
	struct vsw_attach_opts ao = {
		.sock_path = o.sock,
		.switch_name = o.sw,
		.mac = o.mac,
		.offloads = VSW_OFFLOAD_ALL,
	};
	struct vsw_port *p;
	char err[256] = "";
	int rc;

	if (!o.sw || !o.have_mac) {
		fprintf(stderr, "vsw-blast: --switch and --mac are required\n");
		return NULL;
	}
	rc = vsw_attach(&ao, &p, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "vsw-blast: attach: %s\n", err[0] ? err : vsw_strerror(rc));
		return NULL;
	}
	return p;
}

static int mode_vsw_rx(void)
{
	static uint8_t frame[64], copy[VSW_FRAME_MAX];
	struct iovec iov = { frame, sizeof(frame) };
	uint64_t frames = 0, other = 0, t_first = 0, t_last = 0, idle_since = 0, hard;
	struct vsw_port *p = attach();
	int rc;

	if (!p)
		return 1;
	/* One broadcast from our MAC: the switch learns where we are. */
	memset(o.dst, 0xff, 6);
	o.size = sizeof(frame);
	build_frame(frame, o.mac);
	rc = vsw_send(p, NULL, &iov, 1, 0);
	if (rc < 0) {
		fprintf(stderr, "vsw-blast vsw-rx: announce: %s\n", vsw_strerror(rc));
		return 1;
	}
	ready_file();
	hard = mono_ns() + (uint64_t)(o.seconds * 1e9);
	while (!stop) {
		struct vsw_frame f;
		unsigned n = 0;
		uint64_t now;

		while (n < RX_BURST && (rc = vsw_recv(p, &f)) > 0) {
			if (f.len >= 14 && !memcmp(f.data, o.mac, 6)) {
				memcpy(copy, f.data, f.len);
				n++;
			} else {
				other++;
			}
			vsw_recv_done(p);
		}
		if (rc < 0) {
			fprintf(stderr, "vsw-blast vsw-rx: %s\n", vsw_strerror(rc));
			break;
		}
		now = mono_ns();
		if (n) {
			vsw_recv_flush(p);
			if (!frames)
				t_first = now;
			frames += n;
			t_last = now;
			idle_since = 0;
			continue;
		}
		if (!idle_since)
			idle_since = now;
		if (now > hard || (frames && now - idle_since > o.idle_ms * 1000000ull))
			break;
		if (now - idle_since < SPIN_NS) {
			sched_yield();
		} else {
			rc = vsw_wait(p, 20);
			if (rc < 0) {
				fprintf(stderr, "vsw-blast vsw-rx: %s\n", vsw_strerror(rc));
				break;
			}
		}
	}
	vsw_recv_flush(p);
	printf("mode=vsw-rx frames=%llu other=%llu seconds=%.4f mpps=%.4f\n",
	       (unsigned long long)frames, (unsigned long long)other,
	       (t_last - t_first) / 1e9,
	       t_last > t_first ? frames / ((t_last - t_first) / 1e3) : 0.0);
	vsw_detach(p);
	return 0;
}

static int mode_vsw_tx(void)
{
	static uint8_t frame[VSW_FRAME_MAX];
	struct iovec iov = { frame, o.size };
	uint64_t sent = 0, full = 0, sleeps = 0, start, end, now;
	struct vsw_port *p;

	if (!o.have_dst) {
		fprintf(stderr, "vsw-blast vsw-tx: --dst is required\n");
		return 2;
	}
	p = attach();
	if (!p)
		return 1;
	build_frame(frame, o.mac);
	start = now = mono_ns();
	end = start + (uint64_t)(o.seconds * 1e9);
	while (!stop && now < end) {
		for (unsigned i = 0; i < o.batch; i++) {
			int rc = vsw_send(p, NULL, &iov, 1, VSW_SEND_MORE);

			if (rc == 0) {
				sent++;
				continue;
			}
			if (rc != -EAGAIN) {
				fprintf(stderr, "vsw-blast vsw-tx: %s\n", vsw_strerror(rc));
				goto out;
			}
			/* Full ring: publish, yield, then sleep until the switch kicks. */
			vsw_flush(p);
			full++;
			for (uint64_t spin_end = mono_ns() + SPIN_NS;
			     !vsw_tx_space(p, o.size) && mono_ns() < spin_end;)
				sched_yield();
			if (!vsw_tx_space(p, o.size)) {
				struct pollfd pfd = { vsw_port_event_fd(p), POLLIN, 0 };

				sleeps++;
				poll(&pfd, 1, 100);
			}
			vsw_event_clear(p);
			break;
		}
		vsw_flush(p);
		now = mono_ns();
	}
out:
	vsw_flush(p);
	now = mono_ns();
	printf("mode=vsw-tx size=%u frames=%llu full=%llu sleeps=%llu seconds=%.4f mpps=%.4f\n",
	       o.size, (unsigned long long)sent, (unsigned long long)full,
	       (unsigned long long)sleeps, (now - start) / 1e9,
	       sent / ((now - start) / 1e3 + 1e-9));
	usleep(200000);		/* let the switch take what is in the ring */
	vsw_detach(p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* relay: TAP <-> TAP                                                  */

/* Up to RX_BURST frames from @from to @to; Return: frames moved, or -errno. */
static int relay_burst(int from, int to, uint8_t *buf, uint64_t *moved, uint64_t *dropped)
{
	int n;

	for (n = 0; n < RX_BURST; n++) {
		ssize_t len = read(from, buf, RELAY_BUF);

		if (len < 0)
			return errno == EAGAIN ? n : -errno;
		/* A full queue on the other side drops, like a NIC with no buffers. */
		if (write(to, buf, (size_t)len) < 0) {
			if (errno != EAGAIN && errno != EIO && errno != ENOBUFS)
				return -errno;
			(*dropped)++;
		} else {
			(*moved)++;
		}
	}
	return n;
}

static int mode_relay(void)
{
	static uint8_t buf[RELAY_BUF];
	uint64_t moved[2] = { 0 }, dropped[2] = { 0 }, hard;
	int a, b, ns;

	if (!o.tap || !o.tap_b || !o.netns_b) {
		fprintf(stderr, "vsw-blast relay: --tap, --tap-b and --netns-b are required\n");
		return 2;
	}
	a = tap_open(o.tap, o.offload);
	if (a < 0) {
		fprintf(stderr, "vsw-blast relay: TAP %s: %s\n", o.tap, strerror(-a));
		return 1;
	}
	ns = open(o.netns_b, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
		fprintf(stderr, "vsw-blast relay: %s: %s\n", o.netns_b, strerror(errno));
		return 1;
	}
	close(ns);
	b = tap_open(o.tap_b, o.offload);
	if (b < 0) {
		fprintf(stderr, "vsw-blast relay: TAP %s: %s\n", o.tap_b, strerror(-b));
		return 1;
	}
	ready_file();
	hard = o.seconds > 0 ? mono_ns() + (uint64_t)(o.seconds * 1e9) : UINT64_MAX;
	while (!stop && mono_ns() < hard) {
		struct pollfd pfd[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
		int na = relay_burst(a, b, buf, &moved[0], &dropped[0]);
		int nb = relay_burst(b, a, buf, &moved[1], &dropped[1]);

		if (na < 0 || nb < 0) {
			fprintf(stderr, "vsw-blast relay: %s\n", strerror(-(na < 0 ? na : nb)));
			return 1;
		}
		if (na == RX_BURST || nb == RX_BURST || na + nb > 0)
			continue;
		if (poll(pfd, 2, 200) < 0 && errno != EINTR)
			return 1;
	}
	printf("mode=relay a_to_b=%llu a_to_b_dropped=%llu b_to_a=%llu b_to_a_dropped=%llu\n",
	       (unsigned long long)moved[0], (unsigned long long)dropped[0],
	       (unsigned long long)moved[1], (unsigned long long)dropped[1]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* sink: a UDP socket that never reads                                 */

static int mode_sink(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	uint64_t hard = mono_ns() + (uint64_t)(o.seconds * 1e9);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("vsw-blast sink");
		return 1;
	}
	ready_file();
	while (!stop && mono_ns() < hard)
		usleep(100000);
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vsw-blast tx --if IF --dst MAC [--src MAC] [--src-ip A] [--dst-ip B]\n"
		"                    [--size N] [--seconds S | --count N] [--batch N] [--no-bypass]\n"
		"       vsw-blast vsw-rx --socket PATH --switch NAME --mac MAC [--seconds S]\n"
		"                    [--idle-ms MS] [--ready-file PATH]\n"
		"       vsw-blast vsw-tx --socket PATH --switch NAME --mac MAC --dst MAC\n"
		"                    [--src-ip A] [--dst-ip B] [--size N] [--seconds S] [--batch N]\n"
		"       vsw-blast relay --tap IF --tap-b IF --netns-b PATH [--offload]\n"
		"                    [--seconds S] [--ready-file PATH]\n"
		"       vsw-blast sink [--seconds S] [--ready-file PATH]\n");
}

int main(int argc, char **argv)
{
	enum { O_IF = 256, O_DST, O_SRC, O_SIP, O_DIP, O_SIZE, O_SEC, O_COUNT, O_BATCH,
	       O_NOBYP, O_SOCK, O_SW, O_MAC, O_IDLE, O_READY, O_TAP, O_TAPB, O_NSB,
	       O_OFFL, O_HELP };
	static const struct option opts[] = {
		{ "if", required_argument, NULL, O_IF },
		{ "dst", required_argument, NULL, O_DST },
		{ "src", required_argument, NULL, O_SRC },
		{ "src-ip", required_argument, NULL, O_SIP },
		{ "dst-ip", required_argument, NULL, O_DIP },
		{ "size", required_argument, NULL, O_SIZE },
		{ "seconds", required_argument, NULL, O_SEC },
		{ "count", required_argument, NULL, O_COUNT },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "no-bypass", no_argument, NULL, O_NOBYP },
		{ "socket", required_argument, NULL, O_SOCK },
		{ "switch", required_argument, NULL, O_SW },
		{ "mac", required_argument, NULL, O_MAC },
		{ "idle-ms", required_argument, NULL, O_IDLE },
		{ "ready-file", required_argument, NULL, O_READY },
		{ "tap", required_argument, NULL, O_TAP },
		{ "tap-b", required_argument, NULL, O_TAPB },
		{ "netns-b", required_argument, NULL, O_NSB },
		{ "offload", no_argument, NULL, O_OFFL },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	const char *mode;
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	mode = argv[1];
	inet_pton(AF_INET, "10.77.0.1", &o.src_ip);
	inet_pton(AF_INET, "10.77.0.2", &o.dst_ip);
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_IF: o.ifname = optarg; break;
		case O_DST:
			o.have_dst = parse_mac(optarg, o.dst);
			if (!o.have_dst)
				goto bad;
			break;
		case O_SRC:
			o.have_src = parse_mac(optarg, o.src);
			if (!o.have_src)
				goto bad;
			break;
		case O_MAC:
			o.have_mac = parse_mac(optarg, o.mac);
			if (!o.have_mac)
				goto bad;
			break;
		case O_SIP:
			if (inet_pton(AF_INET, optarg, &o.src_ip) != 1)
				goto bad;
			break;
		case O_DIP:
			if (inet_pton(AF_INET, optarg, &o.dst_ip) != 1)
				goto bad;
			break;
		case O_SIZE:
			o.size = (unsigned)atoi(optarg);
			if (o.size < 60 || o.size > 1514)
				goto bad;
			break;
		case O_SEC:
			o.seconds = atof(optarg);
			if (o.seconds < 0 || o.seconds > 86400)
				goto bad;
			break;
		case O_COUNT: o.count = atol(optarg); break;
		case O_BATCH:
			o.batch = (unsigned)atoi(optarg);
			if (o.batch < 1 || o.batch > MAX_BATCH)
				goto bad;
			break;
		case O_NOBYP: o.bypass = false; break;
		case O_SOCK: o.sock = optarg; break;
		case O_SW: o.sw = optarg; break;
		case O_IDLE: o.idle_ms = atoi(optarg); break;
		case O_READY: o.ready = optarg; break;
		case O_TAP: o.tap = optarg; break;
		case O_TAPB: o.tap_b = optarg; break;
		case O_NSB: o.netns_b = optarg; break;
		case O_OFFL: o.offload = true; break;
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind < argc)
		goto bad;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "tx"))
		return mode_tx();
	if (!strcmp(mode, "vsw-rx"))
		return mode_vsw_rx();
	if (!strcmp(mode, "vsw-tx"))
		return mode_vsw_tx();
	if (!strcmp(mode, "relay"))
		return mode_relay();
	if (!strcmp(mode, "sink"))
		return mode_sink();
bad:
	usage(stderr);
	return 2;
}
