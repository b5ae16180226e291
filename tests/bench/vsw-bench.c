// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vsw-bench.c - port-to-port frame rate of vswitchd, side by side with vde_switch.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Starts its own vswitchd (a private socket and state directory under a
 * temporary directory) with one Private switch, and its own vde_switch, then
 * for every frame size and each backend forks a receiver process and a
 * sender process that attach as two ports and move unicast frames from the
 * sender's MAC to the receiver's for a bounded time:
 *
 *   sender  --vsw_send()-->  vswitchd  --ring-->  receiver   (libvswitch)
 *   sender  --vde_send()-->  vde_switch --unix--> receiver   (libvdeplug)
 *
 * The receiver first sends one broadcast frame so both switches learn its
 * MAC: what follows is switched unicast, not flooded.  The receiver copies
 * every frame out (as QEMU copies it into the guest) and counts frames and
 * bytes between the first and the last one; the rate is received frames over
 * that time, loss is 1 - received / sent.  Large frames (above 1518 bytes)
 * carry a virtio-net header marking them TCPv4 GSO with a partial checksum,
 * and both vswitch ports declare every offload, so they cross the switch
 * unsegmented; vde_switch truncates anything above 1518 bytes, so it has no
 * figure there.
 *
 * Everything is bounded in time; only processes started here are killed,
 * by PID.  No network interface is created: shared memory and Unix sockets.
 *
 * Usage: vsw-bench [--seconds S] [--sizes 64,1500,...] [--batch N]
 *                  [--tx-wait spin|yield|sleep] [--rx-wait spin|yield|sleep]
 *                  [--spin-us US] [--tx-yield KIB] [--runs N]
 *                  [--pin none|split|rx-alone|tx-alone] [--pin-switch CPUS]
 *                  [--pin-sender CPUS] [--pin-receiver CPUS]
 *                  [--vswitchd PATH] [--vswitchd-arg ARG]... [--no-vde]
 * See tests/bench/README.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvdeplug.h>

#include "vswitch/vswitch.h"

/* The meson build dir this program was built in (-DBUILD_DIR). */
#define DEFAULT_BUILD_DIR	BUILD_DIR
#define SWITCH_NAME		"bench"
#define MAX_SIZES		16
#define MAX_EXTRA_ARGS		16
#define VDE_MAX_FRAME		1518	/* vde_switch 2.3.2 truncates longer frames */
#define START_MS		5000	/* bound on any start-up step */
#define DRAIN_IDLE_MS		100	/* receiver: quiet time that ends a run */
#define RX_BURST		256

/* The two fixed, locally administered unicast MACs. */
static const uint8_t mac_sender[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x0a };
static const uint8_t mac_receiver[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x0b };

enum wait_mode { WAIT_SPIN, WAIT_YIELD, WAIT_SLEEP };
enum backend { BE_VSW, BE_VDE };

/**
 * struct opts - what the command line asked for.
 */
static struct opts {
	const char *vswitchd;
	const char *extra[MAX_EXTRA_ARGS];
	int nextra;
	double seconds;
	unsigned sizes[MAX_SIZES];
	int nsizes;
	unsigned batch;
	unsigned tx_yield_kib;
	int runs;
	enum wait_mode tx_wait, rx_wait;
	unsigned spin_us;
	cpu_set_t pin_switch, pin_sender, pin_receiver;
	bool vde;
	bool verbose;
} o = {
	.seconds = 2.0,
	.sizes = { 64, 1500, 1518, 65536 },
	.nsizes = 4,
	.batch = 64,
	.runs = 3,
	.tx_yield_kib = 128,
	.tx_wait = WAIT_YIELD,
	.rx_wait = WAIT_YIELD,
	.spin_us = 2000,
	.vde = true,
};

/**
 * struct side - one process's figures, in memory shared with the parent.
 * @ready:   attached (and, for the receiver, MAC announced)
 * @done:    finished sending / receiving
 * @frames:  frames sent (accepted by the library) or received
 * @first:   receiver: frames taken in the burst that set @t_first
 * @bytes:   their frame bytes
 * @t_first: CLOCK_MONOTONIC ns of the first frame
 * @t_last:  CLOCK_MONOTONIC ns of the last frame
 * @full:    sender: times the ring or socket was full
 * @sleeps:  times the process slept on its fd
 * @bad:     receiver: frames that were not the benchmark's
 * @err:     non-empty if the process failed
 */
struct side {
	int ready;
	int done;
	uint64_t frames;
	uint64_t first;
	uint64_t bytes;
	uint64_t t_first;
	uint64_t t_last;
	uint64_t full;
	uint64_t sleeps;
	uint64_t bad;
	char err[200];
};

/**
 * struct shared - the parent's and both children's view of one run.
 * @go:   set by the parent: the sender may start
 * @stop: set by the parent: the sender is done; drain and leave
 */
struct shared {
	int go;
	int stop;
	struct side tx;
	struct side rx;
};

/**
 * struct result - what one run measured.
 */
struct result {
	bool valid;
	double mpps, gbps, loss;
	double secs;
	double cpu_switch, cpu_tx, cpu_rx;
	uint64_t sent, received, full, sleeps_tx, sleeps_rx;
};

static char tmpdir[64];
static char vsw_sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char vde_dir[128];
static pid_t vswitchd_pid, vde_pid;
static int vde_stdin = -1;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void cleanup(void);

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vsw-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	cleanup();
	exit(1);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/**
 * parse_cpus() - "0", "1", "0,1": a CPU set; "" or "none" leaves it empty.
 * Return: false on a malformed list.
 */
static bool parse_cpus(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	if (!*s || !strcmp(s, "none"))
		return true;
	while (*s) {
		char *end;
		long c = strtol(s, &end, 10);

		if (end == s || c < 0 || c >= CPU_SETSIZE)
			return false;
		CPU_SET((int)c, set);
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return false;
	}
	return true;
}

static const char *cpus_str(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int c = 0; c < CPU_SETSIZE && n + 8 < len; c++)
		if (CPU_ISSET(c, set))
			n += (size_t)snprintf(buf + n, len - n, "%s%d", n ? "," : "", c);
	if (!n)
		snprintf(buf, len, "any");
	return buf;
}

