#!/usr/bin/env bash
# Records real WebSocket traffic over TLS and over keep-alive HTTP/1.1 connections on loopback into
# test-captures/wss/ (issue 16), captured with dumpcap. TLS sessions write their key log (the
# SSLKEYLOGFILE format, python's ssl keylog_filename) beside the capture: X.pcap and X.keys.
#
#   wss-client-close.pcap (+ .keys)   TLS 1.3, port 443: python3-websockets client and server; echo of
#                                     one text message; the client starts the close handshake (1000)
#   wss-server-close.pcap (+ .keys)   TLS 1.2, port 8443: python3-websockets; the server sends a
#                                     message, the client answers, the server starts the close
#                                     handshake (1001)
#   ws-keepalive-second.pcap          plain HTTP, port 8080: our own small client and server (below);
#                                     GET /index.html answered 200 with a body, then the upgrade on the
#                                     second request of the same connection; echo; client closes (1000)
#   ws-rejected-then-accepted.pcap    plain HTTP, port 8081: an upgrade without credentials refused with
#                                     401 (a body, the connection kept), then the same request with an
#                                     Authorization field accepted; echo; server closes (1001)
#   wss-rejected-then-accepted.pcap (+ .keys)
#                                     the same exchange inside TLS 1.3, port 8444
#
# Needs root (capture on lo), openssl (a throw-away self-signed certificate, not kept) and
# python3-websockets (scripts/setup --captures). Usage: scripts/record-wss.sh [OUTDIR]
# The recordings are not byte-for-byte repeatable (ports, ISNs, times, keys):
# test-captures/wss/README.md describes the committed ones; re-recording means re-checking it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/test-captures/wss}
py=/usr/bin/python3

