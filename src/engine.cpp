// The tcpstate engine. Read docs/model.md first: it is the specification of what follows.
//
// RFCs applied here: RFC 9293 (3.3.2 states, 3.4 sequence numbers, 3.5 and 3.6 open and close,
// 3.10.7 segment arrives), RFC 5961 (3.2 RST, 4 SYN in synchronized states), RFC 7323 (2.2, 2.3
// window scale), RFC 1337 (RST in TIME-WAIT), RFC 6191 / RFC 1122 4.2.2.13 (new incarnations).
//
// A passive observer sees what was sent, not what was processed. Where the engine assumes
// (delivery of every segment, a listener behind a port), docs/model.md says so, and the crossing
// rule undoes an assumption when a later segment contradicts it.
#include "engine.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include <sys/mman.h>

#include "ws.hpp"

namespace tcpstate {

Connection::Connection() = default;
Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

namespace {

// Only needs to tell the two ends of one connection apart: two word loads and two multiplies
// (injective for IPv4: address and port fit one word and the multiplier is odd).
[[gnu::always_inline]] inline std::uint64_t endpoint_id(const std::uint8_t* addr, std::size_t len, std::uint16_t port) {
    std::uint64_t a = 0, b = 0;
    if (addr && len == 4) {
        std::uint32_t v;
        std::memcpy(&v, addr, 4);
        a = v;
    } else if (addr && len == 16) {
        std::memcpy(&a, addr, 8);
        std::memcpy(&b, addr + 8, 8);
    } else {
        for (std::size_t i = 0; addr && i < len; ++i) a = (a ^ addr[i]) * 1099511628211ull;
    }
    std::uint64_t h = (a ^ (std::uint64_t{port} << 32) ^ (static_cast<std::uint64_t>(len) << 48)) * 0x9e3779b97f4a7c15ull;
    h ^= (b ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
    return h == 0 ? 1 : h;
}

constexpr std::uint8_t kMaxWscale = 14;  // RFC 7323 2.3

std::uint64_t tuple_key(std::uint64_t a, std::uint64_t b) {
    const std::uint64_t lo = std::min(a, b), hi = std::max(a, b);
    return lo * 0x9e3779b97f4a7c15ull ^ (hi + 0x7f4a7c159e3779b9ull + (lo << 6) + (lo >> 2));
}

bool ended(State s) { return s == State::Closed || s == State::TimeWait; }

// Whether a segment with SYN (no RST) from endpoint `src` continues the handshake of connection `c`
// (Engine::process: the tcp.stream numbering of releases): c's client has sent nothing but its
// SYN, and the segment is the server's SYN-ACK acknowledging it, the server's bare SYN, or the
// client's SYN again with the same ISS.
bool continues_handshake(const Connection& c, std::uint64_t src, const tcpstate_segment& seg) {
    const Endpoint& client = c.ep[0];
    if (!client.syn_sent || client.ack_seen || client.fin_sent) return false;
    const bool from_client = c.client_id == src;
    if (seg.flags & TCPSTATE_ACK) return !from_client && Seq(seg.ack) == client.iss + 1;
    return !from_client || Seq(seg.seq) == client.iss;
}

// A violation remembers the value it saw and the bound it broke, for the expert-info message.
struct Detail {
    Finding finding = Finding::Count_;
    std::uint32_t seen = 0, bound = 0;
};

struct Findings {
    FindingSet set;
    Detail detail;

    void add(Finding f) { set.add(f); }
    void add(Finding f, std::uint32_t seen, std::uint32_t bound) {
        set.add(f);
        if (info(f).severity == Severity::Warning && f < detail.finding) detail = {f, seen, bound};
    }
};

// The receive window of the receiver as the observer knows it (docs/model.md, "Sequence space").
struct Window {
    bool known = false;
    Seq rcv_nxt;
    std::uint32_t wnd = 0;  // RCV.WND, 0 when the advertised right edge is at or behind RCV.NXT
    Seq right_edge() const { return rcv_nxt + wnd; }
};

// RFC 9293 3.10.7.4, the four cases of the acceptability test. An unknown window is taken as
// unbounded on the right: only "wholly old" is then unacceptable.
[[gnu::always_inline]] inline bool acceptable(Seq seq, std::uint32_t len, const Window& w) {
    if (!w.known) return len == 0 ? seq >= w.rcv_nxt : (seq + (len - 1)) >= w.rcv_nxt;
    const auto in_window = [&w](Seq x) { return w.rcv_nxt <= x && x < w.rcv_nxt + w.wnd; };
    if (len == 0 && w.wnd == 0) return seq == w.rcv_nxt;
    if (len == 0) return in_window(seq);
    if (w.wnd == 0) return false;
    return in_window(seq) || in_window(seq + (len - 1));
}

// What the sender's segment looked like relative to its own sequence space.
struct SendShape {
    bool seq_known = false;  // the sender's snd_nxt was known before this segment
    Seq snd_nxt;             // ... and its value: the receiver's RCV.NXT estimate
    bool retrans = false;    // wholly repeats sequence space already sent
    bool control_repeat = false;  // repeats our own SYN (same ISS) or FIN (same FIN seq)
    bool same_iss = false;        // a SYN with the ISS we already know
    bool keepalive = false;
    bool window_probe = false;
    bool wholly_old = false;
};

struct RecvOutcome {
    State expected;
    bool acceptable = false;
};

Control control_of(const SegmentView& s) {
    if (s.rst()) return Control::Rst;
    if (s.syn()) return s.ack_flag() ? Control::SynAck : Control::Syn;
    if (s.fin()) return Control::Fin;
    return Control::None;
}

// The state an endpoint reaches on receiving the control `c` after its own send (crossing rule).
State receive_control(State s, Control c) {
    switch (c) {
    case Control::Syn: return recv_next(kRecvSyn, s);
    case Control::SynAck: return s == State::SynSent || s == State::SynRcvd ? State::Established : s;
    case Control::Fin: return recv_next(kRecvFin, s);
    case Control::Rst: return State::Closed;  // SegmentAnalysis::reset_state() for a passive SYN_RCVD
    case Control::AckOfControl: return recv_next(kRecvAckOfControl, s);
    case Control::None: return s;
    }
    return s;
}

// The payload bytes of this segment that the WebSocket tracker has not seen yet, in order.
struct PayloadChunk {
    const std::uint8_t* data = nullptr;
    std::uint32_t len = 0;
    bool gap = false;  // bytes before this chunk are missing
};

PayloadChunk new_payload(Endpoint& e, const SegmentView& s) {
    const Seq start = s.seq + (s.syn() ? 1u : 0u);
    PayloadChunk chunk{s.payload, s.payload_captured, false};
    Seq at = start;
    if (e.ws_started) {
        const std::int32_t behind = e.ws_next - start;
        if (behind > 0) {  // overlaps what was fed: keep only the new part
            const auto skip = static_cast<std::uint32_t>(behind);
            if (skip >= s.payload_len || skip >= chunk.len) return {};
            chunk.data += skip;
            chunk.len -= skip;
            at = e.ws_next;
        }
        chunk.gap = at != e.ws_next || e.ws_hole;
    } else {
        // The first bytes: in sync if they follow the SYN, or if no SYN was seen (mid-stream).
        chunk.gap = e.syn_sent && start != e.iss + 1;
    }
    e.ws_started = true;
    e.ws_next = start + s.payload_len;
    e.ws_hole = s.payload_captured < s.payload_len;
    return chunk;
}

// The WebSocket tracker sees each direction's new payload bytes in order (S: the sender, d: its
// index; retrans: the segment wholly repeats sequence space already sent). Called by websocket_step()
// below, which skips it once the session is done: from then on the endpoints' ws_* fields stop
// following the stream (only new_payload() reads them).
[[gnu::noinline]] void websocket_feed(Connection& c, Endpoint& S, const SegmentView& s, int d, bool retrans, std::uint8_t& bits,
                                      std::uint16_t& close, FindingSet& findings) {
    if (!c.ws) c.ws = std::make_unique<ws::Session>();
    const bool from_client = d == 0;
    ws::FeedResult wr;
    wr.active = c.ws->active();
    if (s.payload_captured > 0 && !retrans && !s.rst()) {
        const PayloadChunk chunk = new_payload(S, s);
        if (chunk.len > 0 || s.tls_count > 0)
            wr = c.ws->feed(from_client, chunk.data, chunk.len, chunk.gap, s.frame, s.tls, s.tls_count);
    }
    if (s.fin() || s.rst()) {
        const ws::FeedResult cr = c.ws->on_tcp_close(from_client, s.rst(), s.frame);
        wr.findings |= cr.findings;
        wr.active = wr.active || cr.active;
    }
    bits = static_cast<std::uint8_t>(static_cast<unsigned>(wr.upgrade) & TCPSTATE_WS_UPGRADE_MASK);
    if (wr.active) bits |= TCPSTATE_WS_ACTIVE;
    if (wr.close_code >= 0) {
        bits |= TCPSTATE_WS_CLOSE;
        close = static_cast<std::uint16_t>(wr.close_code);
    }
    findings |= wr.findings;
}

// The step for every segment: nothing to do without a session and payload to start one, once the
// session is done, or, before the upgrade, for a segment with neither payload nor FIN/RST (what
// follows would feed it for an empty result).
inline void websocket_step(Connection& c, Endpoint& S, const SegmentView& s, int d, bool retrans, std::uint8_t& bits,
                           std::uint16_t& close, FindingSet& findings) {
    if (!c.ws ? s.payload_captured == 0
              : c.ws->done() || (s.payload_captured == 0 && !c.ws->active() && !(s.flags & (TCPSTATE_FIN | TCPSTATE_RST))))
        return;
    websocket_feed(c, S, s, d, retrans, bits, close, findings);
}

}  // namespace

HugeGroups::~HugeGroups() {
    for (void* g : groups_) munmap(g, kGroup);
}

void* HugeGroups::take(std::size_t bytes) {
    if (used_ + bytes > kGroup) {
        // Map twice the size and keep the aligned 2 MiB inside it.
        void* raw = mmap(nullptr, 2 * kGroup, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) throw std::bad_alloc();
        const auto start = reinterpret_cast<std::uintptr_t>(raw);
        const std::uintptr_t aligned = (start + kGroup - 1) & ~(std::uintptr_t{kGroup} - 1);
        if (aligned > start) munmap(raw, aligned - start);
        if (start + 2 * kGroup > aligned + kGroup) munmap(reinterpret_cast<void*>(aligned + kGroup), start + 2 * kGroup - (aligned + kGroup));
        void* g = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
        madvise(g, kGroup, MADV_HUGEPAGE);
#endif
        try {
            groups_.push_back(g);
        } catch (...) {
            munmap(g, kGroup);
            throw;
        }
        used_ = 0;
    }
    void* p = static_cast<char*>(groups_.back()) + used_;
    used_ += bytes;
    return p;
}

Engine::Engine() = default;
Engine::~Engine() = default;

const Connection* Engine::connection(std::uint32_t stream) const {
    return stream < conns_.size() && conns_[stream].started ? &conns_[stream] : nullptr;
}

std::size_t Engine::memory() const {
    std::size_t n = conns_.memory() + frames_.memory();
    if (tuple_slots_) n += (tuple_mask_ + 1) * sizeof(TupleSlot);
    n += extra_layers_.size() * (sizeof(tcpstate_result) + 3 * sizeof(void*));
    conns_.for_each([&n](const Connection& c) {
        if (c.ws) n += c.ws->memory();
    });
    return n;
}

namespace {
std::size_t tuple_home(std::uint64_t tuple, std::size_t mask) {
    return static_cast<std::size_t>((tuple * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}
}  // namespace

std::uint32_t Engine::find_tuple(std::uint64_t tuple) const {
    if (!tuple_slots_) return kNoStream;
    const auto fp = static_cast<std::uint32_t>(tuple >> 32);
    for (std::size_t i = tuple_home(tuple, tuple_mask_);; i = (i + 1) & tuple_mask_) {
        const TupleSlot& slot = tuple_slots_[i];
        if (slot.stream_plus1 == 0) return kNoStream;
        if (slot.fingerprint == fp && conns_[slot.stream_plus1 - 1].tuple == tuple) return slot.stream_plus1 - 1;
    }
}

void Engine::set_tuple(std::uint64_t tuple, std::uint32_t stream) {
    // Precondition: conns_[stream].tuple == tuple (the slot's key is read from there).
    const auto fp = static_cast<std::uint32_t>(tuple >> 32);
    if (tuple_slots_) {
        for (std::size_t i = tuple_home(tuple, tuple_mask_);; i = (i + 1) & tuple_mask_) {
            TupleSlot& slot = tuple_slots_[i];
            if (slot.stream_plus1 == 0) break;
            if (slot.fingerprint == fp && conns_[slot.stream_plus1 - 1].tuple == tuple) {
                slot.stream_plus1 = stream + 1;  // the latest stream on this 4-tuple
                return;
            }
        }
    }
    if ((tuple_count_ + 1) * 4 > (tuple_slots_ ? tuple_mask_ + 1 : 0) * 3) {
        const std::size_t size = tuple_slots_ ? (tuple_mask_ + 1) * 2 : 16;
        std::unique_ptr<TupleSlot[]> old = std::move(tuple_slots_);
        const std::size_t old_size = old ? tuple_mask_ + 1 : 0;
        tuple_slots_ = std::make_unique<TupleSlot[]>(size);
        tuple_mask_ = size - 1;
        for (std::size_t j = 0; j < old_size; ++j) {
            if (old[j].stream_plus1 == 0) continue;
            std::size_t i = tuple_home(conns_[old[j].stream_plus1 - 1].tuple, tuple_mask_);
            while (tuple_slots_[i].stream_plus1 != 0) i = (i + 1) & tuple_mask_;
            tuple_slots_[i] = old[j];
        }
    }
    std::size_t i = tuple_home(tuple, tuple_mask_);
    while (tuple_slots_[i].stream_plus1 != 0) i = (i + 1) & tuple_mask_;
    tuple_slots_[i] = {stream + 1, fp};
    ++tuple_count_;
}

void Engine::store(std::uint32_t frame, std::uint32_t layer, const tcpstate_result& r) {
    // Frames come in order, so the dense table grows by small steps; a frame number far ahead of it
    // (only a hostile caller does that) goes to the side table instead of a huge allocation.
    const std::size_t need = std::size_t{frame} + 1;
    if (layer == 0 && need <= frames_.size() + kMaxJump) {
        frames_.grow_to(need);
        frames_[frame] = r;
    } else {
        extra_layers_[(static_cast<std::uint64_t>(frame) << 8) | (layer & 0xff)] = r;
    }
}

bool Engine::lookup(std::uint32_t frame, std::uint32_t layer, tcpstate_result& out) const {
    if (layer == 0 && frame < frames_.size() && (frames_[frame].ws & TCPSTATE_VALID)) {
        out = frames_[frame];
        return true;
    }
    if (extra_layers_.empty()) return false;
    const auto it = extra_layers_.find((static_cast<std::uint64_t>(frame) << 8) | (layer & 0xff));
    if (it == extra_layers_.end()) return false;
    out = it->second;
    return true;
}

bool Engine::process(const tcpstate_segment& seg, std::uint32_t layer, tcpstate_result& out,
                     const tcpstate_tls_record* tls, std::size_t tls_count) {
    out = tcpstate_result{};
    // Analyse each (frame, layer) once: a second call returns the first result, so every pass
    // draws the same annotation.
    if (lookup(seg.frame, layer, out)) return true;
    // Stream ids come in order (Wireshark numbers them); one far ahead is refused, not allocated for.
    if (seg.stream >= kMaxStreams || std::size_t{seg.stream} >= conns_.size() + kMaxJump || layer > 0xff) return false;
    if (seg.stream >= conns_.size())
        conns_.grow_to(std::size_t{seg.stream} + 1);

    // The connection must not depend on how a Wireshark release numbers tcp.stream. Releases open a
    // new tcp.stream for some SYNs of a handshake still under way on the same 4-tuple: 4.4 and
    // later for a SYN-ACK after a RST, for a second SYN-ACK with another ISN, and for the SYN
    // retransmitted after a RST; every release for the server's own SYN of a split handshake
    // (docs/releases.md). A segment with SYN that opens a tcp.stream and continues the handshake of
    // the connection on its 4-tuple whose client has sent nothing but its SYN (and resets) - the
    // server's SYN-ACK acknowledging that SYN, the server's bare SYN, or the client's SYN again with
    // the same ISS - continues that connection, under its stream number.
    const std::uint64_t src = endpoint_id(seg.src_addr, seg.addr_len, seg.src_port);
    const std::uint64_t dst = endpoint_id(seg.dst_addr, seg.addr_len, seg.dst_port);
    std::uint32_t stream = seg.stream;
    if (const auto a = alias_.empty() ? alias_.end() : alias_.find(stream); a != alias_.end()) {
        stream = a->second;
    } else if (!conns_[stream].started && (seg.flags & (TCPSTATE_SYN | TCPSTATE_RST)) == TCPSTATE_SYN) {
        const std::uint32_t prev = find_tuple(tuple_key(src, dst));
        if (prev != kNoStream && prev != stream && prev < conns_.size() && conns_[prev].started &&
            continues_handshake(conns_[prev], src, seg)) {
            alias_[stream] = prev;
            stream = prev;
        }
    }

    const SegmentView s{stream,
                        seg.frame,
                        src,
                        dst,
                        Seq(seg.seq),
                        Seq(seg.ack),
                        seg.flags,
                        seg.window,
                        seg.wscale,
                        seg.payload_len,
                        seg.payload,
                        std::min(seg.payload_captured, seg.payload_len),
                        tls_count > 0 ? tls : nullptr,
                        tls ? tls_count : 0};
    out = analyse(conns_[stream], s);
    lifecycle_.on_segment(conns_[stream].life, seg, out);
    store(seg.frame, layer, out);
    return true;
}

// The first segment of a connection decides roles and initial states (docs/model.md, "Roles").
void Engine::start(Connection& c, const SegmentView& s) {
    c.started = true;
    c.tuple = tuple_key(s.src, s.dst);
    if (s.syn() && !s.ack_flag()) {
        c.client_id = s.src;
        c.ep[0].state = State::Closed;
        c.ep[1].state = State::Listen;
    } else if (s.syn() && s.ack_flag() && !s.rst()) {
        // A SYN-ACK first: the SYN was sent but not captured.
        c.client_id = s.dst;
        c.ep[0].state = State::SynSent;
        c.ep[1].state = State::SynRcvd;
    } else {
        c.client_id = s.src;
        c.ep[0].state = c.ep[1].state = State::Unknown;
        c.midstream = true;
    }
}

namespace {

// The analysis of one segment from sender S to receiver R, in the order the RFC processes it. Each
// step is a small member function; `run()` lists them.
//
// The observer's rule (docs/model.md, "Verdicts"): a segment is a violation only when no delivery
// history consistent with the capture so far makes it legal. Every segment is evidence about its
// sender: reconcile_sender() reads what the sender had received when it sent it (its ACK, a repeated
// SYN, any segment after a RST) and corrects the assumptions made for it; the receiver's own ACKs
// tell its RCV.NXT when the assumed deliveries do not make a RST exact (receive_rst()).
class SegmentAnalysis {
public:
    SegmentAnalysis(Connection& c, const SegmentView& s, int d, const FindingSet& notes, bool new_incarnation)
        : c_(c), s_(s), d_(d), S(c.ep[d]), R(c.ep[1 - d]), new_incarnation_(new_incarnation),
          bare_syn_(s.syn() && !s.ack_flag() && !s.rst()), ctl_(control_of(s)), seg_len_(s.seg_len()) {
        f_.set = notes;
    }

    tcpstate_result run() {
        check_flags();
        shape_sender();
        // A SYN captured after the SYN-ACK that acknowledges it (the capture reordered them): it
        // repeats what the peer already acknowledged and changes nothing.
        late_syn_ = bare_syn_ && !S.syn_sent && R.synack_sent && s_.seq + 1 == R.synack_ack;
        reconcile_sender();
        choose_synack();
        infer_unseen_segments();
        judge_receiver_window();
        receive();
        send();
        tcpstate_result r = expected_values();
        commit_sender();
        commit_receiver();
        classify_step();
        summarise();
        websocket();
        return finish(r);
    }

private:
    // Flags (RFC 9293 3.1): SYN with FIN or RST, or none of SYN/ACK/FIN/RST.
    void check_flags() {
        const auto& s = s_;
        if ((s.syn() && (s.fin() || s.rst())) || (s.flags & (TCPSTATE_SYN | TCPSTATE_ACK | TCPSTATE_FIN | TCPSTATE_RST)) == 0)
            f_.add(Finding::BadFlags);
        if (!s.ack_flag() && !s.rst() && !bare_syn_) f_.add(Finding::AckFlagMissing);
    }

    // The sender's sequence space before this segment: retransmission, keep-alive, and whether a
    // SYN-ACK competes with one already sent with another ISN.
    void shape_sender() {
        const auto& s = s_;
        shape_.seq_known = S.seq_known;
        shape_.snd_nxt = S.snd_nxt;
        // A SYN repeats our own SYN when its ISS is the same; a SYN-ACK repeats only a SYN-ACK (the
        // first SYN-ACK after our bare SYN in a simultaneous open is not a retransmission, 3.5).
        shape_.same_iss = s.syn() && S.syn_sent && s.seq == S.iss;
        if (s.syn()) shape_.control_repeat = shape_.same_iss && (!s.ack_flag() || S.synack_sent);
        else if (s.fin()) shape_.control_repeat = S.fin_sent && s.seq + s.payload_len == S.fin_seq;
        // Several SYN-ACKs with different ISNs answering one SYN (a middlebox or load balancer racing
        // the server): each is some sender's first SYN-ACK; the one the client acknowledges is the
        // connection (choose_synack()).
        competing_ = s.syn() && s.ack_flag() && !s.rst() && S.synack_sent && !shape_.same_iss;
        if (competing_) {
            shape_.seq_known = false;  // another sequence space: no expected SEQ from the first one
            f_.add(Finding::CompetingSynAck);
        }
        if (shape_.seq_known && !s.rst()) {
            const bool plain = !s.syn() && !s.fin();
            shape_.keepalive = plain && s.payload_len <= 1 && s.seq == S.snd_nxt - 1;
            shape_.retrans = s.syn() ? shape_.control_repeat
                                     : seg_len_ > 0 && !shape_.keepalive && s.seq + seg_len_ <= S.snd_nxt;
        }
    }

    // What this segment shows its sender had received when it sent it (docs/model.md, "Evidence
    // from the sender"): it corrects the observer's assumptions about the sender, never the segment.
    void reconcile_sender() {
        before_ = S.state;
        switch (S.pending) {
        case Control::AckOfControl: reconcile_ack_of_control(); break;
        case Control::Rst: reconcile_reset(); break;
        case Control::Syn:
        case Control::SynAck:
            if (!late_syn_) reconcile_control();
            break;
        case Control::Fin:  // never pending: reconcile_fin() reads the FIN's receipt from the state
        case Control::None: break;
        }
        reconcile_fin();
        deliver_late_fin();
    }

    // Retransmitting our SYN-ACK or FIN shows the ACK of it had not arrived when we sent this
    // (docs/model.md, "Lost acknowledgments").
    // Anything but a RST from an end the observer took to be CLOSED by that ACK (LAST_ACK) was sent
    // before the ACK arrived: the two crossed, and the ACK is processed after it. So is the ACK of a
    // retransmitted FIN that rode on the peer's FIN, when that FIN crossed this segment too.
    void reconcile_ack_of_control() {
        const auto& s = s_;
        if (shape_.control_repeat && (s.fin() || (s.syn() && s.ack_flag()))) {
            before_ = S.pending_before;
            cross_ack_ = S.pending_with_fin && s.fin() && fin_not_covered();
        } else if (S.state == State::Closed && !s.rst()) {
            before_ = S.pending_before;
            cross_ack_ = true;
        }
        S.pending = Control::None;
    }

    // This segment's ACK does not cover the peer's FIN, which the observer counted as received.
    bool fin_not_covered() const {
        const auto& s = s_;
        return s.ack_flag() && !s.rst() && R.fin_sent && s.ack < R.fin_seq + 1 && S.rcv_known && S.rcv_nxt > R.fin_seq;
    }

    // Its ACK does not cover the peer's FIN that the observer took as received: it was sent before
    // that FIN arrived (docs/model.md, "Crossing segments"). Its state when sending is the one
    // before the FIN (kUnrecvFin), and the FIN is processed after it, as long as the observer keeps
    // assuming it arrives: the next segment is judged the same way.
    void reconcile_fin() {
        if (!fin_not_covered() || recv_next(kUnrecvFin, S.state) == S.state) return;
        before_ = recv_next(kUnrecvFin, before_);  // before_ may already be from before that FIN
        cross_fin_ = true;
    }

    // The observer took the peer's RST as accepted. Any other segment from us shows it had not reset
    // us when we sent this: it was still in flight, or it was not acceptable when it arrived. If our
    // RCV.NXT (this segment's ACK) is the RST's SEQ, it resets us when it arrives after this segment;
    // otherwise it arrives out of the window and is ignored (RFC 9293 3.10.7.4, RFC 5961 3.2).
    void reconcile_reset() {
        const auto& s = s_;
        if (s.rst()) return;  // a reset end answering with a reset: consistent, and settled below
        before_ = S.pending_before;
        S.pending = Control::None;
        f_.add(Finding::AssumedUndelivered);
        if (s.ack_flag() && s.ack == S.pending_end) crossed_ = Control::Rst;
    }

    // A SYN, SYN-ACK or FIN of the peer whose receipt was assumed. docs/model.md, "Crossing
    // segments", "Refused", "A SYN-ACK that never arrived".
    void reconcile_control() {
        const auto& s = s_;
        if (s.rst() && S.pending == Control::Syn && S.pending_before == State::Listen && !S.syn_sent &&
            s.ack_flag() && R.syn_sent && s.ack == R.iss + 1) {
            // The SYN was answered by RST: there was no listener, the port was CLOSED (3.10.7.1).
            before_ = State::Closed;
            refused_ = true;
            S.pending = Control::None;
        } else if (S.pending != Control::Fin && s.syn() && s.ack_flag() && !S.synack_sent && !s.rst() &&
                   S.pending_before == State::SynRcvd) {
            // Our first SYN-ACK, sent in SYN_RCVD: the peer's SYN-ACK crossed it (3.5 figure 7).
            // Its ACK covers the peer's SYN either way, so only the SYN tells.
            crossed_ = S.pending;
            before_ = S.pending_before;
            S.pending = Control::None;
        } else if (s.ack_flag() && s.ack >= S.pending_end) {
            S.pending = Control::None;  // confirmed: the segment acknowledges it
        } else if (S.pending == Control::SynAck && bare_syn_ && shape_.same_iss) {
            // Our SYN again, same ISS: the SYN-ACK never reached us (3.8.1): we are still in
            // SYN_SENT, and that SYN-ACK is not processed later either. However often it repeats.
            before_ = S.pending_before;
            S.pending = Control::None;
            f_.add(Finding::AssumedUndelivered);
        } else if (bare_syn_ || (s.fin() && !s.rst())) {
            crossed_ = S.pending;
            before_ = S.pending_before;
            // A bare SYN is an active open: the side taken to be listening was CLOSED (3.5 figure 7).
            if (bare_syn_ && before_ == State::Listen) before_ = State::Closed;
            S.pending = Control::None;
        }
    }

    // Our ACK covers the peer's FIN, which the observer had not counted as received (taken as not
    // delivered, or judged out of the window): it arrived before this segment left.
    void deliver_late_fin() {
        const auto& s = s_;
        if (!s.ack_flag() || s.rst() || !R.fin_sent || s.ack < R.fin_seq + 1) return;
        if (S.rcv_known && S.rcv_nxt > R.fin_seq) return;  // counted already
        if (!in(before_, kSynchronized)) return;
        before_ = recv_next(kRecvFin, before_);
        S.rcv_nxt = R.fin_seq + 1;
        S.rcv_known = true;
    }

    // A client acknowledging the ISN of a competing SYN-ACK other than the one assumed delivered
    // shows which one reached it (docs/model.md, "Competing SYN-ACKs").
    void choose_synack() {
        const auto& s = s_;
        if (!s.ack_flag() || s.syn() || s.rst() || !R.alt_iss_known || s.ack != R.alt_iss + 1) return;
        std::swap(R.iss, R.alt_iss);
        R.snd_nxt = R.iss + 1;
        f_.add(Finding::AssumedUndelivered);
    }

    // Unseen peer segments implied by this one (docs/model.md, "Send transitions"), only when
    // nothing the sender itself sent speaks against it.
    void infer_unseen_segments() {
        const auto& s = s_;
        const bool plain_ack = !s.syn() && !s.rst() && s.ack_flag();
        if (plain_ack && before_ == State::SynSent) {
            before_ = State::Established;  // it received a SYN-ACK the capture lacks
            inferred_synack_ = true;
            f_.add(Finding::UnseenSegment);
        }
        // SYN_RCVD sends data or ACKs only once the handshake ACK arrived (3.10.2): it did, unseen;
        // unless it never sent its SYN-ACK, its ACK does not acknowledge the peer's SYN, or the
        // segment is the challenge ACK RFC 5961 makes it send (then it stays SYN_RCVD).
        const bool acks_peer_syn = !R.syn_sent || (s.ack > R.iss && s.ack <= R.snd_nxt);
        if (plain_ack && !s.fin() && before_ == State::SynRcvd && S.synack_sent && acks_peer_syn &&
            !S.challenge_owed) {
            before_ = State::Established;
            f_.add(Finding::UnseenSegment);
        }
    }

    // The receiver's RCV.NXT and RCV.WND: the end of what it accepted from the sender so far
    // (docs/model.md). Unknown before it accepted anything: then nothing is judged against it.
    void judge_receiver_window() {
        const auto& s = s_;
        win_.rcv_nxt = R.rcv_nxt;
        if (R.rcv_known) {
            shape_.wholly_old = seg_len_ > 0 ? s.seq + seg_len_ <= R.rcv_nxt : s.seq < R.rcv_nxt;
            if (R.window_known && c_.scaling_known) {
                win_.known = true;
                const std::int32_t room = R.right_edge - R.rcv_nxt;
                win_.wnd = room > 0 ? static_cast<std::uint32_t>(room) : 0;
            }
        }
        if (win_.known && win_.wnd == 0 && !s.rst() && !s.syn() && !s.fin() && s.payload_len == 1 &&
            s.seq == win_.rcv_nxt)
            shape_.window_probe = true;
        // The same window from the RCV.NXT the receiver's highest ACK shows, when that ACK left
        // behind what the sender had sent by then (the segments between had not arrived: lost, or
        // in flight): a segment acceptable there is acceptable (docs/model.md, "Evidence from the
        // receiver"). An ACK older than the segments is no evidence about them.
        if (R.rcv_known && R.ack_seen && R.ack_behind && R.max_ack < R.rcv_nxt && (!S.syn_sent || R.max_ack > S.iss)) {
            evidence_ = win_;
            evidence_.rcv_nxt = R.max_ack;
            if (win_.known) {
                const std::int32_t room = R.right_edge - R.max_ack;
                evidence_.wnd = room > 0 ? static_cast<std::uint32_t>(room) : 0;
            }
            has_evidence_ = true;
        }
    }

    void drop() { rcv_ = {rb_, false}; }
    void accept(State next) { rcv_ = {next, true}; }
    // A segment the receiver answers with <SEQ=SEG.ACK><CTL=RST> and otherwise discards.
    void drop_owing_reset() {
        drop();
        if (s_.ack_flag()) owes_reset_ = true;
    }

    // What the receiver must do with the segment (RFC 9293 3.10.7).
    void receive() {
        rb_ = R.state;
        rcv_ = {rb_, false};
        if (s_.rst()) receive_rst();
        else if (late_syn_) drop();
        else if (bare_syn_) receive_bare_syn();
        else if (rb_ == State::Closed) drop_owing_reset();   // 3.10.7.1
        else if (rb_ == State::Listen) drop_owing_reset();   // 3.10.7.2: any ACK is bad in LISTEN
        else if (rb_ == State::SynSent) receive_in_syn_sent();
        else receive_synchronized();
    }

    // The state a reset leaves the receiver in: a passive SYN_RCVD returns to LISTEN, any other
    // state is CLOSED (RFC 9293 3.10.7.4 second).
    State reset_state(const Endpoint& e, State st) const {
        return st == State::SynRcvd && e.passive ? State::Listen : State::Closed;
    }

    // RST: RFC 9293 3.10.7.1-4 and RFC 5961 3.2. Whether the RST is legal for its sender is
    // rst_form(); whether the receiver takes it is judged here, against RCV.NXT as the assumed
    // deliveries give it, or as the receiver's own highest ACK shows it (docs/model.md, "RST").
    void receive_rst() {
        const auto& s = s_;
        form_ = rst_form();
        if (rb_ == State::Closed || rb_ == State::Listen) {
            drop();
        } else if (rb_ == State::SynSent) {
            if (s.ack_flag() && R.syn_sent && s.ack > R.iss && s.ack <= R.snd_nxt) {
                accept(State::Closed);
                if (!S.syn_sent) refused_ = true;
            } else if (s.ack_flag()) {
                f_.add(Finding::RstBadAck, s.ack.v, (R.iss + 1).v);
                drop();
            } else {
                drop();  // 3.10.7.3: a RST without ACK in SYN-SENT is dropped
            }
        } else if (!R.rcv_known || s.seq == win_.rcv_nxt) {
            // Exact RCV.NXT (or nothing to compare with: nothing from the sender accepted before).
            accept_reset();
        } else if (R.ack_seen && s.seq == R.max_ack) {
            // Exact for the RCV.NXT the receiver's own highest ACK shows (the reset form <SEQ=SEG.ACK>
            // is made to be exact for the sender of that ACK). If that ACK lies in the sender's
            // current sequence space, the segments the observer took as delivered after it had not
            // arrived (lost, or still in flight), and an assumed receipt of our FIN is undone; an
            // ACK that does not even cover our SYN belongs to another incarnation (a stale
            // connection's challenge ACK, RFC 5961 4): nothing is assumed about this one.
            if (R.max_ack < win_.rcv_nxt && (!S.syn_sent || R.max_ack > S.iss)) {
                undelivered_ = true;
                f_.add(Finding::AssumedUndelivered);
                if (S.fin_sent && R.max_ack < S.fin_seq + 1) rb_ = recv_next(kUnrecvFin, rb_);  // nor our FIN
            }
            accept_reset();
        } else if (win_.known ? (win_.rcv_nxt <= s.seq && s.seq < win_.right_edge()) : s.seq > win_.rcv_nxt) {
            // In the window, not exact: the receiver sends a challenge ACK (RFC 5961 3.2).
            if (form_ == RstForm::None) f_.add(Finding::RstNotExact, s.seq.v, win_.rcv_nxt.v);
            challenge_ = true;
            drop();
        } else {
            if (form_ == RstForm::None) f_.add(Finding::RstOutOfWindow, s.seq.v, win_.rcv_nxt.v);
            drop();
        }
    }

    void accept_reset() {
        accept(reset_state(R, rb_));
        if (rb_ == State::TimeWait) f_.add(Finding::RstInTimeWait);
    }

    // Which legal reset, if any, the sender's RST is (RFC 9293 3.10.5, 3.10.7): ABORT sends
    // <SEQ=SND.NXT>; reset generation answers a segment with <SEQ=SEG.ACK>, or one without ACK with
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Unknown while nothing was seen from the sender.
    enum class RstForm : std::uint8_t { Unknown, Abort, Reply, None };
    RstForm rst_form() const {
        const auto& s = s_;
        const bool reply = (R.ack_seen && s.seq == R.last_ack) ||
                           (s.ack_flag() && s.seq == Seq(0) && R.seq_known && s.ack == R.snd_nxt);
        if (S.seq_known && s.seq == S.snd_nxt && !(reply && S.state == State::Closed)) return RstForm::Abort;
        if (reply) return RstForm::Reply;
        return S.seq_known ? RstForm::None : RstForm::Unknown;
    }

    void receive_bare_syn() {
        if (rb_ == State::TimeWait && !R.seq_known) {
            accept(State::SynRcvd);  // new incarnation accepted by TIME-WAIT (RFC 1122 4.2.2.13, RFC 6191)
        } else if (rb_ == State::SynRcvd && shape_.same_iss) {
            drop();  // the SYN again: already received
        } else if (in(rb_, kSynchronized)) {
            f_.add(Finding::SynInSynchronized, s_.seq.v, 0);
            challenge_ = true;
            drop();
        } else if (rb_ == State::Closed) {
            drop();  // no TCB: a real stack answers RST
        } else {
            accept(recv_next(kRecvSyn, rb_));
            if (rb_ == State::SynSent) f_.add(Finding::SimultaneousOpen);
        }
    }

    // 3.10.7.3: only a SYN-ACK acknowledging our SYN moves SYN-SENT on. With the SYN not captured,
    // its ISS is unknown and the ACK cannot be checked. A segment with neither SYN nor RST is
    // dropped (fifth), so it is no evidence of an unseen SYN-ACK; one whose ACK is not acceptable
    // is answered by <SEQ=SEG.ACK><CTL=RST> (first).
    void receive_in_syn_sent() {
        const auto& s = s_;
        const bool ack_ok = s.ack_flag() && (!R.syn_sent || (s.ack > R.iss && s.ack <= R.snd_nxt));
        if (s.syn() && ack_ok) {
            accept(State::Established);
        } else if (s.syn()) {
            f_.add(Finding::SynAckBadAck, s.ack.v, (R.iss + 1).v);
            drop_owing_reset();
        } else if (s.ack_flag() && !ack_ok) {
            f_.add(Finding::HandshakeBadAck, s.ack.v, (R.iss + 1).v);
            drop_owing_reset();
        } else {
            drop();
        }
    }

    // Synchronized states and UNKNOWN, in the order of 3.10.7.4.
    void receive_synchronized() {
        const auto& s = s_;
        Seq seq = s.seq;
        std::uint32_t len = seg_len_;
        if (s.syn()) {
            if (competing_) {
                receive_competing_synack();
                return;
            }
            if (shape_.same_iss && rb_ == State::SynRcvd) {
                // Simultaneous open (3.5 figure 7): the SYN part is old, the ACK is new and moves
                // SYN_RCVD on ("only the new parts are processed", 3.10.7.4). Elsewhere a repeated
                // SYN-ACK is simply an old duplicate, judged by the acceptability test below.
                seq = seq + 1;
                len -= 1;
            } else if (!shape_.same_iss) {
                f_.add(Finding::SynInSynchronized, s.seq.v, 0);
                challenge_ = true;
                drop();
                return;
            }
        }
        if (R.rcv_known && !acceptable(seq, len, win_) && !(has_evidence_ && acceptable(seq, len, evidence_))) {
            const bool normal = shape_.retrans || shape_.keepalive || shape_.window_probe || shape_.wholly_old;
            if (!normal) f_.add(Finding::OutOfWindow, s.seq.v, win_.right_edge().v);
            drop();
        } else if (!s.ack_flag()) {
            drop();  // "if the ACK bit is off drop the segment" (3.10.7.4 fifth)
        } else if (R.seq_known && s.ack > R.snd_nxt) {
            f_.add(Finding::AckUnsent, s.ack.v, R.snd_nxt.v);
            if (rb_ == State::SynRcvd) drop_owing_reset();  // 3.10.7.4 fifth, SYN-RECEIVED
            else drop();
        } else if (rb_ == State::SynRcvd && R.syn_sent && !(s.ack > R.iss)) {
            // SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT ... enter ESTABLISHED"; otherwise form
            // a reset <SEQ=SEG.ACK><CTL=RST> (3.10.7.4 fifth).
            f_.add(Finding::HandshakeBadAck, s.ack.v, (R.iss + 1).v);
            drop_owing_reset();
        } else {
            State st = rb_;
            const bool covers = st == State::SynRcvd ? (!R.syn_sent || s.ack >= R.iss + 1)
                                                     : (in(st, kFinSent) && R.fin_sent && s.ack >= R.fin_seq + 1);
            if (covers) st = recv_next(kRecvAckOfControl, st);
            covers_ = covers && st != rb_;
            if (s.fin()) st = recv_next(kRecvFin, st);
            accept(st);
        }
    }

    // A SYN-ACK with another ISN than the sender's first (shape_sender()). If the client has
    // already acknowledged the first, this one never reached it (it would have been answered by a
    // challenge ACK, and the first is the connection). Otherwise the observer takes the newest as
    // the one delivered, and the client's ACK decides (choose_synack()).
    void receive_competing_synack() {
        if (R.pending == Control::SynAck) {
            rb_ = R.pending_before;  // the first SYN-ACK is taken as not delivered
            R.pending = Control::None;
            competing_delivered_ = true;
            accept(State::Established);
        } else {
            drop();
        }
    }

    // What sending the segment does to the sender: the send table, with the observer's exceptions.
    void send() {
        const auto& s = s_;
        const SendEvent ev = s.rst()   ? SendEvent::Rst
                             : s.syn() ? (s.ack_flag() ? SendEvent::SynAck : SendEvent::Syn)
                             : s.fin() ? SendEvent::Fin
                                       : SendEvent::Ack;
        after_ = before_;
        if (late_syn_ || competing_) {
            // nothing: see late_syn_; a competing SYN-ACK changes no sender's state (choose_synack())
        } else if (new_incarnation_) {
            after_ = State::SynSent;  // from CLOSED or TIME_WAIT: a new incarnation (RFC 6191, RFC 1122 4.2.2.13)
        } else if (ev == SendEvent::Rst) {
            send_rst();
        } else if (ev == SendEvent::Fin && before_ == State::Unknown) {
            after_ = R.fin_sent ? State::LastAck : State::FinWait1;  // mid-stream: the FIN is evidence
        } else {
            const SendCell& cell = send_cell(ev, before_);
            switch (cell.verdict) {
            case SendVerdict::Ok: after_ = cell.next; break;
            case SendVerdict::RetransOnly:
                if (shape_.control_repeat) after_ = cell.next;
                else f_.add(Finding::WrongState, 0, 0);
                break;
            case SendVerdict::OwnSynOnly:
                if (shape_.control_repeat || !S.syn_sent) after_ = cell.next;
                else f_.add(Finding::WrongState, 0, 0);
                break;
            case SendVerdict::Wrong: f_.add(Finding::WrongState, 0, 0); break;
            }
        }
        // The peer's SYN/FIN/RST that crossed this segment arrives after it: the sender's state once it
        // is processed is what the next segment starts from, while after_ reports the moment of sending.
        // In the RFC's order: the ACK of our control (3.10.7.4 fifth), then the peer's FIN (eighth).
        tracked_after_ = after_;
        if (cross_ack_) tracked_after_ = recv_next(kRecvAckOfControl, tracked_after_);
        if (crossed_ == Control::Rst) {
            tracked_after_ = reset_state(S, after_);
        } else if (crossed_ != Control::None) {
            tracked_after_ = receive_control(after_, crossed_);
            if (crossed_ == Control::Syn && bare_syn_) f_.add(Finding::SimultaneousOpen);
        }
        if (cross_fin_) {
            tracked_after_ = recv_next(kRecvFin, tracked_after_);
            if (s.fin() && !shape_.control_repeat) f_.add(Finding::SimultaneousClose);
        }
        if (refused_) f_.add(Finding::Refused);
        // Data beyond the sender's own FIN (3.10.4: after CLOSE, no more SENDs).
        if (s.payload_len > 0 && S.fin_sent && !s.rst() && s.seq + s.payload_len + (s.syn() ? 1 : 0) > S.fin_seq &&
            !(s.fin() && shape_.control_repeat))
            f_.add(Finding::DataAfterFin, (s.seq + s.payload_len).v, S.fin_seq.v);
    }

    // What a RST does to its sender. A reset answering a segment that the sender's state answers
    // with a reset and otherwise discards (an unacceptable ACK in LISTEN, SYN-SENT or SYN-RECEIVED,
    // 3.10.7.2-4) leaves it where it was. A reset of an end that no longer has the connection
    // answering a segment (3.10.7.1) is legal and leaves it CLOSED (note rst_from_closed). ABORT
    // (3.10.5) closes. A RST of no legal form that its receiver must ignore is what a forged reset
    // looks like: the observer keeps the sender's state (RFC 5961).
    void send_rst() {
        const bool owed_reply = S.reset_owed && form_ == RstForm::Reply;
        if (refused_) {
            after_ = State::Closed;  // the refused SYN's answer (note refused): no listener, CLOSED throughout
        } else if (owed_reply && in(before_, states(State::Listen, State::SynSent, State::SynRcvd))) {
            // after_ stays
        } else if (form_ == RstForm::Reply) {
            after_ = State::Closed;
            f_.add(Finding::RstFromClosed);
        } else if ((form_ == RstForm::None || form_ == RstForm::Unknown) && !rcv_.acceptable &&
                   rb_ != State::Closed && rb_ != State::Listen) {
            // forged-looking: after_ stays
        } else {
            after_ = send_cell(SendEvent::Rst, before_).next;
        }
    }

    tcpstate_result expected_values() const {
        const auto& s = s_;
        tcpstate_result r{};
        r.stream = s.stream;
        r.detail_finding = 0xff;
        if (shape_.seq_known) {
            r.flags |= TCPSTATE_R_HAS_SEQ_EXPECTED;
            r.seq_expected = shape_.snd_nxt.v;
            if (s.seq == shape_.snd_nxt) r.flags |= TCPSTATE_R_SEQ_OK;
        }
        if (s.ack_flag() && R.seq_known) {
            r.flags |= TCPSTATE_R_HAS_ACK_EXPECTED;
            const bool synack = s.syn() && R.syn_sent;
            r.ack_expected = synack ? (R.iss + 1).v : R.snd_nxt.v;
            const bool ok = synack ? (s.ack >= R.iss + 1 && s.ack <= R.snd_nxt) : s.ack <= R.snd_nxt;
            if (ok) r.flags |= TCPSTATE_R_ACK_OK;
        }
        return r;
    }

    void commit_sender() {
        const auto& s = s_;
        if (competing_) {
            commit_competing_synack();
        } else if (s.syn() && !s.rst()) {
            commit_syn();
        }
        if (!s.rst()) {
            const Seq end = s.seq + seg_len_;
            S.snd_nxt = S.seq_known && !competing_ ? seq_max(S.snd_nxt, end) : end;
            if (competing_ && !competing_delivered_) S.snd_nxt = S.iss + 1;  // the first stays the connection
            S.seq_known = true;
            if (s.fin() && !S.fin_sent) {
                S.fin_seq = s.seq + s.payload_len + (s.syn() ? 1 : 0);
                S.fin_sent = true;
            }
            if (s.ack_flag() && c_.scaling_known) {
                // The window is never scaled in a segment with SYN (RFC 7323 2.2).
                const unsigned shift = c_.scaling_on && !s.syn() ? S.wscale : 0;
                const Seq edge = s.ack + (static_cast<std::uint32_t>(s.window) << shift);
                S.right_edge = S.window_known ? seq_max(S.right_edge, edge) : edge;
                S.window_known = true;
            }
        }
        if (s.ack_flag()) {
            if (!S.ack_seen || s.ack > S.max_ack) {
                S.max_ack = s.ack;
                S.ack_behind = R.seq_known && s.ack < R.snd_nxt;
            }
            S.last_ack = s.ack;
            S.ack_seen = true;
        }
        if (bare_syn_) S.passive = false;  // an active open
        if (s.rst()) S.reset_owed = false;  // answered
        S.challenge_owed = false;
        S.state = tracked_after_;
        // Still assumed, still undoable: a later segment of ours may show it had not arrived yet.
        if (crossed_ == Control::Rst) {
            S.pending = Control::Rst;
            S.pending_before = after_;
        } else if (cross_ack_) {
            S.pending = Control::AckOfControl;
            S.pending_before = after_;
            S.pending_with_fin = false;
        }
        if (S.state == State::Listen && after_ != State::Listen) forget_incarnation(S);
    }

    // The ISN of a competing SYN-ACK (shape_sender()): the newest is taken as the one the client
    // received unless the client had acknowledged the first; the other is kept for choose_synack().
    void commit_competing_synack() {
        const auto& s = s_;
        if (competing_delivered_) {
            S.alt_iss = S.iss;
            S.iss = s.seq;
        } else {
            S.alt_iss = s.seq;
        }
        S.alt_iss_known = true;
    }

    // ISS, window scale (RFC 7323 2.2, 2.3) and the window of a bare SYN.
    void commit_syn() {
        const auto& s = s_;
        std::uint8_t shift = Endpoint::kNoWscale;
        if (s.wscale >= 0) {
            shift = static_cast<std::uint8_t>(std::min<int>(s.wscale, kMaxWscale));
            if (s.wscale > kMaxWscale) f_.add(Finding::WscaleTooLarge, static_cast<std::uint32_t>(s.wscale), kMaxWscale);
        }
        if (!S.syn_sent) {
            S.iss = s.seq;
            S.syn_sent = true;
            S.wscale = shift;
        }
        if (s.ack_flag() && !S.synack_sent) {
            S.synack_sent = true;
            S.synack_ack = s.ack;
        }
        // Scaling is in effect only if both SYNs carried the option.
        const Endpoint &a = c_.ep[0], &b = c_.ep[1];
        const bool a_without = a.syn_sent && a.wscale == Endpoint::kNoWscale;
        const bool b_without = b.syn_sent && b.wscale == Endpoint::kNoWscale;
        c_.scaling_known = a_without || b_without || (a.syn_sent && b.syn_sent);
        c_.scaling_on = a.syn_sent && b.syn_sent && !a_without && !b_without;
        // The window of the peer's bare SYN applies from our ISS+1 on.
        if (R.syn_window_pending) {
            R.right_edge = S.iss + 1 + R.syn_window;
            R.window_known = true;
            R.syn_window_pending = false;
        }
        if (!s.ack_flag()) {
            S.syn_window = s.window;
            S.syn_window_pending = true;
        }
    }

    void commit_receiver() {
        const auto& s = s_;
        // What the receiver is assumed to have received, undoable by its next segment
        // (reconcile_sender()): the ACK of its own SYN or FIN, the peer's SYN, SYN-ACK or RST. A
        // FIN's receipt needs no record: the receiver's state and RCV.NXT tell it (reconcile_fin()).
        if (rcv_.acceptable && rcv_.expected != rb_) {
            if (ctl_ == Control::Syn || ctl_ == Control::SynAck || ctl_ == Control::Rst) {
                R.pending = ctl_;
                R.pending_end = ctl_ == Control::Rst ? s.seq : competing_ ? s.seq + 1 : S.iss + 1;
            } else if (covers_) {
                R.pending = Control::AckOfControl;
                R.pending_end = s.ack;
                R.pending_with_fin = s.fin();
            } else {
                R.pending = Control::None;
            }
            R.pending_before = rb_;
        }
        if (rcv_.acceptable && bare_syn_ && rb_ == State::Listen) R.passive = true;
        if (undelivered_) R.rcv_nxt = R.max_ack;
        if (rcv_.acceptable && !s.rst()) {
            const Seq end = s.seq + seg_len_;
            R.rcv_nxt = R.rcv_known && !competing_delivered_ ? seq_max(R.rcv_nxt, end) : end;
            R.rcv_known = true;
        }
        if (rcv_.acceptable) R.reset_owed = false;  // its state moved on
        if (owes_reset_) R.reset_owed = true;
        if (challenge_) R.challenge_owed = true;
        R.state = rcv_.expected;
        if (R.state == State::Listen && rb_ != State::Listen) forget_incarnation(R);
    }

    // LISTEN holds no connection: a passive SYN_RCVD reset back to it forgets its sequence space,
    // and the next SYN starts a new one (RFC 9293 3.10.7.4 second).
    static void forget_incarnation(Endpoint& e) {
        Endpoint fresh;
        fresh.state = e.state;
        fresh.passive = e.passive;
        fresh.pending = e.pending;
        fresh.pending_before = e.pending_before;
        fresh.pending_end = e.pending_end;
        fresh.ws_started = e.ws_started;
        fresh.ws_hole = e.ws_hole;
        fresh.ws_next = e.ws_next;
        e = fresh;
    }

    // The step table of docs/model.md, first match wins.
    void classify_step() {
        const auto& s = s_;
        const bool acks_peer_fin = s.ack_flag() && R.fin_sent && s.ack >= R.fin_seq + 1;
        if (s.rst()) step_ = Step::Rst;
        else if (s.syn()) step_ = s.ack_flag() ? Step::SynAck : Step::Syn;
        else if (s.fin()) step_ = S.fin_step = fin_step(acks_peer_fin);
        else step_ = ack_step(acks_peer_fin);
        // The handshake's third step can only be the client's first acknowledgment after the SYN-ACK.
        if (d_ == 0 && s.ack_flag() && !s.syn() && !s.rst() && (R.syn_sent || inferred_synack_)) c_.hs3_seen = true;
        if (crossed_ == Control::Syn || f_.set.has(Finding::SimultaneousOpen)) c_.hs3_seen = true;
        S.fin_retransmitted = s.fin() && shape_.control_repeat;
        S.synack_retransmitted = s.syn() && s.ack_flag() && shape_.control_repeat;
    }

    Step fin_step(bool acks_peer_fin) {
        if (c_.first_closer < 0 || c_.first_closer == d_) {
            c_.first_closer = static_cast<std::int8_t>(d_);
            return Step::Fin1;
        }
        if (shape_.control_repeat && S.fin_step != Step::None) return S.fin_step;
        if (!c_.ack2_seen && acks_peer_fin) {
            c_.ack2_seen = true;
            return Step::FinAck23;
        }
        return Step::Fin3;
    }

    Step ack_step(bool acks_peer_fin) {
        const auto& s = s_;
        if (acks_peer_fin) {
            const bool peer_first = c_.first_closer == 1 - d_;
            const Step st = peer_first ? Step::Ack2 : Step::Ack4;
            if (!(peer_first ? c_.ack2_seen : c_.ack4_seen)) {
                (peer_first ? c_.ack2_seen = true : c_.ack4_seen = true);
                return st;
            }
            if (s.payload_len == 0 && s.ack == R.fin_seq + 1 && R.fin_retransmitted) {
                repeat_ = true;  // the ACK again, answering a retransmitted FIN
                return st;
            }
        }
        if (d_ == 0 && s.ack_flag() && !c_.midstream) {
            const bool acks_syn = R.syn_sent && s.ack >= R.iss + 1 && s.ack <= R.snd_nxt;
            if (!c_.hs3_seen && (acks_syn || inferred_synack_)) return Step::HandshakeAck;
            if (c_.hs3_seen && s.payload_len == 0 && R.synack_retransmitted && R.syn_sent && s.ack == R.iss + 1) {
                repeat_ = true;  // the ACK again, answering a retransmitted SYN-ACK
                return Step::HandshakeAck;
            }
        }
        if (shape_.keepalive) return Step::KeepAlive;
        if (shape_.window_probe) return Step::WindowProbe;
        return s.payload_len > 0 ? Step::Data : Step::Ack;
    }

    // The Zeek-style connection summary.
    void summarise() {
        const auto& s = s_;
        SummarySegment sum;
        sum.from_orig = d_ == 0;
        sum.flags = s.flags;
        sum.payload_len = s.payload_len;
        // Zeek counts a 1-byte keep-alive as a retransmission ('T'); tcpstate's own flag does not.
        sum.retransmission = shape_.retrans || shape_.control_repeat || (shape_.keepalive && s.payload_len > 0);
        sum.zero_window = s.window == 0 && !s.rst();
        sum.content_gap = s.ack_flag() && R.seq_known && s.ack > R.snd_nxt;
        sum.frame = s.frame;
        sum.seq = s.seq.v;
        c_.summary.on_segment(sum);
    }

    // The WebSocket tracker sees each direction's new payload bytes in order.
    void websocket() { websocket_step(c_, S, s_, d_, shape_.retrans, ws_bits_, ws_close_, f_.set); }

    tcpstate_result finish(tcpstate_result r) const {
        const auto nibbles = [](auto lo, auto hi) {
            return static_cast<std::uint8_t>(static_cast<unsigned>(lo) | (static_cast<unsigned>(hi) << 4));
        };
        r.step = nibbles(step_, tracked_after_);
        r.sender_states = nibbles(before_, after_);
        r.receiver_states = nibbles(rb_, rcv_.expected);
        if (d_ == 1) r.flags |= TCPSTATE_R_SENDER_SERVER;
        if (shape_.retrans || shape_.control_repeat || repeat_ || late_syn_) r.flags |= TCPSTATE_R_RETRANSMISSION;
        if (rcv_.acceptable) r.flags |= TCPSTATE_R_ACCEPTABLE;
        if (c_.midstream) r.flags |= TCPSTATE_R_MIDSTREAM;
        r.findings = f_.set.raw();
        if (f_.detail.finding != Finding::Count_) {
            r.detail_finding = static_cast<std::uint8_t>(f_.detail.finding);
            r.detail_seen = f_.detail.seen;
            r.detail_bound = f_.detail.bound;
        }
        r.ws = static_cast<std::uint8_t>(ws_bits_ | TCPSTATE_VALID);
        r.ws_close_code = ws_close_;
        return r;
    }

    Connection& c_;
    const SegmentView& s_;
    const int d_;
    Endpoint& S;  // sender
    Endpoint& R;  // receiver
    const bool new_incarnation_;
    const bool bare_syn_;
    const Control ctl_;
    const std::uint32_t seg_len_;
    Findings f_;
    SendShape shape_;
    Window win_;
    bool late_syn_ = false;
    bool refused_ = false;
    bool inferred_synack_ = false;
    bool repeat_ = false;
    bool competing_ = false;            // a SYN-ACK with another ISN than the sender's first
    bool competing_delivered_ = false;  // ... taken as the one the client received
    bool undelivered_ = false;          // a RST exact for the receiver's last ACK, not its assumed RCV.NXT
    bool owes_reset_ = false;           // the receiver answers this segment with a reset
    bool challenge_ = false;            // the receiver answers this segment with a challenge ACK
    RstForm form_ = RstForm::None;
    Window evidence_;                   // the receiver's window from its latest ACK (has_evidence_)
    bool has_evidence_ = false;
    Control crossed_ = Control::None;  // the peer's SYN, SYN-ACK or RST, processed after this segment
    bool cross_ack_ = false;           // ... the ACK of our SYN or FIN, processed after this segment
    bool cross_fin_ = false;           // ... the peer's FIN, processed after this segment
    bool covers_ = false;              // the segment acknowledges the receiver's SYN or FIN
    State before_ = State::Unknown, after_ = State::Unknown, tracked_after_ = State::Unknown;
    State rb_ = State::Unknown;
    RecvOutcome rcv_{State::Unknown, false};
    Step step_ = Step::None;
    std::uint8_t ws_bits_ = 0;
    std::uint16_t ws_close_ = 0;
};

}  // namespace

// The connection a segment belongs to, and which end sent it. Handles the first segment of a
// stream and new incarnations (port reuse), which can reset the connection.
int Engine::locate(Connection& c, const SegmentView& s, FindingSet& f, bool& new_incarnation) {
    const bool bare_syn = s.syn() && !s.ack_flag() && !s.rst();
    if (!c.started) {
        start(c, s);
        if (c.midstream) f.add(Finding::Midstream);
        if (s.syn() && s.ack_flag() && !s.rst()) f.add(Finding::UnseenSegment);
        // Port reuse across streams: the previous connection on the same 4-tuple ended, and this
        // SYN opens a new incarnation (RFC 6191, RFC 1122 4.2.2.13). Its endpoints start where
        // the old ones were; a CLOSED server still has its listener.
        const std::uint32_t prev = bare_syn ? find_tuple(c.tuple) : kNoStream;
        if (prev != kNoStream && prev != s.stream && prev < conns_.size()) {
            const Connection& p = conns_[prev];
            if (p.started && ended(p.ep[0].state) && ended(p.ep[1].state)) {
                const bool same = p.client_id == s.src;
                c.ep[0].state = p.ep[same ? 0 : 1].state;
                const State srv = p.ep[same ? 1 : 0].state;
                c.ep[1].state = srv == State::TimeWait ? State::TimeWait : State::Listen;
                f.add(Finding::PortReuse);
                new_incarnation = true;
            }
        }
        set_tuple(c.tuple, s.stream);
    }

    const int d = s.src == c.client_id ? 0 : 1;
    // A new incarnation on the same stream: a bare SYN with a new ISS after both ends finished.
    if (bare_syn && ended(c.ep[d].state) && (ended(c.ep[1 - d].state) || c.ep[1 - d].state == State::Listen) &&
        !(c.ep[d].syn_sent && s.seq == c.ep[d].iss) && c.ep[d].seq_known) {
        const State snd = c.ep[d].state, rcv = c.ep[1 - d].state;
        const std::uint64_t tuple = c.tuple;
        c = Connection{};
        c.started = true;
        c.tuple = tuple;
        c.client_id = s.src;
        c.ep[0].state = snd;
        c.ep[1].state = rcv == State::TimeWait ? State::TimeWait : State::Listen;
        f.add(Finding::PortReuse);
        new_incarnation = true;
        return 0;
    }
    return d;
}

tcpstate_result Engine::analyse(Connection& c, const SegmentView& s) {
    FindingSet notes;
    bool new_incarnation = false;
    // For a started connection and anything but a bare SYN, locate() only tells the sender's side.
    const bool bare_syn = (s.flags & (TCPSTATE_SYN | TCPSTATE_ACK | TCPSTATE_RST)) == TCPSTATE_SYN;
    const int d = c.started && !bare_syn ? (s.src == c.client_id ? 0 : 1) : locate(c, s, notes, new_incarnation);
    return SegmentAnalysis(c, s, d, notes, new_incarnation).run();
}

}  // namespace tcpstate
