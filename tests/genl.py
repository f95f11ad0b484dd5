#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Minimal generic-netlink client for the VM suite: sends requests to our
families, well-formed or deliberately malformed, and prints the kernel's
answer as "errno=<n> msg=<extack message>" (errno 0 on success).

genl.py [--reply] FAMILY CMD [ATTR...]
                                    --reply: also print the answer's
                                    attributes as "reply=<hex>"
genl.py fuzz COUNT SEED FAMILY...   random and malformed requests; prints
                                    a histogram of the answers
genl.py cookie-ports COUNT          cookies on, then deleted, for
                                    192.0.2.10:1..COUNT; prints the first
                                    failure "port=P errno=E msg=M" or "port=0"
  ATTR: TYPE:KIND:VALUE with KIND u8 u16 u32 be16 hex str, or
        TYPE:nest:{ATTR,ATTR,...} (nested, comma separated, no spaces)
  e.g.  genl.py IPVS_PERSIST 1 '1:nest:{1:u16:2,2:u16:6,3:hex:c000020a,4:be16:80}' 2:u8:2
"""
import errno
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 3, 1, 2
NETLINK_EXT_ACK = 11
NLMSGERR_ATTR_MSG = 1


def attr(atype, payload):
    hdr = struct.pack("HH", 4 + len(payload), atype)
    pad = (4 - len(payload) % 4) % 4
    return hdr + payload + b"\0" * pad


def parse_attrs(text):
    """Split on commas outside braces."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    if cur:
        out.append(cur)
    return b"".join(encode(a) for a in out)


def encode(spec):
    atype, kind, value = spec.split(":", 2)
    atype = int(atype)
    if kind == "nest":
        return attr(atype | 0x8000, parse_attrs(value.strip("{}")))
    payload = {
        "u8": lambda v: struct.pack("B", int(v, 0)),
        "u16": lambda v: struct.pack("H", int(v, 0)),
        "u32": lambda v: struct.pack("I", int(v, 0)),
        "be16": lambda v: struct.pack("!H", int(v, 0)),
        "hex": bytes.fromhex,
        "str": lambda v: v.encode() + b"\0",
    }[kind](value)
    return attr(atype, payload)


def request(sock, family, cmd, payload, seq):
    body = struct.pack("BBH", cmd, 1, 0) + payload
    msg = struct.pack("IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK,
                      seq, 0) + body
    sock.send(msg)
    while True:
        data = sock.recv(65536)
        off = 0
        while off < len(data):
            length, mtype, flags, mseq, _ = struct.unpack_from("IHHII", data, off)
            if mseq != seq:
                off += (length + 3) & ~3
                continue
            if mtype == NLMSG_ERROR:
                err = -struct.unpack_from("i", data, off + 16)[0]
                return err, extack_msg(data[off:off + length], flags), None
            yield_payload = data[off + 20:off + length]
            off += (length + 3) & ~3
            if mtype == family or mtype == GENL_ID_CTRL:
                return 0, "", yield_payload


def extack_msg(msg, flags):
    # the original request follows the error unless capped (flag 0x100)
    err_len = 16 + 4 + 16
    if not flags & 0x100:
        err_len = 16 + 4 + struct.unpack_from("I", msg, 20)[0]
    off = (err_len + 3) & ~3
    while off + 4 <= len(msg):
        alen, atype = struct.unpack_from("HH", msg, off)
        if alen < 4:
            break
        if atype == NLMSGERR_ATTR_MSG:
            return msg[off + 4:off + alen].rstrip(b"\0").decode()
        off += (alen + 3) & ~3
    return ""