/* Pin the calling process (before exec: all its future threads) to @set. */
static void pin_self(const cpu_set_t *set)
{
	if (CPU_COUNT(set) && sched_setaffinity(0, sizeof(*set), set) < 0)
		fprintf(stderr, "vsw-bench: sched_setaffinity: %s\n", strerror(errno));
}

/**
 * set_layout() - a named CPU placement for the switch, sender and receiver
 * (CPUs 0 and 1; "|" separates the CPUs in the help text).
 * Return: false for an unknown name.
 */
static bool set_layout(const char *name)
{
	static const struct {
		const char *name, *sw, *tx, *rx;
	} layouts[] = {
		{ "none", "", "", "" },
		{ "split", "1", "0", "0" },
		{ "rx-alone", "0", "0", "1" },
		{ "tx-alone", "1", "0", "1" },
	};

	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		if (strcmp(name, layouts[i].name))
			continue;
		parse_cpus(layouts[i].sw, &o.pin_switch);
		parse_cpus(layouts[i].tx, &o.pin_sender);
		parse_cpus(layouts[i].rx, &o.pin_receiver);
		return true;
	}
	return false;
}

static bool parse_wait(const char *s, enum wait_mode *m)
{
	if (!strcmp(s, "spin"))
		*m = WAIT_SPIN;
	else if (!strcmp(s, "yield"))
		*m = WAIT_YIELD;
	else if (!strcmp(s, "sleep"))
		*m = WAIT_SLEEP;
	else
		return false;
	return true;
}

static const char *wait_name(enum wait_mode m)
{
	return m == WAIT_SPIN ? "spin" : m == WAIT_YIELD ? "yield" : "sleep";
}

/**
 * proc_cpu_s() - user + system CPU seconds @pid has used so far (all threads).
 * Return: seconds, or 0 if /proc cannot tell.
 */
static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* Fields after the command name, which ends with the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS and VmHWM of @pid in KiB. */
static void proc_rss_kib(pid_t pid, long *rss, long *hwm)
{
	char path[64], line[256];
	FILE *f;

	*rss = *hwm = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "VmRSS:", 6))
			*rss = strtol(line + 6, NULL, 10);
		else if (!strncmp(line, "VmHWM:", 6))
			*hwm = strtol(line + 6, NULL, 10);
	}
	fclose(f);
}

/**
 * wait_child() - reap @pid within @ms, killing it (by PID) if it overstays.
 * @ru: its resource usage, if reaped
 * Return: true if it exited by itself with status 0.
 */
static bool wait_child(pid_t pid, int ms, struct rusage *ru)
{
	uint64_t end = mono_ns() + (uint64_t)ms * 1000000;
	int st;

	memset(ru, 0, sizeof(*ru));
	for (;;) {
		pid_t r = wait4(pid, &st, WNOHANG, ru);

		if (r == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (r < 0)
			return false;
		if (mono_ns() > end)
			break;
		usleep(2000);
	}
	kill(pid, SIGKILL);
	wait4(pid, &st, 0, ru);
	return false;
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */

static uint16_t csum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * build_frame() - a plausible IPv4 frame of @len bytes from @src to @dst.
 * @buf:  at least @len bytes
 * @len:  frame length, Ethernet header included, no FCS; >= 64
 * @src:  source MAC
 * @dst:  destination MAC
 * @vnet: filled with the virtio-net header to send it with
 *
 * Up to 1518 bytes: a UDP datagram (checksum 0, allowed over IPv4) and a
 * zero vnet header.  Longer: one TCP segment of a 64 KiB TSO burst with
 * a partial checksum, the way a guest with TSO hands it to its NIC: GSO
 * TCPv4, gso_size 1448, NEEDS_CSUM at the TCP checksum, which holds the
 * pseudo-header sum.
 */
static void build_frame(uint8_t *buf, uint32_t len, const uint8_t *src,
			const uint8_t *dst, struct vsw_vnet_hdr *vnet)
{
	static const uint8_t saddr[4] = { 10, 77, 0, 1 }, daddr[4] = { 10, 77, 0, 2 };
	bool gso = len > VDE_MAX_FRAME;
	uint32_t ip_len = len - 14;
	uint8_t *ip = buf + 14, *l4 = ip + 20;
	uint32_t l4_len = ip_len - 20;

	if (ip_len > 65535)
		ip_len = 65535;
	l4_len = ip_len - 20;
	memset(buf, 0, len);
	memset(vnet, 0, sizeof(*vnet));
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	put16(buf + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ip_len);
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);			/* DF */
	ip[8] = 64;
	ip[9] = gso ? 6 : 17;
	memcpy(ip + 12, saddr, 4);
	memcpy(ip + 16, daddr, 4);
	put16(ip + 10, (uint16_t)~csum16(ip, 20, 0));
	for (uint32_t i = 14 + 20 + 20; i < len; i++)
		buf[i] = (uint8_t)(i * 7);
	if (!gso) {
		put16(l4, 40000);
		put16(l4 + 2, 5201);
		put16(l4 + 4, (uint16_t)l4_len);
		return;
	}
	put16(l4, 40000);
	put16(l4 + 2, 5201);
	l4[4] = 0x10;				/* seq */
	l4[8] = 0x20;				/* ack */
	l4[12] = 5 << 4;			/* data offset: 20 bytes */
	l4[13] = 0x18;				/* PSH | ACK */
	put16(l4 + 14, 65535);			/* window */
	{
		/* Pseudo-header sum, not complemented: NEEDS_CSUM finishes it. */
		uint8_t ph[12];

		memcpy(ph, saddr, 4);
		memcpy(ph + 4, daddr, 4);
		ph[8] = 0;
		ph[9] = 6;
		put16(ph + 10, (uint16_t)l4_len);
		put16(l4 + 16, csum16(ph, sizeof(ph), 0));
	}
	vnet->flags = VSW_VNET_F_NEEDS_CSUM;
	vnet->gso_type = VSW_VNET_GSO_TCPV4;
	vnet->hdr_len = 14 + 20 + 20;
	vnet->gso_size = 1448;
	vnet->csum_start = 14 + 20;
	vnet->csum_offset = 16;
}

/* ------------------------------------------------------------------ */
/* Waiting, the way a client on two busy CPUs can                       */

/**
 * spin_or_yield() - one step of busy waiting in @m (spin or yield).
 */
static void spin_or_yield(enum wait_mode m)
{
	if (m == WAIT_YIELD) {
		sched_yield();
	} else {
		for (int i = 0; i < 32; i++)
			cpu_relax();
	}
}

/* ------------------------------------------------------------------ */
/* vswitch sender and receiver                                         */

/**
 * vsw_attach_port() - attach port @name to the benchmark switch, every offload on.
 * Return: the port, or NULL with @me->err set.
 */
static struct vsw_port *vsw_attach_port(const char *name, struct side *me)
{
	struct vsw_attach_opts ao = {
		.sock_path = vsw_sock,
		.switch_name = SWITCH_NAME,
		.port_name = name,
		.offloads = VSW_OFFLOAD_ALL,
	};
	struct vsw_port *p;
	int rc = vsw_attach(&ao, &p, me->err, sizeof(me->err));

	if (rc < 0) {
		if (!me->err[0])
			snprintf(me->err, sizeof(me->err), "attach: %s", vsw_strerror(rc));
		return NULL;
	}
	return p;
}

/**
 * vsw_tx_wait() - the TX ring is full: publish, then wait in the configured
 * way (o.tx_wait, o.spin_us) until a frame of @len fits.
 * Return: 0 (try again), -ETIMEDOUT past @deadline, or -errno.
 */
static int vsw_tx_wait(struct vsw_port *p, uint32_t len, uint64_t deadline,
		       struct side *me)
{
	struct pollfd pfd = { vsw_port_event_fd(p), POLLIN, 0 };
	uint64_t spin_end, now;

	vsw_flush(p);
	me->full++;
	if (o.tx_wait != WAIT_SLEEP) {
		spin_end = mono_ns() + (uint64_t)o.spin_us * 1000;
		for (;;) {
			if (vsw_tx_space(p, len)) {
				/* vsw_send() asked for a space kick: take it back. */
				vsw_event_clear(p);
				return 0;
			}
			now = mono_ns();
			if (now > deadline)
				return -ETIMEDOUT;
			if (now > spin_end)
				break;
			spin_or_yield(o.tx_wait);
		}
	}
	/* vsw_send() armed the space kick before it returned -EAGAIN. */
	me->sleeps++;
	if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
		return -errno;
	vsw_event_clear(p);
	return 0;
}

/**
 * sender_ready() - a sender is attached: say so, then wait (at most
 * START_MS) for the parent's go.  Return: the start time, or 0 on timeout.
 */
static uint64_t sender_ready(struct shared *sh, struct side *me)
{
	uint64_t hard, start;

	__atomic_store_n(&me->ready, 1, __ATOMIC_RELEASE);
	hard = mono_ns() + START_MS * 1000000ull;
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE)) {
		if (mono_ns() > hard)
			return 0;
		usleep(100);
	}
	start = mono_ns();
	me->t_first = start;
	return start;
}

