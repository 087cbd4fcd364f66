#!/usr/bin/python3
"""Writes the synthetic HTTP/1.1 framing cases of issue 16 to test-captures/wss/ (or the folder given).

Every request of a connection is examined until one upgrades, so the messages before the upgrade
must be framed as the server frames them (RFC 9112 6.3): pipelined requests, a request split over
segments, Content-Length and chunked bodies, answers without a body (HEAD, 1xx, 204, 304), and a
framing that cannot be known (which ends the examination). Bodies carry decoys that read like an
upgrade: they must not be taken for one.

Deterministic (the connection builder and frame helpers of scripts/gen-ws-captures.py: fixed
addresses, ports, ISNs, times). The expected tagging of every frame is in test-captures/wss/README.md.

Usage: /usr/bin/python3 scripts/gen-wss-captures.py [OUTDIR]   (needs python3-scapy)
"""
import importlib.util
import os
import sys

from scapy.utils import wrpcap

_spec = importlib.util.spec_from_file_location(
    "gen_ws_captures", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen-ws-captures.py"))
ws = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ws)

# A request and an answer that read like a WebSocket upgrade, for bodies.
DECOY_REQUEST = ws.request(path="/decoy")
DECOY_ANSWER = ws.answer_101()


def get(path, extra=b""):
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: server.example.com\r\n" + extra + b"\r\n"


def ok(body, extra=b""):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n" % len(body) + extra + b"\r\n" + body


def chunked(*chunks, trailer=b""):
    """RFC 9112 7.1; the first chunk carries an extension."""
    out = b""
    for i, c in enumerate(chunks):
        out += b"%x%s\r\n" % (len(c), b";note=\"first\"" if i == 0 else b"") + c + b"\r\n"
    return out + b"0\r\n" + trailer + b"\r\n"


def pipelined():
    """Two requests in one segment, both answers in one segment (one by length, one chunked), then
    the upgrade request split over two segments."""
    c = ws.Conn(42001, 9101)
    c.handshake()                                                 # 1-3
    c.client(get("/a") + get("/b"))                               # 4 two requests
    c.ack(False)                                                  # 5
    c.server(ok(b"hello") +
             b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
             chunked(DECOY_ANSWER, b"tail"))                      # 6 both answers
    req = ws.request()
    cut = req.index(b"Sec-WebSocket-Key") + 10
    c.client(req[:cut])                                           # 7 upgrade request, first part
    c.client(req[cut:])                                           # 8 its end: request
    c.server(ws.answer_101())                                     # 9 accepted
    c.client(ws.close_frame(1000, b"", ws.MASK1))                 # 10
    c.server(ws.close_frame(1000))                                # 11
    c.close_tcp(first_client=False)                               # 12-14
    return c


def bodies():
    """Answers without a body (HEAD, 204, 304, 100 Continue before the final answer), and bodies
    that hold an upgrade request and a 101 as data."""
    c = ws.Conn(42002, 9102)
    c.handshake()                                                 # 1-3
    c.client(b"HEAD /big HTTP/1.1\r\nHost: server.example.com\r\n\r\n")          # 4
    c.server(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")               # 5 no body (6.3 item 1)
    c.client(get("/none"))                                        # 6
    c.server(b"HTTP/1.1 204 No Content\r\n\r\n")                  # 7
    c.client(get("/cached", b"If-None-Match: \"v1\"\r\n"))        # 8
    c.server(b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 5000\r\n\r\n")  # 9 no body
    c.client(b"POST /upload HTTP/1.1\r\nHost: server.example.com\r\nExpect: 100-continue\r\n"
             b"Content-Length: %d\r\n\r\n" % len(DECOY_REQUEST))  # 10
    c.server(b"HTTP/1.1 100 Continue\r\n\r\n")                    # 11 interim (RFC 9110 15.2.1)
    c.client(DECOY_REQUEST)                                       # 12 the body: an upgrade request as data
    c.server(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" +
             chunked(b"x" * 20, DECOY_ANSWER, trailer=b"Checksum: 1234\r\n"))   # 13 chunked, a trailer
    c.client(ws.request())                                        # 14 the real upgrade
    c.server(ws.answer_101())                                     # 15 accepted
    c.server(ws.close_frame(1001, b"bye"))                        # 16
    c.client(ws.close_frame(1001, b"", ws.MASK2))                 # 17
    c.close_tcp(first_client=False)                               # 18-20
    return c


def bad_length():
    """An answer whose Content-Length lists two values: its end cannot be known (RFC 9112 6.3 item
    5), so nothing after it is examined, not even an upgrade that follows."""
    c = ws.Conn(42003, 9103)
    c.handshake()                                                 # 1-3
    c.client(get("/a"))                                           # 4
    c.server(b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello")             # 5
    c.client(ws.request())                                        # 6
    c.server(ws.answer_101())                                     # 7
    c.close_tcp(first_client=False)                               # 8-10
    return c


CAPTURES = {
    "http-pipelined.pcap": pipelined,
    "http-bodies.pcap": bodies,
    "http-bad-length.pcap": bad_length,
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "test-captures", "wss")
    os.makedirs(out, exist_ok=True)
    for name, build in CAPTURES.items():
        conn = build()
        wrpcap(os.path.join(out, name), conn.pkts, linktype=1)
        print(f"{name}: {len(conn.pkts)} frames")


if __name__ == "__main__":
    main()
