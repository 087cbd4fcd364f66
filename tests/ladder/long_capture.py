#!/usr/bin/python3
"""Writes a classic pcap holding one long TCP connection (for tests/ladder/test_ladder.py):

    long_capture.py OUT.pcap [DATA_SEGMENTS]

Client 192.0.2.1:40100, server 192.0.2.2:80, ISNs 1000 and 5000 as in test-captures/README.md: the
three-way handshake, DATA_SEGMENTS (default 994) alternating 100-byte client data and the server's
pure ACK of it, then the four-way teardown started by the client: 3 + DATA_SEGMENTS + 4 segments,
1 ms apart. Standard library only; checksums are left zero (Wireshark does not check them by
default). Running it again writes the same bytes."""
import struct
import sys


def packet(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 994
    C, S = (192, 0, 2, 1), (192, 0, 2, 2)
    cp, sp = 40100, 80
    FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10
    pkts = [packet(C, S, cp, sp, 1000, 0, SYN), packet(S, C, sp, cp, 5000, 1001, SYN | ACK),
            packet(C, S, cp, sp, 1001, 5001, ACK)]
    cseq = 1001
    for k in range(n):
        if k % 2 == 0:
            pkts.append(packet(C, S, cp, sp, cseq, 5001, PSH | ACK, b"x" * 100))
            cseq += 100
        else:
            pkts.append(packet(S, C, sp, cp, 5001, cseq, ACK))
    pkts += [packet(C, S, cp, sp, cseq, 5001, FIN | ACK), packet(S, C, sp, cp, 5001, cseq + 1, ACK),
             packet(S, C, sp, cp, 5001, cseq + 1, FIN | ACK), packet(C, S, cp, sp, cseq + 1, 5002, ACK)]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        t = 1700000000 * 1000000
        for p in pkts:
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(p), len(p)) + p)
            t += 1000


if __name__ == "__main__":
    main()
