#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test peer for the VM suite: a real server that says who it is, and clients.

serve --name rs1 [--port 80]       TCP and UDP server (IPv4 and IPv6)
who HOST PORT [--udp] [--src A]    print the name of the server reached
probe HOST PORT --every S --count N [--at M]
                                   one short connection every S seconds
                                   (the first at CLOCK_MONOTONIC M); prints
                                   "t=<seconds> <name> <monotonic>" lines
hold HOST PORT --trickle S --silent S
                                   one connection: a byte every second for
                                   the first S seconds, then silent; prints
                                   the server name at once, "silent <M>"
                                   (monotonic time of the last byte) when
                                   the trickle ends, "done" at the end
xfer HOST PORT --get N | --put N   byte-exact transfer, checked by sha256
     [--dstopts]                   (IPv6: every segment with a destination
                                   options header)

Protocol: the server sends "NAME\\n" on accept.  "GET n\\n" makes it send n
bytes of a deterministic stream; "PUT n\\n" + n bytes makes it answer with
the sha256 of what it received.  Other bytes are ignored.  Short clients
close with RST so that IPVS forgets their connections quickly.
"""
import argparse
import hashlib
import signal
import socket
import struct
import sys
import threading
import time


def stream(n):
    """Deterministic pseudo-random bytes: sha256 in counter mode."""
    out, i = [], 0
    while n > 0:
        block = hashlib.sha256(struct.pack("!Q", i)).digest() * 32
        out.append(block[:n])
        n -= len(block)
        i += 1
    return b"".join(out)


def readline(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        c = sock.recv(1)
        if not c:
            raise ConnectionError("peer closed")
        buf += c
    return buf.decode().strip()


def recv_exact(sock, n):
    chunks = []
    while n:
        c = sock.recv(min(n, 1 << 16))
        if not c:
            raise ConnectionError("peer closed early")
        chunks.append(c)
        n -= len(c)
    return b"".join(chunks)


def serve_conn(conn, name):
    try:
        conn.sendall(name.encode() + b"\n")
        while True:
            line = readline(conn)
            if line.startswith("GET "):
                conn.sendall(stream(int(line[4:])))
            elif line.startswith("PUT "):
                data = recv_exact(conn, int(line[4:]))
                conn.sendall(hashlib.sha256(data).hexdigest().encode() + b"\n")
    except (ConnectionError, OSError, ValueError):
        pass
    finally:
        conn.close()


def serve(args):
    tcp = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    tcp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("::", args.port))
    tcp.listen(1024)
    udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    udp.bind(("::", args.port))

    def udp_loop():
        while True:
            _, peer = udp.recvfrom(2048)
            udp.sendto(args.name.encode() + b"\n", peer)

    threading.Thread(target=udp_loop, daemon=True).start()
    print("listening", flush=True)
    while True:
        conn, _ = tcp.accept()
        threading.Thread(target=serve_conn, args=(conn, args.name),
                         daemon=True).start()


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def connect(host, port, src=None, timeout=5, dstopts=False):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    if dstopts:
        # next header (the kernel's), length 0, PadN of 4 bytes
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
    if src:
        s.bind((src, 0))
    s.connect((host, port))
    return s


def close_rst(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def who_once(host, port, udp=False, src=None):
    if udp:
        s = socket.socket(family(host), socket.SOCK_DGRAM)
        s.settimeout(3)
        if src:
            s.bind((src, 0))
        s.sendto(b"?", (host, port))
        name = s.recv(2048).decode().strip()
        s.close()
        return name
    s = connect(host, port, src)
    name = readline(s)
    close_rst(s)
    return name


def who(args):
    print(who_once(args.host, args.port, args.udp, args.src), flush=True)


def probe(args):
    # --at: the first probe at that CLOCK_MONOTONIC time (as hold prints it)
    start = args.at or time.monotonic()
    for i in range(args.count):
        delay = start + i * args.every - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = time.monotonic()
        try:
            name = who_once(args.host, args.port, args.udp, args.src)
        except OSError as e:
            name = "error:" + type(e).__name__
        print("t=%.2f %s %.3f" % (now - start, name, now), flush=True)


def hold(args):
    s = connect(args.host, args.port, args.src)
    # killed: reset the connection, so that IPVS forgets it quickly (CLOSE)
    signal.signal(signal.SIGTERM, lambda *_: (close_rst(s), sys.exit(0)))
    print(readline(s), flush=True)
    end = time.monotonic() + args.trickle
    last = None
    while time.monotonic() < end:
        s.sendall(b".")
        last = time.monotonic()
        time.sleep(1)
    if last is not None:
        print("silent %.3f" % last, flush=True)
    time.sleep(args.silent)
    print("done", flush=True)
    close_rst(s)


def xfer(args):
    s = connect(args.host, args.port, args.src, timeout=120, dstopts=args.dstopts)
    # the client speaks first, as HTTP does: a client whose third ACK was
    # lost then still has something to send (a server-first protocol
    # hangs over any stateless SYN-cookie proxy if that ACK is lost)
    if args.get:
        s.sendall(b"GET %d\n" % args.get)
        name = readline(s)
        ok = hashlib.sha256(recv_exact(s, args.get)).digest() == \
            hashlib.sha256(stream(args.get)).digest()
    else:
        data = stream(args.put)
        s.sendall(b"PUT %d\n" % args.put + data)
        name = readline(s)
        ok = readline(s) == hashlib.sha256(data).hexdigest()
    close_rst(s)
    print("%s %s" % (name, "ok" if ok else "CORRUPT"), flush=True)
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("serve")
    sp.add_argument("--name", required=True)
    sp.add_argument("--port", type=int, default=80)
    for cmd in ("who", "probe", "hold", "xfer"):
        cp = sub.add_parser(cmd)
        cp.add_argument("host")
        cp.add_argument("port", type=int)
        cp.add_argument("--src")
        cp.add_argument("--udp", action="store_true")
        if cmd == "probe":
            cp.add_argument("--every", type=float, required=True)
            cp.add_argument("--count", type=int, required=True)
            cp.add_argument("--at", type=float, default=0)
        if cmd == "hold":
            cp.add_argument("--trickle", type=float, default=0)
            cp.add_argument("--silent", type=float, default=0)
        if cmd == "xfer":
            g = cp.add_mutually_exclusive_group(required=True)
            g.add_argument("--get", type=int)
            g.add_argument("--put", type=int)
            cp.add_argument("--dstopts", action="store_true")
    args = p.parse_args()
    return {"serve": serve, "who": who, "probe": probe, "hold": hold,
            "xfer": xfer}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
