/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nat.h - the NAT helper's core: guest frames in, checked and reassembled,
 * to libslirp; libslirp's frames out through a callback.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * vswitch-natd (main.c) runs this in its own sandboxed process and moves
 * the frames between it and the switch's ring; the fuzzer of the Default
 * switch's path links it directly.  Nothing here touches a ring, a socket
 * of the daemon or a file.
 *
 * What reaches libslirp (docs/default-switch.md, "What the NAT accepts"):
 *   - frames for libslirp's own addresses (52:55:... and 52:56:...) or
 *     broadcast/multicast, of ethertype ARP, IPv4 or IPv6; everything else
 *     is ignored (counted);
 *   - whole ARP (Ethernet/IPv4), IPv4 and IPv6 headers whose lengths fit
 *     the frame; anything else is malformed (counted);
 *   - never an IPv4 fragment: fragments are reassembled here first
 *     (reass.h), and libslirp gets whole datagrams.  Debian 12's libslirp
 *     4.7.0 crashes on a last fragment without an earlier one (the
 *     trust issue this closes); with its reassembly never used, no
 *     fragment bug of libslirp is reachable;
 *   - no frame that would make libslirp open one more host socket for a
 *     guest that already has NATD_SOCKETS_PER_GUEST of them (below).
 *
 * Large packets (docs/default-switch.md, "Large packets"): libslirp runs
 * with a link MTU of NATD_SLIRP_MTU, not the guests' MTU, because it moves
 * TCP about four times faster in 32 KiB segments than in 1460-byte ones.
 *   - In: a guest's TSO frame (the NAT port takes TSO and partial
 *     checksums) reaches libslirp as one IP packet, its IPv4 header and TCP
 *     checksums computed here from scratch; the MSS a guest announces in a
 *     SYN is raised to libslirp's when it is at least the guest MTU's, so
 *     that libslirp sends large segments back.  A frame without GSO larger
 *     than the guest MTU is answered as a router on that link would: ICMP
 *     "fragmentation needed" (IPv4 with DF) or "packet too big" (IPv6).
 *   - Out: a packet libslirp sends that is larger than the guest MTU goes
 *     to the switch as one TCP GSO frame (gso_size: the guest MTU's MSS)
 *     if it is TCP, which the switch hands whole to guests that take TSO
 *     and segments for the others; anything else is fragmented here (IPv4
 *     without DF; IPv6 with a fragment header, the NAT being its source)
 *     or dropped (IPv4 with DF).  The MSS libslirp announces is clamped to
 *     the guest MTU's.  No frame the NAT sends is larger than the guest MTU
 *     unless it is marked GSO.
 */
#ifndef VSWITCH_NATD_NAT_H
#define VSWITCH_NATD_NAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>
#include <slirp/libslirp.h>

#include "reass.h"
#include "vswitch/ring.h"

#define NATD_REASS_DATAGRAMS	64
#define NATD_REASS_TIMEOUT_MS	30000	/* Linux's ipfrag_time */

/*
 * libslirp's link MTU and MRU, whatever the guests' MTU: slirp4netns's
 * recommended value, below libslirp's IF_MTU_MAX (65521).  libslirp's TCP
 * then sends segments of up to its TCP_MAXSEG_MAX (32768 bytes).
 */
#define NATD_SLIRP_MTU		65520
/* The guests' MTU: the [nat] mtu key (natcfg.c checks the same range). */
#define NATD_GUEST_MTU_MIN	1280
#define NATD_GUEST_MTU_MAX	65521

/*
 * Fair to every VM (docs/default-switch.md, "Inside"; docs/design.md,
 * "Bounded resources"): one helper serves every guest of the Default
 * switch, and libslirp opens a host socket per TCP connection, per UDP
 * source address and port (DNS included) and per ping, without a limit.
 * A guest, known by its source MAC (a port sends only from its own MAC
 * unless an administrator allows more), may hold NATD_SOCKETS_PER_GUEST
 * of them; beyond that, its frames that would open another are dropped
 * and counted (to_nat_over_limit), and only it is refused.
 *
 * Why 1024: it is the soft fd limit every Linux program starts with, so
 * a guest gets as many connections through the NAT as an ordinary program
 * of the host gets on its own (a busy web browser may keep a few hundred
 * open; DNS lookups give theirs back 10 s after the answer, other UDP
 * after 240 s idle: libslirp's timeouts); and it is an eighth of the
 * helper's fd limit (8192, natd/sandbox.c), so one guest at the cap
 * leaves most of the helper to the others.  The helper lowers it to a quarter of its fd limit
 * when that is smaller (natd_set_sockets_per_guest()).
 *
 * NATD_GUESTS_MAX bounds the guests tracked (those holding a socket): a
 * frame from one more guest that would open a socket is dropped as over
 * the limit.
 */
#define NATD_SOCKETS_PER_GUEST	1024
#define NATD_GUESTS_MAX		4096

/**
 * struct natd_stats - what happened at the NAT's boundary.
 * @to_nat:           frames handed to libslirp (a reassembled datagram is one)
 * @to_nat_malformed: frames dropped before libslirp: truncated or
 *                    inconsistent ARP/IPv4/IPv6 headers, bad fragments
 * @to_nat_ignored:   frames not meant for the NAT (unicast to another MAC,
 *                    another ethertype)
 * @from_nat:         frames libslirp sent into the switch
 * @from_nat_ring_full: frames libslirp sent that found the ring full
 * @from_nat_bad_size: frames libslirp sent that no ring record can carry
 * @to_nat_over_limit: frames dropped before libslirp because they would
 *                    have opened a host socket for a guest that holds
 *                    its share (NATD_SOCKETS_PER_GUEST)
 * @to_nat_coalesced: TSO frames handed to libslirp as one packet each
 * @to_nat_too_big:   frames without GSO larger than the guest MTU,
 *                    answered with ICMP instead of reaching libslirp
 * @from_nat_gso:     TCP packets larger than the guest MTU sent as one GSO
 *                    frame each
 * @from_nat_fragmented: datagrams larger than the guest MTU sent in fragments
 * @from_nat_too_big: datagrams larger than the guest MTU dropped (IPv4 with
 *                    DF, IPv4 options, or not IP)
 * @guest_errors:     guest misbehaviour libslirp reported
 * @reass:            the reassembler's counters
 */
struct natd_stats {
	uint64_t to_nat;
	uint64_t to_nat_malformed;
	uint64_t to_nat_ignored;
	uint64_t to_nat_over_limit;
	uint64_t to_nat_coalesced;
	uint64_t to_nat_too_big;
	uint64_t from_nat;
	uint64_t from_nat_gso;
	uint64_t from_nat_fragmented;
	uint64_t from_nat_too_big;
	uint64_t from_nat_ring_full;
	uint64_t from_nat_bad_size;
	uint64_t guest_errors;
	struct vsw_reass_stats reass;
};

/**
 * struct natd_ops - what the embedder provides.
 * @reserve: room for one frame of @len bytes to the switch, written by the
 *           core and then passed to @commit; Return: the room, or NULL with
 *           *@err -ENOBUFS (ring full) or -EMSGSIZE (no record can carry
 *           it): the frame is dropped, and counted here
 * @commit:  the frame in the last room is complete, @vnet its virtio-net
 *           header (little endian; all zero for a plain frame)
 * @lease:   libslirp answered a DHCP request (its leases may have changed)
 * @log:     a message for a person, rate limited by the core
 */
struct natd_ops {
	uint8_t *(*reserve)(void *opaque, size_t len, int *err);
	void (*commit)(void *opaque, const struct vsw_vnet_hdr *vnet, size_t len);
	void (*lease)(void *opaque);
	void (*log)(void *opaque, const char *msg);
};

struct natd;

/**
 * natd_new() - start libslirp with @cfg (its version, if_mtu and if_mru
 * are set here) for guests whose MTU is @guest_mtu (NATD_GUEST_MTU_MIN to
 * NATD_GUEST_MTU_MAX).
 * Return: the NAT, or NULL if libslirp refused @cfg or @guest_mtu is out
 * of range.
 */
struct natd *natd_new(const SlirpConfig *cfg, unsigned guest_mtu, const struct natd_ops *ops,
		      void *opaque);
void natd_free(struct natd *n);
/** natd_slirp() - libslirp itself, for the embedder's poll loop. */
Slirp *natd_slirp(struct natd *n);

/**
 * natd_input() - one frame from the switch (Ethernet header first).
 * @frame: the frame, the NAT's to change: its checksums and lengths are
 *         completed in place.  vswitch-natd passes the record in its
 *         receive ring, which the switch wrote and does not read or write
 *         again until the NAT releases it (docs/design.md, "Shared memory
 *         data path"), so a 64 KiB frame reaches libslirp without a copy
 *         of its own.
 * @vnet:  its virtio-net header as the switch rebuilt it (GSO only
 *         TCPV4/TCPV6 with NEEDS_CSUM at the TCP checksum, as the NAT port
 *         takes), or NULL for none.
 */
void natd_input(struct natd *n, uint8_t *frame, uint32_t len, const struct vsw_vnet_hdr *vnet);
/** natd_tick() - drop fragments older than the reassembly timeout. */
void natd_tick(struct natd *n);

/** natd_fwd_add() - listen on the host for a guest; Return: 0 or -errno. */
int natd_fwd_add(struct natd *n, bool udp, struct in_addr host, uint16_t host_port,
		 struct in_addr guest, uint16_t guest_port);
/** natd_fwd_remove() - Return: 0, or -ENOENT. */
int natd_fwd_remove(struct natd *n, bool udp, struct in_addr host, uint16_t host_port);

/** natd_leases_save() - libslirp's DHCP lease table as it serializes it. */
GBytes *natd_leases_save(struct natd *n);
/**
 * natd_leases_load() - restore a table from natd_leases_save() of the same
 * libslirp state @version; anything else is refused before libslirp sees
 * it.  Return: 0 or -EINVAL.
 */
int natd_leases_load(struct natd *n, int version, GBytes *b);

/**
 * natd_set_sockets_per_guest() - the most host sockets libslirp may hold
 * for one guest (NATD_SOCKETS_PER_GUEST unless set; at least 1).  Sockets
 * a guest already holds stay; only new ones are refused.
 */
void natd_set_sockets_per_guest(struct natd *n, unsigned max);
unsigned natd_sockets_per_guest(struct natd *n);
/** natd_guest_sockets() - how many host sockets the guest @mac holds now. */
unsigned natd_guest_sockets(struct natd *n, const uint8_t mac[6]);

void natd_get_stats(struct natd *n, struct natd_stats *st);
/** natd_connections() - libslirp's table of connections (g_free() it). */
char *natd_connections(struct natd *n);

#endif /* VSWITCH_NATD_NAT_H */
