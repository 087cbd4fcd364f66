// The tcpstate engine: per-connection, per-endpoint RFC 9293 state tracking from a passive
// observer's view. See docs/model.md for the model; this file is its implementation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <unordered_map>
#include <vector>

#include "conn_summary.hpp"
#include "findings.hpp"
#include "lifecycle.hpp"
#include "seq.hpp"
#include "state.hpp"
#include "tcpstate_core.h"

namespace tcpstate {

namespace ws { class Session; }

enum class Step : std::uint8_t {
    None = TCPSTATE_STEP_NONE,
    Syn = TCPSTATE_STEP_SYN,
    SynAck = TCPSTATE_STEP_SYN_ACK,
    HandshakeAck = TCPSTATE_STEP_HANDSHAKE_ACK,
    Fin1 = TCPSTATE_STEP_FIN1,
    Ack2 = TCPSTATE_STEP_ACK2,
    Fin3 = TCPSTATE_STEP_FIN3,
    FinAck23 = TCPSTATE_STEP_FIN_ACK23,
    Ack4 = TCPSTATE_STEP_ACK4,
    Rst = TCPSTATE_STEP_RST,
    Data = TCPSTATE_STEP_DATA,
    Ack = TCPSTATE_STEP_ACK,
    KeepAlive = TCPSTATE_STEP_KEEPALIVE,
    WindowProbe = TCPSTATE_STEP_WINDOW_PROBE,
};

// What the observer assumed an endpoint received, undone if its next segment contradicts it
// (docs/model.md, "Evidence from the sender"): the peer's SYN or FIN (the two crossed in flight, or
// it was lost), the peer's ACK of our own SYN or FIN (we retransmit it: it was lost), or the peer's
// RST (we send anything but a RST: it had not reset us).
enum class Control : std::uint8_t { None, Syn, SynAck, Fin, AckOfControl, Rst };

struct Endpoint {
    Seq iss;                  // initial send sequence number (valid when syn_sent)
    Seq snd_nxt;              // highest SEQ + SEG.LEN sent (valid when seq_known)
    Seq fin_seq;              // sequence number of our FIN (valid when fin_sent)
    Seq right_edge;           // largest ACK + scaled window advertised (valid when window_known)
    Seq pending_end;          // end of the peer control whose receipt is assumed
    Seq rcv_nxt;              // our RCV.NXT: end of the peer's accepted segments (valid when rcv_known)
    Seq synack_ack;           // the ACK of our SYN-ACK (valid when synack_sent)
    Seq last_ack;             // the ACK of our latest segment with ACK (valid when ack_seen)
    Seq max_ack;              // our highest ACK: RCV.NXT is at least this (valid when ack_seen)
    Seq alt_iss;              // the ISN of a competing SYN-ACK not (yet) chosen (valid when alt_iss_known)
    std::uint16_t syn_window = 0;  // window of our bare SYN (its right edge needs the peer's ISS)
    State state = State::Unknown;
    State pending_before = State::Unknown;  // our state before that receipt
    Control pending = Control::None;
    std::uint8_t wscale = kNoWscale;  // shift requested in our SYN (clamped to 14)
    // Flags as bit-fields: per-connection memory is a target (docs/performance.md).
    bool seq_known : 1 = false;
    bool rcv_known : 1 = false;
    bool synack_sent : 1 = false;
    bool syn_sent : 1 = false;
    bool fin_sent : 1 = false;
    bool window_known : 1 = false;
    bool syn_window_pending : 1 = false;
    bool fin_retransmitted : 1 = false;     // our last segment retransmitted the FIN
    bool synack_retransmitted : 1 = false;  // our last segment retransmitted the SYN-ACK
    bool ws_started : 1 = false;
    bool ws_hole : 1 = false;               // bytes before ws_next were not captured (snaplen)
    bool ack_seen : 1 = false;
    bool pending_with_fin : 1 = false;  // pending AckOfControl came with the peer's FIN
    bool ack_behind : 1 = false;      // max_ack was below what the peer had sent when we sent it
    bool alt_iss_known : 1 = false;
    bool passive : 1 = false;         // our SYN_RCVD came from LISTEN (a RST returns us there, 3.10.7.4)
    bool reset_owed : 1 = false;      // we received a segment the RFC answers with <SEQ=SEG.ACK><CTL=RST>
                                      // without leaving our state (3.10.7.2-4) or from CLOSED (3.10.7.1)
    bool challenge_owed : 1 = false;  // we received a RST or SYN that RFC 5961 answers with a challenge ACK
    Step fin_step = Step::None;
    Seq ws_next;               // next payload byte the WebSocket tracker expects from us