/**
 * sender_done() - a sender's end: record what it sent, then stay connected
 * until the parent says stop (at most 10 s): detaching would drop frames
 * the switch has not forwarded yet.
 */
static void sender_done(struct shared *sh, struct side *me, uint64_t sent, uint32_t len)
{
	uint64_t hard;

	me->t_last = mono_ns();
	me->frames = sent;
	me->bytes = sent * len;
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	hard = mono_ns() + 10000 * 1000000ull;
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) && mono_ns() < hard)
		usleep(1000);
}

/**
 * vsw_sender() - child process: send @len-byte frames for o.seconds.
 *
 * Batches o.batch frames per publish, yields the CPU every o.tx_yield_kib,
 * records what libvswitch accepted, then stays attached until the parent
 * says the receiver drained.  Return: exit status.
 */
static int vsw_sender(struct shared *sh, uint32_t len)
{
	struct side *me = &sh->tx;
	static uint8_t frame[VSW_FRAME_MAX];
	struct vsw_vnet_hdr vnet;
	struct iovec iov = { frame, len };
	uint64_t yield_bytes = o.tx_yield_kib * 1024ull;
	uint64_t start, end, sent = 0, yielded_at = 0;
	struct vsw_port *p;

	build_frame(frame, len, mac_sender, mac_receiver, &vnet);
	p = vsw_attach_port("sender", me);
	if (!p)
		return 1;
	start = sender_ready(sh, me);
	if (!start)
		return 1;
	end = start + (uint64_t)(o.seconds * 1e9);
	for (uint64_t now = start; now < end; now = mono_ns()) {
		for (unsigned i = 0; i < o.batch; i++) {
			int rc = vsw_send(p, &vnet, &iov, 1, VSW_SEND_MORE);

			if (rc == -EAGAIN) {
				rc = vsw_tx_wait(p, len, end, me);
				if (rc == -ETIMEDOUT)
					break;
				if (rc < 0) {
					snprintf(me->err, sizeof(me->err), "wait: %s", strerror(-rc));
					goto out;
				}
				continue;
			}
			if (rc < 0) {
				snprintf(me->err, sizeof(me->err), "vsw_send: %s", vsw_strerror(rc));
				goto out;
			}
			sent++;
			if (yield_bytes && (sent - yielded_at) * len >= yield_bytes)
				break;
		}
		vsw_flush(p);
		if (yield_bytes && (sent - yielded_at) * len >= yield_bytes) {
			yielded_at = sent;
			sched_yield();
		}
	}
out:
	vsw_flush(p);
	sender_done(sh, me, sent, len);
	vsw_detach(p);
	return me->err[0] ? 1 : 0;
}

enum rx_step {
	RX_MORE,	/* took frames: look again at once */
	RX_IDLE,	/* nothing: wait as --rx-wait says */
	RX_DONE,	/* the run is over and the input stayed quiet, or time is up */
};

/**
 * rx_progress() - a receiver's bookkeeping after one pass over its input:
 * count the @n frames taken at @now, track how long the input was quiet.
 * Return: what to do next.
 */
static enum rx_step rx_progress(struct shared *sh, struct side *me, unsigned n,
				uint64_t now, uint64_t hard, uint64_t *frames,
				uint64_t *idle_since)
{
	if (n) {
		if (!*frames) {
			me->t_first = now;
			me->first = n;
		}
		*frames += n;
		me->t_last = now;
		*idle_since = 0;
		return RX_MORE;
	}
	if (!*idle_since)
		*idle_since = now;
	if (now > hard)
		return RX_DONE;
	if (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) &&
	    now - *idle_since > DRAIN_IDLE_MS * 1000000ull)
		return RX_DONE;
	return RX_IDLE;
}

