/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * port-slirp.h - the port whose peer is libslirp (the Default switch's NAT).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Everything here but the port ops runs on the control thread, which also
 * runs libslirp.  At most one such port exists per process: libslirp's
 * sockets join the GLib main loop through the default context's poll
 * function (port-slirp.c says why), and there is only one of those.
 */
#ifndef VSWITCH_PORT_SLIRP_H
#define VSWITCH_PORT_SLIRP_H

#include <stdbool.h>
#include <stdint.h>

#include <gio/gio.h>
#include <slirp/libslirp.h>

#include "datapath.h"

/**
 * struct vsw_slirp_stats - what happened at the boundary between the
 * switch and libslirp (control thread counters, read on the control thread).
 * @to_nat:           frames the switch delivered and libslirp was given
 * @to_nat_malformed: frames dropped before libslirp: truncated ARP/IP
 *                    headers, lengths that lie, wrong IP version
 * @to_nat_ignored:   frames dropped before libslirp as not meant for it:
 *                    unicast to another MAC (flooded VM-to-VM traffic),
 *                    an ethertype other than ARP, IPv4, IPv6
 * @from_nat:         frames libslirp sent into the switch
 * @from_nat_ring_full: frames libslirp sent that found the ring full
 * @from_nat_bad_size: frames libslirp sent that no ring record can carry
 * @guest_errors:     guest misbehaviour libslirp reported
 */
struct vsw_slirp_stats {
	uint64_t to_nat;
	uint64_t to_nat_malformed;
	uint64_t to_nat_ignored;
	uint64_t from_nat;
	uint64_t from_nat_ring_full;
	uint64_t from_nat_bad_size;
	uint64_t guest_errors;
};

/**
 * vsw_port_slirp_new() - start libslirp as a port (not yet on a switch).
 * @name:      port name
 * @data_size: bytes of each ring's data area (power of two, within
 *             VSW_DATA_SIZE_MIN..MAX)
 * @cfg:       libslirp's configuration; version and the pointers in it
 *             need only live for the call
 * @err:       why it failed
 *
 * The port declares no offloads: the data path hands it complete
 * checksums and wire-size segments.
 *
 * Return: the port, or NULL (another slirp port exists, no memory,
 * libslirp refused @cfg).
 */
struct vsw_port *vsw_port_slirp_new(const char *name, uint32_t data_size,
				    const SlirpConfig *cfg, GError **err);

/**
 * vsw_port_slirp_add_fwd() - listen on the host and forward to the guest.
 * @p:          a port from vsw_port_slirp_new()
 * @udp:        UDP rather than TCP
 * @host_addr:  address to listen on
 * @host_port:  port to listen on
 * @guest_addr: where connections go, in the NAT's subnet
 * @guest_port: guest port
 *
 * Return: 0, or -errno (-EADDRINUSE, -EACCES, ...).
 */
int vsw_port_slirp_add_fwd(struct vsw_port *p, bool udp, struct in_addr host_addr,
			   uint16_t host_port, struct in_addr guest_addr,
			   uint16_t guest_port);

/**
 * vsw_port_slirp_remove_fwd() - stop a forward added before.
 * Return: 0, or -ENOENT if libslirp knows no such listener.
 */
int vsw_port_slirp_remove_fwd(struct vsw_port *p, bool udp,
			      struct in_addr host_addr, uint16_t host_port);

/**
 * vsw_port_slirp_save_leases() - libslirp's DHCP lease table (and IP ID),
 * as libslirp serializes it for migration.  Return: the bytes.
 */
GBytes *vsw_port_slirp_save_leases(struct vsw_port *p);

/**
 * vsw_port_slirp_load_leases() - restore a table from
 * vsw_port_slirp_save_leases() of the same libslirp state @version.
 * Anything but such a table is refused before libslirp sees it.
 * Return: 0, or -EINVAL.
 */
int vsw_port_slirp_load_leases(struct vsw_port *p, int version, GBytes *b);

/**
 * vsw_port_slirp_on_lease() - call @fn(@data) on the control thread after
 * libslirp sent a DHCP reply (its lease table may have changed).
 */
void vsw_port_slirp_on_lease(struct vsw_port *p, void (*fn)(void *data), void *data);

/** vsw_port_slirp_get_stats() - a copy of @p's boundary counters. */
void vsw_port_slirp_get_stats(struct vsw_port *p, struct vsw_slirp_stats *st);

/**
 * vsw_port_slirp_connections() - libslirp's table of its connections,
 * as text for a person.  Return: a string to g_free().
 */
char *vsw_port_slirp_connections(struct vsw_port *p);

#endif /* VSWITCH_PORT_SLIRP_H */
