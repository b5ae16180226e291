/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * offload.h - virtio-net header checks, and software checksum and GSO for
 * ports that cannot take a frame's offloads.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Guests that negotiated TSO/USO and checksum offload hand the switch frames
 * of up to 64 KiB with a partial L4 checksum.  A port that accepts the same
 * offloads (another such guest) gets them as vsw_vnet_check() rebuilt them;
 * any other port (libslirp, a guest without GUEST_CSUM/GUEST_TSO*, a NIC
 * without a vnet header) gets what a NIC would have put on the wire:
 *
 *   hlen = min(len, VSW_HDR_COPY), copy the frame's first hlen bytes, then
 *   switch (vsw_vnet_check(copy, hlen, len, &guest_vnet, &vnet))
 *   VSW_VNET_BAD:                       drop, count bad-offload
 *   VSW_VNET_SOFTWARE:                  for every egress port: GSO type set:
 *                                       vsw_gso_segment(); else
 *                                       vsw_csum_complete() (no DATA_VALID)
 *   VSW_VNET_PASS:                      per egress port:
 *     need = vsw_offload_needed(&vnet, port_offloads);
 *     if (!need)                        forward frame and rebuilt header
 *     else if (need & VSW_OFFLOAD_NEED_GSO)
 *                                       vsw_gso_segment(): segments with
 *                                       complete checksums, sent with a
 *                                       zero vnet header (gso_type NONE)
 *     else                              vsw_csum_complete() in place, then
 *                                       forward with the updated header
 *
 * Rules:
 *   - A guest is an attacker.  No virtio-net header it wrote reaches another
 *     port: vsw_vnet_check() parses the frame's own headers and builds a new
 *     header from them (only NEEDS_CSUM survives from the guest's flags,
 *     never DATA_VALID; hdr_len, csum_start and csum_offset are checked or
 *     recomputed), or says the frame needs software work for every port, or
 *     refuses it.
 *   - Software segmentation is bounded: gso_size is at least
 *     VSW_GSO_TCP_MIN (TCP) or VSW_GSO_UDP_MIN (UDP), and one frame makes
 *     at most VSW_GSO_MAX_SEGS segments (VSW_USO_MAX_SEGS for USO).
 *     vsw_vnet_check() and vsw_gso_segment() enforce the same limits.
 *   - Every header byte a verdict depends on lies in the caller's private
 *     copy of the frame's first VSW_HDR_COPY bytes; vsw_vnet_check() reads
 *     nothing else.  The verdict holds for those bytes only: the caller
 *     forwards them from its copy, not from memory the guest can rewrite
 *     in the meantime.
 *   - DATA_VALID is set by the switch only, by vsw_csum_complete(), and only
 *     when the checksum it filled is the frame's own TCP/UDP checksum.
 *   - The frame is a private copy, never shared memory: parsing reads each
 *     byte as often as it likes.  Everything about it is still untrusted.
 *   - vsw_gso_segment() parses Ethernet (up to two VLAN tags), IPv4 (with
 *     options, not a fragment) or IPv6 (no extension headers), then TCP or
 *     UDP, from the frame itself.  vnet->hdr_len, csum_start and
 *     csum_offset are ignored; only gso_type and gso_size are used.  Every
 *     check happens before the first segment is emitted, so a malformed
 *     frame emits nothing.  vsw_vnet_check() uses the same parser, so a
 *     frame it passes with a GSO type segments without error.
 *   - Offsets in a checked header are in the frame's own coordinates, as in
 *     the guest's: a caller that adds or removes a VLAN tag moves csum_start
 *     and hdr_len by the same amount.
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

/*
 * Bytes of a frame the data path copies privately before vsw_vnet_check():
 * every header a GSO frame may have fits (Ethernet, two tags, IPv4 with 40
 * option bytes, TCP with 40: 14 + 8 + 60 + 60 = 142).
 */
#define VSW_HDR_COPY		192