/**
 * vsw_receiver() - child process: announce the receiver MAC, then take and
 * copy out every frame until the parent says stop and the ring stays quiet.
 * Return: exit status.
 */
static int vsw_receiver(struct shared *sh, uint32_t len)
{
	struct side *me = &sh->rx;
	static uint8_t frame[VSW_FRAME_MAX], copy[VSW_FRAME_MAX];
	struct vsw_vnet_hdr vnet;
	struct iovec iov = { frame, 64 };
	uint64_t idle_since = 0, hard, frames = 0, bytes = 0;
	enum rx_step step;
	struct vsw_port *p;
	int rc;

	p = vsw_attach_port("receiver", me);
	if (!p)
		return 1;
	/* Announce our MAC: a broadcast the switch learns us from. */
	build_frame(frame, 64, mac_receiver, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", &vnet);
	rc = vsw_send(p, NULL, &iov, 1, 0);
	if (rc < 0) {
		snprintf(me->err, sizeof(me->err), "announce: %s", vsw_strerror(rc));
		return 1;
	}
	__atomic_store_n(&me->ready, 1, __ATOMIC_RELEASE);
	hard = mono_ns() + (uint64_t)((o.seconds + 15.0) * 1e9);
	for (;;) {
		struct vsw_frame f;
		unsigned n = 0;
		uint64_t now;

		while (n < RX_BURST && (rc = vsw_recv(p, &f)) > 0) {
			/* Large frames must arrive whole, still marked GSO. */
			if (f.len == len && !memcmp(f.data + 6, mac_sender, 6) &&
			    (len <= VDE_MAX_FRAME || f.vnet.gso_type == VSW_VNET_GSO_TCPV4)) {
				memcpy(copy, f.data, f.len);
				bytes += f.len;
				n++;
			} else {
				me->bad++;
			}
			vsw_recv_done(p);
		}
		if (rc < 0) {
			snprintf(me->err, sizeof(me->err), "vsw_recv: %s", vsw_strerror(rc));
			break;
		}
		now = mono_ns();
		if (n)
			vsw_recv_flush(p);
		step = rx_progress(sh, me, n, now, hard, &frames, &idle_since);
		if (step == RX_MORE)
			continue;
		if (step == RX_DONE)
			break;
		if (o.rx_wait == WAIT_SLEEP || now - idle_since > o.spin_us * 1000ull) {
			me->sleeps++;
			rc = vsw_wait(p, 10);
			if (rc < 0) {
				snprintf(me->err, sizeof(me->err), "vsw_wait: %s", vsw_strerror(rc));
				break;
			}
		} else {
			spin_or_yield(o.rx_wait);
		}
	}
	vsw_recv_flush(p);
	vsw_detach(p);
	me->frames = frames;
	me->bytes = bytes;
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	return me->err[0] ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* vde sender and receiver                                             */

/**
 * vde_attach_port() - plug into our vde_switch, data fd non-blocking.
 * Return: the connection, or NULL with @me->err set.
 */
static VDECONN *vde_attach_port(const char *descr, struct side *me)
{
	struct vde_open_args a = { 0 };
	char url[160];
	VDECONN *c;

	snprintf(url, sizeof(url), "vde://%s", vde_dir);
	c = vde_open(url, (char *)descr, &a);
	if (!c) {
		snprintf(me->err, sizeof(me->err), "vde_open %s: %s", url, strerror(errno));
		return NULL;
	}
	fcntl(vde_datafd(c), F_SETFL, fcntl(vde_datafd(c), F_GETFL) | O_NONBLOCK);
	return c;
}

/**
 * vde_sender() - child process: vsw_sender() through libvdeplug.  A full
 * socket (EAGAIN) is waited out the way o.tx_wait says.  Return: exit status.
 */
static int vde_sender(struct shared *sh, uint32_t len)
{
	struct side *me = &sh->tx;
	static uint8_t frame[VSW_FRAME_MAX];
	struct vsw_vnet_hdr vnet;
	uint64_t yield_bytes = o.tx_yield_kib * 1024ull;
	uint64_t start, end, sent = 0, yielded_at = 0;
	VDECONN *c;

	build_frame(frame, len, mac_sender, mac_receiver, &vnet);
	c = vde_attach_port("vsw-bench sender", me);
	if (!c)
		return 1;
	start = sender_ready(sh, me);
	if (!start)
		return 1;
	end = start + (uint64_t)(o.seconds * 1e9);
	for (uint64_t now = start; now < end; now = mono_ns()) {
		for (unsigned i = 0; i < o.batch; i++) {
			ssize_t n = vde_send(c, frame, len, 0);

			if (n == (ssize_t)len) {
				sent++;
				if (yield_bytes && (sent - yielded_at) * len >= yield_bytes)
					break;
				continue;
			}
			if (n < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EINTR) {
				snprintf(me->err, sizeof(me->err), "vde_send: %s", strerror(errno));
				goto out;
			}
			me->full++;
			if (o.tx_wait == WAIT_SLEEP) {
				struct pollfd pfd = { vde_datafd(c), POLLOUT, 0 };

				me->sleeps++;
				poll(&pfd, 1, 100);
			} else {
				spin_or_yield(o.tx_wait);
			}
			break;
		}
		if (yield_bytes && (sent - yielded_at) * len >= yield_bytes) {
			yielded_at = sent;
			sched_yield();
		}
	}
out:
	sender_done(sh, me, sent, len);
	vde_close(c);
	return me->err[0] ? 1 : 0;
}

/**
 * vde_receiver() - child process: vsw_receiver() through libvdeplug.
 * Return: exit status.
 */
static int vde_receiver(struct shared *sh, uint32_t len)
{
	struct side *me = &sh->rx;
	static uint8_t frame[VSW_FRAME_MAX], buf[VSW_FRAME_MAX];
	struct vsw_vnet_hdr vnet;
	uint64_t idle_since = 0, hard, frames = 0, bytes = 0;
	enum rx_step step;
	VDECONN *c;

	c = vde_attach_port("vsw-bench receiver", me);
	if (!c)
		return 1;
	build_frame(frame, 64, mac_receiver, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", &vnet);
	if (vde_send(c, frame, 64, 0) != 64) {
		snprintf(me->err, sizeof(me->err), "announce: %s", strerror(errno));
		return 1;
	}
	__atomic_store_n(&me->ready, 1, __ATOMIC_RELEASE);
	hard = mono_ns() + (uint64_t)((o.seconds + 15.0) * 1e9);
	for (;;) {
		unsigned n = 0;
		uint64_t now;
		ssize_t r = 0;

		/* The frame lands in @buf: vde_recv() copies it out of the socket. */
		while (n < RX_BURST && (r = vde_recv(c, buf, sizeof(buf), 0)) > 0) {
			if ((uint32_t)r == len && !memcmp(buf + 6, mac_sender, 6)) {
				bytes += (uint64_t)r;
				n++;
			} else {
				me->bad++;
			}
		}
		if (r < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(me->err, sizeof(me->err), "vde_recv: %s", strerror(errno));
			break;
		}
		now = mono_ns();
		step = rx_progress(sh, me, n, now, hard, &frames, &idle_since);
		if (step == RX_MORE)
			continue;
		if (step == RX_DONE)
			break;
		if (o.rx_wait == WAIT_SLEEP || now - idle_since > o.spin_us * 1000ull) {
			struct pollfd pfd = { vde_datafd(c), POLLIN, 0 };

			me->sleeps++;
			poll(&pfd, 1, 10);
		} else {
			spin_or_yield(o.rx_wait);
		}
	}
	vde_close(c);
	me->frames = frames;
	me->bytes = bytes;
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	return me->err[0] ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* The switches                                                        */

/**
 * ctl_request() - send @req on the control socket @fd (bounded wait).
 * Return: true if the reply is a "return", not an "error".
 */
static bool ctl_request(int fd, const char *req)
{
	char buf[4096];
	size_t len = 0;
	uint64_t end = mono_ns() + START_MS * 1000000ull;

	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return false;
	while (!memchr(buf, '\n', len) && len < sizeof(buf) - 1) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (mono_ns() > end || poll(&pfd, 1, 100) < 0)
			return false;
		if (!(pfd.revents & POLLIN))
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
	}
	buf[len] = 0;
	return strstr(buf, "\"return\"") != NULL;
}

/**
 * ctl_connect() - connect to vswitchd's control socket.
 * Return: the fd, or -1 while the daemon is not up yet.
 */
static int ctl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", vsw_sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/**
 * ctl_greeting() - read the greeting line of a fresh control connection.
 * Return: false on EOF or after START_MS.
 */
static bool ctl_greeting(int fd)
{
	char c;
	uint64_t end = mono_ns() + START_MS * 1000000ull;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (mono_ns() > end || poll(&pfd, 1, 100) < 0)
			return false;
		if (!(pfd.revents & POLLIN))
			continue;
		if (read(fd, &c, 1) != 1)
			return false;
		if (c == '\n')
			return true;
	}
}

/**
 * start_vswitchd() - run vswitchd on a private socket and state directory
 * and add the Private switch the ports attach to.
 */
static void start_vswitchd(void)
{
	char state[128], log[128];
	const char *argv[8 + MAX_EXTRA_ARGS];
	uint64_t end;
	int n = 0, fd;

	snprintf(vsw_sock, sizeof(vsw_sock), "%s/vswitchd.sock", tmpdir);
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	snprintf(log, sizeof(log), "%s/vswitchd.log", tmpdir);
	argv[n++] = o.vswitchd;
	argv[n++] = "--socket";
	argv[n++] = vsw_sock;
	argv[n++] = "--state-dir";
	argv[n++] = state;
	for (int i = 0; i < o.nextra; i++)
		argv[n++] = o.extra[i];
	argv[n] = NULL;
	vswitchd_pid = fork();
	if (vswitchd_pid < 0)
		die("fork: %s", strerror(errno));
	if (vswitchd_pid == 0) {
		int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (lfd >= 0) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		}
		pin_self(&o.pin_switch);
		execv(argv[0], (char **)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	end = mono_ns() + START_MS * 1000000ull;
	while ((fd = ctl_connect()) < 0) {
		if (mono_ns() > end || waitpid(vswitchd_pid, NULL, WNOHANG) == vswitchd_pid) {
			vswitchd_pid = 0;
			die("vswitchd (%s) did not start; see %s", o.vswitchd, log);
		}
		usleep(5000);
	}
	if (!ctl_greeting(fd) ||
	    !ctl_request(fd, "{\"execute\": \"switch-add\", \"arguments\": "
			     "{\"name\": \"" SWITCH_NAME "\"}, \"id\": 1}\n"))
		die("vswitchd refused to add switch '%s'; see %s", SWITCH_NAME, log);
	close(fd);
}

/**
 * start_vde_switch() - run vde_switch on a private control directory.
 *
 * It runs in the foreground with its console on a pipe we hold: closing
 * the pipe ends it, and it is killed by PID if it does not go.
 */
static bool start_vde_switch(void)
{
	char ctl[160];
	int pfd[2];
	uint64_t end;
	struct stat st;

	snprintf(vde_dir, sizeof(vde_dir), "%s/vde", tmpdir);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	vde_pid = fork();
	if (vde_pid < 0)
		die("fork: %s", strerror(errno));
	if (vde_pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		dup2(pfd[0], 0);
		if (nul >= 0) {
			dup2(nul, 1);
			dup2(nul, 2);
		}
		pin_self(&o.pin_switch);
		execlp("vde_switch", "vde_switch", "-s", vde_dir, (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	vde_stdin = pfd[1];
	snprintf(ctl, sizeof(ctl), "%s/ctl", vde_dir);
	end = mono_ns() + START_MS * 1000000ull;
	while (stat(ctl, &st) < 0) {
		if (mono_ns() > end || waitpid(vde_pid, NULL, WNOHANG) == vde_pid) {
			fprintf(stderr, "vsw-bench: vde_switch did not start (is vde2 "
				"installed?); vde figures skipped\n");
			vde_pid = 0;
			return false;
		}
		usleep(5000);
	}
	return true;
}

/**
 * stop_child() - send @sig to the child *@pid, reap it (SIGKILL after
 * START_MS), and forget it.
 */
static void stop_child(pid_t *pid, int sig)
{
	struct rusage ru;

	if (*pid <= 0)
		return;
	kill(*pid, sig);
	wait_child(*pid, START_MS, &ru);
	*pid = 0;
}

/**
 * rm_dir_files() - remove the regular files and sockets directly in @dir
 * (not @keep), then @dir itself if it is empty then.
 */
static void rm_dir_files(const char *dir, const char *keep)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_type != DT_REG && e->d_type != DT_SOCK)
			continue;
		if (keep && !strcmp(e->d_name, keep))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/**
 * rm_tree() - remove what the daemons left in the temporary directory:
 * the state directory (vswitchd.conf, NAT leases, ...), vde_switch's
 * control directory, the socket; vswitchd's log stays with --verbose.
 */
static void rm_tree(void)
{
	char path[256];

	if (!tmpdir[0])
		return;
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	rm_dir_files(path, NULL);
	snprintf(path, sizeof(path), "%s/vde", tmpdir);
	rm_dir_files(path, NULL);
	rm_dir_files(tmpdir, o.verbose ? "vswitchd.log" : NULL);
	if (o.verbose)
		fprintf(stderr, "vsw-bench: vswitchd's log is in %s\n", tmpdir);
}

/**
 * cleanup() - stop both switches and remove the temporary directory.
 */
static void cleanup(void)
{
	if (vde_stdin >= 0) {
		close(vde_stdin);
		vde_stdin = -1;
	}
	stop_child(&vde_pid, SIGTERM);
	stop_child(&vswitchd_pid, SIGTERM);
	rm_tree();
}

/* ------------------------------------------------------------------ */
/* One run                                                             */

/**
 * spawn() - fork a child pinned to @pin that runs @fn(@sh, @len) and exits.
 * Return: its PID.
 */
static pid_t spawn(int (*fn)(struct shared *, uint32_t), struct shared *sh,
		   uint32_t len, const cpu_set_t *pin)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		pin_self(pin);
		_exit(fn(sh, len));
	}
	return pid;
}

/**
 * wait_flag() - wait up to @ms for child @pid to set *@flag.
 * Return: false on timeout or if the child exited first.
 */
static bool wait_flag(int *flag, pid_t pid, int ms)
{
	uint64_t end = mono_ns() + (uint64_t)ms * 1000000;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (mono_ns() > end || waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		usleep(500);
	}
	return true;
}

/**
 * run_one() - measure one backend at one frame size.
 * Return: the figures; valid is false if a process failed (said on stderr).
 */
static struct result run_one(enum backend be, uint32_t len)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t sw = be == BE_VSW ? vswitchd_pid : vde_pid;
	struct result r = { 0 };
	struct rusage ru_tx, ru_rx;
	pid_t rx, tx = 0;
	bool ok_tx = false, ok_rx;
	double cpu0;
	uint64_t run_ms = (uint64_t)(o.seconds * 1000);

	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	rx = spawn(be == BE_VSW ? vsw_receiver : vde_receiver, sh, len, &o.pin_receiver);
	if (!wait_flag(&sh->rx.ready, rx, START_MS))
		goto out;
	tx = spawn(be == BE_VSW ? vsw_sender : vde_sender, sh, len, &o.pin_sender);
	if (!wait_flag(&sh->tx.ready, tx, START_MS))
		goto out;
	/* Let the switch take both ports in before the clock starts. */
	usleep(50000);
	cpu0 = proc_cpu_s(sw);
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	if (!wait_flag(&sh->tx.done, tx, (int)run_ms + START_MS))
		goto out;
	/* The receiver drains until DRAIN_IDLE_MS pass without a frame. */
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	wait_flag(&sh->rx.done, rx, START_MS + (int)run_ms);
	r.cpu_switch = proc_cpu_s(sw) - cpu0;
out:
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	if (tx)
		ok_tx = wait_child(tx, START_MS, &ru_tx);
	ok_rx = wait_child(rx, START_MS + (int)run_ms, &ru_rx);
	if (sh->tx.err[0])
		fprintf(stderr, "vsw-bench: sender: %s\n", sh->tx.err);
	if (sh->rx.err[0])
		fprintf(stderr, "vsw-bench: receiver: %s\n", sh->rx.err);
	if (!ok_tx || !ok_rx || !sh->tx.frames) {
		fprintf(stderr, "vsw-bench: %s run at %u bytes failed\n",
			be == BE_VSW ? "vswitch" : "vde", len);
		munmap(sh, sizeof(*sh));
		return r;
	}
	r.valid = true;
	r.sent = sh->tx.frames;
	r.received = sh->rx.frames;
	r.full = sh->tx.full;
	r.sleeps_tx = sh->tx.sleeps;
	r.sleeps_rx = sh->rx.sleeps;
	r.secs = (double)(sh->rx.t_last - sh->rx.t_first) / 1e9;
	/* The frames of the first burst arrived before the clock started. */
	if (r.received > sh->rx.first && r.secs > 0) {
		r.mpps = (double)(r.received - sh->rx.first) / r.secs / 1e6;
		r.gbps = r.mpps * 1e6 * len * 8 / 1e9;
	}
	r.loss = 1.0 - (double)r.received / (double)r.sent;
	r.cpu_tx = (double)ru_tx.ru_utime.tv_sec + ru_tx.ru_utime.tv_usec / 1e6 +
		   (double)ru_tx.ru_stime.tv_sec + ru_tx.ru_stime.tv_usec / 1e6;
	r.cpu_rx = (double)ru_rx.ru_utime.tv_sec + ru_rx.ru_utime.tv_usec / 1e6 +
		   (double)ru_rx.ru_stime.tv_sec + ru_rx.ru_stime.tv_usec / 1e6;
	if (sh->rx.bad)
		fprintf(stderr, "vsw-bench: %s at %u bytes: %llu foreign frames\n",
			be == BE_VSW ? "vswitch" : "vde", len,
			(unsigned long long)sh->rx.bad);
	munmap(sh, sizeof(*sh));
	return r;
}

/* ------------------------------------------------------------------ */
/* main                                                                */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vsw-bench [OPTION]...\n"
		"Frame rate between two ports of vswitchd and of vde_switch.\n\n"
		"  --seconds S          length of each measurement (default 2)\n"
		"  --runs N             measure each figure N times, print the median (default 3)\n"
		"  --sizes LIST         frame sizes in bytes (default 64,1500,1518,65536)\n"
		"  --batch N            sender: frames per publish (default 64)\n"
		"  --tx-yield KIB       sender: sched_yield() after every KIB KiB sent\n"
		"                       (default 128; 0: never)\n"
		"  --tx-wait MODE       sender on a full ring: spin, yield or sleep (default yield)\n"
		"  --rx-wait MODE       receiver on an empty ring: spin, yield or sleep (default yield)\n"
		"  --spin-us US         spin/yield this long before sleeping (default 2000)\n"
		"  --pin LAYOUT         split (default: switch | sender + receiver), none,\n"
		"                       rx-alone (switch + sender | receiver),\n"
		"                       tx-alone (sender | switch + receiver)\n"
		"  --pin-switch CPUS    CPU list for vswitchd and vde_switch\n"
		"  --pin-sender CPUS    CPU list for the sender\n"
		"  --pin-receiver CPUS  CPU list for the receiver\n"
		"  --vswitchd PATH      vswitchd binary (default $VSWITCH_BUILD_DIR/"
		"net-backend/daemon/vswitchd)\n"
		"  --vswitchd-arg ARG   extra vswitchd argument (repeatable), e.g. --poll-us=100\n"
		"  --no-vde             measure vswitch only\n"
		"  --verbose            per-run details; keep vswitchd's log\n");
}

