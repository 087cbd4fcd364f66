// The established fast path (analyse_established() in src/engine.cpp) against the general analysis
// (SegmentAnalysis::run()): two engines, one with the fast path and one without, fed the same
// segments, must give byte-identical results (all 32 bytes of every tcpstate_result, on the first
// pass and from lookup()) and identical connection state (every Endpoint and Connection field, the
// Zeek-style summary, the WebSocket session) after every segment.
//
// The fast path copies, for the common case, what the general code does. This test is what keeps
// the two from drifting apart: a change to one and not the other fails it (docs/performance.md C6,
// bench/core-perf-notes.md).
//
// Inputs, each run through both engines:
//   - every bundled capture under test-captures/ (pcap, Ethernet);
//   - the same captures re-streamed as Wireshark >= 4.4 does (a new tcp.stream for a bare SYN after a
//     FIN or RST on the same 4-tuple), which exercises port reuse and the SYN-ACK alias;
//   - deterministic pseudo-random mutations of each: segments dropped, duplicated, swapped with the
//     next, a flag bit flipped, seq/ack shifted by small amounts, the window zeroed, the payload cut
//     short (snaplen), frame numbers with holes, at a low and a high rate;
//   - bench/make_bench_capture.cpp's generator (HTTP, bulk, WebSocket, resets, half-open) at a small
//     size, as is and mutated.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine.hpp"
#include "tcpstate_core.h"
#include "ws.hpp"

// The bench capture generator, compiled in: its main() becomes a function that writes a pcap.
#define main tcpstate_make_bench_capture_main
#include "../../bench/make_bench_capture.cpp"
#undef main
#include "../../bench/pcap_segments.hpp"

namespace tcpstate::fastpath_test {
namespace {

namespace fs = std::filesystem;

// One TCP segment, owning its bytes (so that mutations can copy and change it).
struct Packet {
    std::array<std::uint8_t, 16> src{}, dst{};
    std::uint8_t addr_len = 4;
    std::uint16_t src_port = 0, dst_port = 0;
    std::uint32_t seq = 0, ack = 0;
    std::uint16_t flags = 0, window = 0;
    std::int16_t wscale = -1;
    std::uint32_t payload_len = 0;
    std::vector<std::uint8_t> payload;  // captured bytes (<= payload_len)

    std::string tuple() const {  // both directions the same
        std::string a(reinterpret_cast<const char*>(src.data()), addr_len), b(reinterpret_cast<const char*>(dst.data()), addr_len);
        a += static_cast<char>(src_port >> 8);
        a += static_cast<char>(src_port);
        b += static_cast<char>(dst_port >> 8);
        b += static_cast<char>(dst_port);
        return a < b ? a + b : b + a;
    }
};

// A pcap as bench/pcap_segments.hpp reads it (Ethernet or raw IP). Returns false if the file is not
// such a pcap.
bool read_pcap(const fs::path& path, std::vector<Packet>& out) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    std::vector<std::uint8_t> bytes;
    std::uint8_t buf[65536];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
    std::fclose(f);
    const auto st = tcpstate_pcap::for_each_segment(bytes.data(), bytes.size(), [&out](const tcpstate_segment& s) {
        Packet pk;
        pk.addr_len = s.addr_len;
        std::memcpy(pk.src.data(), s.src_addr, s.addr_len);
        std::memcpy(pk.dst.data(), s.dst_addr, s.addr_len);
        pk.src_port = s.src_port;
        pk.dst_port = s.dst_port;
        pk.seq = s.seq;
        pk.ack = s.ack;
        pk.flags = s.flags;
        pk.window = s.window;
        pk.wscale = s.wscale;
        pk.payload_len = s.payload_len;
        if (s.payload) pk.payload.assign(s.payload, s.payload + s.payload_captured);
        out.push_back(std::move(pk));
    });
    return st == tcpstate_pcap::Status::Ok;
}

struct Rng {  // splitmix64
    std::uint64_t s;
    std::uint64_t next() { return splitmix64_next(s); }
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 32) * n >> 32); }
    bool chance(unsigned per_mille) { return below(1000) < per_mille; }
    std::int32_t small() { return static_cast<std::int32_t>(below(7)) - 3; }  // -3..3
};

