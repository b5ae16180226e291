/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vswitchctl.h - what the CLI's files share: options, the command tables,
 * the daemon client, and the output helpers.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The CLI is a table of command groups ("switch", "port", ...), each a
 * table of subcommands with a one-line help.  One file per group defines
 * `const struct ctl_group ctl_group_NAME`; CTL_GROUPS below lists them in
 * the order `vswitchctl help` shows them.  Adding a group is one file plus
 * one entry here (and its name in meson.build).
 *
 * Exit codes: 0 success, 1 the daemon refused or could not be reached,
 * 2 usage error (CTL_EXIT_*).
 */
#ifndef VSWITCHCTL_H
#define VSWITCHCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#define CTL_EXIT_OK		0
#define CTL_EXIT_FAIL		1
#define CTL_EXIT_USAGE		2

#define CTL_TIMEOUT_MS_DEFAULT	5000

/**
 * struct ctl - global options and the connection, one per run.
 * @sock_path:  control socket (--socket, or the default for this user)
 * @json:       print replies as JSON (--json)
 * @timeout_ms: bound on connecting plus one exchange (--timeout)
 * @fd:         connection to vswitchd, or -1 before the first call
 * @in:         bytes read from @fd and not yet consumed
 * @next_id:    id of the next request
 */
struct ctl {
	char *sock_path;
	bool json;
	int timeout_ms;
	int fd;
	GString *in;
	int64_t next_id;
};

/**
 * struct ctl_cmd - one subcommand.
 * @name:  the word after the group's name; NULL for a group that is a
 *         command by itself ("version")
 * @args:  argument synopsis for usage lines, e.g. "NAME [--force]"
 * @help:  one line, lower case, no final period
 * @fn:    runs it; argv[0] is the subcommand's word, options follow.
 *         Returns a CTL_EXIT_* code.
 * @details: more text for `vswitchctl GROUP CMD --help`, or NULL
 * @alias: not listed by `vswitchctl help` (its help says what it aliases)
 */
struct ctl_cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
	const char *details;
	bool alias;
};

/**
 * struct ctl_group - a command group.
 * @name:  first word of the command line
 * @cmds:  its subcommands, ended by an entry with a NULL @fn; the first
 *         runs when the group is given without a subcommand
 * @alias: not listed by `vswitchctl help`
 */
struct ctl_group {
	const char *name;
	const struct ctl_cmd *cmds;
	bool alias;
};

#define CTL_GROUPS(X) \
	X(switch) \
	X(port) \
	X(mac) \
	X(fdb) \
	X(nat) \
	X(whoami) \
	X(version) \
	X(raw)

#define CTL_DECLARE_GROUP(g) extern const struct ctl_group ctl_group_##g;
CTL_GROUPS(CTL_DECLARE_GROUP)
#undef CTL_DECLARE_GROUP

/* ------------------------------------------------------------------ */
/* Arguments (main.c)                                                  */

/**
 * struct ctl_opt - an option a subcommand takes.
 * @name:    long name without the dashes ("force")
 * @metavar: NULL for a flag, else the value's name in usage ("N")
 * @flag:    set to true when a flag is given
 * @value:   set to the value of an option with a @metavar (the last one
 *           given, if it is given more than once)
 * @list:    if not NULL, every value of an option that may be repeated is
 *           appended to it (const char *, pointing into argv)
 */
struct ctl_opt {
	const char *name;
	const char *metavar;
	bool *flag;
	const char **value;
	GPtrArray *list;
};

/**
 * ctl_parse_args() - split a subcommand's argv into options and positionals.
 * @ctl:   global options: --json, --socket and --timeout are taken anywhere
 * @cmd:   the subcommand, for usage messages and --help
 * @argc, @argv: as given to the subcommand (argv[0] is its word)
 * @opts:  options it takes, ended by an entry with a NULL name (or NULL)
 * @pos:   filled with up to @max positional arguments
 * @min, @max: how many positional arguments it needs
 *
 * "--" ends the options.  Return: the number of positionals, or
 * CTL_PARSE_HELP (usage printed on --help) or CTL_PARSE_USAGE (a usage
 * error printed): the caller then returns CTL_PARSE_EXIT() of it.
 */
int ctl_parse_args(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
		   const struct ctl_opt *opts, char **pos, int min, int max);

#define CTL_PARSE_HELP		(-1)
#define CTL_PARSE_USAGE		(-2)
#define CTL_PARSE_EXIT(rc)	((rc) == CTL_PARSE_HELP ? CTL_EXIT_OK : CTL_EXIT_USAGE)

/**
 * ctl_usage_error() - print "vswitchctl: MESSAGE" and the command's usage
 * line to stderr.  Return: CTL_EXIT_USAGE.
 */
