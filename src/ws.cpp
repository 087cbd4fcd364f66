// WebSocket upgrade tag: see ws.hpp for the RFCs to read first, the memory bound and the observer limits.
#include "ws.hpp"

#include <glib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <span>
#include <vector>

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

FeedResult& FeedResult::operator|=(const FeedResult& later) {
    if (later.upgrade != Upgrade::None) upgrade = later.upgrade;
    active = active || later.active;
    if (later.close_code >= 0) close_code = later.close_code;
    findings |= later.findings;
    return *this;
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

// RFC 9110 5.6.2 tchar, as a table (every head's method is checked with it).
constexpr std::array<bool, 256> kTchar = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    return t;
}();
// Character classes as function objects, so that all_of() below inlines them.
constexpr auto is_tchar = [](unsigned char c) { return kTchar[c]; };
// RFC 9110 5.5 field-vchar (VCHAR / obs-text), plus SP and HTAB inside a value.
constexpr auto is_value_char = [](unsigned char c) { return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f); };
// RFC 9112 3.2 request-target (and the reason phrase): visible ASCII only for the target.
constexpr auto is_vchar = [](unsigned char c) { return c >= 0x21 && c <= 0x7e; };

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// Whether `s` starts with `name` (lower case) in any case.
inline bool starts_with_lower(std::string_view s, std::string_view name) {
    if (s.size() < name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (lower(s[i]) != name[i]) return false;
    return true;
}

template <typename Pred>
bool all_of(std::string_view s, Pred pred) {
    return std::all_of(s.begin(), s.end(), [&pred](char c) { return pred(static_cast<unsigned char>(c)); });
}

std::string_view trim_ows(std::string_view s) {  // RFC 9110 5.6.3 OWS = *( SP / HTAB )
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 9110 5.6.1: a comma-separated list, empty elements allowed, OWS around each. Calls
// f(element) for each non-empty element, trimmed, in order, until f returns false.
template <typename F>
void for_each_element(std::string_view list, F f) {
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view e = trim_ows(list.substr(0, comma));
        if (!e.empty() && !f(e)) return;
        if (comma == std::string_view::npos) return;
        list.remove_prefix(comma + 1);
    }
}

// Tokens compare case-insensitively (RFC 9110 7.6.1 connection options, 7.8 protocol names).
// Whole elements, not substrings.
bool list_has_token(std::string_view list, std::string_view token) {
    bool found = false;
    for_each_element(list, [&](std::string_view e) { return !(found = iequals(e, token)); });
    return found;
}

enum class Method : std::uint8_t { Other, Get, Head, Connect };
enum class LengthField : std::uint8_t { Absent, Valid, Invalid };

// What one head says, as far as message framing and the upgrade are concerned. Views point into the head.
struct Head {
    bool ok = false;                 // well-formed per RFC 9112 (the fields below that matter, all of it when strict)
    Method method = Method::Other;   // requests
    bool http11 = false;             // HTTP-version is HTTP/1.1
    int status = 0;                  // responses
    bool upgrade_websocket = false;  // some Upgrade field lists "websocket"
    bool connection_upgrade = false; // some Connection field lists "upgrade"
    int key_count = 0;
    int version_count = 0;
    int accept_count = 0;
    std::string_view key, version, accept;  // first occurrence, OWS trimmed
    // RFC 9112 6.3 framing
    LengthField length_field = LengthField::Absent;
    std::uint64_t length = 0;        // Content-Length when Valid
    bool transfer_encoding = false;  // some Transfer-Encoding field
    bool chunked_last = false;       // the last transfer coding listed is chunked (RFC 9112 6.1, 7)
};

// RFC 9112 2.3: HTTP-version = "HTTP/1." DIGIT for the HTTP/1.x framing this reads.
bool http1_version(std::string_view v) {
    return v.size() == 8 && v.substr(0, 7) == "HTTP/1." && v[7] >= '0' && v[7] <= '9';
}

// RFC 9112 3: request-line = method SP request-target SP HTTP-version; method = token (9110 9.1).
bool parse_request_line(std::string_view line, Head& h) {
    const std::size_t sp1 = line.find(' ');
    if (sp1 == 0 || sp1 == std::string_view::npos) return false;
    const std::string_view method = line.substr(0, sp1);
    if (!all_of(method, is_tchar)) return false;
    line.remove_prefix(sp1 + 1);
    const std::size_t sp2 = line.find(' ');
    if (sp2 == 0 || sp2 == std::string_view::npos) return false;
    if (!all_of(line.substr(0, sp2), is_vchar)) return false;
    const std::string_view version = line.substr(sp2 + 1);
    if (!http1_version(version)) return false;
    // Methods are case-sensitive (RFC 9110 9.1).
    h.method = method == "GET" ? Method::Get : method == "HEAD" ? Method::Head : method == "CONNECT" ? Method::Connect : Method::Other;
    h.http11 = version == "HTTP/1.1";
    return true;
}

// RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
// (a missing SP before an empty reason is tolerated, as clients do).
bool parse_status_line(std::string_view line, Head& h) {
    if (line.size() < 12 || !http1_version(line.substr(0, 8)) || line[8] != ' ') return false;
    int code = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') return false;
        code = code * 10 + (line[i] - '0');
    }
    if (line.size() > 12 && line[12] != ' ') return false;
    if (!all_of(line.substr(12), is_value_char)) return false;
    h.status = code;
    return true;
}