// Pseudo-random damage, `rate` per mille for each kind of mutation.
std::vector<Packet> mutate(const std::vector<Packet>& in, std::uint64_t seed, unsigned rate) {
    Rng r{seed};
    std::vector<Packet> out;
    out.reserve(in.size() + in.size() / 8);
    for (const Packet& p0 : in) {
        if (r.chance(rate)) continue;  // dropped
        Packet p = p0;
        if (r.chance(rate)) {  // a flag flipped: SYN, ACK, FIN, RST or PSH
            static constexpr std::uint16_t kBits[] = {TCPSTATE_SYN, TCPSTATE_ACK, TCPSTATE_FIN, TCPSTATE_RST, TCPSTATE_PSH};
            p.flags ^= kBits[r.below(5)];
        }
        if (r.chance(rate)) p.seq += static_cast<std::uint32_t>(r.chance(300) ? static_cast<std::int32_t>(p.payload_len) * (r.chance(500) ? 1 : -1) : r.small());
        if (r.chance(rate)) p.ack += static_cast<std::uint32_t>(r.small());
        if (r.chance(rate / 2)) p.window = 0;
        if (r.chance(rate / 2) && !p.payload.empty()) p.payload.resize(r.below(static_cast<std::uint32_t>(p.payload.size())));
        if (r.chance(rate / 2) && (p.flags & TCPSTATE_SYN)) p.wscale = p.wscale >= 0 ? -1 : static_cast<std::int16_t>(r.below(16));
        out.push_back(p);
        if (r.chance(rate)) out.push_back(p);  // duplicated
        if (out.size() >= 2 && r.chance(rate)) std::swap(out[out.size() - 1], out[out.size() - 2]);  // reordered
    }
    return out;
}

// What the fast path and the general analysis must agree on for one connection.
std::string dump(const Connection* c) {
    if (!c) return "none";
    std::string t;
    const auto add = [&t](const char* name, unsigned long long v) {
        t += name;
        t += '=';
        t += std::to_string(v);
        t += ' ';
    };
    for (int i = 0; i < 2; ++i) {
        const Endpoint& e = c->ep[i];
        t += i == 0 ? "client: " : "\nserver: ";
        add("iss", e.iss.v);
        add("snd_nxt", e.snd_nxt.v);
        add("fin_seq", e.fin_seq.v);
        add("right_edge", e.right_edge.v);
        add("pending_end", e.pending_end.v);
        add("rcv_nxt", e.rcv_nxt.v);
        add("synack_ack", e.synack_ack.v);
        add("syn_window", e.syn_window);
        add("state", static_cast<unsigned>(e.state));
        add("pending_before", static_cast<unsigned>(e.pending_before));
        add("pending", static_cast<unsigned>(e.pending));
        add("wscale", e.wscale);
        add("seq_known", e.seq_known);
        add("rcv_known", e.rcv_known);
        add("synack_sent", e.synack_sent);
        add("syn_sent", e.syn_sent);
        add("fin_sent", e.fin_sent);
        add("window_known", e.window_known);
        add("syn_window_pending", e.syn_window_pending);
        add("reset_by_peer", e.reset_by_peer);
        add("fin_retransmitted", e.fin_retransmitted);
        add("synack_retransmitted", e.synack_retransmitted);
        add("ws_started", e.ws_started);
        add("ws_hole", e.ws_hole);
        add("fin_step", static_cast<unsigned>(e.fin_step));
        add("ws_next", e.ws_next.v);
    }
    t += "\nconnection: ";
    add("client_id", c->client_id);
    add("tuple", c->tuple);
    add("first_closer", static_cast<unsigned long long>(c->first_closer + 1));
    add("started", c->started);
    add("midstream", c->midstream);
    add("scaling_known", c->scaling_known);
    add("scaling_on", c->scaling_on);
    add("hs3_seen", c->hs3_seen);
    add("ack2_seen", c->ack2_seen);
    add("ack4_seen", c->ack4_seen);
    const ConnSummary& s = c->summary;
    t += "\nsummary: ";
    t += s.state();
    t += ' ';
    t += s.history();
    t += ' ';
    add("syn_frame", s.first_syn_frame());
    add("fin_frame", s.first_fin_frame());
    add("rst_frame", s.first_rst_frame());
    add("pkts_c", s.packets(true));
    add("pkts_s", s.packets(false));
    add("bytes_c", s.payload_bytes(true));
    add("bytes_s", s.payload_bytes(false));
    add("closer", static_cast<unsigned>(s.first_closer()));
    add("zeek_c", static_cast<unsigned>(s.endpoint_state(true)));
    add("zeek_s", static_cast<unsigned>(s.endpoint_state(false)));
    t += "\nws: ";
    if (c->ws) {
        const ws::Session& w = *c->ws;
        add("active", w.active());
        t += "key=" + std::string(w.key()) + " seen=" + std::string(w.accept_seen()) + " expected=" +
             std::string(w.accept_expected()) + " rq=" + std::string(w.request_problem()) + " an=" +
             std::string(w.answer_problem()) + ' ';
        add("request_frame", w.request_frame());
        add("response_frame", w.response_frame());
        add("close_c", static_cast<unsigned long long>(w.close_code(true) + 1));
        add("close_s", static_cast<unsigned long long>(w.close_code(false) + 1));
    } else {
        t += "none";
    }
    return t;
}