/**
 * print_row() - one line of the result table: both switches and their ratio.
 */
static void print_row(uint32_t len, const struct result *v, const struct result *d,
		      bool vde_possible)
{
	char vs[64], ds[64], ratio[16];

	if (v->valid)
		snprintf(vs, sizeof(vs), "%8.3f %8.2f %7.2f", v->mpps, v->gbps, v->loss * 100);
	else
		snprintf(vs, sizeof(vs), "%8s %8s %7s", "fail", "-", "-");
	if (!o.vde)
		snprintf(ds, sizeof(ds), "%8s %8s %7s", "-", "-", "-");
	else if (!vde_possible)
		snprintf(ds, sizeof(ds), "%8s %8s %7s", "n/a", "n/a", "n/a");
	else if (d->valid)
		snprintf(ds, sizeof(ds), "%8.3f %8.2f %7.2f", d->mpps, d->gbps, d->loss * 100);
	else
		snprintf(ds, sizeof(ds), "%8s %8s %7s", "fail", "-", "-");
	if (v->valid && d->valid && d->mpps > 0)
		snprintf(ratio, sizeof(ratio), "%7.1fx", v->mpps / d->mpps);
	else
		snprintf(ratio, sizeof(ratio), "%8s", "-");
	printf("%7u | %s | %s | %s\n", len, vs, ds, ratio);
}

