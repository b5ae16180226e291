// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vsw-attack.c - test tool: a compromised QEMU, for the attack tests
 * (tests/integration/test-attacks.c).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * One daemon serves every VM on the host, so a guest-facing QEMU is an
 * attacker.  This program does to its fds, its shared memory, its frames
 * and the control socket what such a QEMU could do; the tests check that
 * only the attacker pays.  Every wait here is bounded.
 *
 * Usage: vsw-attack MODE --socket PATH [options]
 *
 * Modes driven over stdin/stdout, one command line in, one reply line out
 * (like vsw-peer; EOF on stdin ends them):
 *
 *   port --switch NAME [--port NAME] [--vlan N] [--mac MAC] [--offloads N]
 *     A libvswitch port.  Prints "attached PORT VLAN" or "error MESSAGE".
 *     Its doorbells are two pipes: libvswitch reads the switch's kicks from
 *     the event fd and keeps the end it kicks the switch with to itself;
 *     we find that one as any QEMU could: the one write-only FIFO that
 *     vsw_attach() opened besides the event fd.
 *     fds-block            open a second, non-blocking description of our
 *                          kick pipe (through /proc/self/fd: the kick
 *                          commands below use it), then clear O_NONBLOCK on
 *                          both pipe ends we were given -> "ok blocking 2"
 *     pipe-size KICK EVENT resize the kick pipe to KICK bytes and the event
 *                          pipe to EVENT bytes (0: leave it; a pipe's size
 *                          is the switch's too) -> "ok KICKCAP EVENTCAP"
 *                          (capacities in bytes) | "err E"
 *     pipes                bytes unread in both -> "kick UNREAD CAP event
 *                          UNREAD CAP" (reads nothing)
 *     arm                  ask for a kick on every publish (RX NEED_KICK)
 *                          and every release (TX NEED_SPACE), and never
 *                          read them (not even while waiting for TX space)
 *                          -> "ok"
 *     fill-event MAX       armed: small frames one at a time, each consumed
 *                          by the switch before the next (one release, one
 *                          kick), until its kicks fill our event pipe or
 *                          MAX went -> "ok full FRAMES" | "ok short FRAMES
 *                          UNREAD"
 *     kick-until-eagain MAX  kick the switch until its pipe is full (10 s
 *                          at most) -> "ok SENT eagain" | "ok SENT max" |
 *                          "ok SENT time" | "err E"
 *     kick-flood MS [EVERY HEX]  kick as fast as we can for MS; with EVERY,
 *                          also send frame HEX every EVERY ms
 *                          -> "ok KICKS FRAMES TRIED" (KICKS: written,
 *                          the others met a full pipe)
 *     kick-odd N           N writes of 1 to 7 bytes, kicks no reader that
 *                          counts 8-byte kicks expects -> "ok WRITTEN"
 *     kick-blocking MS     one kick on our blocking kick fd, given up after
 *                          MS -> "ok waited N" | "blocked" (we waited, the
 *                          switch did not)
 *     kick-close           close every end of the kick pipe we hold (the fd
 *                          libvswitch kicks becomes /dev/null) -> "ok"
 *     linger-prep SECS     make a TCP socket whose last close blocks for
 *                          SECS (SO_LINGER, a FIN that cannot go out) -> "ok"
 *     linger-pass kick|event|ctrl  pass it (SCM_RIGHTS) on an end of our
 *                          doorbell pipes or on our control connection and
 *                          close our copy -> "ok close-ms N" (the daemon
 *                          holds the last reference) | "err E" (refused:
 *                          ours again, reset, not lingering)
 *     linger-early TRIES   a new control connection that passes it at once,
 *                          before the daemon accepted the connection and
 *                          could refuse descriptors; if the daemon was
 *                          first (EPERM, EPIPE), try again with another,
 *                          up to TRIES -> "ok tries T close-ms N greeted|
 *                          closed|silent" (what the daemon did with the
 *                          connection within 3 s) | "err E tries T"
 *     ctrl-stall N         N requests whose replies we never read, then
 *                          one over the daemon's line limit: it stops
 *                          reading us and closes within a second -> "ok"
 *     dst MAC              destination of the frames tcp4/udp4 build
 *     tcp4|udp4 PAYLOAD [key=value ...]  build an Ethernet/IPv4/TCP or UDP
 *                          frame with PAYLOAD bytes and send it; keys:
 *                            flags gso hdr gsz cs co nb  vnet header fields
 *                            csum=good|partial|bad  L4 checksum field
 *                                 (default: partial with NEEDS_CSUM)
 *                            doff=N   TCP header words (NOP options)
 *                            totlie=N add N to the IPv4 total length
 *                            n=N      send it N times
 *                            gap=MS   wait MS between two sends
 *                          -> "ok SENT" | "err E"
 *     send HEX [VNETHEX]   send a frame (hex), optional 12-byte vnet header
 *     recvhdr MS           next frame and its vnet header -> "frame LEN FLAGS
 *                          GSO_TYPE HDR_LEN GSO_SIZE CSUM_START CSUM_OFFSET
 *                          NUM_BUFFERS csum=good|partial|bad|na" | "none";
 *                          the header as it sits in the ring, just before
 *                          the frame (vsw_frame_hdr()), or "err hdr-in-ring"
 *                          if that is not the header vsw_recv() returned
 *     segs MS              frames arriving within MS, as segments of one
 *                          TCP/IPv4 stream -> "segs N payload BYTES maxlen
 *                          LEN bad B offl O" (B: wrong IPv4 or TCP checksum,
 *                          O: a non-zero vnet header)
 *     count MS             frames arriving within MS -> "count N"
 *     raw-prod N           store N in the TX ring's producer index, kick
 *     status MS            -> "alive" | "reset" | "gone"
 *     quit
 *
 *   rawport --switch NAME [--port NAME] [--mac MAC]
 *     Our own port-attach, without libvswitch, to hold the memfd.
 *     Prints "attached PORT" or "error MESSAGE".
 *     memfd                try to shrink, grow, write past the end of and
 *                          re-seal the memfd, punch holes in its data
 *                          areas -> "shrink E grow E write E seal E punch E"
 *                          (E: "ok" or an errno name)
 *     punch-all            punch a hole over the whole memfd (the header
 *                          and ring indices read back as zeros) -> "ok"|"err E"
 *     close-doorbells      close both doorbell fds -> "ok"
 *     quit
 *
 *   conn                 control connections, no port
 *     open MAX PARTIAL     connect until the daemon closes one at once or
 *                          MAX are open; PARTIAL=1: each sends an
 *                          incomplete request -> "opened N refused R"
 *     await-close MS       wait for the daemon to close the open ones
 *                          -> "closed C of N"
 *     hammer N             N more connect/close; -> "hammer N greeted G refused R"
 *     noread MAX           one connection that sends requests and reads no
 *                          reply, until the daemon drops it or MAX bytes
 *                          -> "disconnected BYTES" | "connected BYTES"
 *     close                close every connection -> "ok"
 *     linger-prep SECS, linger-early TRIES  as in port mode (with the
 *                          connections above open, the daemon may refuse
 *                          the new one)
 *     quit
 *
 *   probe                connect() to the socket in a tight loop until a
 *                        line (or EOF) arrives on stdin, at most 60 s.
 *                        Prints "ready", then "attempts A connected C
 *                        enoent E eacces P refused R other O" (connected
 *                        also counts EAGAIN: the permission check passed).
 *
 * One-shot mode:
 *
 *   churn --switch NAME --rounds N
 *                        N times: attach, corrupt the TX producer index
 *                        (as vsw-peer raw-prod does), then close at once,
 *                        or after the reset, or after a kick flood; or
 *                        corrupt the RX consumer index and close.
 *                        -> "ok ROUNDS attached A resets R"
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include "vswitch/vswitch.h"
#include "tool-util.h"
#include "ring-ops.h"

