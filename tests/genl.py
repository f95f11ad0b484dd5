#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Minimal generic-netlink client for the VM suite: sends requests to our
families, well-formed or deliberately malformed, and prints the kernel's
answer as "errno=<n> msg=<extack message>" (errno 0 on success).

genl.py [--reply|--stats] FAMILY CMD [ATTR...]
                                    --reply: also print the answer's
                                    attributes as "reply=<hex>";
                                    --stats: its counters (the STATS
                                    nest) as "stats name=N name=N ..."
                                    (names of the uapi header, lower case)
genl.py fuzz COUNT SEED FAMILY...   random and malformed requests; prints
                                    a histogram of the answers
genl.py cookie-ports COUNT          cookies on, then deleted, for
                                    192.0.2.10:1..COUNT; prints the first
                                    failure "port=P errno=E msg=M" or "port=0"
  ATTR: TYPE:KIND:VALUE with KIND u8 u16 u32 be16 hex str, or
        TYPE:nest:{ATTR,ATTR,...} (nested, comma separated, no spaces)
  e.g.  genl.py IPVS_PERSIST SET_SERVICE \
        'SERVICE:nest:{AF:u16:AF_INET,PROTOCOL:u16:IPPROTO_TCP,ADDR:hex:c000020a,PORT:be16:80}' \
        MODE:u8:IDLE

