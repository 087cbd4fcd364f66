// Connection lifecycles: when each side entered each state, how long it stayed, the handshake and
// close times, who closed first, how the connection ended, and the "stuck" conditions an SRE looks
// for (CLOSE_WAIT leaks, unanswered SYNs, ...). "netstat for a capture".
//
// Everything here is worked out from what the engine already decided: each segment's result (the
// states of both sides after it, its step, its findings) and the segment's capture time. The engine
// calls LifecycleTracker::on_segment() once per analysed segment; nothing here changes an
// annotation.
//
// Memory is a target (docs/performance.md: <= 256 B per connection): a connection keeps 36 bytes, a
// log of the changes of the pair (client state, server state) and a few bits. Each change is the
// pair's byte and the time since the previous change in microseconds as a LEB128 varint (1 byte
// below 128 us, 2 below 16 ms, 3 below 2 s, 4 below 4.5 min): a FIN close (7 changes) takes 19-24
// of the log's 27 bytes. Everything the outputs show (time in each state per side, since when,
// handshake and close times) is derived from the log at query time, against the end of the capture
// (its last TCP segment). A log that would overflow drops changes from its middle (never the
// handshake's first three nor the latest), adding their time to the next change, and says so
// ("truncated"): the final states, since when and the handshake stay exact.
//
// Times are microseconds (pcap's own resolution; nanosecond captures are truncated), exact: the
// connection's first segment is kept in milliseconds since the capture's first TCP segment
// ("pack27": exact for 37 hours, 27 significant bits after that), the first change's delta holds
// the rest.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "state.hpp"
#include "tcpstate_core.h"

