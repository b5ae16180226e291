// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * datapath.c - the thread that forwards every frame (see datapath.h).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "datapath.h"
#include "offload.h"
#include "ring-ops.h"

#define ETH_HLEN	14

struct vsw_dp_switch {
	struct vsw_mac_table mt;
	struct vsw_fwd_port *fports[VSW_SWITCH_MAX_PORTS];
	struct vsw_port *ports[VSW_SWITCH_MAX_PORTS];
	struct vsw_fwd_switch view;
	unsigned nports;
};

enum dp_cmd_type {
	CMD_SWITCH_ADD,
	CMD_SWITCH_DEL,
	CMD_SWITCH_RESERVED,
	CMD_PORT_ADD,
	CMD_PORT_DEL,
	CMD_PORT_FWD,
	CMD_PORT_OFFLOADS,
	CMD_MAC_DUMP,
	CMD_STOP,
};

struct dp_cmd {
	enum dp_cmd_type type;
	struct vsw_dp_switch *sw;
	struct vsw_port *port;
	const struct vsw_fwd_port *fwd;
	const struct vsw_mac_prefix *reserved;
	unsigned nreserved;
	unsigned offloads;
	GArray *dump;
	uint32_t capacity;
	struct vsw_mac_stats mstats;
	int result;
	bool done;
};

struct vsw_dp {
	pthread_t thread;
	bool threaded;
	int epfd;
	int cmd_fd;			/* control -> data path: commands queued */
	int notify_fd;			/* data path -> control: dead ports queued */
	uint64_t poll_ns;		/* polling after work, at most */
	uint64_t poll_cur_ns;		/* ... as it adapted */
	unsigned wakeups_max;
	int nice;
	void (*thread_init)(void);

	/* Shared with the control thread, under lock. */
	GMutex lock;
	GCond cond;
	GQueue cmds;
	GQueue dead;
	int cmds_pending;		/* atomic: cmds is not empty */
	struct vsw_dp_stats stats;	/* copied out under lock */

	/* Data path thread only. */
	struct vsw_port *ports[VSW_DP_MAX_PORTS];
	unsigned nports;
	struct vsw_port *dirty[VSW_DP_MAX_PORTS];
	unsigned ndirty;
	GPtrArray *switches;
	uint64_t now_ms;
	uint64_t last_aging_ms;
	uint64_t second;		/* now_ms / 1000 of the doorbell counts */
	unsigned nmuted;		/* ports muted this second */
	bool stop;
	struct vsw_fwd_result res;
	/*
	 * Decision cache: @res is the decision for a frame of @cache_in whose
	 * first 18 header bytes were @cache_hdr.  See vsw_dp_input().
	 */
	const struct vsw_port *cache_in;
	uint8_t cache_hdr[18];
	unsigned cost;			/* of the frame being forwarded */
	bool over_budget;		/* ... and it hit VSW_DP_FRAME_COST_MAX */
	uint8_t head[VSW_HDR_COPY];	/* private copy of the frame's headers */
	uint8_t frame[VSW_FRAME_MAX + 64];	/* assembled frame for offload work */
	uint8_t seg[VSW_FRAME_MAX + 64];	/* one segment */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The control plane's own eventfds (never shared with a client). */
static void eventfd_kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

static void eventfd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
}

/* ------------------------------------------------------------------ */
/* Forwarding                                                          */

static void mark_dirty(struct vsw_dp *dp, struct vsw_port *p)
{
	if (!p->dirty) {
		p->dirty = true;
		dp->dirty[dp->ndirty++] = p;
	}
}

static void flush_dirty(struct vsw_dp *dp)
{
	for (unsigned i = 0; i < dp->ndirty; i++) {
		struct vsw_port *p = dp->dirty[i];

		p->dirty = false;
		if (!p->dead)
			p->ops->flush(p);
	}
	dp->ndirty = 0;
}

/* Stop serving @p; the control thread resets it. */
static void port_fail(struct vsw_dp *dp, struct vsw_port *p)
{
	if (p->dead)
		return;
	p->dead = true;
	vsw_ctr_add(&p->ctr.resets, 1);
	g_mutex_lock(&dp->lock);
	g_queue_push_tail(&dp->dead, p);
	g_mutex_unlock(&dp->lock);
	eventfd_kick(dp->notify_fd);
}

