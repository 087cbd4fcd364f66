// The learner's sentences (src/explain.cpp, tcpstate.explain, scripts/ladder --explain): the one
// table, checked row by row and step by step.
//
// The sentences of a whole connection are checked word for word on the reference trace of RFC 9293
// 3.5 figure 6 and 3.6 figure 12 (client ISS J = 1000, server ISS K = 5000, 100 bytes from the
// client, 300 from the server): in Wireshark's relative numbers the client's FIN is seq 101 and is
// acknowledged with 102 (a FIN takes one sequence number, 3.6), the server's FIN is 301, acked 302.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

#include "explain.hpp"
#include "segment_builder.hpp"
#include "tcpstate_core.h"

namespace tcpstate::test {
namespace {

constexpr std::uint32_t J = 1000;
constexpr std::uint32_t K = 5000;

std::string explained(tcpstate_engine* engine, const tcpstate_result& r) {
    char buf[512];
    return tcpstate_engine_explain(engine, &r, buf, sizeof buf);
}

// A result that meets exactly the condition of `row` (and, for Always, none of the step's others).
tcpstate_result result_for(const ExplainRow& row, bool server_sends) {
    tcpstate_result r{};
    r.step = static_cast<std::uint8_t>(row.step);
    r.flags = TCPSTATE_R_ACCEPTABLE | (server_sends ? TCPSTATE_R_SENDER_SERVER : 0);
    r.sender_states = TCPSTATE_S_UNKNOWN | (TCPSTATE_S_UNKNOWN << 4);
    r.receiver_states = TCPSTATE_S_UNKNOWN | (TCPSTATE_S_UNKNOWN << 4);
    r.ws = TCPSTATE_VALID;
    const auto st = static_cast<std::uint8_t>(row.state);
    switch (row.when) {
    case ExplainWhen::Always: break;
    case ExplainWhen::Retransmission: r.flags |= TCPSTATE_R_RETRANSMISSION; break;
    case ExplainWhen::Finding: r.findings = 1u << static_cast<unsigned>(row.finding); break;
    case ExplainWhen::SenderBefore: r.sender_states = static_cast<std::uint8_t>((r.sender_states & 0xf0) | st); break;
    case ExplainWhen::SenderAfter: r.sender_states = static_cast<std::uint8_t>((r.sender_states & 0x0f) | (st << 4)); break;
    case ExplainWhen::ReceiverBefore: r.receiver_states = static_cast<std::uint8_t>((r.receiver_states & 0xf0) | st); break;
    case ExplainWhen::NotAcceptable: r.flags &= ~TCPSTATE_R_ACCEPTABLE; break;
    }
    return r;
}

// ---- The table --------------------------------------------------------------------------------

// Every step has its general sentence, last among the step's rows, and a step's rows are together.
TEST(ExplainTable, EveryStepHasOneGeneralRowLast) {
    const auto rows = explain_table();
    for (unsigned step = TCPSTATE_STEP_NONE + 1; step < TCPSTATE_STEP_COUNT; ++step) {
        SCOPED_TRACE(tcpstate_step_name(step));
        int first = -1, last = -1, always = -1, count = 0;
        for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
            if (static_cast<unsigned>(rows[i].step) != step) continue;
            if (first < 0) first = i;
            last = i;
            ++count;
            if (rows[i].when == ExplainWhen::Always) {
                EXPECT_EQ(always, -1) << "two general rows";
                always = i;
            }
        }
        ASSERT_GE(always, 0) << "no general row";
        EXPECT_EQ(always, last) << "the general row must be the step's last (first match wins)";
        EXPECT_EQ(last - first + 1, count) << "the step's rows are not together";
    }
    for (const ExplainRow& row : rows) EXPECT_NE(row.step, Step::None) << row.text;
}

// Every row is the one chosen for a segment that meets its condition: none is shadowed.
TEST(ExplainTable, EveryRowIsReachable) {
    for (const ExplainRow& row : explain_table()) {
        SCOPED_TRACE(row.text);
        const tcpstate_result r = result_for(row, false);
        EXPECT_EQ(explain_row(r), &row);
    }
}

// Every sentence, sent by either end: placeholders filled, roles right, ends with its rule.
TEST(ExplainTable, EverySentenceIsComplete) {
    for (const ExplainRow& row : explain_table()) {
        for (bool server : {false, true}) {
            SCOPED_TRACE(std::string(row.text) + (server ? " [server sends]" : " [client sends]"));
            const tcpstate_result r = result_for(row, server);
            const std::string s = explained(nullptr, r);
            EXPECT_EQ(s.find('{'), std::string::npos) << s;
            EXPECT_EQ(s.find('}'), std::string::npos) << s;
            EXPECT_TRUE(std::isupper(static_cast<unsigned char>(s[0]))) << s;
            const std::string tail = " (" + std::string(row.rule) + ")";
            ASSERT_GE(s.size(), tail.size());
            EXPECT_EQ(s.substr(s.size() - tail.size()), tail) << s;
            EXPECT_EQ(s.find("RFC"), s.size() - tail.size() + 2) << "the rule names an RFC: " << s;
            const std::string sender = server ? "server" : "client";
            if (row.text.find("{sender}") != std::string_view::npos) {
                EXPECT_TRUE(s.find("The " + sender) != std::string::npos || s.find("the " + sender) != std::string::npos) << s;
            }
        }
    }
}

// The step of each sentence is named in it (or, for the data steps, what the step is about).
TEST(ExplainTable, EachStepSentenceNamesItsSubject) {
    const struct { unsigned step; const char* word; } subjects[] = {
        {TCPSTATE_STEP_SYN, "SYN"},         {TCPSTATE_STEP_SYN_ACK, "SYN"}, {TCPSTATE_STEP_HANDSHAKE_ACK, "SYN"},
        {TCPSTATE_STEP_FIN1, "FIN"},        {TCPSTATE_STEP_ACK2, "FIN"},        {TCPSTATE_STEP_FIN3, "FIN"},
        {TCPSTATE_STEP_FIN_ACK23, "FIN"},   {TCPSTATE_STEP_ACK4, "FIN"},        {TCPSTATE_STEP_RST, "RST"},
        {TCPSTATE_STEP_DATA, "data"},       {TCPSTATE_STEP_ACK, "ACK"},         {TCPSTATE_STEP_KEEPALIVE, "keep-alive"},
        {TCPSTATE_STEP_WINDOW_PROBE, "window"},
    };
    std::set<unsigned> seen;
    for (const auto& sub : subjects) {
        seen.insert(sub.step);
        for (const ExplainRow& row : explain_table()) {
            if (static_cast<unsigned>(row.step) != sub.step) continue;
            SCOPED_TRACE(row.text);
            EXPECT_NE(explained(nullptr, result_for(row, false)).find(sub.word), std::string::npos);
        }
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(TCPSTATE_STEP_COUNT - 1)) << "a step is not checked";
}

TEST(ExplainTable, NoStepNoSentence) {
    tcpstate_result r{};
    EXPECT_EQ(explain_row(r), nullptr);
    EXPECT_EQ(explained(nullptr, r), "");
}

TEST(ExplainAbi, TruncatesAndTerminates) {
    tcpstate_result r{};
    r.step = TCPSTATE_STEP_SYN;
    r.flags = TCPSTATE_R_ACCEPTABLE;
    char buf[8];
    std::memset(buf, 'x', sizeof buf);
    EXPECT_STREQ(tcpstate_engine_explain(nullptr, &r, buf, sizeof buf), "The cli");
    EXPECT_STREQ(tcpstate_engine_explain(nullptr, nullptr, buf, sizeof buf), "");
}

// ---- Whole connections, word for word ------------------------------------------------------------

// RFC 9293 3.5 figure 6 and 3.6 figure 12, client closing first.
TEST(ExplainConnection, ClientClosesFirst) {
    Capture cap;
    Peer c{cap, Role::Client}, s{cap, Role::Server};
    auto e = [&](const tcpstate_result& r) { return explained(cap.engine(), r); };
    EXPECT_EQ(e(c.syn(J)),
              "The client opens the connection: its SYN carries its initial sequence number (Wireshark "
              "shows it as 0) and takes one sequence number itself, so the server must acknowledge 1 (RFC 9293 3.5)");
    EXPECT_EQ(e(s.synack(K, J + 1)),
              "The server answers with its own SYN (its initial sequence number, shown as 0) and "
              "acknowledges the client's SYN with ACK 1: the client's initial sequence number + 1 (RFC 9293 3.5)");
    EXPECT_EQ(e(c.ack(J + 1, K + 1)),
              "The client acknowledges the server's SYN with ACK 1; once it arrives both ends are "
              "ESTABLISHED: three segments open a connection (RFC 9293 3.5)");
    EXPECT_EQ(e(c.data(J + 1, K + 1, 100)),
              "The client sends data; the server acknowledges it with ACK = SEQ + LEN, the next byte it "
              "expects (RFC 9293 3.4)");
    EXPECT_EQ(e(s.ack(K + 1, J + 101)),
              "The server acknowledges what it has received: the ACK number is the next sequence number "
              "it expects (RFC 9293 3.4)");
    s.data(K + 1, J + 101, 300);
    c.ack(J + 101, K + 301);
    EXPECT_EQ(e(c.fin(J + 101, K + 301)),
              "The client's FIN takes one sequence number, so the server acknowledges 102; the client has "
              "closed its direction (it sends no more data) and waits in FIN_WAIT_1 (RFC 9293 3.6)");
    EXPECT_EQ(e(s.ack(K + 301, J + 102)),
              "The server acknowledges the client's FIN with ACK 102; the server may still send data, and "
              "the client waits in FIN_WAIT_2 for the server's FIN (RFC 9293 3.6)");
    EXPECT_EQ(e(s.fin(K + 301, J + 102)),
              "Closing takes four segments because each direction is closed on its own: the server could "
              "still send data after acknowledging the FIN; now its own FIN closes its direction, and the "
              "client acknowledges 302 (RFC 9293 3.6)");
    EXPECT_EQ(e(c.ack(J + 102, K + 302)),
              "The client acknowledges the server's FIN with ACK 302; the server goes to CLOSED, while "
              "the client waits in TIME_WAIT for 2 MSL in case this ACK is lost (RFC 9293 3.6)");
}

// 3.6: the passive closer merges its ACK and FIN (FIN-ACK 2+3/4); retransmitted FIN (3.8.1).
TEST(ExplainConnection, MergedFinAckAndRetransmittedFin) {
    Capture cap;
    Peer c{cap, Role::Client}, s{cap, Role::Server};
    auto e = [&](const tcpstate_result& r) { return explained(cap.engine(), r); };
    c.syn(J);
    s.synack(K, J + 1);
    c.ack(J + 1, K + 1);
    c.fin(J + 1, K + 1);
    EXPECT_EQ(e(c.fin(J + 1, K + 1)),
              "The client sends its FIN again: no acknowledgment of it came back in time (RFC 9293 3.8.1)");
    EXPECT_EQ(e(s.fin(K + 1, J + 2)),
              "The server acknowledges the client's FIN and sends its own in the same segment, so the "
              "teardown takes three segments instead of four; the client acknowledges 2 (RFC 9293 3.6)");
}

// 3.10.7.1 / 3.10.7.3: a SYN answered by RST/ACK is refused; RFC 5961 3.2: exact RST aborts.
TEST(ExplainConnection, RefusedAndReset) {
    {
        Capture cap;
        Peer c{cap, Role::Client}, s{cap, Role::Server};
        c.syn(J);
        EXPECT_EQ(explained(cap.engine(), s.rstack(0, J + 1)),
                  "No process listens on this port: the server answers the SYN with a RST that acknowledges "
                  "it, and the client gives up: the connection is refused (RFC 9293 3.10.7.1, 3.10.7.3)");
    }
    Capture cap;
    Peer c{cap, Role::Client}, s{cap, Role::Server};
    c.syn(J);
    s.synack(K, J + 1);
    c.ack(J + 1, K + 1);
    EXPECT_EQ(explained(cap.engine(), s.rstack(K + 1, J + 1)),
              "The server aborts the connection: a RST at exactly the expected sequence number resets the "
              "client at once, with no FIN exchange and no TIME_WAIT; the client goes to CLOSED "
              "(RFC 9293 3.10.7.4, RFC 5961 3.2)");
}

// Picked up mid-stream, no ISN is known: the FIN's acknowledgment is said in words.
TEST(ExplainConnection, MidstreamFinHasNoRelativeNumber) {
    Capture cap;
    Peer c{cap, Role::Client}, s{cap, Role::Server};
    c.data(J + 1, K + 1, 10);
    const std::string fin = explained(cap.engine(), c.fin(J + 11, K + 1));
    EXPECT_NE(fin.find("so the server acknowledges its FIN's sequence number + 1;"), std::string::npos) << fin;
}

}  // namespace
}  // namespace tcpstate::test
