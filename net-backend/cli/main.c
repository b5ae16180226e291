// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - vswitchctl: global options, help, and dispatch to command groups.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vswitch/vswitch.h"
#include "vswitchctl.h"

#define CTL_GROUP_ENTRY(g) &ctl_group_##g,
static const struct ctl_group *const groups[] = {
	CTL_GROUPS(CTL_GROUP_ENTRY)
};
#undef CTL_GROUP_ENTRY

/* The group being run, for usage lines. */
static const struct ctl_group *cur_group;

#define TIMEOUT_MS_MAX	3600000

/* ------------------------------------------------------------------ */
/* Help                                                                */

/* "switch add NAME": the command as a user types it. */
static char *cmd_synopsis(const struct ctl_group *g, const struct ctl_cmd *c)
{
	return g_strjoin(" ", g->name, c->name ? c->name : c->args,
			 c->name && c->args ? c->args : NULL, NULL);
}

/*
 * The words of a synopsis, an option group in brackets ("[--vlan N]",
 * "[--mac MAC]...") as one word.
 */
static GPtrArray *synopsis_words(const char *syn)
{
	GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
	const char *p = syn;

	while (*p) {
		const char *end = p;

		if (*p == ' ') {
			p++;
			continue;
		}
		if (*p == '[' && strchr(p, ']'))
			end = strchr(p, ']') + 1;
		while (*end && *end != ' ')
			end++;
		g_ptr_array_add(w, g_strndup(p, (gsize)(end - p)));
		p = end;
	}
	return w;
}

/*
 * The synopsis for the table of commands: a long one has its option groups
 * folded into one "[OPTIONS]"; the command's own --help gives them all.
 */
#define TABLE_SYNOPSIS_MAX	40

static char *cmd_table_synopsis(const struct ctl_group *g, const struct ctl_cmd *c)
{
	char *syn = cmd_synopsis(g, c);
	g_autoptr(GPtrArray) words = NULL;
	GString *s;
	bool folded = false;

	if (strlen(syn) <= TABLE_SYNOPSIS_MAX)
		return syn;
	words = synopsis_words(syn);
	g_free(syn);
	s = g_string_new(NULL);
	for (unsigned i = 0; i < words->len; i++) {
		const char *w = words->pdata[i];

		if (w[0] == '[' && w[1] == '-') {
			if (folded)
				continue;
			folded = true;
			w = "[OPTIONS]";
		}
		g_string_append_printf(s, "%s%s", s->len ? " " : "", w);
	}
	return g_string_free(s, FALSE);
}

/* "Usage: ...", wrapped before 80 columns, a bracketed group never split. */
static void print_cmd_usage(FILE *f, const struct ctl_group *g, const struct ctl_cmd *c)
{
	g_autofree char *syn = cmd_synopsis(g, c);
	g_autoptr(GPtrArray) words = synopsis_words(syn);
	size_t col;

	col = (size_t)fprintf(f, "Usage: vswitchctl [OPTIONS]");
	for (unsigned i = 0; i < words->len; i++) {
		const char *w = words->pdata[i];

		if (col + 1 + strlen(w) > 79 && col > 8) {
			fputs("\n       ", f);
			col = 7;
		} else {
			fputc(' ', f);
			col++;
		}
		fputs(w, f);
		col += strlen(w);
	}
	fputc('\n', f);
}

static void print_cmd_help(const struct ctl_group *g, const struct ctl_cmd *c)
{
	print_cmd_usage(stdout, g, c);
	printf("\n%c%s.\n", g_ascii_toupper(c->help[0]), c->help + 1);
	if (c->details)
		printf("\n%s", c->details);
	printf("\nOPTIONS are the global ones: see 'vswitchctl help'.\n");
}

