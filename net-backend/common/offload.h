/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * offload.h - software checksum and GSO for ports that cannot take a frame's
 * virtio-net offloads.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Guests that negotiated TSO/USO and checksum offload hand the switch frames
 * of up to 64 KiB with a partial L4 checksum.  A port that accepts the same
 * offloads (another such guest) gets them untouched; any other port (libslirp,
 * a guest without GUEST_CSUM/GUEST_TSO*, a NIC without a vnet header) gets
 * what a NIC would have put on the wire:
 *
 *   need = vsw_offload_needed(&vnet, port_offloads);
 *   if (!need)                          forward frame and header as they are
 *   else if (need & VSW_OFFLOAD_NEED_GSO)
 *                                       vsw_gso_segment(): segments with
 *                                       complete checksums, sent with a
 *                                       zero vnet header (gso_type NONE)
 *   else                                vsw_csum_complete() in place, then
 *                                       forward with the updated header
 *
 * Rules:
 *   - The frame is a private copy, never shared memory: parsing reads each
 *     byte as often as it likes.  Everything about it is still untrusted.
 *   - vsw_gso_segment() parses Ethernet (up to two VLAN tags), IPv4 (with
 *     options, not a fragment) or IPv6 (no extension headers), then TCP or
 *     UDP, from the frame itself.  vnet->hdr_len, csum_start and
 *     csum_offset are ignored; only gso_type and gso_size are used.  Every
 *     check happens before the first segment is emitted, so a malformed
 *     frame emits nothing.
 *   - IPv4 total length and IPv6 payload length may be shorter than the
 *     frame (trailing bytes are dropped, as ip_rcv() trims), never longer.
 *   - Each segment's IPv4 header checksum and L4 checksum are computed from
 *     scratch (pseudo-header + header + payload); the partial value a guest
 *     left in the checksum field is not needed.
 *   - Nothing allocates, blocks or logs.  Each segment is built in the
 *     caller's scratch buffer and handed to the emit callback, which must
 *     copy it before returning.
 *   - vnet header fields are little endian (virtio 1.0) and are converted.
 *
 * Checksums are the Internet checksum (RFC 1071) with 64-bit accumulation,
 * in native byte order: vsw_csum_partial() sums, vsw_csum_fold() turns a sum
 * into the 16-bit value to store, byte for byte, with memcpy().
 */
#ifndef VSWITCH_OFFLOAD_H
#define VSWITCH_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "vswitch/ring.h"
#include "vswitch/vswitch.h"

/*
 * What vsw_offload_needed() asks for.  A namespace of its own: these are not
 * VSW_OFFLOAD_* port bits.  NEED_GSO implies complete checksums too.
 */
#define VSW_OFFLOAD_NEED_CSUM	(1u << 0)	/* vsw_csum_complete() */
#define VSW_OFFLOAD_NEED_GSO	(1u << 1)	/* vsw_gso_segment() */

/* Scratch size that fits any segment of any frame up to VSW_FRAME_MAX. */
#define VSW_GSO_SCRATCH_SIZE	VSW_FRAME_MAX

/**
 * vsw_offload_needed() - what an egress port needs done to a frame.
 * @vnet:          the frame's virtio-net header
 * @port_offloads: VSW_OFFLOAD_* bits the egress port accepts
 *
 * A GSO frame passes through only if the port accepts its GSO type (both
 * USO4 and USO6 for GSO_UDP_L4, which does not say the IP version), ECN if
 * the ECN bit is set, and CSUM if NEEDS_CSUM is set.  A GSO frame with an
 * unknown type or gso_size 0 always asks for NEED_GSO, whose segmentation
 * then refuses it.
 *
 * Return: 0 to forward the frame untouched, VSW_OFFLOAD_NEED_GSO, or
 * VSW_OFFLOAD_NEED_CSUM (a frame without GSO whose partial checksum the port
 * cannot take).
 */
unsigned vsw_offload_needed(const struct vsw_vnet_hdr *vnet,
			    unsigned port_offloads);

/**
 * vsw_csum_complete() - fill in a partial checksum in place.
 * @frame: the frame, Ethernet header first
 * @len:   frame length
 * @vnet:  its virtio-net header; NEEDS_CSUM is cleared, DATA_VALID set
 *
 * Sums @frame from csum_start to @len (the field at csum_start + csum_offset
 * holds the pseudo-header sum, as virtio-net and Linux leave it) and stores
 * the result there; a result of 0 is stored as 0xffff (CSUM_MANGLED_0).  A
 * header without NEEDS_CSUM is left alone.
 *
 * Return: 0, or -EINVAL if csum_start + csum_offset + 2 exceeds @len
 * (nothing is changed then).
 */
