#!/usr/bin/python3
"""Write the "RST in every state" synthetic captures of tcpstate into test-captures/.

Issue 3: a RST arriving in every state, judged by RFC 9293 3.10.7 and RFC 5961 3.
scripts/gen-captures.py already writes the RST cases for ESTABLISHED (exact,
in window, out of window), SYN_SENT (refused, bad ACK), FIN_WAIT_2, TIME_WAIT
and SYN_RCVD (not exact); this script adds the remaining receiving states:
SYN_RCVD (exact), FIN_WAIT_1, CLOSING, LAST_ACK and CLOSE_WAIT.

Same conventions as scripts/gen-captures.py, whose Flow class and handshake()
are reused unchanged: deterministic (fixed timestamps, ISNs 1000 / 5000,
client 192.0.2.1, server 192.0.2.2, one client port per capture), Ethernet,
classic pcap, valid checksums, sequence numbers written out explicitly.

The expected annotation of every capture is in test-captures/<name>.expected,
worked out by hand from docs/model.md (test-captures/README.md, section
"RST in every state"); this script only writes the packets.

Usage: scripts/gen-rst-states.py [OUTDIR]   (default: test-captures/ of the repo)
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


# --- RST received in each state --------------------------------------------

@capture("synth-rst-syn-rcvd")
def rst_syn_rcvd():
    # the client answers the SYN-ACK with <SEQ=SEG.ACK><CTL=RST> (RFC 9293
    # 3.10.7.1 form): SEQ 1001 = the server's RCV.NXT, exact
    f = Flow(40050, 80)
    f.c("S", 1000, 0, opts=MSS, dt=0)             # 1
    f.s("SA", 5000, 1001, opts=MSS)               # 2
    f.c("R", 1001, 0, win=0)                      # 3 RST hits SYN_RCVD
    return f


@capture("synth-rst-fin-wait-1")
def rst_fin_wait_1():
    # the server aborts right after the client's FIN, with no ACK of it sent
    # before; its RST/ACK (Linux form) covers the FIN, so nothing crossed
    f = Flow(40051, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4 teardown 1/4
    f.s("RA", 5001, 1002, win=0, dt=0.01)         # 5 RST hits FIN_WAIT_1
    return f


@capture("synth-rst-closing")
def rst_closing():
    # simultaneous close (RFC 9293 3.6 figure 13), then a RST before the ACKs
    f = Flow(40052, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4
    f.s("FA", 5001, 1001, dt=0.0001)              # 5 crossed: both CLOSING
    f.s("RA", 5002, 1002, win=0, dt=0.01)         # 6 RST hits CLOSING
    return f


@capture("synth-rst-last-ack")
def rst_last_ack():
    # the client resets instead of sending the last ACK; RST/ACK covering
    # the server's FIN, so nothing crossed
    f = Flow(40053, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4 teardown 1/4
    f.s("FA", 5001, 1002)                         # 5 teardown 2+3/4
    f.c("RA", 1002, 5002, win=0, dt=0.01)         # 6 RST hits LAST_ACK
    return f


@capture("synth-rst-close-wait")
def rst_close_wait():
    # the client half-closes, then aborts (RFC 9293 3.10.5 FIN-WAIT-2 ABORT:
    # <SEQ=SND.NXT><CTL=RST>)
    f = Flow(40054, 80)
    handshake(f)                                  # 1-3
    f.c("FA", 1001, 5001, dt=0.5)                 # 4 teardown 1/4
    f.s("A", 5001, 1002)                          # 5 teardown 2/4
    f.c("R", 1002, 0, win=0, dt=0.2)              # 6 RST hits CLOSE_WAIT
    return f


def main():
    _gen.main(CAPTURES)


if __name__ == "__main__":
    main()
