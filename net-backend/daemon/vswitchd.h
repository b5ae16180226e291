/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vswitchd.h - the daemon and its runtime: switches and ports as they run,
 * and the NAT's supervisor.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Layers of the control plane, each including only those below it
 * (docs/design.md, "Control plane"):
 *
 *   front-ends   control.c (socket, roles, limits), commands.c, views.c
 *   reconciler   reconcile.c: persist a new model, apply the difference
 *   runtime      this header: switch.c, natsup.c, privs.c; the data path
 *   model        model.h, natcfg.c, store.c
 *
 * Everything here lives on the control thread (the GLib main loop).  The
 * data path sees switches and ports only through datapath.h.  A runtime
 * port tells whoever owns it (a client connection, the NAT supervisor)
 * of news through the owner's ops, so the runtime never calls up into a
 * front-end.
 */
#ifndef VSWITCH_VSWITCHD_H
#define VSWITCH_VSWITCHD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "datapath.h"
#include "lograte.h"
#include "model.h"
#include "names.h"

struct vswd;
struct vswd_port;
struct vswd_natsup;
struct vswd_control;

/**
 * struct vswd_port_owner_ops - how the runtime tells a port's owner of news.
 * @vlan_changed: an administrator changed the port's VLAN
 * @reset:        the port is gone (ring corrupted, switch removed); the
 *                runtime has already detached it: @vp must not be used after
 *                the call returns
 */
struct vswd_port_owner_ops {
	void (*vlan_changed)(void *owner, struct vswd_port *vp);
	void (*reset)(void *owner, struct vswd_port *vp, const char *reason);
	/*
	 * @moved: the port went to its migration destination; the caller
	 * detaches it after the call returns
	 */
	void (*moved)(void *owner, struct vswd_port *vp);
};

/**
 * struct vswd_switch - a switch as it runs.
 * @id:         the model's id of it
 * @name:       its name (follows renames)
 * @is_default: the Default switch
 * @dsw:        its data path side
 * @ports:      struct vswd_port *, in attach order
 * @ha_want:    adapters.c: the host adapter the model asked for when it was
 *              wired, or NULL
 * @ha_port:    its port ("@host"), or NULL
 * @ha_ifname:  its interface
 * @nic:        the NIC bound, or NULL
 * @nic_shared: shared with the host through the host adapter
 * @nic_state:  what the NIC had before it was bound (also on disk)
 * @nic_port:   its port ("@nic"), or NULL while it is missing
 * @nic_error:  why it is not in service, or NULL
 */
struct vswd_switch {
	uint32_t id;
	char *name;
	bool is_default;
	struct vsw_dp_switch *dsw;
	GPtrArray *ports;
	char *ha_want;
	struct vswd_port *ha_port;
	char *ha_ifname;
	char *nic;
	bool nic_shared;
	struct vswd_nic_state *nic_state;
	struct vswd_port *nic_port;
	char *nic_error;
};

/**
 * struct vswd_port - a port as it runs.
 * @port:     the data path port
 * @sw:       its switch
 * @ops:      its owner's ops (NULL: nobody to tell)
 * @owner:    passed to @ops
 * @has_peer: attached by a client (not one of the daemon's own ports)
 * @peer:     that client, as the kernel described it (per-user limits,
 *            which ports a client may see, who may keep a provisioned name)
 * @settings: what it runs with (provisioned, or from its attach request)
 * @move_token: the token its client gave for a live migration on this
 *            host ("" if none): whoever presents it takes the port over
 *            (port-takeover), see design.md "Live migration"
 */
struct vswd_port {
	struct vsw_port *port;
	struct vswd_switch *sw;
	const struct vswd_port_owner_ops *ops;
	void *owner;
	bool has_peer;
	struct vswd_peer peer;
	struct vswd_port_settings settings;
	char move_token[VSW_MOVE_TOKEN_MAX + 1];
};