// RFC 9110 8.6: Content-Length = 1*DIGIT. A list of one repeated value (or the field repeated with
// it) is taken as that value; anything else (another value, an empty element, not digits, over 2^60)
// is invalid (RFC 9112 6.3 item 5).
void content_length(std::string_view value, Head& h) {
    constexpr std::uint64_t kMaxLength = std::uint64_t{1} << 60;
    while (h.length_field != LengthField::Invalid) {
        const std::size_t comma = value.find(',');
        const std::string_view e = trim_ows(value.substr(0, comma));
        std::uint64_t n = 0;
        bool ok = !e.empty();
        for (std::size_t i = 0; ok && i < e.size(); ++i) {
            ok = e[i] >= '0' && e[i] <= '9' && n <= kMaxLength / 10;
            n = n * 10 + static_cast<unsigned>(e[i] - '0');
        }
        if (!ok || (h.length_field == LengthField::Valid && n != h.length)) {
            h.length_field = LengthField::Invalid;
            return;
        }
        h.length_field = LengthField::Valid;
        h.length = n;
        if (comma == std::string_view::npos) return;
        value.remove_prefix(comma + 1);
    }
}

// RFC 9112 6.1: Transfer-Encoding = #transfer-coding; what counts is whether the last one is chunked.
void transfer_encoding(std::string_view value, Head& h) {
    h.transfer_encoding = true;
    for_each_element(value, [&](std::string_view e) {
        const std::string_view name = trim_ows(e.substr(0, e.find(';')));  // transfer-parameters follow ';'
        h.chunked_last = iequals(name, "chunked");
        return true;
    });
}

// The fields that matter to the framing or to the upgrade (RFC 9112 6.1, 6.3; RFC 6455 4.1, 4.2.2).
enum class Field : std::uint8_t { Other, Upgrade, Connection, ContentLength, TransferEncoding, Key, Version, Accept };

struct FieldMatch {
    Field field = Field::Other;
    std::size_t name_len = 0;
    bool space_before_colon = false;  // the name, then whitespace (RFC 9112 5.1: malformed)
};

// Which of the fields that matter `line` (non-empty) holds: its name, in any case, then the colon.
// Told apart by the first letter, so that any other line costs one comparison.
FieldMatch match_field(std::string_view line) {
    struct Name {
        std::string_view name;
        Field field;
    };
    static constexpr Name kC[] = {{"connection", Field::Connection}, {"content-length", Field::ContentLength}};
    static constexpr Name kS[] = {{"sec-websocket-key", Field::Key},
                                  {"sec-websocket-version", Field::Version},
                                  {"sec-websocket-accept", Field::Accept}};
    static constexpr Name kT[] = {{"transfer-encoding", Field::TransferEncoding}};
    static constexpr Name kU[] = {{"upgrade", Field::Upgrade}};
    std::span<const Name> names;
    switch (lower(line[0])) {
    case 'c': names = kC; break;
    case 's': names = kS; break;
    case 't': names = kT; break;
    case 'u': names = kU; break;
    default: return {};
    }
    for (const Name& n : names) {
        if (line.size() <= n.name.size() || !starts_with_lower(line, n.name)) continue;
        const char next = line[n.name.size()];
        if (next == ':') return {n.field, n.name.size(), false};
        if (next == ' ' || next == '\t') return {Field::Other, 0, true};
    }
    return {};
}

// RFC 9112 5: field-line = field-name ":" OWS field-value OWS. No space before the colon (5.1),
// no obs-fold (5.2): both make the head malformed here. Not strict: a field that matters neither to
// the framing nor to the upgrade is not looked at.
bool parse_field_line(std::string_view line, Head& h, bool strict) {
    const FieldMatch m = match_field(line);
    if (m.space_before_colon) return false;
    if (m.field == Field::Other) {
        if (!strict) return true;
        const std::size_t colon = line.find(':');
        // A token name (no whitespace before the colon either: SP is no tchar), then field-vchars.
        return colon != 0 && colon != std::string_view::npos && all_of(line.substr(0, colon), is_tchar) &&
               all_of(line.substr(colon + 1), is_value_char);
    }
    const std::string_view raw = line.substr(m.name_len + 1);
    if (!all_of(raw, is_value_char)) return false;
    const std::string_view value = trim_ows(raw);
    auto single = [&value](int& count, std::string_view& first_value) {
        if (count++ == 0) first_value = value;
    };
    switch (m.field) {
    case Field::Other: break;
    case Field::Upgrade: h.upgrade_websocket = h.upgrade_websocket || list_has_token(value, "websocket"); break;
    case Field::Connection: h.connection_upgrade = h.connection_upgrade || list_has_token(value, "upgrade"); break;
    case Field::ContentLength: content_length(value, h); break;
    case Field::TransferEncoding: transfer_encoding(value, h); break;
    case Field::Key: single(h.key_count, h.key); break;
    case Field::Version: single(h.version_count, h.version); break;
    case Field::Accept: single(h.accept_count, h.accept); break;
    }
    return true;
}

// `head` runs from the start line through the blank line (it ends in CRLF CRLF). Every line must end
// in CRLF: an LF without CR makes the head malformed (RFC 9112 2.2), so does, when strict, a bare CR
// or any other byte a field may not hold.
Head parse_head(std::string_view head, bool request, bool strict) {
    Head h;
    const char* p = head.data();
    const char* const end = p + head.size() - 2;  // the blank line's CRLF: every line before ends in CRLF
    bool first = true;
    while (p < end) {
        const char* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (!lf || lf == p || lf[-1] != '\r') return Head{};
        const std::string_view line(p, static_cast<std::size_t>(lf - 1 - p));
        p = lf + 1;
        const bool ok = first ? (request ? parse_request_line(line, h) : parse_status_line(line, h))
                              : parse_field_line(line, h, strict);
        if (!ok) return Head{};  // malformed (bad byte, bare CR or LF, obs-fold, ...): not HTTP for us
        first = false;
    }
    h.ok = true;
    return h;
}