namespace tcpstate {

// ---- The stuck conditions -----------------------------------------------------------------------
// Per connection, never per segment (the per-segment FindingSet is full). Ids are a public filter
// contract (tcpstate.conn.stuck, tcpstate.conn.stuck.<id>): never rename, append only.
enum class Stuck : std::uint8_t {
    CloseWaitOpen,
    FinWait2Open,
    SynUnanswered,
    SynRcvdOpen,
    HalfOpenData,
    TimeWaitReuse,
    Count_
};
inline constexpr std::size_t kStuckCount = static_cast<std::size_t>(Stuck::Count_);

// How a row's threshold applies. Thresholds are milliseconds.
enum class Threshold : std::uint8_t {
    None = TCPSTATE_THRESHOLD_NONE,          // the rule alone decides
    AtLeast = TCPSTATE_THRESHOLD_AT_LEAST,   // the condition must have lasted at least this long
    Below = TCPSTATE_THRESHOLD_BELOW,        // the interval must be shorter than this
};

struct StuckInfo {
    Stuck id;
    std::string_view name;     // filter id, stable
    Threshold kind;
    std::uint32_t default_ms;  // the preference's default
    std::string_view summary;  // a few words, for the note
    std::string_view rule;     // what it means exactly, the RFC where one applies
};

// Defaults: 1 s is RFC 6298's initial retransmission timeout (what Linux uses): a peer that has not
// answered within it has missed a retransmission, and a socket held that long after the peer's FIN
// is no longer a race with the application's close(). 60 s is Linux's TIME_WAIT length
// (TCP_TIMEWAIT_LEN); RFC 9293 3.10.7.4 asks for 2 MSL.
inline constexpr std::array<StuckInfo, kStuckCount> kStuck{{
    {Stuck::CloseWaitOpen, "close_wait_open", Threshold::AtLeast, 1000, "the application has not closed its socket",
     "an end is in CLOSE_WAIT at the end of the capture and its peer in FIN_WAIT_2: the peer's FIN was "
     "acknowledged, its own FIN never sent, the application has not closed the socket (RFC 9293 3.6)"},
    {Stuck::FinWait2Open, "fin_wait_2_open", Threshold::AtLeast, 1000, "the peer's FIN never came",
     "an end is in FIN_WAIT_2 at the end of the capture: its FIN was acknowledged, the peer's FIN never "
     "came (RFC 9293 3.6)"},
    {Stuck::SynUnanswered, "syn_unanswered", Threshold::AtLeast, 1000, "SYN retransmitted, never answered",
     "the client is in SYN_SENT at the end of the capture, its SYN was retransmitted and no acceptable "
     "SYN-ACK (nor RST) came; measured from the first SYN (RFC 9293 3.8.1)"},
    {Stuck::SynRcvdOpen, "syn_rcvd_open", Threshold::AtLeast, 1000, "SYN-ACK sent, the handshake's ACK never came",
     "the server sent a SYN-ACK and is in SYN_RCVD at the end of the capture: the handshake's ACK never "
     "came; measured from the SYN-ACK (RFC 9293 3.5)"},
    {Stuck::HalfOpenData, "half_open_data", Threshold::None, 0, "data sent to an end that no longer had the connection",
     "data was sent to an end that no longer had the connection: CLOSED or LISTEN after the connection "
     "was synchronized (reset, or fully closed) (RFC 9293 3.10.7.1)"},
    {Stuck::TimeWaitReuse, "time_wait_reuse", Threshold::Below, 60000, "4-tuple reused while an end was in TIME_WAIT",
     "the connection's SYN reopened a 4-tuple while an end of its previous incarnation was in TIME_WAIT, "
     "sooner than this after that end entered TIME_WAIT (RFC 6191, RFC 1122 4.2.2.13)"},
}};

constexpr bool stuck_table_in_order() {
    for (std::size_t i = 0; i < kStuck.size(); ++i)
        if (static_cast<std::size_t>(kStuck[i].id) != i) return false;
    return true;
}
static_assert(stuck_table_in_order(), "kStuck rows must follow the Stuck enum order");

constexpr const StuckInfo& info(Stuck s) { return kStuck[static_cast<std::size_t>(s)]; }

// ---- Compact times ------------------------------------------------------------------------------

// A non-negative count in 32 bits: exact below 2^27, else 27 significant bits and a 5-bit shift
// (rounded down). Saturates at the largest value.
constexpr std::uint32_t pack27(std::uint64_t v) {
    constexpr std::uint64_t kMant = std::uint64_t{1} << 27;
    if (v < kMant) return static_cast<std::uint32_t>(v);
    unsigned e = 0;
    while ((v >> e) >= kMant) ++e;
    if (e > 31) return 0xffffffffu;
    return (e << 27) | static_cast<std::uint32_t>(v >> e);
}
constexpr std::uint64_t unpack27(std::uint32_t p) { return std::uint64_t{p & ((1u << 27) - 1)} << (p >> 27); }

// ---- One connection -------------------------------------------------------------------------------

class Lifecycle {
public:
    static constexpr unsigned kLogBytes = 27;
    static constexpr unsigned kMaxChanges = kLogBytes / 2;  // each change takes 2 bytes at least
    static constexpr unsigned kNone = 0xf;                  // no such change

    bool started() const { return used_ != 0; }

private:
    friend class LifecycleTracker;
    std::uint32_t base_ = 0;               // pack27(ms from the capture's first segment to ours)
    std::uint8_t log_[kLogBytes] = {};     // changes: pair byte (client state low nibble, server
                                           // high), LEB128 us since the previous change (the first:
                                           // since base_)
    std::uint8_t last_pair_ = 0;           // the latest change's pair: the per-segment test
    std::uint8_t used_ : 5 = 0;            // bytes of log_ used
    std::uint8_t truncated_ : 1 = 0;       // changes were dropped from the middle of the log
    std::uint8_t syns_ : 2 = 0;            // bare SYNs sent by the client, 3 = three or more
    std::uint8_t syn_first_ : 1 = 0;       // the first segment was the client's SYN (change 0 is its time)
    std::uint8_t closer_ : 2 = 0;          // 0 none, 1 client, 2 server: first FIN or accepted RST
    std::uint8_t rst_by_ : 2 = 0;          // 0 none, 1 client, 2 server: first accepted RST
    std::uint8_t half_open_ : 1 = 0;       // data sent to an end that no longer had the connection
    std::uint8_t reuse_tw_ : 1 = 0;        // first segment: port_reuse with an end still in TIME_WAIT
    std::uint8_t tw_reuse_ : 1 = 0;        // ... and sooner than the threshold (settled by finish())
    std::uint8_t hs2_ : 4 = kNone;         // change made by the first accepted SYN-ACK
    std::uint8_t hs3_ : 4 = kNone;         // change made by the first handshake ACK (3/3)
};
static_assert(sizeof(Lifecycle) == 36, "per-connection memory is a target (docs/performance.md)");

// ---- What the outputs show about one connection ------------------------------------------------------

struct LifecycleView {
    bool timed = false;
    bool truncated = false;
    std::int64_t first_ns = -1;
    std::int64_t end_ns = -1;  // the end of the capture (its last TCP segment)
    struct Side {
        State final_state = State::Unknown;
        std::int64_t since_ns = -1;
        std::array<std::int64_t, kStateCount> in_state_ns{};  // -1: never in it
        std::array<std::uint8_t, kStateCount> order{};        // states in order of first entry
        unsigned visited = 0;                                 // entries used in `order`
    } side[2];
    std::int64_t syn_to_synack_ns = -1, synack_to_ack_ns = -1, close_ns = -1;
    unsigned closed_first = 0, rst_by = 0, syns = 0;
    unsigned end = TCPSTATE_END_OPEN;
    std::uint32_t stuck = 0;
};

// ---- The engine's part: clock, thresholds, and the per-connection updates ---------------------

class LifecycleTracker {
public:
    LifecycleTracker() {
        for (std::size_t i = 0; i < kStuckCount; ++i) thresholds_[i] = kStuck[i].default_ms;
    }

