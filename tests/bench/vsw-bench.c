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
 * Both ports declare their MAC at attach (vsw_attach_opts.mac): with MAC
 * address spoofing off, vswitchd's default, a port may send only from the
 * MAC it declared.
 *
 * Two more modes measure vswitch alone (no vde_switch):
 *
 *   --attack KIND,...  every run of the honest pair (on switch "bench") has
 *     an attacker on another switch ("evil") of the same daemon at full
 *     tilt: a separate process group of real libvswitch clients doing what
 *     a compromised QEMU would (gso, gso1, flood, doorbell, churn; and busy,
 *     busy3: one or three CPU hogs that touch no switch, the share of the
 *     CPUs in an attack's effect).  "none", the reference, runs
 *     interleaved with them.  Prints the honest rate under each attack, its
 *     ratio to the rate alone, the daemon's CPU time and what the attacker
 *     achieved, from its own counts and the daemon's port counters.
 *   --guards  the 64-byte rate (any --sizes) with the sender's port set by
 *     port-set to MAC address spoofing allowed, the default (MAC lock), and
 *     MAC lock + dhcp-guard + router-guard, interleaved.
 *
 * --baseline PATH starts a second vswitchd (a previous build, say) and
 * interleaves every figure of those modes through both, run by run.
 *
 * Everything is bounded in time; only processes started here are killed,
 * by PID (the attackers' process group, which we create, by its ID).  No
 * network interface is created: shared memory and Unix sockets.
 *
 * Usage: vsw-bench [--seconds S] [--sizes 64,1500,...] [--batch N]
 *                  [--tx-wait spin|yield|sleep] [--rx-wait spin|yield|sleep]
 *                  [--spin-us US] [--tx-yield KIB] [--runs N]
 *                  [--pin none|split|rx-alone|tx-alone] [--pin-switch CPUS]
 *                  [--pin-sender CPUS] [--pin-receiver CPUS]
 *                  [--vswitchd PATH] [--vswitchd-arg ARG]... [--no-vde]
 *                  [--attack KIND[,KIND]...]... [--pin-attacker CPUS]
 *                  [--guards] [--baseline PATH]
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
#include <sys/prctl.h>
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
#define EVIL_SWITCH		"evil"	/* where the attackers are */
/* The attackers' switch: "evil", or the honest pair's with --attack-same-switch. */
#define ATK_SWITCH		(o.attack_same ? SWITCH_NAME : EVIL_SWITCH)
#define MAX_SIZES		16
#define MAX_RUNS		15
#define MAX_EXTRA_ARGS		16
#define VDE_MAX_FRAME		1518	/* vde_switch 2.3.2 truncates longer frames */
#define START_MS		5000	/* bound on any start-up step */
#define DRAIN_IDLE_MS		100	/* receiver: quiet time that ends a run */
#define RX_BURST		256
#define ATK_PROCS		3	/* attacker + two victims */
#define ATK_WARMUP_MS		200	/* attack running before the honest pair starts */
#define ATK_FRAME		65536	/* the gso attacks' TSO frame */
#define ATK_GSO_SIZE		88	/* the smallest TCP gso_size vswitchd accepts */
#define CHURN_WAIT_MS		1000	/* churn: wait this long for the reset */
#define AFTER_MS		300	/* daemon CPU measured this long after a run */
#define NDROP			11

/* The fixed, locally administered unicast MACs; every port declares its own. */
static const uint8_t mac_sender[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x0a };
static const uint8_t mac_receiver[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x0b };
static const uint8_t mac_attacker[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0xa0 };
static const uint8_t mac_victim[2][6] = {
	{ 0x02, 0x00, 0x5e, 0x00, 0x00, 0xa1 },
	{ 0x02, 0x00, 0x5e, 0x00, 0x00, 0xa2 },
};
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

enum wait_mode { WAIT_SPIN, WAIT_YIELD, WAIT_SLEEP };
enum backend { BE_VSW, BE_VDE };

/* What runs on switch "evil" during a run of the honest pair (--attack). */
enum attack {
	ATK_NONE,	/* nothing: the reference */
	ATK_GSO,	/* 64 KiB TSO, gso_size 88, broadcast to two ports without offloads */
	ATK_GSO1,	/* the same with gso_size 1 */
	ATK_FLOOD,	/* 64-byte broadcasts to two ports that never read */
	ATK_DOORBELL,	/* kicks on the switch's doorbell, no frames */
	ATK_CHURN,	/* attach, corrupt the TX producer index, reset, again */
	ATK_BUSY,	/* a process spinning on a CPU, no switch at all */
	ATK_BUSY3,	/* three of them, as many processes as gso and flood have */
	ATK_N
};

static const char *const attack_names[ATK_N] = {
	"none", "gso", "gso1", "flood", "doorbell", "churn", "busy", "busy3",
};

/* The sender port's guards (--guards), set with port-set before each run. */
enum guard { G_SPOOF, G_LOCK, G_ALL, G_N };

static const char *const guard_names[G_N] = {
	"mac-spoofing allowed (no MAC check)",
	"default: MAC lock",
	"MAC lock + dhcp-guard + router-guard",
};

/* Drop reasons of port-list, in vswitchd's order. */
static const char *const drop_names[NDROP] = {
	"ring-full", "runt", "vlan-violation", "bad-source", "hairpin",
	"bad-offload", "mac-spoofing", "dhcp-guard", "router-guard", "over-budget",
	"unused-vlan",
};
enum { DROP_RING_FULL = 0, DROP_BAD_OFFLOAD = 5, DROP_OVER_BUDGET = 9 };

/**
 * struct opts - what the command line asked for.
 */
static struct opts {
	const char *vswitchd;
	const char *baseline;
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
	cpu_set_t pin_switch, pin_sender, pin_receiver, pin_attacker;
	bool attack[ATK_N];
	bool attack_mode;
	bool attack_same;	/* --attack-same-switch: attackers on SWITCH_NAME */
	bool pin_attacker_set;
	bool attacker_idle;
	bool guards;
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
 * @go:      set by the parent: the sender may start
 * @stop:    set by the parent: the sender is done; drain
 * @release: set by the parent: it read the ports' counters; detach and leave
 */
struct shared {
	int go;
	int stop;
	int release;
	struct side tx;
	struct side rx;
};

/**
 * struct port_ctr - one port's counters as port-list gives them.
 * @found: the port was in the list
 */
struct port_ctr {
	bool found;
	bool has_wakeups;
	uint64_t rx, tx, resets, wakeups, muted;
	uint64_t drops[NDROP];
};

/**
 * struct atk_stats - what an attack did during one honest run, per second
 * of it: frames the attacker put in its ring (@sent), frames its port sent
 * into the switch (@in, the daemon's count) and the drops they met there,
 * frames the switch wrote to the victims (@out) and those it dropped at
 * their full rings, doorbell kicks written (@kicks; @kicks_full met a full
 * pipe) and heard (@wakeups, @muted), churn rounds.  @have_ports: the
 * daemon's counters are there; @have_wakeups: it counts wakeups.
 */
struct atk_stats {
	bool valid;
	bool have_ports, have_wakeups;
	double sent, in, bad_offload, over_budget, out, out_full;
	double kicks, kicks_full, wakeups, muted;
	double cycles, resets, timeouts, attach_fail;
};

/**
 * struct result - what one run measured.
 * @wall:      seconds from the go to the receiver's end
 * @cpu_dp:    the data path thread's share of @cpu_switch (vswitchd)
 * @cpu_after: vswitchd's CPU seconds per second in the AFTER_MS after the
 *             run, every port gone (--attack, --guards)
 * @have_ctr:  @snd_drops and @rcv_full are the daemon's
 * @snd_drops: drops at the sender's port (ingress), by reason
 * @rcv_full:  frames for the receiver dropped at its full ring
 * @atk:       the attacker's figures (--attack)
 */
struct result {
	bool valid;
	double mpps, gbps, loss;
	double secs, wall;
	double cpu_switch, cpu_dp, cpu_tx, cpu_rx, cpu_after;
	uint64_t sent, received, full, sleeps_tx, sleeps_rx;
	bool have_ctr;
	uint64_t snd_drops[NDROP];
	uint64_t rcv_full;
	struct atk_stats atk;
};

/**
 * struct daemon - one vswitchd this program started.
 * @label:  how the tables name it
 * @guards: its port-set takes mac-spoofing, dhcp-guard, router-guard
 * @dp_tid: its data path thread ("vswitch-dp"), 0 if not found
 * @tag:    suffix of its socket, state directory and log
 * @cpu_runs: CPU seconds it used in the runs
 * @cpu_before: CPU seconds of its earlier instances (--attack restarts it)
 * @starts: times it was started
 */
struct daemon {
	const char *path;
	const char *label;
	pid_t pid;
	pid_t dp_tid;
	bool guards;
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char state[128];
	char log[128];
	const char *tag;
	double cpu_runs;
	double cpu_before;
	int starts;
};

/**
 * struct atk_side - one attack process's counts, shared with the parent.
 * @frames:   frames sent (attacker) or received (victim)
 * @full:     sends that met a full TX ring
 * @kicks:    doorbell writes that went in; @kicks_full: met a full pipe
 * @cycles:   churn: ports attached; @resets: reset or closed by the daemon;
 *            @timeouts: still alive after CHURN_WAIT_MS; @attach_fail
 */
struct atk_side {
	int ready;
	uint64_t frames, full, kicks, kicks_full;
	uint64_t cycles, resets, timeouts, attach_fail;
	char err[160];
};

/**
 * struct atk_shared - an attack's processes and the parent.
 * @kind: what they do
 * @stop: set by the parent: detach and exit
 * @side: [0] the attacker, [1] and [2] its victims
 */
struct atk_shared {
	enum attack kind;
	int stop;
	struct atk_side side[ATK_PROCS];
};

/**
 * struct attack_run - a running attack: its processes, by PID, in the
 * process group @pgid (the first one's).
 */
struct attack_run {
	struct atk_shared *sh;
	pid_t pid[ATK_PROCS];
	pid_t pgid;
};

static char tmpdir[64];
static struct daemon daemons[2];
static int ndaemons;
static struct daemon *cur;		/* the daemon the next run's ports attach to */
static char vde_dir[128];
static pid_t vde_pid;
static int vde_stdin = -1;
static struct attack_run atk_live;	/* the attack running now, if any */

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

/* User + system CPU seconds in the stat file @path, or 0 if it cannot tell. */
static double stat_cpu_s(const char *path)
{
	char buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

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

/**
 * proc_cpu_s() - user + system CPU seconds @pid has used so far (all threads).
 * Return: seconds, or 0 if /proc cannot tell.
 */
static double proc_cpu_s(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return stat_cpu_s(path);
}

/* CPU seconds of thread @tid of @pid; 0 if unknown. */
static double task_cpu_s(pid_t pid, pid_t tid)
{
	char path[96];

	if (tid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	return stat_cpu_s(path);
}

/* The nice value of thread @tid of @pid; 99 if unknown. */
static int task_nice(pid_t pid, pid_t tid)
{
	char path[96], buf[1024], *p;
	int nice = 99;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	f = fopen(path, "r");
	if (!f)
		return nice;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
			 "%*d %*d %*d %d", &nice) != 1)
		return 99;
	return nice;
}

/* The thread of @pid called @comm, or 0. */
static pid_t find_task(pid_t pid, const char *comm)
{
	char path[320], name[64];
	struct dirent *e;
	pid_t found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = 0;
			if (!strcmp(name, comm))
				found = (pid_t)atoi(e->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return found;
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
 * vsw_attach_to() - attach port @name (NULL: the daemon picks one) to
 * switch @sw of the current daemon, declaring @mac (NULL: none) and
 * @offloads.  Return: the port, or NULL with @err set.
 */
static struct vsw_port *vsw_attach_to(const char *sw, const char *name,
				      const uint8_t *mac, unsigned offloads,
				      char *err, size_t errlen)
{
	struct vsw_attach_opts ao = {
		.sock_path = cur->sock,
		.switch_name = sw,
		.port_name = name,
		.mac = mac,
		.offloads = offloads,
	};
	struct vsw_port *p;
	int rc;

	err[0] = 0;
	rc = vsw_attach(&ao, &p, err, errlen);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "attach %s: %s", name ? name : "a port",
				 vsw_strerror(rc));
		return NULL;
	}
	return p;
}

/**
 * vsw_attach_port() - attach port @name to the benchmark switch, every
 * offload on, declaring @mac, the only source MAC it sends from.
 * Return: the port, or NULL with @me->err set.
 */
static struct vsw_port *vsw_attach_port(const char *name, const uint8_t *mac,
					struct side *me)
{
	return vsw_attach_to(SWITCH_NAME, name, mac, VSW_OFFLOAD_ALL,
			     me->err, sizeof(me->err));
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
 * wait_release() - stay attached until the parent has read the ports'
 * counters and says so (at most the run's length plus 20 s).
 */
static void wait_release(struct shared *sh)
{
	uint64_t hard = mono_ns() + (uint64_t)((o.seconds + 20.0) * 1e9);

	while (!__atomic_load_n(&sh->release, __ATOMIC_ACQUIRE) && mono_ns() < hard)
		usleep(1000);
}

/**
 * sender_done() - a sender's end: record what it sent, then stay connected
 * until the parent releases it: detaching would drop frames the switch has
 * not forwarded yet, and the parent reads the port's counters first.
 */
static void sender_done(struct shared *sh, struct side *me, uint64_t sent, uint32_t len)
{
	me->t_last = mono_ns();
	me->frames = sent;
	me->bytes = sent * len;
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	wait_release(sh);
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
	p = vsw_attach_port("sender", mac_sender, me);
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

	p = vsw_attach_port("receiver", mac_receiver, me);
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
	me->frames = frames;
	me->bytes = bytes;
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	wait_release(sh);
	vsw_detach(p);
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
	me->frames = frames;
	me->bytes = bytes;
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	wait_release(sh);
	vde_close(c);
	return me->err[0] ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Attackers (--attack): what a compromised QEMU does on switch "evil"  */

/*
 * Each attack process: gone with the parent (PR_SET_PDEATHSIG), and ends
 * by itself at the latest this long after it started.
 */
static uint64_t atk_hard(void)
{
	return mono_ns() + (uint64_t)((o.seconds + 60.0) * 1e9);
}

static bool atk_stopped(const struct atk_shared *sh)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE);
}

static void atk_count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* The fds open now (below 1024), as a bitmap. */
struct fdset {
	uint8_t bits[128];
};

static void fds_snapshot(struct fdset *s)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	memset(s, 0, sizeof(*s));
	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd >= 0 && fd < 1024 && fd != dirfd(d))
			s->bits[fd / 8] |= (uint8_t)(1u << (fd % 8));
	}
	closedir(d);
}

/**
 * find_kick_fd() - the doorbell libvswitch keeps private, found the way an
 * attacker would: among the fds that appeared since @before, the write end
 * of a pipe (FIFO) that is not vsw_port_event_fd(); a vswitchd that hands
 * out eventfds (older ones) gives an eventfd instead.
 * Return: the fd, or -1.
 */
static int find_kick_fd(const struct vsw_port *p, const struct fdset *before)
{
	int efd = vsw_port_event_fd(p), cfd = vsw_port_ctrl_fd(p), found = -1;
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), fl;
		char path[64], link[64];
		struct stat st;
		ssize_t n;

		if (e->d_name[0] == '.' || fd < 0 || fd == dirfd(d) || fd == efd || fd == cfd)
			continue;
		if (fd < 1024 && (before->bits[fd / 8] & (1u << (fd % 8))))
			continue;
		if (fstat(fd, &st) < 0)
			continue;
		fl = fcntl(fd, F_GETFL);
		if (S_ISFIFO(st.st_mode) && fl >= 0 && (fl & O_ACCMODE) == O_WRONLY) {
			found = fd;
			break;
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			if (!strcmp(link, "anon_inode:[eventfd]"))
				found = fd;
		}
	}
	closedir(d);
	return found;
}

