/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * model.h - the configuration of vswitchd, as one value: what an
 * administrator set up, validated and changed as a whole, with no I/O.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The control plane has one direction (docs/design.md, "Control plane"):
 *
 *   front-ends (control.c, commands.c)  ->  reconciler (reconcile.c)
 *        -> model (this file, natcfg.c) + runtime (switch.c, natsup.c, datapath.c)
 *
 * A command copies the model, changes the copy with the functions below
 * (each checks its rules and says what is wrong in a GError), and hands
 * the copy to vswd_commit(), which persists it, applies the difference
 * and only then makes it the daemon's model.  Nothing here touches a file,
 * a socket or the data path, so unit tests call it directly.
 *
 * What the model holds:
 *   - switches: name, who may attach to them (access lists), which VLANs
 *     a port client may ask for at attach;
 *   - provisioned ports: a port an administrator set up ahead of time, by
 *     switch and name, with its VLAN, allowed MAC addresses, guards and
 *     the user or group that may claim it;
 *   - the Default switch's NAT: its settings and port forwards (natcfg.c).
 * Runtime state (attached ports, MAC tables, the NAT's connections and
 * leases) is not in the model.
 *
 * Rules (each enforced by the mutator that could break it):
 *   - Switch names follow names.h, are unique, and no switch but the
 *     Default one is called "Default" in any case.  At most
 *     VSWD_SWITCHES_MAX switches.
 *   - The Default switch always exists and is never removed or renamed.
 *   - A provisioned port names an existing switch; its name follows
 *     names.h; at most VSWD_PORT_MACS_MAX MAC addresses, each unicast and
 *     not all-zero, and no MAC is provisioned on two ports of one switch.
 *     At most VSWD_PROVISIONED_MAX provisioned ports.
 *   - Renaming a switch keeps its provisioned ports; removing it removes
 *     them.
 *   - A switch has at most one host adapter and one NIC; the Default
 *     switch has neither.  Interface names are valid Linux names
 *     (vswd_ifname_valid()); no interface is the host adapter or the NIC
 *     of two switches, nor one switch's host adapter and another's NIC.
 */
#ifndef VSWITCH_MODEL_H
#define VSWITCH_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>
#include <netinet/in.h>

#define VSWD_DEFAULT_SWITCH	"Default"
#define VSWD_SWITCHES_MAX	256
#define VSWD_PROVISIONED_MAX	16384
#define VSWD_PORT_MACS_MAX	8
#define VSWD_ACCESS_MAX		64	/* users + groups on one switch's list */
#define VSWD_NO_ID		(-1)

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

/* Which VLANs a port client may ask for when it attaches a port nobody provisioned. */
enum vswd_vlan_policy {
	VSWD_VLANS_NONE,	/* untagged only (the default as root) */
	VSWD_VLANS_ANY,		/* any VLAN */
	VSWD_VLANS_LIST,	/* the VLANs in vlan_bits */
};

/**
 * struct vswd_msw - a switch in the model.
 * @id:           stable while the daemon runs (renames keep it); not saved
 * @name:         its name
 * @is_default:   the Default switch (NAT)
 * @access_set:   @allow_uids/@allow_gids replace the default access (the
 *                socket group); false: the default applies
 * @allow_uids:   uid_t: users whose clients may attach ports
 * @allow_gids:   gid_t: groups whose members' clients may attach ports
 * @client_vlans: enum vswd_vlan_policy
 * @vlan_bits:    VSWD_VLANS_LIST: bit v set if VLAN v may be asked for
 * @ha_name:      its host adapter's interface name, NULL: it has none
 * @ha_vlan:      the host adapter's VLAN (0 untagged)
 * @nic:          the physical NIC bound to it, NULL: none
 * @nic_vlan:     the NIC's native VLAN: untagged frames on the wire belong
 *                to it (0 untagged); frames of other VLANs are tagged
 *
 * Its type follows (docs/external.md): a NIC makes it External (shared
 * with the host when it also has a host adapter, which then takes over
 * the NIC's addresses, dedicated otherwise); a host adapter alone makes
 * it Internal; neither, Private.
 */
