// make_bench_capture: writes a large, realistic, deterministic pcap for the tcpstate benchmarks.
//
//   make_bench_capture [--seed N] [--segments N] --out FILE
//
// Connections (the share is of connections, not of segments):
//   59%  HTTP/1.1 exchanges: handshake, 1-4 requests and responses (keep-alive), a four-way close
//        (client first, server first, or FIN-ACK merged); some SYN retransmissions and some
//        retransmitted response segments (RTO-style duplicates).
//    1%  bulk transfers: HTTP downloads (Content-Length, 50 KB - 1 MB) or raw uploads to port 5201,
//        ACK every second segment, segments lost before the capture point then retransmitted.
//    5%  WebSocket sessions: HTTP Upgrade with a correct Sec-WebSocket-Accept, 2-8 messages (client
//        frames masked), a Close each way, the server closes TCP first.
//   10%  resets: refused (SYN, RST-ACK), client abort after a response, server RST mid-response.
//   10%  half-open attempts: SYN only (with 0-2 retransmissions), SYN + SYN-ACK (the SYN-ACK
//        retransmitted 0-2 times) and no third ACK.
//   15%  short requests with an empty body (HEAD-like: 204 No Content).
// 30% of connections are IPv6. Connections start as a Poisson process and overlap in time; the
// capture is taken near the clients (the server's answers come an RTT after the request).
//
// Everything comes from one seeded PRNG (splitmix64): the same seed and segment count give the
// same file byte for byte. IPv4 header and TCP checksums are filled in.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "splitmix64.hpp"

