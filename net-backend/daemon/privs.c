// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * privs.c - vswitchd as root keeps only what the features in use need.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Rules (docs/design.md, "Privileges"):
 *   - Everything that needs root happens first: the control socket is
 *     bound (/run/vswitch), the state directory created and read.  Then,
 *     before any thread starts, the daemon gives up the rest.
 *   - With --user NAME (default "vswitch" where that user exists) it
 *     becomes that user, with no supplementary groups; its state
 *     directory is handed to it.  It stays not dumpable, so a process of
 *     the same user (the NAT helper, sandboxed as it is) cannot read its
 *     memory.
 *   - It keeps, and only in the threads that use them:
 *       CAP_SYS_NICE          until the data path thread has set its
 *                             priority (--dp-nice below 0);
 *       CAP_NET_BIND_SERVICE  inheritable and ambient, so the NAT helper
 *                             can listen for forwards below 1024;
 *       CAP_SETUID, _SETGID,  only if it stays root: the NAT helper then
 *       CAP_KILL              starts as root and becomes --nat-user itself,
 *                             and only CAP_KILL lets a process signal one of
 *                             another user (to stop a NAT that hangs).
 *       CAP_NET_ADMIN,        host adapters (TAP devices) and binding NICs
 *       CAP_NET_RAW           (their addresses, routes, AF_PACKET sockets):
 *                             Internal and External switches.
 *     The bounding set is cleared of everything else.
 *   - It says in its log what it kept.
 */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>
#include <glib/gstdio.h>

#include "vswitchd.h"

/* Give @path (and, for a directory, what is in it) to @uid:@gid. */
static void hand_over(const char *path, uid_t uid, gid_t gid)
{
	g_autoptr(GDir) d = NULL;
	const char *name;

	if (lchown(path, uid, gid) < 0)
		g_warning("cannot give %s to uid %u: %s", path, (unsigned)uid, g_strerror(errno));
	d = g_dir_open(path, 0, NULL);
	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(path, name, NULL);

		if (lchown(p, uid, gid) < 0)
			g_warning("cannot give %s to uid %u: %s", p, (unsigned)uid,
				  g_strerror(errno));
	}
}

bool vswd_privs_drop(struct vswd *d, GError **err)
{
	const char *user = d->cfg.user ? d->cfg.user : VSWD_USER_DEFAULT;
	bool nice = d->cfg.dp_nice < 0;
	struct passwd *pw = NULL;
	GString *kept = g_string_new(NULL);
	bool stay_root;

	if (geteuid() != 0) {
		g_string_free(kept, TRUE);
		return true;	/* rootless: nothing to drop */
	}
	if (*user && strcmp(user, "root")) {
		pw = getpwnam(user);
		if (!pw && d->cfg.user) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "--user %s: no such user", user);
			g_string_free(kept, TRUE);
			return false;
		}
	}
	stay_root = !pw || pw->pw_uid == 0;
	capng_clear(CAPNG_SELECT_ALL);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE |
		     CAPNG_BOUNDING_SET | CAPNG_AMBIENT, CAP_NET_BIND_SERVICE);
	g_string_append(kept, "CAP_NET_BIND_SERVICE (the NAT's forwards below 1024)");
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN, CAP_NET_RAW, -1);
	g_string_append(kept, ", CAP_NET_ADMIN and CAP_NET_RAW (host adapters and NICs)");
	if (nice) {
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_SYS_NICE);
		g_string_append(kept, ", CAP_SYS_NICE (until the data path set its priority)");
	}
	if (stay_root) {
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			     CAP_SETUID);
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			     CAP_SETGID);
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_KILL);
		g_string_append(kept, ", CAP_SETUID and CAP_SETGID (the NAT helper becomes ");
		g_string_append(kept, d->cfg.nat_user);
		g_string_append(kept, "), CAP_KILL (to stop it if it hangs)");
		if (capng_apply(CAPNG_SELECT_ALL) < 0) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC,
				    "cannot drop capabilities: %s", g_strerror(errno));
			g_string_free(kept, TRUE);
			return false;
		}
		g_message("running as root%s, keeping only %s", *user && strcmp(user, "root") ?
			  " (no such user for --user)" : "", kept->str);
		g_string_free(kept, TRUE);
		return true;
	}
	hand_over(d->cfg.state_dir, pw->pw_uid, pw->pw_gid);
	if (capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
			    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC,
			    "cannot become user %s: %s", user, g_strerror(errno));
		g_string_free(kept, TRUE);
		return false;
	}
	/* Ambient last: it needs the capability permitted and inheritable. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) < 0)
		g_warning("cannot pass CAP_NET_BIND_SERVICE on to the NAT helper: %s",
			  g_strerror(errno));
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	g_message("running as user %s (uid %u), keeping only %s", user,
		  (unsigned)pw->pw_uid, kept->str);
	g_string_free(kept, TRUE);
	return true;
}

void vswd_privs_thread_done(void)
{
	if (capng_get_caps_process() < 0 ||
	    !capng_have_capability(CAPNG_PERMITTED, CAP_SYS_NICE))
		return;
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_SYS_NICE);
	capng_apply(CAPNG_SELECT_CAPS);
}
