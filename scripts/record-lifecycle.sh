#!/bin/bash
# Record the real Linux captures of test-captures/lifecycle/ (run as root, once; the captures are
# committed, this script documents how they were made). Each runs in a private network namespace
# (loopback only, so nothing on this machine sees it), with Python sockets on both ends:
#
#   real-close-wait-leak.pcap      the client closes, the server's application holds its socket
#                                  for 3 s (CLOSE_WAIT; the client FIN_WAIT_2), then closes
#   real-fin-wait-2.pcap           the mirror: the server closes, the client holds 3 s
#   real-close-wait-open.pcap      as the leak, but the capture ends while the server still holds
#                                  its socket; a second connection sends a heartbeat every 0.5 s
#                                  meanwhile (the capture's other traffic)
#   real-fin-wait-2-open.pcap      the mirror of that
#   real-syn-unanswered.pcap       nftables drops the SYNs at the server: the client sends its SYN
#                                  at 0, 1, 2 and 3 s (Linux 6.x retransmits the first
#                                  tcp_syn_linear_timeouts = 4 SYNs a second apart) and gives up
#   real-time-wait-pile.pcap       10 short connections, each closed first by the client: 10 client
#                                  TIME_WAITs
#   real-time-wait-reuse.pcap      one client port only (ip_local_port_range 40000 40000) and
#                                  tcp_tw_reuse=1: the second connection, 1.5 s after the first,
#                                  reuses the 4-tuple its predecessor holds in TIME_WAIT
#
# Each capture is dumpcap -i lo -P (classic pcap, microsecond times) inside the namespace. Captures
# whose segmentation depends on timing are checked with tshark and recorded again (up to 10 tries).
#
# Usage: scripts/record-lifecycle.sh [OUTDIR] [NAME...]   (default: test-captures/lifecycle/, all)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../test-captures/lifecycle}
shift || true
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
ns=tcpstate-lifecycle-$$
cleanup() {
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "must run as root (network namespace, dumpcap)" >&2; exit 1; }
for t in dumpcap tshark nft ip /usr/bin/python3; do
    command -v "$t" >/dev/null || { echo "missing $t (scripts/setup --captures installs nftables)" >&2; exit 1; }
done

cat >"$work/scenario.py" <<'EOF'
#!/usr/bin/python3
# One scenario, both ends in this process (threads), on 127.0.0.1 in the namespace. Prints nothing.
import socket, sys, threading, time

name, ready = sys.argv[1], sys.argv[2]
PORT, BEAT_PORT = 18090, 18091


def listener(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    return ls


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            break
        got += d
    return got


def wait_eof(s):
    while s.recv(65536):
        pass


kept = []  # sockets that must stay open until the process is killed (after the capture stopped)


def heartbeat(ls, stop):
    # The capture's other traffic: "beat" every 0.5 s, echoed; the connection stays open.
    c = socket.create_connection(("127.0.0.1", BEAT_PORT))
    a, _ = ls.accept()
    kept.extend([c, a])
    while not stop.is_set():
        c.sendall(b"beat")
        a.sendall(recv_exact(a, 4))
        recv_exact(c, 4)
        stop.wait(0.5)


def exchange(client_holds, hold, beat_for=0.0):
    """ping/pong, then one end closes and the other holds its socket `hold` seconds."""
    ls = listener(PORT)
    bl = listener(BEAT_PORT) if beat_for else None
    open(ready, "w").close()
    time.sleep(0.2)
    c = socket.create_connection(("127.0.0.1", PORT))
    a, _ = ls.accept()
    c.sendall(b"ping")
    recv_exact(a, 4)
    a.sendall(b"pong")
    recv_exact(c, 4)
    time.sleep(0.1)
    closer, holder = (a, c) if client_holds else (c, a)
    closer.close()               # FIN; the peer's stack ACKs it
    wait_eof(holder)             # the holder's application sees EOF ...
    if beat_for:
        stop = threading.Event()
        t = threading.Thread(target=heartbeat, args=(bl, stop))
        t.start()
        time.sleep(beat_for)
        stop.set()
        t.join()
        time.sleep(hold)         # ... and the capture stops (outside) while it holds
    else:
        time.sleep(hold)         # ... and holds the socket before closing it
        holder.close()
        time.sleep(0.3)


def syn_unanswered():
    open(ready, "w").close()
    time.sleep(0.2)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3.5)            # SYNs at 0, 1, 2, 3 s (RTO 1 s, linear for the first retries)
    try:
        s.connect(("127.0.0.1", PORT))
    except OSError:
        pass
    s.close()