/*
 * Write @x to @q, counting it against the frame's budget.
 * Return: 0, -ENOBUFS (ring full, or the frame's budget is spent: counted)
 * or -EPROTO (@q failed).
 */
static int port_tx(struct vsw_dp *dp, struct vsw_port *q, const struct vsw_xmit *x)
{
	int rc;

	if (dp->cost >= VSW_DP_FRAME_COST_MAX) {
		dp->over_budget = true;
		return -ENOBUFS;
	}
	dp->cost++;
	rc = q->ops->tx(q, x);
	if (rc == 0) {
		vsw_ctr_add(&q->ctr.tx_packets, 1);
		vsw_ctr_add(&q->ctr.tx_bytes, vsw_xmit_len(x));
		mark_dirty(dp, q);
	} else if (rc == -EPROTO) {
		port_fail(dp, q);
	} else {
		vsw_ctr_add(&q->ctr.drops[VSW_DROP_RING_FULL], 1);
	}
	return rc;
}

struct seg_ctx {
	struct vsw_dp *dp;
	struct vsw_port *q;
};

/* One segment out; an error stops the segmentation (the rest is dropped). */
static int emit_segment(void *opaque, const uint8_t *seg, uint32_t len)
{
	struct seg_ctx *c = opaque;
	struct vsw_xmit x = {
		.head = seg,
		.head_len = len,
	};

	return port_tx(c->dp, c->q, &x) ? -ENOBUFS : 0;
}

/*
 * @q cannot take @x's offloads (or nobody may: @need says what): assemble
 * a private copy, then checksum or segment it in software.  Segmentation
 * stops at the first full ring.  Return: false if the frame is malformed.
 */
static bool tx_software(struct vsw_dp *dp, struct vsw_port *q,
			const struct vsw_xmit *x, unsigned need)
{
	uint32_t len = vsw_xmit_len(x);
	struct vsw_vnet_hdr vnet = x->vnet;
	struct seg_ctx c = { dp, q };
	int rc;

	vsw_xmit_write(dp->frame, x);
	if (need & VSW_OFFLOAD_NEED_GSO) {
		rc = vsw_gso_segment(dp->frame, len, &vnet, dp->seg, sizeof(dp->seg),
				     emit_segment, &c);
		return rc >= 0 || rc == -ENOBUFS;
	}
	if (vsw_csum_complete(dp->frame, len, &vnet) < 0)
		return false;
	struct vsw_xmit y = {
		.head = dp->frame,
		.head_len = len,
		.vnet = vnet,
	};
	port_tx(dp, q, &y);
	return true;
}

/*
 * memcpy() of @n (at most VSW_HDR_COPY) bytes in fixed-size pieces, the
 * last one overlapping the one before: they compile to vector moves,
 * whose stores the decision's loads right after are forwarded.  A memcpy()
 * of variable size became `rep movs`, which forwards nothing: with its
 * start-up it cost the 64-byte frame a third of its time (perf).  A byte
 * read twice from shared memory is only ever used as the last read left it.
 */
static inline void copy_head(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	if (n >= 64) {
		uint32_t off = 0;

		for (; n - off > 64; off += 64)
			memcpy(dst + off, src + off, 64);
		memcpy(dst + n - 64, src + n - 64, 64);
	} else if (n >= 16) {
		memcpy(dst, src, 16);
		if (n > 32)
			memcpy(dst + 16, src + 16, 16);
		if (n > 48)
			memcpy(dst + 32, src + 32, 16);
		memcpy(dst + n - 16, src + n - 16, 16);
	} else {
		memcpy(dst, src, n);
	}
}