// The start line at the front of `buffered` (a head, or the first bytes of one): Incomplete before
// its LF, Bad when malformed (also an LF without CR), Ok with what it says in `h`. Lets a stream
// that is not HTTP be dropped at its first line rather than after kMaxHead bytes, and a request
// head without the fields that matter be read from its request line alone.
enum class StartLine : std::uint8_t { Incomplete, Ok, Bad };
StartLine check_start_line(std::string_view buffered, bool request, Head& h) {
    const std::size_t lf = buffered.find('\n');
    if (lf == std::string_view::npos) return StartLine::Incomplete;
    if (lf == 0 || buffered[lf - 1] != '\r') return StartLine::Bad;
    const std::string_view line = buffered.substr(0, lf - 1);
    return (request ? parse_request_line(line, h) : parse_status_line(line, h)) ? StartLine::Ok : StartLine::Bad;
}

// What the field lines of a request head may hold, from a cheap test of each line's first 8 bytes
// (in any case) before any parse: a line starting "upgrade:" (every WebSocket request needs that
// field), or "content-" / "transfer" (Content-Length, Transfer-Encoding: a body). A false "yes"
// only costs the full parse; "no" to both means the request has no body (RFC 9112 6.3 item 7) and
// is no upgrade request, so its request line is all that matters.
struct RequestLines {
    bool upgrade = false;
    bool framing = false;
};

struct LineStarts {
    // Eight bytes as a word, in memory order (the compiler folds it for a literal).
    static std::uint64_t word(const char* p) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        return w;
    }
    // Tests the 8 bytes at `line` (the caller checked they are there).
    static void test(const char* line, RequestLines& r) {
        constexpr std::uint64_t kCase = 0x2020202020202020ull;  // letters to lower case; ':' and '-' have the bit
        const std::uint64_t w = word(line) | kCase;
        r.upgrade = r.upgrade || w == word("upgrade:");
        r.framing = r.framing || w == word("content-") || w == word("transfer");
    }
};

// The same test on a whole head (a head assembled from several chunks).
RequestLines request_lines(std::string_view head) {
    RequestLines r;
    const char* p = head.data();
    const char* const end = p + head.size();
    while (end - p >= 9) {
        const void* lf = std::memchr(p, '\n', static_cast<std::size_t>(end - p) - 8);
        if (!lf) break;
        p = static_cast<const char*>(lf) + 1;
        LineStarts::test(p, r);
    }
    return r;
}

// End of the head (index just past CRLF CRLF) in p[0..n), searching from `from`; 0 if none.
std::size_t head_end(const std::uint8_t* p, std::size_t n, std::size_t from) {
    const std::string_view s(reinterpret_cast<const char*>(p), n);
    const std::size_t at = s.find(kCrlfCrlf, from);
    return at == std::string_view::npos ? 0 : at + kCrlfCrlf.size();
}

// head_end(p, n, 0) and, when that is not 0, request_lines() of the head p[0..end), in one pass:
// one memchr per line instead of two. Every CRLF CRLF has an LF second, so testing the bytes around
// each LF in order finds the first one. Every LF before it is followed by that head's bytes, and a
// line start matching one of the 8-byte words (no CR or LF in them) cannot reach into the blank
// line, so an 8-byte test that fits in p[0..n) is the one request_lines() makes.
std::size_t request_head_end(const std::uint8_t* p, std::size_t n, RequestLines& lines) {
    const char* const begin = reinterpret_cast<const char*>(p);
    const char* const end = begin + n;
    const char* q = begin;
    RequestLines r;
    while (true) {
        const void* lf = std::memchr(q, '\n', static_cast<std::size_t>(end - q));
        if (!lf) return 0;
        const char* const l = static_cast<const char*>(lf);
        const std::ptrdiff_t after = end - l;  // bytes from the LF on
        if (after >= 3 && l > begin && l[-1] == '\r' && l[1] == '\r' && l[2] == '\n') {
            lines = r;
            return static_cast<std::size_t>(l + 3 - begin);
        }
        if (after >= 9) LineStarts::test(l + 1, r);
        q = l + 1;
    }
}

// ---------------------------------------------------------------------------------------------------
// Message bodies (RFC 9112 6.3, 7.1)

// Where a Reader is in its direction's stream of messages.
enum class Part : std::uint8_t {
    Head,        // between messages or inside a head
    Length,      // a body of Content-Length bytes (Reader::left still to come)
    Chunked,     // a chunked body (Reader::chunk says where)
    UntilClose,  // a body that ends when the connection closes: nothing follows it
    Stopped,     // framing lost: this direction is read no more
};

// RFC 9112 7.1: chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*"0" [ chunk-ext ] CRLF
enum class Chunk : std::uint8_t {
    SizeStart,     // first HEXDIG of a chunk-size
    Size,          // more HEXDIG, or what follows the size
    Ext,           // chunk-ext up to CR
    SizeLf,        // LF ending the chunk-size line
    Data,          // chunk-data (Reader::left bytes)
    DataCr,        // CRLF after the chunk-data
    DataLf,
    TrailerStart,  // start of a trailer field line, or of the final CRLF
    Trailer,       // inside a trailer field line
    TrailerLf,
    EndLf,         // LF of the final CRLF
};

