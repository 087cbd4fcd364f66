#!/usr/bin/python3
"""Write the synthetic test captures of tcpstate into test-captures/.

Deterministic: fixed timestamps, fixed ISNs, fixed addresses (documentation
ranges 192.0.2.0/24 and 2001:db8::/32), no randomness.  Every capture holds
one behaviour, a few packets, valid checksums, linktype Ethernet, classic pcap.

The expected annotation of every capture is in test-captures/<name>.expected,
worked out by hand from docs/model.md (see test-captures/README.md); this
script only writes the packets.  Sequence numbers are written out explicitly
in every packet so that they can be checked by hand against the .expected
files and the README.

Usage: scripts/gen-captures.py [OUTDIR]   (default: test-captures/ of the repo)
"""

import os
import sys
from decimal import Decimal

from scapy.all import Ether, IP, IPv6, TCP, Raw, wrpcap  # noqa: E402

BASE_TIME = Decimal(1700000000)      # 2023-11-14 22:13:20 UTC
MAC_C = "02:00:00:00:00:01"
MAC_S = "02:00:00:00:00:02"
V4_C, V4_S = "192.0.2.1", "192.0.2.2"
V6_C, V6_S = "2001:db8::1", "2001:db8::2"


class Flow:
    """One TCP connection between a client C and a server S.

    c()/s() append one segment sent by C or S.  seq/ack are given explicitly
    (raw, not relative).  flags is a scapy flag string: S SYN, A ACK, F FIN,
    R RST, P PSH.  n is the payload length (payload bytes are 'C' or 'S'),
    or payload= gives the bytes.  dt is the time since the previous packet.
    """

    def __init__(self, cport, sport, v6=False, t0=0):
        self.cport, self.sport, self.v6 = cport, sport, v6
        self.t = BASE_TIME + Decimal(t0)
        self.pkts = []

    def _seg(self, from_client, flags, seq, ack, n, win, opts, payload, dt):
        if payload is None:
            payload = (b"C" if from_client else b"S") * n
        if from_client:
            src, dst, smac, dmac = (V6_C, V6_S, MAC_C, MAC_S) if self.v6 else (V4_C, V4_S, MAC_C, MAC_S)
            sport, dport = self.cport, self.sport
        else:
            src, dst, smac, dmac = (V6_S, V6_C, MAC_S, MAC_C) if self.v6 else (V4_S, V4_C, MAC_S, MAC_C)
            sport, dport = self.sport, self.cport
        if self.v6:
            ip = IPv6(src=src, dst=dst, hlim=64)
        else:
            ip = IP(src=src, dst=dst, ttl=64, id=len(self.pkts) + 1, flags="DF")
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq % 2**32,
                  ack=ack % 2**32, window=win, options=opts or [])
        pkt = Ether(src=smac, dst=dmac) / ip / tcp
        if payload:
            pkt = pkt / Raw(load=payload)
        pkt = Ether(bytes(pkt))          # freeze: checksums and lengths computed
        self.t += Decimal(str(dt))
        pkt.time = self.t
        self.pkts.append(pkt)

    def c(self, flags, seq, ack=0, n=0, win=64240, opts=None, payload=None, dt=0.001):
        self._seg(True, flags, seq, ack, n, win, opts, payload, dt)

    def s(self, flags, seq, ack=0, n=0, win=64240, opts=None, payload=None, dt=0.001):
        self._seg(False, flags, seq, ack, n, win, opts, payload, dt)


MSS = [("MSS", 1460)]


def ws(shift):
    return [("MSS", 1460), ("NOP", None), ("WScale", shift)]


def handshake(f, ci=1000, si=5000):
    """Plain three-way handshake, ISNs ci / si, no window scaling."""
    f.c("S", ci, 0, opts=MSS, dt=0)
    f.s("SA", si, ci + 1, opts=MSS)
    f.c("A", ci + 1, si + 1)


def registry():
    """A registry of captures: (name -> function, the @capture(name) decorator that fills it).
    scripts/gen-rst-states.py and scripts/gen-verdict-captures.py keep their own."""
    captures = {}

    def capture(name):
        def deco(fn):
            captures[name] = fn
            return fn
        return deco
    return captures, capture


CAPTURES, capture = registry()


# --- normal open and close -------------------------------------------------