namespace {

// ---- PRNG --------------------------------------------------------------------------------------
struct Rng {
    std::uint64_t s;
    std::uint64_t next() { return splitmix64_next(s); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(next() >> 32); }
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    std::uint32_t range(std::uint32_t lo, std::uint32_t hi) {  // inclusive
        return lo + static_cast<std::uint32_t>(unit() * (static_cast<double>(hi) - lo + 1));
    }
    bool chance(double p) { return unit() < p; }
    double expo(double mean) { return -mean * std::log(1.0 - unit()); }
};

// ---- SHA-1 (FIPS 180-4) and base64, for Sec-WebSocket-Accept ------------------------------------
std::array<std::uint8_t, 20> sha1(std::string_view msg) {
    std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    std::string m(msg);
    const std::uint64_t bits = static_cast<std::uint64_t>(msg.size()) * 8;
    m += static_cast<char>(0x80);
    while (m.size() % 64 != 56) m += '\0';
    for (int i = 7; i >= 0; --i) m += static_cast<char>((bits >> (i * 8)) & 0xff);
    auto rol = [](std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
    for (std::size_t off = 0; off < m.size(); off += 64) {
        std::uint32_t w[80];
        for (int i = 0; i < 16; ++i) {
            const auto* p = reinterpret_cast<const unsigned char*>(m.data() + off + i * 4);
            w[i] = std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
        }
        for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; ++i) {
            std::uint32_t f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            const std::uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d; d = c; c = rol(b, 30); b = a; a = t;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    std::array<std::uint8_t, 20> out{};
    for (int i = 0; i < 20; ++i) out[i] = static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
    return out;
}

std::string base64(const std::uint8_t* p, std::size_t n) {
    static constexpr char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < n; i += 3) {
        const std::uint32_t v = std::uint32_t{p[i]} << 16 | (i + 1 < n ? std::uint32_t{p[i + 1]} << 8 : 0) |
                                (i + 2 < n ? p[i + 2] : 0);
        out += kAlpha[(v >> 18) & 63];
        out += kAlpha[(v >> 12) & 63];
        out += i + 1 < n ? kAlpha[(v >> 6) & 63] : '=';
        out += i + 2 < n ? kAlpha[v & 63] : '=';
    }
    return out;
}

// RFC 6455 4.2.2 step 5.4
std::string ws_accept(const std::string& key) {
    const auto d = sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    return base64(d.data(), d.size());
}

// ---- The segment list ----------------------------------------------------------------------------
enum : std::uint8_t { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };
constexpr int C = 0, S = 1;  // direction: sent by the client, by the server
constexpr std::uint32_t kMss = 1460;

struct Conn {
    bool v6;
    std::uint8_t cli[16], srv[16];
    std::uint16_t cport, sport;
};

struct Seg {
    std::uint64_t ts;    // microseconds since the capture start
    std::uint32_t conn;
    std::uint32_t seq, ack;
    std::uint32_t len;   // TCP payload length
    std::uint32_t aoff;  // arena offset of the first `alen` payload bytes; the rest is filler text
    std::uint16_t alen;
    std::uint16_t win;
    std::uint8_t flags;
    std::uint8_t dir;
    std::uint8_t syn_opts;
};

enum Kind { kHttp, kBulk, kWebSocket, kReset, kHalfOpen, kEmpty, kKinds };
constexpr const char* kKindNames[kKinds] = {"http", "bulk", "websocket", "reset", "half-open", "http-204"};

struct Gen {
    Rng rng;
    std::vector<Conn> conns;
    std::vector<Seg> segs;
    std::string arena;
    std::uint64_t kinds[kKinds] = {};
    std::uint64_t v6 = 0;

    std::uint32_t put(std::string_view s) {
        const auto off = static_cast<std::uint32_t>(arena.size());
        arena.append(s);
        return off;
    }
};

const char* const kPaths[] = {"/", "/index.html", "/api/v1/items", "/static/app.js", "/static/style.css",
                              "/images/logo.png", "/search?q=tcp+state", "/login", "/api/v2/users/42",
                              "/favicon.ico"};
const char* const kAgents[] = {"curl/7.88.1", "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
                               "python-requests/2.28.1", "Wget/1.21.3"};
const char* const kTypes[] = {"text/html; charset=utf-8", "text/plain", "application/javascript",
                              "text/css", "application/octet-stream"};

// One connection being written: sequence state and a time cursor.
struct Flow {
    Gen& g;
    std::uint32_t id;
    std::uint64_t t;
    std::uint32_t rtt;         // microseconds
    std::uint32_t nxt[2];      // SND.NXT of each side
    std::uint16_t win[2];      // window field each side advertises (scaled by 2^7 after the SYN)

    void emit(int dir, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len = 0,
              std::uint32_t aoff = 0, std::uint16_t alen = 0, bool opts = false) {
        Seg s{};
        s.ts = t;
        s.conn = id;
        s.seq = seq;
        s.ack = (flags & ACK) ? ack : 0;
        s.len = len;
        s.aoff = aoff;
        s.alen = alen;
        s.win = (flags & SYN) ? 64240 : win[dir];
        s.flags = flags;
        s.dir = static_cast<std::uint8_t>(dir);
        s.syn_opts = opts;
        if (flags & RST) s.win = 0;
        g.segs.push_back(s);
        t += 1;  // strictly increasing within a connection
    }
    // A new segment: at SND.NXT, acknowledging everything of the peer.
    void send(int dir, std::uint8_t flags, std::uint32_t len = 0, std::uint32_t aoff = 0, std::uint16_t alen = 0) {
        emit(dir, flags, nxt[dir], nxt[1 - dir], len, aoff, alen, (flags & SYN) != 0);
        nxt[dir] += len + ((flags & SYN) ? 1 : 0) + ((flags & FIN) ? 1 : 0);
    }
    void send_text(int dir, std::uint8_t flags, std::string_view text) {
        send(dir, flags, static_cast<std::uint32_t>(text.size()), g.put(text), static_cast<std::uint16_t>(text.size()));
    }
    void wait(double us) { t += static_cast<std::uint64_t>(us < 1 ? 1 : us); }
    void half_rtt() { wait(rtt / 2.0); }

    void handshake() {
        send(C, SYN);
        if (g.rng.chance(0.02)) {  // SYN retransmitted after the initial RTO (RFC 6298: 1 s)
            wait(1000000);
            emit(C, SYN, nxt[C] - 1, 0, 0, 0, 0, true);
        }
        wait(rtt);
        send(S, SYN | ACK);
        wait(g.rng.range(20, 200));
        send(C, ACK);
    }

    std::string request_head(std::string_view method, std::string_view path, std::uint32_t host) {
        std::string h;
        h.reserve(256);
        h += method;
        h += ' ';
        h += path;
        h += " HTTP/1.1\r\nHost: www";
        h += std::to_string(host);
        h += ".example.com\r\nUser-Agent: ";
        h += kAgents[g.rng.range(0, 3)];
        h += "\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\n\r\n";
        return h;
    }

    // Server data of `body` filler bytes after `head`, MSS-sized, the client ACKing every second
    // segment. With probability p_retx one segment is sent again after the RTO (a spurious
    // retransmission: the capture saw the original).
    void server_data(const std::string& head, std::uint64_t body, double p_retx) {
        const std::uint32_t hoff = g.put(head);
        std::uint64_t left = head.size() + body;
        std::uint32_t head_left = static_cast<std::uint32_t>(head.size());
        std::uint32_t hpos = 0;
        int unacked = 0;
        std::vector<std::size_t> mine;
        while (left > 0) {
            const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(left, kMss));
            const auto a = static_cast<std::uint16_t>(std::min(n, head_left));
            left -= n;
            mine.push_back(g.segs.size());
            send(S, ACK | (left == 0 ? PSH : 0), n, hoff + hpos, a);
            hpos += a;
            head_left -= a;
            wait(g.rng.range(10, 60));
            if (++unacked == 2 || left == 0) {
                wait(g.rng.range(20, 80));
                send(C, ACK);
                unacked = 0;
            }
        }
        if (!mine.empty() && g.rng.chance(p_retx)) {
            Seg r = g.segs[mine[g.rng.range(0, static_cast<std::uint32_t>(mine.size() - 1))]];
            wait(200000 + rtt);
            emit(S, r.flags, r.seq, nxt[C], r.len, r.aoff, r.alen);
            wait(g.rng.range(20, 80));
            send(C, ACK);  // a duplicate ACK
        }
    }

    void exchange(std::uint64_t body, int status = 200) {
        wait(g.rng.range(100, 3000));
        const char* method = status == 204 ? "HEAD" : "GET";
        send_text(C, PSH | ACK, request_head(method, kPaths[g.rng.range(0, 9)], id % 997));
        wait(rtt);
        const double proc = g.rng.expo(2000);
        if (proc > 40000) {  // a slow server acknowledges the request first (delayed ACK)
            wait(40000);
            send(S, ACK);
            wait(proc - 40000);
        } else {
            wait(proc);
        }
        std::string head = status == 204 ? "HTTP/1.1 204 No Content\r\n" : "HTTP/1.1 200 OK\r\n";
        head += "Server: nginx/1.22.1\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n";
        if (status != 204) {
            head += "Content-Type: ";
            head += kTypes[g.rng.range(0, 4)];
            head += "\r\nContent-Length: ";
            head += std::to_string(body);
            head += "\r\n";
        }
        head += "\r\n";
        server_data(head, status == 204 ? 0 : body, 0.04);
    }

    void close_normally() {
        wait(g.rng.range(100, 50000));
        const std::uint32_t how = g.rng.range(0, 9);
        if (how < 4) {  // client closes first
            send(C, FIN | ACK);
            wait(rtt);
            send(S, ACK);
            wait(g.rng.range(10, 500));
            send(S, FIN | ACK);
            wait(g.rng.range(20, 100));
            send(C, ACK);
        } else if (how < 8) {  // server closes first (the capture sees it an RTT/2 late)
            send(S, FIN | ACK);
            wait(g.rng.range(20, 100));
            send(C, ACK);
            wait(g.rng.range(50, 2000));
            send(C, FIN | ACK);
            wait(rtt);
            send(S, ACK);
        } else {  // FIN, FIN-ACK merged, ACK
            send(C, FIN | ACK);
            wait(rtt);
            send(S, FIN | ACK);
            wait(g.rng.range(20, 100));
            send(C, ACK);
        }
    }

    // ---- Connection kinds --------------------------------------------------------------------
    std::uint64_t small_body() {
        const double r = g.rng.unit();
        if (r < 0.5) return g.rng.range(100, 1400);
        if (r < 0.92) return g.rng.range(1400, 8000);
        return g.rng.range(8000, 30000);
    }

    void http() {
        handshake();
        const std::uint32_t n = g.rng.chance(0.2) ? g.rng.range(2, 4) : 1;
        for (std::uint32_t i = 0; i < n; ++i) exchange(small_body());
        close_normally();
    }

    void empty() {
        handshake();
        exchange(0, 204);
        close_normally();
    }

    void bulk(bool download) {
        handshake();
        const std::uint64_t bytes = g.rng.range(50000, 1000000);
        const int snd = download ? S : C, rcv = 1 - snd;
        std::uint32_t head_off = 0;
        std::uint32_t head_left = 0;
        std::uint64_t left = bytes;
        if (download) {
            wait(g.rng.range(100, 2000));
            send_text(C, PSH | ACK, request_head("GET", "/download/image.iso", id % 997));
            wait(rtt);
            std::string head = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: application/octet-stream\r\n";
            head += "Content-Length: " + std::to_string(bytes) + "\r\n\r\n";
            head_off = g.put(head);
            head_left = static_cast<std::uint32_t>(head.size());
            left += head.size();
        } else {
            wait(g.rng.range(100, 2000));
        }
        win[rcv] = 2048;  // 256 KiB with the shift of 7
        // The receiver's cumulative ACK; one segment at a time may be lost before the capture point.
        std::uint32_t hole = 0, hole_len = 0;
        bool have_hole = false;
        int since_hole = 0, unacked = 0;
        std::uint32_t hpos = 0;
        while (left > 0) {
            const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(left, kMss));
            const auto a = static_cast<std::uint16_t>(std::min(n, head_left));
            left -= n;
            const std::uint8_t fl = ACK | (left == 0 ? PSH : 0);
            if (!have_hole && left > 4 * kMss && g.rng.chance(0.003)) {
                hole = nxt[snd];
                hole_len = n;
                have_hole = true;
                since_hole = 0;
                nxt[snd] += n;  // sent, never captured
            } else {
                send(snd, fl, n, head_off + hpos, a);
            }
            hpos += a;
            head_left -= a;
            wait(g.rng.range(30, 120));
            if (have_hole && ++since_hole == 4) {  // fast retransmit after three duplicate ACKs
                emit(snd, ACK, hole, nxt[rcv], hole_len);
                have_hole = false;
                wait(g.rng.range(30, 120));
                unacked = 2;
            }
            if (++unacked >= 2 || left == 0) {
                wait(g.rng.range(10, 40));
                emit(rcv, ACK, nxt[rcv], have_hole ? hole : nxt[snd]);
                unacked = 0;
            }
        }
        win[rcv] = 502;
        close_normally();
    }