struct ChunkStep {
    std::size_t used = 0;
    bool done = false;  // the chunked body ended (used bytes include its final CRLF)
    bool bad = false;   // not a chunked body
};

int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Walks a chunked body, keeping only the state in `rd` (no byte is buffered).
ChunkStep walk_chunked(Session::Reader& rd, const std::uint8_t* p, std::size_t n) {
    ChunkStep s;
    std::size_t i = 0;
    auto state = [&rd] { return static_cast<Chunk>(rd.chunk); };
    auto go = [&rd](Chunk c) { rd.chunk = static_cast<std::uint8_t>(c); };
    while (i < n) {
        const unsigned char c = p[i];
        switch (state()) {
        case Chunk::SizeStart:
        case Chunk::Size: {
            const int v = hex_value(c);
            if (v < 0) {
                if (state() == Chunk::SizeStart) return {i, false, true};
                go(Chunk::Ext);  // this byte is looked at again as the extension's
                continue;
            }
            if (rd.left >> 56) return {i, false, true};  // a chunk of 2^60 bytes or more: not believable
            rd.left = rd.left * 16 + static_cast<unsigned>(v);
            go(Chunk::Size);
            ++i;
            break;
        }
        case Chunk::Ext:  // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): skipped to its CR
            if (c == '\r') go(Chunk::SizeLf);
            else if (c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f) return {i, false, true};
            ++i;
            break;
        case Chunk::SizeLf:
            if (c != '\n') return {i, false, true};
            go(rd.left == 0 ? Chunk::TrailerStart : Chunk::Data);
            ++i;
            break;
        case Chunk::Data: {
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(rd.left, n - i));
            rd.left -= take;
            i += take;
            if (rd.left == 0) go(Chunk::DataCr);
            break;
        }
        case Chunk::DataCr:
            if (c != '\r') return {i, false, true};
            go(Chunk::DataLf);
            ++i;
            break;
        case Chunk::DataLf:
            if (c != '\n') return {i, false, true};
            go(Chunk::SizeStart);
            ++i;
            break;
        case Chunk::TrailerStart:
            if (c == '\n') return {i, false, true};
            go(c == '\r' ? Chunk::EndLf : Chunk::Trailer);
            ++i;
            break;
        case Chunk::Trailer:
            if (c == '\r') go(Chunk::TrailerLf);
            else if (c == '\n') return {i, false, true};
            ++i;
            break;
        case Chunk::TrailerLf:
            if (c != '\n') return {i, false, true};
            go(Chunk::TrailerStart);
            ++i;
            break;
        case Chunk::EndLf:
            if (c != '\n') return {i, false, true};
            return {i + 1, true, false};
        }
    }
    s.used = n;
    return s;
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

// ---------------------------------------------------------------------------------------------------
// TLS record headers of the raw client stream (RFC 8446 5.1: type, legacy version, length), walked
// only to find its first application_data record when nothing was decrypted.

struct TlsWalker {
    std::uint32_t left = 0;            // bytes of the current record's fragment still to skip
    std::array<std::uint8_t, 5> hdr{};
    std::uint8_t hdr_len = 0;
    bool lost = false;                 // not TLS records (or out of step after a gap): walk no more

    // Returns true when a record header of `type` completes in these bytes.
    bool walk(const std::uint8_t* p, std::size_t n, std::uint8_t type) {
        bool seen = false;
        while (n > 0 && !lost) {
            if (left > 0) {
                const std::size_t take = std::min<std::size_t>(left, n);
                left -= static_cast<std::uint32_t>(take);
                p += take;
                n -= take;
                continue;
            }
            hdr[hdr_len++] = *p++;
            --n;
            if (hdr_len < hdr.size()) continue;
            hdr_len = 0;
            left = std::uint32_t{hdr[3]} << 8 | hdr[4];
            // ContentType 20-24 (change_cipher_spec, alert, handshake, application_data, heartbeat),
            // legacy_record_version 3.x, and at most 2^14 + 2048 bytes (RFC 5246 6.2.3; 8446 5.2 allows 2^14 + 256).
            if (hdr[0] < 20 || hdr[0] > 24 || hdr[1] != 3 || left > (1u << 14) + 2048) {
                lost = true;
                break;
            }
            seen = seen || hdr[0] == type;
        }
        return seen;
    }
};

void append_problem(std::string& to, std::string_view what) {
    if (!to.empty()) to += "; ";
    to += what;
}

std::string shown(std::string_view value) { return std::string(value.substr(0, kMaxShown)); }

std::size_t heap_bytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Session