static void print_cmd_table(const struct ctl_group *only)
{
	size_t width = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(groups); i++) {
		const struct ctl_group *g = groups[i];

		if ((only && g != only) || (!only && g->alias))
			continue;
		for (const struct ctl_cmd *c = g->cmds; c->fn; c++) {
			g_autofree char *syn = cmd_table_synopsis(g, c);

			if (!c->alias)
				width = MAX(width, strlen(syn));
		}
	}
	for (size_t i = 0; i < G_N_ELEMENTS(groups); i++) {
		const struct ctl_group *g = groups[i];

		if ((only && g != only) || (!only && g->alias))
			continue;
		for (const struct ctl_cmd *c = g->cmds; c->fn; c++) {
			g_autofree char *syn = cmd_table_synopsis(g, c);

			if (!c->alias)
				printf("  %-*s  %s\n", (int)width, syn, c->help);
		}
	}
	if (!only)
		printf("  %-*s  %s\n", (int)width, "help [COMMAND]",
		       "show this, or how to use a command");
}

static void print_help(void)
{
	char path[108];

	if (vsw_default_sock_path(path, sizeof(path)) < 0)
		g_strlcpy(path, "$XDG_RUNTIME_DIR/vswitch/vswitchd.sock", sizeof(path));
	printf("Usage: vswitchctl [OPTIONS] COMMAND [ARGS...]\n"
	       "\n"
	       "Manage the virtual switches of vswitchd.\n"
	       "\n"
	       "Commands:\n");
	print_cmd_table(NULL);
	printf("\n"
	       "Options (also accepted after COMMAND):\n"
	       "  -s, --socket PATH   control socket (default %s)\n"
	       "  -j, --json          print the daemon's reply as JSON, for scripts\n"
	       "  -t, --timeout MS    wait at most MS milliseconds for vswitchd (default %d)\n"
	       "  -h, --help          show this help\n"
	       "  -V, --version       print vswitchctl's version\n"
	       "\n"
	       "Exit status: 0 done, 1 vswitchd refused or cannot be reached, 2 usage error.\n",
	       path, CTL_TIMEOUT_MS_DEFAULT);
}

static void print_group_help(const struct ctl_group *g)
{
	printf("Usage: vswitchctl [OPTIONS] %s COMMAND [ARGS...]\n\nCommands:\n", g->name);
	print_cmd_table(g);
	printf("\nRun 'vswitchctl %s COMMAND --help' for one command.\n", g->name);
}

static const struct ctl_group *find_group(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(groups); i++)
		if (!strcmp(groups[i]->name, name))
			return groups[i];
	return NULL;
}

static const struct ctl_cmd *find_cmd(const struct ctl_group *g, const char *name)
{
	for (const struct ctl_cmd *c = g->cmds; c->fn; c++)
		if (c->name && !strcmp(c->name, name))
			return c;
	return NULL;
}

/* vswitchctl help [GROUP [CMD]] */
static int run_help(int argc, char **argv)
{
	const struct ctl_group *g;
	const struct ctl_cmd *c;

	if (argc < 2) {
		print_help();
		return CTL_EXIT_OK;
	}
	g = find_group(argv[1]);
	if (!g) {
		fprintf(stderr, "vswitchctl: no command '%s' (try 'vswitchctl help')\n", argv[1]);
		return CTL_EXIT_USAGE;
	}
	if (!g->cmds[0].name) {
		print_cmd_help(g, &g->cmds[0]);
		return CTL_EXIT_OK;
	}
	if (argc < 3) {
		print_group_help(g);
		return CTL_EXIT_OK;
	}
	c = find_cmd(g, argv[2]);
	if (!c) {
		fprintf(stderr, "vswitchctl: no command '%s %s' (try 'vswitchctl help %s')\n",
			g->name, argv[2], g->name);
		return CTL_EXIT_USAGE;
	}
	print_cmd_help(g, c);
	return CTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */

int ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vswitchctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_FAIL;
}

static void vusage(const struct ctl_cmd *cmd, const char *fmt, va_list ap)
{
	fputs("vswitchctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (cmd && cur_group)
		print_cmd_usage(stderr, cur_group, cmd);
}

int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage(cmd, fmt, ap);
	va_end(ap);
	return CTL_EXIT_USAGE;
}

