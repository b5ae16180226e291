/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * datapath.h - the data path thread and how the control plane talks to it.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * One thread moves every frame of every switch.  It owns the ports' rings,
 * the MAC tables and the forwarding state; the control thread changes them
 * only through commands (vsw_dp_*() below), which the data path applies
 * between two rounds.  The data path never takes a lock the control thread
 * holds for longer than a queue operation, never allocates, and never
 * blocks on anything but its own epoll set while idle: its doorbells are
 * its own ends of socket pairs, read and written with MSG_DONTWAIT, so
 * nothing a client does to its end (clear O_NONBLOCK, stop reading, fill
 * the queue, hang up) can make one of its calls wait.
 *
 * Fair shares (docs/design.md, "Fair shares").  Every frame has a cost:
 * one, plus one per copy or segment written to a port.  Ports are served
 * in rounds by deficit round robin: each round a port may spend
 * VSW_DP_QUANTUM; a frame that costs more (a GSO frame segmented for many
 * ports) is finished, and the port pays the debt in the next rounds before
 * it is served again.  One frame may cost at most VSW_DP_FRAME_COST_MAX:
 * copies beyond that are dropped ("over-budget").  So a port gets its
 * share of the thread whatever it sends, and a round is bounded.
 *
 * Doorbells.  A port whose doorbell woke the data path more than
 * wakeups_per_s times in one second is muted for the rest of that second:
 * its ring is still served in every round, and at least every
 * VSW_DP_MUTED_POLL_MS while the thread would otherwise sleep, but its
 * doorbell no longer wakes the thread.
 *
 * Priority: the thread runs at a lower nice value than the VMs (-10 by
 * default), as the kernel's bridge forwards in softirq context: on a host
 * whose CPUs are busy running vCPUs, a frame should not wait for a time
 * slice at every hop.  It sleeps whenever it has nothing to do, so it
 * takes from the VMs only the CPU the frames need (measured: TCP between
 * two TCG guests went from 1.30 to 1.48 Gbit/s).
 *
 * Idle policy: after a round with no frames the thread keeps polling for
 * up to poll_us microseconds (a wakeup through a doorbell costs 30-40 us on
 * the virtual machines this runs on), yielding the CPU between polls (on a
 * machine with few CPUs the client that will give it work may be waiting
 * for this one), then arms every port's doorbell and sleeps in
 * epoll_wait() for at most a second (MAC aging runs then).  The polling
 * time adapts, as QEMU's iothreads do: a poll that found work doubles it
 * (up to poll_us), one that ran out halves it, so a peer that rings just
 * after each poll gives up costs the thread almost nothing.
 */
#ifndef VSWITCH_DATAPATH_H
#define VSWITCH_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>

#include <gio/gio.h>

#include "port.h"

#define VSW_DP_MAX_PORTS	4096
#define VSW_DP_QUANTUM		512	/* cost a port may spend per round */
#define VSW_DP_FRAME_COST_MAX	4096	/* cost one frame may reach */
#define VSW_DP_POLL_US_DEFAULT	50
#define VSW_DP_NICE_DEFAULT	-10
#define VSW_DP_WAKEUPS_DEFAULT	20000	/* doorbell wakeups per port per second */
#define VSW_DP_MUTED_POLL_MS	1

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
 * struct vsw_dp_opts - how the data path runs.
 * @poll_us:       idle polling before sleeping, at most
 * @nice:          the thread's nice value (below 0 needs CAP_SYS_NICE; without
 *                 it the thread runs at 0 and says so once)
 * @wakeups_per_s: doorbell wakeups a port may cause per second (0: 20000)
 * @no_thread:     no thread: commands run at once and the caller drives the
 *                 rounds with vsw_dp_round() (unit tests, fuzzers)
 * @thread_init:   called by the thread once it set its priority, or NULL
 */
struct vsw_dp_opts {
	unsigned poll_us;
	int nice;
	unsigned wakeups_per_s;
	bool no_thread;
	void (*thread_init)(void);
};

/** vsw_dp_new() - start the data path.  Return: NULL with @err set. */
struct vsw_dp *vsw_dp_new(const struct vsw_dp_opts *opts, GError **err);
/** vsw_dp_free() - stop the thread; every switch must be gone. */
void vsw_dp_free(struct vsw_dp *dp);
/** vsw_dp_round() - without a thread: serve every port once, publish. */
unsigned vsw_dp_round(struct vsw_dp *dp);

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
 * vsw_dp_switch_set_reserved() - the MAC prefixes only a port with
 * VSW_FWD_F_RESERVED may send from (at most VSW_FWD_RESERVED_MAX).
 */
void vsw_dp_switch_set_reserved(struct vsw_dp *dp, struct vsw_dp_switch *s,
				const struct vsw_mac_prefix *p, unsigned n);

/**
 * vsw_dp_port_add() - attach @p (ops, fwd, offloads, wait_fd filled) to
 * @s; the data path picks p->fwd.index.  Frames flow from the moment this
 * returns.  Return: 0, -ENOSPC (switch or data path full).
 */
int vsw_dp_port_add(struct vsw_dp *dp, struct vsw_dp_switch *s, struct vsw_port *p);
/** vsw_dp_port_del() - detach @p and forget its MACs; then it may be destroyed. */
void vsw_dp_port_del(struct vsw_dp *dp, struct vsw_port *p);
/**
 * vsw_dp_port_set_fwd() - change mode, VLAN, guards and MACs of @p from the
 * next frame on (@f's index is ignored); forgets the port's learnt MACs.
 */
void vsw_dp_port_set_fwd(struct vsw_dp *dp, struct vsw_port *p,
			 const struct vsw_fwd_port *f);
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