std::string hex(const tcpstate_result& r) {
    std::string t;
    const auto* b = reinterpret_cast<const std::uint8_t*>(&r);
    char x[4];
    for (std::size_t i = 0; i < sizeof r; ++i) {
        std::snprintf(x, sizeof x, "%02x", b[i]);
        t += x;
        if (i % 4 == 3) t += ' ';
    }
    return t;
}

// Counts over all inputs: how much of the fast paths' domains the inputs reached. `first_fin`: FIN
// without SYN or RST from ESTABLISHED to FIN_WAIT_1 or CLOSE_WAIT to LAST_ACK (analyse_first_fin()).
// `ack_of_fin`: ACK 2/4 or ACK 4/4 without SYN, FIN or RST (analyse_ack_of_fin()).
struct Tally {
    std::size_t segments = 0, established = 0, first_fin = 0, ack_of_fin = 0;
};

// The inputs must reach every fast path's domain (at least 1/`share` of the segments on the
// established one), or the comparison proves nothing.
void expect_fast_paths_reached(const Tally& tally, std::size_t share) {
    std::printf("fast path domain: %zu of %zu segments; first FIN: %zu; ACK of FIN: %zu\n", tally.established,
                tally.segments, tally.first_fin, tally.ack_of_fin);
    EXPECT_GT(tally.first_fin, 100u) << "the inputs must reach analyse_first_fin()'s domain";
    EXPECT_GT(tally.ack_of_fin, 100u) << "the inputs must reach analyse_ack_of_fin()'s domain";
    EXPECT_GT(tally.established, tally.segments / share) << tally.established << " of " << tally.segments;
}