int vsw_csum_complete(uint8_t *frame, uint32_t len, struct vsw_vnet_hdr *vnet);

/**
 * typedef vsw_seg_emit_fn - receives one segment from vsw_gso_segment().
 * @opaque:  the caller's pointer
 * @seg:     the segment, valid only until the callback returns
 * @seg_len: its length
 *
 * Return: 0 to go on, or a negative errno that stops segmentation and is
 * returned by vsw_gso_segment().
 */
typedef int (*vsw_seg_emit_fn)(void *opaque, const uint8_t *seg,
			       uint32_t seg_len);

/**
 * vsw_gso_segment() - split a GSO frame into wire-size frames.
 * @frame:        the frame, a private copy, Ethernet header first
 * @len:          frame length
 * @vnet:         its virtio-net header (gso_type, gso_size)
 * @scratch:      where each segment is built; must not overlap @frame
 * @scratch_size: its size; VSW_GSO_SCRATCH_SIZE always suffices
 * @emit:         called once per segment, in order
 * @opaque:       passed to @emit
 *
 * GSO_TCPV4/TCPV6 (with or without the ECN bit): segments of at most
 * gso_size payload bytes; sequence numbers advance, FIN and PSH stay on the
 * last segment only, CWR on the first only; IPv4 IDs increment per segment.
 * GSO_UDP_L4 (USO): UDP datagrams of at most gso_size payload bytes each,
 * IPv4 IDs incrementing.  GSO_UDP (UFO): one UDP datagram, checksummed whole,
 * sent as IP fragments carrying gso_size (rounded down to a multiple of 8)
 * bytes of IP payload each; IPv4 fragments share the ID and non-first ones
 * keep only options with the copy bit; IPv6 fragments get a fragment header
 * with a fresh identification.  A frame whose payload already fits one
 * segment is emitted once, with its checksums completed.
 *
 * Return: the number of segments emitted; -EINVAL for a malformed or
 * unsupported frame (gso_size 0, unknown gso_type, type and headers
 * disagree, truncated headers, lengths that lie, IPv4 fragment, IPv6
 * extension header); -ENOBUFS if @scratch_size is too small (both before
 * anything is emitted); or the error @emit returned, after the segments
 * before it were emitted.
 */
int vsw_gso_segment(const uint8_t *frame, uint32_t len,
		    const struct vsw_vnet_hdr *vnet,
		    uint8_t *scratch, size_t scratch_size,
		    vsw_seg_emit_fn emit, void *opaque);

/**
 * vsw_csum_partial() - add @len bytes at @buf to a running checksum.
 * @buf: data, any alignment
 * @len: length; only the last piece of a chained sum may be odd
 * @sum: the sum so far (0 to start, or a pseudo-header sum)
 *
 * Return: the unfolded 32-bit one's complement sum, in native byte order.
 */
uint32_t vsw_csum_partial(const void *buf, size_t len, uint32_t sum);

/**
 * vsw_csum_fold() - fold a 32-bit sum into the checksum field value.
 * @sum: a vsw_csum_partial() result
 *
 * Return: the complemented 16-bit sum, in native byte order: store it with
 * memcpy().  A buffer that holds a correct checksum folds to 0.
 */
static inline uint16_t vsw_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * vsw_csum() - checksum of one buffer (an IPv4 header, an ICMP message).
 * Return: the value to store in the checksum field, native byte order.
 */
static inline uint16_t vsw_csum(const void *buf, size_t len)
{
	return vsw_csum_fold(vsw_csum_partial(buf, len, 0));
}

/**
 * vsw_csum_pseudo4() - sum of an IPv4 pseudo-header.
 * @saddr: source address, network byte order (4 bytes)
 * @daddr: destination address, network byte order (4 bytes)
 * @proto: IP protocol number
 * @len:   L4 length (header + payload)
 *
 * Return: an unfolded sum to pass to vsw_csum_partial() as @sum.
 */
uint32_t vsw_csum_pseudo4(const uint8_t *saddr, const uint8_t *daddr,
			  uint8_t proto, uint16_t len);

/**
 * vsw_csum_pseudo6() - sum of an IPv6 pseudo-header (RFC 8200 8.1).
 * @saddr: source address, network byte order (16 bytes)
 * @daddr: destination address, network byte order (16 bytes)
 * @proto: next header value of the upper layer
 * @len:   upper-layer length
 *
 * Return: an unfolded sum to pass to vsw_csum_partial() as @sum.
 */
uint32_t vsw_csum_pseudo6(const uint8_t *saddr, const uint8_t *daddr,
			  uint8_t proto, uint32_t len);

#endif /* VSWITCH_OFFLOAD_H */
