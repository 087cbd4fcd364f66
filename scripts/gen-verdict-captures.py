#!/usr/bin/python3
"""Write the issue-11 synthetic captures of tcpstate into test-captures/: segments that look wrong
to an observer assuming immediate delivery, but that some delivery history makes legal (and the
few that none does).

Issue 11, classes 1-8: a RST from an end that no longer has the connection; the RST SYN-SENT must
send for an unacceptable ACK; RCV.NXT from the receiver's own ACKs; a SYN-ACK that never arrived
and competing SYN-ACKs; the split handshake; inference that must not contradict the sender; an ACK
outside SND.UNA..SND.NXT in SYN-RECEIVED; RST in a passive or active SYN-RECEIVED.

Same conventions as scripts/gen-captures.py, whose Flow class is reused unchanged: deterministic
(fixed timestamps, client 192.0.2.1, server 192.0.2.2, one client port per connection), Ethernet,
classic pcap, valid checksums, sequence numbers written out explicitly.

The expected annotation of every capture is in test-captures/<name>.expected, worked out by hand
from docs/model.md and RFC 9293 / RFC 5961 (test-captures/README.md, section "Verdicts under every
delivery history"); this script only writes the packets.

Usage: scripts/gen-verdict-captures.py [OUTDIR]   (default: test-captures/ of the repo)
"""

import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# gen-captures.py is not importable by name (hyphen): load it from its path.
_spec = importlib.util.spec_from_file_location("gen_captures", os.path.join(HERE, "gen-captures.py"))
_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_gen)
Flow, MSS, handshake = _gen.Flow, _gen.MSS, _gen.handshake

CAPTURES, capture = _gen.registry()


def close(f, c, s):
    """The client closes, the server merges its ACK and FIN: FIN 1/4, FIN-ACK 2+3/4, ACK 4/4.
    c, s: the client's and the server's next sequence numbers."""
    f.c("FA", c, s, dt=0.1)
    f.s("FA", s, c + 1)
    f.c("A", c + 1, s + 1)


# --- class 1: a RST from an end that no longer has the connection ------------------------

