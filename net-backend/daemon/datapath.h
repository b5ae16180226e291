/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * datapath.h - the data path thread and how the control plane talks to it.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * One thread moves every frame of every switch.  It owns the ports' rings,
 * the MAC tables and the forwarding state; the control thread changes them
 * only through commands (vsw_dp_*() below), which the data path applies
 * between two bursts.  The data path never takes a lock the control thread
 * holds for longer than a queue operation, never allocates, and never
 * blocks on anything but its own epoll set while idle.
 *
 * Priority: the thread runs at a lower nice value than the VMs (-10 by
 * default), as the kernel's bridge forwards in softirq context: on a host
 * whose CPUs are busy running vCPUs, a frame should not wait for a time
 * slice at every hop.  It sleeps whenever it has nothing to do, so it
 * takes from the VMs only the CPU the frames need (measured: TCP between
 * two TCG guests went from 1.30 to 1.48 Gbit/s).
 *
 * Idle policy: after a round with no frames the thread keeps polling for
 * poll_us microseconds (a wakeup through an eventfd costs 30-40 us on the
 * virtual machines this runs on), yielding the CPU between polls (on a
 * machine with few CPUs the client that will give it work may be waiting
 * for this one), then arms every port's doorbell and sleeps in
 * epoll_wait() for at most a second (MAC aging runs then).
 */
#ifndef VSWITCH_DATAPATH_H
#define VSWITCH_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>

#include <gio/gio.h>

#include "port.h"

#define VSW_DP_MAX_PORTS	4096
#define VSW_DP_BURST		256	/* frames per port per round */
#define VSW_DP_POLL_US_DEFAULT	50
#define VSW_DP_NICE_DEFAULT	-10

struct vsw_dp;
struct vsw_dp_switch;

/**
 * struct vsw_mac_dump - one MAC table entry, as copied for the control plane.
 */
struct vsw_mac_dump {
	uint8_t mac[6];
	uint16_t vlan;
	uint16_t port;
	uint64_t age_ms;
};

/**
 * struct vsw_dp_stats - what the data path thread did.
 */
struct vsw_dp_stats {
	uint64_t rounds;
	uint64_t sleeps;
	uint64_t frames;
};

/**
 * vsw_dp_new() - start the data path thread.
 * @poll_us: idle polling before sleeping
 * @nice:    the thread's nice value (below 0 needs CAP_SYS_NICE; without
 *           it the thread runs at 0 and says so once)
 * Return: NULL with @err set.
 */
struct vsw_dp *vsw_dp_new(unsigned poll_us, int nice, GError **err);
/** vsw_dp_free() - stop the thread; every switch must be gone. */
void vsw_dp_free(struct vsw_dp *dp);

/**
 * vsw_dp_switch_new() - a switch with its MAC table, known to the data path.
 * Return: NULL with @err set (bad parameters, no memory).
 */
struct vsw_dp_switch *vsw_dp_switch_new(struct vsw_dp *dp, uint32_t mac_capacity,
					uint64_t aging_ms, GError **err);
/** vsw_dp_switch_free() - forget a switch without ports. */
void vsw_dp_switch_free(struct vsw_dp *dp, struct vsw_dp_switch *s);
/** vsw_dp_switch_ports() - number of ports of @s. */
unsigned vsw_dp_switch_ports(struct vsw_dp *dp, struct vsw_dp_switch *s);

/**
 * vsw_dp_port_add() - attach @p (ops, fwd.mode/vlan, offloads, wait_fd
 * filled) to @s; the data path picks p->fwd.index.  Frames flow from the
 * moment this returns.  Return: 0, -ENOSPC (switch or data path full).
 */
int vsw_dp_port_add(struct vsw_dp *dp, struct vsw_dp_switch *s, struct vsw_port *p);
/** vsw_dp_port_del() - detach @p and forget its MACs; then it may be destroyed. */
void vsw_dp_port_del(struct vsw_dp *dp, struct vsw_port *p);
/** vsw_dp_port_set_vlan() - change mode and VLAN; forgets the port's MACs. */
void vsw_dp_port_set_vlan(struct vsw_dp *dp, struct vsw_port *p,
			  enum vsw_port_mode mode, uint16_t vlan,
			  const uint64_t *allowed);
/** vsw_dp_port_set_offloads() - what the port can receive from now on. */
void vsw_dp_port_set_offloads(struct vsw_dp *dp, struct vsw_port *p,
			      unsigned offloads);
/**
 * vsw_dp_mac_dump() - copy @s's MAC table.
 * Return: array of struct vsw_mac_dump (g_array_unref it).
 */
GArray *vsw_dp_mac_dump(struct vsw_dp *dp, struct vsw_dp_switch *s,
			uint32_t *capacity, struct vsw_mac_stats *stats);

/**
 * vsw_dp_notify_fd() - readable when the data path gave up on a port;
 * then call vsw_dp_take_dead() until it returns NULL.
 */
int vsw_dp_notify_fd(struct vsw_dp *dp);
/** vsw_dp_take_dead() - next port the data path stopped serving, or NULL. */
struct vsw_port *vsw_dp_take_dead(struct vsw_dp *dp);

/** vsw_dp_get_stats() - a copy of the thread's statistics. */
void vsw_dp_get_stats(struct vsw_dp *dp, struct vsw_dp_stats *st);

#endif /* VSWITCH_DATAPATH_H */
