// Zeek-style connection summary (see conn_summary.hpp). Each step below names the part of Zeek's
// TCP analyzer it follows; the order of the steps within a segment is Zeek's: history letters for
// the flags, zero window, retransmitted payload (all from the states before the segment), then the
// endpoint state machine, then the content gap (from the states after it).
#include "conn_summary.hpp"

#include <cstring>
#include <limits>

#include "tcpstate_core.h"

namespace tcpstate {
namespace {

constexpr char lower(char c) { return static_cast<char>(c - 'A' + 'a'); }
constexpr std::uint64_t kMaxBytes = (std::uint64_t{1} << 40) - 1;

// The history is 16 bytes, letters first then NUL padding: it is read as two little-endian words.
constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
static_assert(ConnSummary::kMaxHistory == 16);

// Bit 7 of byte i set if byte i of x is zero, for the lowest zero byte (higher bytes may be set
// spuriously, only above a zero byte): exact for "is there a zero byte" and for the first one.
constexpr std::uint64_t zero_bytes(std::uint64_t x) { return (x - kOnes) & ~x & kHighs; }

std::uint64_t load_le64(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

// Letters in the history: the index of its first NUL, 16 if none.
std::size_t length(const char* h) {
    if (const std::uint64_t z = zero_bytes(load_le64(h))) return static_cast<std::size_t>(__builtin_ctzll(z) >> 3);
    if (const std::uint64_t z = zero_bytes(load_le64(h + 8))) return 8 + static_cast<std::size_t>(__builtin_ctzll(z) >> 3);
    return 16;
}

// Whether the 16 bytes at h hold the byte c (not NUL).
bool contains(const char* h, char c) {
    const std::uint64_t pattern = kOnes * static_cast<unsigned char>(c);
    return (zero_bytes(load_le64(h) ^ pattern) | zero_bytes(load_le64(h + 8) ^ pattern)) != 0;
}

// Zeek's RSTOS0 test: history == /\^?S[^HAFGIQ]*R.*/ (a whole-string match): the originator's SYN
// first, then its RST before any SYN-ACK, ACK, FIN, gap, FIN+RST or multi-flag packet of its own.
bool rst_after_syn_only(std::string_view h) {
    std::size_t i = 0;
    if (i < h.size() && h[i] == '^') ++i;
    if (i >= h.size() || h[i] != 'S') return false;
    for (++i; i < h.size(); ++i) {
        if (h[i] == 'R') return true;
        if (std::string_view("HAFGIQ").find(h[i]) != std::string_view::npos) return false;
    }
    return false;
}

// 16 bits standing for a 32-bit sequence number: both halves, so that numbers 64 KiB apart differ.
std::uint16_t fingerprint(std::uint32_t seq) { return static_cast<std::uint16_t>(seq ^ (seq >> 16)); }

}  // namespace

using Z = ZeekEndpointState;

std::string_view ConnSummary::history() const { return {hist_, length(hist_)}; }

std::uint64_t ConnSummary::payload_bytes(bool orig) const {
    const int d = orig ? 0 : 1;
    return (std::uint64_t{dir_[d].bytes_hi} << 32) | bytes_lo_[d];
}

Closer ConnSummary::first_closer() const {
    // The earliest of the first FIN and the first RST; a segment with both counts as one.
    const bool fin_first = first_fin_ != 0 && (first_rst_ == 0 || first_fin_ <= first_rst_);
    if (fin_first) return dir_[0].sent_first_fin ? Closer::Orig : Closer::Resp;
    if (first_rst_ != 0) return dir_[0].sent_first_rst ? Closer::Orig : Closer::Resp;
    return Closer::None;
}

bool ConnSummary::seen(int d, char upper) const {
    // Zeek keeps a "seen" bit per letter and direction (Connection::CheckHistory); every letter
    // recorded that way is in the history, so the history itself is the set of bits.
    const char c = d == 0 ? upper : lower(upper);
    return contains(hist_, c);
}

void ConnSummary::add(int d, char upper) {
    const std::size_t n = length(hist_);
    if (n < kMaxHistory) hist_[n] = d == 0 ? upper : lower(upper);
}

void ConnSummary::once(int d, char upper) {
    if (!seen(d, upper)) add(d, upper);
}

// Zeek's Connection::ScaledHistoryEntry with base 10: the letter again at the 1st, 10th, 100th, ...
// event.
void ConnSummary::scaled(int d, char upper, std::uint16_t& counter) {
    if (counter == std::numeric_limits<std::uint16_t>::max()) return;
    ++counter;
    if (counter == 1 || counter == 10 || counter == 100 || counter == 1000 || counter == 10000) add(d, upper);
}

void ConnSummary::set_state(int d, Z s) {
    // TCP_Endpoint::SetState: prev_state changes only with the state.
    if (st(d) == s) return;
    dir_[d].prev = dir_[d].state;
    dir_[d].state = static_cast<std::uint8_t>(s);
}

// TCP_Reassembler's established_or_cleanly_closing(): gaps count only between such endpoints.
bool ConnSummary::clean(int d) const {
    return st(d) == Z::Established || (st(d) == Z::Closed && prev(d) == Z::Established);
}

void ConnSummary::on_segment(const SummarySegment& s) {
    const int d = s.from_orig ? 0 : 1;
    const int p = 1 - d;
    const bool syn = s.flags & TCPSTATE_SYN;
    const bool fin = s.flags & TCPSTATE_FIN;
    const bool rst = s.flags & TCPSTATE_RST;
    const bool ack = s.flags & TCPSTATE_ACK;
    Dir& me = dir_[d];

    // ---- Counts and frame links --------------------------------------------------------------
    if (pkts_[d] != std::numeric_limits<std::uint32_t>::max()) ++pkts_[d];
    if (!rst && !s.retransmission && s.payload_len > 0) {
        // A RST's payload is not stream data (Zeek leaves it out of the sequence space too).
        std::uint64_t total = payload_bytes(s.from_orig) + s.payload_len;
        if (total > kMaxBytes) total = kMaxBytes;
        bytes_lo_[d] = static_cast<std::uint32_t>(total);
        me.bytes_hi = static_cast<std::uint8_t>(total >> 32);
    }
    if (syn && first_syn_ == 0) first_syn_ = s.frame;
    if (fin && first_fin_ == 0) {
        first_fin_ = s.frame;
        me.sent_first_fin = 1;
    }
    if (rst && first_rst_ == 0) {
        first_rst_ = s.frame;
        me.sent_first_rst = 1;
    }

    // ---- History letters for the flags (Zeek's update_history) -------------------------------
    // 'a', 'd', 'i', 'q' once per direction; 's'/'h' share one "seen" bit, as do 'f' and 'r' each,
    // and are written again only for a segment at another sequence number.
    const int control_bits = int{syn} + int{fin} + int{rst};
    if (control_bits > 1) {
        once(d, fin && rst ? 'I' : 'Q');
    } else if (syn) {
        const char code = ack ? 'H' : 'S';
        if (!seen(d, 'S') && !seen(d, 'H')) {
            add(d, code);
        } else {
            // Zeek re-bases the endpoint's sequence numbers on a SYN in every state but CLOSED and
            // RESET (after a non-inactive state), which makes the repeated SYN compare equal; only
            // there can a SYN at another sequence number add its letter again.
            const bool rebased = !(st(d) == Z::Closed || (st(d) == Z::Reset && prev(d) != Z::Inactive));
            if (!rebased && !s.retransmission) add(d, code);
        }
    } else if (fin) {
        if (!seen(d, 'F') || !s.retransmission) add(d, 'F');
    } else if (rst) {
        const std::uint16_t fp = fingerprint(s.seq);
        if (!seen(d, 'R') || fp != me.rst_fp) add(d, 'R');
        me.rst_fp = fp;
    } else if (s.payload_len > 0) {
        once(d, 'D');
    } else if (ack) {
        once(d, 'A');
    }

    // ---- Zero window (Zeek's update_window) --------------------------------------------------
    // Boring with or after a RST of the sender, and after the peer closed.
    if (s.zero_window && !rst && st(p) != Z::Closed && st(d) != Z::Reset) scaled(d, 'W', me.win0);

    // ---- Retransmitted payload (Zeek's update_last_seq) --------------------------------------
    // Payload whose end is not beyond the highest sequence number seen, unless the sender was
    // reset. A RST's payload is outside the sequence space, so a RST with payload at (or below) the
    // sender's next sequence number counts too: we take that to be every RST with payload.
    if (s.payload_len > 0 && st(d) != Z::Reset && (rst || s.retransmission)) scaled(d, 'T', me.rxmt);

    // ---- Endpoint states (Zeek's UpdateStateMachine) -----------------------------------------
    update_states(s, d);

    // ---- Content gap (Zeek's TCP_Reassembler::Gap, after the state machine) -------------------
    if (s.content_gap && clean(d) && clean(p)) scaled(p, 'G', dir_[p].gap);
}

void ConnSummary::update_states(const SummarySegment& s, int d) {
    const int p = 1 - d;
    const bool is_orig = d == 0;
    const bool syn = s.flags & TCPSTATE_SYN;
    const bool fin = s.flags & TCPSTATE_FIN;
    const bool rst = s.flags & TCPSTATE_RST;
    const bool ack = s.flags & TCPSTATE_ACK;

    switch (st(d)) {
    case Z::Inactive:  // UpdateInactiveState
        if (syn) {
            if (is_orig) {
                set_state(d, ack ? Z::SynAckSent : Z::SynSent);
            } else {
                // The responder's SYN(-ACK) establishes both (Zeek would flip roles on a bare SYN
                // answering an originator's SYN-ACK; we keep ours).
                if (st(p) == Z::SynSent) set_state(p, Z::Established);
                set_state(d, Z::Established);
            }
        }
        if (fin) set_state(d, Z::Closed);
        if (rst) set_state(d, Z::Reset);
        if (st(d) == Z::Inactive) {
            if (!is_orig && s.payload_len == 0 && st(0) == Z::SynSent) {
                // A responder that ACKs the SYN before answering it: not a partial connection.
            } else if (ack && st(p) == Z::Established) {
                set_state(d, Z::Established);  // the SYN was missed, the SYN-ACK seen
            } else {
                set_state(d, Z::Partial);
            }
        }
        break;

    case Z::SynSent:
    case Z::SynAckSent:  // UpdateSYN_SentState
        if (fin) set_state(d, Z::Closed);
        if (rst) set_state(d, Z::Reset);
        break;

    case Z::Established:
    case Z::Partial:  // UpdateEstablishedState
        if (syn && st(d) == Z::Partial && st(p) == Z::Inactive && !ack) set_state(d, Z::SynSent);
        if (fin && !rst) {
            set_state(d, Z::Closed);
            // The peer sent a FIN and then a RST: that was a normal close after all.
            if (st(p) == Z::Reset && prev(p) == Z::Closed) set_state(p, Z::Closed);
        }
        if (rst) set_state(d, Z::Reset);
        break;

    case Z::Closed:  // UpdateClosedState: a RST after both FINs changes nothing
        if (rst && st(p) != Z::Closed) set_state(d, Z::Reset);
        break;

    case Z::Reset:  // UpdateResetState
        break;
    }
}

std::string_view ConnSummary::state() const {
    // Zeek's conn_state() for TCP, from the endpoint states so far.
    const Z os = st(0);
    const Z rs = st(1);
    const bool o_inactive = os == Z::Inactive || os == Z::Partial;
    const bool r_inactive = rs == Z::Inactive || rs == Z::Partial;

    if (rs == Z::Reset) {
        if (os == Z::SynSent || os == Z::SynAckSent ||
            (os == Z::Reset && payload_bytes(true) == 0 && payload_bytes(false) == 0))
            return "REJ";
        return o_inactive ? "RSTRH" : "RSTR";
    }
    if (os == Z::Reset) {
        if (r_inactive) return rst_after_syn_only(history()) ? "RSTOS0" : "OTH";
        return "RSTO";
    }
    if (rs == Z::Closed && os == Z::Closed) return "SF";
    if (os == Z::Closed) return r_inactive ? "SH" : "S2";
    if (rs == Z::Closed) return o_inactive ? "SHR" : "S3";
    if (os == Z::SynSent && rs == Z::Inactive) return "S0";
    if (os == Z::Established && rs == Z::Established) return "S1";
    return "OTH";
}

}  // namespace tcpstate