@capture("synth-client-close")
def client_close():
    f = Flow(40000, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4 request
    f.s("A", 5001, 1101)                          # 5
    f.s("PA", 5001, 1101, n=300)                  # 6 response
    f.c("A", 1101, 5301)                          # 7
    f.c("FA", 1101, 5301, dt=0.5)                 # 8 teardown 1/4
    f.s("A", 5301, 1102)                          # 9 teardown 2/4
    f.s("FA", 5301, 1102, dt=0.3)                 # 10 teardown 3/4
    f.c("A", 1102, 5302)                          # 11 teardown 4/4
    return f


@capture("synth-server-close")
def server_close():
    f = Flow(40001, 80, v6=True)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4 request
    f.s("PA", 5001, 1101, n=300)                  # 5 response
    f.s("FA", 5301, 1101)                         # 6 teardown 1/4 (server)
    f.c("A", 1101, 5302)                          # 7 teardown 2/4
    f.c("FA", 1101, 5302, dt=0.05)                # 8 teardown 3/4
    f.s("A", 5302, 1102)                          # 9 teardown 4/4
    return f


@capture("synth-fin-ack-merged")
def fin_ack_merged():
    f = Flow(40002, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4
    f.s("PA", 5001, 1101, n=300)                  # 5
    f.c("A", 1101, 5301)                          # 6
    f.c("FA", 1101, 5301, dt=0.5)                 # 7 teardown 1/4
    f.s("FA", 5301, 1102)                         # 8 teardown 2+3/4
    f.c("A", 1102, 5302)                          # 9 teardown 4/4
    return f


@capture("synth-simultaneous-open")
def simultaneous_open():
    # RFC 9293 3.5 figure 8: both bare SYNs cross, then both SYN-ACKs.
    f = Flow(40000, 40000)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("S", 5000, 0, opts=MSS, dt=0.0001)        # 2 (crossed in flight)
    f.c("SA", 1000, 5001, opts=MSS, dt=0.001)     # 3
    f.s("SA", 5000, 1001, opts=MSS, dt=0.0001)    # 4
    return f


@capture("synth-simultaneous-close")
def simultaneous_close():
    # RFC 9293 3.6 figure 13: both FINs cross; neither acknowledges the other.
    f = Flow(40003, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4
    f.s("FA", 5001, 1001, dt=0.0001)              # 5 crossed
    f.s("A", 5002, 1002, dt=0.001)                # 6 acks C's FIN
    f.c("A", 1002, 5002, dt=0.0001)               # 7 acks S's FIN
    return f


@capture("synth-half-close")
def half_close():
    f = Flow(40004, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4 upload
    f.s("A", 5001, 1101)                          # 5
    f.c("FA", 1101, 5001)                         # 6 teardown 1/4: C half-closes
    f.s("A", 5001, 1102)                          # 7 teardown 2/4
    f.s("PA", 5001, 1102, n=400, dt=0.1)          # 8 S sends in CLOSE_WAIT
    f.c("A", 1102, 5401)                          # 9
    f.s("PA", 5401, 1102, n=400)                  # 10
    f.c("A", 1102, 5801)                          # 11
    f.s("FA", 5801, 1102, dt=0.1)                 # 12 teardown 3/4
    f.c("A", 1102, 5802)                          # 13 teardown 4/4
    return f


# --- retransmissions -------------------------------------------------------

@capture("synth-retrans-syn")
def retrans_syn():
    f = Flow(40010, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.c("S", 1000, 0, opts=MSS, dt=1.0)           # 2 retransmitted SYN
    f.s("SA", 5000, 1001, opts=MSS)               # 3
    f.c("A", 1001, 5001)                          # 4
    return f


@capture("synth-retrans-synack")
def retrans_synack():
    # captured at the server: the client's ACK to the first SYN-ACK never came
    f = Flow(40011, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("SA", 5000, 1001, opts=MSS)               # 2
    f.s("SA", 5000, 1001, opts=MSS, dt=1.0)       # 3 retransmitted SYN-ACK
    f.c("A", 1001, 5001)                          # 4
    return f


@capture("synth-retrans-synack-lost-ack")
def retrans_synack_lost_ack():
    # captured at the client: its handshake ACK is lost after the capture point
    f = Flow(40012, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("SA", 5000, 1001, opts=MSS)               # 2
    f.c("A", 1001, 5001)                          # 3 (lost on the way)
    f.s("SA", 5000, 1001, opts=MSS, dt=1.0)       # 4 server retransmits
    f.c("A", 1001, 5001)                          # 5 client re-ACKs
    return f


@capture("synth-retrans-fin")
def retrans_fin():
    f = Flow(40013, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4 teardown 1/4
    f.c("FA", 1001, 5001, dt=0.2)                 # 5 retransmitted FIN
    f.s("A", 5001, 1002)                          # 6 teardown 2/4
    f.s("FA", 5001, 1002, dt=0.1)                 # 7 teardown 3/4
    f.c("A", 1002, 5002)                          # 8 teardown 4/4
    return f


@capture("synth-retrans-last-ack")
def retrans_last_ack():
    # captured at the client: its last ACK is lost after the capture point,
    # the server retransmits its FIN from LAST_ACK, the client re-ACKs
    f = Flow(40014, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4 teardown 1/4
    f.s("A", 5001, 1002)                          # 5 teardown 2/4
    f.s("FA", 5001, 1002, dt=0.1)                 # 6 teardown 3/4
    f.c("A", 1002, 5002)                          # 7 teardown 4/4 (lost)
    f.s("FA", 5001, 1002, dt=0.2)                 # 8 FIN retransmitted
    f.c("A", 1002, 5002)                          # 9 4/4 again
    return f


# --- resets ----------------------------------------------------------------

@capture("synth-refused")
def refused():
    f = Flow(40020, 81)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("RA", 0, 1001, win=0)                     # 2 connection refused
    return f


@capture("synth-rst-established")
def rst_established():
    f = Flow(40021, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4
    f.s("PA", 5001, 1101, n=300)                  # 5
    f.c("A", 1101, 5301)                          # 6
    f.s("RA", 5301, 1101, win=0, dt=0.2)          # 7 RST at exactly RCV.NXT
    return f


@capture("synth-rst-challenge")
def rst_challenge():
    f = Flow(40022, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4
    f.s("PA", 5001, 1101, n=300)                  # 5
    f.c("A", 1101, 5301)                          # 6
    f.s("RA", 6301, 1101, win=0, dt=0.2)          # 7 RST in window, not exact
    f.c("A", 1101, 5301)                          # 8 challenge ACK (RFC 5961 3.2)
    f.s("R", 5301, 0, win=0)                      # 9 RST seq = SEG.ACK of 8
    return f


@capture("synth-rst-out-of-window")
def rst_out_of_window():
    f = Flow(40023, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4
    f.s("PA", 5001, 1101, n=300)                  # 5
    f.c("A", 1101, 5301)                          # 6
    f.s("RA", 75301, 1101, win=0, dt=0.2)         # 7 RST beyond the window (blind injection)
    f.c("PA", 1101, 5301, n=50, dt=0.5)           # 8 the connection goes on
    f.s("A", 5301, 1151)                          # 9
    f.c("FA", 1151, 5301, dt=0.5)                 # 10 teardown 1/4
    f.s("FA", 5301, 1152)                         # 11 teardown 2+3/4
    f.c("A", 1152, 5302)                          # 12 teardown 4/4
    return f


@capture("synth-rst-syn-sent-bad-ack")
def rst_syn_sent_bad_ack():
    f = Flow(40024, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("RA", 0, 1234, win=0)                     # 2 RST, ACK is not ISS+1 (ignored)
    f.s("SA", 5000, 1001, opts=MSS, dt=0.001)     # 3 the real SYN-ACK
    f.c("A", 1001, 5001)                          # 4
    return f


@capture("synth-rst-fin-wait-2")
def rst_fin_wait_2():
    f = Flow(40025, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4 teardown 1/4
    f.s("A", 5001, 1002)                          # 5 teardown 2/4
    f.s("RA", 5001, 1002, win=0, dt=0.2)          # 6 server aborts in CLOSE_WAIT
    return f


@capture("synth-rst-time-wait")
def rst_time_wait():
    f = Flow(40026, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4 teardown 1/4
    f.s("A", 5001, 1002)                          # 5 teardown 2/4
    f.s("FA", 5001, 1002, dt=0.1)                 # 6 teardown 3/4
    f.c("A", 1002, 5002)                          # 7 teardown 4/4
    f.s("R", 5002, 0, win=0, dt=1.0)              # 8 RST hits TIME_WAIT
    return f


# --- validation findings ---------------------------------------------------

@capture("synth-synack-bad-ack")
def synack_bad_ack():
    f = Flow(40030, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("SA", 5000, 1005, opts=MSS)               # 2 ack should be 1001
    f.c("R", 1005, 0, win=0)                      # 3 RFC 9293 3.10.7.3 reset <SEQ=SEG.ACK>
    return f


@capture("synth-ack-unsent")
def ack_unsent():
    f = Flow(40031, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4
    f.s("PA", 5001, 1101, n=300)                  # 5 server snd_nxt = 5301
    f.c("A", 1101, 6301)                          # 6 acks 1000 bytes never sent
    f.s("A", 5301, 1101)                          # 7 receiver's ACK (RFC 9293 3.10.7.4)
    f.c("FA", 1101, 5301, dt=0.5)                 # 8 teardown 1/4
    f.s("FA", 5301, 1102)                         # 9 teardown 2+3/4
    f.c("A", 1102, 5302)                          # 10 teardown 4/4
    return f


@capture("synth-window-data")
def window_data():
    # client shift 2, server shift 7; server's scaled window 10 << 7 = 1280
    f = Flow(40032, 80)
    f.c("S", 1000, 0, win=64240, opts=ws(2), dt=0)        # 1
    f.s("SA", 5000, 1001, win=1280, opts=ws(7))           # 2 right edge 2281
    f.c("A", 1001, 5001, win=16060)                       # 3 (16060 << 2 = 64240)
    f.c("PA", 1001, 5001, n=1000, win=16060)              # 4 1001..2000
    f.s("A", 5001, 2001, win=10)                          # 5 right edge 3281
    f.c("PA", 2001, 5001, n=500, win=16060)               # 6 2001..2500
    f.c("PA", 2501, 5001, n=700, win=16060)               # 7 2501..3200 (needs the shift)
    f.s("A", 5001, 3201, win=10)                          # 8 right edge 4481
    f.c("PA", 6001, 5001, n=100, win=16060, dt=0.1)       # 9 6001..6100 beyond the edge
    f.s("A", 5001, 3201, win=10)                          # 10 duplicate ACK
    return f


@capture("synth-window-fin")
def window_fin():
    f = Flow(40033, 80)
    f.c("S", 1000, 0, win=64240, opts=ws(2), dt=0)        # 1
    f.s("SA", 5000, 1001, win=1280, opts=ws(7))           # 2 right edge 2281
    f.c("A", 1001, 5001, win=16060)                       # 3
    f.c("PA", 1001, 5001, n=1000, win=16060)              # 4 1001..2000
    f.s("A", 5001, 2001, win=10)                          # 5 right edge 3281
    f.c("FA", 4001, 5001, win=16060, dt=0.1)              # 6 FIN at 4001, beyond the edge
    return f


@capture("synth-data-after-fin")
def data_after_fin():
    f = Flow(40034, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4 teardown 1/4
    f.s("A", 5001, 1002)                          # 5 teardown 2/4
    f.c("PA", 1002, 5001, n=50)                   # 6 data after own FIN
    f.s("FA", 5001, 1002, dt=0.1)                 # 7 teardown 3/4
    f.c("A", 1052, 5002)                          # 8 teardown 4/4
    return f


@capture("synth-port-reuse")
def port_reuse():
    f = Flow(40035, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4
    f.s("PA", 5001, 1101, n=300)                  # 5
    f.s("FA", 5301, 1101)                         # 6 teardown 1/4 (server)
    f.c("A", 1101, 5302)                          # 7 teardown 2/4
    f.c("FA", 1101, 5302)                         # 8 teardown 3/4
    f.s("A", 5302, 1102)                          # 9 teardown 4/4: S in TIME_WAIT
    # new incarnation, same 4-tuple, ISN 200000 > 1102 (RFC 1122 4.2.2.13)
    f.c("S", 200000, 0, opts=MSS, dt=2.0)         # 10
    f.s("SA", 300000, 200001, opts=MSS)           # 11
    f.c("A", 200001, 300001)                      # 12
    f.c("FA", 200001, 300001, dt=0.5)             # 13 teardown 1/4
    f.s("FA", 300001, 200002)                     # 14 teardown 2+3/4
    f.c("A", 200002, 300002)                      # 15 teardown 4/4
    return f


@capture("synth-keepalive")
def keepalive():
    f = Flow(40036, 80, v6=True)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4
    f.s("PA", 5001, 1101, n=200)                  # 5
    f.c("A", 1101, 5201)                          # 6
    f.c("A", 1100, 5201, dt=60)                   # 7 keep-alive, len 0, seq snd_nxt-1
    f.s("A", 5201, 1101)                          # 8 its ACK
    f.c("A", 1100, 5201, payload=b"\x00", dt=60)  # 9 keep-alive, 1 garbage octet
    f.s("A", 5201, 1101)                          # 10 its ACK
    f.c("FA", 1101, 5201, dt=1)                   # 11 teardown 1/4
    f.s("FA", 5201, 1102)                         # 12 teardown 2+3/4
    f.c("A", 1102, 5202)                          # 13 teardown 4/4
    return f


@capture("synth-zero-window-probe")
def zero_window_probe():
    f = Flow(40037, 80)
    f.c("S", 1000, 0, win=64240, opts=MSS, dt=0)  # 1
    f.s("SA", 5000, 1001, win=1000, opts=MSS)     # 2 right edge 2001
    f.c("A", 1001, 5001)                          # 3
    f.c("PA", 1001, 5001, n=1000)                 # 4 fills the window
    f.s("A", 5001, 2001, win=0)                   # 5 zero window
    f.c("PA", 2001, 5001, n=1, dt=0.2)            # 6 zero-window probe
    f.s("A", 5001, 2001, win=0)                   # 7 still zero
    f.s("A", 5001, 2001, win=1000, dt=0.3)        # 8 window update, right edge 3001
    f.c("PA", 2001, 5001, n=500)                  # 9 2001..2500
    f.s("A", 5001, 2501, win=1000)                # 10
    f.c("FA", 2501, 5001, dt=0.5)                 # 11 teardown 1/4
    f.s("FA", 5001, 2502, win=1000)               # 12 teardown 2+3/4
    f.c("A", 2502, 5002)                          # 13 teardown 4/4
    return f


# --- partial captures ------------------------------------------------------

@capture("synth-midstream")
def midstream():
    f = Flow(40040, 80)
    f.c("PA", 10001, 50001, n=100, dt=0)          # 1 first segment seen
    f.s("PA", 50001, 10101, n=200)                # 2
    f.c("A", 10101, 50201)                        # 3
    f.c("FA", 10101, 50201, dt=0.5)               # 4 teardown 1/4
    f.s("A", 50201, 10102)                        # 5 teardown 2/4
    f.s("FA", 50201, 10102, dt=0.1)               # 6 teardown 3/4
    f.c("A", 10102, 50202)                        # 7 teardown 4/4
    return f


@capture("synth-one-direction")
def one_direction():
    # only C -> S captured; the server's SYN-ACK (ISN 5000) is not in the file
    f = Flow(40041, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.c("A", 1001, 5001, dt=0.002)                # 2 acks the unseen SYN-ACK
    f.c("PA", 1001, 5001, n=200)                  # 3
    f.c("PA", 1201, 5001, n=200)                  # 4
    f.c("FA", 1401, 5001, dt=0.1)                 # 5 teardown 1/4
    return f


@capture("synth-seq-wrap")
def seq_wrap():
    ci, si = 4294967000, 4294967200
    f = Flow(40042, 80)
    f.c("S", ci, 0, opts=MSS, dt=0)               # 1
    f.s("SA", si, ci + 1, opts=MSS)               # 2
    f.c("A", ci + 1, si + 1)                      # 3
    f.c("PA", ci + 1, si + 1, n=500)              # 4 4294967001..204 (wraps)
    f.s("PA", si + 1, 205, n=1000)                # 5 4294967201..904 (wraps)
    f.c("PA", 205, 905, n=100)                    # 6 205..304
    f.s("A", 905, 305)                            # 7
    f.c("FA", 305, 905, dt=0.5)                   # 8 teardown 1/4
    f.s("FA", 905, 306)                           # 9 teardown 2+3/4
    f.c("A", 306, 906)                            # 10 teardown 4/4
    return f


def main(captures=None):
    """Write every capture of `captures` (default: this script's) to argv[1] or test-captures/.
    scripts/gen-rst-states.py calls it with its own registry."""
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "test-captures")
    os.makedirs(outdir, exist_ok=True)
    for name, fn in sorted((CAPTURES if captures is None else captures).items()):
        f = fn()
        path = os.path.join(outdir, name + ".pcap")
        wrpcap(path, f.pkts, linktype=1)
        print("%-40s %2d packets" % (path, len(f.pkts)))


if __name__ == "__main__":
    main()