unsigned vsw_dp_input(struct vsw_dp *dp, struct vsw_port *in,
		      const struct vsw_frame_in *f)
{
	struct vsw_dp_switch *s = in->dsw;
	struct vsw_fwd_result *res = &dp->res;
	struct vsw_vnet_hdr vnet;
	uint32_t hlen = f->len < VSW_HDR_COPY ? f->len : VSW_HDR_COPY;
	unsigned force = 0;
	struct vsw_xmit x;
	int delta_in;

	vsw_ctr_add(&in->ctr.rx_packets, 1);
	vsw_ctr_add(&in->ctr.rx_bytes, f->len);
	dp->cost = 1;
	dp->over_budget = false;
	/*
	 * Decide on a private copy of the headers: the guest may rewrite the
	 * shared bytes meanwhile, and what goes out is what was decided on
	 * (the copy is what is written to the egress ports; only the payload
	 * after it comes from shared memory).
	 */
	copy_head(dp->head, f->data, hlen);
	/*
	 * A frame from the same port with the same addresses, ethertype and
	 * tag as the last decided one gets the same decision: within a round
	 * nothing but vsw_fwd_decide() changes the MAC table or the ports
	 * (commands and aging run between rounds, and dp_thread() clears the
	 * cache then), and every frame that misses replaces the cache, so the
	 * table is as the cached decision left it: learning the same source
	 * on the same port at the same now_ms is a no-op and the lookup gives
	 * the same port.  The decision (the MAC guards included) reads no more
	 * of the header than 18 bytes (addresses, ethertype, tag, inner
	 * ethertype) and of the length only whether it is below 20, so shorter
	 * frames are always decided afresh.
	 */
	if (in != dp->cache_in || hlen < 20 ||
	    memcmp(dp->head, dp->cache_hdr, sizeof(dp->cache_hdr))) {
		vsw_fwd_decide(&s->view, &in->fwd, dp->head, f->len, dp->now_ms, res);
		dp->cache_in = hlen < 20 ? NULL : in;
		memcpy(dp->cache_hdr, dp->head, sizeof(dp->cache_hdr));
	}
	if (res->drop) {
		vsw_ctr_add(&in->ctr.drops[res->drop], 1);
		return dp->cost;
	}
	if (in->fwd.flags & VSW_FWD_F_GUARDS) {
		enum vsw_drop why = vsw_fwd_guard(&in->fwd, dp->head, hlen, f->len,
						  res->l2_len);

		if (why) {
			vsw_ctr_add(&in->ctr.drops[why], 1);
			return dp->cost;
		}
	}
	/*
	 * Every header that reaches another port is one the switch rebuilt
	 * from the frame's own headers (docs/design.md, "Offloads").  A plain
	 * frame (all zero) needs no parsing.
	 */
	if (!f->vnet.flags && !f->vnet.gso_type) {
		memset(&vnet, 0, sizeof(vnet));
	} else {
		int v = vsw_vnet_check(dp->head, hlen, f->len, &f->vnet, &vnet);

		if (v == VSW_VNET_BAD) {
			vsw_ctr_add(&in->ctr.drops[VSW_DROP_BAD_OFFLOAD], 1);
			return dp->cost;
		}
		if (v == VSW_VNET_SOFTWARE)
			force = vnet.gso_type != VSW_VNET_GSO_NONE ? VSW_OFFLOAD_NEED_GSO :
								     VSW_OFFLOAD_NEED_CSUM;
	}
	x.head = dp->head;
	x.head_len = hlen;
	x.in_tag = (uint8_t)(res->l2_len - ETH_HLEN);
	x.payload = f->data + hlen;
	x.payload_len = f->len - hlen;
	delta_in = res->l2_len - ETH_HLEN;

	for (unsigned i = 0; i < res->n && !dp->over_budget; i++) {
		struct vsw_port *q = s->ports[res->out[i]];
		int delta;
		unsigned need;

		x.tci = vsw_fwd_egress_tag(&q->fwd, res->vlan);
		if (x.tci)
			x.tci |= (uint16_t)(res->pcp << 13);
		x.vnet = vnet;
		delta = (x.tci ? 4 : 0) - delta_in;
		if (delta) {
			if (x.vnet.flags & VSW_VNET_F_NEEDS_CSUM)
				x.vnet.csum_start = (uint16_t)(x.vnet.csum_start + delta);
			if (x.vnet.gso_type != VSW_VNET_GSO_NONE && x.vnet.hdr_len)
				x.vnet.hdr_len = (uint16_t)(x.vnet.hdr_len + delta);
		}
		/* Plain frames (no GSO, no partial checksum) need nothing: skip the call. */
		need = force ? force :
		       x.vnet.gso_type == VSW_VNET_GSO_NONE &&
		       !(x.vnet.flags & VSW_VNET_F_NEEDS_CSUM) ? 0 :
		       vsw_offload_needed(&x.vnet, q->offloads);
		if (!need) {
			port_tx(dp, q, &x);
		} else if (!tx_software(dp, q, &x, need)) {
			/* Malformed for segmentation: nobody gets it. */
			vsw_ctr_add(&in->ctr.drops[VSW_DROP_BAD_OFFLOAD], 1);
			break;
		}
	}
	if (dp->over_budget)
		vsw_ctr_add(&in->ctr.drops[VSW_DROP_OVER_BUDGET], 1);
	return dp->cost;
}

