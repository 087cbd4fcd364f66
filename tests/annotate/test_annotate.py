#!/usr/bin/python3
"""Tests for scripts/annotate (ctest label "annotate").

  1. test-captures/ and ../shared/captures (skipped with a message if absent): the CSV has exactly
     one valid row per TCP segment of every file -- as many as `tshark -Y tcp` shows minus the TCP
     headers quoted inside ICMP errors (frames with tcp but no tcp.stream, or tcp inside icmp/icmpv6)
     -- with the documented header; the JSON Lines output has one JSON object per line, the same
     rows; --summary has one row per connection.
  2. A folder holding good captures (one gzip'd, one in a subfolder), a crafted capture with an
     ICMP error quoting TCP headers, and a corrupt capture: the good ones are all written, the
     corrupt one is named on stderr, the exit status is 1.
  3. -o PREF:VALUE reaches tshark: a TLS WebSocket capture read with its key log
     (-o tls.keylog_file:X.keys) has the upgrade and the session tagged, and without it only the
     ws_tls_not_examined note (test-captures/wss/README.md); -o OUT still names the output file.

Counting uses the system tshark directly (no plugin needed), so it is independent of scripts/annotate.
Environment: TCPSTATE_BUILD (build folder, used by scripts/tshark), TCPSTATE_TSHARK (tshark binary).
"""

import concurrent.futures
import csv
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ANNOTATE = os.path.join(REPO, "scripts", "annotate")
TSHARK = os.environ.get("TCPSTATE_TSHARK", "tshark")
TSHARK_PLUGIN = os.path.join(REPO, "scripts", "tshark")  # with the build-tree plugin, also as root
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared", "captures"))

# The documented, stable column lists (docs/annotate.md). Changing them breaks users: append only.
SEGMENT_HEADER = (
    "file,frame,time,stream,src,srcport,dst,dstport,flags,seq,ack,len,step,phase,role,"
    "sender_before,sender_after,receiver_before,receiver_expected,client_state,server_state,"
    "seq_expected,seq_ok,ack_expected,ack_ok,acceptable,retransmission,midstream,violation,"
    "findings,ws,ws_upgrade,ws_close,conn_state,conn_history,rel_seq,rel_ack,explain").split(",")
SUMMARY_HEADER = (
    "file,stream,client_addr,client_port,server_addr,server_port,conn_state,history,"
    "client_pkts,client_bytes,server_pkts,server_bytes,first_time,last_time,duration,"
    "syn_frame,fin_frame,rst_frame,closed_first,time_wait,client_state,server_state,midstream,"
    "segments_annotated,findings,"
    "client_final,server_final,client_since,server_since,close_wait_s,fin_wait_2_s,time_wait_s,"
    "syn_synack_ms,synack_ack_ms,close_ms,end,stuck,client_times,server_times").split(",")

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg, flush=True)
    return cond


def captures_in(folder):
    out = []
    for root, dirs, names in os.walk(folder):
        for n in names:
            low = n.lower()
            if low.endswith(".gz"):
                low = low[:-3]
            if low.endswith((".pcap", ".pcapng", ".cap")):
                out.append(os.path.join(root, n))
    return sorted(out)