/* An attack process is ready, or failed with @err (then it exits). */
static int atk_ready(struct atk_side *me)
{
	__atomic_store_n(&me->ready, 1, __ATOMIC_RELEASE);
	return 0;
}

/**
 * atk_victim() - a port on "evil" that declares no offloads.  For the gso
 * attacks it drains its ring as fast as it can (so the switch segments
 * every frame for it); for flood it never reads.  Return: exit status.
 */
static int atk_victim(struct atk_shared *sh, int idx)
{
	struct atk_side *me = &sh->side[idx];
	uint64_t hard = atk_hard(), idle_since = 0;
	struct vsw_port *p;
	char name[16];
	int rc = 0;

	snprintf(name, sizeof(name), "victim%d", idx);
	p = vsw_attach_to(ATK_SWITCH, name, mac_victim[idx - 1], 0, me->err, sizeof(me->err));
	if (!p)
		return 1;
	if (o.attack_same) {
		/* Next to the honest pair the attack is unicast: the switch learns us first. */
		static uint8_t hello[64];
		struct iovec iov = { hello, sizeof(hello) };
		struct vsw_vnet_hdr vnet;

		build_frame(hello, sizeof(hello), mac_victim[idx - 1], mac_bcast, &vnet);
		vsw_send(p, NULL, &iov, 1, 0);
	}
	atk_ready(me);
	while (!atk_stopped(sh)) {
		struct vsw_frame f;
		unsigned n = 0;
		uint64_t now = mono_ns();

		if (now > hard)
			break;
		if (sh->kind == ATK_FLOOD) {
			usleep(1000);
			continue;
		}
		while (n < RX_BURST && (rc = vsw_recv(p, &f)) > 0) {
			n++;
			vsw_recv_done(p);
		}
		if (rc < 0) {
			snprintf(me->err, sizeof(me->err), "%s: vsw_recv: %s", name,
				 vsw_strerror(rc));
			break;
		}
		if (n) {
			vsw_recv_flush(p);
			atk_count(&me->frames, n);
			idle_since = 0;
			continue;
		}
		if (!idle_since)
			idle_since = now;
		if (now - idle_since > o.spin_us * 1000ull) {
			rc = vsw_wait(p, 10);
			if (rc < 0) {
				snprintf(me->err, sizeof(me->err), "%s: vsw_wait: %s", name,
					 vsw_strerror(rc));
				break;
			}
		} else {
			sched_yield();
		}
	}
	vsw_detach(p);
	return me->err[0] ? 1 : 0;
}

/**
 * atk_send() - the gso, gso1 and flood attackers: broadcast frames into
 * "evil" as fast as the TX ring takes them.  gso: 64 KiB TCPv4 TSO frames,
 * NEEDS_CSUM at the TCP checksum, gso_size ATK_GSO_SIZE; gso1: gso_size 1;
 * flood: 64-byte frames, o.batch per publish.
 */
