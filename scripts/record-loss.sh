#!/bin/bash
# Record the real Linux captures with loss and reordering of test-captures/ (run as root, once;
# the captures are committed, this script documents how they were made).
#
#   real-loss-reqresp.pcap     20 x (300-byte request, 3000-byte response) twice: the client
#                              closes first (port 5001), then the server (port 5002)
#   real-loss-bulk.pcap        300 000 bytes each way at once, each end sends its FIN when its own
#                              data is out (5003); 300 000 up then 300 000 down, the server closes
#                              first (5004)
#   real-loss-half-close.pcap  200 000 bytes up, client FIN (shutdown), 200 000 bytes down after
#                              that FIN, then the server's FIN (5005)
#   real-loss-short.pcap       30 short connections to port 5006 (client ports 42001..42030), in
#                              turn: 2 x request/response then the client closes, the same with
#                              the server closing, 300 bytes + client FIN then 3000 bytes after it;
#                              3 % loss at each hook, captured at the server (b0)
#   real-loss-short-2.pcap     a second recording of real-loss-short (same command, file renamed),
#                              kept for what its loss happened to hit (test-captures/README.md)
#   real-rst-after-close.pcap  the client reads 20 000 bytes and close()s while the server keeps
#                              sending 1000 bytes every 10 ms: server data sent before the client's
#                              FIN arrived crosses it and is answered <SEQ=SEG.ACK><CTL=RST> (5101)
#   real-rst-after-abort.pcap  the server aborts (SO_LINGER {1,0}) while the client sends 1000
#                              bytes every 10 ms: client data that crossed the abort RST reaches no
#                              socket and is answered <SEQ=SEG.ACK><CTL=RST> (5102)
#   real-rst-after-last-ack.pcap  a client data segment held 600 ms in the network reaches the
#                              server after its LAST_ACK -> CLOSED; it is answered by a RST (5103)
#
# Network: three namespaces, A (client 10.200.0.1, veth a0) - M - B (server 10.200.0.2, veth b0),
# a private test subnet inside the namespaces only; offloads off on every veth end (tso gso gro, and
# tx checksumming so the frames carry real checksums). This kernel has no sch_netem (tc netem
# delay fails with "Specified qdisc kind is unknown") and no nft queue, so the delay and the
# reordering are made by a delay line in M: a /usr/bin/python3 program that copies every frame
# between m0 and m1 (AF_PACKET) after a fixed one-way delay; with a probability it holds a TCP
# segment some ms longer so later frames overtake it (seeded, logged). It never drops, duplicates
# or rewrites. Loss is nftables in A and B, at both hooks: output (dropped before the wire, and for
# A before the capture point) and input (for A: captured, then dropped: the capture shows segments
# that never arrived). dumpcap captures on a0 or b0 (-s 128, classic pcap); the namespaces are
# removed afterwards. Traffic: small /usr/bin/python3 socket programs (below), fixed sizes and
# client ports. Loss is random: a loss capture is kept only if Wireshark's tcp.analysis finds
# retransmissions, duplicate ACKs, out-of-order segments and SACK blocks (else recorded again with
# the next seed, up to 8 tries); the shape captures are checked for their shape.
#
# Each capture gets NAME.record.txt beside it: seed, nftables drop counters, the segments the
# delay line held longer, and Wireshark's tcp.analysis counts.
#
# Usage: scripts/record-loss.sh [OUTDIR] [NAME...]   (default: test-captures/, every capture)
# Packages: iproute2, nftables, ethtool, wireshark-common (dumpcap), tshark (scripts/setup --captures).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../test-captures}
[ $# -gt 0 ] && shift
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
ns_a=tsl-a ns_m=tsl-m ns_b=tsl-b
A=10.200.0.1 B=10.200.0.2
py=/usr/bin/python3

[ "$(id -u)" = 0 ] || { echo "record-loss.sh: must run as root (namespaces, nft, dumpcap)" >&2; exit 1; }
for t in ip nft ethtool dumpcap tshark $py; do
    command -v "$t" >/dev/null || { echo "record-loss.sh: missing $t (scripts/setup --captures)" >&2; exit 1; }
done

cat >"$work/wire.py" <<'EOF'
#!/usr/bin/python3
# A delay line between two veth ends (m0 toward A, m1 toward B), run in the middle namespace.
# Copies every Ethernet frame from one end to the other after a fixed one-way delay; with
# probability REORDER a TCP segment is held EXTRA ms longer, so later frames overtake it; HOLD
# rules hold chosen TCP segments longer still. Never drops, never duplicates, never rewrites.
# This stands in for "tc netem delay ... reorder", which this kernel lacks (no sch_netem).
#   wire.py LOG DELAY_MS REORDER EXTRA_MS SEED [HOLD ...]
#   HOLD = DIR:PORT:KIND:N:MS  (DIR a2b|b2a; PORT the TCP port of B's side; KIND data|fin|any;
#          the N-th (1-based) matching segment in that direction is held MS ms more)
import heapq, random, select, signal, socket, struct, sys, time

log_path, delay, reorder, extra, seed = sys.argv[1], float(sys.argv[2]) / 1e3, \
    float(sys.argv[3]), float(sys.argv[4]) / 1e3, int(sys.argv[5])
holds = []
for h in sys.argv[6:]:
    d, port, kind, n, ms = h.split(":")
    holds.append([d, int(port), kind, int(n), float(ms) / 1e3, 0])
rng = random.Random(seed)
ETH_P_ALL, PACKET_OUTGOING = 3, 4
socks = {}
for name in ("m0", "m1"):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setblocking(False)
    socks[name] = s
peer = {"m0": ("m1", "a2b"), "m1": ("m0", "b2a")}
log = open(log_path, "w", buffering=1)
t0 = time.monotonic()
queue, order = [], 0
stop = False

def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

def tcp_info(f):
    """(sport, dport, seq, ack, flags, payload length) of an IPv4/TCP frame, else None."""
    if len(f) < 34 or f[12:14] != b"\x08\x00" or f[23] != 6:
        return None
    ihl = (f[14] & 15) * 4
    tot = struct.unpack("!H", f[16:18])[0]
    t = 14 + ihl
    sp, dp, seq, ack, off = struct.unpack("!HHIIB", f[t:t + 13])
    return sp, dp, seq, ack, f[t + 13], tot - ihl - (off >> 4) * 4

FL = "FSRPAU"
def flag_str(x):
    return "".join(c for i, c in enumerate(FL) if x & (1 << i)) or "."

while not stop:
    now = time.monotonic()
    while queue and queue[0][0] <= now:
        _, _, out, frame = heapq.heappop(queue)
        try:
            socks[out].send(frame)
        except OSError as e:
            log.write("%.6f send-error %s %s\n" % (now - t0, out, e))
    timeout = max(0.0, queue[0][0] - now) if queue else 0.5
    try:
        ready, _, _ = select.select(list(socks.values()), [], [], timeout)
    except InterruptedError:
        continue
    for s in ready:
        name = "m0" if s is socks["m0"] else "m1"
        out, d = peer[name]
        while True:
            try:
                frame, addr = s.recvfrom(65535)
            except BlockingIOError:
                break
            if addr[2] == PACKET_OUTGOING:
                continue
            now = time.monotonic()
            hold, why = delay, ""
            ti = tcp_info(frame)
            if ti:
                sp, dp, seq, ack, fl, ln = ti
                bport = dp if d == "a2b" else sp
                for h in holds:
                    if h[0] != d or h[1] != bport:
                        continue
                    if (h[2] == "data" and ln > 0) or (h[2] == "fin" and fl & 1) or h[2] == "any":
                        h[5] += 1
                        if h[5] == h[3]:
                            hold += h[4]
                            why = "hold+%g" % (h[4] * 1e3)
                if not why and reorder > 0 and rng.random() < reorder:
                    hold += extra
                    why = "reorder+%g" % (extra * 1e3)
                if why:   # wall-clock time, as in the capture (frame.time_epoch)
                    log.write("%.6f %s %s %d>%d seq=%d ack=%d %s len=%d\n" % (
                        time.time(), d, why, sp, dp, seq, ack, flag_str(fl), ln))
            order += 1
            heapq.heappush(queue, (now + hold, order, out, frame))
log.write("%.6f stop, %d frames\n" % (time.monotonic() - t0, order))
EOF

cat >"$work/peer.py" <<'EOF'
#!/usr/bin/python3
# Both ends of the recorded connections. Fixed sizes and fixed client ports, so every recording
# of a MODE exchanges the same bytes; only loss, timing and ISNs differ.
#   peer.py server MODE ADDR PORT READYFILE     (run in namespace B)
#   peer.py client MODE ADDR PORT CLIENTPORT    (run in namespace A)
import fcntl, socket, struct, sys, termios, threading, time

role, mode, addr, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
TIMEOUT = 30

def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(min(65536, n - len(buf)))
        if not d:
            raise EOFError("peer closed after %d of %d bytes" % (len(buf), n))
        buf += d
    return bytes(buf)

def recv_eof(s):
    n = 0
    while True:
        d = s.recv(65536)
        if not d:
            return n
        n += len(d)

def pattern(n, tag):
    return (tag * (n // len(tag) + 1))[:n]

ROUNDS, REQ, RESP = 20, 300, 3000       # request/response
SHORT = 2                               # request/response rounds of a short connection
BULK = 300_000                          # bulk, each way
HALF_C, HALF_S = 200_000, 200_000       # half-close: client data, then server data after its FIN

def server(c):
    if mode in ("rst-after-close", "abort"):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # one segment per send
    if mode in ("reqresp-cc", "reqresp-sc", "short-cc", "short-sc"):
        for i in range(ROUNDS if mode.startswith("reqresp") else SHORT):
            recv_exact(c, REQ)
            c.sendall(pattern(RESP, b"response %02d " % i))
        if mode.endswith("-cc"):
            recv_eof(c)                 # the client closes first
        c.close()
    elif mode == "bulk-both":
        # both ends send at once; each sends FIN when its own data is out
        t = threading.Thread(target=lambda: (c.sendall(pattern(BULK, b"S")), c.shutdown(socket.SHUT_WR)))
        t.start()
        recv_eof(c)
        t.join()
        c.close()
    elif mode == "bulk-sc":
        recv_exact(c, BULK)
        c.sendall(pattern(BULK, b"s"))
        c.close()                       # the server closes first
        # (the client's FIN arrives in FIN_WAIT_2 / is answered from TIME_WAIT by the kernel)
    elif mode in ("half-close", "short-half"):
        n = recv_eof(c)                 # up to the client's FIN
        assert n == (HALF_C if mode == "half-close" else REQ), n
        c.sendall(pattern(HALF_S if mode == "half-close" else RESP, b"after your FIN "))
        c.close()
    elif mode == "rst-after-close":
        recv_exact(c, 100)
        # 1000 bytes every 10 ms until the client's RST ends the connection
        try:
            for i in range(300):
                c.send(pattern(1000, b"%03d " % i))
                time.sleep(0.01)
        except OSError as e:
            print("server: %s" % e, file=sys.stderr)
        c.close()
    elif mode == "abort":
        c.sendall(pattern(500, b"greeting "))
        recv_exact(c, 10_000)
        # abortive close while the client is still sending (RFC 9293 3.10.5 ABORT)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    elif mode == "last-ack":
        n = recv_eof(c)
        assert n == 5000, n
        c.sendall(pattern(2000, b"reply "))
        c.close()                       # CLOSE_WAIT -> LAST_ACK -> CLOSED
    else:
        raise SystemExit("unknown mode " + mode)

def client(s):
    if mode in ("rst-after-close", "abort"):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if mode in ("reqresp-cc", "reqresp-sc", "short-cc", "short-sc"):
        for i in range(ROUNDS if mode.startswith("reqresp") else SHORT):
            s.sendall(pattern(REQ, b"request %02d " % i))
            recv_exact(s, RESP)
        if mode.endswith("-sc"):
            recv_eof(s)                 # the server closes first
        s.close()
    elif mode == "bulk-both":
        t = threading.Thread(target=lambda: (s.sendall(pattern(BULK, b"C")), s.shutdown(socket.SHUT_WR)))
        t.start()
        recv_eof(s)
        t.join()
        s.close()
    elif mode == "bulk-sc":
        s.sendall(pattern(BULK, b"c"))
        recv_exact(s, BULK)
        recv_eof(s)
        s.close()
    elif mode in ("half-close", "short-half"):
        s.sendall(pattern(HALF_C if mode == "half-close" else REQ, b"client data "))
        s.shutdown(socket.SHUT_WR)      # FIN; the server keeps sending (RFC 9293 3.6)
        n = recv_eof(s)
        assert n == (HALF_S if mode == "half-close" else RESP), n
        s.close()
    elif mode == "rst-after-close":
        s.sendall(pattern(100, b"start "))
        recv_exact(s, 20_000)
        # drain what has arrived, so that close() sends a FIN, not a RST (unread data)
        while True:
            n = struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0" * 4))[0]
            if not n:
                break
            s.recv(n)
        s.close()                       # FIN while the server's next chunks are in flight
        time.sleep(0.5)
    elif mode == "abort":
        recv_exact(s, 500)
        try:
            for i in range(300):
                s.send(pattern(1000, b"%03d " % i))
                time.sleep(0.01)
        except OSError as e:
            print("client: %s" % e, file=sys.stderr)
        s.close()
    elif mode == "last-ack":
        s.sendall(pattern(5000, b"last-ack "))
        s.shutdown(socket.SHUT_WR)
        recv_eof(s)
        s.close()                       # in TIME_WAIT now
    else:
        raise SystemExit("unknown mode " + mode)

if role == "server":
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    open(sys.argv[5], "w").close()
    ls.settimeout(TIMEOUT)
    c, _ = ls.accept()
    ls.close()                          # no listener afterwards: a late segment meets no socket
    c.settimeout(TIMEOUT)
    server(c)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[5])))
    s.settimeout(TIMEOUT)
    s.connect((addr, port))
    client(s)
