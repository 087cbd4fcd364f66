// A small segment builder for the engine tests, so that every test reads like the figures of
// RFC 9293: a client C (10.0.0.1:40000) and a server S (10.0.0.2:80), and one call per segment:
//
//     c.syn(1000);                 // <SEQ=1000><CTL=SYN>
//     s.synack(5000, 1001);        // <SEQ=5000><ACK=1001><CTL=SYN,ACK>
//     c.ack(1001, 5001);           // <SEQ=1001><ACK=5001><CTL=ACK>
//
// The engine is driven only through its C ABI (src/tcpstate_core.h), the way the plugin drives it.
// Results are read back as strings (state and step names, finding ids) so that a failing test
// prints "SYN_SENT -> ESTABLISHED", not "0x42".
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "findings.hpp"
#include "tcpstate_core.h"

namespace tcpstate::test {

inline constexpr std::uint8_t kClientAddr[4] = {10, 0, 0, 1};
inline constexpr std::uint8_t kServerAddr[4] = {10, 0, 0, 2};
inline constexpr std::uint16_t kClientPort = 40000;
inline constexpr std::uint16_t kServerPort = 80;
inline constexpr std::uint16_t kWindow = 64240;  // raw window field when a test does not care

enum class Role { Client, Server };

// The fields of one segment; anything not set is zero / absent.
struct Seg {
    std::uint16_t flags = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint16_t window = kWindow;
    std::int16_t wscale = -1;  // window-scale option, -1 when absent
    std::uint32_t len = 0;     // payload length (no payload bytes are handed over)
};

// One capture: an engine and the frame counter. Frames are numbered from 1, in order.
class Capture {
public:
    Capture() : engine_(tcpstate_engine_new()) {}
    ~Capture() { tcpstate_engine_free(engine_); }
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;

    tcpstate_engine* engine() const { return engine_; }
    std::uint32_t last_frame() const { return frame_; }

    // The wire form of `seg` sent by `from`, on stream `stream`, as frame `frame`.
    static tcpstate_segment wire(Role from, const Seg& seg, std::uint32_t frame, std::uint32_t stream = 0) {
        const bool c = from == Role::Client;
        tcpstate_segment w{};
        w.stream = stream;
        w.frame = frame;
        w.src_addr = c ? kClientAddr : kServerAddr;
        w.dst_addr = c ? kServerAddr : kClientAddr;
        w.addr_len = 4;
        w.src_port = c ? kClientPort : kServerPort;
        w.dst_port = c ? kServerPort : kClientPort;
        w.seq = seg.seq;
        w.ack = seg.ack;
        w.flags = seg.flags;
        w.window = seg.window;
        w.wscale = seg.wscale;
        w.payload_len = seg.len;
        w.payload = nullptr;
        w.payload_captured = 0;
        return w;
    }

    // Processes `w` (layer 0 unless told); fails the test if the engine skips it.
    tcpstate_result process(const tcpstate_segment& w, std::uint32_t layer = 0) {
        tcpstate_result r{};
        EXPECT_EQ(tcpstate_engine_process(engine_, &w, layer, &r), 1) << "frame " << w.frame << " skipped";
        return r;
    }

    // Sends `seg` from `from` as the next frame, at the capture time set by at_us() (0: none).
    tcpstate_result send(Role from, const Seg& seg, std::uint32_t stream = 0) {
        tcpstate_segment w = wire(from, seg, ++frame_, stream);
        w.time_ns = time_ns_;
        return process(w);
    }
    // The capture time of the segments sent from now on, in microseconds since the epoch.
    void at_us(std::int64_t us) { time_ns_ = us * 1000; }

private:
    tcpstate_engine* engine_;
    std::uint32_t frame_ = 0;
    std::int64_t time_ns_ = 0;
};

// One end of the connection, with one method per kind of segment of the RFC's figures.
class Peer {
public:
    Peer(Capture& cap, Role role) : cap_(cap), role_(role) {}

    tcpstate_result send(const Seg& seg) { return cap_.send(role_, seg); }

