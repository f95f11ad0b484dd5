#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The benchmark table from bench.raw (written by bench/guest.sh).

Lines: V<TAB>scenario<TAB>metric<TAB>contender<TAB>value   one repetition
       B<TAB>scenario<TAB>metric<TAB>baseline              the metric's baseline
       N<TAB>text                                        a note
Each figure: median [min..max] of its repetitions (n), and the ratio of its
median to the baseline's median in the same run.  Then the issue's targets.
"""
import statistics
import sys

TITLES = {
    "syn": "1. SYN handling cost (one generator, 40k spoofed SYNs per repetition)",
    "state": "2. State kept per 100k spoofed SYNs",
    "legit": "3. Legitimate HTTP clients, cookie against plain NAT (curl, ab)",
    "established": "4. Established path (NAT service)",
    "reaper": "5. Reaper reaction",
    "conn": "6. Per proxied connection",
}
ORDER = ["syn", "state", "legit", "established", "reaper", "conn"]


def fmt(v):
    if v != v:
        return "nan"
    a = abs(v)
    if a >= 1000:
        return "%.0f" % v
    if a >= 100:
        return "%.1f" % v
    if a >= 10:
        return "%.2f" % v
    return "%.3f" % v


def load(path):
    vals, bases, notes, order = {}, {}, [], []
    for line in open(path):
        p = line.rstrip("\n").split("\t")
        if p[0] == "V" and len(p) == 5:
            key = (p[1], p[2])
            if key not in vals:
                vals[key] = {}
                order.append(key)
            try:
                v = float(p[4])
            except ValueError:
                continue
            vals[key].setdefault(p[3], []).append(v)
        elif p[0] == "B" and len(p) == 4:
            bases[(p[1], p[2])] = p[3]
        elif p[0] == "N":
            notes.append(p[1])
    return vals, bases, notes, order


def med(vals, key, who):
    v = vals.get(key, {}).get(who)
    return statistics.median(v) if v else None


def main():
    vals, bases, notes, order = load(sys.argv[1])
    out = []
    for n in notes:
        out.append("# " + n)
    out.append("")
    hdr = "%-44s %-20s %-30s %4s %s" % ("metric", "contender", "median [min..max]", "n", "ratio")
    for sc in ORDER:
        keys = [k for k in order if k[0] == sc]
        if not keys:
            continue
        out.append(TITLES[sc])
        out.append(hdr)
        for key in keys:
            b = bases.get(key)
            bm = med(vals, key, b) if b else None
            for who, v in vals[key].items():
                m = statistics.median(v)
                if bm is None:
                    ratio = "-"
                elif bm == 0:
                    ratio = "= base" if who == b else ("0 vs 0" if m == 0 else "base 0")
                else:
                    ratio = "%.2fx %s" % (m / bm, b)
                out.append("%-44s %-20s %-30s %4d %s" % (
                    key[1], who, "%s [%s..%s]" % (fmt(m), fmt(min(v)), fmt(max(v))), len(v), ratio))
        out.append("")
    out += targets(vals)
    print("\n".join(out))


def targets(vals):
    t = ["Targets (reported, not enforced)"]

    def line(ok, text):
        t.append("  [%s] %s" % ("met" if ok else ("MISSED" if ok is not None else "n/a"), text))

    k = ("syn", "CPU per SYN over drop (us)")
    c, s, kr = med(vals, k, "cookie"), med(vals, k, "synproxy"), med(vals, k, "kernel")
    if c is not None and s is not None and c > 0:
        line(s / c >= 1.5, "cookie SYN handling >= 1.5x cheaper than SYNPROXY: %.2fx (net of transport)" % (s / c))
    else:
        line(None, "cookie vs SYNPROXY: not measured")
    if c is not None and kr is not None:
        line(c <= kr, "cookie SYN no more expensive than the kernel's listener syncookies: %s vs %s us (%.2fx)"
             % (fmt(c), fmt(kr), c / kr if kr else float("nan")))
    e = med(vals, ("state", "IPVS entries per 100k SYNs"), "cookie")
    m = med(vals, ("state", "slab memory per 100k SYNs (kB)"), "cookie")
    o = med(vals, ("state", "ip_vs_conn objects per 100k SYNs"), "cookie")
    if e is not None:
        line(e == 0 and (o is None or o <= 0),
             "0 IPVS entries and 0 bytes per spoofed SYN: %s entries, %s ip_vs_conn objects per 100k SYNs"
             " (slab total %s kB per 100k SYNs, noise of the whole guest)" % (fmt(e), fmt(o or 0), fmt(m or 0)))
    sc = med(vals, ("legit", "flood: success (%)"), "cookie")
    if sc is not None:
        line(sc >= 99, "legitimate success >= 99%% under the flood with cookies: %s %%" % fmt(sc))
    for cond in ("no flood", "flood"):
        d = []
        for m in ("curl TTFB p50", "curl TTFB p99", "ab TTFB p50", "ab TTFB p99"):
            k = ("legit", "%s: %s (ms)" % (cond, m))
            c, p = med(vals, k, "cookie"), med(vals, k, "plain")
            if c is not None and p is not None:
                d.append((m, c - p))
        if d:
            line(max(x for _, x in d) <= 20, "cookie time to first byte within 20 ms of plain, %s: %s" % (
                cond, ", ".join("%s %+.1f ms" % x for x in d)))
    k = ("established", "iperf3 throughput (Mbit/s)")
    n, l, ck = med(vals, k, "none"), med(vals, k, "loaded"), med(vals, k, "cookie")
    if n and l is not None:
        line(l / n >= 0.97, "throughput, modules loaded not enabled >= 0.97x none: %.3fx" % (l / n))
    if n and ck is not None:
        line(ck / n >= 0.9, "throughput, cookie-proxied >= 0.9x none: %.3fx" % (ck / n))
    for what in ("high crossed -> refusing (ms)", "below low -> normal (ms)"):
        k = ("reaper", what)
        r, iv = vals.get(k, {}).get("reaper"), med(vals, k, "interval")
        if r and iv:
            line(max(r) <= iv, "reaper reacts within one sampling interval (%s ms), %s: max %s ms, median %s ms"
                 % (fmt(iv), what.split(" (")[0], fmt(max(r)), fmt(statistics.median(r))))
    return t


if __name__ == "__main__":
    main()