int vsw_port_ring_rx(struct vsw_port *p, struct vsw_dp *dp,
		     struct vsw_ring_cons *c, unsigned budget)
{
	struct vsw_rec_view v;
	unsigned cost = 0;
	int rc = 0;

	while (cost < budget) {
		struct vsw_frame_in f;

		rc = vsw_cons_peek(c, &v);
		if (rc <= 0)
			break;
		f.data = v.data;
		f.len = v.len;
		f.vnet = v.vnet;
		cost += vsw_dp_input(dp, p, &f);
		vsw_cons_advance(c, &v);
	}
	return rc < 0 ? rc : (int)cost;
}

int vsw_port_ring_tx(struct vsw_ring_prod *prod, const struct vsw_xmit *x)
{
	uint32_t len = vsw_xmit_len(x);
	struct vsw_rec *rec;
	int err;

	rec = vsw_prod_reserve(prod, len, &err);
	if (!rec)
		return err ? err : -ENOBUFS;
	rec->len = len;
	rec->flags = 0;
	rec->rsvd = 0;
	rec->vnet = x->vnet;
	rec->rsvd2 = 0;
	vsw_xmit_write((uint8_t *)(rec + 1), x);
	vsw_prod_commit(prod, len);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */

static int port_slot_alloc(struct vsw_dp_switch *s)
{
	for (unsigned i = 0; i < VSW_SWITCH_MAX_PORTS; i++)
		if (!s->ports[i])
			return (int)i;
	return -1;
}

static void view_update(struct vsw_dp_switch *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VSW_SWITCH_MAX_PORTS; i++)
		if (s->ports[i])
			n = i + 1;
	s->view.nslots = n;
}

/* Watch @p's doorbell (or stop: @on false); Return: 0 or -errno. */
static int watch(struct vsw_dp *dp, struct vsw_port *p, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };

	if (p->wait_fd < 0 || p->watched == on)
		return 0;
	if (epoll_ctl(dp->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, p->wait_fd, &ev) < 0)
		return -errno;
	p->watched = on;
	return 0;
}