static int atk_send(struct atk_shared *sh, struct atk_side *me)
{
	static uint8_t frame[VSW_FRAME_MAX];
	uint32_t len = sh->kind == ATK_FLOOD ? 64 : ATK_FRAME;
	unsigned batch = sh->kind == ATK_FLOOD ? o.batch : 1;
	struct iovec iov = { frame, len };
	uint64_t hard = atk_hard();
	struct vsw_vnet_hdr vnet;
	struct vsw_port *p;

	/* Next to the honest pair: unicast to one victim, not to the pair's receiver. */
	build_frame(frame, len, mac_attacker, o.attack_same ? mac_victim[0] : mac_bcast, &vnet);
	if (sh->kind == ATK_GSO)
		vnet.gso_size = ATK_GSO_SIZE;
	else if (sh->kind == ATK_GSO1)
		vnet.gso_size = 1;
	p = vsw_attach_to(ATK_SWITCH, "attacker", mac_attacker, VSW_OFFLOAD_ALL,
			  me->err, sizeof(me->err));
	if (!p)
		return 1;
	atk_ready(me);
	while (!atk_stopped(sh) && mono_ns() < hard) {
		unsigned sent = 0;

		for (unsigned i = 0; i < batch; i++) {
			int rc = vsw_send(p, sh->kind == ATK_FLOOD ? NULL : &vnet, &iov, 1,
					  i + 1 < batch ? VSW_SEND_MORE : 0);

			if (rc == -EAGAIN) {
				/* Full: publish, wait for room without sleeping. */
				vsw_flush(p);
				atk_count(&me->full, 1);
				for (uint64_t end = mono_ns() + 100000000ull;
				     !vsw_tx_space(p, len) && !atk_stopped(sh) && mono_ns() < end;)
					sched_yield();
				vsw_event_clear(p);
				break;
			}
			if (rc < 0) {
				snprintf(me->err, sizeof(me->err), "attacker: vsw_send: %s",
					 vsw_strerror(rc));
				goto out;
			}
			sent++;
		}
		vsw_flush(p);
		atk_count(&me->frames, sent);
	}
out:
	vsw_detach(p);
	return me->err[0] ? 1 : 0;
}

/**
 * atk_doorbell() - kick the switch through the write end of our doorbell
 * (found in /proc/self/fd, libvswitch keeps it private) as fast as we can,
 * without sending a frame.
 */
static int atk_doorbell(struct atk_shared *sh, struct atk_side *me)
{
	uint64_t one = 1, hard = atk_hard();
	struct vsw_port *p;
	struct fdset before;
	int kfd;

	fds_snapshot(&before);
	p = vsw_attach_to(ATK_SWITCH, "attacker", mac_attacker, VSW_OFFLOAD_ALL,
			  me->err, sizeof(me->err));
	if (!p)
		return 1;
	kfd = find_kick_fd(p, &before);
	if (kfd < 0) {
		snprintf(me->err, sizeof(me->err), "doorbell: no kick fd in /proc/self/fd");
		vsw_detach(p);
		return 1;
	}
	atk_ready(me);
	while (!atk_stopped(sh) && mono_ns() < hard) {
		uint64_t ok = 0, full = 0;

		for (int i = 0; i < 256; i++) {
			if (write(kfd, &one, sizeof(one)) == (ssize_t)sizeof(one))
				ok++;
			else if (errno == EAGAIN)
				full++;
			else if (errno != EINTR) {
				snprintf(me->err, sizeof(me->err), "doorbell: write: %s",
					 strerror(errno));
				goto out;
			}
		}
		atk_count(&me->kicks, ok);
		atk_count(&me->kicks_full, full);
	}
out:
	vsw_detach(p);
	return me->err[0] ? 1 : 0;
}

/**
 * atk_churn() - attach a port (named by the daemon), store an impossible
 * value in its TX ring's producer index (a full ring and 8 bytes more),
 * kick, wait for the daemon to reset or close the port (at most
 * CHURN_WAIT_MS), detach; again, as fast as possible.
 */
