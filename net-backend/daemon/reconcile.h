/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reconcile.h - the one way the configuration changes.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Every change an administrator makes is a new model handed to
 * vswd_commit(), which
 *   1. prepares what can fail without side effects (new switches' data
 *      path side),
 *   2. saves the new model to the state file, atomically: if that fails,
 *      nothing has changed and the error says why,
 *   3. makes it the daemon's model and applies the difference to the
 *      runtime: switches removed (their ports reset), renamed, added;
 *      live ports whose provisioned settings changed get them from the
 *      next frame (their clients hear of a VLAN change); a port whose name
 *      was provisioned for another user, or whose MAC an administrator
 *      provisioned on another port, is reset; the NAT gets its new
 *      forwards, or restarts with new settings.
 * A change is reported done only after step 3, so an acknowledged change
 * is on disk (kill -9 loses nothing acknowledged).
 */
#ifndef VSWITCH_RECONCILE_H
#define VSWITCH_RECONCILE_H

#include "vswitchd.h"

/**
 * vswd_commit() - make @next (taken) the daemon's model.
 * Return: false with @err if it could not be prepared or saved; the
 * daemon's model and runtime are then unchanged.
 */
bool vswd_commit(struct vswd *d, struct vswd_model *next, GError **err);

#endif /* VSWITCH_RECONCILE_H */
