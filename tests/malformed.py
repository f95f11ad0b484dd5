#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send malformed TCP segments to a virtual service (tests/faults.sh).

usage: malformed.py SRC DST PORT       (IPv4 or IPv6 addresses)

Bad option lengths, truncated and overlong headers, SYN+FIN, SYN+RST, SYN
with data, ACKs with garbage options, IPv4 fragments of a SYN (complete and
incomplete), IPv6 hop-by-hop and fragment headers.  Each is sent three
times; the director must drop or pass them as the stock stack would.
Prints the number of packets sent.
"""
import random
import socket
import struct
import sys

SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s >> 16) + (s & 0xffff)
    return ~s & 0xffff


def tcp(src, dst, v6, sport, dport, flags, opts=b"", data=b"", doff=None,
        seq=None, ack=0):
    if len(opts) % 4:
        opts += b"\0" * (4 - len(opts) % 4)
    hl = 20 + len(opts)
    d = (doff if doff is not None else hl // 4) << 12
    seq = random.getrandbits(32) if seq is None else seq
    h = struct.pack("!HHIIHHHH", sport, dport, seq, ack, d | flags, 65535, 0, 0)
    seg = h + opts + data
    if v6:
        ph = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + \
            struct.pack("!I3xB", len(seg), 6)
    else:
        ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!xBH", 6, len(seg))
    c = csum(ph + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ip4(src, dst, payload, proto=6, frag=0, ident=0, tot=None):
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, ident, frag, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ip6(src, dst, nexthdr, payload):
    return struct.pack("!IHBB", 6 << 28, len(payload), nexthdr, 64) + \
        socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + payload


def main():
    src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    v6 = ":" in dst
    sp = lambda: random.randint(20000, 39999)
    segs = [
        tcp(src, dst, v6, sp(), port, SYN, opts=bytes([2, 0, 5, 0xb4])),          # MSS len 0
        tcp(src, dst, v6, sp(), port, SYN, opts=bytes([8, 40, 0, 0])),            # TS past the end
        tcp(src, dst, v6, sp(), port, SYN, opts=bytes([3, 3, 200, 1])),           # wscale 200
        tcp(src, dst, v6, sp(), port, SYN, opts=bytes([5, 3, 0, 0, 4, 1, 0, 0])), # SACK odd, SACKOK len 1
        tcp(src, dst, v6, sp(), port, SYN, opts=bytes([1] * 40)),                 # 40 NOPs
        tcp(src, dst, v6, sp(), port, SYN, doff=2),                               # doff < 5
        tcp(src, dst, v6, sp(), port, SYN, doff=15),                              # doff past the end
        tcp(src, dst, v6, sp(), port, SYN | FIN),
        tcp(src, dst, v6, sp(), port, SYN | RST),
        tcp(src, dst, v6, sp(), port, SYN | ACK),
        tcp(src, dst, v6, sp(), port, SYN, data=b"x" * 100),                      # SYN with data
        tcp(src, dst, v6, sp(), port, ACK, opts=bytes([8, 10] + [0xff] * 8 + [5, 34]) +
            b"\xff" * 26, ack=random.getrandbits(32)),                             # bad SACK length
        tcp(src, dst, v6, sp(), port, ACK | FIN, ack=random.getrandbits(32)),
        tcp(src, dst, v6, sp(), port, ACK, data=b"y" * 500, ack=random.getrandbits(32)),
        tcp(src, dst, v6, sp(), port, 0),                                         # no flags
        tcp(src, dst, v6, sp(), port, 0x3f),                                      # all flags
    ]
    pkts = []
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
        for seg in segs:
            pkts.append(ip6(src, dst, 6, seg))
            # hop-by-hop (PadN) before TCP
            pkts.append(ip6(src, dst, 0, bytes([6, 0, 1, 4, 0, 0, 0, 0]) + seg))
        syn = tcp(src, dst, True, sp(), port, SYN, opts=bytes([2, 4, 5, 0xa0]))
        ident = random.getrandbits(32)
        # a SYN in two fragments, a lone first fragment, a lone later one
        pkts.append(ip6(src, dst, 44, struct.pack("!BxHI", 6, 1, ident) + syn[:16]))
        pkts.append(ip6(src, dst, 44, struct.pack("!BxHI", 6, 2 << 3, ident) + syn[16:]))
        pkts.append(ip6(src, dst, 44, struct.pack("!BxHI", 6, 1, ident + 1) + syn[:16]))
        pkts.append(ip6(src, dst, 44, struct.pack("!BxHI", 6, 3 << 3, ident + 2) + syn[:8]))
        addr = (dst, 0)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        for seg in segs:
            pkts.append(ip4(src, dst, seg))
        seg = tcp(src, dst, False, sp(), port, SYN)
        pkts.append(ip4(src, dst, seg[:12], tot=32))                             # truncated header
        syn = tcp(src, dst, False, sp(), port, SYN, opts=bytes([2, 4, 5, 0xb4]))
        ident = random.getrandbits(16)
        pkts.append(ip4(src, dst, syn[:8], frag=0x2000, ident=ident))           # first fragment
        pkts.append(ip4(src, dst, syn[8:], frag=1, ident=ident))                # the rest
        pkts.append(ip4(src, dst, syn[:8], frag=0x2000, ident=ident + 1))       # never completed
        pkts.append(ip4(src, dst, syn[8:], frag=3, ident=ident + 2))            # lone later one
        addr = (dst, 0)
    n = 0
    for _ in range(3):
        for p in pkts:
            try:
                s.sendto(p, addr)
                n += 1
            except OSError:
                pass
    print(n)


if __name__ == "__main__":
    main()