/**
 * struct vswd_config - daemon settings from the command line.
 */
struct vswd_config {
	char *sock_path;
	char *state_dir;
	char *sock_group;
	char *admin_group;
	char *user;
	char *nat_user;
	char *nat_helper;
	unsigned poll_us;
	int dp_nice;
	uint32_t ring_size;
	uint32_t mac_capacity;
	uint64_t mac_aging_ms;
	unsigned max_conns;
	unsigned max_conns_per_user;
	unsigned max_ports_per_user;
	unsigned idle_timeout_s;
	unsigned wakeups_per_s;
};

/**
 * struct vswd - the daemon.
 * @cfg:         command line settings
 * @policy:      the command line's part of who may do what
 * @root:        started as root (the system daemon)
 * @admin_uid:   rootless: the user who runs vswitchd, an administrator
 * @admin_gid:   --admin-group, or VSWD_NO_ID
 * @conf_path:   the state file
 * @loop:        the main loop
 * @dp:          the data path
 * @model:       the configuration in force
 * @switches:    struct vswd_switch *, as they run
 * @user_ports:  uid -> ports its clients have attached (GUINT_TO_POINTER)
 * @nat:         the Default switch's NAT supervisor, or NULL
 * @ctl:         the control socket front-end, or NULL
 * @notify_src:  watch of the data path's dead-port notifications
 * @adapters_src: adapters.c's timer (NICs that went and came back)
 * @stopping:    shutting down: nothing restarts
 */
struct vswd {
	struct vswd_config cfg;
	struct vswd_policy policy;
	bool root;
	uid_t admin_uid;
	int64_t admin_gid;
	char *conf_path;
	GMainLoop *loop;
	struct vsw_dp *dp;
	struct vswd_model *model;
	GPtrArray *switches;
	GHashTable *user_ports;
	struct vswd_natsup *nat;
	struct vswd_control *ctl;
	guint notify_src;
	guint adapters_src;
	bool stopping;
};

/* switch.c: the runtime's switches and ports */
/** vswd_runtime_start() - the runtime for d->model (its switches), the dead-port watch. */
bool vswd_runtime_start(struct vswd *d, GError **err);
/** vswd_runtime_stop() - reset every port, free every switch. */
void vswd_runtime_stop(struct vswd *d);
struct vswd_switch *vswd_switch_find(struct vswd *d, const char *name, GError **err);
struct vswd_switch *vswd_switch_by_id(struct vswd *d, uint32_t id);
/** vswd_switch_create() - the running side of model switch @msw. */
struct vswd_switch *vswd_switch_create(struct vswd *d, const struct vswd_msw *msw,
				       GError **err);
/** vswd_switch_destroy() - reset its ports ("switch removed"), free it. */
void vswd_switch_destroy(struct vswd *d, struct vswd_switch *sw);
struct vswd_port *vswd_port_find(struct vswd_switch *sw, const char *name);

/**
 * struct vswd_port_spec - a port to attach.
 * @name:     its name on the switch
 * @settings: what it runs with
 * @ops:      its owner's ops
 * @owner:    passed to @ops
 * @peer:     the client, or NULL for the daemon's own port
 * @trusted_macs: the daemon's own port that owns the switch's reserved
 *            MAC addresses (the NAT): it may send only from them
 * @own:      one of the switch's own ports (its host adapter, its NIC):
 *            only these have names that begin with '@'
 */
struct vswd_port_spec {
	const char *name;
	const struct vswd_port_settings *settings;
	const struct vswd_port_owner_ops *ops;
	void *owner;
	const struct vswd_peer *peer;
	bool trusted_macs;
	bool own;
};

/**
 * vswd_port_attach() - put data path port @p (not yet on a switch) on @sw.
 * Checks the name, the per-user port limit and the MAC addresses (no two
 * ports of a switch may send from the same MAC).  On failure @p is left
 * to the caller.  Return: the port, or NULL with @err.
 */
