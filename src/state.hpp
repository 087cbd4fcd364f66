// TCP states and the transition tables (RFC 9293 3.3.2, 3.10).
//
// Read first: RFC 9293 section 3.3.2 (state diagram), 3.10.7 (segment arrives), RFC 5961 (blind
// in-window attacks), RFC 7323 (window scale), RFC 1337 (TIME-WAIT hazards).
//
// The tables are data: one row per event, one cell per state, and the reason for the cell written
// beside it. The engine reads them; it does not re-decide what the RFC says.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "tcpstate_core.h"

namespace tcpstate {

enum class State : std::uint8_t {
    Closed = TCPSTATE_S_CLOSED,
    Listen = TCPSTATE_S_LISTEN,
    SynSent = TCPSTATE_S_SYN_SENT,
    SynRcvd = TCPSTATE_S_SYN_RCVD,
    Established = TCPSTATE_S_ESTABLISHED,
    FinWait1 = TCPSTATE_S_FIN_WAIT_1,
    FinWait2 = TCPSTATE_S_FIN_WAIT_2,
    CloseWait = TCPSTATE_S_CLOSE_WAIT,
    Closing = TCPSTATE_S_CLOSING,
    LastAck = TCPSTATE_S_LAST_ACK,
    TimeWait = TCPSTATE_S_TIME_WAIT,
    Unknown = TCPSTATE_S_UNKNOWN,
};
inline constexpr std::size_t kStateCount = TCPSTATE_S_COUNT;

constexpr std::string_view state_name(State s) {
    switch (s) {
    case State::Closed: return "CLOSED";
    case State::Listen: return "LISTEN";
    case State::SynSent: return "SYN_SENT";
    case State::SynRcvd: return "SYN_RCVD";
    case State::Established: return "ESTABLISHED";
    case State::FinWait1: return "FIN_WAIT_1";
    case State::FinWait2: return "FIN_WAIT_2";
    case State::CloseWait: return "CLOSE_WAIT";
    case State::Closing: return "CLOSING";
    case State::LastAck: return "LAST_ACK";
    case State::TimeWait: return "TIME_WAIT";
    case State::Unknown: return "UNKNOWN";
    }
    return "UNKNOWN";
}

// States as bit flags, so "in one of these states" reads like the RFC.
using StateSet = std::uint16_t;
constexpr StateSet bit(State s) { return static_cast<StateSet>(1u << static_cast<unsigned>(s)); }
template <typename... S>
constexpr StateSet states(S... s) { return static_cast<StateSet>((bit(s) | ...)); }
constexpr bool in(State s, StateSet set) { return (bit(s) & set) != 0; }

// RFC 9293 3.3.2: "synchronized" states, where sequence numbers of both sides are known.
inline constexpr StateSet kSynchronized =
    states(State::SynRcvd, State::Established, State::FinWait1, State::FinWait2, State::CloseWait,
           State::Closing, State::LastAck, State::TimeWait);
// States in which this side has already sent its FIN.
inline constexpr StateSet kFinSent =
    states(State::FinWait1, State::FinWait2, State::Closing, State::LastAck, State::TimeWait);

// ---------------------------------------------------------------------------------------------
// Send transitions: what sending a segment does to its sender.
enum class SendEvent : std::uint8_t { Syn, SynAck, Fin, Ack, Rst, Count_ };
inline constexpr std::size_t kSendEventCount = static_cast<std::size_t>(SendEvent::Count_);

enum class SendVerdict : std::uint8_t {
    Ok,           // legal in this state
    RetransOnly,  // legal only as a retransmission of the sender's own SYN / FIN (else wrong_state)
    OwnSynOnly,   // legal as the sender's first SYN or a retransmission of it (else wrong_state)
    Wrong,        // not legal: wrong_state, state unchanged
};

struct SendCell {
    State next;
    SendVerdict verdict;
    std::string_view why;
};

using SendRow = std::array<SendCell, kStateCount>;

// Indexed [event][state]; states in enum order: CLOSED LISTEN SYN_SENT SYN_RCVD ESTABLISHED
// FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT UNKNOWN.
inline constexpr std::array<SendRow, kSendEventCount> kSendTable{{
    // SYN without ACK
    {{
        {State::SynSent, SendVerdict::Ok, "active OPEN: snd SYN (3.3.2, 3.10.1)"},
        {State::SynSent, SendVerdict::Ok, "SEND in LISTEN turns the passive open active (3.10.1)"},
        {State::SynSent, SendVerdict::RetransOnly, "SYN retransmission, same ISS (3.8.1)"},
        {State::SynRcvd, SendVerdict::OwnSynOnly,
         "simultaneous open: own SYN retransmitted (3.5); or its first SYN, the SYN half of a SYN-ACK sent as"
         " two segments (split handshake: the peer, in SYN-SENT, takes it as a simultaneous open)"},
        {State::Established, SendVerdict::Wrong, "no SYN once synchronized (3.10.7.4, RFC 5961 4)"},
        {State::FinWait1, SendVerdict::Wrong, "no SYN once synchronized"},
        {State::FinWait2, SendVerdict::Wrong, "no SYN once synchronized"},
        {State::CloseWait, SendVerdict::Wrong, "no SYN once synchronized"},
        {State::Closing, SendVerdict::Wrong, "no SYN once synchronized"},
        {State::LastAck, SendVerdict::Wrong, "no SYN once synchronized"},
        {State::TimeWait, SendVerdict::Wrong, "a new incarnation is handled before the table (RFC 6191)"},
        {State::SynSent, SendVerdict::Ok, "mid-stream: a SYN starts a new connection"},
    }},
    // SYN with ACK
    {{
        {State::Closed, SendVerdict::Wrong, "CLOSED sends only RST (3.10.7.1)"},
        {State::Listen, SendVerdict::Wrong, "LISTEN answers a SYN it has received (3.10.7.2)"},
        {State::SynSent, SendVerdict::Wrong, "SYN_SENT answers a SYN only after receiving it (3.10.7.3)"},
        {State::SynRcvd, SendVerdict::Ok, "rcv SYN, snd SYN,ACK (3.3.2, 3.10.7.2/3)"},
        {State::Established, SendVerdict::RetransOnly, "SYN-ACK retransmission: the handshake ACK was lost"},
        {State::FinWait1, SendVerdict::Wrong, "no SYN once the sender has closed"},
        {State::FinWait2, SendVerdict::Wrong, "no SYN once the sender has closed"},
        {State::CloseWait, SendVerdict::Wrong, "no SYN in CLOSE_WAIT"},
        {State::Closing, SendVerdict::Wrong, "no SYN once the sender has closed"},
        {State::LastAck, SendVerdict::Wrong, "no SYN once the sender has closed"},
        {State::TimeWait, SendVerdict::Wrong, "no SYN-ACK in TIME_WAIT"},
        {State::Unknown, SendVerdict::Ok, "mid-stream: nothing known"},
    }},
    // FIN
    {{
        {State::Closed, SendVerdict::Wrong, "CLOSED sends only RST (3.10.7.1)"},
        {State::Listen, SendVerdict::Wrong, "CLOSE in LISTEN sends nothing (3.10.4)"},
        {State::SynSent, SendVerdict::Wrong, "CLOSE in SYN_SENT deletes the TCB, no FIN (3.10.4)"},
        {State::FinWait1, SendVerdict::Ok, "CLOSE in SYN_RCVD: snd FIN (3.10.4)"},
        {State::FinWait1, SendVerdict::Ok, "CLOSE: snd FIN (3.3.2, 3.10.4)"},
        {State::FinWait1, SendVerdict::RetransOnly, "FIN retransmission"},
        {State::FinWait2, SendVerdict::RetransOnly, "FIN retransmission (already acknowledged)"},
        {State::LastAck, SendVerdict::Ok, "CLOSE in CLOSE_WAIT: snd FIN (3.3.2, 3.10.4)"},
        {State::Closing, SendVerdict::RetransOnly, "FIN retransmission"},
        {State::LastAck, SendVerdict::RetransOnly, "FIN retransmission"},
        {State::TimeWait, SendVerdict::RetransOnly, "FIN retransmission"},
        {State::Unknown, SendVerdict::Ok, "mid-stream: resolved from the peer's FIN (see engine)"},
    }},
    // ACK or data, no SYN/FIN/RST
    {{
        {State::Closed, SendVerdict::Wrong, "CLOSED sends only RST (3.10.7.1)"},
        {State::Listen, SendVerdict::Wrong, "LISTEN sends only SYN,ACK or RST (3.10.7.2)"},
        {State::SynSent, SendVerdict::Wrong, "SYN_SENT sends an ACK only after a SYN (3.10.7.3)"},
        {State::SynRcvd, SendVerdict::Ok, "data may be queued/sent in SYN_RCVD (3.10.2, RFC 7413)"},
        {State::Established, SendVerdict::Ok, "data transfer"},
        {State::FinWait1, SendVerdict::Ok, "ACKs after FIN; data only below the FIN"},
        {State::FinWait2, SendVerdict::Ok, "ACKs after FIN; data only below the FIN"},
        {State::CloseWait, SendVerdict::Ok, "half-close: data still flows (3.6)"},
        {State::Closing, SendVerdict::Ok, "ACK of the peer's FIN"},
        {State::LastAck, SendVerdict::Ok, "ACKs after FIN"},
        {State::TimeWait, SendVerdict::Ok, "ACK of the peer's (retransmitted) FIN (3.10.7.4)"},
        {State::Unknown, SendVerdict::Ok, "mid-stream: nothing known"},
    }},
    // RST
    {{
        {State::Closed, SendVerdict::Ok, "reset generation (3.10.7.1)"},
        {State::Closed, SendVerdict::Ok, "reset generation"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
        {State::Closed, SendVerdict::Ok, "ABORT (3.10.5)"},
    }},
}};

constexpr const SendCell& send_cell(SendEvent e, State s) {
    return kSendTable[static_cast<std::size_t>(e)][static_cast<std::size_t>(s)];
}

// ---------------------------------------------------------------------------------------------
// Receive transitions, in the RFC's processing order for synchronized states (3.10.7.4):
// the acknowledgment of our SYN or FIN ("fifth, check the ACK field") then the FIN ("eighth").
struct RecvCell {
    State next;
    std::string_view why;
};
using RecvRow = std::array<RecvCell, kStateCount>;

// When the segment acknowledges this side's SYN (SYN_RCVD) or FIN (FIN_WAIT_1, CLOSING, LAST_ACK).
inline constexpr RecvRow kRecvAckOfControl{{
    {State::Closed, "no TCB"},
    {State::Listen, "LISTEN ignores ACKs (a real stack answers RST)"},
    {State::SynSent, "handled by the SYN-ACK rule"},
    {State::Established, "SYN_RCVD: rcv ACK of SYN (3.3.2, 3.10.7.4 fifth)"},
    {State::Established, "unchanged"},
    {State::FinWait2, "FIN_WAIT_1: our FIN is acknowledged (3.10.7.4 fifth)"},
    {State::FinWait2, "unchanged"},
    {State::CloseWait, "unchanged"},
    {State::TimeWait, "CLOSING: rcv ACK of FIN (3.3.2)"},
    {State::Closed, "LAST_ACK: rcv ACK of FIN, delete the TCB (3.3.2)"},
    {State::TimeWait, "unchanged"},
    {State::Unknown, "unchanged"},
}};

// When the segment carries an acceptable FIN (3.10.7.4 eighth), after the ACK step above.
inline constexpr RecvRow kRecvFin{{
    {State::Closed, "do not process the FIN in CLOSED"},
    {State::Listen, "do not process the FIN in LISTEN"},
    {State::SynSent, "do not process the FIN in SYN_SENT"},
    {State::CloseWait, "SYN_RCVD: enter CLOSE_WAIT"},
    {State::CloseWait, "ESTABLISHED: rcv FIN, snd ACK (3.3.2)"},
    {State::Closing, "FIN_WAIT_1, our FIN not acknowledged: simultaneous close (3.3.2)"},
    {State::TimeWait, "FIN_WAIT_2: rcv FIN, snd ACK (3.3.2)"},
    {State::CloseWait, "remain in CLOSE_WAIT"},
    {State::Closing, "remain in CLOSING"},
    {State::LastAck, "remain in LAST_ACK"},
    {State::TimeWait, "remain in TIME_WAIT, restart the 2 MSL timeout"},
    {State::CloseWait, "mid-stream: a FIN is evidence the receiver now is in CLOSE_WAIT"},
}};

// The state an endpoint was in before it received the peer's FIN: the inverse of kRecvFin, for an
// endpoint whose own ACK shows it had not received that FIN when it sent it (docs/model.md,
// "Evidence from the sender"). Only the states that follow the receipt of a FIN change.
inline constexpr RecvRow kUnrecvFin{{
    {State::Closed, "unchanged (whether a CLOSED end received the FIN is not told by its state)"},
    {State::Listen, "unchanged"},
    {State::SynSent, "unchanged"},
    {State::SynRcvd, "unchanged"},
    {State::Established, "unchanged"},
    {State::FinWait1, "unchanged"},
    {State::FinWait2, "unchanged"},
    {State::Established, "CLOSE_WAIT without the FIN: ESTABLISHED"},
    {State::FinWait1, "CLOSING without the FIN: FIN_WAIT_1 (our FIN sent, not acknowledged)"},
    {State::FinWait1, "LAST_ACK without the FIN: FIN_WAIT_1 (our FIN was sent from ESTABLISHED)"},
    {State::FinWait2, "TIME_WAIT without the FIN: FIN_WAIT_2 (our FIN acknowledged)"},
    {State::Unknown, "unchanged"},
}};

// When a SYN without ACK arrives in a state that is not synchronized.
inline constexpr RecvRow kRecvSyn{{
    {State::Closed, "CLOSED: answered by RST (3.10.7.1)"},
    {State::SynRcvd, "LISTEN: rcv SYN, snd SYN,ACK (3.3.2, 3.10.7.2)"},
    {State::SynRcvd, "SYN_SENT: rcv SYN, simultaneous open (3.3.2, 3.5)"},
    {State::SynRcvd, "synchronized: see RFC 5961 4"},
    {State::Established, "synchronized: challenge ACK (RFC 5961 4)"},
    {State::FinWait1, "synchronized: challenge ACK (RFC 5961 4)"},
    {State::FinWait2, "synchronized: challenge ACK (RFC 5961 4)"},
    {State::CloseWait, "synchronized: challenge ACK (RFC 5961 4)"},
    {State::Closing, "synchronized: challenge ACK (RFC 5961 4)"},
    {State::LastAck, "synchronized: challenge ACK (RFC 5961 4)"},
    {State::TimeWait, "new incarnation handled by the engine (RFC 1122 4.2.2.13, RFC 6191)"},
    {State::Unknown, "mid-stream: unknown"},
}};

constexpr State recv_next(const RecvRow& row, State s) { return row[static_cast<std::size_t>(s)].next; }

}  // namespace tcpstate
