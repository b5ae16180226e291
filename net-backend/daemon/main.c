// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - vswitchd: options, start-up, the main loop, shutdown.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Start-up order (docs/design.md, "Processes" and "Privileges"): what
 * needs root first (the state directory, the control socket), then the
 * privileges go (privs.c), then the data path thread starts, the runtime
 * follows the model, the NAT helper starts, and only then are clients
 * accepted.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "control.h"
#include "store.h"

static gboolean on_signal(gpointer data)
{
	struct vswd *d = data;

	g_message("shutting down");
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

/*
 * Readiness for systemd (Type=notify), without libsystemd: the protocol
 * of sd_notify(3) is one datagram on the AF_UNIX socket NOTIFY_SOCKET
 * names, a path or, after '@', an abstract name.  notify_open() runs
 * first, as root and before any thread: it connects the socket (after
 * start-up we may no longer be allowed to) and removes NOTIFY_SOCKET
 * from the environment, so that the NAT helper does not inherit it.
 * Return: the socket, or -1 (not asked for, or it failed: logged).
 */
static int notify_open(void)
{
	const char *name = g_getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = name ? strlen(name) : 0;
	socklen_t salen;
	int fd;

	if (!name)
		return -1;
	if ((name[0] != '/' && name[0] != '@') || len < 2 || len > sizeof(sa.sun_path) - 1) {
		g_warning("NOTIFY_SOCKET=%s: not a socket path or abstract name; "
			  "no readiness notification", name);
		g_unsetenv("NOTIFY_SOCKET");
		return -1;
	}
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract: no terminating NUL either */
	else
		len++;
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		g_warning("NOTIFY_SOCKET=%s: %s; no readiness notification", name,
			  g_strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	g_unsetenv("NOTIFY_SOCKET");
	return fd;
}

static void notify_send(int fd, const char *msg)
{
	if (fd >= 0 && send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
		g_warning("cannot notify systemd (%s): %s", msg, g_strerror(errno));
}

/* Default socket and state paths for this user (docs/protocol.md). */
static bool default_paths(struct vswd_config *cfg, GError **err)
{
	if (!cfg->sock_path) {
		const char *xdg = g_getenv("XDG_RUNTIME_DIR");
		char buf[108];
		int rc;

		/*
		 * Clients of a user without XDG_RUNTIME_DIR go to the system
		 * daemon's socket; a daemon of such a user has none of its own.
		 */
		if (geteuid() != 0 && (!xdg || xdg[0] != '/')) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "no socket path: XDG_RUNTIME_DIR is not set, and "
				    VSW_SYSTEM_SOCK_PATH " is root's (use --socket PATH)");
			return false;
		}
		rc = vsw_default_sock_path(buf, sizeof(buf));
		if (rc < 0) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "no socket path: $XDG_RUNTIME_DIR is too long "
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
	if (!cfg->nat_helper) {
		/* Next to vswitchd (the build tree, a copy), else where it is installed. */
		g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
		g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
		g_autofree char *near = dir ? g_build_filename(dir, "vswitch-natd", NULL) : NULL;

		if (near && g_file_test(near, G_FILE_TEST_IS_EXECUTABLE))
			cfg->nat_helper = g_steal_pointer(&near);
		else
			cfg->nat_helper = g_build_filename(VSWD_LIBEXECDIR, "vswitch-natd", NULL);
	}
	if (!cfg->nat_user)
		cfg->nat_user = g_strdup("nobody");
	return true;
}

/*
 * Raise the soft fd limit to the hard one, and fit the connection bound to
 * it: a connection with a port holds three fds (its socket, the doorbells).
 */
static void fit_fd_limit(struct vswd_config *cfg)
{
	struct rlimit rl;
	unsigned fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	fit = rl.rlim_cur > 256 + 3 ? (unsigned)MIN((rl.rlim_cur - 256) / 3, UINT_MAX) : 1;
	if (cfg->max_conns > fit) {
		g_message("fd limit %llu: at most %u connections",
			  (unsigned long long)rl.rlim_cur, fit);
		cfg->max_conns = fit;
	}
}

int main(int argc, char **argv)
{
	struct vswd d = { .admin_gid = VSWD_NO_ID, .policy = { .socket_gid = VSWD_NO_ID } };
	g_autoptr(GError) err = NULL;
	g_autoptr(GOptionContext) ctx = NULL;
	gint poll_us = VSW_DP_POLL_US_DEFAULT, ring_kib = VSW_DATA_SIZE_DEFAULT / 1024;
	gint mac_capacity = VSW_MAC_CAPACITY_DEFAULT, mac_aging = VSW_MAC_AGING_MS_DEFAULT / 1000;
	gint dp_nice = VSW_DP_NICE_DEFAULT, max_conns = 4096, max_user_conns = 1024;
	gint max_user_ports = 1024, idle_s = 60, wakeups = VSW_DP_WAKEUPS_DEFAULT;
	gboolean version = FALSE;
	GOptionEntry entries[] = {
		{ "socket", 's', 0, G_OPTION_ARG_FILENAME, &d.cfg.sock_path,
		  "Control socket (default /run/vswitch/vswitchd.sock as root, "
		  "$XDG_RUNTIME_DIR/vswitch/vswitchd.sock otherwise)", "PATH" },
		{ "state-dir", 'd', 0, G_OPTION_ARG_FILENAME, &d.cfg.state_dir,
		  "Where the configuration persists (default /var/lib/vswitch as "
		  "root, $XDG_STATE_HOME/vswitch otherwise)", "DIR" },
		{ "socket-group", 'g', 0, G_OPTION_ARG_STRING, &d.cfg.sock_group,
		  "Let this group use the socket (mode 0660) as port clients, e.g. "
		  "libvirt's QEMU user; they may attach ports to switches without an "
		  "access list", "GROUP" },
		{ "admin-group", 0, 0, G_OPTION_ARG_STRING, &d.cfg.admin_group,
		  "Members of this group are administrators, like root", "GROUP" },
		{ "user", 'u', 0, G_OPTION_ARG_STRING, &d.cfg.user,
		  "As root: run as this user after start-up (default " VSWD_USER_DEFAULT
		  " if it exists; 'root' to stay root, with the few capabilities it needs)",
		  "USER" },
		{ "nat-user", 0, 0, G_OPTION_ARG_STRING, &d.cfg.nat_user,
		  "As root: the user the NAT helper runs as when vswitchd stays root "
		  "(default nobody)", "USER" },
		{ "nat-helper", 0, 0, G_OPTION_ARG_FILENAME, &d.cfg.nat_helper,
		  "The NAT helper program (default: vswitch-natd next to vswitchd, "
		  "else in " VSWD_LIBEXECDIR ")", "PATH" },
		{ "poll-us", 0, 0, G_OPTION_ARG_INT, &poll_us,
		  "Keep polling up to this long after the last frame before sleeping "
		  "(default 50)", "US" },
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
		{ "max-connections", 0, 0, G_OPTION_ARG_INT, &max_conns,
		  "Clients connected at once, at most (default 4096, fewer if the fd "
		  "limit is lower)", "N" },
		{ "max-connections-per-user", 0, 0, G_OPTION_ARG_INT, &max_user_conns,
		  "Connections of one user who is not an administrator (default 1024)", "N" },
		{ "max-ports-per-user", 0, 0, G_OPTION_ARG_INT, &max_user_ports,
		  "Ports the clients of one user who is not an administrator may attach "
		  "(default 1024)", "N" },
		{ "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_s,
		  "Close a connection without a port after this many seconds without a "
		  "complete request; 0 never (default 60)", "S" },
		{ "wakeups-per-s", 0, 0, G_OPTION_ARG_INT, &wakeups,
		  "Doorbell wakeups one port may cause per second before it is only "
		  "polled for the rest of that second (default 20000)", "N" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
		{ NULL }
	};
	struct vswd_model_defaults defaults;
	struct vsw_dp_opts dp_opts = { 0 };
	int rc = 1, notify_fd = -1;

	signal(SIGPIPE, SIG_IGN);
	ctx = g_option_context_new("- Hyper-V-style virtual switches for QEMU");
	g_option_context_set_description(ctx,
		"vswitchd runs in the foreground and logs to stderr; stop it with SIGTERM.\n"
		"Under systemd (NOTIFY_SOCKET, Type=notify) it reports READY=1 once it\n"
		"accepts clients.\n"
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
	    mac_aging < 1 || mac_aging > 86400 || dp_nice < -20 || dp_nice > 19 ||
	    max_conns < 1 || max_user_conns < 1 || max_user_ports < 1 || idle_s < 0 ||
	    wakeups < 1) {
		fprintf(stderr, "vswitchd: an option is out of range (see --help)\n");
		return 2;
	}
	d.cfg.poll_us = (unsigned)poll_us;
	d.cfg.dp_nice = dp_nice;
	d.cfg.ring_size = (uint32_t)ring_kib * 1024;
	d.cfg.mac_capacity = (uint32_t)mac_capacity;
	d.cfg.mac_aging_ms = (uint64_t)mac_aging * 1000;
	d.cfg.max_conns = (unsigned)max_conns;
	d.cfg.max_conns_per_user = (unsigned)max_user_conns;
	d.cfg.max_ports_per_user = (unsigned)max_user_ports;
	d.cfg.idle_timeout_s = (unsigned)idle_s;
	d.cfg.wakeups_per_s = (unsigned)wakeups;
	notify_fd = notify_open();
	d.root = geteuid() == 0;
	d.admin_uid = geteuid();
	if (!default_paths(&d.cfg, &err))
		goto out;
	if (d.cfg.admin_group) {
		struct group *gr = getgrnam(d.cfg.admin_group);

		if (!gr) {
			g_set_error(&err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "--admin-group %s: no such group", d.cfg.admin_group);
			goto out;
		}
		d.admin_gid = gr->gr_gid;
	}
	if (d.cfg.sock_group) {
		struct group *gr = getgrnam(d.cfg.sock_group);

		if (!gr) {
			g_set_error(&err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "--socket-group %s: no such group", d.cfg.sock_group);
			goto out;
		}
		d.policy.socket_gid = gr->gr_gid;
	}
	fit_fd_limit(&d.cfg);

	/* What needs root: the state directory, the socket. */
	if (g_mkdir_with_parents(d.cfg.state_dir, 0700) < 0) {
		g_set_error(&err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot create %s: %s",
			    d.cfg.state_dir, g_strerror(errno));
		goto out;
	}
	vswd_store_cleanup(d.cfg.state_dir);
	d.conf_path = g_build_filename(d.cfg.state_dir, VSWD_CONF_FILE, NULL);
	defaults.root = d.root;
	d.model = vswd_store_load(d.conf_path, &defaults, &err);
	if (!d.model || !vswd_control_start(&d, &err))
		goto out;
	/* Then the privileges go, before any thread starts. */
	if (!vswd_privs_drop(&d, &err))
		goto out;
	dp_opts.poll_us = d.cfg.poll_us;
	dp_opts.nice = d.cfg.dp_nice;
	dp_opts.wakeups_per_s = d.cfg.wakeups_per_s;
	dp_opts.thread_init = vswd_privs_thread_done;
	d.loop = g_main_loop_new(NULL, FALSE);
	d.dp = vsw_dp_new(&dp_opts, &err);
	if (!d.dp)
		goto out;
	vswd_privs_thread_done();
	vswd_closer_start();
	if (!vswd_runtime_start(&d, &err) || !vswd_adapters_start(&d, &err) ||
	    !vswd_nat_start(&d, &err))
		goto out;
	vswd_control_serve(&d);
	g_unix_signal_add(SIGINT, on_signal, &d);
	g_unix_signal_add(SIGTERM, on_signal, &d);
	g_message("vswitchd %s listening on %s, state in %s, %u switch(es)",
		  VSW_VERSION_STRING, d.cfg.sock_path, d.conf_path, d.model->switches->len);
	/* Clients are accepted: services ordered after us may start. */
	notify_send(notify_fd, "READY=1");
	g_main_loop_run(d.loop);
	notify_send(notify_fd, "STOPPING=1");
	rc = 0;
out:
	if (err)
		fprintf(stderr, "vswitchd: %s\n", err->message);
	if (notify_fd >= 0)
		close(notify_fd);
	d.stopping = true;
	vswd_control_stop(&d);
	vswd_nat_stop(&d);
	vswd_adapters_stop(&d);
	if (d.dp)
		vswd_runtime_stop(&d);	/* NICs get back what they had */
	vsw_dp_free(d.dp);
	vswd_closer_stop();
	vswd_model_free(d.model);
	if (d.loop)
		g_main_loop_unref(d.loop);
	g_free(d.conf_path);
	g_free(d.cfg.sock_path);
	g_free(d.cfg.state_dir);
	g_free(d.cfg.sock_group);
	g_free(d.cfg.admin_group);
	g_free(d.cfg.user);
	g_free(d.cfg.nat_user);
	g_free(d.cfg.nat_helper);
	return rc;
}
