/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * port-host.h - ports whose peer is the host's kernel: a TAP device (the
 * switch's host adapter) and a physical NIC read and written through
 * AF_PACKET (docs/external.md).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Both are created on the control thread (they need CAP_NET_ADMIN, and
 * CAP_NET_RAW for AF_PACKET) and then follow port.h's rules: no blocking
 * call, no allocation, bounded loops in rx/tx/flush.  Neither ever makes
 * the data path give up on it (-EPROTO): a device that disappears under
 * it (ip link del, a NIC unplugged) makes its port go quiet, rx taking
 * nothing and tx dropping (counted as ring-full), and *_gone() tells the
 * control plane, which detaches the port and binds the interface again
 * when it is back.
 */
#ifndef VSWITCH_PORT_HOST_H
#define VSWITCH_PORT_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <gio/gio.h>

#include "datapath.h"

/**
 * vswd_tap_port_new() - create a TAP device and a port ("host") on it.
 * @ifname: the device's name (at most 15 bytes; "%d" lets the kernel
 *          number it), or NULL for the kernel's "tap%d"
 * @mac:    its MAC address, or NULL for the kernel's random one
 * @mtu:    its MTU, or 0 to leave the kernel's (1500)
 * @err:    why it failed, naming the interface
 *
 * The device is not persistent: it disappears when the port is destroyed
 * or vswitchd dies.  A name taken by any other interface (another
 * process's TAP, a persistent one, a NIC) is refused.  The device is up,
 * with virtio-net headers and checksum, TSO (and USO where the kernel has
 * it) offloads both ways; the port's @offloads say so.
 *
 * Return: the port (not yet on any switch), or NULL.
 */
struct vsw_port *vswd_tap_port_new(const char *ifname, const uint8_t *mac,
				   unsigned mtu, GError **err);

/** vswd_tap_port_ifindex() - the TAP device's interface index. */
int vswd_tap_port_ifindex(struct vsw_port *p);

/** vswd_tap_port_ifname() - the TAP device's name (the kernel's, if it numbered it). */
const char *vswd_tap_port_ifname(struct vsw_port *p);

/**
 * vswd_tap_port_gone() - the TAP device was deleted behind vswitchd's back
 * (ip link del): the port takes nothing and drops everything.
 */
bool vswd_tap_port_gone(struct vsw_port *p);

/**
 * vswd_packet_port_new() - a port ("nic") on a network interface, through
 * AF_PACKET: every frame on the wire in, frames out as they are.
 * @ifname: the interface (an Ethernet NIC, a veth, a VXLAN device)
 * @err:    why it failed, naming the interface
 *
 * The interface is put in promiscuous mode for as long as the port exists
 * (the kernel counts it and drops it with the socket, also when vswitchd
 * dies).  Received frames carry their 802.1Q or 802.1ad tag as they had
 * it on the wire; the caller makes the port a trunk (fwd.mode).
 *
 * Return: the port (not yet on any switch), or NULL.
 */
struct vsw_port *vswd_packet_port_new(const char *ifname, GError **err);

/** vswd_packet_port_ifindex() - the interface index the port is bound to. */
int vswd_packet_port_ifindex(struct vsw_port *p);

/**
 * vswd_packet_port_gone() - the interface was unregistered (deleted,
 * unplugged, moved to another namespace): the port takes nothing and
 * drops everything; destroy it and create a new one when the interface
 * is back.  A link that only went down is not gone: the kernel delivers
 * again once it is up.  Safe to call from the control thread at any time.
 */
bool vswd_packet_port_gone(struct vsw_port *p);

#endif /* VSWITCH_PORT_HOST_H */