    static constexpr std::uint8_t kNoWscale = 0xff;
};

struct Connection {
    Endpoint ep[2];  // [0] client, [1] server
    std::uint64_t client_id = 0;  // endpoint_id() of the client: tells the two ends apart
    std::uint64_t tuple = 0;
    std::int8_t first_closer = -1;  // endpoint index of the first FIN
    bool started : 1 = false;
    bool midstream : 1 = false;
    bool scaling_known : 1 = false;  // whether window scaling is in effect is known
    bool scaling_on : 1 = false;
    bool hs3_seen : 1 = false;
    bool ack2_seen : 1 = false;
    bool ack4_seen : 1 = false;
    ConnSummary summary;  // Zeek-style conn_state and history, so far
    Lifecycle life;       // state changes with their times (lifecycle.hpp), so far
    std::unique_ptr<ws::Session> ws;

    Connection();
    ~Connection();
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
};

struct SegmentView {
    std::uint32_t stream, frame;
    std::uint64_t src, dst;  // endpoint ids
    Seq seq;
    Seq ack;
    std::uint16_t flags, window;
    std::int16_t wscale;
    std::uint32_t payload_len;
    const std::uint8_t* payload;
    std::uint32_t payload_captured;
    const tcpstate_tls_record* tls = nullptr;  // TLS records Wireshark decrypted that end here (WebSocket tracker only)
    std::size_t tls_count = 0;

    bool syn() const { return flags & TCPSTATE_SYN; }
    bool ack_flag() const { return flags & TCPSTATE_ACK; }
    bool fin() const { return flags & TCPSTATE_FIN; }
    bool rst() const { return flags & TCPSTATE_RST; }
    // SEG.LEN: payload plus one for SYN and one for FIN (RFC 9293 3.4); a RST's payload does not count.
    std::uint32_t seg_len() const { return rst() ? 0 : payload_len + (syn() ? 1u : 0u) + (fin() ? 1u : 0u); }
};

// Memory for the dense tables below: 2 MiB groups mapped fresh (zero) and 2 MiB aligned, with
// madvise(MADV_HUGEPAGE), so the kernel can back a group with one huge page: one page fault and one
// TLB entry instead of 512 (docs/performance.md C6). memory() counts whole groups.
class HugeGroups {
public:
    static constexpr std::size_t kGroup = std::size_t{2} << 20;
    HugeGroups() = default;
    HugeGroups(const HugeGroups&) = delete;
    HugeGroups& operator=(const HugeGroups&) = delete;
    ~HugeGroups();
    void* take(std::size_t bytes);  // zeroed, from the current group or a new one
    std::size_t memory() const { return groups_.size() * kGroup + groups_.capacity() * sizeof(void*); }

private:
    std::vector<void*> groups_;
    std::size_t used_ = kGroup;  // bytes taken from the last group
};

// A dense table indexed from 0 that grows by fixed-size pages: no reallocation, no copy, and growing
// never needs the old and new table at once (docs/performance.md, C1/C2). The pages are carved from
// HugeGroups; a group holds whole pages only (the rest of it, less than a page, stays unused). A
// trivial T, whose value-initialised form is all zero bytes (the per-frame results), is used as the
// fresh mapping gives it; any other T (the connections) is value-initialised in place when its page
// is added and destroyed with the table.
template <typename T, unsigned kShift>
class HugePagedTable {
    static constexpr bool kZeroIsValue = std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>;
    static_assert((sizeof(T) << kShift) <= HugeGroups::kGroup);

public:
    static constexpr std::size_t kPage = std::size_t{1} << kShift;
    HugePagedTable() = default;
    HugePagedTable(const HugePagedTable&) = delete;
    HugePagedTable& operator=(const HugePagedTable&) = delete;
    ~HugePagedTable() {
        if constexpr (!std::is_trivially_destructible_v<T>)
            for (T* p : pages_) std::destroy_n(p, kPage);
    }
    std::size_t size() const { return size_; }
    T& operator[](std::size_t i) { return pages_[i >> kShift][i & (kPage - 1)]; }
    const T& operator[](std::size_t i) const { return pages_[i >> kShift][i & (kPage - 1)]; }
    void grow_to(std::size_t n) {  // makes [0, n) addressable, value-initialised
        if (n > addressable_) [[unlikely]] add_pages(n);
        if (n > size_) size_ = n;
    }
    std::size_t memory() const { return groups_.memory() + pages_.capacity() * sizeof(void*); }
    template <typename F>
    void for_each(F f) const {
        for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
    }

private:
    [[gnu::noinline]] void add_pages(std::size_t n) {
        while (addressable_ < n) {
            // Room first, so that push_back cannot throw once the page is constructed.
            if (pages_.size() == pages_.capacity()) pages_.reserve(std::max<std::size_t>(16, 2 * pages_.capacity()));
            T* p = static_cast<T*>(groups_.take(kPage * sizeof(T)));
            if constexpr (!kZeroIsValue) std::uninitialized_value_construct_n(p, kPage);
            pages_.push_back(p);
            addressable_ += kPage;
        }
    }