static void run_cmd(struct vsw_dp *dp, struct dp_cmd *c)
{
	struct vsw_port *p = c->port;
	int slot;

	c->result = 0;
	switch (c->type) {
	case CMD_SWITCH_ADD:
		g_ptr_array_add(dp->switches, c->sw);
		break;
	case CMD_SWITCH_DEL:
		g_ptr_array_remove(dp->switches, c->sw);
		break;
	case CMD_SWITCH_RESERVED:
		c->sw->view.nreserved = c->nreserved;
		memcpy(c->sw->view.reserved, c->reserved, c->nreserved * sizeof(*c->reserved));
		break;
	case CMD_PORT_ADD:
		slot = port_slot_alloc(c->sw);
		if (slot < 0 || dp->nports >= VSW_DP_MAX_PORTS) {
			c->result = -ENOSPC;
			break;
		}
		p->watched = false;
		c->result = watch(dp, p, true);
		if (c->result < 0)
			break;
		p->fwd.index = (uint16_t)slot;
		p->dsw = c->sw;
		p->dirty = false;
		p->dead = false;
		p->credit = VSW_DP_QUANTUM;
		p->wakeups = 0;
		p->dp_slot = (int)dp->nports;
		dp->ports[dp->nports++] = p;
		c->sw->ports[slot] = p;
		c->sw->fports[slot] = &p->fwd;
		c->sw->nports++;
		view_update(c->sw);
		break;
	case CMD_PORT_DEL:
		watch(dp, p, false);
		/* Keep the port array dense: move the last port into the hole. */
		dp->ports[p->dp_slot] = dp->ports[--dp->nports];
		dp->ports[p->dp_slot]->dp_slot = p->dp_slot;
		dp->ports[dp->nports] = NULL;
		for (unsigned i = 0; i < dp->ndirty; i++)
			if (dp->dirty[i] == p)
				dp->dirty[i] = dp->dirty[--dp->ndirty];
		c->sw->ports[p->fwd.index] = NULL;
		c->sw->fports[p->fwd.index] = NULL;
		c->sw->nports--;
		view_update(c->sw);
		vsw_mac_flush_port(&c->sw->mt, p->fwd.index);
		p->dp_slot = -1;
		break;
	case CMD_PORT_FWD: {
		uint16_t index = p->fwd.index;

		p->fwd = *c->fwd;
		p->fwd.index = index;
		vsw_mac_flush_port(&p->dsw->mt, index);
		break;
	}
	case CMD_PORT_OFFLOADS:
		p->offloads = c->offloads;
		break;
	case CMD_MAC_DUMP:
		c->capacity = c->sw->mt.capacity;
		c->mstats = c->sw->mt.stats;
		for (uint32_t i = 0; i < c->sw->mt.capacity; i++) {
			const struct vsw_mac_entry *e = &c->sw->mt.e[i];
			struct vsw_mac_dump d;

			if (!e->used || dp->now_ms - e->seen >= c->sw->mt.aging_ms)
				continue;
			memcpy(d.mac, e->mac, 6);
			d.vlan = e->vlan;
			d.port = e->port;
			d.age_ms = dp->now_ms - e->seen;
			g_array_append_val(c->dump, d);
		}
		break;
	case CMD_STOP:
		dp->stop = true;
		break;
	}
}

static void run_cmds(struct vsw_dp *dp)
{
	struct dp_cmd *c;

	g_mutex_lock(&dp->lock);
	__atomic_store_n(&dp->cmds_pending, 0, __ATOMIC_RELAXED);
	while ((c = g_queue_pop_head(&dp->cmds))) {
		run_cmd(dp, c);
		c->done = true;
	}
	g_cond_broadcast(&dp->cond);
	g_mutex_unlock(&dp->lock);
}

/*
 * Control thread: run @c on the data path and wait for it.  The wait is
 * bounded by one round, which the fair shares bound.
 */
static void exec_cmd(struct vsw_dp *dp, struct dp_cmd *c)
{
	if (!dp->threaded) {
		run_cmd(dp, c);
		return;
	}
	c->done = false;
	g_mutex_lock(&dp->lock);
	g_queue_push_tail(&dp->cmds, c);
	__atomic_store_n(&dp->cmds_pending, 1, __ATOMIC_RELEASE);
	eventfd_kick(dp->cmd_fd);
	while (!c->done)
		g_cond_wait(&dp->cond, &dp->lock);
	g_mutex_unlock(&dp->lock);
}

/* ------------------------------------------------------------------ */
/* The thread                                                          */

/*
 * A new second: doorbell counts start again and muted ports are heard
 * again.
 */
static void new_second(struct vsw_dp *dp)
{
	dp->second = dp->now_ms / 1000;
	for (unsigned i = 0; i < dp->nports; i++) {
		struct vsw_port *p = dp->ports[i];

		p->wakeups = 0;
		if (!p->watched && !p->dead && p->wait_fd >= 0)
			watch(dp, p, true);
	}
	dp->nmuted = 0;
}

