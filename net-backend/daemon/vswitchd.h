/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vswitchd.h - the daemon's control-plane objects: switches, ports, clients.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Everything here lives on the control thread (the GLib main loop).  The
 * data path sees switches and ports only through datapath.h.  Errors are
 * GErrors in VSWD_ERROR whose code is the protocol's error class and
 * whose message names the object and the reason.
 */
#ifndef VSWITCH_VSWITCHD_H
#define VSWITCH_VSWITCHD_H

#include <stdbool.h>
#include <stdint.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "datapath.h"

#define VSWD_DEFAULT_SWITCH	"Default"
#define VSWD_MAX_CONNS		4096

/* Error classes of the protocol (docs/protocol.md). */
enum vswd_error {
	VSWD_ERR_GENERIC,
	VSWD_ERR_COMMAND_NOT_FOUND,
	VSWD_ERR_INVALID,
	VSWD_ERR_NOT_FOUND,
	VSWD_ERR_EXISTS,
	VSWD_ERR_BUSY,
	VSWD_ERR_PERMISSION,
	VSWD_ERR_PROTOCOL,
};

#define VSWD_ERROR (vswd_error_quark())
GQuark vswd_error_quark(void);
/** vswd_error_class() - the protocol name of an error code. */
const char *vswd_error_class(int code);

struct vswd;
struct vswd_conn;
struct vswd_nat;

/**
 * struct vswd_switch - a named switch.
 * @name:       its name
 * @is_default: the Default switch (NAT), which cannot be changed
 * @dsw:        its data path side
 * @ports:      struct vswd_port *, in attach order
 */
struct vswd_switch {
	char *name;
	bool is_default;
	struct vsw_dp_switch *dsw;
	GPtrArray *ports;
};

/**
 * struct vswd_port - a port as the control plane sees it.
 * @port:  the data path port
 * @sw:    its switch
 * @owner: the client connection that attached it; NULL for ports the
 *         daemon owns (the NAT)
 */
struct vswd_port {
	struct vsw_port *port;
	struct vswd_switch *sw;
	struct vswd_conn *owner;
};

/**
 * struct vswd_config - daemon settings from the command line.
 */
struct vswd_config {
	char *sock_path;
	char *state_dir;
	char *sock_group;
	unsigned poll_us;
	uint32_t ring_size;
	uint32_t mac_capacity;
	uint64_t mac_aging_ms;
};

/**
 * struct vswd - the daemon.
 * @cfg:            settings
 * @conf_path:      the persistent state file (GKeyFile)
 * @loop:           the main loop
 * @dp:             the data path
 * @switches:       name -> struct vswd_switch
 * @vlan_overrides: "switch/port" -> VLAN set at run time (GINT_TO_POINTER(vlan + 1))
 * @nat:            the Default switch's NAT, or NULL
 * @conns:          struct vswd_conn *
 * @listen_fd:      the control socket
 * @loading:        reading the state file: nothing is saved meanwhile
 */
struct vswd {
	struct vswd_config cfg;
	char *conf_path;
	GMainLoop *loop;
	struct vsw_dp *dp;
	GHashTable *switches;
	GHashTable *vlan_overrides;
	struct vswd_nat *nat;
	GList *conns;
	unsigned nconns;
	int listen_fd;
	guint listen_src;
	guint notify_src;
	bool loading;
};

/* switch.c */
struct vswd_switch *vswd_switch_find(struct vswd *d, const char *name, GError **err);
struct vswd_switch *vswd_switch_add(struct vswd *d, const char *name, GError **err);
/* The Default switch, created at start-up (never saved: it always exists). */
struct vswd_switch *vswd_switch_add_default(struct vswd *d, GError **err);
bool vswd_switch_remove(struct vswd *d, const char *name, bool force, GError **err);
bool vswd_switch_rename(struct vswd *d, const char *name, const char *new_name,
			GError **err);
const char *vswd_switch_type(const struct vswd_switch *sw);
void vswd_switch_free(struct vswd *d, struct vswd_switch *sw);
struct vswd_port *vswd_port_find(struct vswd_switch *sw, const char *name);
struct vswd_port *vswd_port_add(struct vswd *d, struct vswd_switch *sw,
				struct vsw_port *p, struct vswd_conn *owner,
				GError **err);
void vswd_port_remove(struct vswd *d, struct vswd_port *vp);
bool vswd_port_set_vlan(struct vswd *d, struct vswd_port *vp, int vlan, GError **err);
char *vswd_port_pick_name(struct vswd_switch *sw);

/* config.c */
bool vswd_config_load(struct vswd *d, GError **err);
bool vswd_config_save(struct vswd *d, GError **err);

/* control.c */
bool vswd_control_start(struct vswd *d, GError **err);
void vswd_control_stop(struct vswd *d);
void vswd_conn_reset(struct vswd *d, struct vswd_conn *c, const char *reason);
/** vswd_conn_vlan_changed() - tell the client its port's VLAN changed. */
void vswd_conn_vlan_changed(struct vswd_conn *c);

/**
 * struct vswd_command - one command of the control protocol.
 * @name: what "execute" says
 * @fn:   does it; Return: the "return" value (a JSON null node for {}),
 *        or NULL with @err set.  @c is the client's connection.
 * @args: NULL-terminated names of the arguments it takes
 */
struct vswd_command {
	const char *name;
	JsonNode *(*fn)(struct vswd *d, struct vswd_conn *c, JsonObject *a,
			GError **err);
	const char *const *args;
};

#define ARGS(...) ((const char *const []){ __VA_ARGS__, NULL })

/* nat.c: the Default switch's NAT (libslirp) */
/** vswd_nat_config_load() - read [nat] and [nat-forward:...] of @kf (strictly). */
bool vswd_nat_config_load(struct vswd *d, GKeyFile *kf, GError **err);
/** vswd_nat_config_save() - write the NAT's groups into @kf. */
void vswd_nat_config_save(struct vswd *d, GKeyFile *kf);
/** vswd_nat_start() - attach the NAT port to the Default switch (after loading). */
bool vswd_nat_start(struct vswd *d, GError **err);
/** vswd_nat_stop() - detach and free the NAT; d->nat is NULL afterwards. */
void vswd_nat_stop(struct vswd *d);

/* Command tables (NULL-terminated) of the modules, besides control.c's. */
extern const struct vswd_command vswd_nat_commands[];

/* json helpers (control.c) */
JsonNode *vswd_port_to_json(struct vswd_port *vp);
/** vswd_object_with() - the JSON object { @member: @value } (takes @value). */
JsonNode *vswd_object_with(const char *member, JsonNode *value);

#endif /* VSWITCH_VSWITCHD_H */