#define ETH_HLEN	14
#define IP_HLEN		20
#define TCP_HLEN	20
#define UDP_HLEN	8
#define LINE_MAX_LEN	(2 * VSW_FRAME_MAX + 128)

static const char *sock_path;
static struct vsw_port *port;
static uint8_t frame[VSW_FRAME_MAX];
static uint8_t my_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static uint8_t dst_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EPIPE: return "EPIPE";
	case ECONNRESET: return "ECONNRESET";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EFBIG: return "EFBIG";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOTCONN: return "ENOTCONN";
	default: return strerrorname_np(e) ? strerrorname_np(e) : "E?";
	}
}

/* A connected, non-blocking stream socket to the daemon; -errno on failure. */
static int connect_nb(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/*
 * Read until a newline, EOF or @ms: Return: 1 (a line), 0 (EOF or reset:
 * the daemon closed us), -ETIMEDOUT.
 */
static int wait_line(int fd, int ms)
{
	int64_t end = now_ms() + ms;
	char buf[4096];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int left = (int)(end - now_ms());
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return 0;
		if (memchr(buf, '\n', (size_t)n))
			return 1;
	}
}

/*
 * A TCP socket whose last close blocks for @secs: connected over loopback
 * to a listener (*@listener, kept open) that never accepts nor reads, its
 * send queue full, SO_LINGER set.  Whoever drops the last reference to it
 * waits in close() until the linger time is over.  Return: fd or -errno.
 */
