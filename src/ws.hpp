// WebSocket upgrade tag (issue 4): spot an RFC 6455 opening handshake in the TCP payload bytes of a
// connection, check it, tell which segments belong to the WebSocket session, and check the close.
//
// Read first: RFC 6455 1.3 (handshake example), 4.1 (client request, client checks of the answer),
// 4.2.1/4.2.2 (server side, Sec-WebSocket-Accept), 5.2 (base framing), 5.5.1 (Close), 7.1.1 and 7.1.5
// (who closes TCP, code 1006), 7.4.1 (1005); RFC 9110 7.8 (Upgrade), 7.6.1 (Connection), 5.6.1 (lists);
// RFC 9112 2.2, 3, 4, 5 (message format).
//
// Shape (after h2o/picohttpparser): the head parser works on a complete head in place, zero-copy when
// a head arrives in one segment; a head split over segments is copied into one bounded buffer
// (kMaxHead) until its blank line. The frame walker keeps only frame headers (<= 14 bytes) and the
// first two bytes of a Close payload.
//
// Cost: a Session is 16 bytes until a client stream starts with "GET " and only allocates when the
// head is split over segments or the request is a WebSocket upgrade request. Any other client stream
// is dropped on its first byte that differs from "GET ".
//
// Observer limits (docs/model.md "be honest about the observer"):
// - Only the first request of a connection is examined (finding a later request would need HTTP
//   body framing). HTTP/2, TLS and anything not starting with "GET " are never WebSocket here.
// - A gap (missing bytes) while a head is assembled abandons the connection; a gap after the
//   upgrade stops frame walking in that direction, and then the abnormal-closure note is not given
//   (the Close might have been in the missing bytes).
// - Client bytes after the request head and before the 101 break RFC 6455 4.1 (the client waits for
//   the answer): frame walking in the client direction is not attempted then.
#pragma once

#include "findings.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tcpstate::ws {

// Most bytes of one HTTP head (request line or status line through the blank line) buffered.
inline constexpr std::size_t kMaxHead = 16 * 1024;

// RFC 6455 1.3: the GUID appended to the key before hashing.
inline constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// RFC 6455 7.4.1: "no status code was actually present" and "closed abnormally".
inline constexpr std::int32_t kCloseNoStatus = 1005;
inline constexpr std::int32_t kCloseAbnormal = 1006;

enum class Upgrade : std::uint8_t { None, Request, Accepted, Rejected, BadAccept };
std::string_view to_string(Upgrade);  // "", "request", "accepted", "rejected", "bad-accept"

struct FeedResult {
    Upgrade upgrade = Upgrade::None;  // set on the segment that completes the request head or the answer head
    bool active = false;              // segment belongs to the WebSocket session (from the accepted 101 on, both directions)
    std::int32_t close_code = -1;     // -1: no Close frame completed in this segment; 1005: Close without status
    FindingSet findings;
};

// RFC 6455 4.2.2 step 5.4: base64(SHA-1(key + GUID)), with GLib's checksum and base64.
std::string compute_accept(std::string_view key);

// RFC 6455 4.1: the key is base64 of 16 bytes (24 characters ending in "==").
bool valid_key(std::string_view key);

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
    FeedResult feed(bool from_client, const std::uint8_t* data, std::size_t len, bool gap, std::uint32_t frame);
    // TCP FIN or RST sent by one side (called after feed() for the same segment's payload).
    FeedResult on_tcp_close(bool from_client, bool rst, std::uint32_t frame);

    bool active() const { return phase_ == Phase::Active; }
    // Nothing more to look at: Done is final, feed() and on_tcp_close() return an empty FeedResult
    // from then on and change nothing.
    bool done() const { return phase_ == Phase::Done; }
    std::string_view key() const;              // Sec-WebSocket-Key as seen ("" if none)
    std::string_view accept_seen() const;      // Sec-WebSocket-Accept as seen ("" if none)
    std::string_view accept_expected() const;  // compute_accept(key) ("" if no valid key)
    std::uint32_t request_frame() const;       // frame completing the upgrade request head (0 = none)
    std::uint32_t response_frame() const;      // frame completing the answer head (0 = none)
    // What is wrong, for the expert info text ("" if nothing): of the request (WsBadRequest) and of
    // the answer (WsBadAccept / WsRejected), e.g. "Sec-WebSocket-Version is not 13".
    std::string_view request_problem() const;
    std::string_view answer_problem() const;
    // Close frames seen so far from one side; the status code of the first one (-1 if none).
    std::int32_t close_code(bool from_client) const;

    struct Detail;  // defined in ws.cpp

private:
    enum class Phase : std::uint8_t {
        Start,    // client stream not seen yet, or only a prefix of "GET "
        Request,  // client head being assembled
        Answer,   // upgrade request seen; server head awaited or being assembled
        Active,   // accepted: frames are walked
        Done,     // nothing more to look at (not HTTP, not WebSocket, refused, gave up)
    };
    FeedResult feed_client_start(const std::uint8_t* data, std::size_t len, std::uint32_t frame);
    FeedResult feed_request(const std::uint8_t* data, std::size_t len, std::uint32_t frame);
    FeedResult feed_answer(const std::uint8_t* data, std::size_t len, std::uint32_t frame);
    void finish(bool keep_detail);

    std::unique_ptr<Detail> d_;      // allocated lazily (see the cost note above)
    Phase phase_ = Phase::Start;
    std::uint8_t get_matched_ = 0;   // bytes of "GET " seen at the start of the client stream
    bool server_spoke_ = false;      // server bytes before the request head was complete
};

}  // namespace tcpstate::ws