static int atk_churn(struct atk_shared *sh, struct atk_side *me)
{
	uint64_t one = 1, hard = atk_hard();
	char err[200];
	bool first = true;

	while (!atk_stopped(sh) && mono_ns() < hard) {
		struct vsw_shm_hdr *h;
		struct vsw_ring *tx;
		struct vsw_port *p;
		struct fdset before;
		uint64_t end;
		uint32_t cons;
		int kfd;

		fds_snapshot(&before);
		p = vsw_attach_to(ATK_SWITCH, NULL, NULL, 0, err, sizeof(err));
		if (!p) {
			if (first) {
				snprintf(me->err, sizeof(me->err), "churn: %.150s", err);
				return 1;
			}
			atk_count(&me->attach_fail, 1);
			usleep(1000);
			continue;
		}
		if (first) {
			atk_ready(me);
			first = false;
		}
		atk_count(&me->cycles, 1);
		kfd = find_kick_fd(p, &before);
		h = vsw_port_shm(p, NULL);
		tx = (struct vsw_ring *)((uint8_t *)h + h->ring_off[VSW_TX]);
		cons = __atomic_load_n(&tx->cons, __ATOMIC_ACQUIRE);
		__atomic_store_n(&tx->prod, cons + h->data_size + 8, __ATOMIC_RELEASE);
		if (kfd >= 0 && write(kfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			kfd = -1;
		end = mono_ns() + CHURN_WAIT_MS * 1000000ull;
		for (;;) {
			struct pollfd pfd = { vsw_port_ctrl_fd(p), POLLIN, 0 };
			uint64_t now = mono_ns();

			if (now > end || atk_stopped(sh)) {
				if (now > end)
					atk_count(&me->timeouts, 1);
				break;
			}
			if (poll(&pfd, 1, 50) > 0 && vsw_ctrl_process(p) < 0) {
				atk_count(&me->resets, 1);
				break;
			}
		}
		vsw_detach(p);
	}
	return 0;
}

/* busy: a CPU hog that touches no switch, the CPU part of an attack. */
static int atk_busy(struct atk_shared *sh, struct atk_side *me)
{
	uint64_t hard = atk_hard();

	atk_ready(me);
	while (!atk_stopped(sh) && mono_ns() < hard)
		for (int i = 0; i < 1000; i++)
			cpu_relax();
	return 0;
}

static int atk_main(struct atk_shared *sh, int idx)
{
	struct atk_side *me = &sh->side[idx];

	if (sh->kind == ATK_BUSY3)
		return atk_busy(sh, me);
	if (idx)
		return atk_victim(sh, idx);
	switch (sh->kind) {
	case ATK_GSO:
	case ATK_GSO1:
	case ATK_FLOOD:
		return atk_send(sh, me);
	case ATK_DOORBELL:
		return atk_doorbell(sh, me);
	case ATK_CHURN:
		return atk_churn(sh, me);
	case ATK_BUSY:
		return atk_busy(sh, me);
	default:
		return 0;
	}
}

/* The attack's processes: [0] the attacker, then its victims. */
static int atk_nprocs(enum attack k)
{
	return k == ATK_GSO || k == ATK_GSO1 || k == ATK_FLOOD || k == ATK_BUSY3 ? 3 :
	       k == ATK_NONE ? 0 : 1;
}

/**
 * attack_stop() - stop the running attack: ask, then reap every process
 * by PID (SIGKILL to one that overstays START_MS).  Return: false if one
 * of them failed (said on stderr).
 */
static bool attack_stop(void)
{
	struct attack_run *a = &atk_live;
	bool ok = true;

	if (!a->sh)
		return true;
	__atomic_store_n(&a->sh->stop, 1, __ATOMIC_RELEASE);
	for (int i = ATK_PROCS - 1; i >= 0; i--) {
		struct rusage ru;

		if (a->pid[i] <= 0)
			continue;
		if (!wait_child(a->pid[i], START_MS, &ru))
			ok = false;
		a->pid[i] = 0;
		if (a->sh->side[i].err[0])
			fprintf(stderr, "vsw-bench: %s attack: %s\n", attack_names[a->sh->kind],
				a->sh->side[i].err);
	}
	munmap(a->sh, sizeof(*a->sh));
	memset(a, 0, sizeof(*a));
	return ok;
}

/**
 * attack_start() - start attack @k on switch "evil" of the current daemon
 * as a process group of its own: the victims first, then the attacker;
 * wait until each is attached and running, then ATK_WARMUP_MS.
 * Return: false (stopped again, said on stderr) if one did not get ready.
 */
static bool attack_start(enum attack k)
{
	struct attack_run *a = &atk_live;
	int n = atk_nprocs(k);
	pid_t parent = getpid();

	memset(a, 0, sizeof(*a));
	if (!n)
		return true;
	a->sh = mmap(NULL, sizeof(*a->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a->sh == MAP_FAILED) {
		a->sh = NULL;
		die("mmap: %s", strerror(errno));
	}
	memset(a->sh, 0, sizeof(*a->sh));
	a->sh->kind = k;
	for (int i = n - 1; i >= 0; i--) {
		uint64_t end;
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			setpgid(0, a->pgid);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			pin_self(&o.pin_attacker);
			if (o.attacker_idle) {
				struct sched_param sp = { 0 };

				if (sched_setscheduler(0, SCHED_IDLE, &sp) < 0) {
					snprintf(a->sh->side[i].err, sizeof(a->sh->side[i].err),
						 "SCHED_IDLE: %s", strerror(errno));
					_exit(1);
				}
			}
			_exit(atk_main(a->sh, i));
		}
		/* Both sides set the group: whoever runs first, it is right. */
		if (setpgid(pid, a->pgid ? a->pgid : pid) < 0 && errno != EACCES && errno != ESRCH)
			fprintf(stderr, "vsw-bench: setpgid: %s\n", strerror(errno));
		if (!a->pgid)
			a->pgid = pid;
		a->pid[i] = pid;
		end = mono_ns() + START_MS * 1000000ull;
		while (!__atomic_load_n(&a->sh->side[i].ready, __ATOMIC_ACQUIRE)) {
			bool gone = waitpid(pid, NULL, WNOHANG) == pid;

			if (gone || mono_ns() > end) {
				if (gone)
					a->pid[i] = 0;
				if (!a->sh->side[i].err[0])
					snprintf(a->sh->side[i].err, sizeof(a->sh->side[i].err),
						 gone ? "exited before it was ready" :
						 "not ready within 5 s");
				attack_stop();
				return false;
			}
			usleep(500);
		}
	}
	usleep(ATK_WARMUP_MS * 1000);
	return true;
}

/* ------------------------------------------------------------------ */
/* The switches                                                        */

/**
 * ctl_exchange() - send @req on the control socket @fd and read the reply
 * line into @buf (bounded wait).
 * Return: 1 for a "return", 0 for an "error" (or a reply longer than
 * @size), -1 if no reply came.
 */
static int ctl_exchange(int fd, const char *req, char *buf, size_t size)
{
	size_t len = 0;
	uint64_t end = mono_ns() + START_MS * 1000000ull;

	buf[0] = 0;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return -1;
	while (!memchr(buf, '\n', len) && len < size - 1) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (mono_ns() > end || poll(&pfd, 1, 100) < 0)
			return -1;
		if (!(pfd.revents & POLLIN))
			continue;
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	buf[len] = 0;
	if (!memchr(buf, '\n', len))
		return 0;
	return strncmp(buf, "{\"return\"", 9) == 0 || strstr(buf, "\"return\"") ? 1 : 0;
}

/* ctl_exchange() for a reply we only need the verdict of. */
static bool ctl_request(int fd, const char *req)
{
	char buf[4096];

	return ctl_exchange(fd, req, buf, sizeof(buf)) == 1;
}

/**
 * ctl_connect() - connect to the control socket @sock.
 * Return: the fd, or -1 while the daemon is not up yet.
 */
static int ctl_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
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
 * ctl_call() - one request to daemon @d on a connection of its own.
 * Return: as ctl_exchange(); the reply is in @buf.
 */
static int ctl_call(const struct daemon *d, const char *req, char *buf, size_t size)
{
	int fd = ctl_connect(d->sock), rc = -1;

	buf[0] = 0;
	if (fd < 0)
		return -1;
	if (ctl_greeting(fd))
		rc = ctl_exchange(fd, req, buf, size);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Just enough JSON to read port-list                                  */

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* @p at a '"': past the closing one, or NULL. */
static const char *js_string_end(const char *p)
{
	for (p++; *p != '"'; p++) {
		if (!*p)
			return NULL;
		if (*p == '\\' && p[1])
			p++;
	}
	return p + 1;
}

/* Past the value at @p, or NULL if it is cut short. */
static const char *js_skip(const char *p)
{
	int depth = 0;

	p = js_ws(p);
	if (*p != '{' && *p != '[' && *p != '"') {
		while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n')
			p++;
		return p;
	}
	do {
		if (!*p)
			return NULL;
		if (*p == '"') {
			p = js_string_end(p);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		p++;
	} while (depth > 0);
	return p;
}

/* The value of member @key of the object at @p, or NULL. */
static const char *js_member(const char *p, const char *key)
{
	size_t kl = strlen(key);

	p = js_ws(p);
	if (*p != '{')
		return NULL;
	p = js_ws(p + 1);
	while (*p == '"') {
		const char *k = p + 1, *e = js_string_end(p);

		if (!e)
			return NULL;
		p = js_ws(e);
		if (*p != ':')
			return NULL;
		p = js_ws(p + 1);
		if ((size_t)(e - 1 - k) == kl && !memcmp(k, key, kl))
			return p;
		p = js_skip(p);
		if (!p)
			return NULL;
		p = js_ws(p);
		if (*p == ',')
			p = js_ws(p + 1);
	}
	return NULL;
}

static uint64_t js_u64(const char *obj, const char *key)
{
	const char *v = js_member(obj, key);

	return v ? strtoull(v, NULL, 10) : 0;
}

/* Is member @key of @obj the string @want? */
static bool js_str_is(const char *obj, const char *key, const char *want)
{
	const char *v = js_member(obj, key);
	size_t wl = strlen(want);

	return v && *v == '"' && !strncmp(v + 1, want, wl) && v[1 + wl] == '"';
}

/**
 * ports_query() - the counters of ports @names[0..@n) of switch @sw of
 * daemon @d, in one port-list.  A port that is not there stays !found.
 * Return: false if the daemon did not answer.
 */
static bool ports_query(const struct daemon *d, const char *sw, const char *const *names,
			struct port_ctr *out, int n)
{
	static char buf[256 * 1024];
	char req[160];
	const char *p;

	memset(out, 0, (size_t)n * sizeof(*out));
	snprintf(req, sizeof(req), "{\"execute\": \"port-list\", \"arguments\": "
		 "{\"switch\": \"%s\"}}\n", sw);
	if (ctl_call(d, req, buf, sizeof(buf)) != 1)
		return false;
	p = js_member(buf, "return");
	p = p ? js_member(p, "ports") : NULL;
	if (!p || *p != '[')
		return false;
	for (p = js_ws(p + 1); *p == '{';) {
		for (int i = 0; i < n; i++) {
			const char *dr;

			if (!js_str_is(p, "name", names[i]))
				continue;
			out[i].found = true;
			out[i].rx = js_u64(p, "rx-packets");
			out[i].tx = js_u64(p, "tx-packets");
			out[i].resets = js_u64(p, "resets");
			out[i].wakeups = js_u64(p, "wakeups");
			out[i].muted = js_u64(p, "muted");
			out[i].has_wakeups = js_member(p, "wakeups") != NULL;
			dr = js_member(p, "drops");
			for (int k = 0; dr && k < NDROP; k++)
				out[i].drops[k] = js_u64(dr, drop_names[k]);
		}
		p = js_skip(p);
		if (!p)
			break;
		p = js_ws(p);
		if (*p == ',')
			p = js_ws(p + 1);
	}
	return true;
}

/**
 * port_set_guards() - set the guards of live port @port of the benchmark
 * switch with port-set (they persist as its provisioned entry).
 * Return: false (the reply in @err) if the daemon refused.
 */
static bool port_set_guards(const struct daemon *d, const char *port, enum guard g,
			    char *err, size_t errlen)
{
	char req[320], buf[4096];

	snprintf(req, sizeof(req),
		 "{\"execute\": \"port-set\", \"arguments\": {\"switch\": \"" SWITCH_NAME
		 "\", \"port\": \"%s\", \"mac-spoofing\": %s, \"dhcp-guard\": %s, "
		 "\"router-guard\": %s}}\n", port, g == G_SPOOF ? "true" : "false",
		 g == G_ALL ? "true" : "false", g == G_ALL ? "true" : "false");
	if (ctl_call(d, req, buf, sizeof(buf)) == 1)
		return true;
	buf[strcspn(buf, "\n")] = 0;
	snprintf(err, errlen, "%s", buf[0] ? buf : "no reply");
	return false;
}

/**
 * start_vswitchd() - run daemon @d on a private socket and state directory
 * (suffixed @tag) and add the Private switches the ports attach to:
 * SWITCH_NAME, and EVIL_SWITCH for --attack.  Learn whether its port-set
 * takes the guards (a port-set of a port that does not exist: NotFound if
 * it knows the arguments, InvalidArgument if not).
 */
static void start_vswitchd(struct daemon *d)
{
	const char *tag = d->tag;
	const char *argv[8 + MAX_EXTRA_ARGS];
	char buf[4096];
	uint64_t end;
	pid_t parent;
	int n = 0, fd;

	snprintf(d->sock, sizeof(d->sock), "%s/vswitchd%s.sock", tmpdir, tag);
	snprintf(d->state, sizeof(d->state), "%s/state%s", tmpdir, tag);
	snprintf(d->log, sizeof(d->log), "%s/vswitchd%s.log", tmpdir, tag);
	argv[n++] = d->path;
	argv[n++] = "--socket";
	argv[n++] = d->sock;
	argv[n++] = "--state-dir";
	argv[n++] = d->state;
	for (int i = 0; i < o.nextra; i++)
		argv[n++] = o.extra[i];
	argv[n] = NULL;
	parent = getpid();
	d->pid = fork();
	if (d->pid < 0)
		die("fork: %s", strerror(errno));
	if (d->pid == 0) {
		int lfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		/* If the benchmark is killed, the daemon shuts down (kept across exec). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
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
	while ((fd = ctl_connect(d->sock)) < 0) {
		if (mono_ns() > end || waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = 0;
			die("vswitchd (%s) did not start; see %s", d->path, d->log);
		}
		usleep(5000);
	}
	if (!ctl_greeting(fd) ||
	    !ctl_request(fd, "{\"execute\": \"switch-add\", \"arguments\": "
			     "{\"name\": \"" SWITCH_NAME "\"}, \"id\": 1}\n"))
		die("vswitchd refused to add switch '%s'; see %s", SWITCH_NAME, d->log);
	if (o.attack_mode && !o.attack_same &&
	    !ctl_request(fd, "{\"execute\": \"switch-add\", \"arguments\": "
			     "{\"name\": \"" EVIL_SWITCH "\"}, \"id\": 2}\n"))
		die("vswitchd refused to add switch '%s'; see %s", EVIL_SWITCH, d->log);
	ctl_exchange(fd, "{\"execute\": \"port-set\", \"arguments\": {\"switch\": \""
		     SWITCH_NAME "\", \"port\": \"vsw-bench-probe\", \"mac-spoofing\": false}}\n",
		     buf, sizeof(buf));
	d->guards = strstr(buf, "NotFound") != NULL;
	close(fd);
	d->dp_tid = find_task(d->pid, "vswitch-dp");
	d->starts++;
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
 * (not those whose name ends in @keep), then @dir itself if it is empty then.
 */
static void rm_dir_files(const char *dir, const char *keep)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t nl = strlen(e->d_name);

		if (e->d_type != DT_REG && e->d_type != DT_SOCK)
			continue;
		if (keep && nl >= strlen(keep) && !strcmp(e->d_name + nl - strlen(keep), keep))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/**
 * rm_tree() - remove what the daemons left in the temporary directory:
 * their state directories (vswitchd.conf, NAT leases, ...), vde_switch's
 * control directory, the sockets; vswitchd's logs stay with --verbose.
 */
static void rm_tree(void)
{
	char path[256];

	if (!tmpdir[0])
		return;
	for (int i = 0; i < ndaemons; i++)
		if (daemons[i].state[0])
			rm_dir_files(daemons[i].state, NULL);
	snprintf(path, sizeof(path), "%s/vde", tmpdir);
	rm_dir_files(path, NULL);
	rm_dir_files(tmpdir, o.verbose ? ".log" : NULL);
	if (o.verbose)
		fprintf(stderr, "vsw-bench: vswitchd's log is in %s\n", tmpdir);
}

/**
 * cleanup() - stop the attack, both switches and remove the temporary
 * directory.
 */
static void cleanup(void)
{
	attack_stop();
	if (vde_stdin >= 0) {
		close(vde_stdin);
		vde_stdin = -1;
	}
	stop_child(&vde_pid, SIGTERM);
	for (int i = 0; i < ndaemons; i++)
		stop_child(&daemons[i].pid, SIGTERM);
	rm_tree();
}

/**
 * restart_vswitchd() - stop daemon @d (by PID, SIGKILL if it does not go
 * within START_MS), forget its state, and start it again: no run inherits
 * what an earlier attack left in it.
 */
static void restart_vswitchd(struct daemon *d)
{
	d->cpu_before += proc_cpu_s(d->pid);
	stop_child(&d->pid, SIGTERM);
	rm_dir_files(d->state, NULL);
	start_vswitchd(d);
	/* Let it settle (the new one starts its NAT helper). */
	usleep(100000);
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
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Gone with the benchmark, whatever ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
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
 * struct run_spec - what else a vswitch run does.
 * @atk:   the attack on switch "evil" during the run (ATK_NONE: none)
 * @guard: port-set the sender's guards to this before the run; -1: leave
 *         the port as it attached
 */
struct run_spec {
	enum attack atk;
	int guard;
};

/* An attack's figures at one moment: its processes' counts, its ports' counters. */
struct atk_snap {
	uint64_t t;
	bool have_ports;
	struct port_ctr port[ATK_PROCS];
	struct atk_side side;
};

static const char *const atk_port_names[ATK_PROCS] = { "attacker", "victim1", "victim2" };

static void atk_snapshot(const struct daemon *d, struct atk_snap *s)
{
	const struct atk_shared *sh = atk_live.sh;

	memset(s, 0, sizeof(*s));
	if (!sh)
		return;
	if (sh->kind != ATK_CHURN && sh->kind != ATK_BUSY && sh->kind != ATK_BUSY3)
		s->have_ports = ports_query(d, ATK_SWITCH, atk_port_names, s->port,
					    atk_nprocs(sh->kind));
	memcpy(&s->side, &sh->side[0], sizeof(s->side));
	s->t = mono_ns();
}

/* What the attack did between snapshots @a and @b, per second. */
static struct atk_stats atk_diff(const struct atk_snap *a, const struct atk_snap *b)
{
	double secs = (double)(b->t - a->t) / 1e9;
	struct atk_stats st = { .valid = secs > 0 };

	if (!st.valid)
		return st;
#define PER_S(x) ((double)(x) / secs)
	st.kicks = PER_S(b->side.kicks - a->side.kicks);
	st.kicks_full = PER_S(b->side.kicks_full - a->side.kicks_full);
	st.cycles = PER_S(b->side.cycles - a->side.cycles);
	st.resets = PER_S(b->side.resets - a->side.resets);
	st.timeouts = PER_S(b->side.timeouts - a->side.timeouts);
	st.attach_fail = PER_S(b->side.attach_fail - a->side.attach_fail);
	st.sent = PER_S(b->side.frames - a->side.frames);
	if (a->have_ports && b->have_ports && a->port[0].found && b->port[0].found) {
		const struct port_ctr *x = &a->port[0], *y = &b->port[0];

		st.have_ports = true;
		st.have_wakeups = y->has_wakeups;
		st.in = PER_S(y->rx - x->rx);
		st.bad_offload = PER_S(y->drops[DROP_BAD_OFFLOAD] - x->drops[DROP_BAD_OFFLOAD]);
		st.over_budget = PER_S(y->drops[DROP_OVER_BUDGET] - x->drops[DROP_OVER_BUDGET]);
		st.wakeups = PER_S(y->wakeups - x->wakeups);
		st.muted = PER_S(y->muted - x->muted);
		for (int i = 1; i < ATK_PROCS; i++) {
			x = &a->port[i];
			y = &b->port[i];
			if (!x->found || !y->found)
				continue;
			st.out += PER_S(y->tx - x->tx);
			st.out_full += PER_S(y->drops[DROP_RING_FULL] - x->drops[DROP_RING_FULL]);
		}
	}
#undef PER_S
	return st;
}

/**
 * run_one() - measure one backend at one frame size; for vswitch (the
 * daemon *cur), with what @rs asks (NULL: nothing more).
 * Return: the figures; valid is false if a process failed (said on stderr).
 */
static struct result run_one(enum backend be, uint32_t len, const struct run_spec *rs)
{
	static const char *const honest[2] = { "sender", "receiver" };
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t sw = be == BE_VSW ? cur->pid : vde_pid;
	enum attack atk = be == BE_VSW && rs ? rs->atk : ATK_NONE;
	struct result r = { 0 };
	struct rusage ru_tx, ru_rx;
	struct atk_snap a0, a1;
	pid_t rx, tx = 0;
	bool ok_tx = false, ok_rx, measured = false, atk_ok;
	double cpu0 = 0, dp0 = 0;
	uint64_t t0 = 0, run_ms = (uint64_t)(o.seconds * 1000);
	char msg[300];

	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	rx = spawn(be == BE_VSW ? vsw_receiver : vde_receiver, sh, len, &o.pin_receiver);
	if (!wait_flag(&sh->rx.ready, rx, START_MS))
		goto out;
	tx = spawn(be == BE_VSW ? vsw_sender : vde_sender, sh, len, &o.pin_sender);
	if (!wait_flag(&sh->tx.ready, tx, START_MS))
		goto out;
	if (be == BE_VSW && rs && rs->guard >= 0 &&
	    !port_set_guards(cur, "sender", (enum guard)rs->guard, msg, sizeof(msg))) {
		fprintf(stderr, "vsw-bench: port-set %s: %s\n", guard_names[rs->guard], msg);
		goto out;
	}
	if (atk != ATK_NONE && !attack_start(atk))
		goto out;
	/* Let the switch take both ports in before the clock starts. */
	usleep(50000);
	if (atk != ATK_NONE)
		atk_snapshot(cur, &a0);
	cpu0 = proc_cpu_s(sw);
	if (be == BE_VSW)
		dp0 = task_cpu_s(sw, cur->dp_tid);
	t0 = mono_ns();
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	if (!wait_flag(&sh->tx.done, tx, (int)run_ms + START_MS))
		goto out;
	/* The receiver drains until DRAIN_IDLE_MS pass without a frame. */
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	wait_flag(&sh->rx.done, rx, (int)((o.seconds + 20.0) * 1000));
	r.wall = (double)(mono_ns() - t0) / 1e9;
	r.cpu_switch = proc_cpu_s(sw) - cpu0;
	if (be == BE_VSW)
		r.cpu_dp = task_cpu_s(sw, cur->dp_tid) - dp0;
	measured = true;
	/* Both ports are still attached: their counters. */
	if (be == BE_VSW) {
		struct port_ctr pc[2];

		if (ports_query(cur, SWITCH_NAME, honest, pc, 2) && pc[0].found && pc[1].found) {
			r.have_ctr = true;
			memcpy(r.snd_drops, pc[0].drops, sizeof(r.snd_drops));
			r.rcv_full = pc[1].drops[DROP_RING_FULL];
		}
	}
	if (atk != ATK_NONE) {
		atk_snapshot(cur, &a1);
		r.atk = atk_diff(&a0, &a1);
	}
out:
	atk_ok = attack_stop();
	if (!atk_ok)
		r.atk.valid = false;
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&sh->release, 1, __ATOMIC_RELEASE);
	if (tx)
		ok_tx = wait_child(tx, START_MS, &ru_tx);
	ok_rx = wait_child(rx, START_MS + (int)run_ms, &ru_rx);
	if (measured && rs && be == BE_VSW) {
		/* Every port is gone: an idle daemon uses no CPU.  Does it? */
		double c = proc_cpu_s(sw);

		usleep(AFTER_MS * 1000);
		r.cpu_after = (proc_cpu_s(sw) - c) / (AFTER_MS / 1000.0);
	}
	if (sh->tx.err[0])
		fprintf(stderr, "vsw-bench: sender: %s\n", sh->tx.err);
	if (sh->rx.err[0])
		fprintf(stderr, "vsw-bench: receiver: %s\n", sh->rx.err);
	if (!measured || !ok_tx || !ok_rx || !sh->tx.frames) {
		fprintf(stderr, "vsw-bench: %s run at %u bytes%s%s failed\n",
			be == BE_VSW ? "vswitch" : "vde", len,
			atk != ATK_NONE ? " under attack " : "",
			atk != ATK_NONE ? attack_names[atk] : "");
		munmap(sh, sizeof(*sh));
		r.valid = false;
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
		"Frame rate between two ports of vswitchd and of vde_switch; with --attack,\n"
		"under attack from another switch; with --guards, what the port guards cost.\n\n"
		"  --seconds S          length of each measurement (default 2)\n"
		"  --runs N             measure each figure N times, print the median (default 3,\n"
		"                       at most %d)\n"
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
		"  --vswitchd-arg ARG   extra vswitchd argument (repeatable; both daemons),\n"
		"                       e.g. --poll-us=100\n"
		"  --no-vde             measure vswitch only\n"
		"  --attack KINDS       vswitch only: during every run, an attacker on switch\n"
		"                       '" EVIL_SWITCH "' of the same daemon (each run on a freshly\n"
		"                       started daemon).  KINDS, a comma list (the option is\n"
		"                       repeatable): gso (64 KiB TSO, gso_size %d, broadcast\n"
		"                       to two ports without offloads that drain), gso1 (the\n"
		"                       same, gso_size 1), flood (64-byte broadcasts to two\n"
		"                       ports that never read), doorbell (kicks on the switch's\n"
		"                       doorbell, no frames), churn (attach, corrupt the TX\n"
		"                       producer index, wait for the reset, again), busy (a\n"
		"                       CPU hog, no switch: the CPU's share), busy3 (three of\n"
		"                       them), all (the five attacks), none (the reference,\n"
		"                       always measured)\n"
		"  --attack-same-switch  the attackers on the honest pair's switch, their\n"
		"                       frames unicast to one victim: the pair's fair share\n"
		"  --pin-attacker CPUS  CPU list for the attack processes (default: the\n"
		"                       switch's, where its data path at nice -10 outranks\n"
		"                       them and the honest clients keep their CPU; none: any)\n"
		"  --attacker-sched POLICY  normal (default), or idle: the attack processes\n"
		"                       run SCHED_IDLE, on CPU time nobody else wants, so\n"
		"                       what remains of an attack's effect is the switch's\n"
		"                       doing, not the CPU's (the attack may be weaker)\n"
		"  --guards             vswitch only: the rate with the sender's port set to\n"
		"                       mac-spoofing allowed, the default (MAC lock), and MAC\n"
		"                       lock + dhcp-guard + router-guard (port-set), interleaved\n"
		"  --baseline PATH      with --attack or --guards: also start this vswitchd (an\n"
		"                       older build) and interleave every run through both\n"
		"  --verbose            per-run details; keep vswitchd's logs\n"
		"  --help               this text\n", MAX_RUNS, ATK_GSO_SIZE);
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

/* "none", or every drop reason with a count, into @buf. */
static const char *drops_str(const uint64_t *drops, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int k = 0; k < NDROP && n + 32 < len; k++)
		if (drops[k])
			n += (size_t)snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "",
					      drop_names[k], (unsigned long long)drops[k]);
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

/**
 * measure() - run one figure o.runs times; Return: the run with the median
 * frame rate (failed runs sort first, so a majority must succeed).  Adds
 * the switch's CPU time to *@cpu_switch and the drops at the sender's port
 * (ingress) of every run to @drops (vswitch).
 */
static struct result measure(enum backend be, uint32_t len, double *cpu_switch,
			     uint64_t drops[NDROP], bool *have_drops)
{
	struct result r[MAX_RUNS];
	int n = o.runs;

	for (int i = 0; i < n; i++) {
		r[i] = run_one(be, len, NULL);
		*cpu_switch += r[i].cpu_switch;
		if (r[i].have_ctr) {
			*have_drops = true;
			for (int k = 1; k < NDROP; k++)
				drops[k] += r[i].snd_drops[k];
		}
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

/* ------------------------------------------------------------------ */
/* Medians of interleaved runs                                         */

/**
 * struct summary - the valid runs of one figure.
 * @n:     how many
 * @med:   the run with the median rate (the upper one of an even count)
 * @min:   lowest rate (Mpps); @max: highest
 * @paired: median over the runs of rate / the same run's reference rate
 */
struct summary {
	int n;
	const struct result *med;
	double min, max, paired;
};

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of @n values (sorted in place); 0 for none. */
static double median(double *v, int n)
{
	if (!n)
		return 0;
	qsort(v, (size_t)n, sizeof(v[0]), cmp_dbl);
	return v[n / 2];
}

/**
 * summarize() - the median run of @runs[0..@n), and the median of the
 * per-run ratios to @ref (runs taken in the same rounds; NULL: none).
 */
static struct summary summarize(const struct result *runs, const struct result *ref, int n)
{
	const struct result *v[MAX_RUNS];
	double ratios[MAX_RUNS];
	struct summary s = { 0 };
	int nr = 0;

	for (int i = 0; i < n; i++) {
		if (!runs[i].valid)
			continue;
		v[s.n++] = &runs[i];
		if (ref && ref[i].valid && ref[i].mpps > 0)
			ratios[nr++] = runs[i].mpps / ref[i].mpps;
	}
	if (!s.n)
		return s;
	for (int i = 1; i < s.n; i++)
		for (int j = i; j > 0 && v[j]->mpps < v[j - 1]->mpps; j--) {
			const struct result *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	s.med = v[s.n / 2];
	s.min = v[0]->mpps;
	s.max = v[s.n - 1]->mpps;
	s.paired = median(ratios, nr);
	return s;
}

/* @x per second, short: 1.23M, 45.6k, 789. */
static const char *rate_str(double x, char *buf, size_t len)
{
	if (x >= 1e6)
		snprintf(buf, len, "%.2fM", x / 1e6);
	else if (x >= 1e4)
		snprintf(buf, len, "%.0fk", x / 1e3);
	else if (x >= 1e3)
		snprintf(buf, len, "%.1fk", x / 1e3);
	else
		snprintf(buf, len, "%.0f", x);
	return buf;
}

/* What attack @k did in run @r, in a few words. */
static const char *atk_str(enum attack k, const struct result *r, char *buf, size_t len)
{
	const struct atk_stats *a = &r->atk;
	char x1[16], x2[16], x3[16], x4[16], x5[16];

	if (k == ATK_NONE)
		return "-";
	if (!a->valid) {
		snprintf(buf, len, "(the attack failed: see stderr)");
		return buf;
	}
	switch (k) {
	case ATK_GSO:
	case ATK_GSO1:
	case ATK_FLOOD:
		if (!a->have_ports) {
			snprintf(buf, len, "sent %s/s (no port counters)",
				 rate_str(a->sent, x1, sizeof(x1)));
			break;
		}
		snprintf(buf, len, "in %s/s, bad-offload %s/s, over-budget %s/s; "
			 "to victims %s/s, ring-full %s/s",
			 rate_str(a->in, x1, sizeof(x1)), rate_str(a->bad_offload, x2, sizeof(x2)),
			 rate_str(a->over_budget, x3, sizeof(x3)), rate_str(a->out, x4, sizeof(x4)),
			 rate_str(a->out_full, x5, sizeof(x5)));
		break;
	case ATK_DOORBELL:
		snprintf(buf, len, "kicks %s/s written, %s/s met a full pipe; ",
			 rate_str(a->kicks, x1, sizeof(x1)),
			 rate_str(a->kicks_full, x2, sizeof(x2)));
		if (a->have_wakeups)
			snprintf(buf + strlen(buf), len - strlen(buf),
				 "woke the switch %s/s, muted %.1f/s",
				 rate_str(a->wakeups, x3, sizeof(x3)), a->muted);
		else
			snprintf(buf + strlen(buf), len - strlen(buf), "(no wakeup counters)");
		break;
	case ATK_CHURN:
		snprintf(buf, len, "%s ports/s attached, %s/s reset, %s/s not reset within "
			 "%d ms, %s/s attach failed", rate_str(a->cycles, x1, sizeof(x1)),
			 rate_str(a->resets, x2, sizeof(x2)), rate_str(a->timeouts, x3, sizeof(x3)),
			 CHURN_WAIT_MS, rate_str(a->attach_fail, x4, sizeof(x4)));
		break;
	case ATK_BUSY:
		snprintf(buf, len, "one process spinning, no switch");
		break;
	case ATK_BUSY3:
		snprintf(buf, len, "three processes spinning, no switch");
		break;
	default:
		return "-";
	}
	return buf;
}

static uint64_t drops_sum(const struct result *r)
{
	uint64_t n = 0;

	for (int k = 1; k < NDROP; k++)
		n += r->snd_drops[k];
	return n;
}

/* ------------------------------------------------------------------ */
/* --attack                                                            */

static struct result ares[2][MAX_SIZES][ATK_N][MAX_RUNS];

static void print_run(const struct daemon *d, uint32_t len, const char *what, int run,
		      const struct result *r)
{
	char b[200];

	if (!o.verbose)
		return;
	printf("  run %d %s %u B %-36s %8.4f Mpps loss %5.2f%% switch CPU %.2f s (dp %.2f) "
	       "sender ring full %llu, sleeps %llu, receiver sleeps %llu; drops: %s\n",
	       run + 1, d->label, len, what, r->valid ? r->mpps : 0, r->loss * 100,
	       r->cpu_switch, r->cpu_dp, (unsigned long long)r->full,
	       (unsigned long long)r->sleeps_tx, (unsigned long long)r->sleeps_rx,
	       drops_str(r->snd_drops, b, sizeof(b)));
}

/**
 * attack_mode() - every run round, for every size and daemon, the honest
 * pair alone and under each attack, in an order that rotates from round to
 * round; then the tables.
 */
static void attack_mode(void)
{
	enum attack kinds[ATK_N];
	int nk = 0;
	double worst[2] = { 1e9, 1e9 };
	const char *worst_k[2] = { "-", "-" };
	unsigned worst_len[2] = { 0, 0 };

	kinds[nk++] = ATK_NONE;
	for (int k = 1; k < ATK_N; k++)
		if (o.attack[k])
			kinds[nk++] = (enum attack)k;
	for (int r = 0; r < o.runs; r++)
		for (int si = 0; si < o.nsizes; si++)
			for (int di = 0; di < ndaemons; di++) {
				cur = &daemons[di];
				for (int j = 0; j < nk; j++) {
					enum attack k = kinds[(j + r) % nk];
					struct run_spec rs = { k, -1 };
					struct result *res = &ares[di][si][k][r];

					restart_vswitchd(cur);
					*res = run_one(BE_VSW, o.sizes[si], &rs);
					cur->cpu_runs += res->cpu_switch;
					print_run(cur, o.sizes[si], attack_names[k], r, res);
				}
			}
	print_loadavg("after");

	for (int di = 0; di < ndaemons; di++) {
		const struct daemon *d = &daemons[di];

		for (int si = 0; si < o.nsizes; si++) {
			const struct result *alone = ares[di][si][ATK_NONE];
			struct summary ref = summarize(alone, NULL, o.runs);

			printf("\n%s (%s), %u-byte frames, honest pair on '" SWITCH_NAME
			       "', attacker on '%s'%s; %d runs\n",
			       d->label, d->path, o.sizes[si], ATK_SWITCH,
			       o.attack_same ? " (unicast to its victim)" : "", o.runs);
			printf("%-8s | %-27s | %5s %6s | %6s | %5s | %6s | %-11s | %5s | %s\n",
			       "attack", "honest Mpps: median (range)", "ratio", "paired", "loss%",
			       "drops", "full/s", "CPU s/s(dp)", "after",
			       "the attack, per second (median run)");
			for (int j = 0; j < nk; j++) {
				enum attack k = kinds[j];
				struct summary s = summarize(ares[di][si][k], alone, o.runs);
				char range[40], rs[16], ps[16], cpu[24], atk[240];
				const struct result *m = s.med;
				double after = 0;

				for (int r = 0; r < o.runs; r++) {
					const struct result *x = &ares[di][si][k][r];

					if (x->valid && x->cpu_after > after)
						after = x->cpu_after;
				}

				if (!s.n) {
					printf("%-8s | %-27s |\n", attack_names[k], "failed");
					continue;
				}
				snprintf(range, sizeof(range), "%8.4f (%.4f-%.4f)", m->mpps, s.min, s.max);
				if (ref.n && ref.med->mpps > 0)
					snprintf(rs, sizeof(rs), "%5.2f", m->mpps / ref.med->mpps);
				else
					snprintf(rs, sizeof(rs), "%5s", "-");
				snprintf(ps, sizeof(ps), "%6.2f", s.paired);
				snprintf(cpu, sizeof(cpu), "%.2f(%.2f)",
					 m->wall > 0 ? m->cpu_switch / m->wall : 0,
					 m->wall > 0 ? m->cpu_dp / m->wall : 0);
				printf("%-8s | %-27s | %s %s | %6.2f | %5llu | %6.0f | %-11s | %5.2f | %s\n",
				       attack_names[k], range, rs, ps, m->loss * 100,
				       (unsigned long long)drops_sum(m),
				       m->wall > 0 ? (double)m->full / m->wall : 0, cpu, after,
				       atk_str(k, m, atk, sizeof(atk)));
				if (k != ATK_NONE && k != ATK_BUSY && k != ATK_BUSY3 && ref.n &&
				    ref.med->mpps > 0 && m->mpps / ref.med->mpps < worst[di]) {
					worst[di] = m->mpps / ref.med->mpps;
					worst_k[di] = attack_names[k];
					worst_len[di] = o.sizes[si];
				}
			}
		}
	}

	if (ndaemons > 1) {
		printf("\nBefore/after: honest Mpps (median) and ratio to alone\n");
		printf("%7s %-8s |", "bytes", "attack");
		for (int di = 0; di < ndaemons; di++)
			printf(" %-18s |", daemons[di].label);
		printf("\n");
		for (int si = 0; si < o.nsizes; si++)
			for (int j = 0; j < nk; j++) {
				printf("%7u %-8s |", o.sizes[si], attack_names[kinds[j]]);
				for (int di = 0; di < ndaemons; di++) {
					struct summary ref = summarize(ares[di][si][ATK_NONE], NULL, o.runs);
					struct summary s = summarize(ares[di][si][kinds[j]], NULL, o.runs);

					if (!s.n || !ref.n || ref.med->mpps <= 0)
						printf(" %-18s |", "failed");
					else
						printf(" %9.4f %6.3fx  |", s.med->mpps,
						       s.med->mpps / ref.med->mpps);
				}
				printf("\n");
			}
	}
	printf("\n");
	for (int di = 0; di < ndaemons; di++) {
		if (worst_k[di][0] == '-' && worst[di] > 1e8) {
			printf("%s: no attack measured\n", daemons[di].label);
			continue;
		}
		printf("%s: worst ratio to alone %.3f (%s, %u bytes); target >= 0.5 under every "
		       "attack: %s\n", daemons[di].label, worst[di], worst_k[di], worst_len[di],
		       worst[di] >= 0.5 ? "met" : "NOT met");
	}
}

/* ------------------------------------------------------------------ */
/* --guards                                                            */

/* One row of the guard table: a daemon and what its sender port has. */
struct gvariant {
	int daemon;
	int guard;		/* enum guard, or -1: as attached */
};

static struct result gres[2 * G_N][MAX_SIZES][MAX_RUNS];

/* Median of the data path's CPU ns per received frame over @n runs. */
static double dp_ns_per_frame(const struct result *runs, int n)
{
	double v[MAX_RUNS];
	int k = 0;

	for (int i = 0; i < n; i++)
		if (runs[i].valid && runs[i].received)
			v[k++] = (runs[i].cpu_dp > 0 ? runs[i].cpu_dp : runs[i].cpu_switch) *
				 1e9 / (double)runs[i].received;
	return median(v, k);
}

/**
 * guard_mode() - every run round, for every size, the sender's port with
 * each guard setting on every daemon that has them (a daemon without them:
 * as attached), in a rotating order; then the table.
 */
static void guard_mode(void)
{
	struct gvariant v[2 * G_N];
	int nv = 0;

	for (int di = 0; di < ndaemons; di++) {
		if (!daemons[di].guards) {
			v[nv++] = (struct gvariant){ di, -1 };
			continue;
		}
		for (int g = 0; g < G_N; g++)
			v[nv++] = (struct gvariant){ di, g };
	}
	for (int r = 0; r < o.runs; r++)
		for (int si = 0; si < o.nsizes; si++)
			for (int j = 0; j < nv; j++) {
				const struct gvariant *x = &v[(j + r) % nv];
				struct run_spec rs = { ATK_NONE, x->guard };
				struct result *res = &gres[(j + r) % nv][si][r];

				cur = &daemons[x->daemon];
				*res = run_one(BE_VSW, o.sizes[si], &rs);
				cur->cpu_runs += res->cpu_switch;
				print_run(cur, o.sizes[si], x->guard < 0 ? "as attached" :
					  guard_names[x->guard], r, res);
			}
	print_loadavg("after");

	for (int si = 0; si < o.nsizes; si++) {
		/* The reference: the first daemon's sender with no MAC check. */
		const struct result *ref = gres[0][si];
		struct summary rs = summarize(ref, NULL, o.runs);
		double ref_ns = dp_ns_per_frame(ref, o.runs);

		printf("\nGuard cost, %u-byte frames, %d runs; ratio and paired: to the "
		       "first row\n", o.sizes[si], o.runs);
		printf("%-10s %-38s | %-27s | %5s %6s | %-12s | %6s | %s\n", "daemon",
		       "sender's port", "Mpps: median (range)", "ratio", "paired",
		       "dp ns/frame", "loss%", "drops at the sender (all runs)");
		for (int j = 0; j < nv; j++) {
			struct summary s = summarize(gres[j][si], ref, o.runs);
			double ns = dp_ns_per_frame(gres[j][si], o.runs);
			uint64_t drops[NDROP] = { 0 };
			char range[40], b[200], nss[24];

			for (int r = 0; r < o.runs; r++)
				for (int k = 1; k < NDROP; k++)
					drops[k] += gres[j][si][r].snd_drops[k];
			if (!s.n) {
				printf("%-10s %-38s | failed\n", daemons[v[j].daemon].label,
				       v[j].guard < 0 ? "as attached (no guards)" : guard_names[v[j].guard]);
				continue;
			}
			snprintf(range, sizeof(range), "%8.3f (%.3f-%.3f)", s.med->mpps, s.min, s.max);
			snprintf(nss, sizeof(nss), "%5.1f %+5.1f%%", ns,
				 ref_ns > 0 ? (ns / ref_ns - 1) * 100 : 0);
			printf("%-10s %-38s | %-27s | %5.3f %6.3f | %-12s | %6.2f | %s\n",
			       daemons[v[j].daemon].label,
			       v[j].guard < 0 ? "as attached (no guards)" : guard_names[v[j].guard],
			       range, rs.n ? s.med->mpps / rs.med->mpps : 0, s.paired, nss,
			       s.med->loss * 100, drops_str(drops, b, sizeof(b)));
		}
		if (daemons[0].guards && nv >= G_N) {
			struct summary sa = summarize(gres[G_ALL][si], ref, o.runs);
			double cost = sa.n && rs.n ? 1 - sa.med->mpps / rs.med->mpps : 0;
			double pcost = sa.n ? 1 - sa.paired : 0;

			printf("all guards vs mac-spoofing allowed: rate %+.1f %% (paired %+.1f %%), "
			       "dp CPU per frame %+.1f %%; target: the guards cost less than 10 %%: %s\n",
			       -cost * 100, -pcost * 100,
			       ref_ns > 0 ? (dp_ns_per_frame(gres[G_ALL][si], o.runs) / ref_ns - 1) * 100 : 0,
			       cost < 0.10 && pcost < 0.10 ? "met" : "NOT met");
		}
	}
}

/**
 * add_attacks() - "gso,flood", "all", "none": into o.attack.
 * Return: false for an unknown kind.
 */
static bool add_attacks(char *list)
{
	char *tok, *save;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		if (!strcmp(tok, "all")) {
			for (k = ATK_GSO; k <= ATK_CHURN; k++)
				o.attack[k] = true;
			continue;
		}
		for (k = 0; k < ATK_N && strcmp(tok, attack_names[k]); k++)
			;
		if (k == ATK_N)
			return false;
		o.attack[k] = true;
	}
	o.attack_mode = true;
	return true;
}

int main(int argc, char **argv)
{
	enum { OPT_SECONDS = 256, OPT_RUNS, OPT_SIZES, OPT_BATCH, OPT_TXY, OPT_TXW,
	       OPT_RXW, OPT_SPIN, OPT_PIN, OPT_PSW, OPT_PTX, OPT_PRX, OPT_VSWD,
	       OPT_VARG, OPT_NOVDE, OPT_ATTACK, OPT_ASAME, OPT_PATK, OPT_ASCHED, OPT_GUARDS,
	       OPT_BASE,
	       OPT_VERBOSE, OPT_HELP };
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
		{ "attack", required_argument, NULL, OPT_ATTACK },
		{ "attack-same-switch", no_argument, NULL, OPT_ASAME },
		{ "pin-attacker", required_argument, NULL, OPT_PATK },
		{ "attacker-sched", required_argument, NULL, OPT_ASCHED },
		{ "guards", no_argument, NULL, OPT_GUARDS },
		{ "baseline", required_argument, NULL, OPT_BASE },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	static char vswitchd_path[512];
	struct result vr[MAX_SIZES], dr[MAX_SIZES];
	uint64_t drops[MAX_SIZES][NDROP];
	bool have_drops[MAX_SIZES];
	char c1[32], c2[32], c3[32], c4[32], yield_str[48] = "";
	double vde_cpu_total = 0;
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
			if (*end || o.runs < 1 || o.runs > MAX_RUNS)
				die("--runs: 1 to %d", MAX_RUNS);
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
		case OPT_ATTACK:
			if (!add_attacks(optarg))
				die("--attack: gso, gso1, flood, doorbell, churn, busy, busy3, all or none");
			break;
		case OPT_ASAME:
			o.attack_same = true;
			break;
		case OPT_PATK:
			if (!parse_cpus(optarg, &o.pin_attacker))
				die("--pin-attacker: a CPU list like 0,1");
			o.pin_attacker_set = true;
			break;
		case OPT_ASCHED:
			if (strcmp(optarg, "normal") && strcmp(optarg, "idle"))
				die("--attacker-sched: normal or idle");
			o.attacker_idle = !strcmp(optarg, "idle");
			break;
		case OPT_GUARDS:
			o.guards = true;
			break;
		case OPT_BASE:
			o.baseline = optarg;
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
	if (o.attack_mode && o.guards)
		die("--attack and --guards: one at a time");
	if (o.baseline && !o.attack_mode && !o.guards)
		die("--baseline goes with --attack or --guards");
	if (o.attack_mode || o.guards)
		o.vde = false;
	if (!o.pin_attacker_set)
		o.pin_attacker = o.pin_switch;
	if (!o.vswitchd) {
		const char *b = getenv("VSWITCH_BUILD_DIR");

		snprintf(vswitchd_path, sizeof(vswitchd_path),
			 "%s/net-backend/daemon/vswitchd", b && *b ? b : DEFAULT_BUILD_DIR);
		o.vswitchd = vswitchd_path;
	}
	daemons[ndaemons++] = (struct daemon){ .path = o.vswitchd, .label = "vswitchd",
					       .tag = "" };
	if (o.baseline)
		daemons[ndaemons++] = (struct daemon){ .path = o.baseline, .label = "baseline",
						       .tag = "-baseline" };
	for (int i = 0; i < ndaemons; i++)
		if (access(daemons[i].path, X_OK) < 0)
			die("%s: %s (build it, or use --vswitchd / --baseline)", daemons[i].path,
			    strerror(errno));

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vsw-bench-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		die("mkdtemp: %s", strerror(errno));
	}
	for (int i = 0; i < ndaemons; i++)
		start_vswitchd(&daemons[i]);
	cur = &daemons[0];
	if (o.vde && !start_vde_switch())
		o.vde = false;

	if (o.tx_yield_kib)
		snprintf(yield_str, sizeof(yield_str), ", yield every %u KiB", o.tx_yield_kib);
	printf("vsw-bench: %.1f s per run, median of %d; batch %u%s; sender waits by %s, "
	       "receiver by %s (%u us before sleeping); CPUs: switch %s, sender %s, "
	       "receiver %s",
	       o.seconds, o.runs, o.batch, yield_str,
	       wait_name(o.tx_wait), wait_name(o.rx_wait), o.spin_us,
	       cpus_str(&o.pin_switch, c1, sizeof(c1)),
	       cpus_str(&o.pin_sender, c2, sizeof(c2)),
	       cpus_str(&o.pin_receiver, c3, sizeof(c3)));
	if (o.attack_mode)
		printf(", attackers %s%s", cpus_str(&o.pin_attacker, c4, sizeof(c4)),
		       o.attacker_idle ? " (SCHED_IDLE)" : "");
	printf("\n");
	for (int i = 0; i < ndaemons; i++) {
		printf("%s: %s (pid %d, ", daemons[i].label, daemons[i].path, (int)daemons[i].pid);
		if (daemons[i].dp_tid)
			printf("data path thread at nice %d", task_nice(daemons[i].pid,
									daemons[i].dp_tid));
		else
			printf("no data path thread found");
		printf(", port-set %s the guards)\n", daemons[i].guards ? "takes" : "does not take");
	}
	if (o.nextra) {
		printf("vswitchd options:");
		for (int i = 0; i < o.nextra; i++)
			printf(" %s", o.extra[i]);
		printf("\n");
	}
	print_loadavg("before");
	if (o.attack_mode || o.guards) {
		if (o.attack_mode)
			attack_mode();
		else
			guard_mode();
		printf("\n");
		for (int i = 0; i < ndaemons; i++) {
			proc_rss_kib(daemons[i].pid, &rss, &hwm);
			printf("%s: started %d times; the last one: RSS %ld KiB now, peak %ld "
			       "KiB; CPU %.2f s in the runs (total %.2f s)\n", daemons[i].label,
			       daemons[i].starts, rss, hwm, daemons[i].cpu_runs,
			       daemons[i].cpu_before + proc_cpu_s(daemons[i].pid));
		}
		cleanup();
		return 0;
	}
	for (int i = 0; i < o.nsizes; i++) {
		memset(drops[i], 0, sizeof(drops[i]));
		have_drops[i] = false;
		vr[i] = measure(BE_VSW, o.sizes[i], &daemons[0].cpu_runs, drops[i], &have_drops[i]);
		memset(&dr[i], 0, sizeof(dr[i]));
		if (o.vde && o.sizes[i] <= VDE_MAX_FRAME)
			dr[i] = measure(BE_VDE, o.sizes[i], &vde_cpu_total, drops[i], &have_drops[i]);
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
	printf("\nvswitch drops at the sender's port (all runs; ring-full at the receiver "
	       "is the loss):\n");
	for (int i = 0; i < o.nsizes; i++) {
		char b[256];

		printf("%7u | %s\n", o.sizes[i], have_drops[i] ?
		       drops_str(drops[i], b, sizeof(b)) : "(no counters)");
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
	proc_rss_kib(daemons[0].pid, &rss, &hwm);
	printf("\nvswitchd: RSS %ld KiB now, peak %ld KiB; CPU %.2f s in the runs "
	       "(total %.2f s)\n", rss, hwm, daemons[0].cpu_runs, proc_cpu_s(daemons[0].pid));
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