struct vswd_port *vswd_port_attach(struct vswd *d, struct vswd_switch *sw,
				   struct vsw_port *p, const struct vswd_port_spec *spec,
				   GError **err);
/** vswd_port_detach() - take the port off its switch and destroy it. */
void vswd_port_detach(struct vswd *d, struct vswd_port *vp);
/** vswd_port_reset() - detach it and tell its owner @reason. */
void vswd_port_reset(struct vswd *d, struct vswd_port *vp, const char *reason);
/**
 * vswd_port_apply() - run @vp with @s from the next frame on; tells its
 * owner when the VLAN changed.  Return: false with @err if a MAC of @s is
 * in use on another port of the switch (nothing changes then).
 */
bool vswd_port_apply(struct vswd *d, struct vswd_port *vp,
		     const struct vswd_port_settings *s, GError **err);
/**
 * vswd_port_mac_in_use() - the port of @sw other than @except that may
 * send from @mac, or NULL.
 */
struct vswd_port *vswd_port_mac_in_use(struct vswd_switch *sw, const uint8_t mac[6],
				       const struct vswd_port *except);
/** vswd_user_ports() - ports the clients of @uid have attached. */
unsigned vswd_user_ports(struct vswd *d, uid_t uid);

/* adapters.c: host adapters and NICs (docs/external.md) */
/**
 * vswd_adapters_check() - can the host adapters and NICs of @next be set
 * up?  A NIC not bound yet must exist and be one that may be bound; a host
 * adapter not created yet must not be the name of an interface the host
 * has.  Return: false with @err naming the switch and the reason.
 */
bool vswd_adapters_check(struct vswd *d, const struct vswd_model *next, GError **err);
/** vswd_adapters_apply() - make host adapters and NICs what d->model says. */
void vswd_adapters_apply(struct vswd *d);
/** vswd_adapters_release() - take down @sw's adapters, give its NIC back. */
void vswd_adapters_release(struct vswd *d, struct vswd_switch *sw);
/** vswd_adapters_start() - at start-up, after the runtime: crash records, then wire. */
bool vswd_adapters_start(struct vswd *d, GError **err);
void vswd_adapters_stop(struct vswd *d);
/** vswd_adapters_to_json() - "host-adapter" and "nic" members of switch-show. */
void vswd_adapters_to_json(struct vswd *d, struct vswd_switch *sw, JsonBuilder *b);

/* natsup.c: the Default switch's NAT, a sandboxed helper process */
/** vswd_nat_start() - start the NAT helper for the Default switch (after the runtime). */
bool vswd_nat_start(struct vswd *d, GError **err);
/** vswd_nat_stop() - stop the helper, save its leases; d->nat is NULL afterwards. */
void vswd_nat_stop(struct vswd *d);
/** vswd_nat_settings_changed() - restart the helper with d->model's settings. */
void vswd_nat_settings_changed(struct vswd *d);

/**
 * typedef vswd_nat_done_fn - the answer to an asynchronous NAT request.
 * @data:  the caller's pointer
 * @reply: the helper's reply object (borrowed), or NULL with @err set
 */
typedef void (*vswd_nat_done_fn)(void *data, JsonObject *reply, const GError *err);

/**
 * vswd_nat_request() - ask the NAT helper for "stats" or "connections";
 * @done runs once, on the main loop, with its reply, or with an error if
 * the helper is down, does not answer within a bound, or answers
 * nonsense.  Never blocks.  Return: a handle for vswd_nat_cancel().
 */
guint vswd_nat_request(struct vswd *d, const char *cmd, vswd_nat_done_fn done, void *data);
/**
 * vswd_nat_fwd_request() - make the helper listen for @f (@add) or stop;
 * like vswd_nat_request().  The forward's state follows the answer.
 */
guint vswd_nat_fwd_request(struct vswd *d, const struct vswd_mfwd *f, bool add,
			   vswd_nat_done_fn done, void *data);