/* @p's doorbell woke us: count it, mute it if it rings too often. */
static void doorbell(struct vsw_dp *dp, struct vsw_port *p)
{
	vsw_ctr_add(&p->ctr.wakeups, 1);
	if (!p->ops->drain(p)) {
		/* The peer hung up: its connection's end resets the port. */
		watch(dp, p, false);
		return;
	}
	if (++p->wakeups > dp->wakeups_max) {
		watch(dp, p, false);
		vsw_ctr_add(&p->ctr.muted, 1);
		dp->nmuted++;
	}
}

static void dp_sleep(struct vsw_dp *dp)
{
	struct epoll_event evs[64];
	bool pending = false;
	int n;

	for (unsigned i = 0; i < dp->nports; i++) {
		struct vsw_port *p = dp->ports[i];

		if (!p->dead && p->ops->arm(p))
			pending = true;
	}
	if (!pending && !__atomic_load_n(&dp->cmds_pending, __ATOMIC_ACQUIRE)) {
		/* Muted ports are polled, not heard: come back for them soon. */
		n = epoll_wait(dp->epfd, evs, G_N_ELEMENTS(evs),
			       dp->nmuted ? VSW_DP_MUTED_POLL_MS : 1000);
		dp->now_ms = mono_ns() / 1000000;
		if (dp->now_ms / 1000 != dp->second)
			new_second(dp);
		for (int i = 0; i < n; i++) {
			struct vsw_port *p = evs[i].data.ptr;

			if (p)
				doorbell(dp, p);
			else
				eventfd_drain(dp->cmd_fd);
		}
		dp->stats.sleeps++;
	}
	for (unsigned i = 0; i < dp->nports; i++) {
		struct vsw_port *p = dp->ports[i];

		if (!p->dead)
			p->ops->disarm(p);
	}
}

/*
 * Serve every port once, by deficit round robin.  Return: the cost spent;
 * *@owed is set if a port with frames waits to pay its debt.
 */
static unsigned serve(struct vsw_dp *dp, bool *owed)
{
	unsigned work = 0;

	*owed = false;
	for (unsigned i = 0; i < dp->nports; i++) {
		struct vsw_port *p = dp->ports[i];
		int n;

		if (p->dead)
			continue;
		p->credit += VSW_DP_QUANTUM;
		if (p->credit > VSW_DP_QUANTUM)
			p->credit = VSW_DP_QUANTUM;	/* no saving up while idle */
		if (p->credit <= 0) {
			*owed = true;
			continue;
		}
		n = p->ops->rx(p, dp, (unsigned)p->credit);
		if (n < 0) {
			port_fail(dp, p);
			continue;
		}
		p->credit -= n;
		work += (unsigned)n;
	}
	flush_dirty(dp);
	return work;
}

static void age_tables(struct vsw_dp *dp)
{
	dp->last_aging_ms = dp->now_ms;
	for (unsigned i = 0; i < dp->switches->len; i++) {
		struct vsw_dp_switch *s = g_ptr_array_index(dp->switches, i);

		vsw_mac_age(&s->mt, dp->now_ms);
	}
}

static void *dp_thread(void *arg)
{
	struct vsw_dp *dp = arg;
	uint64_t idle_since = 0, rounds = 0, frames = 0;

	if (dp->nice && setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), dp->nice) < 0)
		g_message("data path thread at nice 0, not %d: %s", dp->nice, g_strerror(errno));
	if (dp->thread_init)
		dp->thread_init();

	while (!dp->stop) {
		uint64_t now = mono_ns();
		unsigned work;
		bool owed;

		dp->now_ms = now / 1000000;
		if (dp->now_ms / 1000 != dp->second)
			new_second(dp);
		/* The MAC table may age, and commands change ports: decide afresh. */
		dp->cache_in = NULL;
		if (__atomic_load_n(&dp->cmds_pending, __ATOMIC_ACQUIRE))
			run_cmds(dp);
		work = serve(dp, &owed);
		rounds++;
		frames += work;
		if (dp->now_ms - dp->last_aging_ms >= 1000) {
			age_tables(dp);
			g_mutex_lock(&dp->lock);
			dp->stats.rounds = rounds;
			dp->stats.frames = frames;
			g_mutex_unlock(&dp->lock);
		}
		if (work || owed) {
			if (idle_since && work) {
				/* Polling found work: poll as long again, up to poll_us. */
				dp->poll_cur_ns = MIN(dp->poll_cur_ns * 2 + 1000, dp->poll_ns);
			}
			idle_since = 0;
			continue;
		}
		if (!idle_since) {
			idle_since = now;
			continue;
		}
		if (now - idle_since < dp->poll_cur_ns) {
			/*
			 * Poll politely: on a machine with few CPUs the client
			 * that will give us work may be waiting for this one.
			 */
			sched_yield();
			continue;
		}
		/* Polling found nothing: next time poll half as long. */
		dp->poll_cur_ns /= 2;
		dp_sleep(dp);
		idle_since = 0;
	}
	return NULL;
}