static int lingering_socket(int secs, int *listener)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct linger lg = { .l_onoff = 1, .l_linger = secs };
	socklen_t sl = sizeof(sa);
	int l, c = -1, small = 4096, e;
	static char junk[65536];

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &sl) < 0)
		goto fail;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) < 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	/* Fill the peer's window and our send queue: the FIN cannot go out. */
	for (int64_t end = now_ms() + 2000; now_ms() < end;) {
		if (send(c, junk, sizeof(junk), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			continue;
		if (errno != EAGAIN)
			goto fail;
		usleep(20000);
		if (send(c, junk, sizeof(junk), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EAGAIN)
			break;
	}
	/* Last: our own close() on a failure above must not linger. */
	if (setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		goto fail;
	*listener = l;
	return c;
fail:
	e = errno;
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return -e;
}

/*
 * Send @fd over @sock: one 8-byte message carrying it as SCM_RIGHTS.
 * Our copy stays ours.  Return: 0 or errno.
 */
static int pass_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	uint64_t one = 1;
	struct iovec iov = { &one, sizeof(one) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memset(cbuf, 0, sizeof(cbuf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return errno;
	return 0;
}

/* Close a lingering socket nobody took at once: a reset, no waiting. */
static void close_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Checksums (big-endian 16-bit words)                                 */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len >= 2; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t pseudo4(const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
	uint32_t s = sum16(ip + 12, 8, 0);

	return s + proto + l4len;
}

/* ------------------------------------------------------------------ */
/* Port mode                                                           */

/* The TX ring (client -> switch) and the RX ring, as a hostile client sees them. */
static struct vsw_ring *ring_of(int which)
{
	struct vsw_shm_hdr *h = vsw_port_shm(port, NULL);

	return (struct vsw_ring *)((uint8_t *)h + h->ring_off[which]);
}

/*
 * Our doorbell ends.  libvswitch gives us the event fd; the kick end
 * (write end of the client -> switch pipe) it keeps to itself, so we find
 * it: the one write-only FIFO that vsw_attach() opened besides the event
 * fd (fds open before it are in fds_before[]).
 */
#define FD_SCAN_MAX	4096

static bool fds_before[FD_SCAN_MAX];
static int kick_fd = -1;	/* the kick end libvswitch writes */
static int kick_nb = -1;	/* our own non-blocking description of it, or -1 */
static bool armed;		/* never read the switch's kicks */

/* Call @fn for every fd of ours (below FD_SCAN_MAX); Return: 0 or errno. */
static int fd_scan(void (*fn)(int fd, void *data), void *data)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;

	if (!dir)
		return errno;
	while ((de = readdir(dir))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd != dirfd(dir) && fd >= 0 && fd < FD_SCAN_MAX)
			fn(fd, data);
	}
	closedir(dir);
	return 0;
}

static void note_before(int fd, void *data)
{
	(void)data;
	fds_before[fd] = true;
}

static void fds_snapshot(void)
{
	memset(fds_before, 0, sizeof(fds_before));
	fd_scan(note_before, NULL);
}

struct kick_search {
	int event_fd;
	int found;
	int n;
};

static void match_kick(int fd, void *data)
{
	struct kick_search *ks = data;
	struct stat st;
	int fl;

	if (fds_before[fd] || fd == ks->event_fd || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != O_WRONLY)
		return;
	ks->found = fd;
	ks->n++;
}

/* After vsw_attach(): find the kick end; Return: 0 or -1 (none, or several). */
static int find_kick_fd(void)
{
	struct kick_search ks = { vsw_port_event_fd(port), -1, 0 };

	kick_fd = kick_nb = -1;
	armed = false;
	if (fd_scan(match_kick, &ks) || ks.n != 1)
		return -1;
	kick_fd = ks.found;
	return 0;
}

/* The fd our kicks go through: our own non-blocking one if we made it. */
static int kick_target(void)
{
	return kick_nb >= 0 ? kick_nb : kick_fd;
}

/* A kick: @len bytes into the switch's doorbell pipe; Return: 0 or errno. */
static int kick_once(size_t len)
{
	uint64_t one = 1;

	if (write(kick_target(), &one, len) < 0)
		return errno;
	return 0;
}

static bool is_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && !(fl & O_NONBLOCK);
}

static int set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -1;
	return is_blocking(fd) ? 0 : -1;
}

static void cmd_fds_block(void)
{
	char path[64];
	int n = 0;

	/* Kicks that must not block us go through a description of our own. */
	if (kick_nb < 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", kick_fd);
		kick_nb = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (kick_nb < 0) {
			printf("err reopen %s\n", errname(errno));
			return;
		}
	}
	n += set_blocking(kick_fd) == 0;
	n += set_blocking(vsw_port_event_fd(port)) == 0;
	if (is_blocking(kick_nb))
		printf("err reopened-blocking\n");
	else
		printf("ok blocking %d\n", n);
}

static void cmd_pipe_size(char *args)
{
	long kick = 0, event = 0;
	int e = 0;

	if (sscanf(args, "%ld %ld", &kick, &event) != 2) {
		printf("err bad-args\n");
		return;
	}
	if (kick > 0 && fcntl(kick_fd, F_SETPIPE_SZ, (int)kick) < 0)
		e = errno;
	if (!e && event > 0 && fcntl(vsw_port_event_fd(port), F_SETPIPE_SZ, (int)event) < 0)
		e = errno;
	if (e)
		printf("err %s\n", errname(e));
	else
		printf("ok %d %d\n", fcntl(kick_fd, F_GETPIPE_SZ),
		       fcntl(vsw_port_event_fd(port), F_GETPIPE_SZ));
}

/* Bytes unread in the pipe of @fd (either end), or -1. */
static int pipe_unread(int fd)
{
	int n = 0;

	if (fd < 0 || ioctl(fd, FIONREAD, &n) < 0)
		return -1;
	return n;
}

static void cmd_pipes(void)
{
	int efd = vsw_port_event_fd(port);

	printf("kick %d %d event %d %d\n", pipe_unread(kick_target()),
	       fcntl(kick_target(), F_GETPIPE_SZ), pipe_unread(efd), fcntl(efd, F_GETPIPE_SZ));
}

static void cmd_arm(void)
{
	/* The switch now kicks on every publish and every release: we never read. */
	armed = true;
	__atomic_store_n(&ring_of(VSW_RX)->cons_flags, VSW_RING_F_NEED_KICK, __ATOMIC_SEQ_CST);
	__atomic_store_n(&ring_of(VSW_TX)->prod_flags, VSW_RING_F_NEED_SPACE, __ATOMIC_SEQ_CST);
	printf("ok\n");
}

static void cmd_kick_until_eagain(char *args)
{
	long max = strtol(args, NULL, 10), sent = 0;
	int64_t end = now_ms() + 10000;

	if (is_blocking(kick_target())) {
		printf("err blocking\n");
		return;
	}
	for (; sent < max; sent++) {
		if ((sent & 4095) == 0 && now_ms() > end) {
			printf("ok %ld time\n", sent);
			return;
		}
		int e = kick_once(8);

		if (e == EAGAIN) {
			printf("ok %ld eagain\n", sent);
			return;
		}
		if (e) {
			printf("err %s\n", errname(e));
			return;
		}
	}
	printf("ok %ld max\n", sent);
}

static void cmd_kick_odd(char *args)
{
	long n = strtol(args, NULL, 10), written = 0;

	if (is_blocking(kick_target())) {
		printf("err blocking\n");
		return;
	}
	for (long i = 0; i < n; i++)
		if (kick_once((size_t)(1 + i % 7)) == 0)
			written++;
	printf("ok %ld\n", written);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void cmd_kick_blocking(char *args)
{
	struct itimerval it = { .it_value = { atoi(args) / 1000, atoi(args) % 1000 * 1000 } };
	struct itimerval off = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	uint64_t one = 1;
	int64_t t = now_ms();
	ssize_t n;
	int e;

	if (!is_blocking(kick_fd)) {
		printf("err not-blocking\n");
		return;
	}
	sigaction(SIGALRM, &sa, &old);	/* no SA_RESTART: the write gives up */
	setitimer(ITIMER_REAL, &it, NULL);
	n = write(kick_fd, &one, sizeof(one));
	e = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (n == (ssize_t)sizeof(one))
		printf("ok waited %lld\n", (long long)(now_ms() - t));
	else if (e == EINTR)
		printf("blocked\n");
	else
		printf("err %s\n", errname(e));
}

static void cmd_kick_close(void)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	/* Our last ends of the pipe go; libvswitch's fd number stays taken. */
	if (null < 0 || dup3(null, kick_fd, O_CLOEXEC) < 0) {
		printf("err %s\n", errname(errno));
		return;
	}
	close(null);
	if (kick_nb >= 0)
		close(kick_nb);
	kick_nb = -1;
	printf("ok\n");
}

static int lingering = -1;	/* a socket whose close blocks, not passed yet */
static int listeners[64];
static int nlisteners;

/* linger-prep SECS: make a socket whose last close blocks SECS seconds. */
static void cmd_linger_prep(char *args)
{
	int l = -1, fd;

	if (nlisteners == 64) {
		printf("err too-many\n");
		return;
	}
	fd = lingering_socket(atoi(args), &l);
	if (fd < 0) {
		printf("err %s\n", errname(-fd));
		return;
	}
	listeners[nlisteners++] = l;	/* kept open: the connection stays up */
	if (lingering >= 0)
		close_abort(lingering);
	lingering = fd;
	printf("ok\n");
}

/*
 * linger-pass kick|event|ctrl: pass the lingering socket to the switch and
 * close our copy: "ok close-ms N" (N small: the switch holds the last
 * reference now).  If the fd cannot carry it (a pipe carries no
 * descriptors: ENOTSOCK; a peer that refuses them: EPERM), it is ours
 * again and goes without lingering: "err E".
 */
static void cmd_linger_pass(char *args)
{
	int sock = !strcmp(args, "ctrl") ? vsw_port_ctrl_fd(port) :
		   !strcmp(args, "event") ? vsw_port_event_fd(port) : kick_fd;
	int64_t t;
	int e;

	if (lingering < 0) {
		printf("err not-prepared\n");
		return;
	}
	e = pass_fd(sock, lingering);
	if (e) {
		close_abort(lingering);
		lingering = -1;
		printf("err %s\n", errname(e));
		return;
	}
	t = now_ms();
	close(lingering);
	lingering = -1;
	printf("ok close-ms %lld\n", (long long)(now_ms() - t));
}

/*
 * linger-early TRIES: connect, and pass the lingering socket before the
 * daemon accepted us (so before it could switch descriptor passing off on
 * the connection); then see, for 3 s, whether it greets us, closes us
 * (refused), or says nothing.  A try the daemon won (EPERM: it refuses
 * descriptors now; EPIPE: it closed the connection already) is repeated
 * on a new connection; so is one its full backlog turned away (EAGAIN).
 */
static void cmd_linger_early(char *args)
{
	long tries = strtol(args, NULL, 10), t;
	int fd = -1, e = EINVAL, rc;
	int64_t t0, close_ms;

	if (lingering < 0) {
		printf("err not-prepared\n");
		return;
	}
	for (t = 1; t <= tries; t++) {
		fd = connect_nb();
		if (fd == -EAGAIN) {
			usleep(1000);	/* its backlog is full: we outran its accept() */
			continue;
		}
		if (fd < 0) {
			e = -fd;
			break;
		}
		e = pass_fd(fd, lingering);
		/* The daemon was first: it refuses descriptors, or closed us. */
		if (e != EPERM && e != EPIPE && e != ECONNRESET)
			break;
		close(fd);
		fd = -1;
	}
	if (e) {
		if (fd >= 0)
			close(fd);
		close_abort(lingering);
		lingering = -1;
		printf("err %s tries %ld\n", errname(e), t > tries ? tries : t);
		return;
	}
	t0 = now_ms();
	close(lingering);
	lingering = -1;
	close_ms = now_ms() - t0;
	rc = wait_line(fd, 3000);
	close(fd);
	printf("ok tries %ld close-ms %lld %s\n", t, (long long)close_ms,
	       rc == 1 ? "greeted" : rc == 0 ? "closed" : "silent");
}

/*
 * ctrl-stall N: N requests on the control connection, replies unread, then
 * one longer than any the daemon takes: it stops reading us and closes
 * the connection once it gave up flushing its replies.
 */
static int send_all(int fd, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t k = send(fd, (const char *)buf + off, len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd pfd = { fd, POLLOUT, 0 };

		if (k >= 0) {
			off += (size_t)k;
			continue;
		}
		if (errno != EAGAIN)
			return errno;
		if (poll(&pfd, 1, 2000) <= 0)
			return EAGAIN;
	}
	return 0;
}

static void cmd_ctrl_stall(char *args)
{
	static const char req[] = "{\"execute\":\"version\"}\n";
	static char junk[VSW_FRAME_MAX];
	long n = strtol(args, NULL, 10);
	int fd = vsw_port_ctrl_fd(port), e = 0;

	for (long i = 0; i < n && !e; i++)
		e = send_all(fd, req, sizeof(req) - 1);
	usleep(200000);		/* let it answer into our full buffer */
	memset(junk, 'a', sizeof(junk));
	if (!e)
		e = send_all(fd, junk, sizeof(junk));
	usleep(200000);
	if (e)
		printf("err %s\n", errname(e));
	else
		printf("ok\n");
}

static void cmd_kick_flood(char *args)
{
	char *ms_s = strtok(args, " "), *every_s = strtok(NULL, " "), *hex = strtok(NULL, " ");
	int64_t end = now_ms() + (ms_s ? atoi(ms_s) : 0), next = 0;
	int every = every_s ? atoi(every_s) : 0, len = 0;
	long kicks = 0, frames = 0, tried = 0;

	if (every > 0) {
		len = hex ? unhex(hex, frame, sizeof(frame)) : -1;
		if (len < ETH_HLEN) {
			printf("err bad-hex\n");
			return;
		}
		next = now_ms();
	}
	for (unsigned i = 0;; i++) {
		tried++;
		if (kick_once(8) == 0)
			kicks++;
		if ((i & 255) == 0) {
			int64_t t = now_ms();

			if (t >= end)
				break;
			if (every > 0 && t >= next) {
				struct iovec iov = { frame, (size_t)len };

				if (vsw_send(port, NULL, &iov, 1, 0) == 0)
					frames++;
				next = t + every;
			}
		}
	}
	printf("ok %ld %ld %ld\n", kicks, frames, tried);
}

/* Send @len bytes of frame with @vnet, waiting (bounded) for ring space. */
static int send_frame(const struct vsw_vnet_hdr *vnet, uint32_t len)
{
	struct iovec iov = { frame, len };
	int64_t end = now_ms() + 2000;
	int rc;

	while ((rc = vsw_send(port, vnet, &iov, 1, 0)) == -EAGAIN && now_ms() < end) {
		struct pollfd pfd = { vsw_port_event_fd(port), POLLIN, 0 };

		/* Armed, we read no kick: the space comes back all the same. */
		if (armed) {
			usleep(1000);
			continue;
		}
		poll(&pfd, 1, 10);
		vsw_event_clear(port);
	}
	return rc;
}

/*
 * Build an Ethernet/IPv4/TCP (@tcp) or UDP frame with @payload bytes into
 * frame[], as @args (key=value ...) say; Return: its length, or -1.
 */
static long build_ip4(bool tcp, long payload, char *args, struct vsw_vnet_hdr *vh,
		      long *count, long *gap)
{
	long flags = 0, gso = 0, hdr = -1, gsz = 0, cs = -1, co = -1, nb = 0;
	long doff = 5, totlie = 0;
	const char *csum = NULL;
	uint8_t *ip = frame + ETH_HLEN, *l4 = ip + IP_HLEN;
	uint32_t l4hdr, l4len, tot, len;
	uint16_t c;
	char *kv;

	*count = 1;
	*gap = 0;
	for (kv = strtok(args, " "); kv; kv = strtok(NULL, " ")) {
		char *eq = strchr(kv, '=');
		long v;

		if (!eq)
			return -1;
		*eq = 0;
		v = strtol(eq + 1, NULL, 0);
		if (!strcmp(kv, "flags")) flags = v;
		else if (!strcmp(kv, "gso")) gso = v;
		else if (!strcmp(kv, "hdr")) hdr = v;
		else if (!strcmp(kv, "gsz")) gsz = v;
		else if (!strcmp(kv, "cs")) cs = v;
		else if (!strcmp(kv, "co")) co = v;
		else if (!strcmp(kv, "nb")) nb = v;
		else if (!strcmp(kv, "doff")) doff = v;
		else if (!strcmp(kv, "totlie")) totlie = v;
		else if (!strcmp(kv, "n")) *count = v;
		else if (!strcmp(kv, "gap")) *gap = v;
		else if (!strcmp(kv, "csum")) csum = eq + 1;
		else return -1;
	}
	l4hdr = tcp ? (uint32_t)doff * 4 : UDP_HLEN;
	if (payload < 0 || doff < 5 || doff > 15 || *count < 1 ||
	    ETH_HLEN + IP_HLEN + l4hdr + (uint64_t)payload > VSW_FRAME_MAX)
		return -1;
	l4len = l4hdr + (uint32_t)payload;
	tot = IP_HLEN + l4len;
	len = ETH_HLEN + tot;

	memcpy(frame, dst_mac, 6);
	memcpy(frame + 6, my_mac, 6);
	wr16(frame + 12, 0x0800);
	memset(ip, 0, IP_HLEN);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(tot + totlie));
	wr16(ip + 4, 0x1234);
	wr16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = tcp ? 6 : 17;
	ip[12] = 10; ip[13] = 0; ip[14] = 0; ip[15] = 1;
	ip[16] = 10; ip[17] = 0; ip[18] = 0; ip[19] = 2;
	wr16(ip + 10, (uint16_t)~fold16(sum16(ip, IP_HLEN, 0)));
	memset(l4, 0, l4hdr);
	wr16(l4, 40000);
	if (tcp) {
		wr16(l4 + 2, 80);
		l4[4] = 0; l4[5] = 0; l4[6] = 0x03; l4[7] = 0xe8;	/* seq 1000 */
		l4[12] = (uint8_t)(doff << 4);
		l4[13] = 0x18;						/* ACK PSH */
		wr16(l4 + 14, 65535);
		memset(l4 + TCP_HLEN, 1, l4hdr - TCP_HLEN);		/* NOPs */
	} else {
		wr16(l4 + 2, 9);
		wr16(l4 + 4, (uint16_t)l4len);
	}
	for (long i = 0; i < payload; i++)
		l4[l4hdr + i] = (uint8_t)i;

	if (!csum)
		csum = flags & VSW_VNET_F_NEEDS_CSUM ? "partial" : "good";
	if (!strcmp(csum, "partial")) {
		c = fold16(pseudo4(ip, ip[9], l4len));
	} else if (!strcmp(csum, "good")) {
		c = (uint16_t)~fold16(sum16(l4, l4len, pseudo4(ip, ip[9], l4len)));
		if (!tcp && !c)
			c = 0xffff;
	} else {
		c = 0xdead;
	}
	wr16(l4 + (tcp ? 16 : 6), c);

	memset(vh, 0, sizeof(*vh));
	vh->flags = (uint8_t)flags;
	vh->gso_type = (uint8_t)gso;
	vh->gso_size = (uint16_t)gsz;
	vh->num_buffers = (uint16_t)nb;
	vh->hdr_len = (uint16_t)(hdr >= 0 ? hdr : gso ? ETH_HLEN + IP_HLEN + (long)l4hdr : 0);
	if (flags & VSW_VNET_F_NEEDS_CSUM) {
		vh->csum_start = (uint16_t)(cs >= 0 ? cs : ETH_HLEN + IP_HLEN);
		vh->csum_offset = (uint16_t)(co >= 0 ? co : tcp ? 16 : 6);
	} else {
		vh->csum_start = (uint16_t)(cs >= 0 ? cs : 0);
		vh->csum_offset = (uint16_t)(co >= 0 ? co : 0);
	}
	return (long)len;
}

