/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lograte.h - messages a client or a guest can cause as often as it likes
 * are logged a bounded number of times (docs/design.md, "Bounded
 * resources"): vswitchd's port resets and closed connections, the NAT
 * helper's GLib and libslirp messages.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#ifndef VSWITCH_LOGRATE_H
#define VSWITCH_LOGRATE_H

#include <glib.h>
#include <stdbool.h>

/* One kind of message: its window, and what was said and not in it. */
struct vsw_log_rate {
	gint64 window_us;
	unsigned said;
	unsigned dropped;
};

/**
 * vsw_log_rate_ok() - may a message of kind @r be logged now, at most
 * @burst per @window_us?  When it may, *@dropped gets how many of its kind
 * were not since the last one that was.
 */
static inline bool vsw_log_rate_ok(struct vsw_log_rate *r, unsigned burst, gint64 window_us,
				   unsigned *dropped)
{
	gint64 now = g_get_monotonic_time();

	if (!r->window_us || now - r->window_us >= window_us) {
		r->window_us = now;
		r->said = 0;
	}
	if (r->said >= burst) {
		r->dropped++;
		return false;
	}
	r->said++;
	*dropped = r->dropped;
	r->dropped = 0;
	return true;
}

#endif /* VSWITCH_LOGRATE_H */
