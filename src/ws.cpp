// WebSocket upgrade tag: see ws.hpp for the RFCs to read first and the observer limits.
#include "ws.hpp"

#include <glib.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace tcpstate::ws {

std::string_view to_string(Upgrade u) {
    switch (u) {
    case Upgrade::None: return "";
    case Upgrade::Request: return "request";
    case Upgrade::Accepted: return "accepted";
    case Upgrade::Rejected: return "rejected";
    case Upgrade::BadAccept: return "bad-accept";
    }
    return "";
}

std::string compute_accept(std::string_view key) {
    // RFC 6455 4.2.2 step 5.4: base64(SHA-1(key + GUID)); the key is taken as sent, not decoded.
    GChecksum* sha1 = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(sha1, reinterpret_cast<const guchar*>(key.data()), static_cast<gssize>(key.size()));
    g_checksum_update(sha1, reinterpret_cast<const guchar*>(kGuid.data()), static_cast<gssize>(kGuid.size()));
    std::array<guint8, 20> digest{};
    gsize digest_len = digest.size();
    g_checksum_get_digest(sha1, digest.data(), &digest_len);
    g_checksum_free(sha1);
    gchar* b64 = g_base64_encode(digest.data(), digest_len);
    std::string out(b64);
    g_free(b64);
    return out;
}

namespace {

constexpr bool is_b64(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

bool valid_key(std::string_view key) {
    // RFC 6455 4.1 item 7: "a randomly selected 16-byte value that has been base64-encoded": 22
    // characters of the alphabet and "==" (16 bytes = 128 bits; 22 * 6 = 132, the 4 spare bits are
    // not checked, as real servers decode leniently).
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    return std::all_of(key.begin(), key.begin() + 22, [](char c) { return is_b64(static_cast<unsigned char>(c)); });
}

// ---------------------------------------------------------------------------------------------------
// HTTP head parsing (RFC 9112), on a complete head ending in CRLF CRLF.

namespace {

constexpr std::string_view kCrlfCrlf = "\r\n\r\n";

// RFC 9110 5.6.2 tchar.
constexpr bool is_tchar(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
// RFC 9110 5.5 field-vchar (VCHAR / obs-text), plus SP and HTAB inside a value.
constexpr bool is_value_char(unsigned char c) { return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f); }
// RFC 9112 3.2 request-target (and the reason phrase): visible ASCII only for the target.
constexpr bool is_vchar(unsigned char c) { return c >= 0x21 && c <= 0x7e; }

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim_ows(std::string_view s) {  // RFC 9110 5.6.3 OWS = *( SP / HTAB )
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 9110 5.6.1: a comma-separated list, empty elements allowed, OWS around each; tokens compare
// case-insensitively (7.6.1 connection options, 7.8 protocol names). Whole elements, not substrings.
bool list_has_token(std::string_view list, std::string_view token) {
    while (true) {
        const std::size_t comma = list.find(',');
        if (iequals(trim_ows(list.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) return false;
        list.remove_prefix(comma + 1);
    }
}

// What one head says, as far as the upgrade is concerned. Views point into the head.
struct Head {
    bool ok = false;                 // well-formed per RFC 9112
    bool get_http11 = false;         // request line "GET <target> HTTP/1.1"
    int status = 0;                  // status line code (responses)
    bool upgrade_websocket = false;  // some Upgrade field lists "websocket"
    bool connection_upgrade = false; // some Connection field lists "upgrade"
    int key_count = 0;
    int version_count = 0;
    int accept_count = 0;
    std::string_view key, version, accept;  // first occurrence, OWS trimmed
};

// RFC 9112 3: request-line = method SP request-target SP HTTP-version
bool parse_request_line(std::string_view line, Head& h) {
    constexpr std::string_view kGet = "GET ";
    constexpr std::string_view kHttp11 = "HTTP/1.1";
    if (line.substr(0, kGet.size()) != kGet) return false;
    line.remove_prefix(kGet.size());
    const std::size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos) return false;
    if (!std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(sp),
                     [](char c) { return is_vchar(static_cast<unsigned char>(c)); }))
        return false;
    const std::string_view version = line.substr(sp + 1);
    if (version.size() != kHttp11.size() || version.substr(0, 7) != "HTTP/1." || version[7] < '0' || version[7] > '9')
        return false;
    h.get_http11 = version == kHttp11;
    return true;
}

// RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
// (a missing SP before an empty reason is tolerated, as clients do).
bool parse_status_line(std::string_view line, Head& h) {
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' || line[8] != ' ')
        return false;
    int code = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') return false;
        code = code * 10 + (line[i] - '0');
    }
    if (line.size() > 12 && line[12] != ' ') return false;
    if (!std::all_of(line.begin() + 12, line.end(), [](char c) { return is_value_char(static_cast<unsigned char>(c)); }))
        return false;
    h.status = code;
    return true;
}

// RFC 9112 5: field-line = field-name ":" OWS field-value OWS. No space before the colon (5.1),
// no obs-fold (5.2): both make the head malformed here.
bool parse_field_line(std::string_view line, Head& h) {
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); }))
        return false;
    const std::string_view raw = line.substr(colon + 1);
    if (!std::all_of(raw.begin(), raw.end(), [](char c) { return is_value_char(static_cast<unsigned char>(c)); }))
        return false;
    const std::string_view value = trim_ows(raw);
    auto single = [&value](int& count, std::string_view& first) {
        if (count++ == 0) first = value;
    };
    if (iequals(name, "upgrade")) {
        h.upgrade_websocket = h.upgrade_websocket || list_has_token(value, "websocket");
    } else if (iequals(name, "connection")) {
        h.connection_upgrade = h.connection_upgrade || list_has_token(value, "upgrade");
    } else if (iequals(name, "sec-websocket-key")) {
        single(h.key_count, h.key);
    } else if (iequals(name, "sec-websocket-version")) {
        single(h.version_count, h.version);
    } else if (iequals(name, "sec-websocket-accept")) {
        single(h.accept_count, h.accept);
    }
    return true;
}

