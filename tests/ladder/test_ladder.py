#!/usr/bin/python3
"""Tests of scripts/ladder (ctest label "ladder"):

- every lifecycle capture of test-captures/README.md, "Ladder states" renders, and the state names
  on each lifeline of its SVG are the hand-written ones of that table, in order;
- expected states are marked until confirmed (synth-client-close: the server's SYN_RCVD is
  confirmed by its SYN-ACK, its final CLOSED never is; the client's TIME_WAIT is confirmed by its
  last ACK);
- crossing segments cross (the two FINs of synth-simultaneous-close, the two SYNs of
  synth-simultaneous-open) and others do not (synth-client-close 8 and 9);
- retransmissions are dashed (synth-retrans-fin 5), findings red with their id
  (synth-rst-challenge 7), WebSocket segments marked (ws/ws-frames);
- PNG and PDF output, --all, --time proportional, --explain (the plugin's tcpstate.explain text),
  errors;
- 1,000 segments: folded by default into one band and a short picture; --full draws every arrow.
"""
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
LADDER = os.path.join(REPO, "scripts", "ladder")
CAPS = os.path.join(REPO, "test-captures")
SVG = "{http://www.w3.org/2000/svg}"
RED, PURPLE = "#d62728", "#7b3294"

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg, flush=True)
    return cond


def ladder(*args):
    p = subprocess.run([sys.executable, LADDER] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return p.returncode, p.stderr


def expected_states():
    """The table "Ladder states" of test-captures/README.md: capture -> (client, server)."""
    text = open(os.path.join(CAPS, "README.md"), encoding="utf-8").read()
    section = text.split("## Ladder states", 1)[1]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"^\| ((?:synth|real)-[\w-]+) \| ([A-Z_0-9 ]+) \| ([A-Z_0-9 ]+) \|", line)
        if m:
            rows[m.group(1)] = (m.group(2).split(), m.group(3).split())
    return rows


class Svg:
    def __init__(self, path):
        self.root = ET.parse(path).getroot()
        self.groups = {g.get("id"): g for g in self.root.iter(SVG + "g") if g.get("id")}

    def text(self, gid):
        g = self.groups.get(gid)
        return " ".join(t.text or "" for t in g.iter(SVG + "text")) if g is not None else None

    def states(self, who):
        """[(state, mark)] of a lifeline in order; mark '' (known), 'expected' or 'confirmed'."""
        out = []
        for gid, g in self.groups.items():
            m = re.match(r"state-%s-(\d+)(?:-(expected|confirmed))?$" % who, gid)
            if m:
                out.append((int(m.group(1)), self.text(gid), m.group(2) or ""))
        return [(t, mark) for _, t, mark in sorted(out)]

    def arrow(self, frame):
        """(x0, y0, x1, y1, style) of a segment's arrow: the ends of its line (the first path)."""
        g = self.groups.get("arrow-%d" % frame)
        if g is None:
            return None
        path = next(g.iter(SVG + "path"))
        nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]
        return nums[0], nums[1], nums[-2], nums[-1], path.get("style", "")


