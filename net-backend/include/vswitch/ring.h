/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vswitch/ring.h - the shared-memory ABI of one vswitch port.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Every port (one guest NIC, one benchmark client, ...) gets its own memfd
 * from vswitchd, sealed against shrinking, plus two doorbell pipes.  Ports never
 * share memory with each other.  The memfd holds two single-producer /
 * single-consumer byte rings of variable-length records:
 *
 *   offset 0                 +-------------------------------------+
 *                            | struct vsw_shm_hdr          (switch) |  written once by
 *                            |  magic, version, features, offsets   |  the switch before
 *                            |  reserved words                      |  the fd is passed
 *   hdr.ring_off[VSW_TX]     +-------------------------------------+
 *                            | struct vsw_ring: client -> switch    |
 *   hdr.ring_off[VSW_RX]     +-------------------------------------+
 *                            | struct vsw_ring: switch -> client    |
 *   hdr.data_off[VSW_TX]     +-------------------------------------+
 *                            | TX data area, hdr.data_size bytes    |
 *   hdr.data_off[VSW_RX]     +-------------------------------------+
 *                            | RX data area, hdr.data_size bytes    |
 *   hdr.total_size           +-------------------------------------+
 *
 * "TX" and "RX" are named from the client's (the guest's) side: the client
 * produces on TX and consumes RX; the switch does the reverse.
 *
 * Each struct vsw_ring keeps the producer's and the consumer's words on
 * separate cache lines.  Tags say which side writes a field: (p) producer,
 * (c) consumer.  The other side only reads it.
 *
 *   prod (p)  free-running byte index, wraps at 2^32: the producer has
 *             published every record in [cons, prod).
 *   cons (c)  free-running byte index: the consumer is done with every
 *             byte before cons; the producer may reuse it.
 *   The producer owns data bytes [prod, cons + data_size); the consumer owns
 *   [cons, prod).  0 <= prod - cons <= data_size always holds for an honest
 *   peer; a consumer that reads anything else resets the port.
 *
 * Records.  A record starts at a multiple of VSW_REC_ALIGN with a struct
 * vsw_rec, then the frame (Ethernet header first, no FCS); its footprint is
 * vsw_rec_size(len).  The record's virtio-net header is the last member of
 * struct vsw_rec, so header and frame are one run of bytes: a consumer can
 * hand them on as one buffer without copying them together (version 2;
 * version 1 had four reserved bytes between the two).  A record never
 * wraps around the end of the data area: when the rest of the area is too
 * short, the producer writes a record with VSW_REC_PAD there (only
 * len/flags are meaningful) and starts the next at offset 0.  The
 * consumer skips a PAD record to the end of the area.
 *
 * Doorbells (event-idx style, see vsw_ring_*() in the private ring-ops.h):
 *   - A consumer about to sleep sets VSW_RING_F_NEED_KICK in cons_flags,
 *     issues a full barrier, and re-reads prod; the producer publishes prod,
 *     issues a full barrier, and reads cons_flags: it kicks only when the
 *     flag is set.  With both barriers, at least one side sees the other's
 *     store, so a wakeup cannot be lost.
 *   - A producer that found the ring full sets VSW_RING_F_NEED_SPACE in
 *     prod_flags with the mirror-image protocol; the consumer kicks it after
 *     freeing space.
 *   - The client waits on the read end of one pipe, the switch on the
 *     read end of the other; a kick writes 8 bytes to the waiter's pipe
 *     (a full pipe: a kick is pending already).  One pipe per side serves
 *     both rings.
 *
 * Everything read from shared memory is untrusted: read each index, length
 * and flag once into a local, validate the local, and use only the local.
 */
#ifndef VSWITCH_RING_H
#define VSWITCH_RING_H

#include <stddef.h>
#include <stdint.h>

#define VSW_SHM_MAGIC		0x52575356u	/* "VSWR" little endian */
#define VSW_SHM_VERSION		2u

/* Feature bits in vsw_shm_hdr.features (none defined in version 2). */
#define VSW_SHM_FEATURES_KNOWN	0ull

/* Ring indices into vsw_shm_hdr.ring_off[] / data_off[]. */
#define VSW_TX			0	/* client -> switch */
#define VSW_RX			1	/* switch -> client */