static void cmd_ip4(bool tcp, char *args)
{
	char *pl = strtok(args, " "), *rest = strtok(NULL, "");
	char empty[1] = "";
	struct vsw_vnet_hdr vh;
	long len, count, gap, sent = 0;
	int rc = 0;

	len = build_ip4(tcp, pl ? strtol(pl, NULL, 10) : -1, rest ? rest : empty, &vh, &count,
			&gap);
	if (len < 0) {
		printf("err bad-args\n");
		return;
	}
	for (long i = 0; i < count; i++) {
		if (i && gap > 0)
			usleep((useconds_t)gap * 1000);
		rc = send_frame(&vh, (uint32_t)len);
		if (rc < 0)
			break;
		sent++;
	}
	if (rc < 0 && !sent)
		printf("err %s\n", vsw_strerror(rc));
	else
		printf("ok %ld\n", sent);
}

/*
 * fill-event MAX: armed, send small frames one at a time, each consumed by
 * the switch before the next (one release, one kick each), until the
 * switch's kicks fill our event pipe or MAX frames went.
 */
static void cmd_fill_event(char *args)
{
	long max = strtol(args, NULL, 10), sent = 0, len, count, gap;
	int efd = vsw_port_event_fd(port), cap = fcntl(efd, F_GETPIPE_SZ);
	struct vsw_ring *tx = ring_of(VSW_TX);
	struct vsw_vnet_hdr vh;
	char none[1] = "";

	if (!armed) {
		printf("err not-armed\n");
		return;
	}
	len = build_ip4(true, 10, none, &vh, &count, &gap);
	while (sent < max && pipe_unread(efd) < cap) {
		int rc = send_frame(&vh, (uint32_t)len);

		if (rc < 0) {
			printf("err %s\n", vsw_strerror(rc));
			return;
		}
		sent++;
		for (int64_t end = now_ms() + 2000; now_ms() < end;) {
			if (__atomic_load_n(&tx->cons, __ATOMIC_ACQUIRE) ==
			    __atomic_load_n(&tx->prod, __ATOMIC_RELAXED))
				break;
			usleep(100);
		}
	}
	/* The last kick follows the last release closely. */
	for (int64_t end = now_ms() + 500; pipe_unread(efd) < cap && now_ms() < end;)
		usleep(1000);
	if (pipe_unread(efd) >= cap)
		printf("ok full %ld\n", sent);
	else
		printf("ok short %ld %d\n", sent, pipe_unread(efd));
}

