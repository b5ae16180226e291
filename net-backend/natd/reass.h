/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reass.h - IPv4 reassembly in front of libslirp, which must never see a
 * fragment.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Debian 12's libslirp 4.7.0 crashes in slirp_input() on an IPv4 last
 * fragment (MF clear, offset > 0) of a datagram it has no reassembly queue
 * for.  So the NAT reassembles guest datagrams itself and hands libslirp
 * whole ones only (it takes IP packets of up to 65535 bytes):
 *
 *   switch (vsw_reass_input(r, frame, len, now_ms, &out, &out_len)) {
 *   case VSW_REASS_PASS:   slirp_input(frame, len)    not a fragment
 *   case VSW_REASS_DONE:   slirp_input(out, out_len)  a whole datagram
 *   case VSW_REASS_HELD:                              kept, nothing yet
 *   case VSW_REASS_DROP:                              counted in the stats
 *   }
 *   ... and vsw_reass_expire(r, now_ms) now and then (a timer).
 *
 * Rules:
 *   - Input is an Ethernet frame, ethertype 0x0800 at bytes 12-13, no VLAN
 *     tag.  It is untrusted and read only inside [frame, frame + len).
 *   - Every frame is checked before anything is kept or passed: length >=
 *     14 + 20, ethertype 0x0800, version 4, IHL >= 5, the header inside the
 *     frame, header checksum correct, IHL * 4 <= total length <= len - 14
 *     (bytes after total length are ignored, as ip_rcv() trims).  A frame
 *     that fails is DROP, counted in malformed.  PASS therefore means a
 *     well-formed IPv4 header with MF clear and offset 0 (the reserved flag
 *     bit is not looked at).
 *   - A fragment (MF set or offset > 0) must also carry a non-empty
 *     payload, a multiple of 8 bytes unless MF is clear, and fit a 65535
 *     byte datagram: offset * 8 + payload <= 65535 - IHL * 4 (its own IHL).
 *     Otherwise it is malformed.
 *   - Fragments belong together when source, destination, identification
 *     and protocol are equal.  At most max_datagrams (1 to
 *     VSW_REASS_MAX_DATAGRAMS) are in progress; a fragment that would start
 *     one more evicts the oldest (the one started first), counted in
 *     evicted.
 *   - A fragment that overlaps bytes already kept drops its whole datagram
 *     (counted in overlaps; RFC 5722, Linux since 4.19), except an exact
 *     duplicate (same offset and length as one kept fragment), which
 *     changes nothing and is counted in duplicates.
 *   - A second last fragment (MF clear) with another end, a last fragment
 *     ending before bytes already kept, a fragment beyond a known end, or
 *     an offset-0 header so long that header + payload would exceed 65535
 *     bytes drops the whole datagram, counted in inconsistent.  These
 *     checks come before the overlap check.
 *   - A datagram is complete once its last fragment is kept and every byte
 *     before that fragment's end too.  The output is a new Ethernet frame:
 *     the Ethernet header and the IPv4 header (options included) of the
 *     offset-0 fragment, with total length set, flags reduced to that
 *     fragment's DF (MF, offset and the reserved bit cleared) and the header
 *     checksum recomputed, then the whole payload.
 *   - A datagram is dropped, counted in timed_out, once now_ms is more than
 *     timeout_ms after its first fragment arrived: by vsw_reass_expire(),
 *     and by vsw_reass_input() for every datagram it meets while it looks
 *     for a fragment's own (a timed-out one of the same key is dropped and
 *     the fragment starts a new one).  A clock that goes backwards ages
 *     nothing.
 *   - Memory: the table (max_datagrams small entries) is allocated by
 *     vsw_reass_new().  Each datagram in progress owns one buffer of about
 *     67 KiB (the largest datagram plus two 8-byte-block bitmaps), taken
 *     when its first fragment arrives and given back when it completes or
 *     is dropped; one given-back buffer is kept for the next datagram and
 *     one holds the last DONE output, so at most max_datagrams + 2 exist.
 *     A fragment that cannot get a buffer is DROP, counted in nomem.  There
 *     is no other allocation after vsw_reass_new(), no logging, no
 *     recursion.  A call scans the table once, walks the bitmaps a 64-bit
 *     word (512 payload bytes) at a time and copies the fragment's payload.
 *   - Not thread-safe: one vsw_reass per thread, or a lock around it.
 */
#ifndef VSWITCH_REASS_H
#define VSWITCH_REASS_H

#include <stdint.h>

