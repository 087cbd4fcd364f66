// WebSocket upgrade tag (src/ws.hpp). Table-style, after h2o/picohttpparser's tests: every head is
// also fed cut at every byte (2 chunks) and at every pair of bytes (3 chunks), and must give the
// same result as one chunk, reported on the chunk that completes it.
#include "ws.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tcpstate::ws {
namespace {

constexpr bool kClient = true;
constexpr bool kServer = false;

// RFC 6455 1.3.
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

const std::string kRequest =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

const std::string kAnswer =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: chat\r\n"
    "\r\n";

FindingSet only(Finding f) {
    FindingSet s;
    s.add(f);
    return s;
}
const FindingSet kNone{};

const std::uint8_t* u8(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

// What a run of chunks produced, folded together.
struct Outcome {
    Upgrade upgrade = Upgrade::None;
    std::size_t upgrade_chunk = 0;  // index of the chunk that reported the upgrade
    int upgrades_reported = 0;
    std::uint32_t findings = 0;
    std::int32_t close_code = -1;
    bool active_last = false;
};

// Feeds `bytes` from one side as chunks cut at `cuts` (ascending offsets), frame numbers from `frame`.
Outcome feed_cut(Session& s, bool from_client, std::string_view bytes, const std::vector<std::size_t>& cuts,
                 std::uint32_t frame = 1) {
    Outcome o;
    std::size_t at = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t end = i < cuts.size() ? cuts[i] : bytes.size();
        const FeedResult r = s.feed(from_client, u8(bytes) + at, end - at, false, frame + static_cast<std::uint32_t>(i));
        if (r.upgrade != Upgrade::None) {
            o.upgrade = r.upgrade;
            o.upgrade_chunk = i;
            ++o.upgrades_reported;
        }
        o.findings |= r.findings.raw();
        if (r.close_code != -1) o.close_code = r.close_code;
        o.active_last = r.active;
        at = end;
    }
    return o;
}

Outcome feed_all(Session& s, bool from_client, std::string_view bytes, std::uint32_t frame = 1) {
    return feed_cut(s, from_client, bytes, {}, frame);
}

// Calls check(cuts) for one chunk, every 2-chunk cut and every 3-chunk cut of n bytes (cuts may be
// empty chunks at neither end).
template <class Check>
void for_every_cut(std::size_t n, Check check) {
    check(std::vector<std::size_t>{});
    for (std::size_t a = 1; a < n; ++a) {
        check(std::vector<std::size_t>{a});
        for (std::size_t b = a + 1; b < n; ++b) check(std::vector<std::size_t>{a, b});
    }
}

std::string cuts_str(const std::vector<std::size_t>& cuts) {
    std::string s = "cuts:";
    for (auto c : cuts) s += " " + std::to_string(c);
    return s;
}

// ---------------------------------------------------------------------------------------------------
// RFC 6455 4.2.2 / 1.3

TEST(WsAccept, Rfc6455Example) { EXPECT_EQ(compute_accept(kKey), kAccept); }

TEST(WsAccept, OtherKeys) {
    // Checked against Python: base64.b64encode(hashlib.sha1(key + GUID).digest())
    EXPECT_EQ(compute_accept("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    EXPECT_EQ(compute_accept(""), "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
}

TEST(WsKey, Validity) {
    struct Row { std::string_view key; bool valid; };
    const Row rows[] = {
        {kKey, true},
        {"AAAAAAAAAAAAAAAAAAAAAA==", true},
        {"+/+/+/+/+/+/+/+/+/+/+/==", true},
        {"dGhlIHNhbXBsZSBub25jZQ=", false},    // 23 characters
        {"dGhlIHNhbXBsZSBub25jZQ===", false},  // 25
        {"dGhlIHNhbXBsZSBub25jZQAA", false},   // 18 bytes, no padding
        {"dGhlIHNhbXBsZSBub25jZ===", false},   // 15 bytes
        {"dGhlIHNhbXBsZSBub25j-Q==", false},   // base64url alphabet
        {"dGhlIHNhbXBsZSBub25j Q==", false},
        {"", false},
    };
    for (const Row& r : rows) EXPECT_EQ(valid_key(r.key), r.valid) << r.key;
}

TEST(WsUpgrade, ToString) {
    EXPECT_EQ(to_string(Upgrade::None), "");
    EXPECT_EQ(to_string(Upgrade::Request), "request");
    EXPECT_EQ(to_string(Upgrade::Accepted), "accepted");
    EXPECT_EQ(to_string(Upgrade::Rejected), "rejected");
    EXPECT_EQ(to_string(Upgrade::BadAccept), "bad-accept");
}

TEST(WsSession, IdleSessionIsSmall) { static_assert(sizeof(Session) <= 64); }

// ---------------------------------------------------------------------------------------------------
// Request heads (RFC 6455 4.1, RFC 9110 5.6.1 / 7.6.1 / 7.8, RFC 9112)

// Replaces the first occurrence of `from` in the RFC request.
std::string request_with(std::string_view from, std::string_view to) {
    std::string s = kRequest;
    const std::size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

struct RequestRow {
    std::string_view name;
    std::string head;
    Upgrade upgrade;
    FindingSet findings;
    std::string_view problem = "";
};

std::vector<RequestRow> request_rows() {
    const FindingSet bad = only(Finding::WsBadRequest);
    return {
        {"rfc 6455 1.3", kRequest, Upgrade::Request, kNone},
        {"mixed-case names", request_with("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key",
                                          "uPGRADE: WebSocket\r\nCONNECTION: upgrade\r\nsec-websocket-key"),
         Upgrade::Request, kNone},
        {"mixed-case version name", request_with("Sec-WebSocket-Version", "SEC-WEBSOCKET-VERSION"), Upgrade::Request, kNone},
        {"token list", request_with("Connection: Upgrade", "Connection: keep-alive, Upgrade"), Upgrade::Request, kNone},
        {"token list no ows", request_with("Connection: Upgrade", "Connection: keep-alive,Upgrade"), Upgrade::Request, kNone},
        {"token list empty elements", request_with("Connection: Upgrade", "Connection: ,\t, Upgrade ,"), Upgrade::Request, kNone},
        {"ows around value", request_with("Connection: Upgrade", "Connection:\t upgrade \t"), Upgrade::Request, kNone},
        {"no ows at all", request_with("Upgrade: websocket", "Upgrade:websocket"), Upgrade::Request, kNone},
        {"upgrade list", request_with("Upgrade: websocket", "Upgrade: foo/2, WEBSOCKET"), Upgrade::Request, kNone},
        {"connection split over two fields",
         request_with("Connection: Upgrade", "Connection: keep-alive\r\nConnection: Upgrade"), Upgrade::Request, kNone},
        {"firefox style", request_with("Connection: Upgrade", "Connection: keep-alive, Upgrade"), Upgrade::Request, kNone},
        {"obs-text in another value", request_with("Origin: http://example.com", "Origin: http://exa\xc3\xa9mple.com"),
         Upgrade::Request, kNone},
        // Substring traps: tokens are whole list elements.
        {"upgrade websocketx", request_with("Upgrade: websocket", "Upgrade: websocketx"), Upgrade::None, kNone},
        {"upgrade xwebsocket", request_with("Upgrade: websocket", "Upgrade: xwebsocket"), Upgrade::None, kNone},
        {"upgrade web socket", request_with("Upgrade: websocket", "Upgrade: web socket"), Upgrade::None, kNone},
        {"upgrade websocket/13", request_with("Upgrade: websocket", "Upgrade: websocket/13"), Upgrade::None, kNone},
        {"connection notupgrade", request_with("Connection: Upgrade", "Connection: notupgrade"), Upgrade::None, kNone},
        {"connection upgrade-insecure", request_with("Connection: Upgrade", "Connection: upgrade-insecure"), Upgrade::None, kNone},
        {"connection keep-alive only", request_with("Connection: Upgrade", "Connection: keep-alive"), Upgrade::None, kNone},
        {"x-upgrade name", request_with("Upgrade: websocket", "X-Upgrade: websocket"), Upgrade::None, kNone},
        {"upgrade missing", request_with("Upgrade: websocket\r\n", ""), Upgrade::None, kNone},
        {"connection missing", request_with("Connection: Upgrade\r\n", ""), Upgrade::None, kNone},
        // Other upgrades are not WebSocket.
        {"h2c", request_with("Upgrade: websocket\r\nConnection: Upgrade",
                             "Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"),
         Upgrade::None, kNone},
        {"tls", request_with("Upgrade: websocket", "Upgrade: TLS/1.0"), Upgrade::None, kNone},
        {"tcp (docker)", request_with("Upgrade: websocket", "Upgrade: tcp"), Upgrade::None, kNone},
        // Not GET over HTTP/1.1.
        {"post", request_with("GET ", "POST "), Upgrade::None, kNone},
        {"lower-case get", request_with("GET ", "get "), Upgrade::None, kNone},
        {"http/1.0", request_with("HTTP/1.1", "HTTP/1.0"), Upgrade::None, kNone},
        {"http/2.0", request_with("HTTP/1.1", "HTTP/2.0"), Upgrade::None, kNone},
        {"double space", request_with("GET /chat", "GET  /chat"), Upgrade::None, kNone},
        {"no target", request_with("GET /chat HTTP/1.1", "GET HTTP/1.1"), Upgrade::None, kNone},
        {"no version", request_with("GET /chat HTTP/1.1", "GET /chat"), Upgrade::None, kNone},
        // Bad bytes and malformed lines: not HTTP, nothing tagged.
        {"nul in a value", request_with("Origin: http://example.com", std::string("Origin: http://ex\0ample.com", 27)),
         Upgrade::None, kNone},
        {"nul in the target", request_with("/chat", std::string("/ch\0at", 6)), Upgrade::None, kNone},
        {"non-ascii in a name", request_with("Origin:", "Or\xc3\xafgin:"), Upgrade::None, kNone},
        {"non-ascii in the target", request_with("/chat", "/ch\xc3\xa2t"), Upgrade::None, kNone},
        {"non-ascii in upgrade", request_with("Upgrade: websocket", "Upgrade: websock\xc3\xa9t"), Upgrade::None, kNone},
        {"control char in a value", request_with("Origin: http://example.com", "Origin: http://ex\x01" "ample.com"),
         Upgrade::None, kNone},
        {"bare lf line", request_with("Host: server.example.com\r\n", "Host: server.example.com\n"), Upgrade::None, kNone},
        {"bare cr in a value", request_with("Host: server.example.com", "Host: server\rexample.com"), Upgrade::None, kNone},
        {"space before colon", request_with("Upgrade:", "Upgrade :"), Upgrade::None, kNone},
        {"obs-fold", request_with("Origin: http://example.com", "Origin:\r\n http://example.com"), Upgrade::None, kNone},
        {"empty name", request_with("Origin:", ":"), Upgrade::None, kNone},
        // Key and version problems: still a request, with a warning naming what is wrong.
        {"key missing", request_with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), Upgrade::Request, bad,
         "Sec-WebSocket-Key missing"},
        {"key short", request_with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="), Upgrade::Request, bad,
         "Sec-WebSocket-Key is not base64 of 16 bytes"},
        {"key bad char", request_with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j*Q=="), Upgrade::Request, bad,
         "Sec-WebSocket-Key is not base64 of 16 bytes"},
        {"key non-ascii", request_with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j\xc3\xa9=="), Upgrade::Request, bad,
         "Sec-WebSocket-Key is not base64 of 16 bytes"},
        {"key empty", request_with("dGhlIHNhbXBsZSBub25jZQ==", ""), Upgrade::Request, bad,
         "Sec-WebSocket-Key is not base64 of 16 bytes"},
        {"key repeated", request_with("Origin:", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nOrigin:"), Upgrade::Request,
         bad, "Sec-WebSocket-Key repeated"},
        {"version missing", request_with("Sec-WebSocket-Version: 13\r\n", ""), Upgrade::Request, bad,
         "Sec-WebSocket-Version missing"},
        {"version 8", request_with("Version: 13", "Version: 8"), Upgrade::Request, bad, "Sec-WebSocket-Version is not 13"},
        {"version list", request_with("Version: 13", "Version: 13, 8"), Upgrade::Request, bad,
         "Sec-WebSocket-Version is not 13"},
        {"key and version missing",
         request_with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n"
                      "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n",
                      "Origin: http://example.com\r\n"),
         Upgrade::Request, bad, "Sec-WebSocket-Key missing; Sec-WebSocket-Version missing"},
    };
}

TEST(WsRequest, Table) {
    for (const RequestRow& row : request_rows()) {
        SCOPED_TRACE(std::string(row.name));
        for_every_cut(row.head.size(), [&](const std::vector<std::size_t>& cuts) {
            Session s;
            const Outcome o = feed_cut(s, kClient, row.head, cuts, 10);
            ASSERT_EQ(o.upgrade, row.upgrade) << cuts_str(cuts);
            ASSERT_EQ(o.findings, row.findings.raw()) << cuts_str(cuts);
            ASSERT_FALSE(o.active_last);
            ASSERT_FALSE(s.active());
            if (row.upgrade == Upgrade::Request) {
                ASSERT_EQ(o.upgrades_reported, 1);
                ASSERT_EQ(o.upgrade_chunk, cuts.size()) << cuts_str(cuts);  // the completing chunk
                ASSERT_EQ(s.request_frame(), 10 + cuts.size());
                ASSERT_EQ(s.request_problem(), row.problem);
            } else {
                ASSERT_EQ(s.request_frame(), 0u);
            }
        });
    }
}

TEST(WsRequest, KeyAndExpectedAccept) {
    Session s;
    feed_all(s, kClient, kRequest);
    EXPECT_EQ(s.key(), kKey);
    EXPECT_EQ(s.accept_expected(), kAccept);
    EXPECT_EQ(s.accept_seen(), "");

    Session bad;
    feed_all(bad, kClient, request_with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="));
    EXPECT_EQ(bad.key(), "dGhlIHNhbXBsZQ==");
    EXPECT_EQ(bad.accept_expected(), "");  // no valid key
}

TEST(WsRequest, NotHttpStopsAtOnce) {
    // The fast path: a client stream whose first byte cannot start a request line (a method is a
    // token, RFC 9112 3) nor a TLS record is dropped; what follows is never looked at.
    Session s;
    EXPECT_EQ(feed_all(s, kClient, std::string("\x00\x01", 2)).upgrade, Upgrade::None);
    EXPECT_TRUE(s.done());
    EXPECT_EQ(feed_all(s, kClient, kRequest).upgrade, Upgrade::None);
    EXPECT_EQ(feed_all(s, kServer, kAnswer).upgrade, Upgrade::None);
    EXPECT_EQ(s.request_frame(), 0u);

    Session tls;  // a TLS record: the raw bytes are never HTTP (tests/unit/ws_http_test.cpp WsTls)
    feed_all(tls, kClient, "\x16\x03\x01");
    EXPECT_TRUE(tls.tls());
    EXPECT_EQ(feed_all(tls, kClient, kRequest).upgrade, Upgrade::None);

    Session g;  // "GE" then "X": the method "GEXGET" is a token, but not GET: no upgrade request
    feed_all(g, kClient, "GE");
    feed_all(g, kClient, "X");
    EXPECT_EQ(feed_all(g, kClient, kRequest).upgrade, Upgrade::None);
}

TEST(WsRequest, ASecondRequestCounts) {
    // Issue 16: every request of a keep-alive connection is examined until one upgrades.
    const std::string plain = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    Session s;
    EXPECT_EQ(feed_all(s, kClient, plain).upgrade, Upgrade::None);
    EXPECT_EQ(feed_all(s, kServer, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").upgrade, Upgrade::None);
    EXPECT_EQ(feed_all(s, kClient, kRequest).upgrade, Upgrade::Request);
    EXPECT_EQ(feed_all(s, kServer, kAnswer).upgrade, Upgrade::Accepted);
}

TEST(WsRequest, ServerSpeaksFirst) {
    // An HTTP server does not speak before it was asked: not an HTTP exchange, nothing is tagged.
    Session s;
    feed_all(s, kServer, "220 hello\r\n");
    EXPECT_TRUE(s.done());
    EXPECT_EQ(feed_all(s, kClient, kRequest).upgrade, Upgrade::None);
    EXPECT_EQ(feed_all(s, kServer, kAnswer).upgrade, Upgrade::None);
    EXPECT_FALSE(s.active());
}

// ---------------------------------------------------------------------------------------------------
// Oversize heads

std::string request_of_size(std::size_t n) {  // the RFC request padded with an X-Pad field to n bytes
    const std::string pad_field = "X-Pad: \r\n";
    std::string s = kRequest;
    s.insert(s.size() - 2, pad_field);
    s.insert(s.size() - 4, std::string(n - s.size(), 'p'));
    EXPECT_EQ(s.size(), n);
    return s;
}

TEST(WsHead, LargestHeadFits) {
    const std::string head = request_of_size(kMaxHead);
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{100}, kMaxHead - 4, kMaxHead - 1}) {
        Session s;
        const Outcome o = cut == 0 ? feed_all(s, kClient, head) : feed_cut(s, kClient, head, {cut});
        EXPECT_EQ(o.upgrade, Upgrade::Request) << cut;
        EXPECT_EQ(o.findings, 0u) << cut;
    }
}

TEST(WsHead, OneByteTooManyGivesUp) {
    const std::string head = request_of_size(kMaxHead + 1);
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{100}, kMaxHead - 1, kMaxHead}) {
        Session s;
        const Outcome o = cut == 0 ? feed_all(s, kClient, head) : feed_cut(s, kClient, head, {cut});
        EXPECT_EQ(o.upgrade, Upgrade::None) << cut;
        EXPECT_EQ(o.findings, only(Finding::WsHeadTooLarge).raw()) << cut;
        EXPECT_EQ(feed_all(s, kServer, kAnswer).upgrade, Upgrade::None);
    }
}

TEST(WsHead, TooLargeReportedOnTheChunkThatFillsTheBuffer) {
    Session s;
    const std::string junk(6000, 'a');
    const std::string start = "GET /x HTTP/1.1\r\nX-Big: ";
    EXPECT_TRUE(s.feed(kClient, u8(start), start.size(), false, 1).findings.empty());
    EXPECT_TRUE(s.feed(kClient, u8(junk), junk.size(), false, 2).findings.empty());
    EXPECT_TRUE(s.feed(kClient, u8(junk), junk.size(), false, 3).findings.empty());
    EXPECT_TRUE(s.feed(kClient, u8(junk), junk.size(), false, 4).findings.has(Finding::WsHeadTooLarge));
    EXPECT_TRUE(s.feed(kClient, u8(junk), junk.size(), false, 5).findings.empty());  // reported once
}

TEST(WsHead, AnswerTooLarge) {
    Session s;
    feed_all(s, kClient, kRequest);
    std::string big = "HTTP/1.1 101 Switching Protocols\r\nX-Pad: " + std::string(kMaxHead, 'p') + "\r\n\r\n";
    const Outcome o = feed_cut(s, kServer, big, {5000});
    EXPECT_EQ(o.upgrade, Upgrade::None);
    EXPECT_EQ(o.findings, only(Finding::WsHeadTooLarge).raw());
    EXPECT_FALSE(s.active());
}

// ---------------------------------------------------------------------------------------------------
// Answers (RFC 6455 4.1 client checks, 4.2.2)

std::string answer_with(std::string_view from, std::string_view to) {
    std::string s = kAnswer;
    const std::size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

// RFC 6455 5.2 frame, FIN set unless told; masked with `key` when masked.
std::string ws_frame(unsigned opcode, std::string_view payload, bool masked = false, bool fin = true,
                     std::uint32_t key = 0x37fa213d) {
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | opcode);
    const char m = masked ? static_cast<char>(0x80) : 0;
    const std::uint64_t n = payload.size();
    if (n < 126) {
        f += static_cast<char>(m | static_cast<char>(n));
    } else if (n <= 0xffff) {
        f += static_cast<char>(m | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xff);
    } else {
        f += static_cast<char>(m | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xff);
    }
    const std::uint8_t k[4] = {static_cast<std::uint8_t>(key >> 24), static_cast<std::uint8_t>(key >> 16),
                               static_cast<std::uint8_t>(key >> 8), static_cast<std::uint8_t>(key)};
    if (masked) f.append(reinterpret_cast<const char*>(k), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f += masked ? static_cast<char>(payload[i] ^ static_cast<char>(k[i % 4])) : payload[i];
    return f;
}

std::string close_payload(std::uint16_t code, std::string_view reason = "") {
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code & 0xff);
    p += reason;
    return p;
}

struct AnswerRow {
    std::string_view name;
    std::string head;
    Upgrade upgrade;
    FindingSet findings;
    std::int32_t close_code = -1;
    std::string_view problem = "";
};

std::vector<AnswerRow> answer_rows() {
    const FindingSet bad = only(Finding::WsBadAccept);
    const FindingSet rejected = only(Finding::WsRejected);
    return {
        {"rfc 6455 1.3", kAnswer, Upgrade::Accepted, kNone},
        {"mixed case, lists", answer_with("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept",
                                          "UPGRADE: WebSocket\r\nconnection: keep-alive, UPGRADE\r\nsec-websocket-accept"),
         Upgrade::Accepted, kNone},
        {"no reason phrase", answer_with("101 Switching Protocols", "101"), Upgrade::Accepted, kNone},
        {"empty reason phrase", answer_with("101 Switching Protocols", "101 "), Upgrade::Accepted, kNone},
        {"other reason phrase", answer_with("Switching Protocols", "Web Socket Protocol Handshake"), Upgrade::Accepted, kNone},
        {"first frame in the same segment", kAnswer + ws_frame(1, "hello"), Upgrade::Accepted, kNone},
        {"close in the same segment", kAnswer + ws_frame(8, close_payload(1000)), Upgrade::Accepted, kNone, 1000},
        {"interim 100 first", "HTTP/1.1 100 Continue\r\n\r\n" + kAnswer, Upgrade::Accepted, kNone},
        {"wrong accept", answer_with(kAccept, "dGhlIHNhbXBsZSBub25jZQ=="), Upgrade::BadAccept, bad, -1,
         "Sec-WebSocket-Accept does not match the key"},
        {"accept case changed", answer_with(kAccept, "S3PPLMBITXAQ9KYGZZHZRBK+XOO="), Upgrade::BadAccept, bad, -1,
         "Sec-WebSocket-Accept does not match the key"},
        {"accept missing", answer_with("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ""), Upgrade::BadAccept,
         bad, -1, "Sec-WebSocket-Accept missing"},
        {"accept repeated", answer_with("Sec-WebSocket-Protocol", "Sec-WebSocket-Accept: x\r\nSec-WebSocket-Protocol"),
         Upgrade::BadAccept, bad, -1, "Sec-WebSocket-Accept repeated"},
        {"101 to h2c", answer_with("Upgrade: websocket", "Upgrade: h2c"), Upgrade::BadAccept, bad, -1,
         "Upgrade does not list websocket"},
        {"101 without connection", answer_with("Connection: Upgrade\r\n", ""), Upgrade::BadAccept, bad, -1,
         "Connection does not list upgrade"},
        {"426", "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
         Upgrade::Rejected, rejected, -1, "status 426, not 101"},
        {"400", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", Upgrade::Rejected, rejected, -1,
         "status 400, not 101"},
        {"200", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", Upgrade::Rejected, rejected, -1, "status 200, not 101"},
        {"103 then 403", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 403 Forbidden\r\n\r\n", Upgrade::Rejected,
         rejected, -1, "status 403, not 101"},
        {"http/1.0 answer", answer_with("HTTP/1.1", "HTTP/1.0"), Upgrade::Accepted, kNone},
        // Not an HTTP answer: nothing said.
        {"not http", "SSH-2.0-OpenSSH_9.2\r\n\r\n", Upgrade::None, kNone},
        {"bad status code", answer_with("101", "1O1"), Upgrade::None, kNone},
        {"nul in the answer", answer_with("Switching", std::string("Swi\0ching", 9)), Upgrade::None, kNone},
    };
}

TEST(WsAnswer, Table) {
    for (const AnswerRow& row : answer_rows()) {
        SCOPED_TRACE(std::string(row.name));
        for_every_cut(row.head.size(), [&](const std::vector<std::size_t>& cuts) {
            Session s;
            ASSERT_EQ(feed_all(s, kClient, kRequest, 4).upgrade, Upgrade::Request);
            const Outcome o = feed_cut(s, kServer, row.head, cuts, 10);
            ASSERT_EQ(o.upgrade, row.upgrade) << cuts_str(cuts);
            ASSERT_EQ(o.findings, row.findings.raw()) << cuts_str(cuts);
            const bool accepted = row.upgrade == Upgrade::Accepted;
            ASSERT_EQ(s.active(), accepted);
            ASSERT_EQ(o.active_last, accepted);
            ASSERT_EQ(s.request_frame(), 4u);
            if (row.upgrade != Upgrade::None) {
                ASSERT_EQ(o.upgrades_reported, 1);
                ASSERT_EQ(s.answer_problem(), row.problem);
                // Reported on the chunk completing the (final) head: the last chunk, unless frame
                // bytes or a body follow in later chunks.
                ASSERT_EQ(s.response_frame(), 10 + o.upgrade_chunk);
            } else {
                ASSERT_EQ(s.response_frame(), 0u);
            }
            ASSERT_EQ(o.close_code, row.close_code) << cuts_str(cuts);
        });
    }
}

TEST(WsAnswer, AcceptValuesKept) {
    Session s;
    feed_all(s, kClient, kRequest);
    feed_all(s, kServer, answer_with(kAccept, "AAAA"));
    EXPECT_EQ(s.accept_seen(), "AAAA");
    EXPECT_EQ(s.accept_expected(), kAccept);
}

TEST(WsAnswer, ActiveFromThe101OnBothDirections) {
    Session s;
    EXPECT_FALSE(feed_all(s, kClient, kRequest, 4).active_last);
    const FeedResult first = s.feed(kServer, u8(kAnswer), 10, false, 6);
    EXPECT_FALSE(first.active);
    const FeedResult done = s.feed(kServer, u8(kAnswer) + 10, kAnswer.size() - 10, false, 7);
    EXPECT_TRUE(done.active);
    EXPECT_EQ(done.upgrade, Upgrade::Accepted);
    const std::string hi = ws_frame(1, "hi", true);
    EXPECT_TRUE(feed_all(s, kClient, hi).active_last);
    EXPECT_TRUE(s.feed(kClient, nullptr, 0, false, 9).active);  // a pure ACK of the session too
    EXPECT_EQ(s.request_frame(), 4u);
    EXPECT_EQ(s.response_frame(), 7u);
}

TEST(WsAnswer, MissingKeyThen101IsBadAccept) {
    Session s;
    const Outcome req = feed_all(s, kClient, request_with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""));
    EXPECT_EQ(req.findings, only(Finding::WsBadRequest).raw());
    const Outcome ans = feed_all(s, kServer, kAnswer);
    EXPECT_EQ(ans.upgrade, Upgrade::BadAccept);
    EXPECT_EQ(s.answer_problem(), "no valid Sec-WebSocket-Key to check the Accept against");
}

TEST(WsAnswer, AnswerToAnUntaggedRequestIsIgnored) {
    Session s;
    feed_all(s, kClient, request_with("Upgrade: websocket", "Upgrade: h2c"));
    const Outcome o = feed_all(s, kServer, answer_with("Upgrade: websocket", "Upgrade: h2c"));
    EXPECT_EQ(o.upgrade, Upgrade::None);
    EXPECT_EQ(o.findings, 0u);
    EXPECT_FALSE(s.active());
    EXPECT_EQ(s.response_frame(), 0u);
}

// ---------------------------------------------------------------------------------------------------
// Gaps: never misparse.

TEST(WsGap, StartOfClientStreamMissing) {
    Session s;
    EXPECT_EQ(s.feed(kClient, u8(kRequest), kRequest.size(), true, 1).upgrade, Upgrade::None);
    EXPECT_EQ(feed_all(s, kClient, kRequest).upgrade, Upgrade::None);
}

TEST(WsGap, HoleInTheRequestHead) {
    for (std::size_t at = 1; at < kRequest.size(); ++at) {
        Session s;
        s.feed(kClient, u8(kRequest), at, false, 1);
        const FeedResult r = s.feed(kClient, u8(kRequest) + at, kRequest.size() - at, true, 2);
        EXPECT_EQ(r.upgrade, Upgrade::None) << at;
        EXPECT_EQ(feed_all(s, kServer, kAnswer).upgrade, Upgrade::None);
    }
}

TEST(WsGap, HoleInTheAnswerHead) {
    for (std::size_t at = 1; at < kAnswer.size(); ++at) {
        Session s;
        feed_all(s, kClient, kRequest);
        s.feed(kServer, u8(kAnswer), at, false, 2);
        const FeedResult r = s.feed(kServer, u8(kAnswer) + at, kAnswer.size() - at, true, 3);
        EXPECT_EQ(r.upgrade, Upgrade::None) << at;
        EXPECT_FALSE(s.active());
        EXPECT_EQ(s.request_frame(), 1u);  // the request stays tagged
    }
}

TEST(WsGap, HoleBeforeTheAnswer) {
    Session s;
    feed_all(s, kClient, kRequest);
    EXPECT_EQ(s.feed(kServer, u8(kAnswer), kAnswer.size(), true, 2).upgrade, Upgrade::None);
    EXPECT_FALSE(s.active());
}

TEST(WsGap, HoleInFramesStopsThatDirectionOnly) {
    Session s;
    feed_all(s, kClient, kRequest);
    feed_all(s, kServer, kAnswer);
    const std::string close = ws_frame(8, close_payload(1000));
    // Server direction: a hole, then bytes that would read as a Close: not reported.
    const FeedResult after_gap = s.feed(kServer, u8(close), close.size(), true, 5);
    EXPECT_TRUE(after_gap.active);
    EXPECT_EQ(after_gap.close_code, -1);
    // Client direction still walked.
    EXPECT_EQ(feed_all(s, kClient, ws_frame(8, close_payload(1001), true)).close_code, 1001);
}

TEST(WsGap, NoAbnormalClosureClaimAfterAHole) {
    Session s;
    feed_all(s, kClient, kRequest);
    feed_all(s, kServer, kAnswer);
    const std::string text = ws_frame(1, "abc");
    s.feed(kServer, u8(text), text.size(), true, 5);
    EXPECT_TRUE(s.on_tcp_close(kServer, false, 6).findings.empty());
}

TEST(WsGap, ClientBytesBeforeThe101AreNotWalked) {
    // RFC 6455 4.1: the client must wait for the answer. Early bytes are not known to be frames.
    Session s;
    feed_all(s, kClient, kRequest + ws_frame(1, "early", true));
    EXPECT_EQ(feed_all(s, kServer, kAnswer).upgrade, Upgrade::Accepted);
    EXPECT_EQ(feed_all(s, kClient, ws_frame(8, "", true)).close_code, -1);
    EXPECT_EQ(feed_all(s, kServer, ws_frame(8, "")).close_code, kCloseNoStatus);
}

// ---------------------------------------------------------------------------------------------------
// Frames (RFC 6455 5.2, 5.5.1)

Session accepted_session() {
    Session s;
    feed_all(s, kClient, kRequest, 4);
    feed_all(s, kServer, kAnswer, 6);
    EXPECT_TRUE(s.active());
    return s;
}

struct FrameRow {
    std::string_view name;
    bool from_client;
    std::string bytes;
    std::int32_t close_code;  // last Close completed in these bytes
    FindingSet findings;
};

std::vector<FrameRow> frame_rows() {
    const FindingSet dac = only(Finding::WsDataAfterClose);
    const std::string mid(300, 'm');  // 16-bit length
    return {
        {"text then close (server)", kServer, ws_frame(1, "hello") + ws_frame(8, close_payload(1000, "bye")), 1000, kNone},
        {"masked close with status (client)", kClient, ws_frame(1, "hello", true) + ws_frame(8, close_payload(1001, "going"), true),
         1001, kNone},
        {"masked close, other key", kClient, ws_frame(8, close_payload(4000), true, true, 0xffffffff), 4000, kNone},
        {"close no status", kServer, ws_frame(8, ""), kCloseNoStatus, kNone},
        {"masked close no status", kClient, ws_frame(8, "", true), kCloseNoStatus, kNone},
        {"close one byte", kServer, ws_frame(8, "x"), kCloseNoStatus, kNone},
        {"16-bit lengths, ping, pong", kServer,
         ws_frame(2, mid) + ws_frame(9, "p") + ws_frame(10, "p") + ws_frame(8, close_payload(1000)), 1000, kNone},
        {"fragmented message", kClient,
         ws_frame(1, "frag", true, false) + ws_frame(9, "", true) + ws_frame(0, "ment", true, true) +
             ws_frame(8, close_payload(1000), true),
         1000, kNone},
        {"masked 16-bit", kClient, ws_frame(2, mid, true) + ws_frame(8, close_payload(1002), true), 1002, kNone},
        {"text after close", kServer, ws_frame(8, close_payload(1000)) + ws_frame(1, "late"), 1000, dac},
        {"binary after close", kClient, ws_frame(8, close_payload(1000), true) + ws_frame(2, "late", true), 1000, dac},
        {"continuation after close", kServer, ws_frame(1, "a", false, false) + ws_frame(8, "") + ws_frame(0, "b"),
         kCloseNoStatus, dac},
        {"ping after close is not data", kServer, ws_frame(8, close_payload(1000)) + ws_frame(9, ""), 1000, kNone},
        {"no close", kServer, ws_frame(1, "a") + ws_frame(2, mid), -1, kNone},
    };
}

TEST(WsFrames, Table) {
    for (const FrameRow& row : frame_rows()) {
        SCOPED_TRACE(std::string(row.name));
        for_every_cut(row.bytes.size() < 80 ? row.bytes.size() : 0, [&](const std::vector<std::size_t>& cuts) {
            Session s = accepted_session();
            const Outcome o = feed_cut(s, row.from_client, row.bytes, cuts);
            ASSERT_EQ(o.close_code, row.close_code) << cuts_str(cuts);
            ASSERT_EQ(o.findings, row.findings.raw()) << cuts_str(cuts);
            ASSERT_TRUE(o.active_last);
        });
        // Long rows: every 2-chunk cut.
        for (std::size_t a = 1; a < row.bytes.size(); ++a) {
            Session s = accepted_session();
            const Outcome o = feed_cut(s, row.from_client, row.bytes, {a});
            ASSERT_EQ(o.close_code, row.close_code) << a;
            ASSERT_EQ(o.findings, row.findings.raw()) << a;
        }
    }
}

TEST(WsFrames, CloseReportedOnTheSegmentThatCompletesIt) {
    Session s = accepted_session();
    const std::string bytes = ws_frame(1, "hello") + ws_frame(8, close_payload(1000, "bye"));
    const std::size_t close_at = ws_frame(1, "hello").size();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const FeedResult r = s.feed(kServer, u8(bytes) + i, 1, false, 20 + static_cast<std::uint32_t>(i));
        EXPECT_EQ(r.close_code, i + 1 == bytes.size() ? 1000 : -1) << i;
        EXPECT_TRUE(r.active);
    }
    EXPECT_GT(bytes.size(), close_at + 4);
    EXPECT_EQ(s.close_code(kServer), 1000);
    EXPECT_EQ(s.close_code(kClient), -1);
}

TEST(WsFrames, SixtyFourBitLength) {
    const std::string big(70000, 'b');
    const std::string bytes = ws_frame(2, big, true) + ws_frame(8, close_payload(1000), true);
    std::vector<std::size_t> cuts_list;
    for (std::size_t a = 1; a < 40; ++a) cuts_list.push_back(a);
    for (std::size_t a = bytes.size() - 40; a < bytes.size(); ++a) cuts_list.push_back(a);
    cuts_list.push_back(65536);
    for (std::size_t a : cuts_list) {
        Session s = accepted_session();
        const Outcome o = feed_cut(s, kClient, bytes, {a});
        ASSERT_EQ(o.close_code, 1000) << a;
        ASSERT_EQ(o.findings, 0u) << a;
    }
    // Many segments, as on the wire.
    Session s = accepted_session();
    std::vector<std::size_t> mss;
    for (std::size_t a = 1448; a < bytes.size(); a += 1448) mss.push_back(a);
    EXPECT_EQ(feed_cut(s, kClient, bytes, mss).close_code, 1000);
}

TEST(WsFrames, DirectionsAreWalkedApart) {
    // A server frame split over two segments with a whole client frame in between.
    Session s = accepted_session();
    const std::string sc = ws_frame(8, close_payload(1001));
    const std::string cs = ws_frame(8, close_payload(1000), true);
    EXPECT_EQ(s.feed(kServer, u8(sc), 3, false, 10).close_code, -1);
    EXPECT_EQ(s.feed(kClient, u8(cs), cs.size(), false, 11).close_code, 1000);
    EXPECT_EQ(s.feed(kServer, u8(sc) + 3, sc.size() - 3, false, 12).close_code, 1001);
}

TEST(WsFrames, DataAfterCloseIsPerSide) {
    Session s = accepted_session();
    EXPECT_EQ(feed_all(s, kClient, ws_frame(8, close_payload(1000), true)).close_code, 1000);
    // The server may still send data before its own Close (RFC 6455 5.5.1, 7.1.2).
    EXPECT_EQ(feed_all(s, kServer, ws_frame(1, "still here")).findings, 0u);
    EXPECT_EQ(feed_all(s, kServer, ws_frame(8, close_payload(1000))).close_code, 1000);
    EXPECT_EQ(feed_all(s, kClient, ws_frame(1, "late", true)).findings, only(Finding::WsDataAfterClose).raw());
}

TEST(WsFrames, ImpossibleLengthStopsWalking) {
    Session s = accepted_session();
    const std::string bad = std::string("\x82\x7f\x80\0\0\0\0\0\0\0", 10);
    feed_all(s, kServer, bad);
    EXPECT_EQ(feed_all(s, kServer, ws_frame(8, "")).close_code, -1);
}

// ---------------------------------------------------------------------------------------------------
// TCP teardown (RFC 6455 7.1.1, 7.1.5)

TEST(WsTeardown, FinWithNoCloseIsAbnormal) {
    for (const bool from_client : {kClient, kServer}) {
        for (const bool rst : {false, true}) {
            Session s = accepted_session();
            feed_all(s, kServer, ws_frame(1, "x"));
            const FeedResult r = s.on_tcp_close(from_client, rst, 9);
            EXPECT_EQ(r.findings.raw(), only(Finding::WsAbnormalClosure).raw());
            EXPECT_TRUE(r.active);
            EXPECT_EQ(r.close_code, -1);
            EXPECT_TRUE(s.on_tcp_close(!from_client, rst, 10).findings.empty());  // once
        }
    }
}

TEST(WsTeardown, ClientClosesTcpFirst) {
    Session s = accepted_session();
    feed_all(s, kClient, ws_frame(8, close_payload(1000), true));
    feed_all(s, kServer, ws_frame(8, close_payload(1000)));
    EXPECT_EQ(s.on_tcp_close(kClient, false, 9).findings.raw(), only(Finding::WsClientClosedFirst).raw());
    EXPECT_TRUE(s.on_tcp_close(kServer, false, 10).findings.empty());
    EXPECT_TRUE(s.on_tcp_close(kClient, false, 11).findings.empty());  // a repeated FIN: once
}

TEST(WsTeardown, ServerClosesTcpFirst) {
    Session s = accepted_session();
    feed_all(s, kServer, ws_frame(8, close_payload(1001)));
    feed_all(s, kClient, ws_frame(8, close_payload(1001), true));
    EXPECT_TRUE(s.on_tcp_close(kServer, false, 9).findings.empty());
    EXPECT_TRUE(s.on_tcp_close(kClient, false, 10).findings.empty());
}

TEST(WsTeardown, OneCloseOnly) {
    // A Close was seen: not 1006; the handshake did not finish: no teardown-order note either.
    Session s = accepted_session();
    feed_all(s, kClient, ws_frame(8, close_payload(1000), true));
    EXPECT_TRUE(s.on_tcp_close(kClient, false, 9).findings.empty());
}

TEST(WsTeardown, NotActiveSaysNothing) {
    Session none;
    EXPECT_FALSE(none.on_tcp_close(kClient, false, 1).active);
    EXPECT_TRUE(none.on_tcp_close(kClient, false, 1).findings.empty());

    Session pending;
    feed_all(pending, kClient, kRequest);
    EXPECT_TRUE(pending.on_tcp_close(kServer, true, 2).findings.empty());

    Session refused;
    feed_all(refused, kClient, kRequest);
    feed_all(refused, kServer, "HTTP/1.1 426 Upgrade Required\r\n\r\n");
    const FeedResult r = refused.on_tcp_close(kServer, false, 3);
    EXPECT_FALSE(r.active);
    EXPECT_TRUE(r.findings.empty());
}

TEST(WsSession, Movable) {
    Session a = accepted_session();
    Session b = std::move(a);
    EXPECT_TRUE(b.active());
    EXPECT_EQ(b.key(), kKey);
}

}  // namespace
}  // namespace tcpstate::ws
