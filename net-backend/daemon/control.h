/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control.h - the control socket's front-end: connections and their roles
 * (control.c), the commands (commands.c), the JSON views (views.c).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Roles are decided by the kernel, never by what a client says
 * (docs/design.md, "Who may do what"): at accept, SO_PEERCRED and
 * SO_PEERGROUPS give the peer's uid, gid, groups and pid, and
 *   - an administrator is root, a member of --admin-group, or (rootless)
 *     the user who runs vswitchd: every command;
 *   - anyone else is a port client: attach a port to a switch it may use,
 *     see and detach its own ports, hear of its own ports' news.  Every
 *     other command is refused with PermissionDenied, naming the command
 *     and the uid.
 * A command names its role in the command table; the check happens once,
 * before any command runs.
 */
#ifndef VSWITCH_CONTROL_H
#define VSWITCH_CONTROL_H

#include <json-glib/json-glib.h>

#include "reconcile.h"
#include "vswitchd.h"

struct vswd_conn;
struct vswd_pending;

/**
 * enum vswd_role - who may run a command.
 * @VSWD_ROLE_ANY:   every client (port clients too)
 * @VSWD_ROLE_ADMIN: administrators only
 */
enum vswd_role {
	VSWD_ROLE_ANY,
	VSWD_ROLE_ADMIN,
};

/**
 * struct vswd_command - one command of the control protocol.
 * @name: what "execute" says
 * @role: who may run it
 * @fn:   does it; Return: the "return" value (a JSON null node for {}),
 *        VSWD_PENDING if it answers later (vswd_pending_finish()), or NULL
 *        with @err set.  @c is the client's connection.
 * @args: NULL-terminated names of the arguments it takes
 */
struct vswd_command {
	const char *name;
	enum vswd_role role;
	JsonNode *(*fn)(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err);
	const char *const *args;
};

#define ARGS(...) ((const char *const []){ __VA_ARGS__, NULL })
/* A command's return value meaning "the reply comes later". */
#define VSWD_PENDING ((JsonNode *)&vswd_pending_marker)
extern const int vswd_pending_marker;

/* commands.c: the table (NULL-terminated). */
extern const struct vswd_command vswd_commands[];

/* control.c: the socket and connections */
/** vswd_control_start() - create the socket (before privileges are dropped). */
bool vswd_control_start(struct vswd *d, GError **err);
/** vswd_control_serve() - start accepting clients (once the daemon is ready). */
void vswd_control_serve(struct vswd *d);
void vswd_control_stop(struct vswd *d);
/** vswd_conn_peer() - the client as the kernel described it, and its role. */
const struct vswd_peer *vswd_conn_peer(struct vswd_conn *c);
/** vswd_conn_port() - the port this connection owns (at most one), or NULL. */
struct vswd_port *vswd_conn_port(struct vswd_conn *c);
/**
 * vswd_conn_attach() - @c owns @vp now; @fds (the port's memfd and
 * doorbell) ride with the reply to the current request, then are closed.
 */
void vswd_conn_attach(struct vswd_conn *c, struct vswd_port *vp, int fds[3]);
/** vswd_conn_detach() - @c gives up its port, which is detached. */
void vswd_conn_detach(struct vswd_conn *c);

/**
 * struct vswd_incoming - the port a migration destination attached while
 * the source still has it: memory and doorbells, in no switch yet.
 * @p:    the port (destroyed with the connection unless taken over)
 * @sw_id: the model id of its switch
 * @name: the port's name (the source's)
 * @set:  the settings the destination itself would get, for a takeover
 *        that finds the source gone
 */
struct vswd_incoming {
	struct vsw_port *p;
	uint32_t sw_id;
	char name[VSW_NAME_MAX + 1];
	struct vswd_port_settings set;
};

/**
 * vswd_conn_attach_incoming() - @c holds @in, an incoming port, until it
 * takes the port over or goes away; @fds ride with the reply.
 */
void vswd_conn_attach_incoming(struct vswd_conn *c, struct vswd_incoming *in, int fds[3]);
/** vswd_conn_adopt() - @c owns @vp now, its fds already sent. */
void vswd_conn_adopt(struct vswd_conn *c, struct vswd_port *vp);
/** vswd_conn_incoming() - the incoming port @c holds, or NULL. */
struct vswd_incoming *vswd_conn_incoming(struct vswd_conn *c);
/** vswd_conn_take_incoming() - @c gives @in up; the caller owns it now. */
struct vswd_incoming *vswd_conn_take_incoming(struct vswd_conn *c);
/** vswd_user_incoming() - incoming ports the clients of @uid hold (administrators: 0). */
unsigned vswd_user_incoming(struct vswd *d, uid_t uid);
/** vswd_incoming_free() - destroy an incoming port never taken over. */
void vswd_incoming_free(struct vswd_incoming *in);
/** vswd_conn_owner_ops() - the owner ops of a port a connection owns. */
const struct vswd_port_owner_ops *vswd_conn_owner_ops(void);

/**
 * vswd_conn_defer() - the current request of @c is answered later; @c
 * reads no more requests meanwhile (replies stay in order).  If @c goes
 * away first, the NAT request @p waits for is cancelled and @p freed.
 */
struct vswd_pending *vswd_conn_defer(struct vswd_conn *c);
/** vswd_pending_wait_nat() - @p waits for NAT request @id. */
void vswd_pending_wait_nat(struct vswd_pending *p, guint id);
/** vswd_pending_data() - a pointer the command keeps with @p (freed with @free). */
void vswd_pending_set_data(struct vswd_pending *p, void *data, GDestroyNotify free);
void *vswd_pending_get_data(struct vswd_pending *p);
/**
 * vswd_pending_finish() - answer @p with @ret (taken; NULL or a null node
 * for {}) or @err, and go on reading the connection's requests.
 */
void vswd_pending_finish(struct vswd_pending *p, JsonNode *ret, const GError *err);
/** vswd_pending_daemon() - the daemon @p belongs to. */
struct vswd *vswd_pending_daemon(struct vswd_pending *p);

/* views.c: JSON views of the runtime and the model */
JsonNode *vswd_port_to_json(struct vswd_port *vp);
JsonNode *vswd_switch_to_json(struct vswd *d, struct vswd_switch *sw, bool with_ports);
JsonNode *vswd_mac_table_json(struct vswd *d, struct vswd_switch *sw);
JsonNode *vswd_mport_to_json(struct vswd *d, const struct vswd_mport *p);
JsonNode *vswd_nat_to_json(struct vswd *d, JsonObject *stats);
JsonNode *vswd_fwd_to_json(struct vswd *d, const struct vswd_mfwd *f);
/** vswd_object_with() - the JSON object { @member: @value } (takes @value). */
JsonNode *vswd_object_with(const char *member, JsonNode *value);
/** vswd_sorted_switches() - the runtime switches, Default first, then by name. */
GPtrArray *vswd_sorted_switches(struct vswd *d);

#endif /* VSWITCH_CONTROL_H */