def tshark_count(path):
    """(TCP segments, set of connections): frames `-Y tcp` minus ICMP-quoted TCP headers. A connection
    is tcpstate.stream (Wireshark's tcp.stream, except where a release splits one handshake over two
    tcp.streams and tcpstate keeps the first: docs/releases.md), else tcp.stream."""
    p = subprocess.run([TSHARK_PLUGIN, "-n", "-r", path, "-Y", "tcp", "-T", "fields", "-E", "occurrence=f",
                        "-e", "tcp.stream", "-e", "tcpstate.stream", "-e", "frame.protocols"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    segments, streams = 0, set()
    for line in p.stdout.splitlines():
        stream, _, rest = line.partition("\t")
        connection, _, protocols = rest.partition("\t")
        layers = protocols.split(":")
        before_tcp = layers[:layers.index("tcp")] if "tcp" in layers else layers
        if stream == "" or "icmp" in before_tcp or "icmpv6" in before_tcp:
            continue  # a TCP header quoted by an ICMP error: not a segment
        segments += 1
        streams.add(connection or stream)
    return segments, streams


def expected_counts(files):
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(files, pool.map(tshark_count, files)))


def run_annotate(args):
    p = subprocess.run([ANNOTATE, "-q"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def per_file(rows):
    counts = {}
    for r in rows:
        counts[r["file"]] = counts.get(r["file"], 0) + 1
    return counts


def check_csv(text, header, label):
    """Parses CSV text strictly; returns the rows as dicts."""
    lines = text.splitlines()
    rdr = csv.reader(lines, strict=True)
    got_header = next(rdr, None)
    check(got_header == header, "%s: CSV header %s, want %s" % (label, got_header, header))
    rows = []
    for i, rec in enumerate(rdr, start=2):
        if not check(len(rec) == len(header), "%s: CSV line %d has %d fields, want %d" % (
                label, i, len(rec), len(header))):
            continue
        rows.append(dict(zip(header, rec)))
    return rows


def check_segments_csv(rows, expected, label):
    got = per_file(rows)
    for f, (n, _) in expected.items():
        check(got.get(f, 0) == n, "%s: %s: %d CSV rows, tshark shows %d TCP segments" % (
            label, f, got.get(f, 0), n))
    check(set(got) <= set(expected), "%s: rows for unexpected files %s" % (label, set(got) - set(expected)))
    keys = set()
    for r in rows:
        key = (r["file"], r["frame"])
        check(key not in keys, "%s: duplicate row %s" % (label, key))
        keys.add(key)
        check(r["frame"].isdigit() and r["stream"].isdigit() and r["srcport"].isdigit(),
              "%s: %s: frame/stream/srcport not numbers: %s" % (label, key, r))
        check(r["step"] != "", "%s: %s: no tcpstate step" % (label, key))
        float(r["time"])


def check_jsonl(text, csv_rows, label):
    lines = text.splitlines()
    objs = []
    for i, line in enumerate(lines, start=1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            check(False, "%s: line %d is not JSON: %s" % (label, i, e))
            continue
        if check(isinstance(obj, dict), "%s: line %d is not a JSON object" % (label, i)):
            check(list(obj) == SEGMENT_HEADER, "%s: line %d keys %s" % (label, i, list(obj)))
            objs.append(obj)
    check(len(objs) == len(csv_rows), "%s: %d JSON objects, %d CSV rows" % (label, len(objs), len(csv_rows)))
    for obj, row in zip(objs, csv_rows):
        same = (obj["file"] == row["file"] and str(obj["frame"]) == row["frame"]
                and obj["step"] == row["step"] and ",".join(obj["findings"]) == row["findings"]
                and isinstance(obj["acceptable"], (bool, type(None))))
        if not check(same, "%s: JSON and CSV disagree: %s / %s" % (label, obj, row)):
            break


def test_folder(folder, label, jsonl=True, summary=False):
    files = captures_in(folder)
    check(len(files) > 0, "%s: no captures in %s" % (label, folder))
    expected = expected_counts(files)
    total = sum(n for n, _ in expected.values())
    rc, out, err = run_annotate([folder])
    check(rc == 0, "%s: annotate exit %d: %s" % (label, rc, err))
    rows = check_csv(out, SEGMENT_HEADER, label)
    check_segments_csv(rows, expected, label)
    print("%s: %d files, %d CSV rows, tshark: %d TCP segments" % (label, len(files), len(rows), total))
    if jsonl:
        rc, out, err = run_annotate(["--format", "jsonl", folder])
        check(rc == 0, "%s: annotate --format jsonl exit %d: %s" % (label, rc, err))
        check_jsonl(out, rows, label + " jsonl")
        print("%s: %d JSON lines" % (label, len(out.splitlines())))
    if summary:
        rc, out, err = run_annotate(["--summary", folder])
        check(rc == 0, "%s: annotate --summary exit %d: %s" % (label, rc, err))
        srows = check_csv(out, SUMMARY_HEADER, label + " summary")
        want = sum(len(s) for _, s in expected.values())
        check(len(srows) == want, "%s: %d summary rows, %d connections" % (label, len(srows), want))
        by_file = {}
        for r in srows:
            by_file.setdefault(r["file"], set()).add(r["stream"])
        for f, (_, streams) in expected.items():
            check(by_file.get(f, set()) == streams, "%s: %s: summary streams %s, tshark %s" % (
                label, f, sorted(by_file.get(f, set())), sorted(streams)))
        # Packets per connection add up to the segment rows.
        pkts = sum(int(r["client_pkts"]) + int(r["server_pkts"]) for r in srows)
        check(pkts == len(rows), "%s: summary packets %d, segment rows %d" % (label, pkts, len(rows)))
        print("%s: %d summary rows" % (label, len(srows)))


# ---- A capture with ICMP errors quoting TCP, written by hand -----------------------------------

def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def _ip(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, bytes(src), bytes(dst))
    return h[:10] + struct.pack("!H", _csum(h)) + h[12:] + payload


def _tcp(sp, dp, seq, ack, flags):
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)


def _icmp_unreach(quoted):
    body = struct.pack("!BBHI", 3, 3, 0, 0) + quoted
    return body[:2] + struct.pack("!H", _csum(body)) + body[4:]


def write_icmp_capture(path):
    """SYN, SYN-ACK, then two ICMP port-unreachable errors quoting the SYN: one with the full TCP
    header, one with its first 8 bytes. Two TCP segments; `tshark -Y tcp` shows four frames."""
    a, b, r = [192, 0, 2, 1], [192, 0, 2, 2], [198, 51, 100, 1]
    syn = _ip(a, b, 6, _tcp(40000, 80, 1000, 0, 0x02))
    synack = _ip(b, a, 6, _tcp(80, 40000, 5000, 1001, 0x12))
    frames = [syn, synack, _ip(r, a, 1, _icmp_unreach(syn)), _ip(r, a, 1, _icmp_unreach(syn[:28]))]
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, p in enumerate(frames):
        f = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + p
        out += struct.pack("<IIII", 1700000000 + i, 0, len(f), len(f)) + f
    with open(path, "wb") as fh:
        fh.write(out)


def test_corrupt_folder(tmp):
    folder = os.path.join(tmp, "mixed")
    os.makedirs(os.path.join(folder, "sub"))
    src = os.path.join(REPO, "test-captures")
    good = [os.path.join(folder, "a-client-close.pcap"), os.path.join(folder, "sub", "b-reset.pcap.gz"),
            os.path.join(folder, "c-icmp.pcap")]
    shutil.copy(os.path.join(src, "real-client-close.pcap"), good[0])
    with open(os.path.join(src, "real-reset.pcap"), "rb") as fi, gzip.open(good[1], "wb") as fo:
        fo.write(fi.read())
    write_icmp_capture(good[2])
    # A pcap header announcing an absurd first record, then junk: tshark must fail on it.
    bad = os.path.join(folder, "b-corrupt.pcap")
    with open(bad, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        fh.write(struct.pack("<IIII", 1700000000, 0, 0xEE00EE00, 0xEE00EE00) + b"\x5a" * 300)
    with open(os.path.join(folder, "notes.txt"), "w") as fh:
        fh.write("not a capture, not picked up\n")

    expected = expected_counts(good)
    check(expected[good[2]][0] == 2, "icmp capture: tshark counts %d segments, want 2" % expected[good[2]][0])
    for fmt in ("csv", "jsonl"):
        rc, out, err = run_annotate(["--format", fmt, "-j", "2", folder])
        label = "corrupt folder (%s)" % fmt
        check(rc == 1, "%s: exit %d, want 1" % (label, rc))
        check("FAILED " + bad in err, "%s: stderr does not name %s: %r" % (label, bad, err))
        for g in good:
            check(g not in err, "%s: stderr names a good file %s: %r" % (label, g, err))
        if fmt == "csv":
            rows = check_csv(out, SEGMENT_HEADER, label)
            check_segments_csv(rows, expected, label)
            check(all(r["file"] != bad for r in rows), "%s: rows for the corrupt file" % label)
        else:
            rows = [json.loads(l) for l in out.splitlines()]
            check(per_file(rows) == {f: n for f, (n, _) in expected.items()},
                  "%s: rows per file %s, want %s" % (label, per_file(rows), expected))
        print("%s: exit %d, %d rows, stderr: %s" % (label, rc, len(rows), err.strip().replace("\n", " | ")))
    # A missing path is an error too, the rest is still written.
    rc, out, err = run_annotate([good[0], os.path.join(tmp, "missing.pcap")])
    check(rc == 1 and "missing.pcap" in err and len(out.splitlines()) == 1 + expected[good[0]][0],
          "missing file: exit %d, stderr %r" % (rc, err))


def test_tls_keys(tmp):
    """-o tls.keylog_file:... goes through to tshark (test-captures/wss/README.md, wss-client-close)."""
    cap = os.path.join(REPO, "test-captures", "wss", "wss-client-close.pcap")
    keys = os.path.join(REPO, "test-captures", "wss", "wss-client-close.keys")
    out = os.path.join(tmp, "keys.csv")
    rc, _, err = run_annotate(["-o", "tls.keylog_file:" + keys, "-o", out, cap])
    check(rc == 0, "keys: exit status %d: %s" % (rc, err))
    with open(out, encoding="utf-8") as f:
        rows = check_csv(f.read(), SEGMENT_HEADER, "keys")
    upgrades = [(r["frame"], r["ws_upgrade"]) for r in rows if r["ws_upgrade"]]
    check(upgrades == [("9", "request"), ("12", "accepted")], "keys: upgrades %s, want frames 9 and 12" % upgrades)
    ws_frames = [r["frame"] for r in rows if r["ws"] == "1"]
    check(ws_frames == [str(n) for n in range(12, 24)], "keys: ws rows %s, want 12-23" % ws_frames)
    rc, text, err = run_annotate([cap])
    check(rc == 0, "no keys: exit status %d: %s" % (rc, err))
    rows = check_csv(text, SEGMENT_HEADER, "no keys")
    check(not any(r["ws"] == "1" or r["ws_upgrade"] for r in rows), "no keys: WebSocket tagged without the keys")
    noted = [r["frame"] for r in rows if "ws_tls_not_examined" in r["findings"].split(",")]
    check(noted == ["8"], "no keys: ws_tls_not_examined on %s, want frame 8" % noted)


def test_lifecycle_columns():
    """--summary's lifecycle columns are the plugin's -z tcpstate,conns values: on the captures of
    test-captures/lifecycle/, the hand-worked X.conns.tsv (test-captures/lifecycle/README.md)."""
    folder = os.path.join(REPO, "test-captures", "lifecycle")
    rc, out, err = run_annotate(["--summary", folder])
    check(rc == 0, "lifecycle summary: exit %d: %s" % (rc, err))
    rows = csv.reader(out.splitlines())
    header = next(rows)
    got = {}
    for rec in rows:
        r = dict(zip(header, rec))
        got[(os.path.basename(r["file"]), r["stream"])] = r
    # -z tcpstate,conns column -> --summary column; "-" (none) is an empty cell.
    names = {"client_state": "client_final", "server_state": "server_final", "closed_first": "closed_first",
             "close_wait": "close_wait_s", "fin_wait_2": "fin_wait_2_s", "time_wait": "time_wait_s"}
    n = 0
    for tsv in sorted(f for f in os.listdir(folder) if f.endswith(".conns.tsv")):
        with open(os.path.join(folder, tsv)) as fh:
            lines = [l.rstrip("\n").split("\t") for l in fh]
        for cells in lines[1:]:
            want = dict(zip(lines[0], cells))
            row = got.get((tsv.replace(".conns.tsv", ".pcap"), want["stream"]))
            if not check(row is not None, "lifecycle summary: no row for %s stream %s" % (tsv, want["stream"])):
                continue
            for col, value in want.items():
                if col in ("stream", "client", "server"):
                    continue
                name = names.get(col, col)
                check(row[name] == ("" if value == "-" else value),
                      "lifecycle summary: %s stream %s: %s is %r, the table says %r" % (
                          tsv, want["stream"], name, row[name], value))
            check(row["client_addr"] + ":" + row["client_port"] == want["client"],
                  "lifecycle summary: %s stream %s: client %s:%s" % (tsv, want["stream"], row["client_addr"], row["client_port"]))
            n += 1
    print("lifecycle summary: %d connections checked against the hand-worked tables" % n)


def main():
    if not shutil.which(TSHARK):
        print("SKIP: no tshark")
        return 77
    with tempfile.TemporaryDirectory(prefix="tcpstate-annotate-test.") as tmp:
        test_corrupt_folder(tmp)
        test_tls_keys(tmp)
    test_folder(os.path.join(REPO, "test-captures"), "test-captures", jsonl=True, summary=True)
    test_lifecycle_columns()
    if os.path.isdir(SHARED):
        test_folder(SHARED, "shared captures", jsonl=True, summary=True)
    else:
        print("SKIP: %s absent: public-capture checks not run" % SHARED)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all annotate checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