    tcpstate_result syn(std::uint32_t seq, std::int16_t wscale = -1, std::uint16_t window = kWindow) {
        return send({.flags = TCPSTATE_SYN, .seq = seq, .window = window, .wscale = wscale});
    }
    tcpstate_result synack(std::uint32_t seq, std::uint32_t ack, std::int16_t wscale = -1,
                           std::uint16_t window = kWindow) {
        return send({.flags = TCPSTATE_SYN | TCPSTATE_ACK, .seq = seq, .ack = ack, .window = window, .wscale = wscale});
    }
    tcpstate_result ack(std::uint32_t seq, std::uint32_t ack, std::uint16_t window = kWindow) {
        return send({.flags = TCPSTATE_ACK, .seq = seq, .ack = ack, .window = window});
    }
    tcpstate_result data(std::uint32_t seq, std::uint32_t ack, std::uint32_t len, std::uint16_t window = kWindow) {
        return send({.flags = TCPSTATE_PSH | TCPSTATE_ACK, .seq = seq, .ack = ack, .window = window, .len = len});
    }
    // FIN as stacks send it: with ACK.
    tcpstate_result fin(std::uint32_t seq, std::uint32_t ack, std::uint16_t window = kWindow) {
        return send({.flags = TCPSTATE_FIN | TCPSTATE_ACK, .seq = seq, .ack = ack, .window = window});
    }
    // <SEQ=seq><CTL=RST>
    tcpstate_result rst(std::uint32_t seq) { return send({.flags = TCPSTATE_RST, .seq = seq, .window = 0}); }
    // <SEQ=seq><ACK=ack><CTL=RST,ACK>
    tcpstate_result rstack(std::uint32_t seq, std::uint32_t ack) {
        return send({.flags = TCPSTATE_RST | TCPSTATE_ACK, .seq = seq, .ack = ack, .window = 0});
    }

private:
    Capture& cap_;
    Role role_;
};

// ---- Reading a result -------------------------------------------------------------------------

inline std::string transition(unsigned before, unsigned after) {
    return std::string(tcpstate_state_name(before)) + " -> " + tcpstate_state_name(after);
}
// "CLOSED -> SYN_SENT": the sender's state before and after sending.
inline std::string sender(const tcpstate_result& r) {
    return transition(tcpstate_result_sender_before(&r), tcpstate_result_sender_after(&r));
}
// "LISTEN -> SYN_RCVD": the receiver's state before and the state it must reach.
inline std::string receiver(const tcpstate_result& r) {
    return transition(tcpstate_result_receiver_before(&r), tcpstate_result_receiver_expected(&r));
}
inline std::string step(const tcpstate_result& r) { return tcpstate_step_name(tcpstate_result_step(&r)); }
inline std::string client_state(const tcpstate_result& r) { return tcpstate_state_name(tcpstate_result_client_state(&r)); }
inline std::string server_state(const tcpstate_result& r) { return tcpstate_state_name(tcpstate_result_server_state(&r)); }
inline Role sent_by(const tcpstate_result& r) { return (r.flags & TCPSTATE_R_SENDER_SERVER) ? Role::Server : Role::Client; }

inline bool has(const tcpstate_result& r, Finding f) { return (r.findings >> static_cast<unsigned>(f)) & 1u; }

// The ids of the findings bitmask, comma-separated, in table order ("" when none).
inline std::string findings(const tcpstate_result& r, bool warnings_only = false) {
    std::string s;
    for (unsigned i = 0; i < tcpstate_finding_count(); ++i) {
        if (!((r.findings >> i) & 1u) || (warnings_only && !tcpstate_finding_is_warning(i))) continue;
        if (!s.empty()) s += ',';
        s += tcpstate_finding_name(i);
    }
    return s;
}
inline std::string warnings(const tcpstate_result& r) { return findings(r, true); }

inline std::string message(const tcpstate_result& r, Finding f) {
    char buf[256];
    return tcpstate_finding_message(&r, static_cast<unsigned>(f), buf, sizeof buf);
}

inline constexpr std::int64_t kAbsent = -1;

// The annotation a test expects; only the fields given are checked.
struct Want {
    std::optional<std::string> step = std::nullopt;
    std::optional<Role> from = std::nullopt;
    std::optional<std::string> sender = std::nullopt;    // "BEFORE -> AFTER"
    std::optional<std::string> receiver = std::nullopt;  // "BEFORE -> EXPECTED"
    std::optional<bool> retransmission = std::nullopt;
    std::optional<bool> acceptable = std::nullopt;
    std::optional<bool> midstream = std::nullopt;
    std::optional<std::string> findings = std::nullopt;  // all ids, table order
    std::optional<std::int64_t> seq_expected = std::nullopt;  // kAbsent: no expectation (sender's first segment)
    std::optional<bool> seq_ok = std::nullopt;
    std::optional<std::int64_t> ack_expected = std::nullopt;  // kAbsent: no expectation
    std::optional<bool> ack_ok = std::nullopt;
};

inline void check_annotation(const tcpstate_result& r, const Want& w) {
    EXPECT_TRUE(r.ws & TCPSTATE_VALID) << "no result";
    if (w.step) { EXPECT_EQ(step(r), *w.step); }
    if (w.from) { EXPECT_EQ(sent_by(r) == Role::Server ? "server" : "client", *w.from == Role::Server ? "server" : "client"); }
    if (w.sender) { EXPECT_EQ(sender(r), *w.sender) << "sender"; }
    if (w.receiver) { EXPECT_EQ(receiver(r), *w.receiver) << "receiver"; }
    if (w.retransmission) { EXPECT_EQ((r.flags & TCPSTATE_R_RETRANSMISSION) != 0, *w.retransmission) << "retransmission"; }
    if (w.acceptable) { EXPECT_EQ((r.flags & TCPSTATE_R_ACCEPTABLE) != 0, *w.acceptable) << "acceptable"; }
    if (w.midstream) { EXPECT_EQ((r.flags & TCPSTATE_R_MIDSTREAM) != 0, *w.midstream) << "midstream"; }
    if (w.findings) { EXPECT_EQ(findings(r), *w.findings) << "findings"; }
    if (w.seq_expected) {
        const bool has_seq = r.flags & TCPSTATE_R_HAS_SEQ_EXPECTED;
        if (*w.seq_expected == kAbsent) {
            EXPECT_FALSE(has_seq) << "seq.expected should be absent, is " << r.seq_expected;
        } else {
            EXPECT_TRUE(has_seq) << "seq.expected missing";
            EXPECT_EQ(r.seq_expected, static_cast<std::uint32_t>(*w.seq_expected)) << "seq.expected";
        }
    }
    if (w.seq_ok) { EXPECT_EQ((r.flags & TCPSTATE_R_SEQ_OK) != 0, *w.seq_ok) << "seq.ok"; }
    if (w.ack_expected) {
        const bool has_ack = r.flags & TCPSTATE_R_HAS_ACK_EXPECTED;
        if (*w.ack_expected == kAbsent) {
            EXPECT_FALSE(has_ack) << "ack.expected should be absent, is " << r.ack_expected;
        } else {
            EXPECT_TRUE(has_ack) << "ack.expected missing";
            EXPECT_EQ(r.ack_expected, static_cast<std::uint32_t>(*w.ack_expected)) << "ack.expected";
        }
    }
    if (w.ack_ok) { EXPECT_EQ((r.flags & TCPSTATE_R_ACK_OK) != 0, *w.ack_ok) << "ack.ok"; }
}

// EXPECT_ANNOTATION(r, {.step = "...", .sender = "...", ...}): failures name the calling line.
#define EXPECT_ANNOTATION(result, ...)                              \
    do {                                                            \
        SCOPED_TRACE(#result);                                      \
        ::tcpstate::test::check_annotation((result), ::tcpstate::test::Want __VA_ARGS__); \
    } while (0)

}  // namespace tcpstate::test