// `head` runs from the start line through the blank line (it ends in CRLF CRLF).
Head parse_head(std::string_view head, bool request) {
    Head h;
    head.remove_suffix(2);  // the blank line's CRLF: every line now ends in CRLF
    bool first = true;
    while (!head.empty()) {
        const std::size_t eol = head.find("\r\n");
        const std::string_view line = head.substr(0, eol);
        head.remove_prefix(eol + 2);
        const bool ok = first ? (request ? parse_request_line(line, h) : parse_status_line(line, h))
                              : parse_field_line(line, h);
        if (!ok) return Head{};  // malformed (bad byte, bare CR or LF, obs-fold, ...): not HTTP for us
        first = false;
    }
    h.ok = true;
    return h;
}

// A cheap test before parse_head() of a request: whether a line starts with "upgrade:" in any case,
// i.e. whether the head can hold the Upgrade field that every WebSocket request needs
// (parse_field_line() compares the whole name, case-insensitively). Looks after every LF, so a
// false "yes" only costs the full parse; a "no" means the request is refused whatever else it says.
bool may_have_upgrade_field(std::string_view head) {
    constexpr std::string_view kName = "upgrade:";
    std::uint64_t want;
    std::memcpy(&want, kName.data(), 8);
    constexpr std::uint64_t kCase = 0x2020202020202020ull;  // letters to lower case; ':' has the bit
    const char* p = head.data();
    const char* const end = p + head.size();
    while (end - p >= 9) {
        const void* lf = std::memchr(p, '\n', static_cast<std::size_t>(end - p) - 8);
        if (!lf) return false;
        p = static_cast<const char*>(lf) + 1;
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        if ((w | kCase) == want) return true;
    }
    return false;
}

// End of the head (index just past CRLF CRLF) in p[0..n), searching from `from`; 0 if none.
std::size_t head_end(const std::uint8_t* p, std::size_t n, std::size_t from) {
    const std::string_view s(reinterpret_cast<const char*>(p), n);
    const std::size_t at = s.find(kCrlfCrlf, from);
    return at == std::string_view::npos ? 0 : at + kCrlfCrlf.size();
}