struct vswd_msw {
	uint32_t id;
	char *name;
	bool is_default;
	bool access_set;
	GArray *allow_uids;
	GArray *allow_gids;
	enum vswd_vlan_policy client_vlans;
	uint64_t vlan_bits[64];
	char *ha_name;
	uint16_t ha_vlan;
	char *nic;
	uint16_t nic_vlan;
};

/** vswd_msw_type() - "default", "private", "internal" or "external". */
const char *vswd_msw_type(const struct vswd_msw *s);

/**
 * struct vswd_mport - a provisioned port.
 * @sw_id:        its switch
 * @name:         the port name a client attaches with
 * @vlan:         0 (untagged) or 1..4094
 * @nmacs:        entries of @macs; 0: the client's declared MAC applies
 * @macs:         the MAC addresses the port may send from
 * @mac_spoofing: the port may send from any unicast MAC (learnt as today)
 * @dhcp_guard:   DHCP server messages from the port are dropped
 * @router_guard: router advertisements and redirects from the port are dropped
 * @owner_uid:    user whose client may claim it, or VSWD_NO_ID
 * @owner_gid:    group whose members' clients may claim it, or VSWD_NO_ID;
 *                neither set: administrators only
 */
struct vswd_mport {
	uint32_t sw_id;
	char *name;
	uint16_t vlan;
	unsigned nmacs;
	uint8_t macs[VSWD_PORT_MACS_MAX][6];
	bool mac_spoofing;
	bool dhcp_guard;
	bool router_guard;
	int64_t owner_uid;
	int64_t owner_gid;
};

/**
 * struct vswd_nat_settings - the Default switch's NAT ([nat], natcfg.c).
 * @net, @mask:    the IPv4 subnet
 * @prefix_len:    its prefix length
 * @gateway:       libslirp's address: the gateway, and the host itself
 * @dns:           libslirp's DNS forwarder
 * @dhcp_start:    the first address DHCP hands out
 * @ipv6:          IPv6 enabled
 * @prefix6:       the IPv6 /64 announced by router advertisements
 * @gateway6:      @prefix6 ::2, the host
 * @dns6:          @prefix6 ::3, the DNS forwarder
 * @dns_search:    DHCP domain search list, or NULL
 * @domain:        DHCP domain name, or NULL
 * @mtu:           libslirp's MTU and MRU
 * @host_loopback: guests reach the host's 127.0.0.1 at @gateway
 */
struct vswd_nat_settings {
	struct in_addr net, mask;
	unsigned prefix_len;
	struct in_addr gateway, dns, dhcp_start;
	bool ipv6;
	struct in6_addr prefix6, gateway6, dns6;
	char **dns_search;
	char *domain;
	unsigned mtu;
	bool host_loopback;
};

/**
 * struct vswd_mfwd - one inbound port forward of the NAT.
 */
struct vswd_mfwd {
	bool udp;
	struct in_addr host_addr;
	uint16_t host_port;
	struct in_addr guest_addr;
	uint16_t guest_port;
};

/**
 * struct vswd_model_defaults - what the defaults depend on.
 * @root: vswitchd runs as root (the system daemon): guests do not reach
 *        the host's loopback unless an administrator enables it; rootless
 *        they do, as with QEMU's and passt's user networking
 */
struct vswd_model_defaults {
	bool root;
};

/**
 * struct vswd_model - the whole configuration.
 * @defaults: what the defaults were derived from
 * @switches: struct vswd_msw *, Default first
 * @ports:    struct vswd_mport *, provisioned ports
 * @nat:      the NAT's settings
 * @nat_raw:  [nat] keys as set (written back verbatim): key -> value
 * @fwds:     struct vswd_mfwd *
 * @next_id:  the next switch id
 */
struct vswd_model {
	struct vswd_model_defaults defaults;
	GPtrArray *switches;
	GPtrArray *ports;
	struct vswd_nat_settings nat;
	GHashTable *nat_raw;
	GPtrArray *fwds;
	uint32_t next_id;
};