static void cmd_send(char *args)
{
	char *hex = strtok(args, " "), *vhex = strtok(NULL, " ");
	struct vsw_vnet_hdr vnet = { 0 };
	int n, rc;

	n = hex ? unhex(hex, frame, sizeof(frame)) : -1;
	if (n < 0 || (vhex && unhex(vhex, (uint8_t *)&vnet, sizeof(vnet)) != sizeof(vnet))) {
		printf("err bad-hex\n");
		return;
	}
	rc = send_frame(&vnet, (uint32_t)n);
	if (rc < 0)
		printf("err %s\n", vsw_strerror(rc));
	else
		printf("ok\n");
}

/*
 * The state of the L4 checksum of IPv4 frame @f (@len bytes): "good",
 * "partial" (the pseudo-header sum a NEEDS_CSUM frame carries), "bad", or
 * "na" (not TCP/UDP over IPv4).
 */
static const char *l4_csum_state(const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + ETH_HLEN, *l4;
	uint32_t ihl, tot, l4len, field;

	if (len < ETH_HLEN + IP_HLEN || rd16(f + 12) != 0x0800 || ip[0] >> 4 != 4)
		return "na";
	ihl = (ip[0] & 0xfu) * 4;
	tot = rd16(ip + 2);
	if (ihl < IP_HLEN || tot < ihl || tot > len - ETH_HLEN || (ip[9] != 6 && ip[9] != 17))
		return "na";
	l4 = ip + ihl;
	l4len = tot - ihl;
	field = ip[9] == 6 ? 16 : 6;
	if (l4len < field + 2)
		return "na";
	if (fold16(sum16(l4, l4len, pseudo4(ip, ip[9], l4len))) == 0xffff)
		return "good";
	if (rd16(l4 + field) == fold16(pseudo4(ip, ip[9], l4len)))
		return "partial";
	return "bad";
}