def crosses(a, b):
    """Whether two segments (x0, y0, x1, y1) intersect."""
    def orient(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    p1, p2, p3, p4 = (a[0], a[1]), (a[2], a[3]), (b[0], b[1]), (b[2], b[3])
    d1, d2 = orient(p3, p4, p1), orient(p3, p4, p2)
    d3, d4 = orient(p1, p2, p3), orient(p1, p2, p4)
    return d1 * d2 < 0 and d3 * d4 < 0


def main():
    tmp = tempfile.mkdtemp(prefix="tcpstate-ladder-test.")
    os.chmod(tmp, 0o755)
    svgs = {}

    # ---- Every lifecycle capture: states in order ------------------------------------------------
    table = expected_states()
    check(len(table) >= 12, "test-captures/README.md 'Ladder states' has %d rows, want 12" % len(table))
    for cap, (want_c, want_s) in sorted(table.items()):
        out = os.path.join(tmp, cap + ".svg")
        rc, err = ladder(os.path.join(CAPS, cap + ".pcap"), "-o", out)
        if not check(rc == 0 and os.path.exists(out), "%s: ladder exited %d: %s" % (cap, rc, err.strip())):
            continue
        svg = svgs[cap] = Svg(out)
        got_c = [t for t, _ in svg.states("client")]
        got_s = [t for t, _ in svg.states("server")]
        check(got_c == want_c, "%s: client lifeline %s, want %s" % (cap, " ".join(got_c), " ".join(want_c)))
        check(got_s == want_s, "%s: server lifeline %s, want %s" % (cap, " ".join(got_s), " ".join(want_s)))
        check(svg.text("header-client") and svg.text("header-server"), "%s: no lifeline headers" % cap)

    # ---- Expected until confirmed -----------------------------------------------------------------
    svg = svgs.get("synth-client-close")
    if svg:
        s, c = dict(svg.states("server")), dict(svg.states("client"))
        check(s.get("SYN_RCVD") == "confirmed", "server SYN_RCVD should be expected then confirmed by the SYN-ACK: %s" % s)
        check(s.get("CLOSED") == "expected", "server CLOSED after the last ACK is never confirmed: %s" % s)
        check(c.get("TIME_WAIT") == "confirmed", "client TIME_WAIT is confirmed by its ACK 4/4: %s" % c)
        check(c.get("SYN_SENT") == "", "client SYN_SENT is known (sent): %s" % c)
        check(svg.text("header-client").startswith("client") and "192.0.2.1:40000" in svg.text("header-client"),
              "client header: %r" % svg.text("header-client"))
        check(svg.text("label-2") == "SYN,ACK seq=0 ack=1", "label of frame 2: %r" % svg.text("label-2"))
        check(svg.text("label-4") == "PSH,ACK seq=1 ack=1 len=100", "label of frame 4: %r" % svg.text("label-4"))
        a8, a9 = svg.arrow(8), svg.arrow(9)
        check(a8 and a9 and not crosses(a8[:4], a9[:4]), "synth-client-close 8 and 9 must not cross")

    # ---- Crossing segments cross -------------------------------------------------------------------
    for cap, (f1, f2) in (("synth-simultaneous-close", (4, 5)), ("synth-simultaneous-open", (1, 2)),
                          ("synth-simultaneous-open", (3, 4))):
        svg = svgs.get(cap)
        if svg:
            a, b = svg.arrow(f1), svg.arrow(f2)
            check(a and b and crosses(a[:4], b[:4]), "%s: arrows %d and %d must cross: %s %s" % (cap, f1, f2, a, b))

    # ---- Retransmission dashed, findings red, WebSocket marked ------------------------------------
    for cap, extra in (("synth-retrans-fin", []), ("synth-rst-challenge", []), ("ws/ws-frames", ["--full"])):
        out = os.path.join(tmp, cap.replace("/", "-") + ".svg")
        rc, err = ladder(os.path.join(CAPS, cap + ".pcap"), "-o", out, *extra)
        if check(rc == 0, "%s: ladder exited %d: %s" % (cap, rc, err.strip())):
            svgs[cap] = Svg(out)
    if "synth-retrans-fin" in svgs:
        svg = svgs["synth-retrans-fin"]
        check("stroke-dasharray" in svg.arrow(5)[4], "synth-retrans-fin 5 (retransmitted FIN) is not dashed")
        check("stroke-dasharray" not in svg.arrow(4)[4], "synth-retrans-fin 4 (first FIN) is dashed")
    if "synth-rst-challenge" in svgs:
        svg = svgs["synth-rst-challenge"]
        check(svg.text("findings-7") == "rst_not_exact", "synth-rst-challenge 7: findings %r" % svg.text("findings-7"))
        check(RED in svg.arrow(7)[4], "synth-rst-challenge 7 (rst_not_exact) is not red")
        check(RED not in svg.arrow(8)[4], "synth-rst-challenge 8 (challenge ACK) is red")
        fill = next(svg.groups["findings-7"].iter(SVG + "text")).get("style", "")
        check(RED in fill, "finding id not red: %s" % fill)
    if "ws/ws-frames" in svgs:
        svg = svgs["ws/ws-frames"]
        ws = [g for g in svg.groups if g.startswith("ws-")]
        check(ws and any("WebSocket" in (svg.text(g) or "") for g in ws), "ws-frames: no WebSocket mark")
        check(any(PURPLE in (svg.arrow(int(g[3:])) or (0, 0, 0, 0, ""))[4] for g in ws), "ws-frames: no purple arrow")

    # ---- Output formats, --all, --time, --explain, errors -----------------------------------------
    cc = os.path.join(CAPS, "synth-client-close.pcap")
    for ext, magic in ((".png", b"\x89PNG"), (".pdf", b"%PDF")):
        out = os.path.join(tmp, "cc" + ext)
        rc, err = ladder(cc, "-o", out)
        check(rc == 0 and open(out, "rb").read(4) == magic, "%s output: rc %d %s" % (ext, rc, err.strip()))
    out = os.path.join(tmp, "reuse.svg")
    rc, err = ladder(os.path.join(CAPS, "synth-port-reuse.pcap"), "--all", "-o", out)
    check(rc == 0 and all(os.path.exists(os.path.join(tmp, "reuse-stream%d.svg" % n)) for n in (0, 1)),
          "--all: one SVG per stream: rc %d %s %s" % (rc, err.strip(), os.listdir(tmp)))
    out = os.path.join(tmp, "reuse.pdf")
    rc, err = ladder(os.path.join(CAPS, "synth-port-reuse.pcap"), "--all", "-o", out)
    check(rc == 0 and open(out, "rb").read().count(b"/Type /Page\n") + open(out, "rb").read().count(b"/Type /Page ")
          >= 2 or b"/Count 2" in open(out, "rb").read(), "--all into a PDF: two pages")
    out = os.path.join(tmp, "prop.svg")
    rc, err = ladder(cc, "--time", "proportional", "-o", out)
    if check(rc == 0, "--time proportional: %s" % err.strip()):
        svg = Svg(out)
        y = {f: svg.arrow(f)[1] for f in (1, 7, 8)}
        # frames 1..7 within 6 ms, frame 8 at 506 ms: the gap 7-8 is far larger than 1-7
        check(y[8] - y[7] > 20 * (y[7] - y[1]) > 0, "--time proportional: rows not to scale: %s" % y)
        even = svgs.get("synth-client-close")
        if even:
            ye = {f: even.arrow(f)[1] for f in (1, 7, 8)}
            check(abs((ye[8] - ye[7]) - (ye[7] - ye[1]) / 6) < 1, "--time even: rows not evenly spaced: %s" % ye)
    out = os.path.join(tmp, "explain.svg")
    rc, err = ladder(cc, "--explain", "-o", out)
    if check(rc == 0, "--explain: %s" % err.strip()):
        svg = Svg(out)
        tshark = os.environ.get("TCPSTATE_TSHARK_WRAPPER", os.path.join(REPO, "scripts", "tshark"))
        want = subprocess.run([tshark, "-r", cc, "-o", "tcpstate.explain:TRUE", "-Y", "frame.number == 8",
                               "-T", "fields", "-e", "tcpstate.explain"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, universal_newlines=True).stdout.strip()
        got = " ".join((svg.text("explain-8") or "").split())
        check(want and got == want, "--explain frame 8: %r, the plugin says %r" % (got, want))
        check(all(svg.text("explain-%d" % f) for f in range(1, 12)), "--explain: a step without its sentence")
    rc, err = ladder(cc, "--stream", "7", "-o", os.path.join(tmp, "x.svg"))
    check(rc == 2 and "no stream 7" in err, "--stream 7 of a one-stream capture: rc %d, %s" % (rc, err.strip()))
    bad = os.path.join(tmp, "bad.pcap")
    with open(bad, "wb") as f:
        f.write(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + b"\x00" * 8 + b"\xff\xff\x00\x00\x01\x00\x00\x00" +
                b"\x00" * 8 + b"\xff\xff\xff\x7f" * 2 + b"junk")
    os.chmod(bad, 0o644)
    rc, err = ladder(bad, "-o", os.path.join(tmp, "bad.svg"))
    check(rc in (1, 2) and err.strip(), "a corrupt capture: rc %d, message %r" % (rc, err.strip()))

    # ---- 1,000 segments ---------------------------------------------------------------------------
    long_cap = os.path.join(tmp, "long.pcap")
    subprocess.run([sys.executable, os.path.join(HERE, "long_capture.py"), long_cap], check=True)
    os.chmod(long_cap, 0o644)
    out = os.path.join(tmp, "long.svg")
    rc, err = ladder(long_cap, "-o", out)
    if check(rc == 0, "1,000 segments: %s" % err.strip()):
        svg = Svg(out)
        folds = [g for g in svg.groups if g.startswith("fold-text-")]
        check(len(folds) == 1 and (svg.text(folds[0]) or "").startswith("994 data segments, 49700 bytes"),
              "1,000 segments: one fold of 994 data segments: %s" % [svg.text(g) for g in folds])
        height = float(re.match(r"[\d.]+", svg.root.get("height")).group(0))
        check(height < 15 * 72, "1,000 segments, folded: %.0f pt tall, want under 15 in" % height)
        check([t for t, _ in svg.states("server")] == ["LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
              "1,000 segments: server states %s" % svg.states("server"))
        check(dict(svg.states("server")).get("ESTABLISHED") == "confirmed",
              "1,000 segments: the server's ESTABLISHED is confirmed by its ACKs inside the fold")
    out = os.path.join(tmp, "long-full.svg")
    rc, err = ladder(long_cap, "--full", "-o", out)
    if check(rc == 0, "1,000 segments --full: %s" % err.strip()):
        svg = Svg(out)
        n = sum(1 for g in svg.groups if g.startswith("arrow-"))
        check(n == 1001, "--full: %d arrows, want 1001" % n)

    if failures:
        print("%d failure(s); outputs kept in %s" % (len(failures), tmp))
        return 1
    print("ladder: all checks passed (%d lifecycle captures)" % len(table))
    subprocess.run(["rm", "-rf", tmp])
    return 0


if __name__ == "__main__":
    sys.exit(main())
