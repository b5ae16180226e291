/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * harness.h - run a real vswitchd and real client processes from a gtest.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * A test starts vswitchd (the real binary) on a private socket and state
 * directory, talks to it over the control protocol, and starts vsw-peer
 * processes (real libvswitch clients) that it drives line by line.  Every
 * wait is bounded; only processes started here are killed, by PID.
 */
#ifndef VSWITCH_TEST_HARNESS_H
#define VSWITCH_TEST_HARNESS_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon {
	GPid pid;
	char *dir;		/* temporary: socket and state live here */
	char *sock;
	char *state;
	char *log;
};

struct peer {
	GPid pid;
	int in;			/* we write commands */
	int out;		/* we read replies */
	GString *buf;
	char *name;		/* port name the daemon gave */
	int vlan;
};

/* Paths of the binaries under test (set from the environment or defaults). */
void harness_init(int *argc, char ***argv);
/** build_file() - @rel ("tests/vsw-attack") in the build directory (g_free it). */
char *build_file(const char *rel);
/**
 * tools_for_others() - a directory anyone may enter holding copies of the
 * client tools (vsw-peer, vsw-attack where built, vswitchctl) and
 * libvswitch: the build may live where only root can reach.
 */
const char *tools_for_others(void);
/**
 * as_user() - append to @argv the prefix that runs a tool of
 * tools_for_others() as @uid with supplementary group @group (0: none):
 * setpriv, then LD_LIBRARY_PATH.  Nothing for uid 0.  The strings are
 * static: spawn @argv before the next call.
 */
void as_user(GPtrArray *argv, uid_t uid, gid_t group);
/** die_with_parent() - g_spawn child setup: die with the test (PR_SET_PDEATHSIG). */
void die_with_parent(gpointer data);
/** now_ms() - the monotonic clock in milliseconds. */
gint64 now_ms(void);
/** need_root() - true if root with setpriv; else marks the test skipped. */
bool need_root(void);
/** add_switch() - create private switch @name (it must work). */
void add_switch(struct daemon *d, const char *name);

#define QUIET_MS	300	/* how long "nothing arrives" is watched */
#define ARRIVE_MS	3000	/* bound for a frame that must arrive */

/** expect_frame() - @p must receive exactly the frame @hex within ARRIVE_MS. */
void expect_frame(struct peer *p, const char *hex);
/** expect_nothing() - @p receives nothing within QUIET_MS. */
void expect_nothing(struct peer *p);
/** wait_counter() - wait up to @ms until a port counter is @want exactly (asserted). */
void wait_counter(struct daemon *d, const char *sw, const char *port,
		  const char *counter, gint64 want, int ms);

/** daemon_start() - start vswitchd with @extra_args (NULL-terminated or NULL). */
void daemon_start(struct daemon *d, const char *const *extra_args);
/** daemon_restart() - stop it and start it again on the same state. */
void daemon_restart(struct daemon *d, const char *const *extra_args);
/** daemon_stop() - SIGTERM, wait (bounded), SIGKILL if needed; keep the dir. */
void daemon_stop(struct daemon *d);
/** daemon_cleanup() - stop and remove the directory. */
void daemon_cleanup(struct daemon *d);
/** daemon_alive() - true if the process still runs. */
bool daemon_alive(struct daemon *d);

/**
 * ctl() - one request on a fresh connection.
 * Return: the reply object (json_node_unref it).
 */
JsonNode *ctl(struct daemon *d, const char *execute, const char *args_json);
/** ctl_ok() - ctl() that must succeed; Return: the "return" member (copy). */
JsonNode *ctl_ok(struct daemon *d, const char *execute, const char *args_json);
/** ctl_err() - ctl() that must fail; Return: the error class (g_free it). */
char *ctl_err(struct daemon *d, const char *execute, const char *args_json,
	      char **desc);
/** ctl_raw() - send raw bytes, read one reply line (bounded); NULL on EOF. */
char *ctl_raw(struct daemon *d, const char *bytes, size_t len);

/** port_counter() - a port's counter ("rx-packets", or "drops.runt"). */
gint64 port_counter(struct daemon *d, const char *sw, const char *port,
		    const char *counter);

/**
 * peer_start() - a vsw-peer on @sw (port name and VLAN may be NULL/0),
 * declaring no MAC.  Return: true if it attached; otherwise *@error holds
 * its message.
 */
bool peer_start(struct peer *p, struct daemon *d, const char *sw,
		const char *port, int vlan, char **error);

/**
 * struct peer_opts - how else a vsw-peer starts.
 * @mac:    the MAC it declares at attach (the one it may send from), or NULL
 * @uid:    run it as this user (setpriv), or 0 for the test's own
 * @group:  and with this supplementary group (0: none)
 */
struct peer_opts {
	const uint8_t *mac;
	uid_t uid;
	gid_t group;
};

/** peer_start_opts() - peer_start() with @o. */
bool peer_start_opts(struct peer *p, struct daemon *d, const char *sw, const char *port,
		     int vlan, const struct peer_opts *o, char **error);

/**
 * daemon_open_to() - let @uid (any with @group) reach the daemon's socket:
 * its directory becomes traversable; the daemon must run with a
 * --socket-group naming @group for the socket itself.
 */
void daemon_open_dir(struct daemon *d);

/**
 * ctl_as() - ctl() from a client running as @uid with @group (0: none):
 * `vswitchctl raw` through setpriv.  Return: the reply object.
 */
JsonNode *ctl_as(struct daemon *d, uid_t uid, gid_t group, const char *execute,
		 const char *args_json);
/** peer_cmd() - send one command line, return the reply line (g_free it). */
char *peer_cmd(struct peer *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/** peer_stop() - quit, wait (bounded), kill if needed. */
void peer_stop(struct peer *p);
/** peer_kill() - SIGKILL, like a crashing client. */
void peer_kill(struct peer *p);

/* Frames. */
/** frame_hex() - hex of a frame dst, src, ethertype, then @payload bytes. */
char *frame_hex(const uint8_t dst[6], const uint8_t src[6], uint16_t type,
		const char *payload);
/** peer_send() - send and assert "ok". */
void peer_send(struct peer *p, const char *hex);
/** peer_recv() - receive within @ms; Return: hex or NULL (g_free it). */
char *peer_recv(struct peer *p, int ms);

#endif /* VSWITCH_TEST_HARNESS_H */