    HugeGroups groups_;
    std::vector<T*> pages_;
    std::size_t size_ = 0;
    std::size_t addressable_ = 0;  // pages_.size() * kPage
};

class Engine {
public:
    Engine();
    ~Engine();

    // Returns false when the segment is not annotated (out->valid == 0). `tls`: the TLS records
    // Wireshark decrypted that end in this segment, in order (tcpstate_engine_process_decrypted).
    bool process(const tcpstate_segment& seg, std::uint32_t layer, tcpstate_result& out,
                 const tcpstate_tls_record* tls = nullptr, std::size_t tls_count = 0);
    bool lookup(std::uint32_t frame, std::uint32_t layer, tcpstate_result& out) const;
    const Connection* connection(std::uint32_t stream) const;
    std::size_t memory() const;
    // Connection lifecycles (lifecycle.hpp): streams are 0 .. stream_count() - 1.
    std::size_t stream_count() const { return conns_.size(); }
    const LifecycleTracker& lifecycles() const { return lifecycle_; }
    LifecycleTracker& lifecycles() { return lifecycle_; }
    // tcpstate_engine_finish(): time_wait_reuse, and TCPSTATE_LAST_SEGMENT on the result of each
    // connection's last segment (found by a walk over the stored results: a connection keeps no
    // frame number of its own, per-connection memory is a target).
    void finish_lifecycles() {
        if (!lifecycle_.dirty()) return;
        lifecycle_.finish(conns_.size(), [this](std::size_t i) {
            Connection& c = conns_[i];
            return std::pair<std::uint64_t, Lifecycle*>{c.tuple, c.started ? &c.life : nullptr};
        });
        std::vector<std::uint64_t> last(conns_.size(), 0);  // per stream: (frame << 8 | layer) + 1
        const auto latest = [&last](std::uint64_t key, const tcpstate_result& r) {
            if ((r.ws & TCPSTATE_VALID) && r.stream < last.size() && key + 1 > last[r.stream]) last[r.stream] = key + 1;
        };
        const auto mark = [&last](std::uint64_t key, tcpstate_result& r) {
            const bool is_last = (r.ws & TCPSTATE_VALID) && r.stream < last.size() && last[r.stream] == key + 1;
            r.ws = static_cast<std::uint8_t>(is_last ? r.ws | TCPSTATE_LAST_SEGMENT : r.ws & ~TCPSTATE_LAST_SEGMENT);
        };
        for (std::size_t f = 0; f < frames_.size(); ++f) latest(std::uint64_t{f} << 8, frames_[f]);
        for (const auto& [key, r] : extra_layers_) latest(key, r);
        for (std::size_t f = 0; f < frames_.size(); ++f) mark(std::uint64_t{f} << 8, frames_[f]);
        for (auto& [key, r] : extra_layers_) mark(key, r);
    }

    static constexpr std::uint32_t kMaxStreams = 1u << 28;
    static constexpr std::size_t kMaxJump = 1u << 20;  // largest step ahead of the dense tables

private:
    tcpstate_result analyse(Connection& c, const SegmentView& s);
    int locate(Connection& c, const SegmentView& s, FindingSet& notes, bool& new_incarnation);
    void start(Connection& c, const SegmentView& s);
    void store(std::uint32_t frame, std::uint32_t layer, const tcpstate_result& r);
    static constexpr std::uint32_t kNoStream = 0xffffffffu;
    std::uint32_t find_tuple(std::uint64_t tuple) const;
    void set_tuple(std::uint64_t tuple, std::uint32_t stream);

    // 4-tuple -> latest stream (docs/performance.md, C3): open addressing, linear probing, a
    // power-of-two count of 8-byte slots at most 3/4 full. A slot holds no key: the high half of
    // the tuple as a fingerprint, and the full tuple is conns_[stream].tuple (set once, when the
    // stream starts, and never changed).
    struct TupleSlot {
        std::uint32_t stream_plus1 = 0;  // 0: empty
        std::uint32_t fingerprint = 0;
    };
    HugePagedTable<Connection, 8> conns_;
    std::unique_ptr<TupleSlot[]> tuple_slots_;
    std::size_t tuple_mask_ = 0;   // slot count - 1 (0 while tuple_slots_ is null)
    std::size_t tuple_count_ = 0;
    std::unordered_map<std::uint32_t, std::uint32_t> alias_;     // tcp.stream -> stream it continues
    HugePagedTable<tcpstate_result, 10> frames_;                  // index: frame number, layer 0
    std::unordered_map<std::uint64_t, tcpstate_result> extra_layers_;
    LifecycleTracker lifecycle_;
};

}  // namespace tcpstate
