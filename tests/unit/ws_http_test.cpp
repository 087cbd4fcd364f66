// Issue 16 (src/ws.hpp): every request of a connection is examined until one upgrades, with the
// HTTP/1.1 message framing of RFC 9112 6.3, and TLS connections are read from their decrypted
// records. An exchange is a list of steps (one direction's bytes each); every expectation must hold
// when any one step is cut at every byte, and when every byte comes alone.
#include "ws.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace tcpstate::ws {
namespace {

constexpr bool kClient = true;
constexpr bool kServer = false;

const std::uint8_t* u8(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

// RFC 6455 1.3.
const std::string kUpgrade =
    "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const std::string k101 =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
const std::string kDecoyRequest = "GET /decoy HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

std::string get(std::string_view path) { return "GET " + std::string(path) + " HTTP/1.1\r\nHost: a\r\n\r\n"; }
std::string ok(std::string_view body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}
std::string close_frame(std::uint16_t code, bool masked) {
    std::string f = {'\x88', static_cast<char>((masked ? 0x80 : 0) | 2)};
    const char status[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    if (!masked) return f + std::string(status, 2);
    const char key[4] = {1, 2, 3, 4};
    f += std::string(key, 4);
    f += static_cast<char>(status[0] ^ key[0]);
    f += static_cast<char>(status[1] ^ key[1]);
    return f;
}

struct Step {
    bool from_client;
    std::string bytes;
};

// What one step produced (its chunks folded together).
struct StepResult {
    Upgrade upgrade = Upgrade::None;
    std::uint32_t findings = 0;
    std::int32_t close_code = -1;
    bool active = false;
    bool operator==(const StepResult&) const = default;
};

// Feeds the steps in order, step `cut_step` cut at `cuts` (ascending offsets inside it); step i is
// frame i + 1. `one_by_one`: every byte of every step alone.
std::vector<StepResult> run(Session& s, const std::vector<Step>& steps, std::size_t cut_step = SIZE_MAX,
                            const std::vector<std::size_t>& cuts = {}, bool one_by_one = false) {
    std::vector<StepResult> out;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const std::string& b = steps[i].bytes;
        std::vector<std::size_t> at;
        if (one_by_one) for (std::size_t k = 1; k < b.size(); ++k) at.push_back(k);
        else if (i == cut_step) at = cuts;
        at.push_back(b.size());
        StepResult r;
        std::size_t from = 0;
        for (std::size_t end : at) {
            const FeedResult f = s.feed(steps[i].from_client, u8(b) + from, end - from, false, static_cast<std::uint32_t>(i + 1));
            if (f.upgrade != Upgrade::None) r.upgrade = f.upgrade;
            r.findings |= f.findings.raw();
            if (f.close_code >= 0) r.close_code = f.close_code;
            r.active = f.active;  // the step's last chunk
            from = end;
        }
        out.push_back(r);
    }
    return out;
}

// The steps' results must be `want` however the bytes are cut.
void expect_exchange(const std::vector<Step>& steps, const std::vector<StepResult>& want) {
    {
        Session s;
        ASSERT_EQ(run(s, steps), want) << "whole steps";
    }
    {
        Session s;
        ASSERT_EQ(run(s, steps, SIZE_MAX, {}, true), want) << "byte by byte";
    }
    for (std::size_t i = 0; i < steps.size(); ++i)
        for (std::size_t a = 1; a < steps[i].bytes.size(); ++a) {
            Session s;
            ASSERT_EQ(run(s, steps, i, {a}), want) << "step " << i << " cut at " << a;
        }
}

StepResult none() { return {}; }
StepResult up(Upgrade u, std::uint32_t findings = 0) { return {u, findings, -1, u == Upgrade::Accepted}; }
StepResult active(std::int32_t close = -1) { return {Upgrade::None, 0, close, true}; }
std::uint32_t bit(Finding f) { return FindingSet{}.raw() | (1u << static_cast<unsigned>(f)); }

// ---------------------------------------------------------------------------------------------------
// Keep-alive, pipelining, bodies (RFC 9112 6.3, 7.1, 9.3.2)

TEST(WsHttp, UpgradeOnTheSecondRequest) {
    expect_exchange({{kClient, get("/index.html")}, {kServer, ok("<p>hello</p>\n")}, {kClient, kUpgrade}, {kServer, k101},
                     {kClient, close_frame(1000, true)}, {kServer, close_frame(1000, false)}},
                    {none(), none(), up(Upgrade::Request), up(Upgrade::Accepted), active(1000), active(1000)});
}

TEST(WsHttp, PipelinedRequestsAndAnswers) {
    expect_exchange({{kClient, get("/a") + get("/b") + get("/c")},
                     {kServer, ok("one") + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=\"y\"\r\nabc\r\n0\r\n\r\n" + ok("")},
                     {kClient, kUpgrade},
                     {kServer, k101 + close_frame(1001, false)}},
                    {none(), none(), up(Upgrade::Request), {Upgrade::Accepted, 0, 1001, true}});
}

TEST(WsHttp, AnswersWithoutBody) {
    // RFC 9112 6.3 item 1: an answer to HEAD, and 1xx, 204 and 304 answers, end at the blank line,
    // whatever Content-Length they carry. The next answer starts right after.
    expect_exchange({{kClient, "HEAD /big HTTP/1.1\r\nHost: a\r\n\r\n"},
                     {kServer, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"},
                     {kClient, get("/none") + get("/cached")},
                     {kServer, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"},
                     {kClient, "POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"},
                     {kServer, "HTTP/1.1 100 Continue\r\n\r\n"},
                     {kClient, "body"},
                     {kServer, ok("done")},
                     {kClient, kUpgrade},
                     {kServer, "HTTP/1.1 100 Continue\r\n\r\n" + k101}},
                    {none(), none(), none(), none(), none(), none(), none(), none(), up(Upgrade::Request),
                     up(Upgrade::Accepted)});
}

TEST(WsHttp, BodiesAreNotRequests) {
    // An upgrade request and a 101 inside bodies (Content-Length and chunked, with extensions and a
    // trailer): never tagged.
    std::ostringstream size;
    size << std::hex << k101.size() << "\r\n";
    const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" "5;a=b;c\r\nxxxxx\r\n" +
                                size.str() + k101 + "\r\n0\r\nChecksum: 1\r\nMore: 2\r\n\r\n";
    expect_exchange({{kClient, "POST /u HTTP/1.1\r\nContent-Length: " + std::to_string(kDecoyRequest.size()) + "\r\n\r\n" +
                                   kDecoyRequest},
                     {kServer, chunked},
                     {kClient, "PUT /v HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" "1\r\nG\r\n0\r\n\r\n" + kUpgrade},
                     {kServer, ok(k101)},
                     {kServer, k101}},
                    {none(), none(), up(Upgrade::Request), none(), up(Upgrade::Accepted)});
}

TEST(WsHttp, EmptyLinesBeforeARequest) {
    // RFC 9112 2.2: a server SHOULD ignore at least one empty line before a request-line.
    expect_exchange({{kClient, "\r\n" + get("/") + "\r\n"}, {kServer, ok("")}, {kClient, "\r\n" + kUpgrade}, {kServer, k101}},
                    {none(), none(), up(Upgrade::Request), up(Upgrade::Accepted)});
}

TEST(WsHttp, RepeatedEqualContentLengthIsOne) {
    // RFC 9110 8.6: a list of one repeated value may be taken as that value.
    expect_exchange({{kClient, get("/")},
                     {kServer, "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\ncontent-length: 3\r\n\r\nabc"},
                     {kClient, kUpgrade},
                     {kServer, k101}},
                    {none(), none(), up(Upgrade::Request), up(Upgrade::Accepted)});
}

// ---------------------------------------------------------------------------------------------------
// Framing that cannot be known ends the examination: nothing after it is tagged.

struct EndRow {
    std::string_view name;
    std::vector<Step> steps;  // then kUpgrade and k101 follow, and must not be tagged
};

TEST(WsHttp, UnknowableFramingEndsTheExamination) {
    const std::vector<EndRow> rows = {
        {"two lengths (6.3 item 5)", {{kClient, get("/")}, {kServer, "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello"}}},
        {"length not digits", {{kClient, get("/")}, {kServer, "HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello"}}},
        {"length empty element", {{kClient, get("/")}, {kServer, "HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\nhello"}}},
        {"request length invalid", {{kClient, "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"}}},
        {"request coding not chunked (6.3 item 4)", {{kClient, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxx"}}},
        {"answer until close (item 8)", {{kClient, get("/")}, {kServer, "HTTP/1.1 200 OK\r\n\r\nsome bytes"}}},
        {"answer coding not chunked (item 3)",
         {{kClient, get("/")}, {kServer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx"}}},
        {"CONNECT tunnel (item 2)", {{kClient, "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"}, {kServer, "HTTP/1.1 200 OK\r\n\r\n"}}},
        {"101 to h2c", {{kClient, "GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n"},
                        {kServer, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"}}},
        {"bad chunk size", {{kClient, get("/")}, {kServer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}}},
        {"chunk without CRLF after data",
         {{kClient, get("/")}, {kServer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n"}}},
        {"chunk data ended by CR alone",
         {{kClient, get("/")}, {kServer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\rX0\r\n\r\n"}}},
        {"bare LF in a head", {{kClient, "GET / HTTP/1.1\nHost: a\r\n\r\n"}}},
        {"field without colon", {{kClient, get("/")}, {kServer, "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"}}},
        {"space before colon (RFC 9112 5.1)", {{kClient, "GET / HTTP/1.1\r\nContent-Length : 0\r\n\r\n"}}},
        {"HTTP/2 preface", {{kClient, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}}},
        {"answer with no request", {{kClient, get("/")}, {kServer, ok("a") + ok("b")}}},
        {"not a status line", {{kClient, get("/")}, {kServer, "HTTP/1.1 2000 OK\r\n\r\n"}}},
        {"not a request line", {{kClient, "GET  / HTTP/1.1\r\n\r\n"}}},
    };
    for (const EndRow& row : rows) {
        SCOPED_TRACE(std::string(row.name));
        std::vector<Step> steps = row.steps;
        steps.push_back({kClient, kUpgrade});
        steps.push_back({kServer, k101});
        expect_exchange(steps, std::vector<StepResult>(steps.size(), none()));
        Session s;
        run(s, steps);
        EXPECT_TRUE(s.done());
    }
}

TEST(WsHttp, NotHttpIsDroppedAtItsFirstLine) {
    // A text protocol whose first line is no request line is dropped there, not after kMaxHead bytes.
    Session s;
    const std::string line = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
    s.feed(kClient, u8(line), line.size(), false, 1);
    EXPECT_TRUE(s.done());
    Session b;
    const std::uint8_t binary[] = {0x00, 0x01, 0x02};
    b.feed(kClient, binary, sizeof binary, false, 1);
    EXPECT_TRUE(b.done());
}

// ---------------------------------------------------------------------------------------------------
// Upgrade attempts

TEST(WsHttp, RejectedThenAccepted) {
    const std::string second = "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Authorization: Basic dXNlcjpwYXNz\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n";
    const std::string accepted = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n\r\n";
    const std::vector<Step> steps = {{kClient, kUpgrade},
                                     {kServer, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nnope\n"},
                                     {kClient, second},
                                     {kServer, accepted}};
    expect_exchange(steps, {up(Upgrade::Request), up(Upgrade::Rejected, bit(Finding::WsRejected)), up(Upgrade::Request),
                            up(Upgrade::Accepted)});
    Session s;
    run(s, steps);
    // Each frame shows its own attempt.
    ASSERT_NE(s.attempt_at(1), nullptr);
    EXPECT_EQ(s.attempt_at(1), s.attempt_at(2));
    EXPECT_EQ(s.attempt_at(2)->key, "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_EQ(s.attempt_at(2)->answer_problem, "status 401, not 101");
    EXPECT_EQ(s.attempt_at(2)->response_frame, 2u);
    ASSERT_NE(s.attempt_at(4), nullptr);
    EXPECT_EQ(s.attempt_at(3), s.attempt_at(4));
    EXPECT_EQ(s.attempt_at(4)->key, "x3JJHMbDL1EzLkh9GBhXDw==");
    EXPECT_EQ(s.attempt_at(4)->accept_seen, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    EXPECT_EQ(s.attempt_at(4)->request_frame, 3u);
    EXPECT_EQ(s.attempt_at(5), nullptr);
    EXPECT_EQ(s.key(), "x3JJHMbDL1EzLkh9GBhXDw==");  // the latest attempt
}

TEST(WsHttp, RefusalThatClosesEndsTheExamination) {
    // 426 without a length: its body runs until the connection closes (RFC 9112 6.3 item 8).
    expect_exchange({{kClient, kUpgrade}, {kServer, "HTTP/1.1 426 Upgrade Required\r\n\r\n"}, {kClient, kUpgrade}, {kServer, k101}},
                    {up(Upgrade::Request), up(Upgrade::Rejected, bit(Finding::WsRejected)), none(), none()});
}

TEST(WsHttp, AttemptsAreBounded) {
    Session s;
    const std::string no = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    std::uint32_t frame = 1;
    for (std::size_t i = 0; i < kMaxAttempts; ++i) {
        EXPECT_EQ(s.feed(kClient, u8(kUpgrade), kUpgrade.size(), false, frame++).upgrade, Upgrade::Request);
        EXPECT_EQ(s.feed(kServer, u8(no), no.size(), false, frame++).upgrade, Upgrade::Rejected);
    }
    EXPECT_EQ(s.feed(kClient, u8(kUpgrade), kUpgrade.size(), false, frame++).upgrade, Upgrade::None);
    EXPECT_TRUE(s.done());
    EXPECT_EQ(s.attempt_at(1)->response_frame, 2u);  // what was seen is kept
}

TEST(WsHttp, PipelinedRequestAfterTheUpgradeBreaksClientFraming) {
    // RFC 6455 4.1: the client waits for the answer; a request queued behind the upgrade request is
    // not known to be frames once the 101 comes.
    Session s;
    run(s, {{kClient, kUpgrade + get("/late")}, {kServer, k101}});
    EXPECT_TRUE(s.active());
    const std::string close = close_frame(1000, true);
    EXPECT_EQ(s.feed(kClient, u8(close), close.size(), false, 3).close_code, -1);
    // Refused instead: the queued request is an ordinary one, its answer is read, and another
    // upgrade can follow.
    expect_exchange({{kClient, kUpgrade + get("/late")},
                     {kServer, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" + ok("late")},
                     {kClient, kUpgrade},
                     {kServer, k101}},
                    {up(Upgrade::Request), up(Upgrade::Rejected, bit(Finding::WsRejected)), up(Upgrade::Request),
                     up(Upgrade::Accepted)});
}

TEST(WsHttp, PendingRequestsAreBounded) {
    Session s;
    std::string many;
    for (std::size_t i = 0; i < kMaxPending; ++i) many += get("/" + std::to_string(i));
    s.feed(kClient, u8(many), many.size(), false, 1);
    EXPECT_FALSE(s.done());
    const std::string one = get("/one-more");
    s.feed(kClient, u8(one), one.size(), false, 2);
    EXPECT_TRUE(s.done());
}

// ---------------------------------------------------------------------------------------------------
// Memory (ws.hpp: at most 2 * kMaxHead of head buffers and kMaxAttempts bounded attempts)

TEST(WsMemory, BoundedWhateverTheInput) {
    Session s;
    const std::string key(3000, 'k');  // an absurd key: kept up to kMaxShown bytes
    const std::string attempt = "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                                "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const std::string no = "HTTP/1.1 403 Forbidden\r\nSec-WebSocket-Accept: " + key + "\r\nContent-Length: 0\r\n\r\n";
    std::uint32_t frame = 1;
    for (std::size_t i = 0; i + 1 < kMaxAttempts; ++i) {
        s.feed(kClient, u8(attempt), attempt.size(), false, frame++);
        s.feed(kServer, u8(no), no.size(), false, frame++);
    }
    s.feed(kClient, u8(attempt), attempt.size(), false, frame++);  // the last attempt, awaiting its answer
    // Heads of kMaxHead - 1 bytes pending in both directions, fed in small pieces.
    const std::string more = get("/x").substr(0, 20) + std::string(kMaxHead, 'p');
    const std::string answer = "HTTP/1.1 200 OK\r\nX-Pad: " + std::string(kMaxHead, 'p');
    for (std::size_t at = 0; at + 1000 < kMaxHead; at += 1000) {
        s.feed(kClient, u8(more) + at, 1000, false, frame);
        s.feed(kServer, u8(answer) + at, 1000, false, frame + 1);
    }
    EXPECT_FALSE(s.done());
    EXPECT_EQ(s.attempt_at(1)->key.size(), kMaxShown);
    EXPECT_LE(s.memory(), kMaxMemory) << "bound in ws.hpp";
    EXPECT_GT(s.memory(), 2 * (kMaxHead - 1000));  // both buffers are counted
}

TEST(WsMemory, IdleAndPlainConnectionsStaySmall) {
    Session s;
    EXPECT_EQ(s.memory(), sizeof(Session));
    run(s, {{kClient, get("/a")}, {kServer, ok("hello")}, {kClient, get("/b")}, {kServer, ok("again")}});
    EXPECT_EQ(s.memory(), sizeof(Session));  // heads in one chunk: nothing allocated
}

// ---------------------------------------------------------------------------------------------------
// TLS (decrypted records)

// A TLS record header (RFC 8446 5.1) and `n` bytes of fragment.
std::string record(std::uint8_t type, std::size_t n) {
    std::string r = {static_cast<char>(type), 3, 3, static_cast<char>(n >> 8), static_cast<char>(n & 0xff)};
    return r + std::string(n, '\x5a');
}

tcpstate_tls_record decrypted(std::uint8_t type, const std::string& plain) {
    return {u8(plain), static_cast<std::uint32_t>(plain.size()), type};
}

TEST(WsTls, WithoutKeysOneNoteOnTheFirstApplicationDataRecord) {
    const std::string hello = record(22, 200);
    const std::string second = record(20, 1) + record(23, 53);  // TLS 1.3: CCS + encrypted Finished
    const std::string data = record(23, 300);
    const std::string bytes = hello + second + data;
    const std::size_t note_at = hello.size() + record(20, 1).size() + 5;  // that record's header completes here
    for (std::size_t a = 1; a < bytes.size(); ++a) {
        Session s;
        std::uint32_t note = 0;
        const std::size_t cuts[] = {a, bytes.size()};
        std::size_t from = 0;
        for (std::uint32_t i = 0; i < 2; ++i) {
            const FeedResult r = s.feed(kClient, u8(bytes) + from, cuts[i] - from, false, i + 1);
            if (r.findings.has(Finding::WsTlsNotExamined)) {
                EXPECT_EQ(note, 0u);
                note = i + 1;
            }
            if (i == 0) {  // the server's flight between: not decrypted either
                const std::string flight = record(22, 90) + record(20, 1) + record(23, 700);
                EXPECT_TRUE(s.feed(kServer, u8(flight), flight.size(), false, 10).findings.empty());
            }
            from = cuts[i];
        }
        EXPECT_EQ(note, a >= note_at ? 1u : 2u) << a;
        EXPECT_TRUE(s.tls());
        EXPECT_FALSE(s.done());
    }
}

TEST(WsTls, DecryptedRecordsAreTheExchange) {
    Session s;
    const std::string hello = record(22, 200), flight = record(22, 90) + record(23, 700), fin = record(20, 1) + record(23, 53);
    const std::string handshake = "handshake messages";
    const tcpstate_tls_record server_hs[] = {decrypted(22, handshake), decrypted(22, handshake)};
    EXPECT_TRUE(s.feed(kClient, u8(hello), hello.size(), false, 1).findings.empty());
    EXPECT_TRUE(s.feed(kServer, u8(flight), flight.size(), false, 2, server_hs, 2).findings.empty());
    const tcpstate_tls_record client_fin[] = {decrypted(22, handshake)};
    EXPECT_TRUE(s.feed(kClient, u8(fin), fin.size(), false, 3, client_fin, 1).findings.empty());  // keys: no note
    // The request over two records in one segment, the 101 and a frame in one record.
    const std::string a = kUpgrade.substr(0, 40), b = kUpgrade.substr(40);
    const tcpstate_tls_record req[] = {decrypted(23, a), decrypted(23, b)};
    const std::string raw = record(23, 60) + record(23, 200);
    EXPECT_EQ(s.feed(kClient, u8(raw), raw.size(), false, 4, req, 2).upgrade, Upgrade::Request);
    const std::string ans = k101 + close_frame(1000, false);
    const tcpstate_tls_record answer[] = {decrypted(22, handshake), decrypted(23, ans)};  // a NewSessionTicket first
    const FeedResult r = s.feed(kServer, u8(raw), raw.size(), false, 5, answer, 2);
    EXPECT_EQ(r.upgrade, Upgrade::Accepted);
    EXPECT_EQ(r.close_code, 1000);
    EXPECT_TRUE(r.active);
    // A segment with no decrypted record (an ACK, an alert not decrypted) is still in the session.
    EXPECT_TRUE(s.feed(kServer, u8(raw), 5, false, 6).active);
    const std::string cl = close_frame(1000, true);
    const tcpstate_tls_record close[] = {decrypted(23, cl), decrypted(21, std::string("\x01\x00", 2))};
    EXPECT_EQ(s.feed(kClient, u8(raw), raw.size(), false, 7, close, 2).close_code, 1000);
    EXPECT_TRUE(s.on_tcp_close(kClient, false, 8).findings.has(Finding::WsClientClosedFirst));
}

TEST(WsTls, FalseStartNoNote) {
    // TLS 1.2 False Start: the first application_data record in the segment whose Finished is the
    // first record Wireshark decrypted.
    Session s;
    const std::string hello = record(22, 200), flight = record(22, 600);
    s.feed(kClient, u8(hello), hello.size(), false, 1);
    s.feed(kServer, u8(flight), flight.size(), false, 2);
    const std::string raw = record(22, 70) + record(20, 1) + record(22, 40) + record(23, 250);
    const tcpstate_tls_record recs[] = {decrypted(22, "finished"), decrypted(23, kUpgrade)};
    const FeedResult r = s.feed(kClient, u8(raw), raw.size(), false, 3, recs, 2);
    EXPECT_TRUE(r.findings.empty());
    EXPECT_EQ(r.upgrade, Upgrade::Request);
}

TEST(WsTls, RawBytesAreNeverHttp) {
    // A TLS connection's raw bytes never count as HTTP, even if they read like it.
    Session s;
    const std::string hello = record(22, 10);
    s.feed(kClient, u8(hello), hello.size(), false, 1);
    s.feed(kClient, u8(kUpgrade), kUpgrade.size(), false, 2);
    EXPECT_EQ(s.request_frame(), 0u);
}

TEST(WsTls, NotTlsAfterAll) {
    Session s;
    const std::string bytes = "\x16 not a record header";
    s.feed(kClient, u8(bytes), bytes.size(), false, 1);
    EXPECT_TRUE(s.done());
}

TEST(WsTls, AHoleInTheRawBytesIsAHoleInTheExchange) {
    Session s;
    const std::string hello = record(22, 200), raw = record(23, 100);
    const std::string handshake = "hs";
    const tcpstate_tls_record hs[] = {decrypted(22, handshake)};
    s.feed(kClient, u8(hello), hello.size(), false, 1);
    s.feed(kServer, u8(raw), raw.size(), false, 2, hs, 1);
    const tcpstate_tls_record req[] = {decrypted(23, kUpgrade)};
    s.feed(kClient, u8(raw), raw.size(), false, 3, req, 1);
    const tcpstate_tls_record ans[] = {decrypted(23, k101)};
    EXPECT_EQ(s.feed(kServer, u8(raw), raw.size(), false, 4, ans, 1).upgrade, Upgrade::Accepted);
    // Server bytes lost: its Close could have been in them, so no abnormal-closure claim.
    EXPECT_TRUE(s.feed(kServer, u8(raw), raw.size(), true, 5).active);
    EXPECT_TRUE(s.on_tcp_close(kServer, false, 6).findings.empty());
}

}  // namespace
}  // namespace tcpstate::ws