struct Session::Detail {
    std::array<std::string, 2> head;  // a head split over chunks, per direction, until its blank line (freed after)
    std::vector<Attempt> attempts;    // at most kMaxAttempts
    std::size_t answered = 0;         // attempts[answered] is the next one to be answered
    std::array<Walker, 2> walker{};   // [0] server to client, [1] client to server
    TlsWalker tls;                    // the raw client stream's records (TLS connections)
    bool decrypted_seen = false;      // Wireshark decrypted a record of this connection
    bool tls_noted = false;           // ws_tls_not_examined given
    bool teardown_seen = false;       // a FIN or RST was seen while active
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

// Appends to a head buffer (buf.size() + n <= kMaxHead) whose capacity never grows past kMaxHead:
// capacities are powers of two, each at least twice the last, which std::string takes as asked.
static_assert(std::has_single_bit(kMaxHead));
void append_bounded(std::string& buf, const std::uint8_t* data, std::size_t n) {
    if (buf.size() + n > buf.capacity()) buf.reserve(std::bit_ceil(std::max<std::size_t>(buf.size() + n, 32)));
    buf.append(reinterpret_cast<const char*>(data), n);
}

// Offers a chunk to the head being assembled in one direction. Zero-copy when nothing is buffered
// and the chunk holds the whole head; else the bytes are copied into the buffer `get()` returns
// (created on first use), never more than kMaxHead in all. With `lines` (a request), a Complete
// step also sets *lines to request_lines(head).
template <typename GetBuffer>
HeadStep take_head(std::string* buf, GetBuffer get, const std::uint8_t* data, std::size_t len, RequestLines* lines) {
    HeadStep s;
    if (!buf || buf->empty()) {
        const std::size_t n = std::min(len, kMaxHead);
        const std::size_t end = lines ? request_head_end(data, n, *lines) : head_end(data, n, 0);
        if (end != 0) return {HeadState::Complete, {reinterpret_cast<const char*>(data), end}, end};
        if (len >= kMaxHead) return {HeadState::TooLarge, {}, 0};
        append_bounded(get(), data, len);
        s.used = len;
        return s;
    }
    const std::size_t old = buf->size();
    const std::size_t take = std::min(len, kMaxHead - old);
    append_bounded(*buf, data, take);
    const std::size_t end = head_end(reinterpret_cast<const std::uint8_t*>(buf->data()), buf->size(), old < 3 ? 0 : old - 3);
    if (end != 0) {
        const std::string_view head = std::string_view(*buf).substr(0, end);
        if (lines) *lines = request_lines(head);
        return {HeadState::Complete, head, end - old};
    }
    if (buf->size() >= kMaxHead) return {HeadState::TooLarge, {}, 0};
    s.used = take;
    return s;
}

void free_string(std::string& s) { std::string().swap(s); }

}  // namespace

Session::Session() noexcept = default;
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

Session::Detail& Session::detail() {
    if (!d_) d_ = std::make_unique<Detail>();
    return *d_;
}

void Session::finish() {
    phase_ = Phase::Done;
    if (!d_) return;
    if (d_->attempts.empty()) {
        d_.reset();
        return;
    }
    for (std::string& h : d_->head) free_string(h);
}

// ---- the queue of requests awaiting an answer (2 bits each, oldest in the low bits)

void Session::push_pending(Pending p) {
    pending_ |= std::uint64_t{static_cast<std::uint8_t>(p)} << (2 * pending_count_);
    ++pending_count_;
}
Session::Pending Session::front_pending() const { return static_cast<Pending>(pending_ & 3u); }
void Session::pop_pending() {
    pending_ >>= 2;
    --pending_count_;
}
bool Session::waiting_websocket() const {
    for (unsigned i = 0; i < pending_count_; ++i)
        if (static_cast<Pending>((pending_ >> (2 * i)) & 3u) == Pending::WebSocket) return true;
    return false;
}

// ---- framing lost in one direction

void Session::stop(bool from_client) {
    reader(from_client).part = static_cast<std::uint8_t>(Part::Stopped);
    if (d_) free_string(d_->head[from_client ? 1 : 0]);
    check_progress();
}

// Nothing more can be learnt when no answer can be read any more, or no request can be read and no
// upgrade request still awaits its answer.
void Session::check_progress() {
    if (phase_ != Phase::Http) return;
    if (static_cast<Part>(rd_[0].part) == Part::Stopped ||
        (static_cast<Part>(rd_[1].part) == Part::Stopped && !waiting_websocket()))
        finish();
}

// ---- feeding

FeedResult Session::feed(bool from_client, const std::uint8_t* data, std::size_t len, bool gap, std::uint32_t frame,
                         const tcpstate_tls_record* decrypted, std::size_t decrypted_count) {
    if (phase_ == Phase::Done) return {};
    if (len == 0 && !gap && decrypted_count == 0) {
        FeedResult r;
        r.active = active();
        return r;
    }
    if (!transport_known_) {
        // An HTTP (or TLS) server does not speak first, and without the stream's start nothing can be told.
        if (!from_client || gap || len == 0) {
            finish();
            return {};
        }
        transport_known_ = true;
        tls_ = data[0] == kTlsHandshake;  // RFC 8446 5.1: a TLS client starts with a handshake record
    }
    if (!tls_) return stream(from_client, data, len, gap, frame);

    // TLS: the HTTP exchange is in the decrypted application_data records; a hole in the raw bytes
    // is a hole in what could be decrypted.
    FeedResult r;
    r.active = active();
    if (gap) {
        if (from_client) detail().tls.lost = true;
        r |= stream(from_client, nullptr, 0, true, frame);
    }
    for (std::size_t i = 0; i < decrypted_count && phase_ != Phase::Done; ++i) {
        const tcpstate_tls_record& rec = decrypted[i];
        detail().decrypted_seen = true;
        if (rec.content_type == kTlsApplicationData && rec.len > 0 && rec.data)
            r |= stream(from_client, rec.data, rec.len, false, frame);
    }
    if (from_client && phase_ != Phase::Done && len > 0) walk_tls(data, len, r);
    return r;
}

