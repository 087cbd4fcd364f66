// Issue 16 through the C ABI, as the plugin drives it: tcpstate_engine_process_decrypted() hands the
// records Wireshark decrypted to the WebSocket tracker without changing the TCP analysis, and
// tcpstate_engine_ws_info() / tcpstate_engine_finding_message() describe the upgrade attempt of the
// frame asked about (a connection may try more than once).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "findings.hpp"
#include "tcpstate_core.h"

namespace {

constexpr std::uint8_t kC[4] = {10, 0, 0, 1};
constexpr std::uint8_t kS[4] = {10, 0, 0, 2};

// A client and a server on one connection; each call sends one segment with payload and
// acknowledges everything the peer sent. Frames are numbered from 1.
class Conn {
public:
    Conn() : e_(tcpstate_engine_new()) {
        send(true, TCPSTATE_SYN, "");
        send(false, TCPSTATE_SYN | TCPSTATE_ACK, "");
        send(true, TCPSTATE_ACK, "");
    }
    ~Conn() { tcpstate_engine_free(e_); }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    tcpstate_result send(bool client, std::uint16_t flags, const std::string& payload,
                         const std::vector<tcpstate_tls_record>& records = {}, bool decrypted_call = false) {
        tcpstate_segment s{};
        s.stream = 0;
        s.frame = ++frame_;
        s.src_addr = client ? kC : kS;
        s.dst_addr = client ? kS : kC;
        s.addr_len = 4;
        s.src_port = client ? 40000 : 443;
        s.dst_port = client ? 443 : 40000;
        std::uint32_t& nxt = client ? c_nxt_ : s_nxt_;
        s.seq = nxt;
        s.ack = (flags & TCPSTATE_ACK) ? (client ? s_nxt_ : c_nxt_) : 0;
        s.flags = flags;
        s.window = 65535;
        s.payload_len = static_cast<std::uint32_t>(payload.size());
        s.payload = reinterpret_cast<const std::uint8_t*>(payload.data());
        s.payload_captured = s.payload_len;
        nxt += s.payload_len + ((flags & (TCPSTATE_SYN | TCPSTATE_FIN)) ? 1 : 0);
        tcpstate_result r{};
        if (records.empty() && !decrypted_call) EXPECT_EQ(tcpstate_engine_process(e_, &s, 0, &r), 1);
        else EXPECT_EQ(tcpstate_engine_process_decrypted(e_, &s, 0, records.data(), records.size(), &r), 1);
        return r;
    }
    tcpstate_result data(bool client, const std::string& payload, const std::vector<tcpstate_tls_record>& records = {}) {
        return send(client, TCPSTATE_ACK | TCPSTATE_PSH, payload, records);
    }
    tcpstate_engine* engine() const { return e_; }
    std::uint32_t frame() const { return frame_; }

private:
    tcpstate_engine* e_;
    std::uint32_t frame_ = 0;
    std::uint32_t c_nxt_ = 1000, s_nxt_ = 5000;
};

std::string record(std::uint8_t type, std::size_t n) {
    std::string r = {static_cast<char>(type), 3, 3, static_cast<char>(n >> 8), static_cast<char>(n & 0xff)};
    return r + std::string(n, '\x5a');
}
tcpstate_tls_record rec(std::uint8_t type, const std::string& plain) {
    return {reinterpret_cast<const std::uint8_t*>(plain.data()), static_cast<std::uint32_t>(plain.size()), type};
}
unsigned upgrade(const tcpstate_result& r) { return r.ws & TCPSTATE_WS_UPGRADE_MASK; }
bool has(const tcpstate_result& r, tcpstate::Finding f) { return r.findings & (1u << static_cast<unsigned>(f)); }

const std::string kKey1 = "dGhlIHNhbXBsZSBub25jZQ==", kKey2 = "x3JJHMbDL1EzLkh9GBhXDw==";
std::string upgrade_request(const std::string& key) {
    return "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
           "\r\nSec-WebSocket-Version: 13\r\n\r\n";
}
const std::string k401 = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
const std::string k101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n\r\n";  // for kKey2

TEST(CapiTls, DecryptedWebSocketSession) {
    Conn c;
    const std::string hello = record(22, 180), flight = record(22, 90) + record(20, 1) + record(23, 600);
    const std::string fin = record(20, 1) + record(23, 53), app = record(23, 220);
    EXPECT_EQ(c.data(true, hello).findings, 0u);
    const std::string hs = "encrypted extensions ...";
    c.data(false, flight, {rec(22, hs), rec(22, hs)});
    c.data(true, fin, {rec(22, hs)});
    const std::string r1 = upgrade_request(kKey1), r2 = upgrade_request(kKey2);
    const tcpstate_result req1 = c.data(true, app, {rec(23, r1)});  // frame 7
    EXPECT_EQ(upgrade(req1), 1u);
    const tcpstate_result no = c.data(false, app, {rec(23, k401)});  // frame 8
    EXPECT_EQ(upgrade(no), 3u);
    EXPECT_TRUE(has(no, tcpstate::Finding::WsRejected));
    EXPECT_EQ(upgrade(c.data(true, app, {rec(23, r2)})), 1u);  // frame 9
    const std::string close = std::string("\x88\x02\x03\xe8", 4);
    const tcpstate_result yes = c.data(false, app, {rec(23, k101 + close)});  // frame 10
    EXPECT_EQ(upgrade(yes), 2u);
    EXPECT_TRUE(yes.ws & TCPSTATE_WS_ACTIVE);
    EXPECT_TRUE(yes.ws & TCPSTATE_WS_CLOSE);
    EXPECT_EQ(yes.ws_close_code, 1000);
    EXPECT_TRUE(c.send(true, TCPSTATE_ACK, "").ws & TCPSTATE_WS_ACTIVE);  // frame 11: a pure ACK, in the session

    // Each frame's attempt.
    tcpstate_ws_info info{};
    ASSERT_EQ(tcpstate_engine_ws_info(c.engine(), 0, 8, &info), 1);
    EXPECT_STREQ(info.key, kKey1.c_str());
    EXPECT_EQ(info.request_frame, 7u);
    EXPECT_EQ(info.response_frame, 8u);
    ASSERT_EQ(tcpstate_engine_ws_info(c.engine(), 0, 10, &info), 1);
    EXPECT_STREQ(info.key, kKey2.c_str());
    EXPECT_STREQ(info.accept_seen, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    EXPECT_STREQ(info.accept_expected, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    EXPECT_EQ(tcpstate_engine_ws_info(c.engine(), 0, 11, &info), 0);
    char msg[256];
    tcpstate_engine_finding_message(c.engine(), &no, 8, static_cast<unsigned>(tcpstate::Finding::WsRejected), msg, sizeof msg);
    EXPECT_STREQ(msg, "WebSocket upgrade refused: status 401, not 101 (RFC 6455 4.2.2)");
}

TEST(CapiTls, WithoutDecryptionOnlyTheNote) {
    Conn c;
    c.data(true, record(22, 180));
    c.data(false, record(22, 90) + record(20, 1) + record(23, 600));
    const tcpstate_result fin = c.data(true, record(20, 1) + record(23, 53));
    EXPECT_TRUE(has(fin, tcpstate::Finding::WsTlsNotExamined));
    EXPECT_EQ(fin.ws, TCPSTATE_VALID);
    const tcpstate_result later = c.data(true, record(23, 300));
    EXPECT_FALSE(has(later, tcpstate::Finding::WsTlsNotExamined));  // once
    char msg[256];
    tcpstate_engine_finding_message(c.engine(), &fin, 6, static_cast<unsigned>(tcpstate::Finding::WsTlsNotExamined), msg, sizeof msg);
    EXPECT_NE(std::string(msg).find("could not decrypt"), std::string::npos) << msg;
}

TEST(CapiTls, TcpAnalysisIsTheSame) {
    // The same segments with and without decrypted records: every TCP field of every result agrees.
    const std::string hello = record(22, 180), app = record(23, 220);
    const std::string r = upgrade_request(kKey2);
    auto run = [&](bool decrypted) {
        Conn c;
        std::vector<tcpstate_result> out;
        out.push_back(c.data(true, hello));
        out.push_back(c.data(false, app, decrypted ? std::vector<tcpstate_tls_record>{rec(22, "hs")} : std::vector<tcpstate_tls_record>{}));
        out.push_back(c.data(true, app, decrypted ? std::vector<tcpstate_tls_record>{rec(23, r)} : std::vector<tcpstate_tls_record>{}));
        out.push_back(c.data(false, app, decrypted ? std::vector<tcpstate_tls_record>{rec(23, k101)} : std::vector<tcpstate_tls_record>{}));
        out.push_back(c.send(false, TCPSTATE_ACK | TCPSTATE_FIN, ""));
        out.push_back(c.send(true, TCPSTATE_ACK | TCPSTATE_FIN, ""));
        out.push_back(c.send(false, TCPSTATE_ACK, ""));
        return out;
    };
    const auto plain = run(false), dec = run(true);
    ASSERT_EQ(plain.size(), dec.size());
    for (std::size_t i = 0; i < plain.size(); ++i) {
        tcpstate_result a = plain[i], b = dec[i];
        const std::uint32_t ws_bits = (1u << static_cast<unsigned>(tcpstate::Finding::WsAbnormalClosure)) |
                                      (1u << static_cast<unsigned>(tcpstate::Finding::WsTlsNotExamined));
        a.findings &= ~ws_bits;
        b.findings &= ~ws_bits;
        a.ws = b.ws = 0;
        a.ws_close_code = b.ws_close_code = 0;
        EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "segment " << i;
    }
    EXPECT_EQ(upgrade(dec[3]), 2u);
    EXPECT_TRUE(has(dec[4], tcpstate::Finding::WsAbnormalClosure));  // FIN with no Close (RFC 6455 7.1.5)
}

TEST(CapiTls, NullRecordsAreNone) {
    Conn c;
    tcpstate_segment s{};
    s.frame = 99;
    EXPECT_EQ(tcpstate_engine_process_decrypted(nullptr, &s, 0, nullptr, 3, nullptr), 0);
    const std::string payload = "GET / HTTP/1.1\r\n\r\n";
    EXPECT_EQ(c.send(true, TCPSTATE_ACK | TCPSTATE_PSH, payload, {}, true).ws, TCPSTATE_VALID);  // count 0
}

}  // namespace