/** vswd_model_new() - a model with the Default switch only. */
struct vswd_model *vswd_model_new(const struct vswd_model_defaults *defaults);
/** vswd_model_copy() - a deep copy (ids kept). */
struct vswd_model *vswd_model_copy(const struct vswd_model *m);
void vswd_model_free(struct vswd_model *m);
typedef struct vswd_model vswd_model;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vswd_model, vswd_model_free)

/**
 * vswd_model_from_keyfile() - read a state file's contents.
 * @kf:       the parsed file
 * @path:     its name, for messages
 *
 * The file is untrusted input: every group, key and value is checked, and
 * anything unknown or invalid is an error that names the group and the
 * key (the daemon then refuses to start rather than lose what the file
 * holds).  Return: the model, or NULL with @err set.
 */
struct vswd_model *vswd_model_from_keyfile(GKeyFile *kf, const char *path,
					   const struct vswd_model_defaults *defaults,
					   GError **err);
/** vswd_model_to_keyfile() - the state file's contents, sorted so saves do not churn. */
GKeyFile *vswd_model_to_keyfile(const struct vswd_model *m);

/* Lookups: NULL if absent (with @err set where given). */
struct vswd_msw *vswd_model_switch(const struct vswd_model *m, const char *name,
				   GError **err);
struct vswd_msw *vswd_model_switch_by_id(const struct vswd_model *m, uint32_t id);
struct vswd_mport *vswd_model_port(const struct vswd_model *m, const struct vswd_msw *sw,
				   const char *name);

/** vswd_ifname_valid() - a Linux interface name: 1-15 bytes, no '/', ':' or space, not . or .. */
bool vswd_ifname_valid(const char *name);
/** vswd_ha_name_default() - the host adapter name derived from a switch name (to g_free()). */
char *vswd_ha_name_default(const char *sw_name);
/** vswd_model_ifname_user() - the switch whose host adapter or NIC @ifname is, or NULL. */
struct vswd_msw *vswd_model_ifname_user(const struct vswd_model *m, const char *ifname,
					bool *is_nic);

/* Mutators: false with @err set (the model is unchanged then). */
bool vswd_model_switch_add(struct vswd_model *m, const char *name, GError **err);
bool vswd_model_switch_remove(struct vswd_model *m, const char *name, GError **err);
bool vswd_model_switch_rename(struct vswd_model *m, const char *name,
			      const char *new_name, GError **err);
/**
 * vswd_model_switch_set_access() - who may attach ports to a switch.
 * @uids, @gids: the lists (copied); both NULL: back to the default
 */
bool vswd_model_switch_set_access(struct vswd_model *m, const char *name,
				  GArray *uids, GArray *gids, GError **err);
/** vswd_model_switch_set_vlans() - the VLANs port clients may ask for. */
bool vswd_model_switch_set_vlans(struct vswd_model *m, const char *name,
				 enum vswd_vlan_policy policy, const uint64_t bits[64],
				 GError **err);
/**
 * vswd_model_switch_set_host_adapter() - give a switch a host adapter
 * named @ifname (NULL: derived from the switch's name), or with @on false
 * take it away.  A switch that has one keeps its name unless @ifname
 * names another.
 */
bool vswd_model_switch_set_host_adapter(struct vswd_model *m, const char *name, bool on,
					const char *ifname, GError **err);
/**
 * vswd_model_switch_set_nic() - bind NIC @ifname to a switch (NULL:
 * unbind).  A NIC bound to another switch is refused unless @move, which
 * takes it from there.
 */
bool vswd_model_switch_set_nic(struct vswd_model *m, const char *name, const char *ifname,
			       bool move, GError **err);
/** vswd_model_switch_set_adapter_vlan() - @vlan (0-4094) of the host adapter or the NIC. */
bool vswd_model_switch_set_adapter_vlan(struct vswd_model *m, const char *name, bool nic,
					int vlan, GError **err);