[ "$(id -u)" = 0 ] || { echo "record-wss.sh: needs root to capture on lo" >&2; exit 1; }
command -v dumpcap >/dev/null || { echo "record-wss.sh: dumpcap missing (scripts/setup)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "record-wss.sh: openssl missing (scripts/setup --captures)" >&2; exit 1; }
"$py" -c 'import websockets' 2>/dev/null || { echo "record-wss.sh: python3-websockets missing (scripts/setup --captures)" >&2; exit 1; }
mkdir -p "$out"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null

# One exchange: run_pair MODE PORT TLS KEYLOG (TLS: "1.3", "1.2" or "off"; KEYLOG: file or "").
run_pair() {
  "$py" - "$@" "$tmp/cert.pem" "$tmp/key.pem" <<'PY'
import asyncio, base64, hashlib, os, ssl, struct, sys

mode, port, tls, keylog, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

def contexts():
    if tls == "off":
        return None, None
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    version = ssl.TLSVersion.TLSv1_3 if tls == "1.3" else ssl.TLSVersion.TLSv1_2
    client.minimum_version = client.maximum_version = version
    if keylog:
        client.keylog_filename = keylog   # the client writes the session secrets (SSLKEYLOGFILE)
    return server, client

SERVER_CTX, CLIENT_CTX = contexts()

# ---- python3-websockets on both sides -------------------------------------------------------------
async def library_pair():
    import websockets
    scheme = "wss" if CLIENT_CTX else "ws"

    async def handler(ws, path=None):
        if mode == "lib-server-close":
            await ws.send("hello from the server")
            await ws.recv()
            await ws.close(1001, "going away")   # the server starts the close handshake
            return
        async for msg in ws:                      # echo until the client's Close
            await ws.send(msg)

    async with websockets.serve(handler, "127.0.0.1", port, ssl=SERVER_CTX, compression=None, ping_interval=None):
        async with websockets.connect(f"{scheme}://127.0.0.1:{port}/echo", ssl=CLIENT_CTX,
                                      compression=None, ping_interval=None) as ws:
            if mode == "lib-server-close":
                await ws.recv()
                await ws.send("hello from the client")
                try:
                    await ws.recv()
                except websockets.ConnectionClosedOK:
                    pass
                await ws.wait_closed()
            else:
                await ws.send("hello")
                await ws.recv()
                await ws.close(1000, "bye")
        await asyncio.sleep(0.2)

# ---- our own small HTTP/1.1 + WebSocket client and server (RFC 9112, RFC 6455) -------------------
def frame(opcode, payload, mask=None):
    head = bytes([0x80 | opcode])
    n = len(payload)
    m = 0x80 if mask else 0
    head += bytes([m | n]) if n < 126 else bytes([m | 126]) + struct.pack("!H", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload

async def read_frame(reader):
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    mask = await reader.readexactly(4) if b1 & 0x80 else None
    data = await reader.readexactly(n)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return b0 & 0x0F, data

async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    fields = {}
    for line in lines[1:]:
        if line:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip()
    return lines[0], fields

async def serve(reader, writer):
    while True:
        start, fields = await read_head(reader)
        method, target, _ = start.split(" ")
        if fields.get("upgrade", "").lower() != "websocket":
            body = b"<p>hello</p>\n"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            continue
        if mode == "reject-accept" and "authorization" not in fields:
            body = b"credentials needed\n"
            writer.write(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"ws\"\r\n"
                         b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            continue
        accept = base64.b64encode(hashlib.sha1(fields["sec-websocket-key"].encode() + GUID).digest())
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        await writer.drain()
        break
    while True:  # echo; answer a Close with a Close, then close TCP first (RFC 6455 7.1.1)
        opcode, data = await read_frame(reader)
        if opcode == 8:
            writer.write(frame(8, data))
            break
        writer.write(frame(opcode, data))
        if mode == "reject-accept":  # the server ends this session itself: Close 1001
            await writer.drain()
            writer.write(frame(8, struct.pack("!H", 1001) + b"going away"))
            await writer.drain()
            opcode, data = await read_frame(reader)
            break
    await writer.drain()
    writer.close()
    await writer.wait_closed()

def upgrade_request(extra=b""):
    key = base64.b64encode(os.urandom(16))
    return (b"GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n" + extra + b"\r\n")

async def client():
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=CLIENT_CTX,
                                                   server_hostname="localhost" if CLIENT_CTX else None)
    async def answer():
        status, fields = await read_head(reader)
        await reader.readexactly(int(fields.get("content-length", "0")))
        return status
    if mode == "keepalive":
        writer.write(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert " 200 " in await answer()
        writer.write(upgrade_request())
    else:
        writer.write(upgrade_request())
        assert " 401 " in await answer()
        writer.write(upgrade_request(b"Authorization: Basic dXNlcjpwYXNz\r\n"))
    assert " 101 " in await answer()
    mask = os.urandom(4)
    writer.write(frame(1, b"hello", mask))
    assert await read_frame(reader) == (1, b"hello")
    if mode == "keepalive":
        writer.write(frame(8, struct.pack("!H", 1000) + b"bye", mask))
        opcode, _ = await read_frame(reader)
    else:
        opcode, data = await read_frame(reader)        # the server's Close 1001
        writer.write(frame(8, data[:2], mask))         # echoes its status (RFC 6455 5.5.1)
    assert opcode == 8
    await writer.drain()
    await reader.read()                                # wait for the server's FIN
    writer.close()
    try:
        await writer.wait_closed()
    except (ssl.SSLError, ConnectionError):
        pass

async def own_pair():
    server = await asyncio.start_server(serve, "127.0.0.1", port, ssl=SERVER_CTX)
    async with server:
        await client()
        await asyncio.sleep(0.2)

asyncio.run(library_pair() if mode.startswith("lib-") else own_pair())
PY
}

record() {  # FILE PORT MODE TLS
  local file=$out/$1 port=$2 keys="" log
  [ "$4" = off ] || keys=$out/${1%.pcap}.keys
  log=$(mktemp)
  rm -f "$file" ${keys:+"$keys"}
  # -P: libpcap format (this dumpcap's spelling of "-F pcap").
  dumpcap -i lo -f "tcp port $port" -w "$file" -P 2>"$log" &
  local dpid=$!
  for _ in $(seq 100); do grep -q "Capturing on" "$log" && break; sleep 0.1; done
  if ! kill -0 "$dpid" 2>/dev/null; then cat "$log" >&2; exit 1; fi
  sleep 0.3
  run_pair "$3" "$port" "$4" "$keys"
  sleep 0.5
  kill -INT "$dpid"
  wait "$dpid" || true
  rm -f "$log"
  chmod 644 "$file" ${keys:+"$keys"}
  echo "wrote $file${keys:+ and $keys}"
}

record wss-client-close.pcap 443 lib-client-close 1.3
record wss-server-close.pcap 8443 lib-server-close 1.2
record ws-keepalive-second.pcap 8080 keepalive off
record ws-rejected-then-accepted.pcap 8081 reject-accept off
record wss-rejected-then-accepted.pcap 8444 reject-accept 1.3