    void websocket() {
        handshake();
        wait(g.rng.range(100, 2000));
        std::uint8_t raw[16];
        for (auto& b : raw) b = static_cast<std::uint8_t>(g.rng.u32());
        const std::string key = base64(raw, 16);
        std::string req = "GET /chat HTTP/1.1\r\nHost: ws";
        req += std::to_string(id % 97);
        req += ".example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
        req += key;
        req += "\r\nSec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n\r\n";
        send_text(C, PSH | ACK, req);
        wait(rtt + g.rng.range(100, 1000));
        std::string resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        resp += "Sec-WebSocket-Accept: " + ws_accept(key) + "\r\n\r\n";
        send_text(S, PSH | ACK, resp);
        wait(g.rng.range(20, 100));
        send(C, ACK);
        const std::uint32_t n = g.rng.range(2, 8);
        for (std::uint32_t i = 0; i < n; ++i) {
            const int dir = g.rng.chance(0.5) ? C : S;
            const std::uint32_t len = g.rng.chance(0.8) ? g.rng.range(5, 120) : g.rng.range(126, 1200);
            std::string payload;
            payload.reserve(len);
            for (std::uint32_t k = 0; k < len; ++k) payload += static_cast<char>('a' + (k * 7 + i) % 26);
            wait(g.rng.expo(50000));
            send_text(dir, PSH | ACK, frame(0x1, payload, dir == C));
            wait(dir == C ? rtt : g.rng.range(20, 40000));
            send(1 - dir, ACK);
        }
        // The closing handshake, then the server closes TCP first (RFC 6455 7.1.1).
        const int first = g.rng.chance(0.7) ? C : S;
        wait(g.rng.expo(20000));
        send_text(first, PSH | ACK, frame(0x8, std::string("\x03\xe8", 2), first == C));
        wait(first == C ? rtt : g.rng.range(50, 500));
        send_text(1 - first, PSH | ACK, frame(0x8, std::string("\x03\xe8", 2), first != C));
        if (first == C) {
            wait(g.rng.range(10, 200));
            send(S, FIN | ACK);
            wait(g.rng.range(20, 100));
            send(C, ACK);
            wait(g.rng.range(20, 200));
            send(C, FIN | ACK);
            wait(rtt);
            send(S, ACK);
        } else {
            wait(rtt);
            send(S, FIN | ACK);
            wait(g.rng.range(20, 100));
            send(C, FIN | ACK);
            wait(rtt);
            send(S, ACK);
        }
    }

