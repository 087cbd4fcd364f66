// Connection lifecycles (see lifecycle.hpp): the per-segment update and what is derived from the log
// of state changes at query time.
#include "lifecycle.hpp"

#include "findings.hpp"

namespace tcpstate {
namespace {

constexpr std::int64_t kMs = 1'000'000, kUs = 1'000;

State client_of(std::uint8_t pair) { return static_cast<State>(pair & 0x0f); }
State server_of(std::uint8_t pair) { return static_cast<State>(pair >> 4); }
State side_of(std::uint8_t pair, int side) { return side == 0 ? client_of(pair) : server_of(pair); }

bool ended(State s) { return s == State::Closed || s == State::TimeWait; }
bool no_connection(State s) { return s == State::Closed || s == State::Listen; }
// States after a FIN was sent or received (RFC 9293 3.6).
constexpr StateSet kClosing = states(State::FinWait1, State::FinWait2, State::CloseWait, State::Closing,
                                     State::LastAck, State::TimeWait);

unsigned role(const tcpstate_result& r) { return (r.flags & TCPSTATE_R_SENDER_SERVER) ? 2u : 1u; }

}  // namespace

std::int64_t LifecycleTracker::time_of(const Lifecycle& l, unsigned i) const {
    return origin_ns_ + static_cast<std::int64_t>(unpack27(l.base_)) * kMs + static_cast<std::int64_t>(unpack27(l.at_[i])) * kUs;
}

std::uint32_t LifecycleTracker::offset_of(const Lifecycle& l, std::int64_t t) const {
    // Times before the connection's first segment (a capture whose timestamps go backwards) count as
    // its first segment's.
    const std::int64_t from = origin_ns_ + static_cast<std::int64_t>(unpack27(l.base_)) * kMs;
    return t > from ? pack27(static_cast<std::uint64_t>(t - from) / kUs) : 0;
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
    const auto pair = static_cast<std::uint8_t>(static_cast<unsigned>(cs) | static_cast<unsigned>(ss) << 4);
    const unsigned step = tcpstate_result_step(&r);
    const bool from_client = !(r.flags & TCPSTATE_R_SENDER_SERVER);

    if (!l.started()) {
        l.base_ = pack27(t > origin_ns_ ? static_cast<std::uint64_t>(t - origin_ns_) / kMs : 0);
        l.syn_first_ = step == TCPSTATE_STEP_SYN && from_client;
        const bool reuse = r.findings & (1u << static_cast<unsigned>(Finding::PortReuse));
        l.reuse_tw_ = reuse && (tcpstate_result_sender_before(&r) == TCPSTATE_S_TIME_WAIT ||
                                tcpstate_result_receiver_before(&r) == TCPSTATE_S_TIME_WAIT);
    }
    const std::uint8_t before = l.started() ? l.states_[l.count_ - 1] : pair;

    // The log: a change of either side's state.
    unsigned change = Lifecycle::kNone;
    if (!l.started() || pair != before) {
        add_change(l, t, pair);
        change = l.count_ - 1;
    }

    // The handshake (RFC 9293 3.5 figure 6), as seen at the capture point: the first SYN-ACK that
    // took the client out of SYN_SENT, the first handshake ACK that took the server out of SYN_RCVD.
    if (change != Lifecycle::kNone && l.hs2_ == Lifecycle::kNone && step == TCPSTATE_STEP_SYN_ACK && !from_client &&
        client_of(before) == State::SynSent && cs != State::SynSent)
        l.hs2_ = change;
    if (change != Lifecycle::kNone && l.hs3_ == Lifecycle::kNone && step == TCPSTATE_STEP_HANDSHAKE_ACK && from_client &&
        server_of(before) == State::SynRcvd && ss != State::SynRcvd)
        l.hs3_ = change;
    if (step == TCPSTATE_STEP_SYN && from_client && l.syns_ < 3) ++l.syns_;

    // Who closed first, and resets (an RST the receiver must ignore closes nothing).
    const bool rst = seg.flags & TCPSTATE_RST;
    const bool accepted_rst = rst && (r.flags & TCPSTATE_R_ACCEPTABLE);
    if (l.closer_ == 0 && (((seg.flags & TCPSTATE_FIN) && !rst) || accepted_rst)) l.closer_ = role(r);
    if (l.rst_by_ == 0 && accepted_rst) l.rst_by_ = role(r);

    // Data to an end that no longer has the connection: its state before the segment is CLOSED or
    // LISTEN, and it had been synchronized (not a SYN to a closed port).
    const auto receiver = static_cast<State>(tcpstate_result_receiver_before(&r));
    if (!l.half_open_ && seg.payload_len > 0 && !rst && no_connection(receiver)) {
        const int side = from_client ? 1 : 0;
        for (unsigned i = 0; i < l.count_; ++i)
            if (in(side_of(l.states_[i], side), kSynchronized)) l.half_open_ = 1;
    }
    if (seg.frame > l.last_frame_) l.last_frame_ = seg.frame;
}

void LifecycleTracker::add_change(Lifecycle& l, std::int64_t t, std::uint8_t pair) const {
    unsigned change = l.count_;
    if (l.count_ < Lifecycle::kChanges) {
        ++l.count_;
    } else {
        change = Lifecycle::kChanges - 1;  // full: the last slot follows the latest change
        l.truncated_ = 1;
        if (l.hs2_ == change) l.hs2_ = Lifecycle::kNone;
        if (l.hs3_ == change) l.hs3_ = Lifecycle::kNone;
    }
    l.at_[change] = offset_of(l, t);
    l.states_[change] = pair;
}

std::int64_t LifecycleTracker::last_time_wait_entry(const Lifecycle& l) const {
    std::int64_t at = -1;
    for (unsigned i = 0; i < l.count_; ++i) {
        const std::uint8_t prev = i ? l.states_[i - 1] : 0;
        for (int side = 0; side < 2; ++side)
            if (side_of(l.states_[i], side) == State::TimeWait && (i == 0 || side_of(prev, side) != State::TimeWait))
                at = time_of(l, i);
    }
    return at;
}

void LifecycleTracker::settle_reuse(Lifecycle& l, Lifecycle* prev) const {
    l.tw_reuse_ = 0;
    if (!prev) return;  // the previous incarnation is not a connection of this capture with a TIME_WAIT
    const std::int64_t entered = last_time_wait_entry(*prev);
    const std::int64_t start = time_of(l, 0);
    const std::int64_t gap = start - entered;
    if (entered >= 0 && gap >= 0 && gap < static_cast<std::int64_t>(threshold(Stuck::TimeWaitReuse)) * kMs) l.tw_reuse_ = 1;
    // The previous incarnation's TIME_WAIT ends where this one starts: both ends of the 4-tuple now
    // belong to the new connection (once: the next call finds no TIME_WAIT left).
    const std::uint8_t last = prev->states_[prev->count_ - 1];
    const auto leave = [](State s) { return s == State::TimeWait ? State::Closed : s; };
    const auto pair = static_cast<std::uint8_t>(static_cast<unsigned>(leave(client_of(last))) |
                                                static_cast<unsigned>(leave(server_of(last))) << 4);
    if (pair != last && start >= time_of(*prev, prev->count_ - 1)) add_change(*prev, start, pair);
}

LifecycleView LifecycleTracker::view(const Lifecycle& l) const {
    LifecycleView v;
    if (!l.started()) return v;
    const unsigned n = l.count_;
    v.timed = timed_;
    v.truncated = l.truncated_;
    v.first_ns = time_of(l, 0);
    v.end_ns = end_ns_;
    v.last_frame = l.last_frame_;
    v.syns = l.syns_;
    v.closed_first = l.closer_;
    v.rst_by = l.rst_by_;
    const auto end_of = [&](unsigned i) {
        const std::int64_t to = i + 1 < n ? time_of(l, i + 1) : end_ns_;
        return std::max<std::int64_t>(0, to - time_of(l, i));
    };

    for (int side = 0; side < 2; ++side) {
        LifecycleView::Side& s = v.side[side];
        s.in_state_ns.fill(-1);
        for (unsigned i = 0; i < n; ++i) {
            const auto st = static_cast<std::size_t>(side_of(l.states_[i], side));
            if (s.in_state_ns[st] < 0) {
                s.in_state_ns[st] = 0;
                s.order[s.visited++] = static_cast<std::uint8_t>(st);
            }
            s.in_state_ns[st] += end_of(i);
        }
        s.final_state = side_of(l.states_[n - 1], side);
        unsigned first = n - 1;
        while (first > 0 && side_of(l.states_[first - 1], side) == s.final_state) --first;
        s.since_ns = time_of(l, first);
    }
    const State fc = v.side[0].final_state, fs = v.side[1].final_state;

    if (l.syn_first_ && l.hs2_ != Lifecycle::kNone) v.syn_to_synack_ns = time_of(l, l.hs2_) - time_of(l, 0);
    if (l.hs2_ != Lifecycle::kNone && l.hs3_ != Lifecycle::kNone && l.hs3_ > l.hs2_)
        v.synack_to_ack_ns = time_of(l, l.hs3_) - time_of(l, l.hs2_);

    if (l.rst_by_ == 1) v.end = TCPSTATE_END_RST_CLIENT;
    else if (l.rst_by_ == 2) v.end = TCPSTATE_END_RST_SERVER;
    else if (ended(fc) && ended(fs)) v.end = TCPSTATE_END_FIN;

    // First FIN -> the change after which both ends are CLOSED or TIME_WAIT (RFC 9293 3.6).
    if (v.end == TCPSTATE_END_FIN && !l.truncated_) {
        unsigned fin = n;
        for (unsigned i = 0; i < n && fin == n; ++i)
            if (in(client_of(l.states_[i]), kClosing) || in(server_of(l.states_[i]), kClosing)) fin = i;
        for (unsigned i = fin; i < n; ++i) {
            if (ended(client_of(l.states_[i])) && ended(server_of(l.states_[i]))) {
                v.close_ns = time_of(l, i) - time_of(l, fin);
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
    if (fc == State::SynSent && l.syn_first_ && l.syns_ >= 2 && lasted(time_of(l, 0), Stuck::SynUnanswered))
        mark(Stuck::SynUnanswered);
    if (fs == State::SynRcvd && l.hs2_ != Lifecycle::kNone && lasted(time_of(l, l.hs2_), Stuck::SynRcvdOpen))
        mark(Stuck::SynRcvdOpen);
    if (l.half_open_) mark(Stuck::HalfOpenData);
    if (l.tw_reuse_) mark(Stuck::TimeWaitReuse);
    return v;
}

}  // namespace tcpstate