def short_connections(n, gap):
    ls = listener(PORT)
    open(ready, "w").close()
    time.sleep(0.2)
    for i in range(n):
        c = socket.create_connection(("127.0.0.1", PORT))
        a, _ = ls.accept()
        c.sendall(b"ping")
        recv_exact(a, 4)
        a.sendall(b"pong")
        recv_exact(c, 4)
        c.close()                # the client closes first: it will hold TIME_WAIT
        wait_eof(a)
        time.sleep(0.1)          # the server's ACK of the FIN goes out alone, then its FIN
        a.close()
        time.sleep(gap)


if name == "close-wait-leak":
    exchange(client_holds=False, hold=3.0)
elif name == "fin-wait-2":
    exchange(client_holds=True, hold=3.0)
elif name == "close-wait-open":
    exchange(client_holds=False, hold=30.0, beat_for=2.8)
elif name == "fin-wait-2-open":
    exchange(client_holds=True, hold=30.0, beat_for=2.8)
elif name == "syn-unanswered":
    syn_unanswered()
elif name == "time-wait-pile":
    short_connections(10, 0.2)
elif name == "time-wait-reuse":
    short_connections(2, 1.5)
else:
    sys.exit("unknown scenario " + name)
EOF

setup_ns() {  # $1: scenario
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    case "$1" in
      syn-unanswered)
        ip netns exec "$ns" nft -f - <<'NFT'
table inet tcpstate {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 18090 tcp flags & (syn | ack) == syn drop
    }
}
NFT
        ;;
      time-wait-reuse)
        ip netns exec "$ns" sysctl -q -w net.ipv4.ip_local_port_range="40000 40000" net.ipv4.tcp_tw_reuse=1
        ;;
    esac
}

record() {  # $1: scenario, $2: file
    local name=$1 file=$2
    setup_ns "$name"
    rm -f "$file" "$work/ready"
    ip netns exec "$ns" dumpcap -q -i lo -f tcp -w "$file" -P >"$work/dumpcap.log" 2>&1 &
    local dumpcap_pid=$!
    for _ in $(seq 50); do [ -s "$file" ] && break; sleep 0.1; done
    sleep 0.5
    ip netns exec "$ns" /usr/bin/python3 "$work/scenario.py" "$name" "$work/ready" &
    local py=$!
    case "$name" in
      *-open) sleep 3.6 ;;  # the heartbeat is over, the socket still held: the capture ends here
      *) wait "$py" 2>/dev/null || true; sleep 0.3 ;;
    esac
    kill -INT "$dumpcap_pid"
    wait "$dumpcap_pid" || true
    kill "$py" 2>/dev/null || true
    wait "$py" 2>/dev/null || true
    ip netns del "$ns"
    chmod 644 "$file"
}

# The shape each capture must have (tcp.flags.str per segment, by port).
shape() { tshark -r "$1" -T fields -e tcp.srcport -e tcp.dstport -e tcp.flags.str -e tcp.len 2>/dev/null; }
check() {  # $1: scenario, $2: file
    case "$1" in
      close-wait-leak|close-wait-open)
        # client FIN, then a pure ACK from the server, and (leak) the server's FIN about 3 s later
        shape "$2" | awk '$1 != 18090 && $2 == 18090 && $3 ~ /F/ {f=1; next}
                          f && $1 == 18090 && $3 !~ /F/ && $4 == 0 {a=1; f=0; next}
                          END {exit !a}' ;;
      fin-wait-2|fin-wait-2-open)
        shape "$2" | awk '$1 == 18090 && $3 ~ /F/ {f=1; next}
                          f && $2 == 18090 && $3 !~ /F/ && $4 == 0 {a=1; f=0; next}
                          END {exit !a}' ;;
      syn-unanswered) [ "$(shape "$2" | grep -c 'S')" -ge 3 ] ;;
      time-wait-pile|time-wait-reuse)
        # each connection: the server's ACK of the client's FIN alone, then the server's FIN
        local n; n=$( [ "$1" = time-wait-pile ] && echo 10 || echo 2 )
        [ "$(shape "$2" | awk '$1 == 18090 && $3 ~ /F/' | wc -l)" = "$n" ] &&
          [ "$(shape "$2" | awk '$3 ~ /S/ && $3 !~ /A/' | wc -l)" = "$n" ] ;;
    esac
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(close-wait-leak fin-wait-2 close-wait-open fin-wait-2-open syn-unanswered
                                 time-wait-pile time-wait-reuse)
for name in "${names[@]}"; do
    f=$out/real-$name.pcap
    ok=
    for i in $(seq 10); do
        record "$name" "$f"
        if check "$name" "$f"; then ok=1; break; fi
        echo "$name: attempt $i did not show the intended shape, again" >&2
    done
    [ -n "$ok" ] || { echo "$name: gave up" >&2; exit 1; }
    echo "== $name: $(tshark -r "$f" 2>/dev/null | wc -l) frames"
    tshark -r "$f" 2>/dev/null
done