    // RFC 6455 5.2: FIN + opcode; client frames are masked.
    std::string frame(unsigned opcode, const std::string& payload, bool masked) {
        std::string f;
        f += static_cast<char>(0x80 | opcode);
        const std::size_t n = payload.size();
        const char mbit = masked ? static_cast<char>(0x80) : 0;
        if (n < 126) {
            f += static_cast<char>(mbit | static_cast<char>(n));
        } else {
            f += static_cast<char>(mbit | 126);
            f += static_cast<char>(n >> 8);
            f += static_cast<char>(n & 0xff);
        }
        std::uint8_t key[4] = {0, 0, 0, 0};
        if (masked) {
            const std::uint32_t k = g.rng.u32();
            std::memcpy(key, &k, 4);
            f.append(reinterpret_cast<const char*>(key), 4);
        }
        for (std::size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
        return f;
    }

    void reset() {
        const std::uint32_t how = g.rng.range(0, 9);
        if (how < 4) {  // refused: no listener (RFC 9293 3.10.7.1)
            send(C, SYN);
            wait(rtt);
            emit(S, RST | ACK, 0, nxt[C]);
            return;
        }
        handshake();
        if (how < 8) {  // the client aborts after a response (browsers do)
            exchange(small_body());
            wait(g.rng.range(1000, 100000));
            emit(C, RST | ACK, nxt[C], nxt[S]);
            return;
        }
        // the server resets in the middle of a response
        wait(g.rng.range(100, 3000));
        send_text(C, PSH | ACK, request_head("GET", kPaths[g.rng.range(0, 9)], id % 997));
        wait(rtt + g.rng.range(100, 5000));
        std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
        const std::uint32_t hoff = g.put(head);
        const std::uint32_t k = g.rng.range(1, 5);
        for (std::uint32_t i = 0; i < k; ++i) {
            send(S, ACK, kMss, hoff, i == 0 ? static_cast<std::uint16_t>(head.size()) : 0);
            wait(g.rng.range(10, 60));
            if (i % 2 == 1) send(C, ACK);
        }
        wait(g.rng.range(100, 20000));
        emit(S, RST, nxt[S], 0);
    }

    void half_open() {
        if (g.rng.chance(0.6)) {  // SYN only: nobody answers (filtered port, scan, dead host)
            send(C, SYN);
            const std::uint32_t r = g.rng.range(0, 2);
            for (std::uint32_t i = 0; i < r; ++i) {
                wait(1000000u << i);
                emit(C, SYN, nxt[C] - 1, 0, 0, 0, 0, true);
            }
            return;
        }
        send(C, SYN);  // SYN, SYN-ACK, and the third ACK never comes
        wait(rtt);
        send(S, SYN | ACK);
        const std::uint32_t r = g.rng.range(0, 2);
        for (std::uint32_t i = 0; i < r; ++i) {
            wait(1000000u << i);
            emit(S, SYN | ACK, nxt[S] - 1, nxt[C], 0, 0, 0, true);
        }
    }
};

Kind pick_kind(Rng& r) {
    const double x = r.unit();
    if (x < 0.59) return kHttp;
    if (x < 0.60) return kBulk;
    if (x < 0.65) return kWebSocket;
    if (x < 0.75) return kReset;
    if (x < 0.85) return kHalfOpen;
    return kEmpty;
}

void make_conn(Gen& g, std::uint32_t i) {
    Conn c{};
    c.v6 = g.rng.chance(0.3);
    const std::uint32_t srv = g.rng.range(1, 200);
    if (c.v6) {
        const std::uint8_t cli6[16] = {0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        std::memcpy(c.cli, cli6, 16);
        c.cli[12] = static_cast<std::uint8_t>(i >> 24);
        c.cli[13] = static_cast<std::uint8_t>(i >> 16);
        c.cli[14] = static_cast<std::uint8_t>(i >> 8);
        c.cli[15] = static_cast<std::uint8_t>(i);
        const std::uint8_t srv6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        std::memcpy(c.srv, srv6, 16);
        c.srv[15] = static_cast<std::uint8_t>(srv);
        ++g.v6;
    } else {
        // 10.0.0.0/8 and then 100.64.0.0/10 beyond 2^24 connections: every client address is unique,
        // so no 4-tuple repeats.
        c.cli[0] = static_cast<std::uint8_t>(i < (1u << 24) ? 10 : 100);
        c.cli[1] = static_cast<std::uint8_t>(i >> 16);
        c.cli[2] = static_cast<std::uint8_t>(i >> 8);
        c.cli[3] = static_cast<std::uint8_t>(i);
        c.srv[0] = 192; c.srv[1] = 0; c.srv[2] = 2; c.srv[3] = static_cast<std::uint8_t>(srv);
    }
    c.cport = static_cast<std::uint16_t>(g.rng.range(32768, 60999));
    g.conns.push_back(c);
}

// ---- pcap writing -------------------------------------------------------------------------------
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
    for (; n > 1; p += 2, n -= 2) acc += std::uint32_t{p[0]} << 8 | p[1];
    if (n) acc += std::uint32_t{p[0]} << 8;
    return acc;
}
std::uint16_t fold(std::uint32_t acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<std::uint16_t>(~acc & 0xffff);
}
void be16(std::uint8_t* p, std::uint32_t v) { p[0] = static_cast<std::uint8_t>(v >> 8); p[1] = static_cast<std::uint8_t>(v); }
void be32(std::uint8_t* p, std::uint32_t v) { be16(p, v >> 16); be16(p + 2, v & 0xffff); }
void le32(std::uint8_t* p, std::uint32_t v) { for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i)); }