#define VSW_CACHELINE		64
#define VSW_REC_ALIGN		8u
/* Largest frame a record carries: QEMU's NET_BUFSIZE (64 KiB GSO + slack). */
#define VSW_FRAME_MAX		(65536u + 4096u)
/* Smallest frame: an Ethernet header.  Shorter ones are runts. */
#define VSW_FRAME_MIN		14u
/* Data area bounds: a power of two that fits two maximal records. */
#define VSW_DATA_SIZE_MIN	(256u * 1024u)
#define VSW_DATA_SIZE_MAX	(16u * 1024u * 1024u)
/*
 * vswitchd's default (--ring-kib): 30 frames of 64 KiB in flight absorb a
 * descheduled peer on a busy host; at 64 B the rate is the same as with
 * 512 KiB, at 1500 B higher with no loss (tests/bench/README.md).
 */
#define VSW_DATA_SIZE_DEFAULT	(2048u * 1024u)

/* prod_flags / cons_flags */
#define VSW_RING_F_NEED_SPACE	1u	/* in prod_flags: producer sleeps, kick on space */
#define VSW_RING_F_NEED_KICK	1u	/* in cons_flags: consumer sleeps, kick on data */

/* vsw_rec.flags */
#define VSW_REC_PAD		1u	/* filler up to the end of the data area */

/**
 * struct vsw_vnet_hdr - virtio-net header carried by every record.
 *
 * The layout of struct virtio_net_hdr_v1 (12 bytes, little endian), so
 * QEMU passes the guest's header through untouched.  num_buffers is
 * ignored on TX; on RX the switch writes it as zero (the NIC fills it).
 */
struct vsw_vnet_hdr {
	uint8_t flags;		/* VIRTIO_NET_HDR_F_NEEDS_CSUM, _DATA_VALID */
	uint8_t gso_type;	/* VIRTIO_NET_HDR_GSO_* */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

/**
 * struct vsw_rec - header of one record in a data area.
 * @len:   frame length in bytes (the frame follows this header)
 * @flags: VSW_REC_PAD or 0
 * @rsvd:  zero
 * @rsvd2: zero
 * @vnet:  the frame's virtio-net header, directly followed by the frame
 */
struct vsw_rec {
	uint32_t len;
	uint16_t flags;
	uint16_t rsvd;
	uint32_t rsvd2;
	struct vsw_vnet_hdr vnet;
};

/**
 * struct vsw_ring - indices and doorbell flags of one direction.
 */
struct vsw_ring {
	uint32_t prod;			/* (p) */
	uint32_t prod_flags;		/* (p) VSW_RING_F_NEED_SPACE */
	uint8_t pad0[VSW_CACHELINE - 8];
	uint32_t cons;			/* (c) */
	uint32_t cons_flags;		/* (c) VSW_RING_F_NEED_KICK */
	uint8_t pad1[VSW_CACHELINE - 8];
};

/**
 * struct vsw_shm_hdr - first bytes of a port's memfd, written by the switch.
 * @magic:      VSW_SHM_MAGIC
 * @version:    VSW_SHM_VERSION; a client refuses a major version it lacks
 * @hdr_size:   sizeof(struct vsw_shm_hdr) of the writer
 * @features:   VSW_SHM_F_* bits the switch uses
 * @total_size: size of the memfd mapping
 * @data_size:  size of each data area (power of two)
 * @ring_off:   offsets of the two struct vsw_ring
 * @data_off:   offsets of the two data areas
 * @reserved:   zero; room to grow
 */
struct vsw_shm_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t hdr_size;
	uint64_t features;
	uint64_t total_size;
	uint32_t data_size;
	uint32_t ring_off[2];
	uint32_t data_off[2];
	uint32_t reserved[21];
};

_Static_assert(sizeof(struct vsw_vnet_hdr) == 12, "virtio_net_hdr_v1 layout");
_Static_assert(sizeof(struct vsw_rec) == 24, "record header size");
_Static_assert(sizeof(struct vsw_rec) % VSW_REC_ALIGN == 0, "record alignment");
_Static_assert(offsetof(struct vsw_rec, vnet) + sizeof(struct vsw_vnet_hdr) ==
	       sizeof(struct vsw_rec), "the frame follows the virtio-net header");
_Static_assert(sizeof(struct vsw_ring) == 2 * VSW_CACHELINE, "ring size");
_Static_assert(offsetof(struct vsw_ring, cons) == VSW_CACHELINE, "cons on own line");
_Static_assert(sizeof(struct vsw_shm_hdr) == 128, "shm header size");
_Static_assert(offsetof(struct vsw_shm_hdr, ring_off) == 28, "shm header layout");

/* Footprint of a record carrying @len frame bytes. */
static inline uint32_t vsw_rec_size(uint32_t len)
{
	return (uint32_t)((sizeof(struct vsw_rec) + len + VSW_REC_ALIGN - 1) &
			  ~(VSW_REC_ALIGN - 1));
}

#endif /* VSWITCH_RING_H */