// head_end(p, n, 0) and, when that is not 0, may_have_upgrade_field() of the head p[0..end), in one
// pass: one memchr per line instead of two. Every CRLF CRLF has an LF second, so testing the bytes
// around each LF in order finds the first one. Every LF before it is followed by that head's bytes,
// and a line starting "upgrade:" (no CR or LF in those 8 bytes) cannot reach into the blank line,
// so an 8-byte test that fits in p[0..n) is the one may_have_upgrade_field() makes.
std::size_t request_head_end(const std::uint8_t* p, std::size_t n, bool& upgrade) {
    constexpr std::string_view kName = "upgrade:";
    std::uint64_t want;
    std::memcpy(&want, kName.data(), 8);
    constexpr std::uint64_t kCase = 0x2020202020202020ull;
    const char* const begin = reinterpret_cast<const char*>(p);
    const char* const end = begin + n;
    const char* q = begin;
    bool up = false;
    while (true) {
        const void* lf = std::memchr(q, '\n', static_cast<std::size_t>(end - q));
        if (!lf) return 0;
        const char* const l = static_cast<const char*>(lf);
        const std::ptrdiff_t after = end - l;  // bytes from the LF on
        if (after >= 3 && l > begin && l[-1] == '\r' && l[1] == '\r' && l[2] == '\n') {
            upgrade = up;
            return static_cast<std::size_t>(l + 3 - begin);
        }
        if (!up && after >= 9) {
            std::uint64_t w;
            std::memcpy(&w, l + 1, 8);
            up = (w | kCase) == want;
        }
        q = l + 1;
    }
}

// ---------------------------------------------------------------------------------------------------
// Frame walking (RFC 6455 5.2), one per direction.

struct WalkResult {
    std::int32_t close_code = -1;
    bool data_after_close = false;
};

struct Walker {
    std::uint64_t left = 0;                 // payload bytes of the current frame still to skip
    std::int32_t first_close = -1;          // status of the first Close frame (1005: none given)
    std::array<std::uint8_t, 14> hdr{};     // frame header being assembled (2 + 8 + 4 bytes at most)
    std::array<std::uint8_t, 4> mask{};     // masking key of the current frame (zeros when unmasked)
    std::array<std::uint8_t, 2> status{};   // first two payload bytes of a Close, unmasked
    std::uint8_t hdr_len = 0;
    std::uint8_t status_len = 0;
    bool in_close = false;                  // the current frame is a Close
    bool close_seen = false;                // this side sent a complete Close frame
    bool lost = false;                      // frame sync lost (gap): walk no more

    static std::size_t header_size(const std::array<std::uint8_t, 14>& h) {
        const unsigned len7 = h[1] & 0x7fu;
        std::size_t n = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
        return (h[1] & 0x80u) ? n + 4 : n;
    }

    void end_close(WalkResult& r) {
        // RFC 6455 5.5.1: a body starts with a 2-byte status; 7.4.1: 1005 stands for "none present".
        // (A 1-byte body is a protocol error; it carries no status either.)
        r.close_code = status_len == 2 ? (status[0] << 8 | status[1]) : kCloseNoStatus;
        if (!close_seen) first_close = r.close_code;
        close_seen = true;
        in_close = false;
    }

    void start_frame(WalkResult& r) {
        std::uint64_t len = hdr[1] & 0x7fu;
        std::size_t i = 2;
        if (len == 126) {
            len = std::uint64_t{hdr[2]} << 8 | hdr[3];
            i = 4;
        } else if (len == 127) {
            len = 0;
            for (i = 2; i < 10; ++i) len = len << 8 | hdr[i];
            if (len >> 63) {  // RFC 6455 5.2: "the most significant bit MUST be 0"; not a frame header
                lost = true;
                return;
            }
        }
        if (hdr[1] & 0x80u) std::copy_n(hdr.begin() + static_cast<std::ptrdiff_t>(i), 4, mask.begin());
        else mask.fill(0);
        hdr_len = 0;
        const unsigned opcode = hdr[0] & 0x0fu;
        // RFC 6455 5.5.1: "The application MUST NOT send any more data frames after sending a Close
        // frame." Data frames are continuation (0), text (1), binary (2).
        if (opcode <= 2 && close_seen) r.data_after_close = true;
        left = len;
        if (opcode == 8) {
            in_close = true;
            status_len = 0;
            if (len == 0) end_close(r);
        }
    }

    WalkResult walk(const std::uint8_t* p, std::size_t n) {
        WalkResult r;
        while (n > 0 && !lost) {
            if (left > 0) {  // inside a payload: skip it, keeping a Close's status bytes
                const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left, n));
                for (std::size_t k = 0; in_close && status_len < 2 && k < take; ++k, ++status_len)
                    status[status_len] = p[k] ^ mask[status_len];  // RFC 6455 5.3: byte i ^ key[i % 4]
                p += take;
                n -= take;
                left -= take;
                if (left == 0 && in_close) end_close(r);
                continue;
            }
            hdr[hdr_len++] = *p++;
            --n;
            if (hdr_len >= 2 && hdr_len == header_size(hdr)) start_frame(r);
        }
        return r;
    }
};

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Session