unsigned vsw_dp_round(struct vsw_dp *dp)
{
	bool owed;

	dp->now_ms = mono_ns() / 1000000;
	dp->cache_in = NULL;
	if (dp->now_ms - dp->last_aging_ms >= 1000)
		age_tables(dp);
	return serve(dp, &owed);
}

/* ------------------------------------------------------------------ */
/* Control thread API                                                  */

struct vsw_dp *vsw_dp_new(const struct vsw_dp_opts *opts, GError **err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct vsw_dp *dp = g_malloc0(sizeof(*dp));
	int rc;

	dp->poll_ns = (uint64_t)opts->poll_us * 1000;
	dp->poll_cur_ns = dp->poll_ns;
	dp->nice = opts->nice;
	dp->wakeups_max = opts->wakeups_per_s ? opts->wakeups_per_s : VSW_DP_WAKEUPS_DEFAULT;
	dp->thread_init = opts->thread_init;
	dp->epfd = epoll_create1(EPOLL_CLOEXEC);
	dp->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dp->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dp->epfd < 0 || dp->cmd_fd < 0 || dp->notify_fd < 0 ||
	    epoll_ctl(dp->epfd, EPOLL_CTL_ADD, dp->cmd_fd, &ev) < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
			    "data path set-up: %s", g_strerror(errno));
		goto fail;
	}
	g_mutex_init(&dp->lock);
	g_cond_init(&dp->cond);
	g_queue_init(&dp->cmds);
	g_queue_init(&dp->dead);
	dp->switches = g_ptr_array_new();
	if (opts->no_thread)
		return dp;
	rc = pthread_create(&dp->thread, NULL, dp_thread, dp);
	if (rc) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(rc),
			    "cannot start the data path thread: %s", g_strerror(rc));
		g_ptr_array_free(dp->switches, TRUE);
		goto fail;
	}
	dp->threaded = true;
	pthread_setname_np(dp->thread, "vswitch-dp");
	return dp;
fail:
	if (dp->epfd >= 0)
		close(dp->epfd);
	if (dp->cmd_fd >= 0)
		close(dp->cmd_fd);
	if (dp->notify_fd >= 0)
		close(dp->notify_fd);
	g_free(dp);
	return NULL;
}

void vsw_dp_free(struct vsw_dp *dp)
{
	struct dp_cmd c = { .type = CMD_STOP };

	if (!dp)
		return;
	exec_cmd(dp, &c);
	if (dp->threaded)
		pthread_join(dp->thread, NULL);
	close(dp->epfd);
	close(dp->cmd_fd);
	close(dp->notify_fd);
	g_queue_clear(&dp->cmds);
	g_queue_clear(&dp->dead);
	g_ptr_array_free(dp->switches, TRUE);
	g_mutex_clear(&dp->lock);
	g_cond_clear(&dp->cond);
	g_free(dp);
}