// Runs `packets` through an engine with the fast path and one without. `restream`: a bare SYN after a
// FIN or RST on the same 4-tuple opens a new tcp.stream (Wireshark >= 4.4). `frame_holes`: frame
// numbers skip now and then (frames that are not TCP). Returns false at the first difference.
bool compare(const std::string& name, const std::vector<Packet>& packets, bool restream, bool frame_holes, Tally& tally) {
    static_assert(sizeof(tcpstate_result) == 32);
    Engine fast{Engine::Options{.fast_path = true}};
    Engine slow{Engine::Options{.fast_path = false}};
    std::map<std::string, std::uint32_t> stream_of;
    std::vector<bool> closed;  // per stream: a FIN or RST was seen
    std::vector<std::uint32_t> frames;
    Rng r{0x5eed ^ packets.size()};
    std::uint32_t frame = 0;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        const Packet& p = packets[i];
        frame += frame_holes && r.chance(50) ? 2 + r.below(3) : 1;
        const std::string key = p.tuple();
        auto [it, fresh] = stream_of.try_emplace(key, static_cast<std::uint32_t>(closed.size()));
        const bool bare_syn = (p.flags & (TCPSTATE_SYN | TCPSTATE_ACK | TCPSTATE_RST)) == TCPSTATE_SYN;
        if (fresh || (restream && bare_syn && closed[it->second])) {
            it->second = static_cast<std::uint32_t>(closed.size());
            closed.push_back(false);
        }
        if (p.flags & (TCPSTATE_FIN | TCPSTATE_RST)) closed[it->second] = true;
        tcpstate_segment s{};
        s.stream = it->second;
        s.frame = frame;
        s.src_addr = p.src.data();
        s.dst_addr = p.dst.data();
        s.addr_len = p.addr_len;
        s.src_port = p.src_port;
        s.dst_port = p.dst_port;
        s.seq = p.seq;
        s.ack = p.ack;
        s.flags = p.flags;
        s.window = p.window;
        s.wscale = p.wscale;
        s.payload_len = p.payload_len;
        s.payload = p.payload.empty() ? nullptr : p.payload.data();
        s.payload_captured = static_cast<std::uint32_t>(p.payload.size());
        tcpstate_result a, b;
        const bool ka = fast.process(s, 0, a), kb = slow.process(s, 0, b);
        frames.push_back(frame);
        ++tally.segments;
        constexpr std::uint8_t kEst = TCPSTATE_S_ESTABLISHED | TCPSTATE_S_ESTABLISHED << 4;
        if ((p.flags & (TCPSTATE_SYN | TCPSTATE_FIN | TCPSTATE_RST)) == 0 && b.sender_states == kEst && b.receiver_states == kEst)
            ++tally.established;
        constexpr std::uint8_t kFin1 = TCPSTATE_S_ESTABLISHED | TCPSTATE_S_FIN_WAIT_1 << 4;
        constexpr std::uint8_t kFin3 = TCPSTATE_S_CLOSE_WAIT | TCPSTATE_S_LAST_ACK << 4;
        if ((p.flags & (TCPSTATE_SYN | TCPSTATE_FIN | TCPSTATE_RST)) == TCPSTATE_FIN &&
            (b.sender_states == kFin1 || b.sender_states == kFin3))
            ++tally.first_fin;
        const auto step = static_cast<std::uint8_t>(b.step & 0x0f);
        if ((p.flags & (TCPSTATE_SYN | TCPSTATE_FIN | TCPSTATE_RST)) == 0 &&
            (step == static_cast<std::uint8_t>(Step::Ack2) || step == static_cast<std::uint8_t>(Step::Ack4)))
            ++tally.ack_of_fin;
        const std::string ca = dump(fast.connection(s.stream)), cb = dump(slow.connection(s.stream));
        if (ka != kb || std::memcmp(&a, &b, sizeof a) != 0 || ca != cb) {
            ADD_FAILURE() << name << ": segment " << i << " (frame " << frame << ", stream " << s.stream << ", flags 0x"
                          << std::hex << p.flags << std::dec << ", seq " << p.seq << ", ack " << p.ack << ", len "
                          << p.payload_len << ") differs with the fast path on and off\n"
                          << "  result, fast path on:  " << hex(a) << "\n"
                          << "  result, fast path off: " << hex(b) << "\n"
                          << "  connection, fast path on:\n" << ca << "\n  connection, fast path off:\n" << cb;
            return false;
        }
    }
    // The second pass (redraws) reads what the first kept.
    for (const std::uint32_t f : frames) {
        tcpstate_result a, b;
        const bool ka = fast.lookup(f, 0, a), kb = slow.lookup(f, 0, b);
        if (ka != kb || (ka && std::memcmp(&a, &b, sizeof a) != 0)) {
            ADD_FAILURE() << name << ": lookup of frame " << f << " differs: " << hex(a) << " / " << hex(b);
            return false;
        }
    }
    for (std::uint32_t st = 0; st < closed.size(); ++st) {
        const std::string ca = dump(fast.connection(st)), cb = dump(slow.connection(st));
        if (ca != cb) {
            ADD_FAILURE() << name << ": stream " << st << " differs at the end:\n" << ca << "\n" << cb;
            return false;
        }
    }
    return true;
}