EOF

pids=()
net_down() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
    for ns in $ns_a $ns_m $ns_b; do ip netns del $ns 2>/dev/null || true; done
}
trap 'net_down; rm -rf "$work"' EXIT

net_up() {   # PER_MILLE: drop probability (in 1/1000) at each of the four nft hooks
    local pm=$1 ns
    for ns in $ns_a $ns_m $ns_b; do
        ip netns add $ns
        ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n $ns link set lo up
    done
    ip link add a0 netns $ns_a type veth peer name m0 netns $ns_m
    ip link add b0 netns $ns_b type veth peer name m1 netns $ns_m
    ip -n $ns_a addr add $A/24 dev a0
    ip -n $ns_b addr add $B/24 dev b0
    for x in "$ns_a a0" "$ns_m m0" "$ns_m m1" "$ns_b b0"; do
        set -- $x
        ip netns exec $1 ethtool -K $2 tso off gso off gro off tx off >/dev/null
        ip -n $1 link set $2 up
    done
    ip -n $ns_m link set m0 promisc on
    ip -n $ns_m link set m1 promisc on
    [ "$pm" -gt 0 ] || return 0
    for ns in $ns_a $ns_b; do
        ip netns exec $ns nft -f - <<NFT
table inet loss {
    chain input  { type filter hook input priority 0; meta l4proto tcp numgen random mod 1000 < $pm counter drop; }
    chain output { type filter hook output priority 0; meta l4proto tcp numgen random mod 1000 < $pm counter drop; }
}
NFT
    done
}

