// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - vswitchd: options, start-up, the main loop, shutdown.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "vswitchd.h"

static gboolean on_signal(gpointer data)
{
	struct vswd *d = data;

	g_message("shutting down");
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

/* Default socket and state paths for this user (DESIGN.md). */
static bool default_paths(struct vswd_config *cfg, GError **err)
{
	if (!cfg->sock_path) {
		char buf[108];
		int rc = vsw_default_sock_path(buf, sizeof(buf));

		if (rc < 0) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "no socket path: XDG_RUNTIME_DIR is not set "
				    "(use --socket PATH)");
			return false;
		}
		cfg->sock_path = g_strdup(buf);
	}
	if (!cfg->state_dir) {
		if (geteuid() == 0)
			cfg->state_dir = g_strdup("/var/lib/vswitch");
		else
			cfg->state_dir = g_build_filename(g_get_user_state_dir(),
							  "vswitch", NULL);
	}
	return true;
}

int main(int argc, char **argv)
{
	struct vswd d = { .listen_fd = -1 };
	g_autoptr(GError) err = NULL;
	g_autoptr(GOptionContext) ctx = NULL;
	gint poll_us = VSW_DP_POLL_US_DEFAULT, ring_kib = VSW_DATA_SIZE_DEFAULT / 1024;
	gint mac_capacity = VSW_MAC_CAPACITY_DEFAULT, mac_aging = VSW_MAC_AGING_MS_DEFAULT / 1000;
	gint dp_nice = VSW_DP_NICE_DEFAULT;
	gboolean version = FALSE;
	GOptionEntry entries[] = {
		{ "socket", 's', 0, G_OPTION_ARG_FILENAME, &d.cfg.sock_path,
		  "Control socket (default /run/vswitch/vswitchd.sock as root, "
		  "$XDG_RUNTIME_DIR/vswitch/vswitchd.sock otherwise)", "PATH" },
		{ "state-dir", 'd', 0, G_OPTION_ARG_FILENAME, &d.cfg.state_dir,
		  "Where the configuration persists (default /var/lib/vswitch as "
		  "root, $XDG_STATE_HOME/vswitch otherwise)", "DIR" },
		{ "socket-group", 'g', 0, G_OPTION_ARG_STRING, &d.cfg.sock_group,
		  "Let this group use the socket (mode 0660), e.g. for libvirt's QEMU", "GROUP" },
		{ "poll-us", 0, 0, G_OPTION_ARG_INT, &poll_us,
		  "Keep polling this long after the last frame before sleeping (default 50)", "US" },
		{ "ring-kib", 0, 0, G_OPTION_ARG_INT, &ring_kib,
		  "Data area of each port ring, power of two, 256..16384 (default 2048)", "KIB" },
		{ "dp-nice", 0, 0, G_OPTION_ARG_INT, &dp_nice,
		  "Nice value of the data path thread, -20..19 (default -10: like the "
		  "kernel's bridge, forwarding should not wait behind busy vCPUs; "
		  "without CAP_SYS_NICE it stays at 0)", "N" },
		{ "mac-capacity", 0, 0, G_OPTION_ARG_INT, &mac_capacity,
		  "MAC table entries per switch (default 8192)", "N" },
		{ "mac-aging", 0, 0, G_OPTION_ARG_INT, &mac_aging,
		  "Seconds before an idle MAC entry expires (default 300)", "S" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
		{ NULL }
	};
	int rc = 1;

	signal(SIGPIPE, SIG_IGN);
	ctx = g_option_context_new("- Hyper-V-style virtual switches for QEMU");
	g_option_context_set_description(ctx,
		"vswitchd runs in the foreground and logs to stderr; stop it with SIGTERM.\n"
		"Manage it with vswitchctl. Protocol: docs/protocol.md.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "vswitchd: %s (try --help)\n", err->message);
		return 2;
	}
	if (version) {
		printf("vswitchd %s (protocol %d)\n", VSW_VERSION_STRING, VSW_PROTOCOL_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "vswitchd: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	if (poll_us < 0 || poll_us > 100000 || ring_kib < 256 || ring_kib > 16384 ||
	    (ring_kib & (ring_kib - 1)) || mac_capacity < 16 || mac_capacity > (1 << 20) ||
	    mac_aging < 1 || mac_aging > 86400 || dp_nice < -20 || dp_nice > 19) {
		fprintf(stderr, "vswitchd: an option is out of range (see --help)\n");
		return 2;
	}
	d.cfg.poll_us = (unsigned)poll_us;
	d.cfg.ring_size = (uint32_t)ring_kib * 1024;
	d.cfg.mac_capacity = (uint32_t)mac_capacity;
	d.cfg.mac_aging_ms = (uint64_t)mac_aging * 1000;
	if (!default_paths(&d.cfg, &err))
		goto out;
	if (g_mkdir_with_parents(d.cfg.state_dir, 0700) < 0) {
		g_set_error(&err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot create %s: %s",
			    d.cfg.state_dir, g_strerror(errno));
		goto out;
	}
	d.conf_path = g_build_filename(d.cfg.state_dir, "vswitchd.conf", NULL);
	d.switches = g_hash_table_new(g_str_hash, g_str_equal);
	d.vlan_overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	d.loop = g_main_loop_new(NULL, FALSE);
	d.dp = vsw_dp_new(d.cfg.poll_us, dp_nice, &err);
	if (!d.dp)
		goto out;
	if (!vswd_switch_add_default(&d, &err) || !vswd_config_load(&d, &err) ||
	    !vswd_nat_start(&d, &err) || !vswd_control_start(&d, &err))
		goto out;
	g_unix_signal_add(SIGINT, on_signal, &d);
	g_unix_signal_add(SIGTERM, on_signal, &d);
	g_message("vswitchd %s listening on %s, state in %s, %u switch(es)",
		  VSW_VERSION_STRING, d.cfg.sock_path, d.conf_path,
		  g_hash_table_size(d.switches));
	g_main_loop_run(d.loop);
	rc = 0;
out:
	if (err)
		fprintf(stderr, "vswitchd: %s\n", err->message);
	vswd_control_stop(&d);
	vswd_nat_stop(&d);
	if (d.switches) {
		GHashTableIter it;
		gpointer v;

		g_hash_table_iter_init(&it, d.switches);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			g_hash_table_iter_steal(&it);
			vswd_switch_free(&d, v);
		}
		g_hash_table_unref(d.switches);
	}
	vsw_dp_free(d.dp);
	if (d.vlan_overrides)
		g_hash_table_unref(d.vlan_overrides);
	if (d.loop)
		g_main_loop_unref(d.loop);
	g_free(d.conf_path);
	g_free(d.cfg.sock_path);
	g_free(d.cfg.state_dir);
	g_free(d.cfg.sock_group);
	return rc;
}