struct Writer {
    std::FILE* f;
    std::vector<std::uint8_t> buf;
    void flush() {
        if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
            std::perror("make_bench_capture: write");
            std::exit(1);
        }
        buf.clear();
    }
};

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t seed = 1, target = 1000000;
    const char* out = nullptr;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) { std::fprintf(stderr, "make_bench_capture: %s needs a value\n", a.c_str()); std::exit(2); }
            return argv[++i];
        };
        if (a == "--seed") seed = std::strtoull(value(), nullptr, 10);
        else if (a == "--segments") target = std::strtoull(value(), nullptr, 10);
        else if (a == "--out") out = value();
        else {
            std::fprintf(stderr, "usage: make_bench_capture [--seed N] [--segments N] --out FILE\n");
            return 2;
        }
    }
    if (!out) { std::fprintf(stderr, "make_bench_capture: --out FILE is required\n"); return 2; }
    const auto t0 = std::chrono::steady_clock::now();

    Gen g;
    g.rng = Rng{seed * 0x2545F4914F6CDD1Dull + 12345};
    g.segs.reserve(target + 4096);
    g.conns.reserve(target / 12 + 16);
    double start = 0;
    // ~3,000 new connections per second: several hundred are open at any moment.
    for (std::uint32_t i = 0; g.segs.size() < target; ++i) {
        start += g.rng.expo(330.0);
        make_conn(g, i);
        const Kind k = pick_kind(g.rng);
        Conn& c = g.conns.back();
        c.sport = k == kBulk && g.rng.chance(0.4) ? 5201 : g.rng.chance(0.85) ? 80 : 8080;
        Flow f{g, i, static_cast<std::uint64_t>(start), 0, {g.rng.u32(), g.rng.u32()}, {502, 502}};
        f.rtt = g.rng.chance(0.5) ? g.rng.range(200, 5000) : g.rng.range(5000, 120000);
        ++g.kinds[k];
        switch (k) {
        case kHttp: f.http(); break;
        case kBulk: f.bulk(c.sport != 5201); break;
        case kWebSocket: f.websocket(); break;
        case kReset: f.reset(); break;
        case kHalfOpen: f.half_open(); break;
        case kEmpty: f.empty(); break;
        case kKinds: break;
        }
    }
    const auto t1 = std::chrono::steady_clock::now();

    // Interleave the connections in time (ties: by connection, then in emission order).
    std::sort(g.segs.begin(), g.segs.end(), [](const Seg& a, const Seg& b) {
        return a.ts != b.ts ? a.ts < b.ts : a.conn < b.conn;
    });
    const auto t2 = std::chrono::steady_clock::now();

    Writer w{std::fopen(out, "wb"), {}};
    if (!w.f) { std::perror(out); return 1; }
    w.buf.reserve(8u << 20);
    {
        std::uint8_t gh[24] = {};
        le32(gh, 0xa1b2c3d4);
        gh[4] = 2; gh[6] = 4;          // version 2.4
        le32(gh + 16, 262144);         // snaplen
        le32(gh + 20, 1);              // LINKTYPE_ETHERNET
        w.buf.insert(w.buf.end(), gh, gh + 24);
    }
    // Filler payload: printable text (bodies, raw upload data).
    std::string filler;
    {
        const char* words[] = {"lorem ", "ipsum ", "dolor ", "sit ", "amet, ", "consectetur ", "adipiscing ", "elit. "};
        Rng r{seed};
        while (filler.size() < 2 * kMss + 64) filler += words[r.range(0, 7)];
    }
    constexpr std::uint64_t kEpoch = 1700000000ull * 1000000ull;  // 2023-11-14 22:13:20 UTC
    std::uint16_t ip_id[2] = {1, 1};
    std::uint64_t bytes = 0;
    std::uint8_t pkt[14 + 40 + 32 + kMss + 64];
    for (const Seg& s : g.segs) {
        const Conn& c = g.conns[s.conn];
        const std::uint8_t* src = s.dir == C ? c.cli : c.srv;
        const std::uint8_t* dst = s.dir == C ? c.srv : c.cli;
        const std::uint16_t sport = s.dir == C ? c.cport : c.sport, dport = s.dir == C ? c.sport : c.cport;
        const std::size_t ip_len = c.v6 ? 40 : 20, tcp_len = s.syn_opts ? 32 : 20;
        std::uint8_t* p = pkt;
        // Ethernet: client side 02:00:00:00:00:01, gateway 02:00:00:00:00:02
        static const std::uint8_t mac_c[6] = {2, 0, 0, 0, 0, 1}, mac_g[6] = {2, 0, 0, 0, 0, 2};
        std::memcpy(p, s.dir == C ? mac_g : mac_c, 6);
        std::memcpy(p + 6, s.dir == C ? mac_c : mac_g, 6);
        be16(p + 12, c.v6 ? 0x86dd : 0x0800);
        std::uint8_t* ip = p + 14;
        std::uint8_t* tcp = ip + ip_len;
        const std::uint32_t seg_bytes = static_cast<std::uint32_t>(tcp_len + s.len);
        if (c.v6) {
            be32(ip, 0x60000000);
            be16(ip + 4, seg_bytes);
            ip[6] = 6;
            ip[7] = 64;
            std::memcpy(ip + 8, src, 16);
            std::memcpy(ip + 24, dst, 16);
        } else {
            ip[0] = 0x45; ip[1] = 0;
            be16(ip + 2, static_cast<std::uint32_t>(20 + seg_bytes));
            be16(ip + 4, ip_id[s.dir]++);
            be16(ip + 6, 0x4000);  // DF
            ip[8] = s.dir == C ? 64 : 52;
            ip[9] = 6;
            be16(ip + 10, 0);
            std::memcpy(ip + 12, src, 4);
            std::memcpy(ip + 16, dst, 4);
            be16(ip + 10, fold(sum16(ip, 20)));
        }
        be16(tcp, sport);
        be16(tcp + 2, dport);
        be32(tcp + 4, s.seq);
        be32(tcp + 8, s.ack);
        tcp[12] = static_cast<std::uint8_t>((tcp_len / 4) << 4);
        tcp[13] = s.flags;
        be16(tcp + 14, s.win);
        be16(tcp + 16, 0);
        be16(tcp + 18, 0);
        if (s.syn_opts) {  // MSS 1460, NOP NOP SACK-permitted, NOP, window scale 7
            static const std::uint8_t opts[12] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
            std::memcpy(tcp + 20, opts, 12);
        }
        std::uint8_t* pl = tcp + tcp_len;
        if (s.alen) std::memcpy(pl, g.arena.data() + s.aoff, s.alen);
        if (s.len > s.alen) std::memcpy(pl + s.alen, filler.data() + (s.seq % 64), s.len - s.alen);
        // TCP checksum over the pseudo-header (RFC 9293 3.1, RFC 8200 8.1)
        std::uint32_t acc = sum16(src, c.v6 ? 16 : 4);
        acc = sum16(dst, c.v6 ? 16 : 4, acc);
        acc += 6 + seg_bytes;
        acc = sum16(tcp, seg_bytes, acc);
        be16(tcp + 16, fold(acc));

        const std::uint32_t caplen = static_cast<std::uint32_t>(14 + ip_len + seg_bytes);
        const std::uint64_t ts = kEpoch + s.ts;
        std::uint8_t rh[16];
        le32(rh, static_cast<std::uint32_t>(ts / 1000000));
        le32(rh + 4, static_cast<std::uint32_t>(ts % 1000000));
        le32(rh + 8, caplen);
        le32(rh + 12, caplen);
        w.buf.insert(w.buf.end(), rh, rh + 16);
        w.buf.insert(w.buf.end(), pkt, pkt + caplen);
        bytes += 16 + caplen;
        if (w.buf.size() >= (8u << 20)) w.flush();
    }
    w.flush();
    if (std::fclose(w.f) != 0) { std::perror(out); return 1; }
    const auto t3 = std::chrono::steady_clock::now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };

    std::printf("%s: %zu segments, %zu connections (%llu IPv6), %.1f MB, capture span %.1f s\n", out, g.segs.size(),
                g.conns.size(), static_cast<unsigned long long>(g.v6), bytes / 1e6,
                g.segs.empty() ? 0.0 : (g.segs.back().ts - g.segs.front().ts) / 1e6);
    std::printf("  connections:");
    for (int k = 0; k < kKinds; ++k) std::printf(" %s %llu", kKindNames[k], static_cast<unsigned long long>(g.kinds[k]));
    std::printf("\n  generated in %.0f ms (build %.0f, sort %.0f, write %.0f), seed %llu\n", ms(t0, t3), ms(t0, t1),
                ms(t1, t2), ms(t2, t3), static_cast<unsigned long long>(seed));
    return 0;
}