static void cmd_recvhdr(char *args)
{
	struct vsw_frame f;
	int rc = next_frame(port, &f, now_ms() + atoi(args));
	static uint8_t copy[VSW_FRAME_MAX];

	if (rc > 0) {
		struct vsw_vnet_hdr h;

		/* Shared memory: judge a private copy. */
		memcpy(&h, vsw_frame_hdr(&f), sizeof(h));
		memcpy(copy, f.data, f.len);
		if ((const uint8_t *)vsw_frame_hdr(&f) + sizeof(h) != f.data ||
		    memcmp(&h, &f.vnet, sizeof(h)))
			printf("err hdr-in-ring\n");
		else
			printf("frame %u %u %u %u %u %u %u %u csum=%s\n", f.len, h.flags,
			       h.gso_type, h.hdr_len, h.gso_size, h.csum_start,
			       h.csum_offset, h.num_buffers, l4_csum_state(copy, f.len));
		vsw_recv_done(port);
		vsw_recv_flush(port);
	} else if (rc == 0) {
		printf("none\n");
	} else {
		printf("err %s\n", vsw_strerror(rc));
	}
}

static void cmd_segs(char *args)
{
	int64_t deadline = now_ms() + atoi(args);
	static uint8_t copy[VSW_FRAME_MAX];
	long n = 0, payload = 0, bad = 0, offl = 0;
	uint32_t maxlen = 0;
	struct vsw_frame f;

	while (next_frame(port, &f, deadline) > 0) {
		const uint8_t *ip = copy + ETH_HLEN;
		uint32_t len = f.len;

		memcpy(copy, f.data, len);
		if (f.vnet.flags || f.vnet.gso_type)
			offl++;
		vsw_recv_done(port);
		if (++n % 64 == 0)
			vsw_recv_flush(port);
		if (len > maxlen)
			maxlen = len;
		if (len < ETH_HLEN + IP_HLEN + TCP_HLEN || rd16(copy + 12) != 0x0800 ||
		    ip[0] != 0x45 || ip[9] != 6 || rd16(ip + 2) > len - ETH_HLEN ||
		    rd16(ip + 2) < IP_HLEN + TCP_HLEN ||
		    fold16(sum16(ip, IP_HLEN, 0)) != 0xffff ||
		    strcmp(l4_csum_state(copy, len), "good")) {
			bad++;
			continue;
		}
		payload += rd16(ip + 2) - IP_HLEN - (ip[IP_HLEN + 12] >> 4) * 4;
	}
	vsw_recv_flush(port);
	printf("segs %ld payload %ld maxlen %u bad %ld offl %ld\n", n, payload, maxlen, bad, offl);
}

static void cmd_raw_prod(char *args)
{
	__atomic_store_n(&ring_of(VSW_TX)->prod, (uint32_t)strtoul(args, NULL, 0),
			 __ATOMIC_RELEASE);
	kick_once(8);
	printf("ok\n");
}

