#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hand-made TCP segments for the SYN-cookie tests (python3 standard library
only): a raw IPPROTO_TCP socket sends segments whose TCP header we build
(checksum included; the kernel adds the IP header) and receives every TCP
segment to our address, of which we keep those from HOST:PORT to our port.

syn HOST PORT [SYN options] [--state FILE]
    send a SYN (resent every second until --timeout); print the answer
ack --state FILE [ACK options]
    complete the handshake that `syn --state FILE` began (FILE may come
    from another namespace: the tuple and numbers are in it)
handshake HOST PORT [SYN options] [ACK options]
    syn and ack in one go
send HOST PORT --flags F [--seq N|random] [--ack N|random] [--data TEXT]
    one arbitrary segment (e.g. an ACK with a forged cookie); print answers

SYN options: --sport N (default: random in 40000-40999) --isn N --mss N
    (default 1460; 0: none) --ts --sack --wscale N --timeout S (default 3)
ACK options: --delay S (before the ACK) --data TEXT (repeatable: one
    segment each, sent back to back, the first on the ACK; backslash escapes
    are decoded) --forge (acknowledge a wrong cookie) --rst (send RST
    instead of the ACK) --wait S (collect answers, default 2) --expect N
    (stop once N payload bytes arrived in order) --keep (no closing RST)
    --fin (when the server's FIN follows all its data, answer with FIN and
    stop once that is acknowledged: the server's end goes to TIME_WAIT)

Everything is printed as one flat JSON object: synack (bool), synack_seq,
synack_ack, synack_win, synack_mss, synack_wscale, synack_sack,
synack_tsval, synack_tsecr, sent (flags of what we sent after the SYN),
answers (flags of every answer after that, comma separated), rst (bool),
rst_seq, rst_after (seconds from what we sent to the RST), window_update
(a bare ACK with a window > 0 came), payload (in-order payload, latin-1),
payload_hex, fin (we sent our FIN), closed (the server acknowledged it),
syn_tsval (with --ts), ts_answers (answers with timestamps)
and ts_bad (of those, how many had a TSval before the SYN-ACK's or a
TSecr that is none of our TSvals).  Exit status 3: the SYN got no answer (or an RST).

Our segments carry SO_MARK 0x5c, so a client netns rule that drops its own
kernel's RSTs (which answer segments for sockets it does not have) can let
ours through:
  iptables -A OUTPUT -p tcp --tcp-flags RST RST --sport 40000:40999 \\
      -m mark ! --mark 0x5c -j DROP
"""
import argparse
import codecs
import json
import random
import select
import socket
import struct
import sys
import time

MARK = 0x5c
SO_MARK = 36
FLAGS = "FSRPAU"        # TCP flag bits 0..5


def flag_bits(s):
    return sum(1 << FLAGS.index(ch) for ch in s)


def flag_str(b):
    return "".join(ch for i, ch in enumerate(FLAGS) if b & (1 << i))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def build_opts(mss=0, sack=False, ts=None, wscale=None):
    """Options in the order Linux sends them, padded with NOPs."""
    o = b""
    if mss:
        o += struct.pack("!BBH", 2, 4, mss)
    if sack and ts is None:
        o += b"\x01\x01\x04\x02"
    if ts is not None:
        o += (b"\x04\x02" if sack else b"\x01\x01") + struct.pack("!BBII", 8, 10, *ts)
    if wscale is not None:
        o += struct.pack("!BBBB", 1, 3, 3, wscale)
    return o


def parse_opts(p):
    o = {}
    i = 0
    while i < len(p):
        kind = p[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(p) or p[i + 1] < 2:
            break
        olen = p[i + 1]
        body = p[i + 2:i + olen]
        if kind == 2 and olen == 4:
            o["mss"] = struct.unpack("!H", body)[0]
        elif kind == 3 and olen == 3:
            o["wscale"] = body[0]
        elif kind == 4 and olen == 2:
            o["sack"] = True
        elif kind == 8 and olen == 10:
            o["tsval"], o["tsecr"] = struct.unpack("!II", body)
        i += olen
    return o


def local_addr(af, host, port):
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.connect((host, port))
    addr = s.getsockname()[0]
    s.close()
    return addr


def now_ms():
    return int(time.monotonic() * 1000) & 0xffffffff


class Peer:
    """Our end of one TCP tuple: segments out, matching segments in."""

    def __init__(self, host, port, sport=None):
        self.af = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host, self.port = host, port
        self.sport = sport or random.randint(40000, 40999)
        self.src = local_addr(self.af, host, port)
        self.sock = socket.socket(self.af, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_MARK, MARK)
        self.sock.bind((self.src, 0))
        self.hbin = socket.inet_pton(self.af, host)
        self.tsvals = set()         # every TSval we sent
        self.peer_ts0 = None        # the TSval of the SYN-ACK
        self.snd_base = 0           # our first sequence number after the SYN
        self.acked = 0              # bytes of ours the other end acknowledged

    def ts_opts(self, echo):
        """A timestamp option (empty without timestamps), remembered."""
        if echo is None:
            return b""
        v = now_ms()
        self.tsvals.add(v)
        return build_opts(ts=(v, echo))

    def pseudo(self, length):
        a, b = socket.inet_pton(self.af, self.src), self.hbin
        if self.af == socket.AF_INET:
            return a + b + struct.pack("!BBH", 0, socket.IPPROTO_TCP, length)
        return a + b + struct.pack("!I3xB", length, socket.IPPROTO_TCP)

    def send(self, flags, seq, ack, win=65535, opts=b"", data=b""):
        hlen = 20 + len(opts)
        tcp = struct.pack("!HHIIBBHHH", self.sport, self.port, seq & 0xffffffff,
                          ack & 0xffffffff, (hlen // 4) << 4, flag_bits(flags),
                          win, 0, 0) + opts + data
        c = csum(self.pseudo(len(tcp)) + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        dst = (self.host, 0) if self.af == socket.AF_INET else (self.host, 0, 0, 0)
        self.sock.sendto(tcp, dst)

    def recv(self, deadline):
        """The next segment of our tuple before deadline, or None."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            pkt, addr = self.sock.recvfrom(65535)
            if self.af == socket.AF_INET:
                ihl = (pkt[0] & 0xf) * 4
                if pkt[12:16] != self.hbin:
                    continue
                pkt = pkt[ihl:]
            elif socket.inet_pton(self.af, addr[0]) != self.hbin:
                continue
            if len(pkt) < 20:
                continue
            sp, dp, seq, ack, off, fl, win = struct.unpack("!HHIIBBH", pkt[:16])
            if sp != self.port or dp != self.sport:
                continue
            hlen = (off >> 4) * 4
            return {"flags": flag_str(fl), "seq": seq, "ack": ack, "win": win,
                    "opts": parse_opts(pkt[20:hlen]), "data": pkt[hlen:]}


def do_syn(peer, args, out):
    isn = args.isn if args.isn is not None else random.getrandbits(32)
    ts = (now_ms(), 0) if args.ts else None
    opts = build_opts(args.mss, args.sack, ts, args.wscale)
    state = {"host": peer.host, "port": peer.port, "sport": peer.sport,
             "isn": isn, "ts": bool(args.ts)}
    out.update(sport=peer.sport, isn=isn, synack=False)
    if ts:
        peer.tsvals.add(ts[0])
        state["syn_tsval"] = out["syn_tsval"] = ts[0]
    end = time.monotonic() + args.timeout
    while time.monotonic() < end:
        peer.send("S", isn, 0, opts=opts)
        resend = min(end, time.monotonic() + 1)
        while True:
            seg = peer.recv(resend)
            if seg is None:
                break
            if "R" in seg["flags"]:
                out.update(rst=True, rst_seq=seg["seq"], answers=seg["flags"])
                return None
            if "S" in seg["flags"] and "A" in seg["flags"]:
                o = seg["opts"]
                out.update(synack=True, synack_seq=seg["seq"], synack_ack=seg["ack"],
                           synack_win=seg["win"], synack_mss=o.get("mss", 0),
                           synack_wscale=o.get("wscale", -1),
                           synack_sack=o.get("sack", False),
                           synack_tsval=o.get("tsval", -1), synack_tsecr=o.get("tsecr", -1))
                state["cookie"] = seg["seq"]
                state["tsval"] = peer.peer_ts0 = o.get("tsval")
                return state
    return None


def check_ts(peer, o, out):
    """A timestamp of an answer: its TSval not before the SYN-ACK's (PAWS
    at the client would drop it), its TSecr one of ours."""
    out["ts_answers"] += 1
    if peer.peer_ts0 is not None and \
            (o["tsval"] - peer.peer_ts0) & 0xffffffff >= 1 << 31:
        out["ts_bad"] += 1
    elif o["tsecr"] not in peer.tsvals:
        out["ts_bad"] += 1


def decode(text):
    return codecs.decode(text, "unicode_escape").encode("latin-1")


def collect(peer, out, rcv_base, seq, ts_echo, args, answers):
    """Answers until --wait ends, --expect bytes came in order, or an RST;
    in-order data is acknowledged."""
    got, contig = {}, b""
    start = time.monotonic()
    end = start + args.wait
    while True:
        if args.expect and len(contig) >= args.expect:
            break
        seg = peer.recv(end)
        if seg is None:
            break
        answers.append(seg["flags"])
        if "A" in seg["flags"]:
            off = (seg["ack"] - peer.snd_base) & 0xffffffff
            if off < 1 << 30 and off > peer.acked:
                peer.acked = off
        if "R" in seg["flags"]:
            out.update(rst=True, rst_seq=seg["seq"],
                       rst_after=round(time.monotonic() - start, 3))
            break
        if seg["data"] == b"" and "A" in seg["flags"] and seg["win"] > 0:
            out["window_update"] = True
        if "tsval" in seg["opts"]:
            ts_echo = seg["opts"]["tsval"]
            check_ts(peer, seg["opts"], out)
        if seg["data"]:
            off = (seg["seq"] - rcv_base) & 0xffffffff
            if off < 1 << 30:
                got.setdefault(off, seg["data"])
            while True:
                # the segment that covers the next byte, if any
                nxt = [d[len(contig) - o:] for o, d in got.items()
                       if o <= len(contig) < o + len(d)]
                if not nxt:
                    break
                contig += nxt[0]
            peer.send("A", seq, rcv_base + len(contig), opts=peer.ts_opts(ts_echo))
        if args.fin and "F" in seg["flags"] and \
                (seg["seq"] + len(seg["data"]) - rcv_base) & 0xffffffff == len(contig):
            # the server closed after all its data: close our side too
            # (its FIN again: our FIN was lost, send the same one)
            if not out["fin"]:
                seq = (seq + 1) & 0xffffffff
            peer.send("FA", seq - 1, rcv_base + len(contig) + 1, opts=peer.ts_opts(ts_echo))
            out["fin"] = True
        if out["fin"] and "A" in seg["flags"] and "F" not in seg["flags"] and seg["ack"] == seq:
            out["closed"] = True
            break
    out.update(payload=contig.decode("latin-1"), payload_hex=contig.hex())
    return ts_echo


def do_ack(peer, state, args, out):
    if args.delay:
        time.sleep(args.delay)
    seq = peer.snd_base = (state["isn"] + 1) & 0xffffffff
    rcv_base = (state["cookie"] + 1) & 0xffffffff
    ack = rcv_base
    if args.forge:
        ack = (ack + 0x10000) & 0xffffffff
    ts_echo = state.get("tsval") if state.get("ts") else None
    if "syn_tsval" in state:
        peer.tsvals.add(state["syn_tsval"])
    peer.peer_ts0 = state.get("tsval")
    answers = []
    if args.rst:
        peer.send("R", seq, 0)
        out["sent"] = "R"
        collect(peer, out, rcv_base, seq, ts_echo, args, answers)
        out["answers"] = ",".join(answers)
        return
    datas = [decode(d) for d in args.data or []] or [b""]
    out["sent"] = "PA" if datas[0] else "A"
    for d in datas:
        peer.send("PA" if d else "A", seq, ack, opts=peer.ts_opts(ts_echo), data=d)
        seq += len(d)
    ts_echo = collect(peer, out, rcv_base, seq, ts_echo, args, answers)
    out["answers"] = ",".join(answers)
    if not args.keep and not out["rst"] and not out["closed"]:
        # at what the server acknowledged: it takes an RST only there
        peer.send("R", peer.snd_base + peer.acked, 0, opts=peer.ts_opts(ts_echo))


def number(v):
    return random.getrandbits(32) if v == "random" else int(v, 0) & 0xffffffff


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def syn_opts(sp):
        sp.add_argument("host")
        sp.add_argument("port", type=int)
        sp.add_argument("--sport", type=int)
        sp.add_argument("--isn", type=lambda v: int(v, 0) & 0xffffffff)
        sp.add_argument("--mss", type=int, default=1460)
        sp.add_argument("--ts", action="store_true")
        sp.add_argument("--sack", action="store_true")
        sp.add_argument("--wscale", type=int)
        sp.add_argument("--timeout", type=float, default=3)

    def ack_opts(sp):
        sp.add_argument("--delay", type=float, default=0)
        sp.add_argument("--data", action="append")
        sp.add_argument("--forge", action="store_true")
        sp.add_argument("--rst", action="store_true")
        sp.add_argument("--wait", type=float, default=2)
        sp.add_argument("--expect", type=int, default=0)
        sp.add_argument("--keep", action="store_true")
        sp.add_argument("--fin", action="store_true")

    sp = sub.add_parser("syn")
    syn_opts(sp)
    sp.add_argument("--state")
    sp = sub.add_parser("ack")
    sp.add_argument("--state", required=True)
    ack_opts(sp)
    sp = sub.add_parser("handshake")
    syn_opts(sp)
    ack_opts(sp)
    sp = sub.add_parser("send")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("--sport", type=int)
    sp.add_argument("--flags", required=True)
    sp.add_argument("--seq", default="random")
    sp.add_argument("--ack", default="0")
    sp.add_argument("--data", default="")
    sp.add_argument("--wait", type=float, default=2)
    args = p.parse_args()

    out = {"synack": False, "sent": "", "answers": "", "rst": False, "rst_seq": -1,
           "rst_after": -1, "ts_answers": 0, "ts_bad": 0,
           "window_update": False, "payload": "", "payload_hex": "",
           "fin": False, "closed": False}
    rc = 0
    if args.cmd == "send":
        peer = Peer(args.host, args.port, args.sport)
        seq, ack = number(args.seq), number(args.ack)
        peer.send(args.flags, seq, ack, data=decode(args.data))
        out.update(sport=peer.sport, sent=args.flags, seq=seq, ack=ack)
        args.expect, args.fin = 0, False
        answers = []
        collect(peer, out, 0, seq, None, args, answers)
        out["answers"] = ",".join(answers)
    elif args.cmd == "ack":
        with open(args.state) as f:
            state = json.load(f)
        peer = Peer(state["host"], state["port"], state["sport"])
        out.update(sport=peer.sport, isn=state["isn"], synack=True)
        do_ack(peer, state, args, out)
    else:
        peer = Peer(args.host, args.port, args.sport)
        state = do_syn(peer, args, out)
        if state is None:
            rc = 3
        elif args.cmd == "syn":
            if args.state:
                with open(args.state, "w") as f:
                    json.dump(state, f)
        else:
            do_ack(peer, state, args, out)
    print(json.dumps(out, sort_keys=True), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