// Random conversations, built to reach the corners of the established state: small and zero
// windows (window probes), keep-alives, retransmissions, partial overlaps, acknowledgments of unsent
// data, segments outside the window, window scaling on and off, sequence numbers near the 2^32 wrap,
// pickups without a handshake, and now and then a SYN, FIN or RST in the middle.
std::vector<Packet> random_conversations(std::uint64_t seed, unsigned conns) {
    Rng r{seed};
    std::vector<Packet> out;
    static const char kText[] = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nHTTP/1.1 200 OK";
    for (unsigned c = 0; c < conns; ++c) {
        Packet base;
        const bool v6 = r.chance(300);
        base.addr_len = v6 ? 16 : 4;
        base.src[0] = 10;
        base.src[1] = static_cast<std::uint8_t>(c >> 8);
        base.src[2] = static_cast<std::uint8_t>(c);
        base.dst[0] = 192;
        base.dst[3] = 1;
        base.src_port = static_cast<std::uint16_t>(1024 + r.below(60000));
        base.dst_port = 80;
        std::uint32_t nxt[2], acked[2];  // per side: next seq to send; highest ack received from the peer
        for (int d = 0; d < 2; ++d) nxt[d] = r.chance(200) ? 0xffffffffu - r.below(3000) : static_cast<std::uint32_t>(r.next());
        acked[0] = nxt[0];
        acked[1] = nxt[1];
        const std::int16_t ws[2] = {static_cast<std::int16_t>(r.chance(300) ? -1 : static_cast<int>(r.below(15))),
                                    static_cast<std::int16_t>(r.chance(300) ? -1 : static_cast<int>(r.below(15)))};
        const auto emit = [&](int d, std::uint16_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len,
                              std::uint16_t window) {
            Packet p = base;
            if (d == 1) {
                std::swap(p.src, p.dst);
                std::swap(p.src_port, p.dst_port);
            }
            p.flags = flags;
            p.seq = seq;
            p.ack = (flags & TCPSTATE_ACK) ? ack : 0;
            p.window = window;
            p.wscale = (flags & TCPSTATE_SYN) ? ws[d] : -1;
            p.payload_len = len;
            const std::uint32_t captured = r.chance(30) ? r.below(len + 1) : len;
            for (std::uint32_t i = 0; i < captured; ++i) p.payload.push_back(static_cast<std::uint8_t>(kText[(seq + i) % (sizeof kText - 1)]));
            out.push_back(std::move(p));
        };
        const auto window = [&]() -> std::uint16_t {
            switch (r.below(6)) {
            case 0: return 0;
            case 1: return static_cast<std::uint16_t>(1 + r.below(3));
            case 2: return static_cast<std::uint16_t>(r.below(200));
            case 3: return 65535;
            default: return static_cast<std::uint16_t>(r.below(65536));
            }
        };
        // The handshake, or part of it (mid-stream pickup, missing SYN or SYN-ACK).
        const unsigned start = r.below(10);
        if (start >= 2) emit(0, TCPSTATE_SYN, nxt[0]++, 0, 0, window());
        if (start >= 1) emit(1, TCPSTATE_SYN | TCPSTATE_ACK, nxt[1]++, nxt[0], 0, window());
        if (start < 1) ++nxt[0], ++nxt[1];
        emit(0, TCPSTATE_ACK, nxt[0], nxt[1], 0, window());
        const unsigned steps = 10 + r.below(60);
        for (unsigned i = 0; i < steps; ++i) {
            const int d = static_cast<int>(r.below(2));
            const int p = 1 - d;
            static constexpr std::uint32_t kLens[] = {0, 0, 1, 2, 3, 10, 100, 1460};
            std::uint32_t len = kLens[r.below(8)];
            std::uint32_t seq = nxt[d], ack = nxt[p];
            std::uint16_t flags = TCPSTATE_ACK | (len > 0 && r.chance(500) ? TCPSTATE_PSH : 0);
            switch (r.below(16)) {
            case 0: seq = nxt[d] - 1; len = r.below(2); break;                          // keep-alive
            case 1: seq = nxt[d] - len - r.below(3); break;                             // retransmission, overlap
            case 2: seq = nxt[d] + 1 + r.below(5000); break;                            // ahead (loss)
            case 3: seq = nxt[d] + 0x40000000u + r.below(1000); break;                  // far outside
            case 4: ack = nxt[p] + 1 + r.below(100); break;                             // acks unsent data
            case 5: ack = acked[d] - r.below(100); break;                               // old ack
            case 6: len = 1; seq = nxt[d]; break;                                       // window probe shape
            case 7: ack = nxt[p] - r.below(len + 2); break;                             // partial ack
            case 8:
                if (r.chance(150)) flags ^= static_cast<std::uint16_t>(r.chance(500) ? TCPSTATE_FIN : r.chance(500) ? TCPSTATE_RST : TCPSTATE_SYN);
                break;
            case 9: flags &= static_cast<std::uint16_t>(~TCPSTATE_ACK); break;
            case 10:                                                                    // FIN, in order
                if (i + 8 >= steps) flags |= TCPSTATE_FIN;                              // (near the end)
                break;
            case 11:                                                                    // FIN, shifted
                if (i + 8 >= steps) {
                    flags |= TCPSTATE_FIN;
                    seq = nxt[d] + r.below(5) - 2;
                    ack = nxt[p] + r.below(5) - 2;
                }
                break;
            default: break;                                                             // in order
            }
            emit(d, flags, seq, ack, len, window());
            if (seq + len - nxt[d] < 0x80000000u) nxt[d] = seq + len + ((flags & (TCPSTATE_FIN | TCPSTATE_SYN)) ? 1 : 0);
            if ((flags & TCPSTATE_ACK) && ack - acked[p] < 0x80000000u) acked[p] = ack;
        }
    }
    return out;
}