@capture("synth-rst-from-closed")
def rst_from_closed():
    # The client's application closes (FIN) while the server is sending; the server's data was
    # sent before the FIN reached it (its ACK does not cover the FIN). The client, no longer
    # having the connection, answers with <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.1); the server
    # then acknowledges the FIN (so that RST had been ignored) and the client resets again.
    f = Flow(40060, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4
    f.s("A", 5001, 1101)                          # 5
    f.c("FA", 1101, 5001, dt=0.5)                 # 6 FIN 1/4
    f.s("PA", 5001, 1101, n=300, dt=0.0001)       # 7 crossed the FIN
    f.c("R", 1101, 0, win=0)                      # 8 <SEQ=SEG.ACK of 7>
    f.s("A", 5301, 1102, dt=0.04)                 # 9 the FIN had arrived: 8 was ignored
    f.c("R", 1102, 0, win=0)                      # 10 <SEQ=SEG.ACK of 9>
    return f


# --- class 3: RCV.NXT as the receiver's own ACKs show it ---------------------------------

@capture("synth-rst-rcv-nxt-evidence")
def rst_rcv_nxt_evidence():
    # Segment 6 never reaches the server (its duplicate ACK 8 says so); the client, which has lost
    # the connection, answers that ACK with <SEQ=SEG.ACK><CTL=RST>: exact for the RCV.NXT the
    # server's ACKs show, not for the one immediate delivery assumes.
    f = Flow(40061, 80)
    handshake(f)                                  # 1-3
    f.c("PA", 1001, 5001, n=100)                  # 4
    f.s("A", 5001, 1101)                          # 5
    f.c("PA", 1101, 5001, n=100)                  # 6 lost before the server
    f.c("PA", 1201, 5001, n=100)                  # 7
    f.s("A", 5001, 1101)                          # 8 duplicate ACK: 6 never arrived
    f.c("R", 1101, 0, win=0, dt=0.2)              # 9 <SEQ=SEG.ACK of 8>
    return f


# --- class 2: the RST SYN-SENT must send ---------------------------------------------------

@capture("synth-syn-sent-bad-ack")
def syn_sent_bad_ack():
    # RFC 5961 section 4's half-open case: the server still holds a stale connection on this
    # 4-tuple and answers the new SYN with a challenge ACK of that connection (SEQ 7000,
    # ACK 9999); the client in SYN-SENT must answer an unacceptable ACK with <SEQ=SEG.ACK><CTL=RST>
    # (RFC 9293 3.10.7.3), which resets the stale connection; the SYN's retransmission opens.
    f = Flow(40062, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("A", 7000, 9999)                          # 2 challenge ACK of the stale connection
    f.c("R", 9999, 0, win=0)                      # 3 the reset 3.10.7.3 requires
    f.c("S", 1000, 0, opts=MSS, dt=1.0)           # 4 SYN retransmitted
    f.s("SA", 5000, 1001, opts=MSS)               # 5
    f.c("A", 1001, 5001)                          # 6
    close(f, 1001, 5001)                          # 7-9
    return f


# --- class 4: a SYN-ACK that never arrived, and competing SYN-ACKs ------------------------

@capture("synth-synack-lost")
def synack_lost():
    # The server's SYN-ACKs are lost after the capture point: the client retransmits its SYN
    # twice (same ISS), each answered by a SYN-ACK retransmission; the third one arrives.
    f = Flow(40063, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("SA", 5000, 1001, opts=MSS)               # 2 lost
    f.c("S", 1000, 0, opts=MSS, dt=1.0)           # 3
    f.s("SA", 5000, 1001, opts=MSS)               # 4 lost
    f.c("S", 1000, 0, opts=MSS, dt=2.0)           # 5
    f.s("SA", 5000, 1001, opts=MSS)               # 6
    f.c("A", 1001, 5001)                          # 7
    close(f, 1001, 5001)                          # 8-10
    return f


@capture("synth-synack-competing")
def synack_competing():
    # Two SYN-ACKs with different ISNs answer each SYN (a middlebox racing the server).
    # Stream 0: the client acknowledges the second (ISN 5000). Stream 1: the first (ISN 7000).
    f = Flow(40064, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("SA", 7000, 1001, opts=MSS)               # 2 the middlebox
    f.s("SA", 5000, 1001, opts=MSS)               # 3 the server
    f.c("A", 1001, 5001)                          # 4 acknowledges ISN 5000
    close(f, 1001, 5001)                          # 5-7
    g = Flow(40065, 80, t0=f.t - _gen.BASE_TIME + 1)
    g.c("S", 2000, 0, opts=MSS, dt=0)             # 8
    g.s("SA", 7000, 2001, opts=MSS)               # 9 the server
    g.s("SA", 5000, 2001, opts=MSS)               # 10 the middlebox
    g.c("A", 2001, 7001)                          # 11 acknowledges ISN 7000
    close(g, 2001, 7001)                          # 12-14
    f.pkts += g.pkts
    return f


# --- class 5: the split handshake ----------------------------------------------------------

@capture("synth-split-handshake")
def split_handshake():
    # The server answers the SYN with a bare ACK, then sends its own SYN: SYN-SENT drops the ACK
    # (RFC 9293 3.10.7.3 fifth) and takes the SYN as a simultaneous open.
    f = Flow(40066, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("A", 5000, 1001)                          # 2 ACK without SYN
    f.s("S", 5000, 0, opts=MSS)                   # 3 the server's SYN
    f.c("SA", 1000, 5001, opts=MSS)               # 4 the client's SYN-ACK
    f.s("A", 5001, 1001)                          # 5
    f.c("PA", 1001, 5001, n=100)                  # 6
    f.s("A", 5001, 1101)                          # 7
    close(f, 1101, 5001)                          # 8-10
    return f


# --- class 6: inference must not contradict the sender --------------------------------------

@capture("synth-syn-rcvd-challenge")
def syn_rcvd_challenge():
    # A forged RST in the server's window but not at RCV.NXT: the server in SYN-RECEIVED sends a
    # challenge ACK (RFC 5961 3.2), which is no evidence that it received the handshake ACK.
    f = Flow(40067, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("SA", 5000, 1001, opts=MSS)               # 2
    f.c("R", 1500, 0, win=0)                      # 3 forged: in window, not exact
    f.s("A", 5001, 1001)                          # 4 challenge ACK
    f.c("A", 1001, 5001)                          # 5
    close(f, 1001, 5001)                          # 6-8
    return f


# --- class 7: an ACK outside SND.UNA..SND.NXT in SYN-RECEIVED --------------------------------

@capture("synth-syn-rcvd-bad-ack")
def syn_rcvd_bad_ack():
    # Stream 0: the ACK is old (=< ISS); stream 1: it acknowledges more than was sent. Either way
    # SYN-RECEIVED forms a reset <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.4 fifth).
    f = Flow(40068, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("SA", 5000, 1001, opts=MSS)               # 2
    f.c("A", 1001, 4000)                          # 3 old ACK
    f.s("R", 4000, 0, win=0)                      # 4 the reset 3.10.7.4 forms
    g = Flow(40069, 80, t0=f.t - _gen.BASE_TIME + 1)
    g.c("S", 2000, 0, opts=MSS, dt=0)             # 5
    g.s("SA", 6000, 2001, opts=MSS)               # 6
    g.c("A", 2001, 9000)                          # 7 ACK of data never sent
    g.s("R", 9000, 0, win=0)                      # 8 the reset 3.10.7.4 forms
    f.pkts += g.pkts
    return f


# --- class 8: RST in an active SYN-RECEIVED (the passive one: synth-rst-syn-rcvd) ------------

@capture("synth-rst-syn-rcvd-active")
def rst_syn_rcvd_active():
    # Simultaneous open (both SYN-SENT -> SYN-RECEIVED), then A aborts: B came from SYN-SENT, so
    # the RST closes it (RFC 9293 3.10.7.4 second: active OPEN -> CLOSED, passive -> LISTEN).
    f = Flow(40070, 40070)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("S", 5000, 0, opts=MSS)                   # 2 crossed
    f.c("R", 1001, 0, win=0)                      # 3
    return f


def main():
    _gen.main(CAPTURES)


if __name__ == "__main__":
    main()
