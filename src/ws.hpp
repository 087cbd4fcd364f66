// WebSocket upgrade tag (issues 4 and 16): follow the HTTP/1.1 exchange of a connection, request by
// request, until one upgrades to WebSocket (RFC 6455 opening handshake); check it, tell which
// segments belong to the WebSocket session, and check the close. The exchange is read from the TCP
// payload, or, on a TLS connection, from the records Wireshark decrypted (when it has the keys).
//
// Read first: RFC 6455 1.3 (handshake example), 4.1 (client request, client checks of the answer),
// 4.2.1/4.2.2 (server side, Sec-WebSocket-Accept), 5.2 (base framing), 5.5.1 (Close), 7.1.1 and 7.1.5
// (who closes TCP, code 1006), 7.4.1 (1005); RFC 9110 7.8 (Upgrade), 7.6.1 (Connection), 5.6.1 (lists),
// 8.6 (Content-Length), 15.2 (1xx); RFC 9112 2.2, 3, 4, 5 (message format), 6.1 (Transfer-Encoding),
// 6.3 (message body length), 7.1 (chunked), 9.3.2 (pipelining); RFC 8446 5.1 (TLS records).
//
// Shape (after h2o/picohttpparser): each direction is a stream of HTTP messages. A head is parsed
// in place, zero-copy when it arrives in one chunk; a head split over chunks is copied into one
// bounded buffer per direction (kMaxHead) until its blank line. A body is skipped by its framing
// (Content-Length, chunked, or until the connection closes) without being kept. Requests sent and
// not yet answered wait in a small queue (kMaxPending), so that each answer meets its request
// (a HEAD, a CONNECT, an upgrade). After the accepted 101 the frame walker keeps only frame headers
// (<= 14 bytes) and the first two bytes of a Close payload.
//
// Memory per connection, at most kMaxMemory (48 KiB): a Session of sizeof(Session) bytes (56), and
// only when needed a Detail holding at most 2 * kMaxHead bytes of head buffer (one per direction,
// freed when its head ends) and kMaxAttempts upgrade attempts of bounded size (key and accept kept
// up to kMaxShown bytes). An HTTP connection whose heads each arrive in one segment allocates
// nothing. memory() says what one holds.
//
// Observer limits (docs/model.md "be honest about the observer"):
// - A client stream must start with an HTTP/1.x request line (or a TLS record, then the decrypted
//   bytes must); a server that speaks before it was asked, an answer with no request waiting for it,
//   a malformed head or chunk, an invalid Content-Length, a head over kMaxHead, more than
//   kMaxPending requests waiting, more than kMaxAttempts upgrade attempts, a CONNECT tunnel, a 101
//   to anything but a WebSocket request, or a body read until the connection closes end the
//   examination of the connection (nothing is claimed after it).
// - A gap (missing bytes) in a direction ends that direction's HTTP framing; after the upgrade it
//   stops frame walking in that direction, and then the abnormal-closure note is not given (the
//   Close might have been in the missing bytes).
// - Client bytes after the upgrade request and before the 101 break RFC 6455 4.1 (the client waits
//   for the answer): frame walking in the client direction is not attempted then.
// - TLS: without decrypted records nothing is claimed: at most the ws_tls_not_examined note, on the
//   client segment carrying its first application_data record (RFC 8446 5.1), once.
#pragma once

#include "findings.hpp"
#include "tcpstate_core.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tcpstate::ws {

// Most bytes of one HTTP head (request line or status line through the blank line) buffered.
inline constexpr std::size_t kMaxHead = 16 * 1024;

// Longest method token taken as the start of an HTTP request (RFC 9110 9: the registered methods
// have at most 17 characters, e.g. VERSION-CONTROL).
inline constexpr std::size_t kMaxMethod = 24;
// Most requests sent and not yet answered (HTTP/1.1 pipelining, RFC 9112 9.3.2).
inline constexpr std::size_t kMaxPending = 32;
// Most WebSocket upgrade attempts (request and answer) kept per connection; a further one ends the
// examination.
inline constexpr std::size_t kMaxAttempts = 8;
// Most bytes of a Sec-WebSocket-Key or -Accept kept for display (the checks see the whole value).
inline constexpr std::size_t kMaxShown = 128;
// Most bytes one Session holds (memory()): two head buffers of kMaxHead, the rest well under 16 KiB
// (checked at compile time in ws.cpp, and by tests/unit/ws_http_test.cpp WsMemory).
inline constexpr std::size_t kMaxMemory = 2 * kMaxHead + 16 * 1024;

// RFC 6455 1.3: the GUID appended to the key before hashing.
inline constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// RFC 6455 7.4.1: "no status code was actually present" and "closed abnormally".
inline constexpr std::int32_t kCloseNoStatus = 1005;
inline constexpr std::int32_t kCloseAbnormal = 1006;

// RFC 8446 5.1 ContentType (the same values in TLS 1.2, RFC 5246 6.2.1; heartbeat RFC 6520).
inline constexpr std::uint8_t kTlsHandshake = 22;
inline constexpr std::uint8_t kTlsApplicationData = 23;

enum class Upgrade : std::uint8_t { None, Request, Accepted, Rejected, BadAccept };

// How the body after a head is framed (RFC 9112 6.3): none, Content-Length bytes, chunked, until the
// connection closes, a CONNECT tunnel (not HTTP any more), or not knowable (an invalid length, a
// request whose last transfer coding is not chunked).
enum class Body : std::uint8_t { None, Length, Chunked, UntilClose, Tunnel, Invalid };
std::string_view to_string(Upgrade);  // "", "request", "accepted", "rejected", "bad-accept"