/* ctl_usage_error() for the parser: Return: CTL_PARSE_USAGE. */
static int G_GNUC_PRINTF(2, 3) parse_fail(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage(cmd, fmt, ap);
	va_end(ap);
	return CTL_PARSE_USAGE;
}

/*
 * Does @argv[*i] name option --@lng (or -@shrt)?  An option with a value
 * takes it from "--lng=VALUE" or the next argument; *@i then moves past it.
 * Return: 1 matched, 0 not this option, -1 matched but the value is
 * missing or was given to a flag.
 */
static int match_opt(int argc, char **argv, int *i, const char *lng, char shrt,
		     bool has_arg, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);

	if (shrt && a[0] == '-' && a[1] == shrt && !a[2]) {
		/* -x */
	} else if (a[0] == '-' && a[1] == '-' && !strncmp(a + 2, lng, n) &&
		   (!a[2 + n] || a[2 + n] == '=')) {
		if (a[2 + n] == '=') {
			if (!has_arg)
				return -1;
			*val = a + 3 + n;
			return 1;
		}
	} else {
		return 0;
	}
	if (!has_arg)
		return 1;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

int ctl_parse_vlan(const char *s)
{
	int v = 0;

	if (!g_ascii_strcasecmp(s, "none") || !g_ascii_strcasecmp(s, "untagged"))
		return 0;
	if (!s[0] || strlen(s) > 4)
		return -1;
	for (const char *p = s; *p; p++) {
		if (!g_ascii_isdigit(*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v <= VSW_VLAN_MAX ? v : -1;
}

int ctl_parse_onoff(const char *s)
{
	static const char *const on[] = { "on", "true", "yes", "1" };
	static const char *const off[] = { "off", "false", "no", "0" };

	for (size_t i = 0; i < G_N_ELEMENTS(on); i++) {
		if (!g_ascii_strcasecmp(s, on[i]))
			return 1;
		if (!g_ascii_strcasecmp(s, off[i]))
			return 0;
	}
	return -1;
}

bool ctl_onoff_arg(const struct ctl_cmd *cmd, const char *opt, const char *s, JsonObject *a)
{
	int v;

	if (!s)
		return true;
	v = ctl_parse_onoff(s);
	if (v < 0) {
		ctl_usage_error(cmd, "invalid value '%s' for --%s: on or off", s, opt);
		return false;
	}
	json_object_set_boolean_member(a, opt, v);
	return true;
}

/*
 * Take a global option at argv[*i] if it is one.  Return: 1 taken,
 * 0 not a global option, CTL_PARSE_USAGE after an error message.
 */
static int global_opt(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
		      char **argv, int *i)
{
	const char *val = NULL;
	const char *a = argv[*i];
	int rc;

	if ((rc = match_opt(argc, argv, i, "json", 'j', false, &val))) {
		if (rc < 0)
			return parse_fail(cmd, "option '--json' takes no value");
		ctl->json = true;
		return 1;
	}
	if ((rc = match_opt(argc, argv, i, "socket", 's', true, &val))) {
		if (rc < 0 || !val[0])
			return parse_fail(cmd, "option '%s' needs a PATH", a);
		g_free(ctl->sock_path);
		ctl->sock_path = g_strdup(val);
		return 1;
	}
	if ((rc = match_opt(argc, argv, i, "timeout", 't', true, &val))) {
		guint64 ms;

		if (rc < 0)
			return parse_fail(cmd, "option '%s' needs a value in ms", a);
		if (!g_ascii_string_to_unsigned(val, 10, 1, TIMEOUT_MS_MAX, &ms, NULL))
			return parse_fail(cmd, "invalid timeout '%s': give milliseconds, "
					  "1 to %d", val, TIMEOUT_MS_MAX);
		ctl->timeout_ms = (int)ms;
		return 1;
	}
	return 0;
}

/*
 * The name of positional argument @n in @cmd's synopsis ("NEW-NAME" in
 * "NAME NEW-NAME"), skipping options and their values.
 */
static char *missing_arg(const struct ctl_cmd *cmd, int n)
{
	g_auto(GStrv) words = g_strsplit(cmd->args ? cmd->args : "", " ", -1);
	bool skip = false;

	for (char **w = words; *w; w++) {
		if (skip || !**w || **w == '[') {
			skip = false;
			continue;
		}
		if (**w == '-') {
			skip = !strchr(*w, '=');
			continue;
		}
		if (n-- == 0)
			return g_strdup(*w);
	}
	return g_strdup("argument");
}

int ctl_parse_args(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
		   const struct ctl_opt *opts, char **pos, int min, int max)
{
	bool only_pos = false;
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc;

		if (only_pos || a[0] != '-' || !a[1]) {
			if (npos == max)
				return parse_fail(cmd, "unexpected argument '%s'", a);
			pos[npos++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_cmd_help(cur_group, cmd);
			return CTL_PARSE_HELP;
		}
		rc = global_opt(ctl, cmd, argc, argv, &i);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		for (const struct ctl_opt *o = opts; o && o->name; o++) {
			const char *val = NULL;

			rc = match_opt(argc, argv, &i, o->name, 0, o->metavar != NULL, &val);
			if (rc < 0 && o->metavar)
				return parse_fail(cmd, "option '--%s' needs a value %s",
						  o->name, o->metavar);
			if (rc < 0)
				return parse_fail(cmd, "option '--%s' takes no value", o->name);
			if (rc) {
				if (o->flag)
					*o->flag = true;
				if (o->value)
					*o->value = val;
				if (o->list)
					g_ptr_array_add(o->list, (gpointer)val);
				break;
			}
		}
		if (!rc)
			return parse_fail(cmd, "unknown option '%s'", a);
	}
	if (npos < min) {
		g_autofree char *what = missing_arg(cmd, npos);

		return parse_fail(cmd, "missing %s", what);
	}
	return npos;
}

/* ------------------------------------------------------------------ */
/* main                                                                */

static int run(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_group *g;
	const struct ctl_cmd *c;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc;

		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_help();
			return CTL_EXIT_OK;
		}
		if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("vswitchctl %s (protocol %d)\n", VSW_VERSION_STRING,
			       VSW_PROTOCOL_VERSION);
			return CTL_EXIT_OK;
		}
		rc = global_opt(ctl, NULL, argc, argv, &i);
		if (rc < 0)
			return CTL_EXIT_USAGE;
		if (!rc) {
			fprintf(stderr, "vswitchctl: unknown option '%s' (try 'vswitchctl help')\n", a);
			return CTL_EXIT_USAGE;
		}
	}
	if (i == argc) {
		fprintf(stderr, "vswitchctl: no command given (try 'vswitchctl help')\n");
		return CTL_EXIT_USAGE;
	}
	argc -= i;
	argv += i;
	if (!strcmp(argv[0], "help"))
		return run_help(argc, argv);
	g = find_group(argv[0]);
	if (!g) {
		fprintf(stderr, "vswitchctl: no command '%s' (try 'vswitchctl help')\n", argv[0]);
		return CTL_EXIT_USAGE;
	}
	cur_group = g;
	/* A group that is a command by itself, or a group's default command. */
	if (!g->cmds[0].name || argc == 1 ||
	    (argv[1][0] == '-' && strcmp(argv[1], "-h") && strcmp(argv[1], "--help")))
		return g->cmds[0].fn(ctl, &g->cmds[0], argc, argv);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_group_help(g);
		return CTL_EXIT_OK;
	}
	c = find_cmd(g, argv[1]);
	if (!c) {
		fprintf(stderr, "vswitchctl: no command '%s %s' (try 'vswitchctl help %s')\n",
			g->name, argv[1], g->name);
		return CTL_EXIT_USAGE;
	}
	return c->fn(ctl, c, argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	struct ctl ctl = {
		.timeout_ms = CTL_TIMEOUT_MS_DEFAULT,
		.fd = -1,
		.next_id = 1,
	};
	int rc;

	rc = run(&ctl, argc, argv);
	ctl_disconnect(&ctl);
	g_free(ctl.sock_path);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vswitchctl: cannot write the output: %s\n", g_strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return rc;
}