/* CPU seconds of one party and what that is per received frame. */
static void print_cpu(double s, uint64_t frames)
{
	printf(" %5.2f", s);
	if (frames)
		printf(" (%5.0f)", s * 1e9 / (double)frames);
	else
		printf("        ");
}

static void print_cpu_row(const char *name, const struct result *r)
{
	printf(" | %s", name);
	print_cpu(r->cpu_switch, r->received);
	print_cpu(r->cpu_tx, r->received);
	print_cpu(r->cpu_rx, r->received);
}

static int cmp_mpps(const void *a, const void *b)
{
	const struct result *x = a, *y = b;

	if (x->valid != y->valid)
		return x->valid ? 1 : -1;
	return (x->mpps > y->mpps) - (x->mpps < y->mpps);
}

/**
 * measure() - run one figure o.runs times; Return: the run with the median
 * frame rate (failed runs sort first, so a majority must succeed).
 */
static struct result measure(enum backend be, uint32_t len, double *cpu_switch)
{
	struct result r[16];
	int n = o.runs;

	for (int i = 0; i < n; i++) {
		r[i] = run_one(be, len);
		*cpu_switch += r[i].cpu_switch;
	}
	qsort(r, (size_t)n, sizeof(r[0]), cmp_mpps);
	return r[n / 2];
}