nft_counts() {   # dropped packets per namespace and hook
    local ns
    for ns in $ns_a $ns_b; do
        ip netns exec $ns nft list table inet loss 2>/dev/null |
            awk -v ns=$ns '/chain/ {c=$2} /counter/ {for (i=1;i<=NF;i++) if ($i=="packets") printf "%s %s dropped %s\n", ns, c, $(i+1)}' || true
    done
}

# record NAME SIDE PER_MILLE DELAY_MS REORDER EXTRA_MS SEED "HOLDS" MODE:PORT:CLIENTPORT...
record() {
    local name=$1 side=$2 pm=$3 delay=$4 reorder=$5 extra=$6 seed=$7 holds=$8
    shift 8
    local file=$out/$name.pcap ns dev
    net_down
    net_up "$pm"
    ip netns exec $ns_m $py "$work/wire.py" "$work/$name.wire.log" "$delay" "$reorder" "$extra" "$seed" $holds &
    pids+=($!)
    if [ "$side" = a ]; then ns=$ns_a dev=a0; else ns=$ns_b dev=b0; fi
    rm -f "$file"
    ip netns exec $ns dumpcap -i $dev -f tcp -s 128 -P -w "$file" 2>"$work/dumpcap.log" &
    local dpid=$!
    for _ in $(seq 100); do grep -q "Capturing on" "$work/dumpcap.log" && break; sleep 0.1; done
    kill -0 $dpid 2>/dev/null || { cat "$work/dumpcap.log" >&2; exit 1; }
    sleep 0.3
    local c mode port cport spid
    for c in "$@"; do
        IFS=: read -r mode port cport <<<"$c"
        rm -f "$work/ready"
        ip netns exec $ns_b $py "$work/peer.py" server "$mode" $B "$port" "$work/ready" &
        spid=$!
        for _ in $(seq 100); do [ -e "$work/ready" ] && break; sleep 0.05; done
        ip netns exec $ns_a $py "$work/peer.py" client "$mode" $B "$port" "$cport" || echo "$name: client $mode failed" >&2
        wait $spid || echo "$name: server $mode failed" >&2
        sleep 0.5                     # the kernels finish the close (FIN retransmissions, ...)
    done
    sleep 1
    kill -INT $dpid
    wait $dpid || true
    chmod 644 "$file"
    nft_counts >"$work/$name.nft"
    net_down
}

count() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }

# the loss evidence: Wireshark's own analysis flags
loss_summary() {
    local f=$1 x
    for x in tcp.analysis.retransmission tcp.analysis.fast_retransmission \
             tcp.analysis.spurious_retransmission tcp.analysis.out_of_order \
             tcp.analysis.duplicate_ack tcp.analysis.lost_segment tcp.analysis.ack_lost_segment \
             tcp.options.sack_le tcp.flags.syn==1 tcp.flags.fin==1 tcp.flags.reset==1; do
        printf '  %-40s %s\n' "$x" "$(count "$f" "$x")"
    done
}
check_loss() {
    local f=$1
    [ "$(count "$f" tcp.analysis.retransmission)" -gt 0 ] &&
    [ "$(count "$f" tcp.analysis.duplicate_ack)" -gt 0 ] &&
    [ "$(count "$f" tcp.analysis.out_of_order)" -gt 0 ] &&
    [ "$(count "$f" tcp.options.sack_le)" -gt 0 ] &&
    awk '{n++; if ($4 == 0) z=1} END {exit !(n == 4 && !z)}' "$work/$(basename "$f" .pcap).nft"
}

fields() { tshark -r "$1" -T fields -e tcp.srcport -e tcp.flags.str -e tcp.seq_raw -e tcp.ack_raw -e tcp.len 2>/dev/null; }

