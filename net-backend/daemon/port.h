/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * port.h - a switch port and the ops table every port type implements.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * A port type is one file (port-shm.c, port-slirp.c, ...) that fills a
 * struct vsw_port_ops.  The data path calls the ops from its own thread;
 * only @destroy runs on the control thread, after the data path has let
 * go of the port.
 *
 * Rules for port types:
 *   - No blocking call, no allocation, no unbounded loop in @rx/@tx/@flush.
 *   - @rx hands frames to vsw_dp_input() and consumes them afterwards,
 *     until the cost vsw_dp_input() reports reaches its budget; the
 *     frame's bytes may live in memory a guest can write (shm): the data
 *     path copies what it decides on before deciding.
 *   - @tx copies the frame; it never keeps the pointers.  A full port
 *     returns -ENOBUFS and the data path counts the drop on that port.
 *   - Anything that makes no sense in a port's input (a ring index out of
 *     range) makes @rx return -EPROTO: the data path stops serving the port
 *     and the control plane resets it.  Other ports never notice.
 */
#ifndef VSWITCH_PORT_H
#define VSWITCH_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "vswitch/ring.h"
#include "vswitch/vswitch.h"
#include "fwd.h"

struct vsw_dp;
struct vsw_dp_switch;
struct vsw_port;

/**
 * struct vsw_frame_in - a frame a port received, for vsw_dp_input().
 * @data: the frame, Ethernet header first (may be shared memory)
 * @len:  its length
 * @vnet: private copy of its virtio-net header
 */
struct vsw_frame_in {
	const uint8_t *data;
	uint32_t len;
	struct vsw_vnet_hdr vnet;
};

/**
 * struct vsw_xmit - a frame to write into a port, in pieces.
 * @head:        private copy of the frame's first @head_len bytes (>= 14):
 *               what the switch decided on and checked, never shared memory
 * @head_len:    its length
 * @in_tag:      bytes of ingress 802.1Q tag at @head + 12 to leave out (0 or 4)
 * @tci:         802.1Q tag to insert after the addresses, 0 for none
 * @payload:     the rest of the frame, after @head_len bytes
 * @payload_len: its length
 * @vnet:        virtio-net header, rebuilt by the switch, offsets fitted to
 *               the output
 *
 * The frame is head[0..11], [0x8100 tci], head[12 + in_tag ..], payload.
 * Headers a vnet header refers to always lie in @head: a client that
 * rewrites its shared memory after the decision changes payload bytes
 * only, never what the switch checked.
 */
struct vsw_xmit {
	const uint8_t *head;
	uint32_t head_len;
	uint8_t in_tag;
	uint16_t tci;
	const uint8_t *payload;
	uint32_t payload_len;
	struct vsw_vnet_hdr vnet;
};

static inline uint32_t vsw_xmit_len(const struct vsw_xmit *x)
{
	return x->head_len - x->in_tag + (x->tci ? 4 : 0) + x->payload_len;
}

/** vsw_xmit_write() - assemble @x into @dst (vsw_xmit_len() bytes). */
static inline void vsw_xmit_write(uint8_t *dst, const struct vsw_xmit *x)
{
	__builtin_memcpy(dst, x->head, 12);
	dst += 12;
	if (x->tci) {
		dst[0] = 0x81;
		dst[1] = 0x00;
		dst[2] = (uint8_t)(x->tci >> 8);
		dst[3] = (uint8_t)x->tci;
		dst += 4;
	}
	__builtin_memcpy(dst, x->head + 12 + x->in_tag, x->head_len - 12 - x->in_tag);
	dst += x->head_len - 12 - x->in_tag;
	if (x->payload_len)
		__builtin_memcpy(dst, x->payload, x->payload_len);
}

/**
 * struct vsw_port_ops - what a port type implements.
 * @kind:    short name shown by vswitchctl ("vm", "nat", ...)
 * @rx:      take frames from the port, each through vsw_dp_input(),
 *           until their cost reaches @budget; Return: the cost, or -EPROTO
 * @tx:      write one frame; Return: 0 or -ENOBUFS
 * @flush:   publish written frames, wake the peer if it sleeps
 * @arm:     the data path is about to sleep: ask for a wakeup on @wait_fd;
 *           Return: true if input is already pending (do not sleep)
 * @drain:   clear @wait_fd after it woke the data path (bounded, never
 *           blocks); Return: false if the peer hung up (stop watching it)
 * @disarm:  the data path is awake again
 * @destroy: free the port (control thread, after the data path let go)
 */
