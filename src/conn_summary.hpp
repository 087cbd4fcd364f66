// Per-connection summary in Zeek's terms: conn_state (S0, S1, SF, REJ, S2, S3, RSTO, RSTR,
// RSTOS0, RSTRH, SH, SHR, OTH) and history (S h A D F R T W G I Q, upper case = originator,
// lower case = responder), plus packet and payload byte counts and frame links.
//
// Zeek's definitions (scripts/base/protocols/conn/main.zeek: conn_state() and the docs of
// conn_state and history; the TCP analyzer's endpoint state machine and update_history();
// Connection::CheckHistory / ScaledHistoryEntry) are re-implemented here from their description,
// per segment, so the values are available "so far" at any moment, not only at the end.
//
// Roles are not Zeek's: the originator is tcpstate's client (docs/model.md: the sender of the first
// SYN without ACK, else the receiver of a first SYN-ACK, else the first sender). Zeek may flip its
// roles (on a first SYN-ACK, or by well-known server ports for mid-stream pickups) and then starts
// the history with '^'. We never flip and never write '^': where Zeek flips because the first
// segment is a SYN-ACK our roles already equal its flipped roles, so our history is Zeek's without
// the leading '^'. For a mid-stream pickup whose first sender is on a well-known server port Zeek
// flips and we do not (the letters then differ in case).
//
// Other differences from Zeek, all documented where they happen:
//   - 'C' (bad checksum) is not recorded: segments carry no checksum verdict.
//   - '^' and 'x' are never written.
//   - Repeated S/H and F letters use the segment's retransmission flag instead of comparing
//     relative sequence numbers; repeated R letters compare a 16-bit fingerprint of the sequence
//     number (Zeek: the full relative sequence number).
//   - Scaled letters (T, W, G) count up to 65535 events each: the letters at 1, 10, 100, 1000 and
//     10000 are written, Zeek would add one more at 100000.
//   - The history holds at most 16 letters; later letters are dropped.
//   - Payload bytes are the sum of the payloads of segments that are not retransmissions (Zeek's
//     orig_bytes/resp_bytes come from sequence numbers and include bytes lost in content gaps);
//     they are used for conn_state's REJ test like Zeek's sizes.
//   - Zeek ends a connection some time after it closed and may start a new one for later packets
//     of the same 4-tuple; here a connection is a Wireshark tcp.stream.
#pragma once

#include <cstdint>
#include <string_view>

namespace tcpstate {

// One TCP segment, as the summary needs it.
struct SummarySegment {
    bool from_orig = false;          // sent by the originator (tcpstate's client)
    std::uint16_t flags = 0;         // TCPSTATE_* bits from tcpstate_core.h
    std::uint32_t payload_len = 0;   // TCP payload length (tcp.len)
    // The payload repeats sequence space the sender already sent: its end is not beyond the
    // highest sequence number the sender sent so far (this includes 1-byte keep-alives), a SYN with
    // the same ISS, or a FIN with the same FIN sequence number. Zeek's 't'/'T' for segments with
    // payload; a repeated SYN/FIN that is not a retransmission adds its letter again.
    bool retransmission = false;
    // The raw window field is 0. Zeek's 'w'/'W'; ignored here on RSTs, after the sender was reset
    // and after the peer closed, as Zeek does.
    bool zero_window = false;
    // This segment acknowledges bytes of the *peer's* stream that were never captured (Wireshark's
    // "ACKed unseen segment"). Zeek's content gap, recorded for the peer ('g' when the responder's
    // bytes are missing) and only while both sides are established or cleanly closing, as Zeek does.
    bool content_gap = false;
    std::uint32_t frame = 0;         // frame number, 1-based
    std::uint32_t seq = 0;           // raw sequence number (used for repeated RSTs)
};

// Zeek's TCP endpoint states (values as in Zeek's enum, as printed in its test baselines).
enum class ZeekEndpointState : std::uint8_t {
    Inactive = 0,
    SynSent = 1,
    SynAckSent = 2,
    Partial = 3,
    Established = 4,
    Closed = 5,
    Reset = 6,
};

// Who closed first: the sender of the earliest FIN or RST.
enum class Closer : std::uint8_t { None, Orig, Resp };

class ConnSummary {
public:
    void on_segment(const SummarySegment& s);

    // Zeek's conn_state() from the endpoint states so far: "S0", "SF", ..., "OTH".
    std::string_view state() const;
    // Zeek's history so far, e.g. "ShADadFf" (at most kMaxHistory letters).
    std::string_view history() const;

    // Frame links: the first segment with SYN (bare or SYN-ACK), with FIN, with RST; 0 = none.
    std::uint32_t first_syn_frame() const { return first_syn_; }
    std::uint32_t first_fin_frame() const { return first_fin_; }
    std::uint32_t first_rst_frame() const { return first_rst_; }

    // conn.log-like counts (saturating).
    std::uint32_t packets(bool orig) const { return pkts_[orig ? 0 : 1]; }
    std::uint64_t payload_bytes(bool orig) const;
    Closer first_closer() const;

    ZeekEndpointState endpoint_state(bool orig) const {
        return static_cast<ZeekEndpointState>(dir_[orig ? 0 : 1].state);
    }

    static constexpr std::size_t kMaxHistory = 16;

private:
    // Per direction, 10 bytes: [0] originator, [1] responder.
    struct Dir {
        std::uint16_t rxmt = 0;       // 't'/'T' events
        std::uint16_t win0 = 0;       // 'w'/'W' events
        std::uint16_t gap = 0;        // 'g'/'G' events
        std::uint16_t rst_fp = 0;     // fingerprint of the sequence number of the last RST sent
        std::uint8_t bytes_hi = 0;    // payload bytes, bits 32..39 (bits 0..31 in bytes_lo_)
        std::uint8_t state : 3 = 0;   // ZeekEndpointState
        std::uint8_t prev : 3 = 0;    // the state before the last change
        std::uint8_t sent_first_fin : 1 = 0;
        std::uint8_t sent_first_rst : 1 = 0;
    };

    bool seen(int d, char upper) const;
    void add(int d, char upper);
    void once(int d, char upper);
    void scaled(int d, char upper, std::uint16_t& counter);
    void set_state(int d, ZeekEndpointState st);
    ZeekEndpointState st(int d) const { return static_cast<ZeekEndpointState>(dir_[d].state); }
    ZeekEndpointState prev(int d) const { return static_cast<ZeekEndpointState>(dir_[d].prev); }
    void update_states(const SummarySegment& s, int d);
    bool clean(int d) const;

    char hist_[kMaxHistory] = {};  // NUL-padded; full when the last byte is set
    std::uint32_t first_syn_ = 0, first_fin_ = 0, first_rst_ = 0;
    std::uint32_t pkts_[2] = {};
    std::uint32_t bytes_lo_[2] = {};
    Dir dir_[2];
};

}  // namespace tcpstate
