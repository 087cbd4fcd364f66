#!/usr/bin/env bash
# Records real WebSocket traffic on loopback into test-captures/ws/ (issue 4): a real client and a
# real server (Debian's python3-websockets, run by /usr/bin/python3), captured with dumpcap.
#
#   ws-real-8080.pcap          port 8080: text + 300-byte + 70000-byte messages echoed, the client
#                              starts the close handshake (1000), the server closes TCP first
#                              (permessage-deflate on, as the library defaults)
#   ws-real-45123.pcap         port 45123: the same exchange, compression off
#   ws-real-server-close.pcap  port 45124: the server starts the close handshake (1001) and
#                              closes TCP first (RFC 6455 7.1.1)
#
# Needs root (capture on lo). Usage: scripts/record-ws.sh [OUTDIR]
# The recordings are not byte-for-byte repeatable (ports, ISNs, times): test-captures/ws/README.md
# describes the committed ones; re-recording means re-checking that README.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/test-captures/ws}
py=/usr/bin/python3

[ "$(id -u)" = 0 ] || { echo "record-ws.sh: needs root to capture on lo" >&2; exit 1; }
command -v dumpcap >/dev/null || { echo "record-ws.sh: dumpcap missing (apt-get install -y wireshark-common)" >&2; exit 1; }
if ! "$py" -c 'import websockets' 2>/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3-websockets >/dev/null
fi
mkdir -p "$out"

# One exchange: MODE is "client-close" or "server-close".
run_pair() {
    "$py" - "$1" "$2" "$3" <<'PY'
import asyncio, sys
import websockets

mode, port, compression = sys.argv[1], int(sys.argv[2]), sys.argv[3]
comp = None if compression == "off" else "deflate"

async def handler(ws, path=None):
    if mode == "server-close":
        await ws.send("hello from the server")
        await ws.recv()
        await ws.close(1001, "going away")   # server starts the close handshake, then closes TCP
        return
    async for msg in ws:                      # echo until the client's Close
        await ws.send(msg)

async def main():
    async with websockets.serve(handler, "127.0.0.1", port, compression=comp, ping_interval=None):
        uri = f"ws://127.0.0.1:{port}/echo"
        async with websockets.connect(uri, compression=comp, ping_interval=None) as ws:
            if mode == "server-close":
                await ws.recv()
                await ws.send("hello from the client")
                try:
                    await ws.recv()
                except websockets.ConnectionClosedOK:
                    pass
                await ws.wait_closed()
            else:
                for msg in ["hello", bytes(300), b"\x01" * 70000]:
                    await ws.send(msg)
                    await ws.recv()
                await ws.close(1000, "bye")   # waits for the server to close TCP (RFC 6455 7.1.1)
        await asyncio.sleep(0.2)

asyncio.run(main())
PY
}

record() {  # FILE PORT MODE COMPRESSION
    local file=$out/$1 port=$2 log
    log=$(mktemp)
    rm -f "$file"
    # -P: libpcap format (this dumpcap's spelling of "-F pcap").
    dumpcap -i lo -f "tcp port $port" -w "$file" -P 2>"$log" &
    local dpid=$!
    for _ in $(seq 100); do grep -q "Capturing on" "$log" && break; sleep 0.1; done
    if ! kill -0 "$dpid" 2>/dev/null; then cat "$log" >&2; exit 1; fi
    sleep 0.3
    run_pair "$3" "$port" "$4"
    sleep 0.5
    kill -INT "$dpid"
    wait "$dpid" || true
    rm -f "$log"
    chmod 644 "$file"
    echo "wrote $file"
}

record ws-real-8080.pcap 8080 client-close on
record ws-real-45123.pcap 45123 client-close off
record ws-real-server-close.pcap 45124 server-close off
