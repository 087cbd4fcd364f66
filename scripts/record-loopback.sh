#!/bin/bash
# Record the real Linux loopback captures of test-captures/ (run as root, once;
# the captures are committed, this script documents how they were made).
#
#   real-client-close.pcap    curl (HTTP/1.1) closes first; the server sleeps
#                             0.3 s after EOF, so its ACK of the client FIN
#                             (teardown 2/4) and its own FIN (3/4) are separate
#   real-server-close.pcap    HTTP/1.0 response, the server closes first
#   real-fin-ack-merged.pcap  the server closes at once on EOF: its ACK of the
#                             client FIN rides on its FIN (teardown 2+3/4)
#   real-reset.pcap           the server aborts (SO_LINGER {1,0}) -> RST
#   real-refused.pcap         connect to a closed port -> RST/ACK
#
# Each capture is one connection: dumpcap -i lo -f 'tcp port N' -P (classic pcap).
# Captures with timing-dependent segmentation are checked with tshark and
# recorded again (up to 10 tries) until they show the intended teardown.
#
# Usage: scripts/record-loopback.sh [OUTDIR]   (default: test-captures/)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../test-captures}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ "$(id -u)" = 0 ] || { echo "must run as root (dumpcap on lo)" >&2; exit 1; }
for t in dumpcap tshark curl /usr/bin/python3; do
    command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }
done

cat >"$work/server.py" <<'EOF'
#!/usr/bin/python3
# One-connection TCP server on 127.0.0.1:PORT; MODE says how it ends.
import socket, struct, sys, time

mode, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
open(ready, "w").close()
c, _ = ls.accept()
ls.close()
req = b""
while b"\r\n\r\n" not in req:
    d = c.recv(65536)
    if not d:
        break
    req += d
body = b"hello from tcpstate\n"
if mode == "reset":
    # abortive close: RST instead of FIN (RFC 9293 3.10.5 ABORT)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
elif mode == "server-close":
    # no Content-Length: the body ends with the server's FIN, so curl cannot
    # close first
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
              b"Connection: close\r\n\r\n" + body)
    c.close()
else:
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    while c.recv(65536):
        pass                      # wait for the client's FIN (EOF)
    if mode == "client-close":
        time.sleep(0.3)           # teardown 2/4 (delayed ACK) goes out first
    c.close()
EOF

dumpcap_pid=
start_capture() {   # FILE PORT
    rm -f "$1"
    dumpcap -q -i lo -f "tcp port $2" -w "$1" -P >"$work/dumpcap.log" 2>&1 &
    dumpcap_pid=$!
    for _ in $(seq 50); do            # wait until dumpcap writes the file header
        [ -s "$1" ] && break
        sleep 0.1
    done
    sleep 0.5
}
stop_capture() {
    sleep 0.5
    kill -INT "$dumpcap_pid"
    wait "$dumpcap_pid" || true
    dumpcap_pid=
}

run_http() {        # MODE PORT FILE [curl options]
    local mode=$1 port=$2 file=$3
    shift 3
    rm -f "$work/ready"
    start_capture "$file" "$port"
    /usr/bin/python3 "$work/server.py" "$mode" "$port" "$work/ready" &
    local spid=$!
    for _ in $(seq 50); do [ -e "$work/ready" ] && break; sleep 0.1; done
    curl -s -o /dev/null "$@" "http://127.0.0.1:$port/" || true
    wait "$spid" || true
    stop_capture
}

# tshark one-liners used to check the teardown shape
flags() { tshark -r "$1" -T fields -e tcp.srcport -e tcp.flags.str -e tcp.len 2>/dev/null; }

# client closes first; server's ACK of the FIN and its FIN are separate
try_client_close() {
    local f=$out/real-client-close.pcap p=18081
    run_http client-close $p "$f" --http1.1
    # after the client FIN: a pure ACK from the server, then the server FIN
    flags "$f" | awk -v p=$p '
        $1!=p && $2 ~ /F/ {cf=1; next}
        cf && $1==p && $2 !~ /F/ && $3==0 {sa=1; next}
        cf && sa && $1==p && $2 ~ /F/ {ok=1}
        END {exit !ok}'
}

# server closes first
try_server_close() {
    local f=$out/real-server-close.pcap p=18082
    run_http server-close $p "$f" --http1.0
    flags "$f" | awk -v p=$p '
        $2 ~ /F/ {if (!first) first=$1}
        END {exit !(first==p)}'
}

# passive closer's ACK merged into its FIN
try_merged() {
    local f=$out/real-fin-ack-merged.pcap p=18083
    run_http fin-ack-merged $p "$f" --http1.1
    # client FIN, and the next server segment is the FIN (no pure ACK between)
    flags "$f" | awk -v p=$p '
        $1!=p && $2 ~ /F/ {cf=1; next}
        cf && $1==p {ok=($2 ~ /F/ && $2 ~ /A/); exit}
        END {exit !ok}'
}

try_reset() {
    local f=$out/real-reset.pcap p=18084
    run_http reset $p "$f" --http1.1
    flags "$f" | awk -v p=$p '$1==p && $2 ~ /R/ {ok=1} END {exit !ok}'
}

try_refused() {
    local f=$out/real-refused.pcap p=18085
    start_capture "$f" $p
    curl -s -o /dev/null "http://127.0.0.1:$p/" || true
    stop_capture
    flags "$f" | awk -v p=$p '$1==p && $2 ~ /R/ {ok=1} END {exit !ok}'
}

for t in try_client_close try_server_close try_merged try_reset try_refused; do
    ok=
    for i in $(seq 10); do
        if $t; then ok=1; break; fi
        echo "$t: attempt $i did not show the intended teardown, again" >&2
        sleep 1
    done
    [ -n "$ok" ] || { echo "$t: gave up" >&2; exit 1; }
    echo "$t: ok"
done

for f in real-client-close real-server-close real-fin-ack-merged real-reset real-refused; do
    echo "== $f.pcap"
    tshark -r "$out/$f.pcap" 2>/dev/null
done
