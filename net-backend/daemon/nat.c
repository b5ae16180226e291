// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nat.c - the Default switch's NAT (libslirp) and its commands.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include "vswitchd.h"

const struct vswd_command vswd_nat_commands[] = {
	{ NULL }
};