static int run_port(const struct vsw_attach_opts *o)
{
	static char line[LINE_MAX_LEN];
	char err[256];

	fds_snapshot();
	if (vsw_attach(o, &port, err, sizeof(err)) < 0) {
		printf("error %s\n", err);
		return 1;
	}
	if (find_kick_fd() < 0) {
		printf("error no kick fd among ours\n");
		return 1;
	}
	printf("attached %s %d\n", vsw_port_name(port), vsw_port_vlan(port));
	while (fgets(line, sizeof(line), stdin)) {
		char *cmd = strtok(line, " \n"), *args = strtok(NULL, "\n");
		char empty[1] = "";

		if (!cmd)
			continue;
		if (!args)
			args = empty;
		if (!strcmp(cmd, "fds-block"))
			cmd_fds_block();
		else if (!strcmp(cmd, "arm"))
			cmd_arm();
		else if (!strcmp(cmd, "kick-until-eagain"))
			cmd_kick_until_eagain(args);
		else if (!strcmp(cmd, "kick-flood"))
			cmd_kick_flood(args);
		else if (!strcmp(cmd, "kick-odd"))
			cmd_kick_odd(args);
		else if (!strcmp(cmd, "kick-blocking"))
			cmd_kick_blocking(args);
		else if (!strcmp(cmd, "kick-close"))
			cmd_kick_close();
		else if (!strcmp(cmd, "pipe-size"))
			cmd_pipe_size(args);
		else if (!strcmp(cmd, "pipes"))
			cmd_pipes();
		else if (!strcmp(cmd, "linger-prep"))
			cmd_linger_prep(args);
		else if (!strcmp(cmd, "linger-pass"))
			cmd_linger_pass(args);
		else if (!strcmp(cmd, "linger-early"))
			cmd_linger_early(args);
		else if (!strcmp(cmd, "ctrl-stall"))
			cmd_ctrl_stall(args);
		else if (!strcmp(cmd, "dst"))
			printf(parse_mac(args, dst_mac) ? "ok\n" : "err bad-mac\n");
		else if (!strcmp(cmd, "tcp4") || !strcmp(cmd, "udp4"))
			cmd_ip4(cmd[0] == 't', args);
		else if (!strcmp(cmd, "send"))
			cmd_send(args);
		else if (!strcmp(cmd, "fill-event"))
			cmd_fill_event(args);
		else if (!strcmp(cmd, "recvhdr"))
			cmd_recvhdr(args);
		else if (!strcmp(cmd, "segs"))
			cmd_segs(args);
		else if (!strcmp(cmd, "count"))
			printf("count %ld\n", count_frames(port, atoi(args)));
		else if (!strcmp(cmd, "raw-prod"))
			cmd_raw_prod(args);
		else if (!strcmp(cmd, "status"))
			printf("%s\n", port_status(port, atoi(args)));
		else if (!strcmp(cmd, "quit"))
			break;
		else
			printf("err unknown-command\n");
	}
	vsw_detach(port);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Raw port mode: our own port-attach, to hold the memfd               */

struct rawport {
	int ctrl;
	int memfd;
	int kick_fd;
	int event_fd;
	size_t size;
	struct vsw_shm_hdr hdr;
};

static int raw_attach(struct rawport *r, const char *sw, const char *pname,
		      const char *mac, char *err, size_t errlen)
{
	char req[512], buf[8192], cbuf[CMSG_SPACE(3 * sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fds[3] = { -1, -1, -1 }, nfds = 0;
	const char *sz;
	ssize_t n;

	r->ctrl = connect_nb();
	if (r->ctrl < 0 || wait_line(r->ctrl, 3000) != 1) {
		snprintf(err, errlen, "no greeting");
		return -1;
	}
	snprintf(req, sizeof(req), "{\"execute\":\"port-attach\",\"arguments\":"
		 "{\"switch\":\"%s\"%s%s%s%s%s%s},\"id\":1}\n", sw,
		 pname ? ",\"port\":\"" : "", pname ? pname : "", pname ? "\"" : "",
		 mac ? ",\"mac\":\"" : "", mac ? mac : "", mac ? "\"" : "");
	if (send(r->ctrl, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		snprintf(err, errlen, "send: %s", errname(errno));
		return -1;
	}
	/* The fds ride on the reply's first byte. */
	for (int64_t end = now_ms() + 3000;;) {
		struct pollfd pfd = { r->ctrl, POLLIN, 0 };
		int left = (int)(end - now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			snprintf(err, errlen, "no reply");
			return -1;
		}
		n = recvmsg(r->ctrl, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "closed");
			return -1;
		}
		break;
	}
	buf[n] = 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(cm), (size_t)(nfds > 3 ? 3 : nfds) * sizeof(int));
		}
	sz = strstr(buf, "\"shm-size\":");
	if (nfds != 3 || !sz) {
		snprintf(err, errlen, "reply without fds: %.200s", buf);
		return -1;
	}
	r->memfd = fds[0];
	r->kick_fd = fds[1];
	r->event_fd = fds[2];
	r->size = strtoull(sz + 11, NULL, 10);
	if (pread(r->memfd, &r->hdr, sizeof(r->hdr), 0) != sizeof(r->hdr) ||
	    vsw_shm_hdr_check(&r->hdr, r->size) < 0) {
		snprintf(err, errlen, "bad shm header");
		return -1;
	}
	return 0;
}

static int err_of(int rc)
{
	return rc < 0 ? errno : 0;
}

static void cmd_memfd(struct rawport *r)
{
	uint8_t b = 0;
	int shrink, grow, wr, seal, punch;

	shrink = err_of(ftruncate(r->memfd, 4096));
	grow = err_of(ftruncate(r->memfd, (off_t)r->size * 2));
	wr = pwrite(r->memfd, &b, 1, (off_t)r->size) == 1 ? 0 : errno;
	seal = err_of(fcntl(r->memfd, F_ADD_SEALS, F_SEAL_WRITE));
	/* Zeroes both data areas under the switch's feet: allowed, and harmless. */
	punch = err_of(fallocate(r->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 r->hdr.data_off[VSW_TX], 2 * (off_t)r->hdr.data_size));
	printf("shrink %s grow %s write %s seal %s punch %s\n", errname(shrink),
	       errname(grow), errname(wr), errname(seal), errname(punch));
}

static int run_rawport(const char *sw, const char *pname, const char *mac)
{
	static char line[4096];
	struct rawport r = { .ctrl = -1, .memfd = -1, .kick_fd = -1, .event_fd = -1 };
	char err[512];

	if (raw_attach(&r, sw, pname, mac, err, sizeof(err)) < 0) {
		printf("error %s\n", err);
		return 1;
	}
	printf("attached %s\n", pname ? pname : "?");
	while (fgets(line, sizeof(line), stdin)) {
		char *cmd = strtok(line, " \n");

		if (!cmd)
			continue;
		if (!strcmp(cmd, "memfd")) {
			cmd_memfd(&r);
		} else if (!strcmp(cmd, "punch-all")) {
			int e = err_of(fallocate(r.memfd, FALLOC_FL_PUNCH_HOLE |
						 FALLOC_FL_KEEP_SIZE, 0, (off_t)r.size));

			printf(e ? "err %s\n" : "ok\n", errname(e));
		} else if (!strcmp(cmd, "close-doorbells")) {
			close(r.kick_fd);
			close(r.event_fd);
			r.kick_fd = r.event_fd = -1;
			printf("ok\n");
		} else if (!strcmp(cmd, "quit")) {
			break;
		} else {
			printf("err unknown-command\n");
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connection games                                                    */

#define CONN_MAX	4096

static int conns[CONN_MAX];
static int nconns;

static void conn_close_all(void)
{
	for (int i = 0; i < nconns; i++)
		if (conns[i] >= 0)
			close(conns[i]);
	nconns = 0;
}

/*
 * One connection: Return: the fd if the daemon greeted it, -ECONNRESET if
 * it closed it at once, another -errno otherwise.
 */
static int conn_one(void)
{
	int fd = connect_nb(), rc;

	if (fd < 0)
		return fd;
	rc = wait_line(fd, 3000);
	if (rc == 1)
		return fd;
	close(fd);
	return rc == 0 ? -ECONNRESET : rc;
}

static void cmd_open(char *args)
{
	int max = atoi(strtok(args, " ")), refused = 0;
	char *p = strtok(NULL, " ");
	bool partial = p && atoi(p);
	static const char part[] = "{\"execute\":\"vers";

	conn_close_all();
	while (nconns < max && nconns < CONN_MAX) {
		int fd = conn_one();

		if (fd == -ECONNRESET) {
			refused = 1;
			break;
		}
		if (fd < 0) {
			printf("err %s\n", errname(-fd));
			return;
		}
		if (partial && send(fd, part, sizeof(part) - 1, MSG_NOSIGNAL) < 0) {
			printf("err %s\n", errname(errno));
			close(fd);
			return;
		}
		conns[nconns++] = fd;
	}
	printf("opened %d refused %d\n", nconns, refused);
}

static void cmd_await_close(char *args)
{
	int64_t end = now_ms() + atoi(args);
	int closed = 0;
	char buf[4096];

	while (closed < nconns && now_ms() < end) {
		struct pollfd pfd[CONN_MAX];
		int n = 0;

		for (int i = 0; i < nconns; i++)
			if (conns[i] >= 0)
				pfd[n++] = (struct pollfd){ conns[i], POLLIN, 0 };
		if (poll(pfd, (nfds_t)n, (int)(end - now_ms())) <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				continue;	/* something said: not closed yet */
			for (int k = 0; k < nconns; k++)
				if (conns[k] == pfd[i].fd) {
					close(conns[k]);
					conns[k] = -1;
					closed++;
				}
		}
	}
	printf("closed %d of %d\n", closed, nconns);
}

static void cmd_hammer(char *args)
{
	long n = strtol(args, NULL, 10), greeted = 0, refused = 0;

	for (long i = 0; i < n; i++) {
		int fd = conn_one();

		if (fd >= 0) {
			greeted++;
			close(fd);
		} else if (fd == -ECONNRESET) {
			refused++;
		}
	}
	printf("hammer %ld greeted %ld refused %ld\n", n, greeted, refused);
}

static void cmd_noread(char *args)
{
	long max = strtol(args, NULL, 10), sent = 0;
	static const char req[] = "{\"execute\":\"version\"}\n";
	int64_t end = now_ms() + 20000;
	int fd = conn_one();

	if (fd < 0) {
		printf("err %s\n", errname(-fd));
		return;
	}
	while (sent < max && now_ms() < end) {
		ssize_t n = send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { fd, POLLOUT, 0 };

			poll(&pfd, 1, 100);
			continue;
		}
		if (n < 0) {
			printf("disconnected %ld\n", sent);
			close(fd);
			return;
		}
		sent += n;
	}
	/* Nothing more to send; a daemon that dropped us shows as a hang-up. */
	{
		struct pollfd pfd = { fd, POLLRDHUP, 0 };

		poll(&pfd, 1, 0);
		printf("%s %ld\n", pfd.revents & (POLLHUP | POLLRDHUP | POLLERR) ?
		       "disconnected" : "connected", sent);
	}
	close(fd);
}

static int run_conn(void)
{
	static char line[4096];

	while (fgets(line, sizeof(line), stdin)) {
		char *cmd = strtok(line, " \n"), *args = strtok(NULL, "\n");
		char zero[2] = "0";

		if (!cmd)
			continue;
		if (!args)
			args = zero;
		if (!strcmp(cmd, "open"))
			cmd_open(args);
		else if (!strcmp(cmd, "await-close"))
			cmd_await_close(args);
		else if (!strcmp(cmd, "hammer"))
			cmd_hammer(args);
		else if (!strcmp(cmd, "noread"))
			cmd_noread(args);
		else if (!strcmp(cmd, "linger-prep"))
			cmd_linger_prep(args);
		else if (!strcmp(cmd, "linger-early"))
			cmd_linger_early(args);
		else if (!strcmp(cmd, "close")) {
			conn_close_all();
			printf("ok\n");
		} else if (!strcmp(cmd, "quit"))
			break;
		else
			printf("err unknown-command\n");
	}
	conn_close_all();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Probe: does any connect() get through?                              */

static int run_probe(void)
{
	long attempts = 0, connected = 0, enoent = 0, eacces = 0, refused = 0, other = 0;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t end = now_ms() + 60000;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	printf("ready\n");
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			break;
		attempts++;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		    errno == EAGAIN || errno == EINPROGRESS)
			connected++;	/* EAGAIN: the permission check passed */
		else if (errno == ENOENT)
			enoent++;
		else if (errno == EACCES || errno == EPERM)
			eacces++;
		else if (errno == ECONNREFUSED)
			refused++;
		else
			other++;
		close(fd);
		if ((attempts & 63) == 0) {
			struct pollfd pfd = { 0, POLLIN, 0 };

			if (poll(&pfd, 1, 0) != 0 || now_ms() > end)
				break;
		}
	}
	printf("attempts %ld connected %ld enoent %ld eacces %ld refused %ld other %ld\n",
	       attempts, connected, enoent, eacces, refused, other);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Churn: attach, corrupt, close                                       */

static int run_churn(const struct vsw_attach_opts *o, long rounds)
{
	long attached = 0, resets = 0;
	char err[256];

	for (long i = 0; i < rounds; i++) {
		struct pollfd pfd;

		fds_snapshot();
		if (vsw_attach(o, &port, err, sizeof(err)) < 0) {
			printf("err round %ld: %s\n", i, err);
			return 1;
		}
		if (find_kick_fd() < 0) {
			printf("err round %ld: no kick fd\n", i);
			return 1;
		}
		attached++;
		pfd = (struct pollfd){ vsw_port_ctrl_fd(port), POLLIN, 0 };
		switch (i % 4) {
		case 0:		/* corrupt, close at once */
			__atomic_store_n(&ring_of(VSW_TX)->prod, 0x7ffffff8u, __ATOMIC_RELEASE);
			kick_once(8);
			break;
		case 1:		/* corrupt, wait for the reset, then close */
			__atomic_store_n(&ring_of(VSW_TX)->prod, 0x7ffffff8u, __ATOMIC_RELEASE);
			kick_once(8);
			for (int64_t end = now_ms() + 3000; now_ms() < end;) {
				if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
					break;
				if (vsw_ctrl_process(port) < 0) {
					resets++;
					break;
				}
			}
			break;
		case 2:		/* corrupt, flood the doorbell, close */
			__atomic_store_n(&ring_of(VSW_TX)->prod, 0x7ffffff8u, __ATOMIC_RELEASE);
			for (int k = 0; k < 1000; k++)
				kick_once(8);
			break;
		default:	/* corrupt the RX consumer index instead, close */
			__atomic_store_n(&ring_of(VSW_RX)->cons, 0x12345678u, __ATOMIC_RELEASE);
			kick_once(8);
			break;
		}
		vsw_detach(port);
		port = NULL;
	}
	printf("ok %ld attached %ld resets %ld\n", rounds, attached, resets);
	return 0;
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "switch", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'p' },
		{ "vlan", required_argument, NULL, 'v' },
		{ "mac", required_argument, NULL, 'm' },
		{ "offloads", required_argument, NULL, 'o' },
		{ "rounds", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct vsw_attach_opts o = { 0 };
	const char *mode, *mac_s = NULL;
	long rounds = 0;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A kick into a pipe the switch closed (a reset port) is EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		fprintf(stderr, "usage: vsw-attack port|rawport|conn|probe|churn --socket PATH ...\n");
		return 2;
	}
	mode = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock_path = optarg; break;
		case 'w': o.switch_name = optarg; break;
		case 'p': o.port_name = optarg; break;
		case 'v': o.vlan = atoi(optarg); break;
		case 'o': o.offloads = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'r': rounds = strtol(optarg, NULL, 10); break;
		case 'm':
			if (!parse_mac(optarg, my_mac)) {
				printf("error bad --mac\n");
				return 2;
			}
			mac_s = optarg;
			o.mac = my_mac;
			break;
		default: return 2;
		}
	}
	if (!sock_path) {
		printf("error --socket is required\n");
		return 2;
	}
	o.sock_path = sock_path;
	if (!strcmp(mode, "conn"))
		return run_conn();
	if (!strcmp(mode, "probe"))
		return run_probe();
	if (!o.switch_name) {
		printf("error --switch is required\n");
		return 2;
	}
	if (!strcmp(mode, "port"))
		return run_port(&o);
	if (!strcmp(mode, "rawport"))
		return run_rawport(o.switch_name, o.port_name, mac_s);
	if (!strcmp(mode, "churn"))
		return run_churn(&o, rounds);
	printf("error unknown mode '%s'\n", mode);
	return 2;
}