FAMILY, CMD, TYPE and a number VALUE are numbers or names of the uapi
header include/uapi/linux/ip_vs_ext.h (IPVS_EXT_UAPI: another copy),
read when a name is used: in full (IPVS_SYNCOOKIE_CMD_SET_SECRET) or
short, within the family and the attribute: command SET_SECRET (family
IPVS_SYNCOOKIE), attribute MODE, nested in SERVICE attribute AF, value ON
(of IPVS_SYNCOOKIE_ATTR_MODE: IPVS_SYNCOOKIE_MODE_ON).  Values may also be
AF_* and IPPROTO_* names.  A number is sent as it is, so that a test can
send what no name stands for.
"""
import ast
import errno
import operator
import os
import re
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


UAPI = os.environ.get("IPVS_EXT_UAPI") or os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "include", "uapi", "linux", "ip_vs_ext.h"))
CORE = "IPVS_EXT_"      # the prefix of what every family shares


class Uapi:
    """The constants of the uapi header: enum members and #define lines (a
    number, a string, or arithmetic on numbers and names), read at the first
    name used, so that requests made of numbers alone need no header."""

    OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv, ast.LShift: operator.lshift,
           ast.RShift: operator.rshift, ast.BitOr: operator.or_}

    def __init__(self, path):
        self.path = path
        self.numbers = None     # name -> int
        self.strings = None     # name -> str

    def value(self, expr):
        """A C constant expression of numbers and names already read."""
        def ev(node):
            if isinstance(node, ast.Constant) and isinstance(node.value, int):
                return node.value
            if isinstance(node, ast.Name):
                return self.numbers[node.id]
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
                return -ev(node.operand)
            if isinstance(node, ast.BinOp) and type(node.op) in self.OPS:
                return self.OPS[type(node.op)](ev(node.left), ev(node.right))
            raise ValueError(expr)
        expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]+\b", r"\1", expr.strip())
        return ev(ast.parse(expr.replace("/", "//"), mode="eval").body)

    def load(self):
        """Read the header once; OSError if there is none."""
        if self.numbers is not None:
            return
        with open(self.path) as f:
            text = f.read()
        self.numbers, self.strings = {}, {}
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", "", text)
        for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+(.+)$|"
                             r"\benum\b[^{;]*\{([^}]*)\}", text, re.M):
            name, body, members = m.groups()
            if members is not None:
                nxt = 0
                for member in filter(None, (x.strip() for x in members.split(","))):
                    mname, _, expr = member.partition("=")
                    if expr.strip():
                        nxt = self.value(expr)
                    self.numbers[mname.strip()] = nxt
                    nxt += 1
            elif body.strip().startswith('"'):
                self.strings[name] = body.strip().strip('"')
            else:
                try:
                    self.numbers[name] = self.value(body)
                except (ValueError, KeyError, SyntaxError):
                    pass    # a macro that is no constant

    def number(self, text, prefixes=()):
        """TEXT as a number: itself, a constant of the header in full or
        after one of PREFIXES, or an AF_ or IPPROTO_ name of the C library."""
        try:
            return int(text, 0)
        except ValueError:
            pass
        try:
            self.load()
        except OSError as e:
            sys.exit("genl.py: %s: cannot read the uapi header: %s" % (text, e))
        for name in [text] + [p + text for p in prefixes]:
            if name in self.numbers:
                return self.numbers[name]
        if re.match(r"(AF|IPPROTO)_[A-Z0-9]+$", text) and hasattr(socket, text):
            return int(getattr(socket, text))
        sys.exit("genl.py: %s is neither a number nor a name of %s%s" % (
            text, self.path, "".join(", " + p + "*" for p in prefixes)))

    def full_name(self, text, number, prefixes):
        """The header's full name of TEXT (a name, or NUMBER as the first of
        PREFIXES that has it), None without one."""
        try:
            self.load()
        except OSError:
            return None
        for name in [text] + [p + text for p in prefixes]:
            if name in self.numbers:
                return name
        for p in prefixes:
            for name, value in self.numbers.items():
                if value == number and name.startswith(p):
                    return name
        return None

    def family(self, text):
        """Family TEXT's name, given or as the string of a *_GENL_NAME
        define, and the prefix of its own names (IPVS_SYNCOOKIE_)."""
        try:
            self.load()
        except OSError:
            return text, text + "_"
        for macro, value in self.strings.items():
            if macro.endswith("_GENL_NAME") and text in (macro, value):
                return value, macro[:-len("GENL_NAME")]
        return text, text + "_"


UAPI_NAMES = Uapi(UAPI)


class Names:
    """Where a family's short names are: its commands and attributes, the
    attributes nested in one of them, the values of one."""

    def __init__(self, prefix):
        self.prefix = prefix

    def cmd(self, text):
        return UAPI_NAMES.number(text, (self.prefix + "CMD_", CORE + "CMD_"))

    def attr(self, text, parent=None):
        """Attribute TEXT at the top level, or nested in the attribute of
        full name PARENT (P_ATTR_X: its own are P_X_*, a service's are
        IPVS_EXT_SVC_ATTR_*): its number and full name (or None)."""
        if parent is None:
            prefixes = (self.prefix + "ATTR_", CORE + "ATTR_")
        else:
            outer, _, inner = parent.partition("_ATTR_")
            prefixes = ((CORE + "SVC_ATTR_",) if inner == "SERVICE" else ()) + \
                (outer + "_" + inner + "_",)
        number = UAPI_NAMES.number(text, prefixes)
        return number, UAPI_NAMES.full_name(text, number, prefixes)

    def value(self, text, attr_name):
        """Value TEXT of the attribute of full name ATTR_NAME (P_ATTR_X: its
        values are P_X_*, such as IPVS_SYNCOOKIE_MODE_ON)."""
        prefixes = ()
        if attr_name and "_ATTR_" in attr_name:
            outer, _, inner = attr_name.partition("_ATTR_")
            prefixes = (outer + "_" + inner + "_",)
        return UAPI_NAMES.number(text, prefixes)


def attr(atype, payload):
    hdr = struct.pack("HH", 4 + len(payload), atype)
    pad = (4 - len(payload) % 4) % 4
    return hdr + payload + b"\0" * pad


def parse_attrs(text, names, parent=None):
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
    return b"".join(encode(a, names, parent) for a in out)


def encode(spec, names, parent=None):
    atype, kind, value = spec.split(":", 2)
    atype, name = names.attr(atype, parent)
    if kind == "nest":
        return attr(atype | 0x8000, parse_attrs(value.strip("{}"), names, name))

    def num(v):
        return names.value(v, name)
    payload = {
        "u8": lambda v: struct.pack("B", num(v)),
        "u16": lambda v: struct.pack("H", num(v)),
        "u32": lambda v: struct.pack("I", num(v)),
        "be16": lambda v: struct.pack("!H", num(v)),
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


def attrs_of(data):
    """(type, payload) of each netlink attribute in DATA."""
    off = 0
    while off + 4 <= len(data):
        length, atype = struct.unpack_from("HH", data, off)
        if length < 4:
            return
        yield atype & 0x3fff, data[off + 4:off + length]
        off += (length + 3) & ~3


def stats_text(reply, prefix):
    """The STATS nest of REPLY as "name=N" words, sorted."""
    UAPI_NAMES.load()
    nums = UAPI_NAMES.numbers
    want = nums[prefix + "ATTR_STATS"]
    names = {v: k[len(prefix + "STATS_"):].lower() for k, v in nums.items()
             if k.startswith(prefix + "STATS_") and not k.endswith(("_MAX", "_PAD", "_UNSPEC"))}
    words = []
    for atype, payload in attrs_of(reply or b""):
        if atype == want:
            for t, p in attrs_of(payload):
                if len(p) == 8:
                    words.append("%s=%d" % (names.get(t, str(t)), struct.unpack("Q", p)[0]))
    return " ".join(sorted(words))


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
    fams = [f for f in (family_id(sock, UAPI_NAMES.family(n)[0], 1 + k)
                        for k, n in enumerate(names)) if f is not None]
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
    name, prefix = UAPI_NAMES.family("IPVS_SYNCOOKIE")
    names = Names(prefix)
    cmds = ((names.cmd("SET_SERVICE"), encode("MODE:u8:ON", names)),
            (names.cmd("DEL_SERVICE"), b""))
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(270, NETLINK_EXT_ACK, 1)  # SOL_NETLINK
    sock.bind((0, 0))
    fam = family_id(sock, name)
    seq = 2
    for port in range(1, count + 1):
        svc = encode("SERVICE:nest:{AF:u16:AF_INET,PROTOCOL:u16:IPPROTO_TCP,"
                     "ADDR:hex:c000020a,PORT:be16:%d}" % port, names)
        for cmd, extra in cmds:
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
    show = sys.argv[1] if len(sys.argv) >= 2 and sys.argv[1] in ("--reply", "--stats") else ""
    if show:
        del sys.argv[1]
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    # names first: a wrong one fails before anything is sent
    name, prefix = UAPI_NAMES.family(sys.argv[1])
    names = Names(prefix)
    cmd = names.cmd(sys.argv[2])
    payload = b"".join(encode(a, names) for a in sys.argv[3:])
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(270, NETLINK_EXT_ACK, 1)  # SOL_NETLINK
    sock.bind((0, 0))
    fam = family_id(sock, name)
    if fam is None:
        print("errno=%d msg=family not found" % errno.ENOENT)
        return 1
    err, msg, reply = request(sock, fam, cmd, payload, 2)
    print("errno=%d msg=%s" % (err, msg))
    if show == "--reply":
        print("reply=%s" % (reply or b"").hex())
    elif show == "--stats":
        print("stats %s" % stats_text(reply, prefix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
