/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nicstate.h - what a physical NIC had before an External switch bound it,
 * and giving it back exactly.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * An External switch binds a NIC in one of two modes (Hyper-V's names):
 *   dedicated  the host stops using the NIC: its addresses go, IPv6 is
 *              disabled on it (net.ipv6.conf.IF.disable_ipv6=1), it stays
 *              up for the switch's AF_PACKET socket;
 *   shared     a host adapter (a TAP with the NIC's MAC, made by the
 *              caller) takes over the NIC's addresses, routes and MTU, and
 *              the NIC is stripped as in dedicated mode.
 *
 * Sequence, for the caller:
 *   s = vswd_nic_capture(nic)             check the NIC may be bound, record it
 *   vswd_nic_state_save(s, file)          before the first change
 *   vswd_nic_dedicate(s) or vswd_nic_share(s, host)
 *   ... unbind, shutdown, or a restart after a crash
 *     (s = vswd_nic_state_load(file)) ...
 *   remove the host adapter first (shared mode), then
 *   vswd_nic_restore(s)                   then delete the file
 *
 * What is recorded and given back: the MTU, the link's IFF_UP, the IPv6
 * disable_ipv6 setting, every IPv4 and IPv6 address (flags, label,
 * broadcast, peer, scope, and lifetimes where they are not forever, counted
 * down by the time since the capture), and every route whose output
 * interface (or one of whose next hops) is the NIC, in any table, IPv4
 * and IPv6 (destination, source prefix, gateways, metric, table, protocol,
 * scope, type, TOS, preferred source, route metrics such as mtu, onlink).
 * Not recorded, because the kernel makes them again by itself: routes of
 * the local table, "proto kernel" routes (connected and prefix routes,
 * fe80::/64, ff00::/8), routes learnt from router advertisements (the NIC
 * and the host adapter solicit new ones when they come up), and IPv6
 * temporary (privacy) addresses.
 *
 * All calls run on one thread (the control thread) and block on netlink;
 * vswd_nic_restore() can wait up to 4 s for IPv6 duplicate address
 * detection when a route has an IPv6 preferred source.  Errors are in the
 * VSWD_ERROR domain (model.h) and name the interface.
 */
#ifndef VSWITCH_NICSTATE_H
#define VSWITCH_NICSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

/* The state file's format version (vswd_nic_state_save() writes it). */
#define VSWD_NIC_STATE_VERSION	1

struct vswd_nic_state;

/**
 * vswd_nic_capture() - check that @ifname may be bound to an External
 * switch and record what it has now.  Refused (NULL, @err naming the
 * interface and the reason): it does not exist (VSWD_ERR_NOT_FOUND); it is
 * the loopback interface, not Ethernet, a bridge or a VRF device
 * (VSWD_ERR_INVALID); it has a master, i.e. it is a bridge port, bond
 * slave, team port or VRF member (VSWD_ERR_BUSY, naming the master).
 * Bonds, teams, VLAN, VXLAN, veth, macvlan and TAP devices are allowed;
 * whether a TAP is one of vswitch's own host adapters is the caller's check.
 */
struct vswd_nic_state *vswd_nic_capture(const char *ifname, GError **err);

/** vswd_nic_state_save() - write @s to @path atomically, mode 0600. */
bool vswd_nic_state_save(const struct vswd_nic_state *s, const char *path, GError **err);

/**
 * vswd_nic_state_load() - read a file vswd_nic_state_save() wrote.  The
 * file is untrusted: every field is checked; @err names the file and the
 * field at fault (VSWD_ERR_INVALID), or says why it cannot be read.
 */
struct vswd_nic_state *vswd_nic_state_load(const char *path, GError **err);

void vswd_nic_state_free(struct vswd_nic_state *s);
typedef struct vswd_nic_state vswd_nic_state;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vswd_nic_state, vswd_nic_state_free)

const char *vswd_nic_state_ifname(const struct vswd_nic_state *s);
/** vswd_nic_state_mac() - the NIC's Ethernet address (6 bytes). */
const uint8_t *vswd_nic_state_mac(const struct vswd_nic_state *s);
unsigned vswd_nic_state_mtu(const struct vswd_nic_state *s);

/**
 * vswd_nic_dedicate() - strip the NIC for the switch's sole use: IPv6
 * disabled on it, every address and every remaining route through it
 * removed, link up.  Best effort: all failures are collected in @err.
 */
bool vswd_nic_dedicate(const struct vswd_nic_state *s, GError **err);

/**
 * vswd_nic_share() - hand the NIC's configuration to the host adapter
 * @host_ifname, which must exist and have the NIC's MAC (checked before
 * any change): the adapter gets the NIC's MTU and IPv6 setting and is
 * brought up; the NIC's addresses are added to it (IPv4 labels renamed
 * "NIC:x" -> "HOST:x"; IPv6 addresses with IFA_F_NODAD unless they were
 * tentative, so they are usable at once); the NIC is stripped as by
 * vswd_nic_dedicate() (which removes its routes); then the NIC's routes are
 * added through the adapter, gateways kept.  Routes go after the strip
 * because an IPv4 route through the adapter with the same destination,
 * table, TOS and metric as one through the NIC would be refused.  Best
 * effort after the checks: failures are collected in @err; the caller then
 * removes the adapter and calls vswd_nic_restore().
 */
bool vswd_nic_share(const struct vswd_nic_state *s, const char *host_ifname, GError **err);

/**
 * vswd_nic_restore() - give the NIC back what @s recorded: MTU, IFF_UP,
 * IPv6 setting, addresses, routes, in that order.  Idempotent (what is
 * already there is no error), best effort (goes on after a failure and
 * collects all of them in @err).  Call it after the host adapter is gone:
 * a route still held by another interface is reported as not restored.
 */
bool vswd_nic_restore(const struct vswd_nic_state *s, GError **err);

/**
 * vswd_nic_state_to_json() - add one object to @b, what the NIC had before
 * it was bound (for `vswitchctl switch show`): ifname, mac, mtu, up,
 * ipv6-disabled (null: the NIC had no IPv6), captured (ISO 8601 time),
 * addresses [{family, address "a/len", peer, broadcast, label, scope,
 * flags [...], valid-lft, preferred-lft}], routes [{family, dst, src,
 * gateway or nexthops [{dev, gateway, weight}], table, metric, protocol,
 * scope, type, prefsrc, metrics {...}}].  Lifetimes are those at capture.
 */
void vswd_nic_state_to_json(const struct vswd_nic_state *s, JsonBuilder *b);

/** vswd_nic_ifindex() - @ifname's index in this network namespace, 0 if absent. */
int vswd_nic_ifindex(const char *ifname);

#endif /* VSWITCH_NICSTATE_H */