/**
 * vswd_model_port_provision() - add or replace a provisioned port.
 * @p: its settings; @p->sw_id and @p->name name it (copied)
 */
bool vswd_model_port_provision(struct vswd_model *m, const struct vswd_mport *p,
			       GError **err);
bool vswd_model_port_unprovision(struct vswd_model *m, const char *sw, const char *name,
				 GError **err);

/* natcfg.c: the NAT's part of the model. */
/** vswd_nat_settings_default() - the settings without a [nat] group. */
void vswd_nat_settings_default(struct vswd_nat_settings *s, const struct vswd_model_defaults *d);
void vswd_nat_settings_clear(struct vswd_nat_settings *s);
void vswd_nat_settings_copy(struct vswd_nat_settings *dst, const struct vswd_nat_settings *src);
/**
 * vswd_nat_settings_parse() - settings from [nat] keys (@raw: key -> value
 * as written in the file).  @where prefixes messages ("FILE: [nat]").
 */
bool vswd_nat_settings_parse(GHashTable *raw, const struct vswd_model_defaults *d,
			     struct vswd_nat_settings *s, const char *where, GError **err);
/** vswd_model_nat_set() - set (or with @value NULL, reset) one [nat] key. */
bool vswd_model_nat_set(struct vswd_model *m, const char *key, const char *value,
			GError **err);
bool vswd_model_fwd_add(struct vswd_model *m, const struct vswd_mfwd *f, GError **err);
bool vswd_model_fwd_remove(struct vswd_model *m, bool udp, struct in_addr host_addr,
			   uint16_t host_port, GError **err);
struct vswd_mfwd *vswd_model_fwd_find(const struct vswd_model *m, bool udp,
				      struct in_addr host_addr, uint16_t host_port);
/** vswd_mfwd_equal() - same forward (all fields). */
bool vswd_mfwd_equal(const struct vswd_mfwd *a, const struct vswd_mfwd *b);
/** vswd_mfwd_cmp() - g_ptr_array_sort() order of forwards: TCP first, by host address, port. */
gint vswd_mfwd_cmp(gconstpointer a, gconstpointer b);
/** vswd_nat_guest_addr_ok() - where a forward may go: a host address of the subnet that is not libslirp's. */
bool vswd_nat_guest_addr_ok(const struct vswd_nat_settings *s, struct in_addr a);
/** vswd_nat_settings_equal() - same settings (a change restarts the NAT). */
bool vswd_nat_settings_equal(const struct vswd_nat_settings *a, const struct vswd_nat_settings *b);
/* natcfg.c, used by the model's keyfile code. */
bool vswd_natcfg_load(struct vswd_model *m, GKeyFile *kf, const char *path, GError **err);
void vswd_natcfg_save(const struct vswd_model *m, GKeyFile *kf);
bool vswd_natcfg_is_group(const char *group);

/* ------------------------------------------------------------------ */
/* Who may do what (pure functions of the model and the peer)          */

#define VSWD_PEER_GROUPS_MAX	64

/**
 * struct vswd_peer - a client as the kernel describes it (SO_PEERCRED,
 * SO_PEERGROUPS), and the role it was given.
 * @uid, @gid, @pid: its credentials at connect time
 * @ngroups:         entries of @groups (supplementary groups)
 * @admin:           an administrator: may do everything
 */
struct vswd_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	unsigned ngroups;
	gid_t groups[VSWD_PEER_GROUPS_MAX];
	bool admin;
};

/**
 * struct vswd_policy - the command line's part of who may do what.
 * @socket_gid: --socket-group: its members may attach ports to switches
 *              without an access list; VSWD_NO_ID if not given
 */
struct vswd_policy {
	int64_t socket_gid;
};

/** vswd_peer_in_group() - @p's primary or a supplementary group is @gid. */
bool vswd_peer_in_group(const struct vswd_peer *p, gid_t gid);

/**
 * struct vswd_attach_req - what a client asks for in port-attach.
 * @vlan: the VLAN it asks for (0: none)
 * @mac:  its NIC's MAC, or NULL
 */