struct Session::Detail {
    std::string head;             // a head split over segments, until its blank line (freed after)
    std::string key;              // Sec-WebSocket-Key as seen
    std::string accept_seen;      // Sec-WebSocket-Accept as seen
    std::string accept_expected;  // compute_accept(key) when the key is valid
    std::string request_problem;
    std::string answer_problem;
    std::uint32_t request_frame = 0;
    std::uint32_t response_frame = 0;
    std::array<Walker, 2> walker{};  // [0] server to client, [1] client to server
    bool teardown_seen = false;      // a FIN or RST was seen while active
    bool abnormal_reported = false;
    bool client_first_reported = false;

    Walker& from(bool from_client) { return walker[from_client ? 1 : 0]; }
};

namespace {

enum class HeadState : std::uint8_t { Partial, Complete, TooLarge };
struct HeadStep {
    HeadState state = HeadState::Partial;
    std::string_view head;  // Complete: the head (in the chunk or in the buffer)
    std::size_t used = 0;   // bytes of the chunk that belong to the head
};

void append_problem(std::string& to, std::string_view what) {
    if (!to.empty()) to += "; ";
    to += what;
}

}  // namespace

Session::Session() noexcept = default;
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

// Offers a chunk to the head being assembled in this direction. Zero-copy when the buffer is empty
// and the chunk holds the whole head; else the bytes are copied, never more than kMaxHead in all.
// With `upgrade` (a request), a Complete step also sets *upgrade to may_have_upgrade_field(head).
static HeadStep take_head(std::unique_ptr<Session::Detail>& d, const std::uint8_t* data, std::size_t len,
                          bool* upgrade = nullptr) {
    HeadStep s;
    if (!d || d->head.empty()) {
        const std::size_t n = std::min(len, kMaxHead);
        const std::size_t end = upgrade ? request_head_end(data, n, *upgrade) : head_end(data, n, 0);
        if (end != 0) return {HeadState::Complete, {reinterpret_cast<const char*>(data), end}, end};
        if (len >= kMaxHead) return {HeadState::TooLarge, {}, 0};
        if (!d) d = std::make_unique<Session::Detail>();
        d->head.assign(reinterpret_cast<const char*>(data), len);
        s.used = len;
        return s;
    }
    std::string& buf = d->head;
    const std::size_t old = buf.size();
    const std::size_t take = std::min(len, kMaxHead - old);
    buf.append(reinterpret_cast<const char*>(data), take);
    const std::size_t end = head_end(reinterpret_cast<const std::uint8_t*>(buf.data()), buf.size(), old < 3 ? 0 : old - 3);
    if (end != 0) {
        const std::string_view head = std::string_view(buf).substr(0, end);
        if (upgrade) *upgrade = may_have_upgrade_field(head);
        return {HeadState::Complete, head, end - old};
    }
    if (buf.size() >= kMaxHead) return {HeadState::TooLarge, {}, 0};
    s.used = take;
    return s;
}

void Session::finish(bool keep_detail) {
    phase_ = Phase::Done;
    if (!keep_detail) d_.reset();
    else if (d_) std::string().swap(d_->head);
}

FeedResult Session::feed(bool from_client, const std::uint8_t* data, std::size_t len, bool gap, std::uint32_t frame) {
    if (len == 0 && !gap) {
        FeedResult r;
        r.active = phase_ == Phase::Active;
        return r;
    }
    switch (phase_) {
    case Phase::Done:
        return {};
    case Phase::Start:
        if (!from_client) {  // an HTTP server does not speak first: its bytes would spoil the answer
            server_spoke_ = true;
            return {};
        }
        if (gap) {  // the start of the client stream is missing: cannot tell a request
            finish(false);
            return {};
        }
        return feed_client_start(data, len, frame);
    case Phase::Request:
        if (!from_client) {
            server_spoke_ = true;
            return {};
        }
        if (gap) {  // a hole in the head: give up rather than misparse
            finish(false);
            return {};
        }
        return feed_request(data, len, frame);
    case Phase::Answer:
        if (from_client) {
            // RFC 6455 4.1: the client waits for the answer before sending more. Bytes here are not
            // known to be frames: do not walk the client direction.
            d_->from(true).lost = true;
            return {};
        }
        if (gap) {
            finish(true);
            return {};
        }
        return feed_answer(data, len, frame);
    case Phase::Active: {
        FeedResult r;
        r.active = true;
        Walker& w = d_->from(from_client);
        if (gap) w.lost = true;
        const WalkResult wr = w.walk(data, len);
        r.close_code = wr.close_code;
        if (wr.data_after_close) r.findings.add(Finding::WsDataAfterClose);
        return r;
    }
    }
    return {};
}