struct vsw_dp_switch *vsw_dp_switch_new(struct vsw_dp *dp, uint32_t mac_capacity,
					uint64_t aging_ms, GError **err)
{
	struct vsw_dp_switch *s = g_malloc0(sizeof(*s));
	struct dp_cmd c = { .type = CMD_SWITCH_ADD, .sw = s };
	int rc;

	rc = vsw_mac_table_init(&s->mt, mac_capacity, aging_ms,
				((uint64_t)g_random_int() << 32) | g_random_int());
	if (rc < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(-rc),
			    "MAC table of %u entries, aging %" G_GUINT64_FORMAT " ms: %s",
			    mac_capacity, aging_ms, g_strerror(-rc));
		g_free(s);
		return NULL;
	}
	s->view.ports = s->fports;
	s->view.mt = &s->mt;
	exec_cmd(dp, &c);
	return s;
}

void vsw_dp_switch_free(struct vsw_dp *dp, struct vsw_dp_switch *s)
{
	struct dp_cmd c = { .type = CMD_SWITCH_DEL, .sw = s };

	if (!s)
		return;
	g_assert(s->nports == 0);
	exec_cmd(dp, &c);
	vsw_mac_table_destroy(&s->mt);
	g_free(s);
}

unsigned vsw_dp_switch_ports(struct vsw_dp *dp, struct vsw_dp_switch *s)
{
	/* Changed only by commands the control thread itself runs. */
	return s->nports;
}

void vsw_dp_switch_set_reserved(struct vsw_dp *dp, struct vsw_dp_switch *s,
				const struct vsw_mac_prefix *p, unsigned n)
{
	struct dp_cmd c = { .type = CMD_SWITCH_RESERVED, .sw = s, .reserved = p,
			    .nreserved = MIN(n, VSW_FWD_RESERVED_MAX) };

	exec_cmd(dp, &c);
}

int vsw_dp_port_add(struct vsw_dp *dp, struct vsw_dp_switch *s, struct vsw_port *p)
{
	struct dp_cmd c = { .type = CMD_PORT_ADD, .sw = s, .port = p };

	exec_cmd(dp, &c);
	return c.result;
}

void vsw_dp_port_del(struct vsw_dp *dp, struct vsw_port *p)
{
	struct dp_cmd c = { .type = CMD_PORT_DEL, .sw = p->dsw, .port = p };

	if (p->dp_slot < 0)
		return;
	exec_cmd(dp, &c);
	/* It may also sit on the dead queue: take it off. */
	g_mutex_lock(&dp->lock);
	g_queue_remove(&dp->dead, p);
	g_mutex_unlock(&dp->lock);
}

void vsw_dp_port_set_fwd(struct vsw_dp *dp, struct vsw_port *p,
			 const struct vsw_fwd_port *f)
{
	struct dp_cmd c = { .type = CMD_PORT_FWD, .port = p, .fwd = f };

	exec_cmd(dp, &c);
}

void vsw_dp_port_set_offloads(struct vsw_dp *dp, struct vsw_port *p,
			      unsigned offloads)
{
	struct dp_cmd c = { .type = CMD_PORT_OFFLOADS, .port = p,
			    .offloads = offloads };

	exec_cmd(dp, &c);
}

GArray *vsw_dp_mac_dump(struct vsw_dp *dp, struct vsw_dp_switch *s,
			uint32_t *capacity, struct vsw_mac_stats *stats)
{
	struct dp_cmd c = { .type = CMD_MAC_DUMP, .sw = s };

	/* Sized for a full table: the data path thread never reallocates it. */
	c.dump = g_array_sized_new(FALSE, FALSE, sizeof(struct vsw_mac_dump),
				   s->mt.capacity);
	exec_cmd(dp, &c);
	if (capacity)
		*capacity = c.capacity;
	if (stats)
		*stats = c.mstats;
	return c.dump;
}

int vsw_dp_notify_fd(struct vsw_dp *dp)
{
	return dp->notify_fd;
}

struct vsw_port *vsw_dp_take_dead(struct vsw_dp *dp)
{
	struct vsw_port *p;

	eventfd_drain(dp->notify_fd);
	g_mutex_lock(&dp->lock);
	p = g_queue_pop_head(&dp->dead);
	g_mutex_unlock(&dp->lock);
	return p;
}

void vsw_dp_get_stats(struct vsw_dp *dp, struct vsw_dp_stats *st)
{
	g_mutex_lock(&dp->lock);
	*st = dp->stats;
	g_mutex_unlock(&dp->lock);
}
