// The transition tables of src/state.hpp against the state diagram of RFC 9293 3.3.2 (Figure 5).
//
// Every edge of the figure that is driven by sending or receiving a segment is transcribed below as
// (from, event, to), with the figure's label, and must be found in the table cell for that event
// and state. Edges driven by user calls alone (passive OPEN, CLOSE in LISTEN/SYN-SENT, the 2 MSL
// timeout) send no segment and have no cell. Two segment-driven edges are not table cells and are
// tested through the engine instead (engine_test.cpp): SYN-SENT --rcv SYN,ACK--> ESTABLISHED (the
// ACK check of 3.10.7.3) and SYN-RECEIVED --rcv RST--> LISTEN (note 1: needs to know the open was
// passive, which an observer does not).
#include "state.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tcpstate {
namespace {

enum class Event {
    SndSyn,       // snd SYN (active OPEN, or SEND in LISTEN)
    SndSynAck,    // snd SYN,ACK (in answer to rcv SYN)
    SndFin,       // CLOSE: snd FIN
    SndAck,       // snd ACK (of a SYN,ACK or FIN just received)
    RcvSyn,       // rcv SYN
    RcvAckOfSyn,  // rcv ACK of SYN
    RcvFin,       // rcv FIN
    RcvAckOfFin,  // rcv ACK of FIN
};

const char* event_name(Event e) {
    switch (e) {
    case Event::SndSyn: return "SndSyn";
    case Event::SndSynAck: return "SndSynAck";
    case Event::SndFin: return "SndFin";
    case Event::SndAck: return "SndAck";
    case Event::RcvSyn: return "RcvSyn";
    case Event::RcvAckOfSyn: return "RcvAckOfSyn";
    case Event::RcvFin: return "RcvFin";
    case Event::RcvAckOfFin: return "RcvAckOfFin";
    }
    return "?";
}

struct Edge {
    State from;
    Event event;
    State to;
    const char* label;  // the edge's label in Figure 5
};

// RFC 9293 3.3.2, Figure 5, edge by edge. A "rcv X / snd Y" edge of the figure gives two rows: the
// receive moves the state, and the answer is then sent from the new state without moving it.
constexpr Edge kFigure5[] = {
    // CLOSED --active OPEN / create TCB, snd SYN--> SYN-SENT
    {State::Closed, Event::SndSyn, State::SynSent, "active OPEN: create TCB, snd SYN"},
    // LISTEN --SEND / snd SYN--> SYN-SENT
    {State::Listen, Event::SndSyn, State::SynSent, "SEND: snd SYN"},
    // LISTEN --rcv SYN / snd SYN,ACK--> SYN-RCVD
    {State::Listen, Event::RcvSyn, State::SynRcvd, "rcv SYN"},
    {State::SynRcvd, Event::SndSynAck, State::SynRcvd, "... snd SYN,ACK"},
    // SYN-SENT --rcv SYN / snd SYN,ACK--> SYN-RCVD (simultaneous open)
    {State::SynSent, Event::RcvSyn, State::SynRcvd, "rcv SYN (simultaneous open)"},
    // SYN-RCVD --rcv ACK of SYN--> ESTABLISHED
    {State::SynRcvd, Event::RcvAckOfSyn, State::Established, "rcv ACK of SYN"},
    // SYN-SENT --rcv SYN,ACK / snd ACK--> ESTABLISHED: the ACK is sent from ESTABLISHED
    {State::Established, Event::SndAck, State::Established, "rcv SYN,ACK ... snd ACK"},
    // SYN-RCVD --CLOSE / snd FIN--> FIN-WAIT-1
    {State::SynRcvd, Event::SndFin, State::FinWait1, "CLOSE: snd FIN (from SYN-RCVD)"},
    // ESTABLISHED --CLOSE / snd FIN--> FIN-WAIT-1
    {State::Established, Event::SndFin, State::FinWait1, "CLOSE: snd FIN"},
    // ESTABLISHED --rcv FIN / snd ACK--> CLOSE-WAIT
    {State::Established, Event::RcvFin, State::CloseWait, "rcv FIN"},
    {State::CloseWait, Event::SndAck, State::CloseWait, "... snd ACK"},
    // CLOSE-WAIT --CLOSE / snd FIN--> LAST-ACK
    {State::CloseWait, Event::SndFin, State::LastAck, "CLOSE: snd FIN (from CLOSE-WAIT)"},
    // FIN-WAIT-1 --rcv ACK of FIN--> FIN-WAIT-2
    {State::FinWait1, Event::RcvAckOfFin, State::FinWait2, "rcv ACK of FIN (in FIN-WAIT-1)"},
    // FIN-WAIT-1 --rcv FIN / snd ACK--> CLOSING
    {State::FinWait1, Event::RcvFin, State::Closing, "rcv FIN (in FIN-WAIT-1)"},
    {State::Closing, Event::SndAck, State::Closing, "... snd ACK"},
    // FIN-WAIT-2 --rcv FIN / snd ACK--> TIME-WAIT
    {State::FinWait2, Event::RcvFin, State::TimeWait, "rcv FIN (in FIN-WAIT-2)"},
    {State::TimeWait, Event::SndAck, State::TimeWait, "... snd ACK"},
    // CLOSING --rcv ACK of FIN--> TIME-WAIT
    {State::Closing, Event::RcvAckOfFin, State::TimeWait, "rcv ACK of FIN (in CLOSING)"},
    // LAST-ACK --rcv ACK of FIN--> CLOSED
    {State::LastAck, Event::RcvAckOfFin, State::Closed, "rcv ACK of FIN (in LAST-ACK)"},
};

// What the tables say `event` does in `from`. Send events must also be legal (verdict Ok): a
// diagram edge is never "retransmission only" or "wrong".
struct Lookup {
    State next;
    bool legal;
    std::string_view why;
};

Lookup lookup(State from, Event e) {
    const auto send = [from](SendEvent se) {
        const SendCell& c = send_cell(se, from);
        return Lookup{c.next, c.verdict == SendVerdict::Ok, c.why};
    };
    const auto recv = [from](const RecvRow& row) {
        const RecvCell& c = row[static_cast<std::size_t>(from)];
        return Lookup{c.next, true, c.why};
    };
    switch (e) {
    case Event::SndSyn: return send(SendEvent::Syn);
    case Event::SndSynAck: return send(SendEvent::SynAck);
    case Event::SndFin: return send(SendEvent::Fin);
    case Event::SndAck: return send(SendEvent::Ack);
    case Event::RcvSyn: return recv(kRecvSyn);
    case Event::RcvAckOfSyn:
    case Event::RcvAckOfFin: return recv(kRecvAckOfControl);
    case Event::RcvFin: return recv(kRecvFin);
    }
    return {State::Unknown, false, ""};
}

class StateTableFigure5 : public ::testing::TestWithParam<Edge> {};

// RFC 9293 3.3.2 Figure 5: the edge is in its table cell, and the cell is legal.
TEST_P(StateTableFigure5, EdgeIsInTheTable_Rfc9293_3_3_2) {
    const Edge& e = GetParam();
    const Lookup got = lookup(e.from, e.event);
    EXPECT_EQ(state_name(got.next), state_name(e.to))
        << state_name(e.from) << " --" << e.label << "--> expected " << state_name(e.to) << "; cell says: " << got.why;
    EXPECT_TRUE(got.legal) << state_name(e.from) << " --" << e.label << "-->: the cell is not Ok: " << got.why;
}

std::string edge_name(const ::testing::TestParamInfo<Edge>& info) {
    std::string n = std::string(state_name(info.param.from)) + "_" + event_name(info.param.event) + "_" +
                    std::string(state_name(info.param.to));
    for (char& ch : n)
        if (ch == '-' || ch == ' ') ch = '_';
    return n;
}

INSTANTIATE_TEST_SUITE_P(EngineRfc9293, StateTableFigure5, ::testing::ValuesIn(kFigure5), edge_name);

// RFC 9293 3.10.7.4 "eighth, check the FIN bit", FIN-WAIT-1: "If our FIN has been ACKed (perhaps in
// this segment), then enter TIME-WAIT". The engine applies the ACK cell, then the FIN cell.
TEST(EngineStateTable, FinWait1FinWithAckOfFinGoesToTimeWait_Rfc9293_3_10_7_4) {
    const State after_ack = recv_next(kRecvAckOfControl, State::FinWait1);
    EXPECT_EQ(state_name(recv_next(kRecvFin, after_ack)), "TIME_WAIT");
    // Without the ACK of our FIN: simultaneous close, CLOSING (3.6 figure 13).
    EXPECT_EQ(state_name(recv_next(kRecvFin, State::FinWait1)), "CLOSING");
}

// RFC 9293 3.10.7.4 eighth: in CLOSE-WAIT, CLOSING, LAST-ACK and TIME-WAIT a FIN does not move the
// state ("remain in ...").
TEST(EngineStateTable, RepeatedFinDoesNotMoveLaterStates_Rfc9293_3_10_7_4) {
    for (State s : {State::CloseWait, State::Closing, State::LastAck, State::TimeWait})
        EXPECT_EQ(state_name(recv_next(kRecvFin, s)), state_name(s));
}

// RFC 9293 3.10.5 (ABORT) and 3.10.7.1: sending a RST leaves the sender CLOSED from every state.
TEST(EngineStateTable, SendingRstClosesFromEveryState_Rfc9293_3_10_5) {
    for (std::size_t i = 0; i < kStateCount; ++i) {
        const SendCell& c = send_cell(SendEvent::Rst, static_cast<State>(i));
        EXPECT_EQ(state_name(c.next), "CLOSED") << state_name(static_cast<State>(i));
        EXPECT_EQ(c.verdict, SendVerdict::Ok) << state_name(static_cast<State>(i));
    }
}

// RFC 9293 3.10.4 CLOSE: in LISTEN and SYN-SENT the TCB is deleted and no FIN is sent; a FIN sent
// from there is not a legal send.
TEST(EngineStateTable, NoFinBeforeSynchronized_Rfc9293_3_10_4) {
    EXPECT_EQ(send_cell(SendEvent::Fin, State::Listen).verdict, SendVerdict::Wrong);
    EXPECT_EQ(send_cell(SendEvent::Fin, State::SynSent).verdict, SendVerdict::Wrong);
    EXPECT_EQ(send_cell(SendEvent::Fin, State::Closed).verdict, SendVerdict::Wrong);
}

// Every cell says why (src/state.hpp: "the reason for the cell written beside it").
TEST(EngineStateTable, EveryCellHasAReason) {
    for (std::size_t e = 0; e < kSendEventCount; ++e)
        for (std::size_t s = 0; s < kStateCount; ++s)
            EXPECT_FALSE(kSendTable[e][s].why.empty()) << "send event " << e << ", state " << state_name(static_cast<State>(s));
    const struct {
        const char* name;
        const RecvRow& row;
    } rows[] = {{"kRecvAckOfControl", kRecvAckOfControl}, {"kRecvFin", kRecvFin}, {"kRecvSyn", kRecvSyn}};
    for (const auto& r : rows)
        for (std::size_t s = 0; s < kStateCount; ++s)
            EXPECT_FALSE(r.row[s].why.empty()) << r.name << ", state " << state_name(static_cast<State>(s));
}

}  // namespace
}  // namespace tcpstate