// The raw client stream of a TLS connection: its first application_data record, when Wireshark
// decrypted nothing of the connection up to it (this segment's records included), means the
// exchange cannot be examined (no keys): said once.
void Session::walk_tls(const std::uint8_t* data, std::size_t len, FeedResult& r) {
    Detail& d = detail();
    if (d.tls.lost) return;
    const bool application_data = d.tls.walk(data, len, kTlsApplicationData);
    if (d.decrypted_seen || d.tls_noted) return;
    if (application_data) {
        d.tls_noted = true;
        d.tls.lost = true;  // nothing more to look for in the raw bytes
        r.findings.add(Finding::WsTlsNotExamined);
    } else if (d.tls.lost) {
        finish();  // not TLS records after all
    }
}

FeedResult Session::stream(bool from_client, const std::uint8_t* data, std::size_t len, bool gap, std::uint32_t frame) {
    switch (phase_) {
    case Phase::Done:
        return {};
    case Phase::Start: {
        // An HTTP server does not speak first; the start of the client stream must be there.
        if (!from_client || gap) {
            finish();
            return {};
        }
        std::size_t i = 0;
        while (i < len && (data[i] == '\r' || data[i] == '\n')) ++i;  // RFC 9112 2.2: empty lines before a request
        if (i == len) return {};
        // A request starts with a method token and SP (RFC 9112 3); methods are short: a stream
        // whose first bytes are no token, or no token ending within kMaxMethod bytes, is not HTTP
        // (told at once, with no note, instead of buffering a "head" up to kMaxHead).
        std::size_t j = i;
        while (j < len && j - i <= kMaxMethod && is_tchar(data[j])) ++j;
        if (j == i || (j < len && data[j] != ' ') || j - i > kMaxMethod) {
            finish();
            return {};
        }
        phase_ = Phase::Http;
        return http(from_client, data + i, len - i, frame);
    }
    case Phase::Http:
        if (gap) {  // a hole: this direction's message boundaries are lost
            stop(from_client);
            if (len == 0 || phase_ == Phase::Done) return {};
        }
        return http(from_client, data, len, frame);
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

// One direction's bytes while the HTTP exchange is framed: heads, then bodies by their framing.
FeedResult Session::http(bool from_client, const std::uint8_t* data, std::size_t len, std::uint32_t frame) {
    FeedResult r;
    Reader& rd = reader(from_client);
    while (len > 0 && phase_ == Phase::Http) {
        std::size_t used = len;
        switch (static_cast<Part>(rd.part)) {
        case Part::Head:
            used = head(from_client, data, len, frame, r);
            break;
        case Part::Length:
            used = static_cast<std::size_t>(std::min<std::uint64_t>(rd.left, len));
            rd.left -= used;
            if (rd.left == 0) rd.part = static_cast<std::uint8_t>(Part::Head);
            break;
        case Part::Chunked: {
            const ChunkStep s = walk_chunked(rd, data, len);
            used = s.used;
            if (s.bad) stop(from_client);
            else if (s.done) rd = Reader{};
            break;
        }
        case Part::UntilClose:
        case Part::Stopped:
            break;  // the rest is not looked at
        }
        data += used;
        len -= used;
    }
    if (phase_ == Phase::Active && len > 0) {
        // Bytes after the 101's blank line are the server's first frames (RFC 6455 4.2.2 step 5 ends
        // the handshake; framing starts with the next byte).
        const WalkResult wr = d_->from(from_client).walk(data, len);
        r.close_code = wr.close_code;
        if (wr.data_after_close) r.findings.add(Finding::WsDataAfterClose);
    }
    return r;
}

namespace {

// RFC 9112 6.3 items 3-7: how a request's body is framed.
Body request_body(const Head& h) {
    if (h.transfer_encoding) return h.chunked_last ? Body::Chunked : Body::Invalid;  // items 3-4: chunked must be last
    if (h.length_field == LengthField::Invalid) return Body::Invalid;                  // item 5
    if (h.length_field == LengthField::Valid && h.length > 0) return Body::Length;     // item 6
    return Body::None;                                                                 // item 7
}

// RFC 9112 6.3 items 1-6 and 8: how an answer's body is framed, for an answer to a HEAD or CONNECT
// request or to another one (1xx answers are handled before).
Body answer_body(const Head& h, bool to_head, bool to_connect) {
    if (to_head || h.status == 204 || h.status == 304) return Body::None;           // item 1
    if (to_connect && h.status >= 200 && h.status <= 299) return Body::Tunnel;      // item 2
    if (h.transfer_encoding) return h.chunked_last ? Body::Chunked : Body::UntilClose;  // item 3
    if (h.length_field == LengthField::Invalid) return Body::Invalid;               // item 5
    if (h.length_field == LengthField::Valid) return h.length > 0 ? Body::Length : Body::None;  // item 6
    return Body::UntilClose;                                                        // item 8
}

}  // namespace

// Bytes at a message start or inside a head. Returns the bytes used.
std::size_t Session::head(bool from_client, const std::uint8_t* data, std::size_t len, std::uint32_t frame, FeedResult& r) {
    Reader& rd = reader(from_client);
    const int dir = from_client ? 1 : 0;
    std::string* buf = d_ ? &d_->head[dir] : nullptr;
    std::size_t skipped = 0;
    if (!buf || buf->empty()) {  // between messages
        if (from_client) {
            while (skipped < len && (data[skipped] == '\r' || data[skipped] == '\n')) ++skipped;  // RFC 9112 2.2
            if (skipped == len) return len;
            if (pending_count_ == kMaxPending) {  // more requests in flight than kept: the answers cannot be paired
                finish();
                return len;
            }
        } else if (pending_count_ == 0) {  // an answer to no request: out of step with the server
            finish();
            return len;
        }
    }
    RequestLines lines;
    const HeadStep s = take_head(
        buf, [this, dir]() -> std::string& { return detail().head[dir]; }, data + skipped, len - skipped,
        from_client ? &lines : nullptr);
    switch (s.state) {
    case HeadState::Partial:
        if (!rd.start_checked) {
            Head h;
            const StartLine sl = check_start_line(d_->head[dir], from_client, h);
            rd.start_checked = sl == StartLine::Ok;
            if (sl == StartLine::Bad) stop(from_client);
        }
        return len;
    case HeadState::TooLarge:
        r.findings.add(Finding::WsHeadTooLarge);
        stop(from_client);
        return len;
    case HeadState::Complete:
        break;
    }
    rd.start_checked = false;
    if (from_client) request(s.head, lines.upgrade, lines.framing, frame, r);
    else answer(s.head, frame, r);
    if (d_) free_string(d_->head[dir]);  // head done (the views into it are unused from here)
    return skipped + s.used;
}

// A complete request head: its body's framing (RFC 9112 6.3), and whether it asks for a WebSocket.
// `upgrade_line` / `framing_lines`: request_lines() found a line that may be an Upgrade field, or a
// Content-Length or Transfer-Encoding field.
void Session::request(std::string_view head, bool upgrade_line, bool framing_lines, std::uint32_t frame, FeedResult& r) {
    Head h;
    if (!upgrade_line && !framing_lines) {
        // No body and no upgrade: only the request line matters (which request it is: HEAD, CONNECT).
        if (check_start_line(head, true, h) != StartLine::Ok) {
            stop(true);
            return;
        }
    } else {
        // Strict parse only where a WebSocket upgrade can be: a request with an Upgrade field.
        h = parse_head(head, true, upgrade_line);
        const Body body = h.ok ? request_body(h) : Body::Invalid;
        if (body == Body::Invalid) {
            stop(true);
            return;
        }
        frame_body(true, body, h.length);
    }
    Pending kind = h.method == Method::Head ? Pending::Head : h.method == Method::Connect ? Pending::Connect : Pending::Other;
    // RFC 6455 4.1 items 1-6 (and 4.2.1): GET, HTTP/1.1, Upgrade lists websocket, Connection lists
    // upgrade. Anything else (a plain request, h2c, TLS/1.0, tcp) is no WebSocket request.
    if (upgrade_line && h.method == Method::Get && h.http11 && h.upgrade_websocket && h.connection_upgrade) {
        Detail& d = detail();
        if (d.attempts.size() == kMaxAttempts) {
            finish();
            return;
        }
        if (d.attempts.empty()) d.attempts.reserve(1);
        Attempt& a = d.attempts.emplace_back();
        a.request_frame = frame;
        a.key = shown(h.key);
        // RFC 6455 4.1 item 7 (key) and item 9 (version 13); 11.3.1: the key appears once.
        if (h.key_count == 0) append_problem(a.request_problem, "Sec-WebSocket-Key missing");
        else if (h.key_count > 1) append_problem(a.request_problem, "Sec-WebSocket-Key repeated");
        else if (!valid_key(h.key)) append_problem(a.request_problem, "Sec-WebSocket-Key is not base64 of 16 bytes");
        if (h.version_count == 0) append_problem(a.request_problem, "Sec-WebSocket-Version missing");
        else if (h.version_count > 1 || h.version != "13") append_problem(a.request_problem, "Sec-WebSocket-Version is not 13");
        if (h.key_count == 1 && valid_key(h.key)) a.accept_expected = compute_accept(h.key);
        r.upgrade = Upgrade::Request;
        if (!a.request_problem.empty()) r.findings.add(Finding::WsBadRequest);
        kind = Pending::WebSocket;
    }
    push_pending(kind);
}

// Sets one direction's reader to the body that follows the head just parsed.
void Session::frame_body(bool from_client, Body body, std::uint64_t length) {
    Reader& rd = reader(from_client);
    switch (body) {
    case Body::None: break;
    case Body::Length:
        rd.part = static_cast<std::uint8_t>(Part::Length);
        rd.left = length;
        break;
    case Body::Chunked:
        rd.part = static_cast<std::uint8_t>(Part::Chunked);
        rd.chunk = static_cast<std::uint8_t>(Chunk::SizeStart);
        rd.left = 0;
        break;
    case Body::UntilClose:  // nothing can follow it: no later answer
    case Body::Tunnel:      // not HTTP any more
        finish();
        break;
    case Body::Invalid:
        stop(from_client);
        break;
    }
}

// A complete answer head (a request awaits it).
void Session::answer(std::string_view head, std::uint32_t frame, FeedResult& r) {
    const Pending to = front_pending();
    if (to == Pending::WebSocket) {
        answer_websocket(head, frame, r);
        return;
    }
    const Head h = parse_head(head, false, false);
    if (!h.ok) {
        stop(false);
        return;
    }
    if (h.status >= 100 && h.status <= 199) {
        // RFC 9110 15.2: interim answers; the final one follows. A 101 switches to a protocol this
        // request did not ask as a WebSocket upgrade: nothing more is HTTP.
        if (h.status == 101) finish();
        return;
    }
    pop_pending();
    frame_body(false, answer_body(h, to == Pending::Head, to == Pending::Connect), h.length);
}

// The answer to a WebSocket upgrade request (RFC 6455 4.1 client checks, 4.2.2).
void Session::answer_websocket(std::string_view head, std::uint32_t frame, FeedResult& r) {
    const Head h = parse_head(head, false, true);
    if (!h.ok) {  // not an HTTP/1.x answer: nothing to say about the upgrade
        finish();
        return;
    }
    // RFC 9110 15.2: other 1xx answers are interim; the final answer follows.
    if (h.status >= 100 && h.status <= 199 && h.status != 101) return;
    Detail& d = *d_;
    Attempt& a = d.attempts[d.answered++];
    pop_pending();
    a.response_frame = frame;
    a.accept_seen = shown(h.accept);
    if (h.status != 101) {  // RFC 6455 4.1: "If the status code received from the server is not 101 ..."
        append_problem(a.answer_problem, "status " + std::to_string(h.status) + ", not 101");
        r.upgrade = Upgrade::Rejected;
        r.findings.add(Finding::WsRejected);
        // Still HTTP: the refusal has a body of its own, and the client may ask again.
        frame_body(false, answer_body(h, false, false), h.length);
        check_progress();
        return;
    }
    // RFC 6455 4.1, the client's checks of a 101: items 2 (Upgrade), 3 (Connection), 4 (Accept);
    // 11.3.3: Sec-WebSocket-Accept appears once.
    if (!h.upgrade_websocket) append_problem(a.answer_problem, "Upgrade does not list websocket");
    if (!h.connection_upgrade) append_problem(a.answer_problem, "Connection does not list upgrade");
    if (h.accept_count == 0) append_problem(a.answer_problem, "Sec-WebSocket-Accept missing");
    else if (h.accept_count > 1) append_problem(a.answer_problem, "Sec-WebSocket-Accept repeated");
    else if (a.accept_expected.empty()) append_problem(a.answer_problem, "no valid Sec-WebSocket-Key to check the Accept against");
    else if (h.accept != a.accept_expected) append_problem(a.answer_problem, "Sec-WebSocket-Accept does not match the key");
    if (!a.answer_problem.empty()) {
        r.upgrade = Upgrade::BadAccept;
        r.findings.add(Finding::WsBadAccept);
        finish();
        return;
    }
    r.upgrade = Upgrade::Accepted;
    r.active = true;
    // RFC 6455 4.1: the client waits for the answer before sending more. Client bytes after the
    // upgrade request (another request queued, a message begun, framing lost) are not known to be
    // frames: the client direction is not walked.
    const Reader& client = reader(true);
    if (pending_count_ > 0 || static_cast<Part>(client.part) != Part::Head || !d.head[1].empty()) d.from(true).lost = true;
    for (std::string& b : d.head) free_string(b);
    phase_ = Phase::Active;  // the rest of the chunk is frames: http() walks it
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

const Attempt* Session::attempt_at(std::uint32_t frame) const {
    if (!d_ || frame == 0) return nullptr;
    for (auto a = d_->attempts.rbegin(); a != d_->attempts.rend(); ++a)
        if (a->request_frame == frame || a->response_frame == frame) return &*a;
    return nullptr;
}

const Attempt* Session::last_attempt() const { return d_ && !d_->attempts.empty() ? &d_->attempts.back() : nullptr; }
std::string_view Session::key() const { return last_attempt() ? std::string_view(last_attempt()->key) : ""; }
std::string_view Session::accept_seen() const { return last_attempt() ? std::string_view(last_attempt()->accept_seen) : ""; }
std::string_view Session::accept_expected() const {
    return last_attempt() ? std::string_view(last_attempt()->accept_expected) : "";
}
std::uint32_t Session::request_frame() const { return last_attempt() ? last_attempt()->request_frame : 0; }
std::uint32_t Session::response_frame() const { return last_attempt() ? last_attempt()->response_frame : 0; }
std::string_view Session::request_problem() const {
    return last_attempt() ? std::string_view(last_attempt()->request_problem) : "";
}
std::string_view Session::answer_problem() const {
    return last_attempt() ? std::string_view(last_attempt()->answer_problem) : "";
}
std::int32_t Session::close_code(bool from_client) const { return d_ ? d_->walker[from_client ? 1 : 0].first_close : -1; }

std::size_t Session::memory() const {
    std::size_t n = sizeof(Session);
    if (!d_) return n;
    n += sizeof(Detail) + heap_bytes(d_->head[0]) + heap_bytes(d_->head[1]);
    n += d_->attempts.capacity() * sizeof(Attempt);
    for (const Attempt& a : d_->attempts)
        n += heap_bytes(a.key) + heap_bytes(a.accept_seen) + heap_bytes(a.accept_expected) +
             heap_bytes(a.request_problem) + heap_bytes(a.answer_problem);
    return n;
}

static_assert(sizeof(Session) <= 64, "an idle Session must stay small (issue 4)");
// kMaxMemory: besides the head buffers, the Detail and its attempts (each string under 256 bytes
// but the key and accept kept, kMaxShown) fit in 16 KiB.
static_assert(sizeof(Session) + sizeof(Session::Detail) + kMaxAttempts * (sizeof(Attempt) + 2 * (kMaxShown + 1) + 3 * 256) +
                      2 * 8 <=
                  kMaxMemory - 2 * (kMaxHead + 1),
              "kMaxMemory holds");

}  // namespace tcpstate::ws
