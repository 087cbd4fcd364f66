// Connection lifecycles (see lifecycle.hpp): the per-segment update, the log of changes, and what is
// derived from it at query time.
#include "lifecycle.hpp"

#include "findings.hpp"

namespace tcpstate {
namespace {

constexpr std::int64_t kMs = 1'000'000, kUs = 1'000;

State client_of(std::uint8_t pair) { return static_cast<State>(pair & 0x0f); }
State server_of(std::uint8_t pair) { return static_cast<State>(pair >> 4); }
State side_of(std::uint8_t pair, int side) { return side == 0 ? client_of(pair) : server_of(pair); }
std::uint8_t pair_of(State c, State s) { return static_cast<std::uint8_t>(static_cast<unsigned>(c) | static_cast<unsigned>(s) << 4); }

bool ended(State s) { return s == State::Closed || s == State::TimeWait; }
bool no_connection(State s) { return s == State::Closed || s == State::Listen; }
// States after a FIN was sent or received (RFC 9293 3.6).
constexpr StateSet kClosing = states(State::FinWait1, State::FinWait2, State::CloseWait, State::Closing,
                                     State::LastAck, State::TimeWait);

unsigned role(const tcpstate_result& r) { return (r.flags & TCPSTATE_R_SENDER_SERVER) ? 2u : 1u; }

// LEB128: 7 bits a byte, low first, the high bit set on every byte but the last.
unsigned varint_size(std::uint64_t v) {
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}
unsigned put_varint(std::uint8_t* p, std::uint64_t v) {
    unsigned n = 0;
    while (v >= 0x80) {
        p[n++] = static_cast<std::uint8_t>(v | 0x80);
        v >>= 7;
    }
    p[n++] = static_cast<std::uint8_t>(v);
    return n;
}

// The log as (pair, delta) changes, to edit it.
struct Deltas {
    unsigned n = 0;
    std::uint8_t pair[Lifecycle::kMaxChanges + 1] = {};
    std::uint64_t us[Lifecycle::kMaxChanges + 1] = {};
    unsigned bytes() const {
        unsigned b = 0;
        for (unsigned i = 0; i < n; ++i) b += 1 + varint_size(us[i]);
        return b;
    }
};

Deltas read_log(const std::uint8_t* log, unsigned used) {
    Deltas d;
    for (unsigned i = 0; i < used && d.n <= Lifecycle::kMaxChanges;) {
        d.pair[d.n] = log[i++];
        std::uint64_t v = 0;
        for (unsigned shift = 0; i < used; shift += 7) {
            const std::uint8_t b = log[i++];
            if (shift < 64) v |= std::uint64_t{b & 0x7fu} << shift;
            if (!(b & 0x80)) break;
        }
        d.us[d.n++] = v;
    }
    return d;
}

}  // namespace

std::int64_t LifecycleTracker::base_ns(const Lifecycle& l) const {
    return origin_ns_ + static_cast<std::int64_t>(unpack27(l.base_)) * kMs;
}

LifecycleTracker::Changes LifecycleTracker::decode(const Lifecycle& l) const {
    const Deltas d = read_log(l.log_, l.used_);
    Changes c;
    std::int64_t t = base_ns(l);
    for (unsigned i = 0; i < d.n; ++i) {
        t += static_cast<std::int64_t>(d.us[i]) * kUs;
        c.pair[i] = d.pair[i];
        c.at[i] = t;
    }
    c.n = d.n;
    return c;
}

unsigned LifecycleTracker::add_change(Lifecycle& l, std::int64_t t, std::uint8_t pair) const {
    // The previous change's time and the number of changes: one pass over the varints.
    std::uint64_t last_us = 0;
    unsigned n = 0;
    for (unsigned i = 0; i < l.used_;) {
        ++i;  // the pair
        std::uint64_t v = 0;
        for (unsigned shift = 0; i < l.used_; shift += 7) {
            const std::uint8_t b = l.log_[i++];
            if (shift < 64) v |= std::uint64_t{b & 0x7fu} << shift;
            if (!(b & 0x80)) break;
        }
        last_us += v;
        ++n;
    }
    l.last_pair_ = pair;
    // Times before the previous change (a capture whose timestamps go backwards) count as it.
    const std::int64_t last = base_ns(l) + static_cast<std::int64_t>(last_us) * kUs;
    const std::uint64_t delta = t > last ? static_cast<std::uint64_t>(t - last) / kUs : 0;
    if (l.used_ + 1 + varint_size(delta) <= Lifecycle::kLogBytes) {  // the common case: it fits
        l.log_[l.used_] = pair;
        l.used_ = static_cast<std::uint8_t>(l.used_ + 1 + put_varint(l.log_ + l.used_ + 1, delta)) & 0x1f;
        return n;
    }
    // Too long: drop changes from the middle (the 4th first: the handshake's three stay), their time
    // going to the next change, until the log fits; the latest change always stays.
    Deltas d = read_log(l.log_, l.used_);
    d.pair[d.n] = pair;
    d.us[d.n++] = delta;
    while (d.bytes() > Lifecycle::kLogBytes && d.n > 2) {
        const unsigned j = d.n > 4 ? 3 : d.n - 2;
        d.us[j + 1] += d.us[j];
        for (unsigned i = j; i + 1 < d.n; ++i) {
            d.pair[i] = d.pair[i + 1];
            d.us[i] = d.us[i + 1];
        }
        --d.n;
        l.truncated_ = 1;
        const auto shifted = [j](unsigned v) {
            return static_cast<std::uint8_t>(v == j ? Lifecycle::kNone : v != Lifecycle::kNone && v > j ? v - 1 : v);
        };
        l.hs2_ = shifted(l.hs2_) & 0xf;
        l.hs3_ = shifted(l.hs3_) & 0xf;
    }
    unsigned used = 0;
    for (unsigned i = 0; i < d.n; ++i) {
        l.log_[used++] = d.pair[i];
        used += put_varint(l.log_ + used, d.us[i]);
    }
    l.used_ = static_cast<std::uint8_t>(used) & 0x1f;
    return d.n - 1;
}

void LifecycleTracker::on_segment(Lifecycle& l, const tcpstate_segment& seg, const tcpstate_result& r) {
    std::int64_t t = seg.time_ns;
    if (t != 0 && !timed_) {
        timed_ = true;
        origin_ns_ = end_ns_ = t;
    }
    if (t == 0) t = end_ns_;  // unknown: the latest time known
    if (t > end_ns_) end_ns_ = t;
    dirty_ = true;

    const auto cs = static_cast<State>(tcpstate_result_client_state(&r));
    const auto ss = static_cast<State>(tcpstate_result_server_state(&r));
    const std::uint8_t pair = pair_of(cs, ss);
    const unsigned step = tcpstate_result_step(&r);
    const bool from_client = !(r.flags & TCPSTATE_R_SENDER_SERVER);

    const bool first = !l.started();
    if (first) {
        l.base_ = pack27(t > origin_ns_ ? static_cast<std::uint64_t>(t - origin_ns_) / kMs : 0);
        l.syn_first_ = step == TCPSTATE_STEP_SYN && from_client;
        const bool reuse = r.findings & (1u << static_cast<unsigned>(Finding::PortReuse));
        l.reuse_tw_ = reuse && (tcpstate_result_sender_before(&r) == TCPSTATE_S_TIME_WAIT ||
                                tcpstate_result_receiver_before(&r) == TCPSTATE_S_TIME_WAIT);
    }
    const std::uint8_t before = first ? pair : l.last_pair_;
    if (first || pair != before) {
        const unsigned change = add_change(l, t, pair);
        // The handshake (RFC 9293 3.5 figure 6), as seen at the capture point: the first SYN-ACK that
        // took the client out of SYN_SENT, the first handshake ACK that took the server out of SYN_RCVD.
        if (l.hs2_ == Lifecycle::kNone && step == TCPSTATE_STEP_SYN_ACK && !from_client &&
            client_of(before) == State::SynSent && cs != State::SynSent)
            l.hs2_ = static_cast<std::uint8_t>(change);
        if (l.hs3_ == Lifecycle::kNone && step == TCPSTATE_STEP_HANDSHAKE_ACK && from_client &&
            server_of(before) == State::SynRcvd && ss != State::SynRcvd)
            l.hs3_ = static_cast<std::uint8_t>(change);
    }
    if (step == TCPSTATE_STEP_SYN && from_client && l.syns_ < 3) ++l.syns_;

    // Who closed first, and resets (an RST the receiver must ignore closes nothing).
    const bool rst = seg.flags & TCPSTATE_RST;
    const bool accepted_rst = rst && (r.flags & TCPSTATE_R_ACCEPTABLE);
    if (l.closer_ == 0 && (((seg.flags & TCPSTATE_FIN) && !rst) || accepted_rst)) l.closer_ = role(r) & 3;
    if (l.rst_by_ == 0 && accepted_rst) l.rst_by_ = role(r) & 3;

    // Data to an end that no longer has the connection: its state before the segment is CLOSED or
    // LISTEN, and it had been synchronized (not a SYN to a closed port).
    const auto receiver = static_cast<State>(tcpstate_result_receiver_before(&r));
    if (!l.half_open_ && seg.payload_len > 0 && !rst && no_connection(receiver)) {
        const int side = from_client ? 1 : 0;
        const Deltas d = read_log(l.log_, l.used_);
        for (unsigned i = 0; i < d.n; ++i)
            if (in(side_of(d.pair[i], side), kSynchronized)) l.half_open_ = 1;
    }
}

std::int64_t LifecycleTracker::last_time_wait_entry(const Lifecycle& l) const {
    const Changes c = decode(l);
    std::int64_t at = -1;
    for (unsigned i = 0; i < c.n; ++i)
        for (int side = 0; side < 2; ++side)
            if (side_of(c.pair[i], side) == State::TimeWait && (i == 0 || side_of(c.pair[i - 1], side) != State::TimeWait))
                at = c.at[i];
    return at;
}

void LifecycleTracker::settle_reuse(Lifecycle& l, Lifecycle* prev) const {
    l.tw_reuse_ = 0;
    if (!prev) return;  // the previous incarnation is not a connection of this capture with a TIME_WAIT
    const std::int64_t entered = last_time_wait_entry(*prev);
    const std::int64_t start = decode(l).at[0];
    const std::int64_t gap = start - entered;
    if (entered >= 0 && gap >= 0 && gap < static_cast<std::int64_t>(threshold(Stuck::TimeWaitReuse)) * kMs) l.tw_reuse_ = 1;
    // The previous incarnation's TIME_WAIT ends where this one starts: both ends of the 4-tuple now
    // belong to the new connection (once: the next call finds no TIME_WAIT left).
    const Changes p = decode(*prev);
    const std::uint8_t last = prev->last_pair_;
    const auto leave = [](State s) { return s == State::TimeWait ? State::Closed : s; };
    const std::uint8_t pair = pair_of(leave(client_of(last)), leave(server_of(last)));
    if (pair != last && start >= p.at[p.n - 1]) add_change(*prev, start, pair);
}

LifecycleView LifecycleTracker::view(const Lifecycle& l) const {
    LifecycleView v;
    if (!l.started()) return v;
    const Changes c = decode(l);
    const unsigned n = c.n;
    v.timed = timed_;
    v.truncated = l.truncated_;
    v.first_ns = c.at[0];
    v.end_ns = end_ns_;
    v.syns = l.syns_;
    v.closed_first = l.closer_;
    v.rst_by = l.rst_by_;
    const auto end_of = [&](unsigned i) {
        const std::int64_t to = i + 1 < n ? c.at[i + 1] : end_ns_;
        return std::max<std::int64_t>(0, to - c.at[i]);
    };

    for (int side = 0; side < 2; ++side) {
        LifecycleView::Side& s = v.side[side];
        s.in_state_ns.fill(-1);
        for (unsigned i = 0; i < n; ++i) {
            const auto st = static_cast<std::size_t>(side_of(c.pair[i], side));
            if (s.in_state_ns[st] < 0) {
                s.in_state_ns[st] = 0;
                s.order[s.visited++] = static_cast<std::uint8_t>(st);
            }
            s.in_state_ns[st] += end_of(i);
        }
        s.final_state = side_of(c.pair[n - 1], side);
        unsigned first = n - 1;
        while (first > 0 && side_of(c.pair[first - 1], side) == s.final_state) --first;
        s.since_ns = c.at[first];
    }
    const State fc = v.side[0].final_state, fs = v.side[1].final_state;

    if (l.syn_first_ && l.hs2_ < n) v.syn_to_synack_ns = c.at[l.hs2_] - c.at[0];
    if (l.hs2_ < n && l.hs3_ < n && l.hs3_ > l.hs2_) v.synack_to_ack_ns = c.at[l.hs3_] - c.at[l.hs2_];

    if (l.rst_by_ == 1) v.end = TCPSTATE_END_RST_CLIENT;
    else if (l.rst_by_ == 2) v.end = TCPSTATE_END_RST_SERVER;
    else if (ended(fc) && ended(fs)) v.end = TCPSTATE_END_FIN;

    // First FIN -> the change after which both ends are CLOSED or TIME_WAIT (RFC 9293 3.6).
    if (v.end == TCPSTATE_END_FIN && !l.truncated_) {
        unsigned fin = n;
        for (unsigned i = 0; i < n && fin == n; ++i)
            if (in(client_of(c.pair[i]), kClosing) || in(server_of(c.pair[i]), kClosing)) fin = i;
        for (unsigned i = fin; i < n; ++i) {
            if (ended(client_of(c.pair[i])) && ended(server_of(c.pair[i]))) {
                v.close_ns = c.at[i] - c.at[fin];
                break;
            }
        }
    }

    // Stuck conditions, against the end of the capture.
    const auto lasted = [&](std::int64_t since, Stuck s) {
        return since >= 0 && end_ns_ - since >= static_cast<std::int64_t>(threshold(s)) * kMs;
    };
    const auto mark = [&v](Stuck s) { v.stuck |= 1u << static_cast<unsigned>(s); };
    for (int side = 0; side < 2; ++side) {
        const State me = v.side[side].final_state, peer = v.side[1 - side].final_state;
        if (me == State::CloseWait && peer == State::FinWait2 && lasted(v.side[side].since_ns, Stuck::CloseWaitOpen))
            mark(Stuck::CloseWaitOpen);
        if (me == State::FinWait2 && lasted(v.side[side].since_ns, Stuck::FinWait2Open)) mark(Stuck::FinWait2Open);
    }
    if (fc == State::SynSent && l.syn_first_ && l.syns_ >= 2 && lasted(c.at[0], Stuck::SynUnanswered))
        mark(Stuck::SynUnanswered);
    if (fs == State::SynRcvd && l.hs2_ < n && lasted(c.at[l.hs2_], Stuck::SynRcvdOpen)) mark(Stuck::SynRcvdOpen);
    if (l.half_open_) mark(Stuck::HalfOpenData);
    if (l.tw_reuse_) mark(Stuck::TimeWaitReuse);
    return v;
}

}  // namespace tcpstate