def family_id(sock, name, seq=1):
    err, msg, payload = request(sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"), seq)
    if err:
        return None
    if payload is None:
        return None
    off = 0
    while off + 4 <= len(payload):
        alen, atype = struct.unpack_from("HH", payload, off)
        if atype == CTRL_ATTR_FAMILY_ID:
            return struct.unpack_from("H", payload, off + 4)[0]
        off += (alen + 3) & ~3
    return None


def random_attrs(rnd, depth):
    """A random attribute list: random types, lengths, nesting, garbage."""
    out = b""
    for _ in range(rnd.randrange(0, 6)):
        atype = rnd.choice([0, 1, 2, 3, 4, 5, 6, 7, rnd.randrange(0, 1 << 15)])
        if depth < 3 and rnd.random() < 0.3:
            payload = random_attrs(rnd, depth + 1)
            atype |= 0x8000
        else:
            payload = bytes(rnd.randrange(256) for _ in range(
                rnd.choice([0, 1, 2, 3, 4, 8, 16, 17, rnd.randrange(0, 300)])))
        a = attr(atype, payload)
        if rnd.random() < 0.05:     # lie about the length
            a = struct.pack("HH", rnd.randrange(0, 1 << 16), atype) + a[4:]
        out += a
    if rnd.random() < 0.05:
        out += bytes(rnd.randrange(1, 4))   # trailing junk
    return out


def fuzz(count, seed, names):
    import random
    rnd = random.Random(seed)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(270, NETLINK_EXT_ACK, 1)
    sock.settimeout(5)
    sock.bind((0, 0))
    fams = [f for f in (family_id(sock, n, 1 + k) for k, n in enumerate(names))
            if f is not None]
    if len(fams) != len(names):
        print("fuzz: a family is missing")
        return 1
    hist = {}
    for i in range(count):
        fam = rnd.choice(fams)
        cmd = rnd.randrange(0, 10)
        flags = NLM_F_REQUEST | NLM_F_ACK
        if rnd.random() < 0.2:
            flags |= 0x300          # dump
        body = struct.pack("BBH", cmd, rnd.choice([1, 1, 1, 0, 255]),
                           rnd.choice([0, 0, 0, 1])) + random_attrs(rnd, 0)
        msg = struct.pack("IHHII", 16 + len(body), fam, flags, 1000 + i, 0) + body
        sock.send(msg)
        # read until our ACK/error (dumps send data then NLMSG_DONE)
        err = None
        while err is None:
            data = sock.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                length, mtype, _, mseq, _ = struct.unpack_from("IHHII", data, off)
                if length < 16:
                    break
                if mseq == 1000 + i and mtype in (NLMSG_ERROR, 3):
                    err = -struct.unpack_from("i", data, off + 16)[0] \
                        if mtype == NLMSG_ERROR else 0
                off += (length + 3) & ~3
        hist[err] = hist.get(err, 0) + 1
    print("fuzz: %d requests, answers by errno: %s" % (count, sorted(hist.items())))
    return 0


def cookie_ports(count):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(270, NETLINK_EXT_ACK, 1)  # SOL_NETLINK
    sock.bind((0, 0))
    fam = family_id(sock, "IPVS_SYNCOOKIE")
    seq = 2
    for port in range(1, count + 1):
        svc = encode("1:nest:{1:u16:2,2:u16:6,3:hex:c000020a,4:be16:%d}" % port)
        for cmd, extra in ((1, encode("2:u8:1")), (3, b"")):  # SET on, DEL
            seq += 1
            err, msg, _ = request(sock, fam, cmd, svc + extra, seq)
            if err:
                print("port=%d errno=%d msg=%s" % (port, err, msg))
                return 0
    print("port=0")
    return 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "fuzz":
        return fuzz(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
    if len(sys.argv) == 3 and sys.argv[1] == "cookie-ports":
        return cookie_ports(int(sys.argv[2]))
    show_reply = len(sys.argv) >= 2 and sys.argv[1] == "--reply"
    if show_reply:
        del sys.argv[1]
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(270, NETLINK_EXT_ACK, 1)  # SOL_NETLINK
    sock.bind((0, 0))
    fam = family_id(sock, sys.argv[1])
    if fam is None:
        print("errno=%d msg=family not found" % errno.ENOENT)
        return 1
    payload = b"".join(encode(a) for a in sys.argv[3:])
    err, msg, reply = request(sock, fam, int(sys.argv[2]), payload, 2)
    print("errno=%d msg=%s" % (err, msg))
    if show_reply:
        print("reply=%s" % (reply or b"").hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