fs::path captures_dir() {
    return fs::path(__FILE__).parent_path().parent_path().parent_path() / "test-captures";
}

void run_all_variants(const std::string& name, const std::vector<Packet>& packets, std::uint64_t seed, Tally& tally) {
    if (!compare(name, packets, false, false, tally)) return;
    if (!compare(name + " (re-streamed)", packets, true, true, tally)) return;
    for (std::uint64_t k = 0; k < 24; ++k) {
        const unsigned rate = k < 12 ? 15 : 60;  // per mille, per kind of mutation
        const std::vector<Packet> m = mutate(packets, seed * 1000003u + k, rate);
        if (!compare(name + " (mutation " + std::to_string(k) + ", rate " + std::to_string(rate) + "/1000)", m, k % 2 == 1,
                     k >= 12, tally))
            return;
    }
}

TEST(FastPath, SameResultsAsGeneralAnalysisOnBundledCaptures) {
    const fs::path dir = captures_dir();
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".pcap") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 50u);
    Tally tally;
    std::uint64_t seed = 1;
    for (const fs::path& f : files) {
        std::vector<Packet> packets;
        ASSERT_TRUE(read_pcap(f, packets)) << f;
        run_all_variants(fs::relative(f, dir).string(), packets, seed++, tally);
    }
    expect_fast_paths_reached(tally, 5);
}

TEST(FastPath, SameResultsAsGeneralAnalysisOnGeneratedMix) {
    const fs::path out = fs::temp_directory_path() / ("tcpstate-fast-path-" + std::to_string(getpid()) + ".pcap");
    const std::string out_s = out.string();
    char a0[] = "make_bench_capture", a1[] = "--segments", a2[] = "30000", a3[] = "--seed", a4[] = "7", a5[] = "--out";
    std::vector<char> a6(out_s.begin(), out_s.end());
    a6.push_back('\0');
    char* argv[] = {a0, a1, a2, a3, a4, a5, a6.data(), nullptr};
    ASSERT_EQ(tcpstate_make_bench_capture_main(7, argv), 0);
    std::vector<Packet> packets;
    const bool ok = read_pcap(out, packets);
    fs::remove(out);
    ASSERT_TRUE(ok);
    ASSERT_GE(packets.size(), 30000u);
    Tally tally;
    if (!compare("generated mix", packets, false, false, tally)) return;
    if (!compare("generated mix (re-streamed)", packets, true, true, tally)) return;
    for (std::uint64_t k = 0; k < 6; ++k)
        if (!compare("generated mix (mutation " + std::to_string(k) + ")", mutate(packets, 77 + k, k < 3 ? 10 : 40), k % 2 == 1,
                     k >= 3, tally))
            return;
    expect_fast_paths_reached(tally, 3);
}

TEST(FastPath, SameResultsAsGeneralAnalysisOnRandomConversations) {
    Tally tally;
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        const std::vector<Packet> packets = random_conversations(seed, 400);
        if (!compare("random conversations, seed " + std::to_string(seed), packets, seed % 2 == 0, seed % 4 == 3, tally)) return;
    }
    expect_fast_paths_reached(tally, 5);
}

}  // namespace
}  // namespace tcpstate::fastpath_test