static void print_loadavg(const char *when)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	printf("load average %s: %s\n", when, buf);
}

int main(int argc, char **argv)
{
	enum { OPT_SECONDS = 256, OPT_RUNS, OPT_SIZES, OPT_BATCH, OPT_TXY, OPT_TXW,
	       OPT_RXW, OPT_SPIN, OPT_PIN, OPT_PSW, OPT_PTX, OPT_PRX, OPT_VSWD,
	       OPT_VARG, OPT_NOVDE, OPT_VERBOSE, OPT_HELP };
	static const struct option lopts[] = {
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "runs", required_argument, NULL, OPT_RUNS },
		{ "sizes", required_argument, NULL, OPT_SIZES },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "tx-yield", required_argument, NULL, OPT_TXY },
		{ "tx-wait", required_argument, NULL, OPT_TXW },
		{ "rx-wait", required_argument, NULL, OPT_RXW },
		{ "spin-us", required_argument, NULL, OPT_SPIN },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "pin-switch", required_argument, NULL, OPT_PSW },
		{ "pin-sender", required_argument, NULL, OPT_PTX },
		{ "pin-receiver", required_argument, NULL, OPT_PRX },
		{ "vswitchd", required_argument, NULL, OPT_VSWD },
		{ "vswitchd-arg", required_argument, NULL, OPT_VARG },
		{ "no-vde", no_argument, NULL, OPT_NOVDE },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	static char vswitchd_path[512];
	struct result vr[MAX_SIZES], dr[MAX_SIZES];
	char c1[32], c2[32], c3[32], yield_str[48] = "";
	double vsw_cpu_total = 0, vde_cpu_total = 0;
	long rss, hwm;
	int c;

	/* Default placement: the switch on CPU 1, both clients on CPU 0. */
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2)
		set_layout("split");
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		char *end, *tok, *save;

		switch (c) {
		case OPT_SECONDS:
			o.seconds = strtod(optarg, &end);
			if (*end || o.seconds < 0.1 || o.seconds > 30)
				die("--seconds: 0.1 to 30");
			break;
		case OPT_RUNS:
			o.runs = (int)strtol(optarg, &end, 10);
			if (*end || o.runs < 1 || o.runs > 15)
				die("--runs: 1 to 15");
			break;
		case OPT_SIZES:
			o.nsizes = 0;
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				unsigned long v = strtoul(tok, &end, 10);

				if (*end || v < 64 || v > 65536 || o.nsizes == MAX_SIZES)
					die("--sizes: up to %d sizes of 64..65536 bytes", MAX_SIZES);
				o.sizes[o.nsizes++] = (unsigned)v;
			}
			break;
		case OPT_BATCH:
			o.batch = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.batch < 1 || o.batch > 4096)
				die("--batch: 1 to 4096");
			break;
		case OPT_TXY:
			o.tx_yield_kib = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.tx_yield_kib > 1048576)
				die("--tx-yield: KiB, 0 to 1048576");
			break;
		case OPT_TXW:
			if (!parse_wait(optarg, &o.tx_wait))
				die("--tx-wait: spin, yield or sleep");
			break;
		case OPT_RXW:
			if (!parse_wait(optarg, &o.rx_wait))
				die("--rx-wait: spin, yield or sleep");
			break;
		case OPT_SPIN:
			o.spin_us = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.spin_us > 1000000)
				die("--spin-us: 0 to 1000000");
			break;
		case OPT_PIN:
			if (!set_layout(optarg))
				die("--pin: none, split, rx-alone or tx-alone");
			break;
		case OPT_PSW:
			if (!parse_cpus(optarg, &o.pin_switch))
				die("--pin-switch: a CPU list like 0,1");
			break;
		case OPT_PTX:
			if (!parse_cpus(optarg, &o.pin_sender))
				die("--pin-sender: a CPU list like 0,1");
			break;
		case OPT_PRX:
			if (!parse_cpus(optarg, &o.pin_receiver))
				die("--pin-receiver: a CPU list like 0,1");
			break;
		case OPT_VSWD:
			o.vswitchd = optarg;
			break;
		case OPT_VARG:
			if (o.nextra == MAX_EXTRA_ARGS)
				die("too many --vswitchd-arg");
			o.extra[o.nextra++] = optarg;
			break;
		case OPT_NOVDE:
			o.vde = false;
			break;
		case OPT_VERBOSE:
			o.verbose = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (!o.vswitchd) {
		const char *b = getenv("VSWITCH_BUILD_DIR");

		snprintf(vswitchd_path, sizeof(vswitchd_path),
			 "%s/net-backend/daemon/vswitchd", b && *b ? b : DEFAULT_BUILD_DIR);
		o.vswitchd = vswitchd_path;
	}
	if (access(o.vswitchd, X_OK) < 0)
		die("%s: %s (build it, or use --vswitchd)", o.vswitchd, strerror(errno));

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vsw-bench-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		die("mkdtemp: %s", strerror(errno));
	}
	start_vswitchd();
	if (o.vde && !start_vde_switch())
		o.vde = false;

	if (o.tx_yield_kib)
		snprintf(yield_str, sizeof(yield_str), ", yield every %u KiB", o.tx_yield_kib);
	printf("vsw-bench: %.1f s per run, median of %d; batch %u%s; sender waits by %s, "
	       "receiver by %s (%u us before sleeping); CPUs: switch %s, sender %s, "
	       "receiver %s\n",
	       o.seconds, o.runs, o.batch, yield_str,
	       wait_name(o.tx_wait), wait_name(o.rx_wait), o.spin_us,
	       cpus_str(&o.pin_switch, c1, sizeof(c1)),
	       cpus_str(&o.pin_sender, c2, sizeof(c2)),
	       cpus_str(&o.pin_receiver, c3, sizeof(c3)));
	if (o.nextra) {
		printf("vswitchd options:");
		for (int i = 0; i < o.nextra; i++)
			printf(" %s", o.extra[i]);
		printf("\n");
	}
	print_loadavg("before");
	for (int i = 0; i < o.nsizes; i++) {
		vr[i] = measure(BE_VSW, o.sizes[i], &vsw_cpu_total);
		memset(&dr[i], 0, sizeof(dr[i]));
		if (o.vde && o.sizes[i] <= VDE_MAX_FRAME)
			dr[i] = measure(BE_VDE, o.sizes[i], &vde_cpu_total);
	}
	print_loadavg("after");

	printf("\n%7s | %-26s | %-26s | %8s\n", "", "vswitch", "vde_switch", "ratio");
	printf("%7s | %8s %8s %7s | %8s %8s %7s | %8s\n", "bytes",
	       "Mpps", "Gbit/s", "loss%", "Mpps", "Gbit/s", "loss%", "vsw/vde");
	for (int i = 0; i < o.nsizes; i++)
		print_row(o.sizes[i], &vr[i], &dr[i], o.sizes[i] <= VDE_MAX_FRAME);

	printf("\nCPU seconds (ns per received frame): switch, sender, receiver\n");
	for (int i = 0; i < o.nsizes; i++) {
		printf("%7u", o.sizes[i]);
		print_cpu_row("vswitch", &vr[i]);
		if (dr[i].valid)
			print_cpu_row("vde", &dr[i]);
		printf("\n");
	}
	if (o.verbose) {
		printf("\nsent, received, ring/socket full, sender sleeps, receiver sleeps:\n");
		for (int i = 0; i < o.nsizes; i++) {
			printf("%7u | vswitch %llu %llu %llu %llu %llu", o.sizes[i],
			       (unsigned long long)vr[i].sent, (unsigned long long)vr[i].received,
			       (unsigned long long)vr[i].full,
			       (unsigned long long)vr[i].sleeps_tx,
			       (unsigned long long)vr[i].sleeps_rx);
			if (dr[i].valid)
				printf(" | vde %llu %llu %llu %llu %llu",
				       (unsigned long long)dr[i].sent,
				       (unsigned long long)dr[i].received,
				       (unsigned long long)dr[i].full,
				       (unsigned long long)dr[i].sleeps_tx,
				       (unsigned long long)dr[i].sleeps_rx);
			printf("\n");
		}
	}
	proc_rss_kib(vswitchd_pid, &rss, &hwm);
	printf("\nvswitchd: RSS %ld KiB now, peak %ld KiB; CPU %.2f s in the runs "
	       "(total %.2f s)\n", rss, hwm, vsw_cpu_total, proc_cpu_s(vswitchd_pid));
	if (o.vde) {
		proc_rss_kib(vde_pid, &rss, &hwm);
		printf("vde_switch: RSS %ld KiB now, peak %ld KiB; CPU %.2f s in the runs\n",
		       rss, hwm, vde_cpu_total);
	}
	printf("vde_switch carries at most %u-byte frames: no figure above that.\n",
	       VDE_MAX_FRAME);
	cleanup();
	return 0;
}
