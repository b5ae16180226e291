/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vswitch/vswitch.h - libvswitch: attach a port to a vswitchd switch and
 * move Ethernet frames through its shared-memory rings.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Usage, in a program with its own main loop (QEMU, a test client):
 *
 *   struct vsw_attach_opts o = { .switch_name = "lab", .port_name = "vm1.net0" };
 *   struct vsw_port *p;
 *   char err[256];
 *   if (vsw_attach(&o, &p, err, sizeof(err)) < 0) { report err; }
 *   watch vsw_port_event_fd(p) for input:   frames to receive / ring space
 *   watch vsw_port_ctrl_fd(p) for input:    the daemon went away (or a message)
 *   send:    vsw_send(p, &hdr, iov, n, VSW_SEND_MORE) ... vsw_flush(p)
 *   receive: while (vsw_recv(p, &f) > 0) { copy f.data; vsw_recv_done(p); }
 *   sleep:   if (!vsw_rx_arm(p)) wait on the event fd
 *   vsw_detach(p);
 *
 * A program that must never wait on the daemon (QEMU's main loop) attaches
 * in the background instead of calling vsw_attach():
 *
 *   struct vsw_attach *a;
 *   if (vsw_attach_start(&o, &a, err, sizeof(err)) < 0) { report err; }
 *   on vsw_attach_events(a) on vsw_attach_fd(a):
 *     rc = vsw_attach_continue(a, &p, err, sizeof(err));
 *     -EINPROGRESS: wait again (the fd and events may have changed);
 *     0: p is attached; < 0: failed, err says why (a is gone either way)
 *   give up early: vsw_attach_cancel(a)
 *
 * Every function returns a negative errno on failure; none of them blocks
 * except vsw_attach() (a control exchange bounded by its timeout).
 * Requests (vsw_set_offload(), vsw_set_mac()) are queued and sent as far as
 * the socket takes them; while vsw_ctrl_want_write() says some wait, watch
 * the control fd for output too and call vsw_ctrl_process() when it is
 * writable.  Answers arrive on the control fd, where vsw_ctrl_process()
 * reads them.
 * A port may be used by one thread for sending and one for receiving.
 */
#ifndef VSWITCH_VSWITCH_H
#define VSWITCH_VSWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <vswitch/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VSW_VERSION_STRING	"0.2.0"
#define VSW_PROTOCOL_VERSION	1

/*
 * Switch and port names: 1..VSW_NAME_MAX characters of [A-Za-z0-9._:@-],
 * not starting with '-' or '.'.
 */
#define VSW_NAME_MAX		64
#define VSW_VLAN_NONE		0	/* untagged port */
#define VSW_VLAN_MAX		4094

/* Offloads a port can receive (mirror virtio-net's guest features). */
#define VSW_OFFLOAD_CSUM	(1u << 0)	/* partial checksums (NEEDS_CSUM) */
#define VSW_OFFLOAD_TSO4	(1u << 1)
#define VSW_OFFLOAD_TSO6	(1u << 2)
#define VSW_OFFLOAD_ECN		(1u << 3)
#define VSW_OFFLOAD_UFO		(1u << 4)
#define VSW_OFFLOAD_USO4	(1u << 5)
#define VSW_OFFLOAD_USO6	(1u << 6)
#define VSW_OFFLOAD_ALL		0x7fu

/* virtio-net header values (virtio spec 5.1.6). */
#define VSW_VNET_F_NEEDS_CSUM	1
#define VSW_VNET_F_DATA_VALID	2
#define VSW_VNET_GSO_NONE	0
#define VSW_VNET_GSO_TCPV4	1
#define VSW_VNET_GSO_UDP	3
#define VSW_VNET_GSO_TCPV6	4
#define VSW_VNET_GSO_UDP_L4	5
#define VSW_VNET_GSO_ECN	0x80

struct vsw_port;

/**
 * struct vsw_attach_opts - what vsw_attach() asks for.
 * @sock_path:   control socket; NULL for the default (vsw_default_sock_path())
 * @switch_name: switch to attach to (required)
 * @port_name:   port name, unique on the switch; NULL lets the daemon pick
 * @vlan:        VSW_VLAN_NONE or an access VLAN ID 1..4094
 * @mac:         the NIC's MAC address (informational), or NULL
 * @offloads:    VSW_OFFLOAD_* the client can receive from the start
 * @timeout_ms:  bound on the whole exchange; 0 means 5000
 * @incoming:    the destination of a live migration: if the switch has a
 *               live port @port_name (the source's, of the same user), the
 *               new port is its incoming instance, which carries nothing
 *               until vsw_takeover(); else it attaches as usual
 */
struct vsw_attach_opts {
	const char *sock_path;
	const char *switch_name;
	const char *port_name;
	int vlan;
	const uint8_t *mac;
	unsigned offloads;
	int timeout_ms;
	bool incoming;
};

/* The system vswitchd's control socket (root's, and libvirt's QEMU's). */
#define VSW_SYSTEM_SOCK_PATH	"/run/vswitch/vswitchd.sock"

/**
 * vsw_default_sock_path() - the vswitchd a client of this user talks to.
 *
 * A non-root user with an absolute $XDG_RUNTIME_DIR: its own daemon's,
 * $XDG_RUNTIME_DIR/vswitch/vswitchd.sock.  Root, and any other user (such
 * as libvirt's QEMU, which has no XDG_RUNTIME_DIR): the system daemon's,
 * VSW_SYSTEM_SOCK_PATH.  Return: length written, or -ENAMETOOLONG.
 */
int vsw_default_sock_path(char *buf, size_t size);

/**
 * vsw_attach() - connect to vswitchd and attach a new port to a switch.
 * @opts: what to attach
 * @out:  the new port on success
 * @err:  filled with a message a user can act on, on failure (may be NULL)
 * @errlen: size of @err
 *
 * Return: 0, or -ENOENT/-ECONNREFUSED (no daemon at the socket), -ENODEV (no
 * such switch), -EEXIST (port name taken), -EINVAL (bad option), -EPROTO
 * (peer speaks another protocol), -ETIMEDOUT, or another -errno.
 */
int vsw_attach(const struct vsw_attach_opts *opts, struct vsw_port **out,
	       char *err, size_t errlen);

/* An attachment in progress (vsw_attach_start()). */
struct vsw_attach;

/**
 * vsw_attach_start() - begin attaching a port, without waiting.
 * @opts: what to attach (copied; @opts->timeout_ms is not used: the caller
 *        bounds the attachment itself and calls vsw_attach_cancel())
 * @out:  the attachment in progress, on success
 * @err:  filled with a message a user can act on, on failure (may be NULL)
 * @errlen: size of @err
 *
 * Checks the options and connects to the socket, which on a Unix socket
 * never waits: a daemon that is not there fails here.  The rest of the
 * exchange (greeting, port-attach, the port's fds) goes on in
 * vsw_attach_continue().
 *
 * Return: 0, or -EINVAL (bad option), -ENOENT/-ECONNREFUSED (no daemon at
 * the socket), -EACCES (the socket is not this user's to use), -EAGAIN
 * (the daemon's backlog is full: try again later), or another -errno.
 */
int vsw_attach_start(const struct vsw_attach_opts *opts, struct vsw_attach **out,
		     char *err, size_t errlen);

/** vsw_attach_fd() - the fd to watch while attaching (it may change between steps). */
int vsw_attach_fd(const struct vsw_attach *a);

/** vsw_attach_events() - POLLIN, or POLLIN | POLLOUT: what to wait for on vsw_attach_fd(). */
short vsw_attach_events(const struct vsw_attach *a);

/**
 * vsw_attach_continue() - go on with an attachment once its fd is ready.
 * @a:   the attachment; freed unless the return is -EINPROGRESS
 * @out: the attached port when the return is 0
 *
 * Return: -EINPROGRESS (wait for vsw_attach_events() again), 0, or the
 * errors of vsw_attach() with @err saying why.
 */
int vsw_attach_continue(struct vsw_attach *a, struct vsw_port **out,
			char *err, size_t errlen);

/** vsw_attach_cancel() - give up an attachment in progress.  NULL is fine. */
void vsw_attach_cancel(struct vsw_attach *a);

/** vsw_detach() - close the port; the daemon removes it.  NULL is fine. */
void vsw_detach(struct vsw_port *p);

/** vsw_port_event_fd() - fd (a pipe) the switch kicks: frames arrived or ring space freed. */
int vsw_port_event_fd(const struct vsw_port *p);

/** vsw_port_ctrl_fd() - the control connection; readable on a message or hang-up. */
int vsw_port_ctrl_fd(const struct vsw_port *p);

/**
 * vsw_event_clear() - drain the event fd (call when it polls readable).
 */
void vsw_event_clear(struct vsw_port *p);

/**
 * vsw_ctrl_process() - handle input on the control fd, and send queued requests.
 *
 * Return: 0 if the connection is fine, -ECONNRESET if the daemon went away
 * (the port is dead: detach it and attach again later), -EPROTO if the daemon
 * reset the port (for instance after it found the ring corrupted), -EXDEV
 * if the migration destination took the port over (detach it; do not
 * attach again).
 */
int vsw_ctrl_process(struct vsw_port *p);

/**
 * vsw_ctrl_want_write() - requests wait to be sent: watch the control fd
 * for output as well, and call vsw_ctrl_process() when it is writable.
 */
bool vsw_ctrl_want_write(const struct vsw_port *p);

/** vsw_port_name() - the port's name as the daemon knows it. */
const char *vsw_port_name(const struct vsw_port *p);
/** vsw_port_switch() - the switch the port is attached to. */
const char *vsw_port_switch(const struct vsw_port *p);
/**
 * vsw_port_vlan() - the port's VLAN (VSW_VLAN_NONE: untagged), as the daemon
 * last said: at attach time, then after each change an administrator makes
 * (vsw_ctrl_process() reads those news).
 */
int vsw_port_vlan(const struct vsw_port *p);

/**
 * vsw_port_shm() - the port's shared memory (layout in <vswitch/ring.h>),
 * for tools that inspect the rings and for tests that play a hostile
 * client.  Writing to it behind the library's back breaks the port.
 */
void *vsw_port_shm(const struct vsw_port *p, size_t *size);

/**
 * vsw_set_offload() - tell the switch which offloads the client can receive.
 * @offloads: VSW_OFFLOAD_* bits
 *
 * Frames for a port without an offload are segmented or checksummed by the
 * switch.  Queues the request and returns.  Frames the switch wrote before
 * it read the request follow the old setting.  Return: 0, -ENOBUFS (the
 * daemon has not read 64 KiB of requests) or -errno.
 */
int vsw_set_offload(struct vsw_port *p, unsigned offloads);

/**
 * vsw_set_mac() - tell the switch the MAC address the client sends from,
 * when it was not known at attach time (QEMU creates the backend before
 * the NIC), or after it changed.  With MAC address spoofing off (the
 * switch's default for VM ports) a port may send only from that address:
 * frames from any other are dropped.  Sends the request and returns;
 * vsw_mac_status() says when the switch has taken it.  Return: 0 or -errno.
 */
int vsw_set_mac(struct vsw_port *p, const uint8_t mac[6]);

/**
 * vsw_mac_status() - the switch's answer to the last vsw_set_mac():
 * -EINPROGRESS while it has not come (vsw_ctrl_process() reads it), 0 if
 * the switch took the MAC, -EACCES (not this port's to use: the NAT's, or
 * provisioned for another port), -EEXIST (another port uses it), -EINVAL.
 * 0 when vsw_set_mac() was never called.
 */
int vsw_mac_status(const struct vsw_port *p);

/*
 * Live migration on one host (design.md "Live migration"): the source
 * gives the switch a random token and sends it to the destination in the
 * migration stream; the destination, attached with @incoming, presents
 * it once the guest runs there, and the switch moves the port over with
 * its VLAN, settings and counters.  The source then hears -EXDEV.
 */

/** vsw_port_incoming() - attached as an incoming instance, not taken over yet. */
bool vsw_port_incoming(const struct vsw_port *p);

/** vsw_port_moved() - the migration destination took the port over. */
bool vsw_port_moved(const struct vsw_port *p);

/**
 * vsw_set_move_token() - the source: whoever presents @token (16 to 64
 * lowercase hex digits; "" withdraws it) may take the port over.  Queued
 * like vsw_set_offload().  Return: 0, -EINVAL or -errno.
 */
int vsw_set_move_token(struct vsw_port *p, const char *token);

/**
 * vsw_takeover() - the destination: take the port over from the source
 * with the source's @token.  Queued; vsw_takeover_status() gives the
 * answer.  If the source is gone already, the port simply goes live.
 * Return: 0, -EINVAL or -errno.
 */
int vsw_takeover(struct vsw_port *p, const char *token);

/**
 * vsw_takeover_status() - -EINPROGRESS until the switch answered
 * vsw_takeover(), then 0 (the port is live, vsw_port_vlan() the VLAN it
 * took over) or -EACCES (wrong token), -ENODEV, -EBUSY, -EINVAL.  0 when
 * vsw_takeover() was never called.
 */
int vsw_takeover_status(const struct vsw_port *p);

#define VSW_SEND_MORE	1u	/* more frames follow: do not publish yet */

/**
 * vsw_send() - copy one frame into the TX ring.
 * @p:     port
 * @hdr:   virtio-net header, or NULL for "no offload"
 * @iov:   the frame, Ethernet header first
 * @iovcnt: number of elements
 * @flags: VSW_SEND_MORE to batch; the frame is published with the next
 *         call without it, or by vsw_flush()
 *
 * Return: 0, -EAGAIN if the ring is full (the switch kicks the event fd once
 * room is back; earlier frames of the batch are published), -EMSGSIZE (frame
 * longer than VSW_FRAME_MAX), -EINVAL (shorter than VSW_FRAME_MIN),
 * -EPROTO (ring corrupted: detach).
 */
int vsw_send(struct vsw_port *p, const struct vsw_vnet_hdr *hdr,
	     const struct iovec *iov, int iovcnt, unsigned flags);

/** vsw_flush() - publish batched frames and kick the switch if it sleeps. */
void vsw_flush(struct vsw_port *p);

/**
 * struct vsw_frame - a received frame, valid until vsw_recv_done().
 * @vnet: the frame's virtio-net header (a private copy)
 * @data: the frame bytes, in shared memory: copy before parsing twice
 * @len:  frame length
 */
struct vsw_frame {
	struct vsw_vnet_hdr vnet;
	const uint8_t *data;
	uint32_t len;
};

/**
 * vsw_recv() - look at the next frame of the RX ring.
 * Return: 1 and @f filled, 0 if none, -EPROTO (ring corrupted).
 */
int vsw_recv(struct vsw_port *p, struct vsw_frame *f);

/**
 * vsw_frame_hdr() - the virtio-net header of a frame vsw_recv() returned,
 * where the switch wrote it (it writes num_buffers as 0): 12 bytes directly
 * followed by the frame, so [result, @f->data + @f->len) is one buffer
 * holding both, to hand on without copying them together.  Valid, like
 * @f->data, until vsw_recv_done(); the switch writes none of those bytes
 * before the client releases them (ring.h: the consumer owns [cons, prod)).
 * @f->vnet is the private copy to check; a switch that broke that rule
 * could make the two differ, never reach outside the port's memory.
 * Since libvswitch 0.2 (ring version 2).
 */
const void *vsw_frame_hdr(const struct vsw_frame *f);

/** vsw_recv_done() - consume the frame returned by the last vsw_recv(). */
void vsw_recv_done(struct vsw_port *p);

/**
 * vsw_recv_flush() - hand consumed space back to the switch (once per batch;
 * vsw_rx_arm() does it too).
 */
void vsw_recv_flush(struct vsw_port *p);

/**
 * vsw_rx_arm() - before sleeping on the event fd: ask the switch to kick.
 * Return: true if frames are already waiting (do not sleep; receive them).
 */
bool vsw_rx_arm(struct vsw_port *p);

/** vsw_rx_disarm() - stop asking for RX kicks (while busy polling). */
void vsw_rx_disarm(struct vsw_port *p);

/** vsw_tx_space() - true if a frame of @len bytes fits in the TX ring now. */
bool vsw_tx_space(struct vsw_port *p, uint32_t len);

/**
 * vsw_wait() - block until the event fd fires or @timeout_ms passes
 * (for simple clients without a main loop; arms RX first).
 * Return: 1 if woken, 0 on timeout, -errno (-ECONNRESET: daemon gone).
 */
int vsw_wait(struct vsw_port *p, int timeout_ms);

/** vsw_strerror() - short text for a -errno of this library, for messages. */
const char *vsw_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* VSWITCH_VSWITCH_H */
