#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""nat-dns.py - a tiny authoritative DNS server for test-nat.sh.

Answers A and AAAA queries for the names given with --record over UDP,
NXDOMAIN for any other name, and exits after --lifetime seconds (a test
never leaves it behind).  Standard library only.

Usage: nat-dns.py --listen 127.0.0.1 --port 53 --record NAME=ADDRESS ...
                  [--lifetime SECONDS] [--log FILE]
"""
import argparse
import ipaddress
import socket
import struct
import sys
import time


def parse_query(data):
    """Return (id, flags, qname, qtype, question bytes) or None."""
    if len(data) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", data[:6])
    if qdcount != 1 or flags & 0x8000:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(data):
            return None
        n = data[pos]
        pos += 1
        if n == 0:
            break
        if n > 63 or pos + n > len(data):
            return None
        labels.append(data[pos:pos + n].decode("ascii", "replace").lower())
        pos += n
    if pos + 4 > len(data):
        return None
    qtype, _qclass = struct.unpack("!HH", data[pos:pos + 4])
    return qid, flags, ".".join(labels), qtype, data[12:pos + 4]


def answer(query, records):
    qid, flags, name, qtype, question = query
    addrs = [a for a in records.get(name, [])
             if (qtype == 1 and a.version == 4) or (qtype == 28 and a.version == 6)]
    rcode = 0 if name in records else 3
    # QR, AA, RD copied, RA; answers point at the question's name (0xc00c).
    rflags = 0x8400 | (flags & 0x0100) | 0x0080 | rcode
    out = struct.pack("!HHHHHH", qid, rflags, 1, len(addrs), 0, 0) + question
    for a in addrs:
        out += struct.pack("!HHHIH", 0xc00c, qtype, 1, 60, len(a.packed)) + a.packed
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--record", action="append", default=[])
    ap.add_argument("--lifetime", type=float, default=300)
    ap.add_argument("--log")
    args = ap.parse_args()

    records = {}
    for r in args.record:
        name, addr = r.split("=", 1)
        records.setdefault(name.lower().rstrip("."), []).append(ipaddress.ip_address(addr))
    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((args.listen, args.port))
    log = open(args.log, "a", buffering=1) if args.log else None
    end = time.monotonic() + args.lifetime
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return 0
        s.settimeout(left)
        try:
            data, peer = s.recvfrom(4096)
        except socket.timeout:
            return 0
        q = parse_query(data)
        if not q:
            continue
        if log:
            log.write("query %s type %d from %s\n" % (q[2], q[3], peer[0]))
        s.sendto(answer(q, records), peer)


if __name__ == "__main__":
    sys.exit(main())
