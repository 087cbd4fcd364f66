#!/usr/bin/python3
"""Checks the shipped Wireshark profile profile/tcpstate/ with tshark (no GUI needed; ctest label
"profile"): tshark -C tcpstate, with the profile in a private configuration folder, must

  - show the columns No., Time, Source, Destination, Protocol, Length, Step, Client state,
    Server state, Info, the three tcpstate ones equal to tcpstate.step / client.state / server.state;
  - colour every segment of every bundled capture by the first matching tcpstate rule, in the order
    violation (tcpstate.analysis), reset, handshake, teardown, WebSocket (tcpstate.ws), and frames
    matching none of them by Wireshark's default rules (kept after ours);
  - print nothing on stderr (a colour filter that does not compile is reported there);
and the profile's recent file must give widths for exactly the columns of its preferences.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TSHARK = os.path.join(REPO, "scripts", "tshark")
PROFILE = os.path.join(REPO, "profile", "tcpstate")
COLUMNS = ["No.", "Time", "Source", "Destination", "Protocol", "Length", "Step", "Client state",
           "Server state", "Info"]
RULES = [  # (rule name, predicate on the frame's fields), first match wins
    ("tcpstate: violation", lambda f: f["tcpstate.analysis"] != ""),
    ("tcpstate: reset", lambda f: f["tcpstate.phase"] == "reset"),
    ("tcpstate: handshake", lambda f: f["tcpstate.phase"] == "handshake"),
    ("tcpstate: teardown", lambda f: f["tcpstate.phase"] == "teardown"),
    ("tcpstate: WebSocket", lambda f: f["tcpstate.ws"] in ("1", "True")),
]
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg, flush=True)
    return cond


def tshark(confdir, args):
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=confdir)
    p = subprocess.run([TSHARK, "-C", "tcpstate"] + args, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    err = "\n".join(l for l in p.stderr.splitlines() if l.strip() and not l.startswith("Running as user"))
    return p.returncode, p.stdout, err


def main():
    captures = []
    for root, _, names in os.walk(os.path.join(REPO, "test-captures")):
        captures += [os.path.join(root, n) for n in names if n.endswith((".pcap", ".pcapng"))]
    captures.sort()
    with tempfile.TemporaryDirectory(prefix="tcpstate-profile.") as tmp:
        os.chmod(tmp, 0o755)  # scripts/tshark runs tshark as an unprivileged user when root
        shutil.copytree(PROFILE, os.path.join(tmp, "profiles", "tcpstate"))
        for root, dirs, files in os.walk(tmp):
            for n in dirs + files:
                os.chmod(os.path.join(root, n), 0o755 if n in dirs else 0o644)

        # Columns (PSML lists the column titles, then each packet's column texts).
        cap = os.path.join(REPO, "test-captures", "real-client-close.pcap")
        rc, out, err = tshark(tmp, ["-r", cap, "-T", "psml"])
        check(rc == 0 and err == "", "psml: exit %d, stderr %r" % (rc, err))
        root = ET.fromstring(out)
        titles = [s.text for s in root.find("structure").findall("section")]
        check(titles == COLUMNS, "columns %s, want %s" % (titles, COLUMNS))
        rc, out2, err = tshark(tmp, ["-r", cap, "-T", "fields", "-E", "separator=/t",
                                     "-e", "tcpstate.step", "-e", "tcpstate.client.state", "-e", "tcpstate.server.state"])
        want = [l.split("\t") for l in out2.splitlines()]
        got = [[s.text or "" for s in p.findall("section")][6:9] for p in root.findall("packet")]
        check(got == want and len(got) == 11, "tcpstate columns %s, fields %s" % (got, want))
        print("columns: %s; %d packets, step/client/server columns equal the fields" % (titles, len(got)))

        # Colouring rules, over every bundled capture.
        counts = {}
        fields = ["frame.number", "frame.coloring_rule.name", "tcpstate.analysis", "tcpstate.phase", "tcpstate.ws"]
        for cap in captures:
            args = ["-r", cap, "--color", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
            for f in fields:
                args += ["-e", f]
            rc, out, err = tshark(tmp, args)
            check(rc == 0 and err == "", "%s: exit %d, stderr %r" % (cap, rc, err))
            for line in out.splitlines():
                rec = dict(zip(fields, line.split("\t") + [""] * len(fields)))
                want = next((name for name, pred in RULES if pred(rec)), None)
                got = rec["frame.coloring_rule.name"]
                if want:
                    ok = got == want
                else:
                    ok = not got.startswith("tcpstate:")
                check(ok, "%s frame %s: colouring rule %r, want %r" % (
                    os.path.basename(cap), rec["frame.number"], got, want or "a default rule"))
                counts[got] = counts.get(got, 0) + 1
        print("colouring over %d captures: %s" % (len(captures), ", ".join(
            "%s %d" % kv for kv in sorted(counts.items()))))
        for name, _ in RULES:
            check(counts.get(name, 0) > 0, "rule %r never used on the bundled captures" % name)

    # recent: widths for exactly the columns of the preferences.
    prefs = open(os.path.join(PROFILE, "preferences")).read()
    fmts = re.findall(r'^\s*"[^"]*", "(%[^"]*)"', prefs, re.M)
    recent = open(os.path.join(PROFILE, "recent")).read()
    widths = re.findall(r'^\s*("?%[^,]*"?), -?\d+', recent, re.M)
    norm = lambda f: re.sub(r"^(%Cus:[^:]+).*", r"\1", f.strip('"'))
    check([norm(f) for f in fmts] == [norm(w) for w in widths],
          "recent column widths %s do not match the preferences columns %s" % (widths, fmts))

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("profile checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