/*
 * Smallest gso_size for TCP: Linux's TCP_MIN_MSS, (60 + 60 + 8) - (20 + 20),
 * the least MSS it accepts from TCP_MAXSEG.
 */
#define VSW_GSO_TCP_MIN		88
/*
 * Smallest gso_size for UDP (USO and UFO): the UDP header size, and the
 * least a UFO fragment carries (fragment offsets count 8 bytes; 68, the
 * IPv4 minimum MTU, minus a 60-byte header).  Below it a datagram carries
 * less payload than its own UDP header.
 */
#define VSW_GSO_UDP_MIN		8
/*
 * Most segments one TSO or UFO frame may make: a power of two above the 745
 * of the largest TSO frame at VSW_GSO_TCP_MIN, ceil((65535 - 20) / 88).
 */
#define VSW_GSO_MAX_SEGS	1024
/* Most datagrams one USO frame may make: Linux's UDP_MAX_SEGMENTS. */
#define VSW_USO_MAX_SEGS	128

/**
 * enum vsw_vnet_verdict - what vsw_vnet_check() decided.
 * @VSW_VNET_PASS:     forward with the rebuilt header; ports that cannot take
 *                     its offloads get vsw_offload_needed()'s software work
 * @VSW_VNET_SOFTWARE: forward only after software work, the same for every
 *                     egress port: vsw_gso_segment() if the rebuilt header
 *                     has a GSO type, else vsw_csum_complete()
 * @VSW_VNET_BAD:      drop; the data path counts it as bad-offload
 */
enum vsw_vnet_verdict {
	VSW_VNET_PASS,
	VSW_VNET_SOFTWARE,
	VSW_VNET_BAD = -1,
};

/**
 * vsw_vnet_check() - validate a guest's virtio-net header against the
 * frame's own headers, and rebuild it.
 * @hdr:       private copy of the frame's first @hdr_len bytes (never shared
 *             memory); nothing else is read
 * @hdr_len:   min(@frame_len, VSW_HDR_COPY)
 * @frame_len: length of the whole frame
 * @in:        the header the port sent (little endian, untrusted)
 * @out:       the header to forward, written in full whatever the verdict
 *             (all zero for BAD); may be @in
 *
 * @out holds NEEDS_CSUM or no flag at all (never DATA_VALID or an unknown
 * bit), num_buffers 0, gso_size and hdr_len 0 without GSO, csum_start and
 * csum_offset 0 without NEEDS_CSUM.  The frame is parsed from @hdr:
 * Ethernet, up to two 802.1Q/802.1ad tags, IPv4 or IPv6, TCP or UDP.  "L4"
 * is the offset of the TCP/UDP header; a TCP checksum field is at L4 + 16,
 * a UDP one at L4 + 6.
 *
 * No GSO (gso_type 0):
 *   - no NEEDS_CSUM: PASS, whatever the frame holds.
 *   - NEEDS_CSUM at the frame's own L4 checksum: PASS.  IPv4 must not be a
 *     fragment (options are fine); IPv6 may have hop-by-hop, routing and
 *     destination options headers inside @hdr; the 20-byte TCP or 8-byte
 *     UDP header lies in the IP datagram, the datagram in the frame.
 *   - NEEDS_CSUM elsewhere, csum_start at or after the end of the Ethernet
 *     header and its tags, csum_start + csum_offset + 2 <= @frame_len (as
 *     Linux accepts for tunnels and HW_CSUM senders): SOFTWARE.
 *     vsw_csum_complete() then fills the field and, as it is not the
 *     frame's own TCP/UDP checksum, does not set DATA_VALID.
 *   - anything else: BAD.
 * GSO:
 *   - gso_type TCPV4 (IPv4 + TCP), TCPV6 (IPv6 + TCP), UDP_L4 or UDP (IPv4
 *     or IPv6 + UDP), the ECN bit only with the TCP types; the frame as
 *     vsw_gso_segment() accepts it (headers and lengths consistent, IPv4
 *     not a fragment, IPv6 without extension headers) with every header
 *     inside @hdr; gso_size at least VSW_GSO_TCP_MIN or VSW_GSO_UDP_MIN,
 *     and not 0xffff (GSO_BY_FRAGS, which Linux refuses); at most
 *     VSW_GSO_MAX_SEGS segments (VSW_USO_MAX_SEGS for UDP_L4).  Else BAD.
 *   - NEEDS_CSUM at the L4 checksum: PASS, hdr_len rebuilt as the end of
 *     the TCP/UDP header (L4 + data offset, or L4 + 8), gso_size as sent.
 *     A payload that fits one segment is fine.
 *   - NEEDS_CSUM elsewhere: BAD (Linux refuses it too).
 *   - no NEEDS_CSUM: SOFTWARE with the same GSO fields and no checksum
 *     ones; segmentation computes every checksum from scratch.
 *
 * Return: VSW_VNET_PASS, VSW_VNET_SOFTWARE or VSW_VNET_BAD.
 */