/* Upper bound for vsw_reass_new()'s @max_datagrams (lookups are linear). */
#define VSW_REASS_MAX_DATAGRAMS	1024u

struct vsw_reass;

/**
 * struct vsw_reass_stats - counters since vsw_reass_new().
 * @fragments:    well-formed fragments taken in (whatever became of them)
 * @reassembled:  datagrams completed (DONE)
 * @malformed:    frames dropped by the checks: short frame, not IPv4, bad
 *                header, bad checksum, bad total length, empty fragment,
 *                payload not a multiple of 8 with MF set, beyond 65535
 * @overlaps:     datagrams dropped because a fragment overlapped kept bytes
 * @duplicates:   exact duplicate fragments ignored
 * @inconsistent: datagrams dropped because fragments disagreed on the end,
 *                or the offset-0 header made the datagram exceed 65535
 * @evicted:      datagrams dropped to make room (table full)
 * @timed_out:    datagrams dropped after the timeout
 * @nomem:        fragments dropped because no buffer could be allocated
 */
struct vsw_reass_stats {
	uint64_t fragments;
	uint64_t reassembled;
	uint64_t malformed;
	uint64_t overlaps;
	uint64_t duplicates;
	uint64_t inconsistent;
	uint64_t evicted;
	uint64_t timed_out;
	uint64_t nomem;
};

/**
 * enum vsw_reass_verdict - what vsw_reass_input() did with a frame.
 * @VSW_REASS_PASS: not a fragment: the caller uses the frame as it is
 * @VSW_REASS_HELD: a fragment was kept, or was an ignored duplicate:
 *                  nothing to deliver now
 * @VSW_REASS_DONE: this fragment completed a datagram, in *out / *out_len
 * @VSW_REASS_DROP: malformed, or dropped with its datagram (counted)
 */
enum vsw_reass_verdict {
	VSW_REASS_PASS,
	VSW_REASS_HELD,
	VSW_REASS_DONE,
	VSW_REASS_DROP,
};

/**
 * vsw_reass_new() - create an empty reassembly table.
 * @max_datagrams: datagrams in progress at most, 1 to
 *                 VSW_REASS_MAX_DATAGRAMS (64 is plenty for one NAT)
 * @timeout_ms:    how long a datagram may take, from its first fragment
 *                 (Linux uses 30000)
 *
 * Return: the table, or NULL with errno set: EINVAL for a bad
 * @max_datagrams, ENOMEM.
 */
struct vsw_reass *vsw_reass_new(unsigned max_datagrams, uint64_t timeout_ms);

/**
 * vsw_reass_free() - free a table, its datagrams and the last output.
 * @r: the table, or NULL
 */
void vsw_reass_free(struct vsw_reass *r);

/**
 * vsw_reass_input() - take one IPv4 frame.
 * @r:       the table
 * @frame:   an Ethernet frame with ethertype 0x0800, untrusted, not changed
 * @len:     its length
 * @now_ms:  the caller's monotonic clock, in milliseconds
 * @out:     set to the completed frame on DONE, to NULL otherwise
 * @out_len: set to its length on DONE, to 0 otherwise
 *
 * See the rules at the top of this file.  On DONE, *out points into a
 * buffer of @r, valid until the next vsw_reass_input(), vsw_reass_expire()
 * or vsw_reass_free() on @r; *out_len is 14 + the IPv4 total length, at
 * most 14 + 65535.
 *
 * Return: VSW_REASS_PASS, VSW_REASS_HELD, VSW_REASS_DONE or VSW_REASS_DROP.
 */
enum vsw_reass_verdict vsw_reass_input(struct vsw_reass *r,
				       const uint8_t *frame, uint32_t len,
				       uint64_t now_ms, const uint8_t **out,
				       uint32_t *out_len);

/**
 * vsw_reass_expire() - drop the datagrams that have timed out.
 * @r:      the table
 * @now_ms: the caller's monotonic clock, in milliseconds
 *
 * Ends the validity of the last DONE output too.
 */
void vsw_reass_expire(struct vsw_reass *r, uint64_t now_ms);

/**
 * vsw_reass_get_stats() - copy the counters.
 * @r:  the table
 * @st: where to copy them
 */
void vsw_reass_get_stats(const struct vsw_reass *r,
			 struct vsw_reass_stats *st);

/**
 * vsw_reass_pending() - datagrams in progress.
 * @r: the table
 *
 * Return: 0 to max_datagrams.
 */
unsigned vsw_reass_pending(const struct vsw_reass *r);

#endif /* VSWITCH_REASS_H */