struct vswd_attach_req {
	int vlan;
	const uint8_t *mac;
};

/**
 * struct vswd_port_settings - what a live port gets.
 * @provisioned:  from a provisioned port (its entry decides everything)
 * @vlan:         0 or 1..4094
 * @nmacs, @macs: the MAC addresses it may send from (none: not yet declared)
 * @mac_spoofing, @dhcp_guard, @router_guard: its guards
 * @trunk:        the switch's NIC: frames of every VLAN, tagged but for
 *                @vlan (its native VLAN)
 */
struct vswd_port_settings {
	bool provisioned;
	bool trunk;
	uint16_t vlan;
	unsigned nmacs;
	uint8_t macs[VSWD_PORT_MACS_MAX][6];
	bool mac_spoofing;
	bool dhcp_guard;
	bool router_guard;
};

/**
 * vswd_attach_decide() - may @peer attach port @port to @sw, and with what
 * settings?  Administrators may attach anywhere with any VLAN; a port
 * client needs the switch's access, must own a provisioned port it
 * claims, gets a provisioned port's settings whatever it asks, and may ask
 * for a VLAN only where the switch's policy allows it.
 * Return: true with @out filled, or false with @err (PermissionDenied
 * naming the reason).
 */
bool vswd_attach_decide(const struct vswd_model *m, const struct vswd_policy *pol,
			const struct vswd_msw *sw, const char *port,
			const struct vswd_peer *peer, const struct vswd_attach_req *req,
			struct vswd_port_settings *out, GError **err);

/**
 * vswd_mac_claimable() - may port @port of @sw send from @mac?  A port
 * provisioned with MACs may use only those; any other may use a unicast,
 * non-zero MAC that is neither the NAT's nor provisioned on another port.
 * (That no live port of the switch uses it is the runtime's check.)
 */
bool vswd_mac_claimable(const struct vswd_model *m, const struct vswd_msw *sw,
			const char *port, const uint8_t mac[6], GError **err);

/** vswd_may_use_switch() - may @peer (a port client) attach ports to @sw? */
bool vswd_may_use_switch(const struct vswd_policy *pol, const struct vswd_msw *sw,
			 const struct vswd_peer *peer);

/** vswd_port_settings_from() - the settings a provisioned port gives. */
void vswd_port_settings_from(const struct vswd_mport *p, struct vswd_port_settings *out);

/**
 * vswd_vlan_list_parse() - "10;20-29" (or with commas) into a bitmap.
 * Return: false if malformed (a VLAN outside 1..4094, a reversed range).
 */
bool vswd_vlan_list_parse(const char *v, uint64_t bits[64]);
/** vswd_vlan_list_format() - a bitmap as "10;20-29" (to g_free()). */
char *vswd_vlan_list_format(const uint64_t bits[64]);

/**
 * vswd_mport_cmp() - g_ptr_array_sort_with_data() order of provisioned
 * ports (@data: the model): by switch name, then port name.
 */
gint vswd_mport_cmp(gconstpointer a, gconstpointer b, gpointer data);
/** vswd_parse_bool() - "true" or "false" (as the state file writes them). */
bool vswd_parse_bool(const char *v, bool *out);

/** vswd_mac_parse() - "52:54:00:12:34:56" into @mac; false if malformed. */
bool vswd_mac_parse(const char *s, uint8_t mac[6]);
/** vswd_mac_format() - @mac as "52:54:00:12:34:56". */
void vswd_mac_format(const uint8_t mac[6], char out[18]);
/** vswd_mac_usable() - unicast and not all-zero. */
bool vswd_mac_usable(const uint8_t mac[6]);
/**
 * vswd_mac_reserved() - a MAC only the switch's own ports may use: the
 * NAT's (libslirp's 52:55:xx:xx:xx:xx and 52:56:xx:xx:xx:xx).
 */
bool vswd_mac_reserved(const uint8_t mac[6]);

#endif /* VSWITCH_MODEL_H */
