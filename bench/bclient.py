#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Clients and probes of the lab benchmarks (bench/guest.sh); runs in the guest.

serve PORT NAME             server: reads each connection's request, answers
                            NAME and closes it (director's local listener)
greet HOST PORT             one connection (send a request, read the
                            greeting within 3 s); exit status 0 if it did
rate HOST PORT SECS         sequential short connections (connect, send a
                            request, read the greeting, close with RST) for
                            SECS; prints conns/s
pct SCALE                   numbers on stdin, times SCALE: prints
                            "median p99" ("nan nan" if none)
reaper NETNS VIP PORT       run in the director's netns: opens connections
                            from NETNS (setns) and times the reaper's state
                            changes; prints "high_ms low_ms"
slab NETNS VIP PORT K       run in the director's netns: opens K connections
                            from NETNS and prints the /proc/slabinfo active
                            object deltas "cache=delta ..." while they are open
"""
import ctypes
import os
import socket
import statistics
import struct
import sys
import threading
import time

CLONE_NEWNET = 0x40000000


def setns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + name)
    os.close(fd)


def close_rst(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def greet(host, port, timeout):
    """Time (s) from connect() to the server's first byte, or None.

    The client sends a request first: over any stateless SYN cookie, a
    client that only waits for the server and whose third ACK was lost
    waits forever.  The real servers (tests/tcp_tool.py serve) greet on
    accept, so the first byte does not wait for the request to arrive:
    this time does not include a stall of the client's sending (e.g. a
    zero send window); bench/guest.sh's scenario 3 uses HTTP clients."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        s.connect((host, port))
        s.sendall(b"?\n")
        if not s.recv(64):
            return None
        return time.monotonic() - t0
    except OSError:
        return None
    finally:
        close_rst(s)


def serve(port, name):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(4096)
    msg = name.encode() + b"\n"

    def answer(c):
        try:
            c.settimeout(5)
            c.recv(64)
            c.sendall(msg)
        except OSError:
            pass
        c.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=answer, args=(c,), daemon=True).start()


def rate(host, port, secs):
    n, end = 0, time.monotonic() + secs
    t0 = time.monotonic()
    while time.monotonic() < end:
        if greet(host, port, 3) is not None:
            n += 1
    print("%.1f" % (n / (time.monotonic() - t0)))


def pct(scale):
    """Median and p99 as scenario 3 reports them: with n samples, p99 is
    the sample of rank int(0.99 n) (the slowest one for n <= 100)."""
    v = sorted(float(x) * scale for x in sys.stdin.read().split())
    if not v:
        print("nan nan")
        return
    print("%.2f %.2f" % (statistics.median(v), v[min(len(v) - 1, int(0.99 * len(v)))]))


class Reap:
    def __init__(self):
        self.f = open("/proc/net/ip_vs_reap")
        self.c = open("/proc/net/ip_vs_conn")

    def state(self):
        self.f.seek(0)
        for line in self.f.read().splitlines():
            k, _, v = line.partition(" ")
            if k == "state":
                return v.strip()
        return "?"

    def entries(self):
        self.c.seek(0)
        return len(self.c.read().splitlines()) - 1


def wait_state(r, want, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if r.state() == want:
            return time.monotonic()
    raise SystemExit("reaper: state %s, want %s" % (r.state(), want))


def hold(vip, port):
    s = socket.create_connection((vip, port), timeout=5)
    s.recv(64)
    return s


def reaper(netns, vip, port):
    """budget 20, low 50 % (10), high 80 % (16) are set by the caller."""
    r = Reap()
    setns(netns)
    wait_state(r, "normal")
    socks = [hold(vip, port) for _ in range(15)]
    wait_state(r, "reaping")
    # crossing high: the 16th entry exists once connect() returned
    s = socket.create_connection((vip, port), timeout=5)
    t_high = time.monotonic()
    socks.append(s)
    t_ref = wait_state(r, "refusing")
    for s in socks:
        close_rst(s)
    # entries in CLOSE expire at the floor (1 s) while refusing
    end = time.monotonic() + 15
    while r.entries() >= 10:
        if time.monotonic() > end:
            raise SystemExit("reaper: %d entries left" % r.entries())
    t_low = time.monotonic()
    t_norm = wait_state(r, "normal")
    print("%.2f %.2f" % ((t_ref - t_high) * 1000, (t_norm - t_low) * 1000))
    # let the rest expire before the next repetition
    while r.entries() > 0 and time.monotonic() < end + 15:
        time.sleep(0.05)


def slabs():
    out = {}
    with open("/proc/slabinfo") as f:
        for line in f.readlines()[2:]:
            p = line.split()
            out[p[0]] = int(p[1])
    return out


def slab(netns, vip, port, k):
    setns(netns)
    socks = []
    before = slabs()
    failed = 0
    for _ in range(k):
        try:
            socks.append(hold(vip, port))
        except OSError:
            failed += 1
    time.sleep(0.3)
    after = slabs()
    print(" ".join("%s=%s" % (c, after[c] - before[c] if c in after and c in before else "n/a")
                   for c in ("kmalloc-192", "ip_vs_conn", "TCP", "kmalloc-256", "kmalloc-128")) +
          " failed=%d" % failed)
    # keep them open: a later batch must not see these being freed
    sys.stdout.flush()
    try:
        time.sleep(float(os.environ.get("BENCH_HOLD", "600")))
    finally:
        for s in socks:
            s.close()


def main():
    a = sys.argv[1:]
    cmd = a[0]
    if cmd == "serve":
        serve(int(a[1]), a[2])
    elif cmd == "greet":
        sys.exit(0 if greet(a[1], int(a[2]), 3) is not None else 1)
    elif cmd == "rate":
        rate(a[1], int(a[2]), float(a[3]))
    elif cmd == "pct":
        pct(float(a[1]))
    elif cmd == "reaper":
        reaper(a[1], a[2], int(a[3]))
    elif cmd == "slab":
        slab(a[1], a[2], int(a[3]), int(a[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
