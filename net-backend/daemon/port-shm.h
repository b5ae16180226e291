/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * port-shm.h - ports whose peer is a libvswitch client over shared memory.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#ifndef VSWITCH_PORT_SHM_H
#define VSWITCH_PORT_SHM_H

#include <stdbool.h>

#include <gio/gio.h>

#include "datapath.h"

/**
 * vsw_port_shm_new() - create the memory and doorbells of a new port.
 * @name:      port name
 * @nat:       the NAT helper's port (kind "nat"), not a VM's ("vm")
 * @data_size: bytes of each ring's data area (power of two, within
 *             VSW_DATA_SIZE_MIN..MAX)
 * @fds:       filled with the fds for the client: the memfd, the write end
 *             of the pipe it kicks the switch with, the read end of the
 *             pipe the switch kicks it with (close them after sending)
 * @shm_size:  filled with the memfd's size
 * @err:       why it failed
 *
 * Return: the port (not yet on any switch), or NULL.
 */
struct vsw_port *vsw_port_shm_new(const char *name, bool nat, uint32_t data_size,
				  int fds[3], size_t *shm_size, GError **err);

#endif /* VSWITCH_PORT_SHM_H */