int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/**
 * ctl_error() - print "vswitchctl: MESSAGE" to stderr.  Return: CTL_EXIT_FAIL.
 */
int ctl_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/**
 * ctl_parse_vlan() - read a VLAN argument: 0..4094, or "none"/"untagged"
 * for 0.  Return: the VLAN, or -1 if @s is none of these.
 */
int ctl_parse_vlan(const char *s);

/**
 * ctl_parse_onoff() - read an on/off argument: "on", "true", "yes", "1"
 * or "off", "false", "no", "0", in any case.  Return: 1, 0, or -1 if @s
 * is none of these.
 */
int ctl_parse_onoff(const char *s);

/**
 * ctl_onoff_arg() - put the on/off value @s of option --@opt into @a as
 * the boolean member @opt, if @s is not NULL.  Return: false after a
 * usage error.
 */
bool ctl_onoff_arg(const struct ctl_cmd *cmd, const char *opt, const char *s, JsonObject *a);

/* ------------------------------------------------------------------ */
/* Users and groups (ids.c)                                            */

/**
 * ctl_user_id() / ctl_group_id() - a user or group given by name or by
 * number (digits only: the number, whether or not it has a name).
 * Return: false if @s is neither a known name nor a number below 2^32 - 1.
 */
bool ctl_user_id(const char *s, uint32_t *out);
bool ctl_group_id(const char *s, uint32_t *out);

/**
 * ctl_user_str() / ctl_group_str() - a uid or gid as its name if it has
 * one, else as the number.  Free with g_free().
 */
char *ctl_user_str(int64_t uid);
char *ctl_group_str(int64_t gid);

/* ------------------------------------------------------------------ */
/* The daemon (client.c)                                               */

/**
 * ctl_call() - run one command on vswitchd and wait for its reply.
 * @ctl:     connects on the first call (bounded by ctl->timeout_ms)
 * @execute: command name ("switch-add")
 * @args:    its arguments, or NULL; the call takes the reference
 * @reply:   if not NULL, receives the whole reply object (error replies too)
 *
 * Prints "vswitchctl: <reason>" to stderr on any failure: no daemon,
 * timeout, an error reply (its desc).  Return: the reply's "return" node
 * (owned by the caller), or NULL on failure.
 */
JsonNode *ctl_call(struct ctl *ctl, const char *execute, JsonObject *args,
		   JsonObject **reply);

/**
 * ctl_call_request() - send @request as given (it must be a JSON object)
 * and return the reply object, error or not.  For `vswitchctl raw`.
 * Return: the reply, or NULL after printing why there is none.
 */
JsonObject *ctl_call_request(struct ctl *ctl, JsonObject *request);

/** ctl_disconnect() - close the connection, if any. */
void ctl_disconnect(struct ctl *ctl);

/* ------------------------------------------------------------------ */
/* Output (output.c)                                                   */

struct ctl_table;

/**
 * ctl_table_new() - a table with a header row.
 * @align: one character per column, 'l' (text) or 'r' (numbers)
 * @...:   the column titles, as many as @align has characters
 */
struct ctl_table *ctl_table_new(const char *align, ...);

/** ctl_table_cell() - append a cell; rows wrap after the last column. */
void ctl_table_cell(struct ctl_table *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/** ctl_table_print() - print the table with aligned columns, and free it. */
void ctl_table_print(struct ctl_table *t);

/** ctl_field() - print one "key:  value" line of a detail view. */
void ctl_field(const char *key, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/** ctl_print_json() - print @node pretty, with a final newline. */
void ctl_print_json(JsonNode *node);

/**
 * ctl_print_result() - with --json print @node; otherwise nothing.  Frees
 * @node.  Return: CTL_EXIT_OK, or CTL_EXIT_FAIL if @node is NULL (the call
 * failed and said why).
 */
int ctl_print_result(struct ctl *ctl, JsonNode *node);

/**
 * ctl_get_int() / ctl_get_str() - read a member of a reply object,
 * tolerating its absence or another type (a newer or older daemon):
 * 0 or "" then.
 */
int64_t ctl_get_int(JsonObject *o, const char *member);
const char *ctl_get_str(JsonObject *o, const char *member);

/**
 * ctl_get_array() - the array member @member of @o, or an empty array
 * (never NULL; owned by @o or static).
 */
JsonArray *ctl_get_array(JsonObject *o, const char *member);

/** ctl_vlan_str() - "none" for 0, else the number; in a static buffer. */
const char *ctl_vlan_str(int64_t vlan);

/* ------------------------------------------------------------------ */
/* Shared by groups                                                    */

/**
 * ctl_port_table() - print the ports of @ports (port objects) as a table,
 * with a SWITCH column if @with_switch.
 */
void ctl_port_table(JsonArray *ports, bool with_switch);

#endif /* VSWITCHCTL_H */