// Fast path: the client stream must start with "GET " (RFC 9112 3; the method is case-sensitive).
FeedResult Session::feed_client_start(const std::uint8_t* data, std::size_t len, std::uint32_t frame) {
    constexpr std::string_view kGet = "GET ";
    const std::size_t had = get_matched_;
    std::size_t i = 0;
    for (; i < len && get_matched_ < kGet.size(); ++i, ++get_matched_) {
        if (data[i] != static_cast<std::uint8_t>(kGet[get_matched_])) {
            finish(false);
            return {};
        }
    }
    if (get_matched_ < kGet.size()) return {};  // only a prefix so far
    phase_ = Phase::Request;
    if (had > 0) {  // the prefix came in earlier chunks: start the buffer with it
        d_ = std::make_unique<Detail>();
        d_->head.assign(kGet.substr(0, had));
    }
    return feed_request(data, len, frame);
}

FeedResult Session::feed_request(const std::uint8_t* data, std::size_t len, std::uint32_t frame) {
    FeedResult r;
    bool upgrade = false;
    const HeadStep s = take_head(d_, data, len, &upgrade);
    switch (s.state) {
    case HeadState::Partial:
        return r;
    case HeadState::TooLarge:
        r.findings.add(Finding::WsHeadTooLarge);
        finish(false);
        return r;
    case HeadState::Complete:
        break;
    }
    // A request without an Upgrade field is not an upgrade request: refused below without parsing.
    // (`upgrade` is may_have_upgrade_field(s.head), found by take_head() while it looked for the end.)
    if (!upgrade) {
        finish(false);
        return r;
    }
    const Head h = parse_head(s.head, true);
    // RFC 6455 4.1 items 1-6 (and 4.2.1): GET, HTTP/1.1, Upgrade lists websocket, Connection lists
    // upgrade. Anything else (plain GET, h2c, TLS/1.0, tcp) is not a WebSocket request.
    if (!h.ok || !h.get_http11 || !h.upgrade_websocket || !h.connection_upgrade) {
        finish(false);
        return r;
    }
    if (!d_) d_ = std::make_unique<Detail>();
    Detail& d = *d_;
    d.request_frame = frame;
    d.key.assign(h.key);
    // RFC 6455 4.1 item 7 (key) and item 9 (version 13); 11.3.1: the key appears once.
    if (h.key_count == 0) append_problem(d.request_problem, "Sec-WebSocket-Key missing");
    else if (h.key_count > 1) append_problem(d.request_problem, "Sec-WebSocket-Key repeated");
    else if (!valid_key(h.key)) append_problem(d.request_problem, "Sec-WebSocket-Key is not base64 of 16 bytes");
    if (h.version_count == 0) append_problem(d.request_problem, "Sec-WebSocket-Version missing");
    else if (h.version_count > 1 || h.version != "13") append_problem(d.request_problem, "Sec-WebSocket-Version is not 13");
    if (h.key_count == 1 && valid_key(h.key)) d.accept_expected = compute_accept(h.key);
    std::string().swap(d.head);  // head done: free the buffer (h's views point into it: unused below)

    r.upgrade = Upgrade::Request;
    if (!d.request_problem.empty()) r.findings.add(Finding::WsBadRequest);
    if (s.used < len) d.from(true).lost = true;  // bytes after the head, before any answer (see Answer)
    if (server_spoke_) finish(true);             // the answer's start is unknown: stop here
    else phase_ = Phase::Answer;
    return r;
}