struct vsw_port_ops {
	const char *kind;
	int (*rx)(struct vsw_port *p, struct vsw_dp *dp, unsigned budget);
	int (*tx)(struct vsw_port *p, const struct vsw_xmit *x);
	void (*flush)(struct vsw_port *p);
	bool (*arm)(struct vsw_port *p);
	void (*disarm)(struct vsw_port *p);
	bool (*drain)(struct vsw_port *p);
	void (*destroy)(struct vsw_port *p);
};

/**
 * struct vsw_counters - per-port counters, written by the data path only.
 *
 * rx: frames the switch received from the port; tx: frames it delivered
 * to the port; wakeups: times its doorbell woke the data path; muted:
 * times its doorbell was ignored for the rest of a second because it rang
 * too often.  The control thread reads them with vsw_ctr_read().
 */
struct vsw_counters {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t resets;
	uint64_t wakeups;
	uint64_t muted;
	uint64_t drops[VSW_DROP_MAX];
};

static inline void vsw_ctr_add(uint64_t *c, uint64_t n)
{
	/* Single writer: a relaxed load + store is an atomic increment here. */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t vsw_ctr_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/**
 * struct vsw_port - one port of a switch.
 * @ops:      its type
 * @fwd:      what forwarding needs (index, mode, VLAN, guards); the data path's copy
 * @offloads: VSW_OFFLOAD_* the port can receive (data path's copy)
 * @wait_fd:  fd the data path polls while asleep, or -1
 * @dsw:      the data path switch it belongs to
 * @ctr:      counters
 * @dirty:    has written, unpublished frames (data path)
 * @dead:     no longer served (data path); the control plane resets it
 * @watched:  @wait_fd is in the data path's epoll set (data path)
 * @dp_slot:  index in the data path's port array (data path)
 * @credit:   what it may still cost this round; negative: its debt (data path)
 * @wakeups:  doorbell wakeups in the current second (data path)
 * @name:     port name
 * @mac:      MAC the client announced, "" if none
 * @priv:     the port type's state
 */
struct vsw_port {
	const struct vsw_port_ops *ops;
	struct vsw_fwd_port fwd;
	unsigned offloads;
	int wait_fd;
	struct vsw_dp_switch *dsw;
	struct vsw_counters ctr;
	bool dirty;
	bool dead;
	bool watched;
	int dp_slot;
	int64_t credit;
	uint32_t wakeups;
	char name[VSW_NAME_MAX + 1];
	char mac[18];
	void *priv;
};

struct vsw_ring_cons;
struct vsw_ring_prod;

/**
 * vsw_port_ring_rx() - for port types built on a ring (<vswitch/ring.h>):
 * hand records of @c to vsw_dp_input() and consume them until their cost
 * reaches @budget.  The caller releases the space (vsw_cons_release()) and
 * kicks as it must.  Return: the cost, or -EPROTO if the ring holds nonsense.
 */
int vsw_port_ring_rx(struct vsw_port *p, struct vsw_dp *dp,
		     struct vsw_ring_cons *c, unsigned budget);

/**
 * vsw_port_ring_tx() - write @x as one record into @prod, unpublished.
 * Return: 0, -ENOBUFS (ring full) or -EPROTO (the consumer's index is
 * nonsense).
 */
int vsw_port_ring_tx(struct vsw_ring_prod *prod, const struct vsw_xmit *x);

/**
 * vsw_dp_input() - forward one frame received on @in (data path thread).
 * Counts it, decides, checks its guards and its virtio-net header, writes
 * it to every egress port (segmenting or checksumming for ports without
 * offloads), counts drops.
 * Return: its cost: 1, plus one per frame or segment written to a port.
 */
unsigned vsw_dp_input(struct vsw_dp *dp, struct vsw_port *in,
		      const struct vsw_frame_in *f);

#endif /* VSWITCH_PORT_H */