    // After the engine analysed `seg` into `r` for the connection that owns `life`.
    void on_segment(Lifecycle& life, const tcpstate_segment& seg, const tcpstate_result& r);

    // What needs the whole capture so far: time_wait_reuse compares a connection with the previous
    // one on its 4-tuple, and that previous one's TIME_WAIT ends where the new incarnation starts
    // (the engine carries the TIME_WAIT end over into it: docs/model.md, port reuse). `at(i)` gives
    // stream i's 4-tuple key and Lifecycle (nullptr when stream i has no connection). Cheap when
    // nothing was processed since the last call.
    template <typename At>
    void finish(std::size_t streams, At at);

    LifecycleView view(const Lifecycle& life) const;
    bool dirty() const { return dirty_; }

    void set_threshold(Stuck s, std::uint32_t ms) {
        thresholds_[static_cast<std::size_t>(s)] = ms;
        dirty_ = true;
    }
    std::uint32_t threshold(Stuck s) const { return thresholds_[static_cast<std::size_t>(s)]; }

    // The log, decoded: each change's pair and absolute time (ns).
    struct Changes {
        unsigned n = 0;
        std::uint8_t pair[Lifecycle::kMaxChanges + 1] = {};
        std::int64_t at[Lifecycle::kMaxChanges + 1] = {};
    };

private:
    Changes decode(const Lifecycle& life) const;
    std::int64_t base_ns(const Lifecycle& life) const;
    std::int64_t last_time_wait_entry(const Lifecycle& life) const;
    void settle_reuse(Lifecycle& life, Lifecycle* prev) const;
    unsigned add_change(Lifecycle& life, std::int64_t t, std::uint8_t pair) const;  // its index

    std::int64_t origin_ns_ = 0;  // the first timed segment
    std::int64_t end_ns_ = 0;     // the latest timed segment
    bool timed_ = false;
    bool dirty_ = false;
    std::array<std::uint32_t, kStuckCount> thresholds_{};
};

template <typename At>
void LifecycleTracker::finish(std::size_t streams, At at) {
    if (!dirty_) return;
    dirty_ = false;
    // 4-tuple -> the latest connection on it that had an end in TIME_WAIT, in stream order (Wireshark
    // numbers streams in order of their first segment). Held for this call only.
    std::unordered_map<std::uint64_t, Lifecycle*> time_wait;
    for (std::size_t i = 0; i < streams; ++i) {
        const auto [tuple, life] = at(i);
        if (!life || !life->started()) continue;
        if (life->reuse_tw_) {
            const auto it = time_wait.find(tuple);
            settle_reuse(*life, it == time_wait.end() ? nullptr : it->second);
        }
        if (last_time_wait_entry(*life) >= 0) time_wait[tuple] = life;
        else if (!time_wait.empty()) time_wait.erase(tuple);
    }
}

}  // namespace tcpstate