struct FeedResult {
    Upgrade upgrade = Upgrade::None;  // set on the segment that completes the request head or the answer head
    bool active = false;              // segment belongs to the WebSocket session (from the accepted 101 on, both directions)
    std::int32_t close_code = -1;     // -1: no Close frame completed in this segment; 1005: Close without status
    FindingSet findings;

    FeedResult& operator|=(const FeedResult& later);  // two results of one segment, in order
};

// RFC 6455 4.2.2 step 5.4: base64(SHA-1(key + GUID)), with GLib's checksum and base64.
std::string compute_accept(std::string_view key);

// RFC 6455 4.1: the key is base64 of 16 bytes (24 characters ending in "==").
bool valid_key(std::string_view key);

// One WebSocket upgrade request and its answer.
struct Attempt {
    std::string key;              // Sec-WebSocket-Key as seen (first kMaxShown bytes)
    std::string accept_seen;      // Sec-WebSocket-Accept as seen (first kMaxShown bytes)
    std::string accept_expected;  // compute_accept(key) when the key is valid
    // What is wrong, for the expert info text ("" if nothing): of the request (WsBadRequest) and of
    // the answer (WsBadAccept / WsRejected), e.g. "Sec-WebSocket-Version is not 13".
    std::string request_problem;
    std::string answer_problem;
    std::uint32_t request_frame = 0;   // frame completing the upgrade request head
    std::uint32_t response_frame = 0;  // frame completing the answer head (0 = none yet)
};

class Session {  // one per TCP connection
public:
    Session() noexcept;
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // In-order new payload bytes of one direction (retransmitted bytes already dropped by the caller).
    // gap=true: bytes before this chunk are missing (loss, snaplen, out of order).
    // `decrypted`: the TLS records Wireshark decrypted that end in this segment, in stream order
    // (read only on a connection whose client stream starts with a TLS record).
    FeedResult feed(bool from_client, const std::uint8_t* data, std::size_t len, bool gap, std::uint32_t frame,
                    const tcpstate_tls_record* decrypted = nullptr, std::size_t decrypted_count = 0);
    // TCP FIN or RST sent by one side (called after feed() for the same segment's payload).
    FeedResult on_tcp_close(bool from_client, bool rst, std::uint32_t frame);

    bool active() const { return phase_ == Phase::Active; }
    // Nothing more to look at: Done is final, feed() and on_tcp_close() return an empty FeedResult
    // from then on and change nothing.
    bool done() const { return phase_ == Phase::Done; }
    bool tls() const { return tls_; }  // the client stream started with a TLS record

    // The upgrade attempt whose request head or answer head completed in `frame` (the last one if
    // several did), nullptr if none.
    const Attempt* attempt_at(std::uint32_t frame) const;
    // The latest upgrade attempt's facts ("" / 0 if there was none).
    std::string_view key() const;
    std::string_view accept_seen() const;
    std::string_view accept_expected() const;
    std::uint32_t request_frame() const;
    std::uint32_t response_frame() const;
    std::string_view request_problem() const;
    std::string_view answer_problem() const;
    // Close frames seen so far from one side; the status code of the first one (-1 if none).
    std::int32_t close_code(bool from_client) const;
    // Bytes this session holds, itself included.
    std::size_t memory() const;

    struct Detail;  // defined in ws.cpp

    // One direction's HTTP message framing (RFC 9112 6.3); defined in ws.cpp.
    struct Reader {
        std::uint64_t left = 0;      // body bytes (or chunk-data bytes) still to skip; chunk-size being read
        std::uint8_t part = 0;       // where in a message (ws.cpp Part)
        std::uint8_t chunk = 0;      // where in a chunked body (ws.cpp Chunk)
        bool start_checked = false;  // the buffered head's start line was found well-formed
    };

private:
    enum class Phase : std::uint8_t {
        Start,   // no byte of the HTTP exchange seen yet
        Http,    // HTTP/1.1 messages being framed, upgrade attempts checked
        Active,  // accepted: frames are walked
        Done,    // nothing more to look at (not HTTP, not WebSocket, refused, gave up)
    };
    enum class Pending : std::uint8_t { Other, Head, Connect, WebSocket };  // a request awaiting its answer

    FeedResult stream(bool from_client, const std::uint8_t* data, std::size_t len, bool gap, std::uint32_t frame);
    FeedResult http(bool from_client, const std::uint8_t* data, std::size_t len, std::uint32_t frame);
    std::size_t head(bool from_client, const std::uint8_t* data, std::size_t len, std::uint32_t frame, FeedResult& r);
    void request(std::string_view head, bool upgrade_line, bool framing_lines, std::uint32_t frame, FeedResult& r);
    void answer(std::string_view head, std::uint32_t frame, FeedResult& r);
    void answer_websocket(std::string_view head, std::uint32_t frame, FeedResult& r);
    void frame_body(bool from_client, Body body, std::uint64_t length);
    const Attempt* last_attempt() const;
    void walk_tls(const std::uint8_t* data, std::size_t len, FeedResult& r);
    void stop(bool from_client);
    void check_progress();
    void push_pending(Pending p);
    Pending front_pending() const;
    void pop_pending();
    bool waiting_websocket() const;
    Detail& detail();
    Reader& reader(bool from_client) { return rd_[from_client ? 1 : 0]; }
    void finish();

    std::unique_ptr<Detail> d_;      // allocated lazily: a head split over chunks, an upgrade, TLS
    Reader rd_[2]{};                 // [0] server to client, [1] client to server
    std::uint64_t pending_ = 0;      // requests awaiting an answer, 2 bits each (Pending), oldest lowest
    std::uint8_t pending_count_ = 0;
    Phase phase_ = Phase::Start;
    bool tls_ = false;               // HTTP is read from decrypted TLS records
    bool transport_known_ = false;   // the first client byte told plain from TLS
};

}  // namespace tcpstate::ws
