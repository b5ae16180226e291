/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nat-config.h - the Default switch's NAT settings (QEMU's: 10.0.2.0/24,
 * fec0::/64) as a SlirpConfig, for the tests and fuzzers that run the NAT
 * helper's core (natd/nat.c) without vswitchd.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#ifndef VSWITCH_TEST_NAT_CONFIG_H
#define VSWITCH_TEST_NAT_CONFIG_H

#include <arpa/inet.h>
#include <stdbool.h>

#include <slirp/libslirp.h>

/* @host_loopback: the gateway reaches the host's (here: the test's) 127.0.0.1. */
static inline SlirpConfig test_nat_config(bool host_loopback)
{
	SlirpConfig c = { 0 };

	c.in_enabled = true;
	inet_pton(AF_INET, "10.0.2.0", &c.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &c.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &c.vhost);
	inet_pton(AF_INET, "10.0.2.3", &c.vnameserver);
	inet_pton(AF_INET, "10.0.2.15", &c.vdhcp_start);
	c.in6_enabled = true;
	inet_pton(AF_INET6, "fec0::", &c.vprefix_addr6);
	c.vprefix_len = 64;
	inet_pton(AF_INET6, "fec0::2", &c.vhost6);
	inet_pton(AF_INET6, "fec0::3", &c.vnameserver6);
	c.if_mtu = c.if_mru = 1500;
	c.disable_host_loopback = !host_loopback;
	return c;
}

#endif /* VSWITCH_TEST_NAT_CONFIG_H */
