// Connection lifecycles (src/lifecycle.hpp) through the C ABI: time in each state per side, since
// when, handshake and close times, who closed first, how it ended, and the stuck conditions.
//
// Every connection is client C (10.0.0.1:40000) and server S (10.0.0.2:80), ISS J = 1000 and
// K = 5000, with capture times set per segment (microseconds). Expected times are the differences
// of the times written in each test, by hand; states follow RFC 9293 3.5 figure 6 and 3.6 figure 12
// (and the engine tests, tests/unit/engine_test.cpp, check every annotation of these traces).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "segment_builder.hpp"
#include "tcpstate_core.h"

namespace tcpstate::test {
namespace {

constexpr std::uint32_t J = 1000;
constexpr std::uint32_t K = 5000;
constexpr std::int64_t T0 = 1'700'000'000'000'000;  // us: the capture's first segment
constexpr std::int64_t kUs = 1000;                   // ns per us

tcpstate_lifecycle life(const Capture& cap, std::uint32_t stream = 0) {
    tcpstate_lifecycle l{};
    EXPECT_EQ(tcpstate_engine_lifecycle(cap.engine(), stream, &l), 1) << "stream " << stream;
    return l;
}
std::string times(const tcpstate_lifecycle& l, bool server) {
    char buf[512];
    return tcpstate_lifecycle_times(&l, server ? 1 : 0, buf, sizeof buf);
}
std::string stuck(const tcpstate_lifecycle& l) {
    char buf[256];
    return tcpstate_stuck_list(l.stuck, buf, sizeof buf);
}
std::string state(unsigned s) { return tcpstate_state_name(s); }

// A segment of another connection (10.0.0.3:50000 -> 10.0.0.2:81) at `us`: it moves the end of the
// capture on, as other traffic does while a socket is held.
void other_traffic(Capture& cap, std::uint32_t stream, std::int64_t us) {
    static constexpr std::uint8_t kOther[4] = {10, 0, 0, 3};
    tcpstate_segment w = Capture::wire(Role::Client, {.flags = TCPSTATE_SYN, .seq = 77}, cap.last_frame() + 1, stream);
    w.src_addr = kOther;
    w.src_port = 50000;
    w.dst_port = 81;
    w.time_ns = us * kUs;
    cap.process(w);
}

// The handshake of figure 6 at T0, T0+100 us, T0+150 us.
struct ConnLifecycle : ::testing::Test {
    Capture cap;
    Peer c{cap, Role::Client};
    Peer s{cap, Role::Server};
    void handshake() {
        cap.at_us(T0);
        c.syn(J);
        cap.at_us(T0 + 100);
        s.synack(K, J + 1);
        cap.at_us(T0 + 150);
        c.ack(J + 1, K + 1);
    }
};

// RFC 9293 3.6 figure 12, the client closing first, with the server's ACK and FIN apart.
TEST_F(ConnLifecycle, ClientCloseTimesPerSide) {
    handshake();
    cap.at_us(T0 + 200'000);
    c.data(J + 1, K + 1, 100);
    cap.at_us(T0 + 200'300);
    s.ack(K + 1, J + 101);
    cap.at_us(T0 + 500'000);
    c.fin(J + 101, K + 1);  // C ESTABLISHED -> FIN_WAIT_1, S -> CLOSE_WAIT
    cap.at_us(T0 + 540'000);
    s.ack(K + 1, J + 102);  // C -> FIN_WAIT_2
    cap.at_us(T0 + 800'000);
    s.fin(K + 1, J + 102);  // S -> LAST_ACK, C -> TIME_WAIT
    cap.at_us(T0 + 800'100);
    c.ack(J + 102, K + 2);  // S -> CLOSED: the end of the capture

    const tcpstate_lifecycle l = life(cap);
    EXPECT_TRUE(l.timed);
    EXPECT_FALSE(l.truncated);
    EXPECT_EQ(l.first_ns, T0 * kUs);
    EXPECT_EQ(l.capture_end_ns, (T0 + 800'100) * kUs);
    // Client: SYN_SENT T0..+100 us, ESTABLISHED +100 us..+500 ms, FIN_WAIT_1 40 ms, FIN_WAIT_2
    // 260 ms, TIME_WAIT from +800 ms to the end of the capture (+800.1 ms).
    EXPECT_EQ(times(l, false), "SYN_SENT:0.000100,ESTABLISHED:0.499900,FIN_WAIT_1:0.040000,FIN_WAIT_2:0.260000,"
                               "TIME_WAIT:0.000100+");
    // Server: SYN_RCVD T0..+150 us (the SYN is assumed received when sent), ESTABLISHED to the
    // client's FIN, CLOSE_WAIT 300 ms, LAST_ACK 100 us, then CLOSED (not listed: no connection).
    EXPECT_EQ(times(l, true), "SYN_RCVD:0.000150,ESTABLISHED:0.499850,CLOSE_WAIT:0.300000,LAST_ACK:0.000100");
    EXPECT_EQ(state(l.client.final_state), "TIME_WAIT");
    EXPECT_EQ(l.client.since_ns, (T0 + 800'000) * kUs);
    EXPECT_EQ(state(l.server.final_state), "CLOSED");
    EXPECT_EQ(l.server.since_ns, (T0 + 800'100) * kUs);
    EXPECT_EQ(l.client.time_in_ns[TCPSTATE_S_CLOSE_WAIT], -1);
    EXPECT_EQ(l.server.time_in_ns[TCPSTATE_S_CLOSE_WAIT], 300'000 * kUs);
    EXPECT_EQ(l.syn_to_synack_ns, 100 * kUs);
    EXPECT_EQ(l.synack_to_ack_ns, 50 * kUs);
    EXPECT_EQ(l.close_ns, 300'100 * kUs);  // first FIN (+500 ms) -> last ACK (+800.1 ms)
    EXPECT_EQ(l.closed_first, 1u);
    EXPECT_STREQ(tcpstate_end_name(l.end), "FIN");
    EXPECT_EQ(l.syn_count, 1u);
    EXPECT_EQ(stuck(l), "");
    // The last segment is marked once the first pass is over, on it alone.
    tcpstate_result r{};
    ASSERT_TRUE(tcpstate_engine_lookup(cap.engine(), 9, 0, &r));
    EXPECT_FALSE(r.ws & TCPSTATE_LAST_SEGMENT) << "before finish()";
    tcpstate_engine_finish(cap.engine());
    for (std::uint32_t f = 1; f <= 9; ++f) {
        ASSERT_TRUE(tcpstate_engine_lookup(cap.engine(), f, 0, &r));
        EXPECT_EQ((r.ws & TCPSTATE_LAST_SEGMENT) != 0, f == 9) << "frame " << f;
    }
}

// The server's application holds its socket after the client's FIN was acknowledged, while other
// traffic goes on: CLOSE_WAIT on one end, FIN_WAIT_2 on the other, both open at the end.
TEST_F(ConnLifecycle, CloseWaitLeakOpenAtTheEnd) {
    handshake();
    cap.at_us(T0 + 10'000);
    c.fin(J + 1, K + 1);
    cap.at_us(T0 + 10'040);
    s.ack(K + 1, J + 2);
    other_traffic(cap, 1, T0 + 1'010'040);  // 1 s after the ACK: just the threshold

    tcpstate_lifecycle l = life(cap);
    EXPECT_EQ(state(l.client.final_state), "FIN_WAIT_2");
    EXPECT_EQ(state(l.server.final_state), "CLOSE_WAIT");
    EXPECT_EQ(l.server.since_ns, (T0 + 10'000) * kUs);  // the FIN: CLOSE_WAIT once it arrives
    EXPECT_EQ(l.client.since_ns, (T0 + 10'040) * kUs);
    EXPECT_EQ(l.server.time_in_ns[TCPSTATE_S_CLOSE_WAIT], 1'000'040 * kUs);
    EXPECT_EQ(l.client.time_in_ns[TCPSTATE_S_FIN_WAIT_2], 1'000'000 * kUs);
    EXPECT_STREQ(tcpstate_end_name(l.end), "open");
    EXPECT_EQ(l.close_ns, -1);
    EXPECT_EQ(stuck(l), "close_wait_open,fin_wait_2_open");

    // Thresholds are the engine's: 2 s is not reached.
    tcpstate_engine_set_stuck_threshold(cap.engine(), 0, 2000);
    tcpstate_engine_set_stuck_threshold(cap.engine(), 1, 2000);
    l = life(cap);
    EXPECT_EQ(stuck(l), "");
}

TEST_F(ConnLifecycle, CloseWaitBelowTheThresholdIsNotStuck) {
    handshake();
    cap.at_us(T0 + 10'000);
    c.fin(J + 1, K + 1);
    cap.at_us(T0 + 10'040);
    s.ack(K + 1, J + 2);
    other_traffic(cap, 1, T0 + 900'000);
    EXPECT_EQ(stuck(life(cap)), "");
}

// The same leak, with the application closing after 3 s: nothing is open at the end, the time in
// CLOSE_WAIT stays in the record.
TEST_F(ConnLifecycle, CloseWaitThatEndsIsNotStuck) {
    handshake();
    cap.at_us(T0 + 10'000);
    c.fin(J + 1, K + 1);
    cap.at_us(T0 + 10'040);
    s.ack(K + 1, J + 2);
    cap.at_us(T0 + 3'010'000);
    s.fin(K + 1, J + 2);
    cap.at_us(T0 + 3'010'050);
    c.ack(J + 2, K + 2);
    const tcpstate_lifecycle l = life(cap);
    EXPECT_EQ(l.server.time_in_ns[TCPSTATE_S_CLOSE_WAIT], 3'000'000 * kUs);
    EXPECT_EQ(l.client.time_in_ns[TCPSTATE_S_FIN_WAIT_2], 2'999'960 * kUs);
    EXPECT_EQ(l.close_ns, 3'000'050 * kUs);
    EXPECT_EQ(stuck(l), "");
}

// A SYN sent three times (RFC 6298: 1 s, then 2 s), never answered. The observer assumes each SYN
// arrived (the server is SYN_RCVD), but no SYN-ACK was sent: syn_unanswered, not syn_rcvd_open.
TEST_F(ConnLifecycle, SynUnanswered) {
    cap.at_us(T0);
    c.syn(J);
    cap.at_us(T0 + 1'000'000);
    c.syn(J);
    cap.at_us(T0 + 3'000'000);
    c.syn(J);
    const tcpstate_lifecycle l = life(cap);
    EXPECT_EQ(l.syn_count, 3u);
    EXPECT_EQ(state(l.client.final_state), "SYN_SENT");
    EXPECT_EQ(times(l, false), "SYN_SENT:3.000000+");
    EXPECT_EQ(l.syn_to_synack_ns, -1);
    EXPECT_EQ(stuck(l), "syn_unanswered");
}

TEST_F(ConnLifecycle, OneSynIsNotUnanswered) {
    cap.at_us(T0);
    c.syn(J);
    other_traffic(cap, 1, T0 + 5'000'000);
    EXPECT_EQ(stuck(life(cap)), "");  // no retransmission: the rule asks for one
}

// SYN, SYN-ACK, SYN-ACK retransmitted, no ACK (its ACK lost, or a SYN flood).
TEST_F(ConnLifecycle, SynRcvdOpen) {
    cap.at_us(T0);
    c.syn(J);
    cap.at_us(T0 + 100);
    s.synack(K, J + 1);
    cap.at_us(T0 + 1'000'100);
    s.synack(K, J + 1);
    const tcpstate_lifecycle l = life(cap);
    EXPECT_EQ(state(l.server.final_state), "SYN_RCVD");
    EXPECT_EQ(l.syn_to_synack_ns, 100 * kUs);
    EXPECT_EQ(l.synack_to_ack_ns, -1);
    EXPECT_EQ(stuck(l), "syn_rcvd_open");  // 1 s after the first SYN-ACK
}

// RST by the server (RFC 5961 3.2 exact: at the client's RCV.NXT), then the client's data that had
// crossed it: data to an end that no longer has the connection.
TEST_F(ConnLifecycle, ResetThenHalfOpenData) {
    handshake();
    cap.at_us(T0 + 1'000);
    s.rstack(K + 1, J + 1);
    cap.at_us(T0 + 1'010);
    c.data(J + 1, K + 1, 10);
    const tcpstate_lifecycle l = life(cap);
    EXPECT_STREQ(tcpstate_end_name(l.end), "RST by server");
    EXPECT_EQ(l.closed_first, 2u);
    EXPECT_EQ(stuck(l), "half_open_data");
    EXPECT_EQ(l.close_ns, -1);
}

TEST_F(ConnLifecycle, RefusedIsAReset) {
    cap.at_us(T0);
    c.syn(J);
    cap.at_us(T0 + 30);
    s.rstack(0, J + 1);
    const tcpstate_lifecycle l = life(cap);
    EXPECT_STREQ(tcpstate_end_name(l.end), "RST by server");
    EXPECT_EQ(stuck(l), "");
}

// A closed connection whose client sits in TIME_WAIT, then a new SYN from the same 4-tuple on the
// next stream: the engine's port_reuse with the client still in TIME_WAIT. Settled by finish().
class TimeWaitReuse : public ConnLifecycle {
protected:
    void close_then_reuse(std::int64_t gap_us) {
        handshake();
        cap.at_us(T0 + 1'000);
        c.fin(J + 1, K + 1);
        cap.at_us(T0 + 1'100);
        s.fin(K + 1, J + 2);  // FIN-ACK 2+3/4: C -> TIME_WAIT at T0 + 1.1 ms
        cap.at_us(T0 + 1'200);
        c.ack(J + 2, K + 2);
        cap.at_us(T0 + 1'100 + gap_us);
        cap.send(Role::Client, {.flags = TCPSTATE_SYN, .seq = 900'000}, 1);
    }
};

TEST_F(TimeWaitReuse, SoonerThanTheThreshold) {
    close_then_reuse(1'500'000);
    EXPECT_EQ(stuck(life(cap, 1)), "") << "not settled before finish()";
    tcpstate_engine_finish(cap.engine());
    EXPECT_EQ(stuck(life(cap, 1)), "time_wait_reuse");
    // The old incarnation's TIME_WAIT ended where the new one started (its end now belongs to it).
    const tcpstate_lifecycle old = life(cap, 0);
    EXPECT_EQ(stuck(old), "");
    EXPECT_EQ(state(old.client.final_state), "CLOSED");
    EXPECT_EQ(old.client.since_ns, (T0 + 1'501'100) * kUs);
    EXPECT_EQ(old.client.time_in_ns[TCPSTATE_S_TIME_WAIT], 1'500'000 * kUs);
    EXPECT_STREQ(tcpstate_end_name(old.end), "FIN");
    tcpstate_engine_finish(cap.engine());  // again: nothing changes
    EXPECT_EQ(life(cap, 0).client.time_in_ns[TCPSTATE_S_TIME_WAIT], 1'500'000 * kUs);
    EXPECT_EQ(stuck(life(cap, 1)), "time_wait_reuse");
}

TEST_F(TimeWaitReuse, LaterThanTheThreshold) {
    close_then_reuse(60'000'000);  // exactly 60 s: not sooner than 60 s
    tcpstate_engine_finish(cap.engine());
    EXPECT_EQ(stuck(life(cap, 1)), "");
}

// More changes than a connection keeps: the final state and its time stay exact, the record says
// it is incomplete and gives no close time.
TEST_F(ConnLifecycle, TooManyChangesAreTruncated) {
    handshake();  // 3 changes
    // The lost-ACK rule (docs/model.md): each SYN-ACK retransmission takes S back to SYN_RCVD, each
    // repeated handshake ACK forward to ESTABLISHED: two changes a round.
    for (int i = 0; i < 4; ++i) {
        cap.at_us(T0 + 1'000'000 * (i + 1));
        s.synack(K, J + 1);
        cap.at_us(T0 + 1'000'000 * (i + 1) + 100);
        c.ack(J + 1, K + 1);
    }
    const tcpstate_lifecycle l = life(cap);
    EXPECT_TRUE(l.truncated);
    EXPECT_EQ(state(l.server.final_state), "ESTABLISHED");
    EXPECT_EQ(l.server.since_ns, (T0 + 4'000'100) * kUs);
    EXPECT_EQ(l.close_ns, -1);
    // The handshake's changes stay.
    EXPECT_EQ(l.syn_to_synack_ns, 100 * kUs);
    EXPECT_EQ(l.synack_to_ack_ns, 50 * kUs);
    // The time lost from the middle goes to the change after it: the sums still cover the connection.
    std::int64_t total = 0;
    for (unsigned st = 0; st < TCPSTATE_S_COUNT; ++st) total += std::max<std::int64_t>(0, l.server.time_in_ns[st]);
    EXPECT_EQ(total, 4'000'100 * kUs);
}

// A long connection over a WAN path (RTT 50 ms, 4 minutes ESTABLISHED): its 7 changes fit the log,
// every time exact.
TEST_F(ConnLifecycle, LongConnectionKeepsEveryChange) {
    cap.at_us(T0);
    c.syn(J);
    cap.at_us(T0 + 50'123);
    s.synack(K, J + 1);
    cap.at_us(T0 + 50'200);
    c.ack(J + 1, K + 1);
    cap.at_us(T0 + 240'000'000);
    c.fin(J + 1, K + 1);
    cap.at_us(T0 + 240'050'321);
    s.ack(K + 1, J + 2);
    cap.at_us(T0 + 241'500'000);
    s.fin(K + 1, J + 2);
    cap.at_us(T0 + 241'550'017);
    c.ack(J + 2, K + 2);
    const tcpstate_lifecycle l = life(cap);
    EXPECT_FALSE(l.truncated);
    EXPECT_EQ(l.syn_to_synack_ns, 50'123 * kUs);
    EXPECT_EQ(l.synack_to_ack_ns, 77 * kUs);
    EXPECT_EQ(l.client.time_in_ns[TCPSTATE_S_ESTABLISHED], (240'000'000 - 50'123) * kUs);
    EXPECT_EQ(l.client.time_in_ns[TCPSTATE_S_FIN_WAIT_2], (241'500'000 - 240'050'321) * kUs);
    EXPECT_EQ(l.server.time_in_ns[TCPSTATE_S_LAST_ACK], 50'017 * kUs);
    EXPECT_EQ(l.close_ns, 1'550'017 * kUs);
}

TEST_F(ConnLifecycle, NoTimesNoDurations) {
    c.syn(J);  // time_ns 0: unknown
    const tcpstate_lifecycle l = life(cap);
    EXPECT_FALSE(l.timed);
    EXPECT_EQ(times(l, false), "");
    EXPECT_EQ(stuck(l), "");
}

TEST(StuckTable, IdsAndThresholds) {
    ASSERT_EQ(tcpstate_stuck_count(), 6u);
    const char* ids[] = {"close_wait_open", "fin_wait_2_open", "syn_unanswered", "syn_rcvd_open", "half_open_data",
                         "time_wait_reuse"};
    for (unsigned i = 0; i < 6; ++i) EXPECT_STREQ(tcpstate_stuck_name(i), ids[i]);
    char buf[256];
    EXPECT_STREQ(tcpstate_engine_stuck_thresholds(nullptr, buf, sizeof buf),
                 "close_wait_open >= 1 s, fin_wait_2_open >= 1 s, syn_unanswered >= 1 s, syn_rcvd_open >= 1 s, "
                 "time_wait_reuse < 60 s");
    EXPECT_STREQ(tcpstate_stuck_list(0x21, buf, sizeof buf), "close_wait_open,time_wait_reuse");
}

}  // namespace
}  // namespace tcpstate::test

namespace tcpstate::test {
namespace {

// Capture times that go backwards, repeat, jump by days or are unknown (0): every duration stays >= 0,
// the log never overflows its bytes, every stream keeps a record (a capture merged from several
// interfaces, or a corrupted one, must not break the lifecycle).
TEST(LifecycleTimes, DisorderedTimesKeepDurationsNonNegative) {
    Capture cap;
    std::uint64_t x = 88172645463325252ull;  // xorshift64: the same inputs every run
    const auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    const std::uint16_t kinds[] = {TCPSTATE_SYN, TCPSTATE_SYN | TCPSTATE_ACK, TCPSTATE_ACK, TCPSTATE_FIN | TCPSTATE_ACK,
                                   TCPSTATE_RST | TCPSTATE_ACK, TCPSTATE_PSH | TCPSTATE_ACK};
    std::int64_t t = T0;
    for (int i = 0; i < 4000; ++i) {
        const std::uint64_t r = next();
        switch (r % 7) {
        case 0: t -= static_cast<std::int64_t>(r % 5'000'000); break;   // backwards
        case 1: t += static_cast<std::int64_t>(r % 86'400'000'000); break;  // up to a day on
        case 2: break;                                                   // the same time
        default: t += static_cast<std::int64_t>(r % 100'000); break;
        }
        cap.at_us((r >> 8) % 11 == 0 ? 0 : t);  // sometimes unknown
        const auto stream = static_cast<std::uint32_t>((r >> 16) % 5);
        const Seg seg{.flags = kinds[(r >> 24) % 6], .seq = static_cast<std::uint32_t>(r >> 32),
                      .ack = static_cast<std::uint32_t>(r >> 40), .len = static_cast<std::uint32_t>((r >> 48) % 3)};
        cap.send((r >> 20) % 2 ? Role::Server : Role::Client, seg, stream);
        if (i % 500 == 0) tcpstate_engine_finish(cap.engine());
    }
    tcpstate_engine_finish(cap.engine());
    for (std::uint32_t s = 0; s < 5; ++s) {
        tcpstate_lifecycle l{};
        ASSERT_EQ(tcpstate_engine_lifecycle(cap.engine(), s, &l), 1) << "stream " << s;
        for (const tcpstate_side_lifecycle* side : {&l.client, &l.server})
            for (unsigned st = 0; st < TCPSTATE_S_COUNT; ++st) EXPECT_GE(side->time_in_ns[st], -1) << "stream " << s;
        char buf[1024];
        tcpstate_lifecycle_times(&l, 0, buf, sizeof buf);
        tcpstate_lifecycle_times(&l, 1, buf, sizeof buf);
    }
}

}  // namespace
}  // namespace tcpstate::test