FeedResult Session::feed_answer(const std::uint8_t* data, std::size_t len, std::uint32_t frame) {
    FeedResult r;
    Detail& d = *d_;
    while (true) {
        const HeadStep s = take_head(d_, data, len);
        switch (s.state) {
        case HeadState::Partial:
            return r;
        case HeadState::TooLarge:
            r.findings.add(Finding::WsHeadTooLarge);
            finish(true);
            return r;
        case HeadState::Complete:
            break;
        }
        const Head h = parse_head(s.head, false);
        if (!h.ok) {  // not an HTTP/1.x answer: nothing to say about the upgrade
            finish(true);
            return r;
        }
        data += s.used;
        len -= s.used;
        // RFC 9110 15.2: other 1xx answers are interim; the final answer follows.
        if (h.status >= 100 && h.status <= 199 && h.status != 101) {
            std::string().swap(d.head);
            if (len == 0) return r;
            continue;
        }
        d.response_frame = frame;
        d.accept_seen.assign(h.accept);
        std::string().swap(d.head);  // head done: free the buffer (h's views point into it: unused below)
        if (h.status != 101) {  // RFC 6455 4.1: "If the status code received from the server is not 101 ..."
            append_problem(d.answer_problem, "status " + std::to_string(h.status) + ", not 101");
            r.upgrade = Upgrade::Rejected;
            r.findings.add(Finding::WsRejected);
            finish(true);
            return r;
        }
        // RFC 6455 4.1, the client's checks of a 101: items 2 (Upgrade), 3 (Connection), 4 (Accept);
        // 11.3.3: Sec-WebSocket-Accept appears once.
        if (!h.upgrade_websocket) append_problem(d.answer_problem, "Upgrade does not list websocket");
        if (!h.connection_upgrade) append_problem(d.answer_problem, "Connection does not list upgrade");
        if (h.accept_count == 0) append_problem(d.answer_problem, "Sec-WebSocket-Accept missing");
        else if (h.accept_count > 1) append_problem(d.answer_problem, "Sec-WebSocket-Accept repeated");
        else if (d.accept_expected.empty()) append_problem(d.answer_problem, "no valid Sec-WebSocket-Key to check the Accept against");
        else if (d.accept_seen != d.accept_expected) append_problem(d.answer_problem, "Sec-WebSocket-Accept does not match the key");
        if (!d.answer_problem.empty()) {
            r.upgrade = Upgrade::BadAccept;
            r.findings.add(Finding::WsBadAccept);
            finish(true);
            return r;
        }
        r.upgrade = Upgrade::Accepted;
        r.active = true;
        phase_ = Phase::Active;
        // Bytes after the blank line are the server's first frames (RFC 6455 4.2.2 step 5 ends the
        // handshake; framing starts with the next byte).
        const WalkResult wr = d.from(false).walk(data, len);
        r.close_code = wr.close_code;
        if (wr.data_after_close) r.findings.add(Finding::WsDataAfterClose);
        return r;
    }
}

FeedResult Session::on_tcp_close(bool from_client, bool /*rst*/, std::uint32_t /*frame*/) {
    FeedResult r;
    if (phase_ != Phase::Active) return r;
    r.active = true;
    Detail& d = *d_;
    const bool first_teardown = !d.teardown_seen;
    d.teardown_seen = true;
    const Walker& sc = d.from(false);
    const Walker& cs = d.from(true);
    // RFC 6455 7.1.5: TCP closed with no Close frame: "_The WebSocket Connection Close Code_ is
    // considered to be 1006". Not said when a direction lost frame sync: the Close may be in the hole.
    if (!d.abnormal_reported && !sc.close_seen && !cs.close_seen && !sc.lost && !cs.lost) {
        d.abnormal_reported = true;
        r.findings.add(Finding::WsAbnormalClosure);
    }
    // RFC 6455 7.1.1: after the closing handshake "the server SHOULD close the underlying TCP
    // connection" first; the client waits for it (and MAY close after a timeout). A FIN or an RST.
    if (first_teardown && from_client && sc.close_seen && cs.close_seen && !d.client_first_reported) {
        d.client_first_reported = true;
        r.findings.add(Finding::WsClientClosedFirst);
    }
    return r;
}

std::string_view Session::key() const { return d_ ? std::string_view(d_->key) : std::string_view(); }
std::string_view Session::accept_seen() const { return d_ ? std::string_view(d_->accept_seen) : std::string_view(); }
std::string_view Session::accept_expected() const { return d_ ? std::string_view(d_->accept_expected) : std::string_view(); }
std::uint32_t Session::request_frame() const { return d_ ? d_->request_frame : 0; }
std::uint32_t Session::response_frame() const { return d_ ? d_->response_frame : 0; }
std::string_view Session::request_problem() const { return d_ ? std::string_view(d_->request_problem) : std::string_view(); }
std::string_view Session::answer_problem() const { return d_ ? std::string_view(d_->answer_problem) : std::string_view(); }
std::int32_t Session::close_code(bool from_client) const { return d_ ? d_->walker[from_client ? 1 : 0].first_close : -1; }

static_assert(sizeof(Session) <= 64, "an idle Session must stay small (issue 4)");

}  // namespace tcpstate::ws