int vsw_vnet_check(const uint8_t *hdr, uint32_t hdr_len, uint32_t frame_len,
		   const struct vsw_vnet_hdr *in, struct vsw_vnet_hdr *out);

/**
 * vsw_offload_needed() - what an egress port needs done to a frame.
 * @vnet:          the frame's virtio-net header, as vsw_vnet_check() rebuilt
 *                 it with VSW_VNET_PASS
 * @port_offloads: VSW_OFFLOAD_* bits the egress port accepts
 *
 * A GSO frame passes through only if the port accepts its GSO type (both
 * USO4 and USO6 for GSO_UDP_L4, which does not say the IP version), ECN if
 * the ECN bit is set, and CSUM if NEEDS_CSUM is set.  An unchecked header
 * still gets a safe answer: a GSO frame with an unknown type or gso_size 0
 * always asks for NEED_GSO, whose segmentation then refuses it.
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
 * @vnet:  its virtio-net header; NEEDS_CSUM is cleared, DATA_VALID set only
 *         if the field is the frame's own TCP/UDP checksum
 *
 * Sums @frame from csum_start to @len (the field at csum_start + csum_offset
 * holds the pseudo-header sum, as virtio-net and Linux leave it) and stores
 * the result there; a result of 0 is stored as 0xffff (CSUM_MANGLED_0).
 * DATA_VALID is then set if csum_start and csum_offset are the frame's L4
 * checksum as vsw_vnet_check() would PASS them (parsing the first
 * VSW_HDR_COPY bytes of @frame), and cleared otherwise: a field the switch
 * did not recognise (a SOFTWARE verdict) need not be the checksum the
 * receiver's stack verifies.  csum_start and csum_offset become 0: they
 * point at nothing to do any more.  A header without NEEDS_CSUM is left
 * alone.
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
 * The limits of vsw_vnet_check() hold here too, for a caller that did not
 * check: gso_size below VSW_GSO_TCP_MIN (TCP) or VSW_GSO_UDP_MIN (UDP), or
 * more than VSW_GSO_MAX_SEGS segments (VSW_USO_MAX_SEGS for UDP_L4), is
 * refused before anything is emitted.  The first error @emit returns stops
 * segmentation at once: the data path's emit fails when the egress ring is
 * full, so a full ring costs one failed write, not one per segment.
 *
 * Return: the number of segments emitted; -EINVAL for a malformed or
 * unsupported frame (gso_size below the floor, unknown gso_type, type and
 * headers disagree, truncated headers, lengths that lie, IPv4 fragment,
 * IPv6 extension header, too many segments, IPv6 UFO fragments too long
 * for the payload length field); -ENOBUFS if @scratch_size is
 * too small (both before anything is emitted); or the error @emit
 * returned, after the segments before it were emitted.
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
