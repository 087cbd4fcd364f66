#!/usr/bin/python3
"""Writes the synthetic WebSocket edge cases of issue 4 to test-captures/ws/ (or the folder given).

Deterministic: fixed addresses, ports, ISNs, IP ids and timestamps, so a re-run gives the same
bytes. Each capture is one TCP connection with a full handshake and valid sequence numbers; the
expected tagging of every frame is in test-captures/ws/README.md.

Usage: /usr/bin/python3 scripts/gen-ws-captures.py [OUTDIR]   (needs python3-scapy)
"""
import base64
import hashlib
import os
import struct
import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 1.3
BASE_TIME = 1700000000  # 2023-11-14 22:13:20 UTC


def accept_for(key):
    """RFC 6455 4.2.2 step 5.4."""
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def ws_frame(opcode, payload=b"", mask=None, fin=True):
    """RFC 6455 5.2. mask: 4-byte key (client frames) or None (server frames)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    m = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([m | n])
    elif n <= 0xFFFF:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if mask:
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


def close_frame(code, reason=b"", mask=None):
    return ws_frame(8, struct.pack("!H", code) + reason, mask)


MASK1 = bytes.fromhex("37fa213d")  # the RFC 6455 5.7 example key
MASK2 = bytes.fromhex("a1b2c3d4")
MASK3 = bytes.fromhex("0f0e0d0c")


def request(key=KEY, version="13", upgrade="websocket", connection="Upgrade", extra="", path="/chat",
            host="server.example.com"):
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    if upgrade is not None:
        lines.append(f"Upgrade: {upgrade}")
    lines.append(f"Connection: {connection}")
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    lines.append("Origin: http://example.com")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if extra:
        lines.append(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer_101(accept=None, key=KEY):
    accept = accept_for(key) if accept is None else accept
    return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode()


class Conn:
    """One TCP connection between a client and a server; builds frames in order."""

    def __init__(self, cport, sport, cisn=1000, sisn=5000):
        self.c = ("192.0.2.10", cport, "02:00:00:00:00:0a")      # RFC 5737 documentation addresses
        self.s = ("198.51.100.20", sport, "02:00:00:00:00:14")
        self.nxt = {True: cisn, False: sisn}  # next sequence number per sender (True: client)
        self.pkts = []
        self.ipid = {True: 1, False: 1}

    def _seg(self, from_client, flags, payload=b""):
        a, b = (self.c, self.s) if from_client else (self.s, self.c)
        seq = self.nxt[from_client]
        ack = self.nxt[not from_client] if "A" in flags else 0
        p = (Ether(src=a[2], dst=b[2]) /
             IP(src=a[0], dst=b[0], id=self.ipid[from_client], ttl=64, flags="DF") /
             TCP(sport=a[1], dport=b[1], seq=seq, ack=ack, flags=flags, window=65535))
        if payload:
            p = p / payload
        p.time = BASE_TIME + len(self.pkts) * 0.001
        self.ipid[from_client] += 1
        self.pkts.append(p)
        self.nxt[from_client] = (seq + len(payload) + (1 if ("S" in flags or "F" in flags) else 0)) % 2**32
        return len(self.pkts)  # frame number

    def handshake(self):
        self._seg(True, "S")
        self._seg(False, "SA")
        return self._seg(True, "A")

    def client(self, payload):
        return self._seg(True, "PA", payload)

    def server(self, payload):
        return self._seg(False, "PA", payload)

    def ack(self, from_client):
        return self._seg(from_client, "A")

    def fin(self, from_client):
        return self._seg(from_client, "FA")

    def rst(self, from_client):
        return self._seg(from_client, "RA")

    def close_tcp(self, first_client):
        """FIN from one side, FIN-ACK from the other, last ACK."""
        self.fin(first_client)
        self.fin(not first_client)
        self.ack(first_client)


def split_head():
    """Request head over three segments, 101 head over two, the second with a frame after it."""
    c = Conn(41001, 9001)
    c.handshake()                                       # 1-3
    req = request()
    i, j = req.index(b"grade: websocket"), req.index(b"ZSBub25j")
    c.client(req[:i])                                   # 4  "GET ... Up"
    c.client(req[i:j])                                  # 5  "grade: websocket ... dGhlIHNhbXBs"
    c.client(req[j:])                                   # 6  rest: request complete
    ans = answer_101()
    k = ans.index(b"Sec-WebSocket-Accept") + 5
    c.server(ans[:k])                                   # 7  "HTTP/1.1 101 ... Sec-W"
    c.server(ans[k:] + ws_frame(1, b"welcome"))         # 8  rest + text frame: accepted
    c.client(ws_frame(1, b"hello", MASK1))              # 9
    c.client(close_frame(1000, b"done", MASK2))         # 10 client Close 1000
    c.server(close_frame(1000))                         # 11 server Close 1000
    c.close_tcp(first_client=False)                     # 12-14 server FIN first
    return c


def bad_accept():
    c = Conn(41002, 9002)
    c.handshake()                                       # 1-3
    c.client(request())                                 # 4
    c.server(answer_101(accept="dGhlIHNhbXBsZSBub25jZQ=="))  # 5 the key echoed, not hashed
    c.close_tcp(first_client=True)                      # 6-8 the client fails the connection (RFC 6455 4.1)
    return c


def refused_426():
    c = Conn(41003, 9003)
    c.handshake()                                       # 1-3
    c.client(request(version="8"))                      # 4 an old draft version
    c.server(b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
             b"Content-Length: 0\r\nConnection: close\r\n\r\n")  # 5 RFC 6455 4.4
    c.close_tcp(first_client=False)                     # 6-8
    return c


def missing_key():
    c = Conn(41004, 9004)
    c.handshake()                                       # 1-3
    c.client(request(key=None))                         # 4
    c.server(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n"
             b"Connection: close\r\n\r\nMissing Sec-WebSocket-Key.\n")  # 5
    c.close_tcp(first_client=False)                     # 6-8
    return c


def h2c():
    c = Conn(41005, 8080)
    c.handshake()                                       # 1-3
    c.client(request(key=None, version=None, upgrade="h2c", connection="Upgrade, HTTP2-Settings",
                     extra="HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA", path="/"))  # 4 RFC 7540 3.2
    c.server(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
             + bytes.fromhex("000000040000000000"))     # 5 101 + empty SETTINGS
    c.client(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000"))  # 6 preface
    c.server(bytes.fromhex("000000040100000000"))       # 7 SETTINGS ACK
    c.close_tcp(first_client=True)                      # 8-10
    return c


def data_after_close():
    c = Conn(41006, 9006)
    c.handshake()                                       # 1-3
    c.client(request())                                 # 4
    c.server(answer_101())                              # 5
    c.client(close_frame(1000, b"", MASK1))             # 6 client Close 1000
    c.client(ws_frame(1, b"one more thing", MASK2))     # 7 text after its own Close: RFC 6455 5.5.1
    c.server(close_frame(1000))                         # 8
    c.close_tcp(first_client=False)                     # 9-11
    return c


def rst_no_close():
    c = Conn(41007, 9007)
    c.handshake()                                       # 1-3
    c.client(request())                                 # 4
    c.server(answer_101())                              # 5
    c.client(ws_frame(1, b"ping?", MASK1))              # 6
    c.server(ws_frame(1, b"pong!"))                     # 7
    c.rst(False)                                        # 8 server resets, no Close: 1006
    return c


def client_closes_tcp_first():
    c = Conn(41008, 9008)
    c.handshake()                                       # 1-3
    c.client(request())                                 # 4
    c.server(answer_101())                              # 5
    c.server(close_frame(1001, b"bye"))                 # 6 server Close 1001
    c.client(close_frame(1001, b"", MASK3))             # 7 client Close 1001
    c.close_tcp(first_client=True)                      # 8-10 the client closes TCP first (RFC 6455 7.1.1)
    return c


def frames():
    """101 and frames coalesced; several frames per segment; frames split across segments."""
    c = Conn(41009, 9009)
    c.handshake()                                       # 1-3
    c.client(request())                                 # 4
    c.server(answer_101() + ws_frame(1, b"a") + ws_frame(9, b"p"))  # 5 101 + text + ping
    c.client(ws_frame(10, b"p", MASK1) + ws_frame(1, b"x" * 200, MASK2)[:50])  # 6 pong + start of a 16-bit frame
    c.client(ws_frame(1, b"x" * 200, MASK2)[50:])       # 7 its end
    big = ws_frame(2, bytes(70000))                     # 64-bit length
    c.server(big[:5])                                   # 8 header cut inside the 64-bit length
    c.server(big[5:40000])                              # 9
    c.server(big[40000:] + close_frame(1000, b"x"))     # 10 end of the payload + server Close 1000
    cl = close_frame(4000, b"custom", MASK3)
    c.client(cl[:7])                                    # 11 Close cut inside the status bytes
    c.client(cl[7:])                                    # 12 client Close 4000 completes here
    c.close_tcp(first_client=False)                     # 13-15
    return c


def head_too_large():
    c = Conn(41010, 9010)
    c.handshake()                                       # 1-3
    req = request(extra="Cookie: " + "c" * 20000)
    for off in range(0, len(req), 1400):                # 4-18, 15 segments
        c.client(req[off:off + 1400])
    c.server(answer_101())                              # 19
    c.close_tcp(first_client=False)                     # 20-22
    return c


CAPTURES = {
    "ws-split-head.pcap": split_head,
    "ws-bad-accept.pcap": bad_accept,
    "ws-426.pcap": refused_426,
    "ws-missing-key.pcap": missing_key,
    "ws-h2c.pcap": h2c,
    "ws-data-after-close.pcap": data_after_close,
    "ws-rst-no-close.pcap": rst_no_close,
    "ws-client-closes-tcp-first.pcap": client_closes_tcp_first,
    "ws-frames.pcap": frames,
    "ws-head-too-large.pcap": head_too_large,
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "test-captures", "ws")
    os.makedirs(out, exist_ok=True)
    for name, build in CAPTURES.items():
        conn = build()
        wrpcap(os.path.join(out, name), conn.pkts, linktype=1)
        print(f"{name}: {len(conn.pkts)} frames")


if __name__ == "__main__":
    main()