/** vswd_nat_cancel() - @done of request @id will not run. */
void vswd_nat_cancel(struct vswd *d, guint id);
/**
 * vswd_nat_fwd_status() - is forward @f active in the running helper, and
 * if not, why (a static or owned string, NULL if active or unknown).
 */
bool vswd_nat_fwd_status(struct vswd *d, const struct vswd_mfwd *f, const char **why);
/** vswd_nat_fwds_changed() - make the helper's forwards those of d->model. */
void vswd_nat_fwds_changed(struct vswd *d);
/**
 * struct vswd_nat_info - what the supervisor knows without asking.
 * @running:  a helper runs and answered its start-up
 * @pid:      its pid, or 0
 * @restarts: helpers started after the first
 * @crashes:  helpers that died without being asked to
 * @vp:       the NAT's port, or NULL
 */
struct vswd_nat_info {
	bool running;
	pid_t pid;
	uint64_t restarts;
	uint64_t crashes;
	struct vswd_port *vp;
};
void vswd_nat_get_info(struct vswd *d, struct vswd_nat_info *info);

/*
 * Messages a client can cause, as often as it likes: each kind at most
 * VSWD_LOG_BURST times per VSWD_LOG_WINDOW_US (lograte.h).
 */
#define VSWD_LOG_BURST		10
#define VSWD_LOG_WINDOW_US	(10 * G_USEC_PER_SEC)

/** vswd_log_rate_ok() - vsw_log_rate_ok() with vswitchd's bounds. */
static inline bool vswd_log_rate_ok(struct vsw_log_rate *r, unsigned *dropped)
{
	return vsw_log_rate_ok(r, VSWD_LOG_BURST, VSWD_LOG_WINDOW_US, dropped);
}

/* closer.c: what a peer could make slow to close (see closer.c) */
/* Owners of closes that are not a client's uid. */
#define VSWD_OWNER_UNKNOWN	G_MAXUINT32		/* a peer without credentials */
#define VSWD_OWNER_NAT		(G_MAXUINT32 - 1)	/* the NAT helper */
/** vswd_closer_start() - the closer threads (before any peer connects). */
void vswd_closer_start(void);
/** vswd_closer_stop() - let the closer threads finish what is queued, and go. */
void vswd_closer_stop(void);
/**
 * vswd_close_later() - close @fd, a peer's socket or a descriptor it
 * passed, on a closer thread, after the other closes of @owner (a uid).
 */
void vswd_close_later(guint32 owner, int fd);
/**
 * vswd_close_peer() - shut down and close a peer's socket @fd: at once if
 * no descriptors wait in it, else as vswd_close_later() does.
 */
void vswd_close_peer(guint32 owner, int fd);
/** vswd_closer_pending() - closes of @owner queued or in progress. */
unsigned vswd_closer_pending(guint32 owner);
/** vswd_closer_pending_total() - every owner's closes queued or in progress. */
unsigned vswd_closer_pending_total(void);
/** vswd_refuse_fds() - the peer of socket @fd may not pass descriptors (Linux 6.16+). */
void vswd_refuse_fds(int fd);
/**
 * vswd_recv() - recvmsg() that takes any descriptors the peer passes and
 * has them closed later as @owner's; *@passed becomes true if there were any.
 */
ssize_t vswd_recv(int fd, guint32 owner, void *buf, size_t len, int flags, bool *passed);

/* privs.c: keep only what the features in use need */
/**
 * vswd_privs_drop() - as root: switch to cfg.user (if it exists) and keep
 * only the capabilities the features in use need; say in the log what was
 * kept.  Call before any thread starts.  Rootless: nothing to drop.
 */
bool vswd_privs_drop(struct vswd *d, GError **err);
/** vswd_privs_thread_done() - the data path thread set its priority: drop CAP_SYS_NICE. */
void vswd_privs_thread_done(void);

#endif /* VSWITCH_VSWITCHD_H */