# client FIN, then server data acking exactly the FIN's SEQ, then a client RST with that SEQ
check_rst_after_close() {
    fields "$1" | awk '
        $1 != 5101 && $2 ~ /F/ {fin = $3; next}
        fin != "" && $1 == 5101 && $5 > 0 && $4 == fin {crossed = 1; next}
        crossed && $1 != 5101 && $2 ~ /R/ && $3 == fin {ok = 1}
        END {exit !ok}'
}
# the server's abort RST, then at least one more server RST (answering client data)
check_rst_after_abort() {
    fields "$1" | awk '$1 == 5102 && $2 ~ /R/ {n++} END {exit !(n >= 2)}'
}
# server FIN acked by the client, then a RST from the server
check_rst_after_last_ack() {
    fields "$1" | awk '
        $1 == 5103 && $2 ~ /F/ {sfin = $3; next}
        sfin != "" && $1 != 5103 && $4 == sfin + 1 {acked = 1; next}
        acked && $1 == 5103 && $2 ~ /R/ {ok = 1}
        END {exit !ok}'
}

try() {   # NAME CHECK record-arguments...
    local name=$1 check=$2 i seed
    shift 2
    for i in $(seq 8); do
        seed=$((i * 7919))
        record "$name" "${1}" "${2}" "${3}" "${4}" "${5}" "$seed" "${6}" "${@:7}"
        if $check "$out/$name.pcap"; then
            {
                echo "== $name.pcap (seed $seed, try $i): $(count "$out/$name.pcap" tcp) segments, $(stat -c %s "$out/$name.pcap") bytes"
                echo "nftables drops:"
                sed 's/^/  /' "$work/$name.nft"
                echo "segments the delay line held longer (wall-clock time when it reached the delay line, direction, why, TCP header):"
                grep -E 'reorder|hold' "$work/$name.wire.log" | sed 's/^/  /' || true
                echo "Wireshark tcp.analysis (frames):"
                loss_summary "$out/$name.pcap"
            } | tee "$out/$name.record.txt"
            return 0
        fi
        echo "$name: try $i did not show what it must, again" >&2
    done
    echo "$name: gave up" >&2
    exit 1
}

short_conns() {   # 30 short connections to port 5006, client ports 42001..42030, 3 kinds in turn
    local i kinds=(short-cc short-sc short-half)
    for i in $(seq 30); do echo "${kinds[$(((i - 1) % 3))]}:5006:$((42000 + i))"; done
}
want() { [ ${#names[@]} -eq 0 ] && return 0; local n; for n in "${names[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }
names=("$@")
#               name                      check                    side per-mille delay reorder extra holds  connections
want real-loss-reqresp && \
try real-loss-reqresp      check_loss               a 20 5 0.02 3 "" reqresp-cc:5001:41001 reqresp-sc:5002:41002
want real-loss-bulk && \
try real-loss-bulk         check_loss               a 20 5 0.02 3 "" bulk-both:5003:41003 bulk-sc:5004:41004
want real-loss-half-close && \
try real-loss-half-close   check_loss               a 20 5 0.02 3 "" half-close:5005:41005
want real-loss-short && \
try real-loss-short        check_loss               b 30 5 0.02 3 "" $(short_conns)
want real-rst-after-close && \
try real-rst-after-close   check_rst_after_close    a 0 25 0 0 "" rst-after-close:5101:41101
want real-rst-after-abort && \
try real-rst-after-abort   check_rst_after_abort    a 0 25 0 0 "" abort:5102:41102
want real-rst-after-last-ack && \
try real-rst-after-last-ack check_rst_after_last_ack b 0 25 0 0 "a2b:5103:data:2:600" last-ack:5103:41103
exit 0
