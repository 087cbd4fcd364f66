// The learner's sentences (explain.hpp). RFC 9293 sections: 3.4 sequence numbers, 3.5 opening
// (figure 6, simultaneous open figure 7), 3.6 closing (figures 12, 13), 3.6.1 half-closed
// connections, 3.8.1 retransmission timeout, 3.8.6.1 zero-window probing, 3.10.4 CLOSE,
// 3.10.7 SEGMENT ARRIVES; RFC 5961 (blind resets); RFC 1122 4.2.3.6 (keep-alives); RFC 1337.
#include "explain.hpp"

#include <array>
#include <string>

namespace tcpstate {
namespace {

using W = ExplainWhen;

constexpr ExplainRow always(Step s, std::string_view text, std::string_view rule) {
    return {s, W::Always, Finding::Count_, State::Unknown, text, rule};
}
constexpr ExplainRow retrans(Step s, std::string_view text, std::string_view rule) {
    return {s, W::Retransmission, Finding::Count_, State::Unknown, text, rule};
}
constexpr ExplainRow finding(Step s, Finding f, std::string_view text, std::string_view rule) {
    return {s, W::Finding, f, State::Unknown, text, rule};
}
constexpr ExplainRow when_state(Step s, W w, State st, std::string_view text, std::string_view rule) {
    return {s, w, Finding::Count_, st, text, rule};
}
constexpr ExplainRow unacceptable(Step s, std::string_view text, std::string_view rule) {
    return {s, W::NotAcceptable, Finding::Count_, State::Unknown, text, rule};
}

// Rows of one step are together, the special cases before the general one (the last, Always).
constexpr std::array kRows{
    // ---- Opening ----------------------------------------------------------------------------
    finding(Step::Syn, Finding::SimultaneousOpen,
            "The {sender}'s SYN crossed the {receiver}'s: both ends open at once (a simultaneous open), "
            "and each goes SYN_SENT -> SYN_RCVD -> ESTABLISHED",
            "RFC 9293 3.5, figure 7"),
    finding(Step::Syn, Finding::PortReuse,
            "A new SYN on the ports of a finished connection opens a new incarnation of it: the "
            "{receiver} accepts it from {receiver_before} because the new initial sequence number "
            "is beyond the old connection's",
            "RFC 6191, RFC 1122 4.2.2.13"),
    finding(Step::Syn, Finding::AssumedUndelivered,
            "The {sender} sends its SYN again, with the same initial sequence number, although a "
            "SYN-ACK was sent: that SYN-ACK never reached it, and it is still in SYN_SENT",
            "RFC 9293 3.8.1"),
    retrans(Step::Syn,
            "The {sender} sends its SYN again, with the same initial sequence number: no SYN-ACK came "
            "back in time",
            "RFC 9293 3.8.1"),
    always(Step::Syn,
           "The {sender} opens the connection: its SYN carries its initial sequence number (Wireshark "
           "shows it as 0) and takes one sequence number itself, so the {receiver} must acknowledge {ack}",
           "RFC 9293 3.5"),

    finding(Step::SynAck, Finding::SynAckBadAck,
            "A SYN-ACK must acknowledge exactly the {receiver}'s initial sequence number + 1; this one "
            "does not, so the {receiver} stays in {receiver_state} and answers with a RST",
            "RFC 9293 3.10.7.3"),
    finding(Step::SynAck, Finding::CompetingSynAck,
            "Another SYN-ACK, with a different initial sequence number, answers the same SYN (a "
            "middlebox or load balancer racing the server): only the one the {receiver} acknowledges "
            "reaches it, and that one is the connection",
            "RFC 9293 3.10.7.3"),
    retrans(Step::SynAck,
            "The {sender} sends its SYN-ACK again: the last ACK of the handshake did not reach it in time",
            "RFC 9293 3.8.1"),
    when_state(Step::SynAck, W::ReceiverBefore, State::SynRcvd,
               "In a simultaneous open each end answers the other's SYN with a SYN-ACK; its ACK of the "
               "{receiver}'s SYN takes the {receiver} to {receiver_state}",
               "RFC 9293 3.5, figure 7"),
    always(Step::SynAck,
           "The {sender} answers with its own SYN (its initial sequence number, shown as 0) and "
           "acknowledges the {receiver}'s SYN with ACK {ack}: the {receiver}'s initial sequence number + 1",
           "RFC 9293 3.5"),

    retrans(Step::HandshakeAck,
            "The {sender} acknowledges the SYN-ACK again because the {receiver} sent it again: the "
            "first ACK was lost",
            "RFC 9293 3.5"),
    always(Step::HandshakeAck,
           "The {sender} acknowledges the {receiver}'s SYN with ACK {ack}; once it arrives both ends "
           "are ESTABLISHED: three segments open a connection",
           "RFC 9293 3.5"),

    // ---- Closing ----------------------------------------------------------------------------
    retrans(Step::Fin1,
            "The {sender} sends its FIN again: no acknowledgment of it came back in time",
            "RFC 9293 3.8.1"),
    always(Step::Fin1,
           "The {sender}'s FIN takes one sequence number, so the {receiver} acknowledges {ack}; the "
           "{sender} has closed its direction (it sends no more data) and waits in {sender_state}",
           "RFC 9293 3.6"),

    retrans(Step::Ack2,
            "The {sender} acknowledges the {receiver}'s FIN again, because the FIN came again",
            "RFC 9293 3.6"),
    when_state(Step::Ack2, W::ReceiverBefore, State::Closing,
               "This ACK covers the {receiver}'s FIN: after a simultaneous close the {receiver} goes "
               "from CLOSING to TIME_WAIT",
               "RFC 9293 3.6, figure 13"),
    always(Step::Ack2,
           "The {sender} acknowledges the {receiver}'s FIN with ACK {ack}; the {sender} may still send "
           "data, and the {receiver} waits in {receiver_state} for the {sender}'s FIN",
           "RFC 9293 3.6"),

    finding(Step::Fin3, Finding::SimultaneousClose,
            "The {sender}'s FIN crossed the {receiver}'s: both ends close at once (a simultaneous "
            "close), and each goes FIN_WAIT_1 -> CLOSING -> TIME_WAIT",
            "RFC 9293 3.6, figure 13"),
    retrans(Step::Fin3,
            "The {sender} sends its FIN again from {sender_state}: the last ACK did not reach it",
            "RFC 9293 3.6"),
    always(Step::Fin3,
           "Closing takes four segments because each direction is closed on its own: the {sender} "
           "could still send data after acknowledging the FIN; now its own FIN closes its direction, "
           "and the {receiver} acknowledges {ack}",
           "RFC 9293 3.6"),

    retrans(Step::FinAck23,
            "The {sender} sends its FIN again: the last ACK did not reach it",
            "RFC 9293 3.6"),
    always(Step::FinAck23,
           "The {sender} acknowledges the {receiver}'s FIN and sends its own in the same segment, so "
           "the teardown takes three segments instead of four; the {receiver} acknowledges {ack}",
           "RFC 9293 3.6"),

    retrans(Step::Ack4,
            "The {sender} acknowledges the FIN again from TIME_WAIT: the {receiver} sent it again, so "
            "the first ACK was lost; TIME_WAIT exists for exactly this",
            "RFC 9293 3.6"),
    when_state(Step::Ack4, W::SenderAfter, State::TimeWait,
               "The {sender} acknowledges the {receiver}'s FIN with ACK {ack}; the {receiver} goes to "
               "{receiver_state}, while the {sender} waits in TIME_WAIT for 2 MSL in case this ACK is lost",
               "RFC 9293 3.6"),
    always(Step::Ack4,
           "The {sender} acknowledges the {receiver}'s FIN with ACK {ack}; the {receiver} goes to "
           "{receiver_state}",
           "RFC 9293 3.6"),

    // ---- Resets -----------------------------------------------------------------------------
    finding(Step::Rst, Finding::Refused,
            "No process listens on this port: the {sender} answers the SYN with a RST that "
            "acknowledges it, and the {receiver} gives up: the connection is refused",
            "RFC 9293 3.10.7.1, 3.10.7.3"),
    finding(Step::Rst, Finding::RstOutOfWindow,
            "This RST is outside the {receiver}'s receive window: it is dropped, as a blind attack "
            "would be",
            "RFC 9293 3.10.7.4, RFC 5961 3.2"),
    finding(Step::Rst, Finding::RstNotExact,
            "This RST is in the window but not at the exact next sequence number: the {receiver} must "
            "not reset; it answers with a challenge ACK and waits for an exact RST",
            "RFC 5961 3.2"),
    finding(Step::Rst, Finding::RstBadAck,
            "In SYN_SENT a RST counts only if it acknowledges the SYN; this one does not, so the "
            "{receiver} ignores it",
            "RFC 9293 3.10.7.3"),
    finding(Step::Rst, Finding::RstInTimeWait,
            "The RST ends the {receiver}'s TIME_WAIT early (TIME-WAIT assassination): an old duplicate "
            "could now reach a new connection on the same ports",
            "RFC 1337"),
    finding(Step::Rst, Finding::RstFromClosed,
            "The {sender} no longer has this connection (it closed or aborted it): like any closed end "
            "it answers the {receiver}'s segment with a RST whose sequence number is that segment's "
            "ACK; the {receiver} goes to {receiver_state}",
            "RFC 9293 3.10.7.1"),
    when_state(Step::Rst, W::SenderAfter, State::SynSent,
               "In SYN_SENT the {sender} answers an ACK that does not acknowledge its SYN with a RST "
               "whose sequence number is that ACK, and goes on waiting for the real SYN-ACK",
               "RFC 9293 3.10.7.3"),
    when_state(Step::Rst, W::SenderAfter, State::SynRcvd,
               "In SYN_RCVD the {sender} answers an ACK of something it never sent with a RST whose "
               "sequence number is that ACK, and stays in SYN_RCVD",
               "RFC 9293 3.10.7.4"),
    when_state(Step::Rst, W::SenderAfter, State::Listen,
               "The {sender} is listening: it answers any ACK for a connection it does not have with a RST whose "
               "sequence number is that ACK",
               "RFC 9293 3.10.7.2"),
    unacceptable(Step::Rst,
                 "The {receiver} does not act on this RST and stays in {receiver_state}",
                 "RFC 9293 3.10.7"),
    always(Step::Rst,
           "The {sender} aborts the connection: a RST at exactly the expected sequence number resets the "
           "{receiver} at once, with no FIN exchange and no TIME_WAIT; the {receiver} goes to {receiver_state}",
           "RFC 9293 3.10.7.4, RFC 5961 3.2"),

    // ---- Data ---------------------------------------------------------------------------------
    finding(Step::Data, Finding::DataAfterFin,
            "The {sender} sends data after its own FIN, which promised that no more would come",
            "RFC 9293 3.10.4"),
    finding(Step::Data, Finding::OutOfWindow,
            "This data lies outside the {receiver}'s receive window: the {receiver} drops it and answers "
            "with an ACK of what it expects",
            "RFC 9293 3.10.7.4"),
    retrans(Step::Data,
            "The {sender} sends data again that it sent before: it was lost, or not acknowledged in time",
            "RFC 9293 3.8.1"),
    when_state(Step::Data, W::SenderBefore, State::CloseWait,
               "The {sender} still sends data after acknowledging the {receiver}'s FIN: each direction "
               "closes on its own (a half-close)",
               "RFC 9293 3.6.1"),
    always(Step::Data,
           "The {sender} sends data; the {receiver} acknowledges it with ACK = SEQ + LEN, the next byte "
           "it expects",
           "RFC 9293 3.4"),

    finding(Step::Ack, Finding::AckUnsent,
            "This ACK acknowledges data the {receiver} never sent: the {receiver} drops it and answers "
            "with an ACK",
            "RFC 9293 3.10.7.4"),
    finding(Step::Ack, Finding::HandshakeBadAck,
            "In {receiver_before} an ACK must acknowledge what the {receiver} sent (its SYN: the "
            "initial sequence number + 1); this one does not, so the {receiver} drops it and answers "
            "with a RST",
            "RFC 9293 3.10.7.3, 3.10.7.4"),
    always(Step::Ack,
           "The {sender} acknowledges what it has received: the ACK number is the next sequence number "
           "it expects",
           "RFC 9293 3.4"),

    always(Step::KeepAlive,
           "A keep-alive: the {sender} sends one old byte (or none) below what it already sent, so that "
           "the {receiver} answers with an ACK and shows it is still there",
           "RFC 1122 4.2.3.6"),

    always(Step::WindowProbe,
           "The {receiver}'s window is zero: the {sender} probes it with data, so that a lost window "
           "update cannot stall the connection",
           "RFC 9293 3.8.6.1"),
};

bool holds(const ExplainRow& row, const tcpstate_result& r) {
    switch (row.when) {
    case W::Always: return true;
    case W::Retransmission: return (r.flags & TCPSTATE_R_RETRANSMISSION) != 0;
    case W::Finding: return (r.findings >> static_cast<unsigned>(row.finding)) & 1u;
    case W::SenderBefore: return tcpstate_result_sender_before(&r) == static_cast<unsigned>(row.state);
    case W::SenderAfter: return tcpstate_result_sender_after(&r) == static_cast<unsigned>(row.state);
    case W::ReceiverBefore: return tcpstate_result_receiver_before(&r) == static_cast<unsigned>(row.state);
    case W::NotAcceptable: return (r.flags & TCPSTATE_R_ACCEPTABLE) == 0;
    }
    return false;
}

// {ack}: the acknowledgment number the step is about, relative to the ISN of the end it
// acknowledges (Wireshark's relative numbers), in words when the engine cannot tell.
std::string fin_ack(const Connection* c, int owner) {
    if (c) {
        const Endpoint& e = c->ep[owner];
        if (e.syn_sent && e.fin_sent) return std::to_string(static_cast<std::uint32_t>(e.fin_seq.v + 1u - e.iss.v));
    }
    return "its FIN's sequence number + 1";
}

std::string ack_text(const tcpstate_result& r, const Connection* c) {
    const int sender = (r.flags & TCPSTATE_R_SENDER_SERVER) ? 1 : 0;  // Connection::ep index
    switch (static_cast<Step>(tcpstate_result_step(&r))) {
    case Step::Syn:
    case Step::SynAck:
    case Step::HandshakeAck: return "1";  // an ISN + 1, and Wireshark numbers from the ISN
    case Step::Fin1:
    case Step::Fin3:
    case Step::FinAck23: return fin_ack(c, sender);      // the sender's own FIN
    case Step::Ack2:
    case Step::Ack4: return fin_ack(c, 1 - sender);      // the receiver's FIN
    case Step::None:
    case Step::Rst:
    case Step::Data:
    case Step::Ack:
    case Step::KeepAlive:
    case Step::WindowProbe: break;
    }
    return "the next sequence number";
}

void replace_all(std::string& s, std::string_view key, std::string_view value) {
    for (std::size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size()))
        s.replace(at, key.size(), value);
}

}  // namespace

std::span<const ExplainRow> explain_table() { return kRows; }

const ExplainRow* explain_row(const tcpstate_result& r) {
    const unsigned step = tcpstate_result_step(&r);
    for (const ExplainRow& row : kRows)
        if (static_cast<unsigned>(row.step) == step && holds(row, r)) return &row;
    return nullptr;
}

std::string explain(const tcpstate_result& r, const Connection* c) {
    const ExplainRow* row = explain_row(r);
    if (!row) return {};
    const bool server_sends = (r.flags & TCPSTATE_R_SENDER_SERVER) != 0;
    std::string s(row->text);
    replace_all(s, "{sender_state}", tcpstate_state_name(tcpstate_result_sender_after(&r)));
    replace_all(s, "{receiver_state}", tcpstate_state_name(tcpstate_result_receiver_expected(&r)));
    replace_all(s, "{receiver_before}", tcpstate_state_name(tcpstate_result_receiver_before(&r)));
    if (s.find("{ack}") != std::string::npos) replace_all(s, "{ack}", ack_text(r, c));
    replace_all(s, "{sender}", server_sends ? "server" : "client");
    replace_all(s, "{receiver}", server_sends ? "client" : "server");
    s += " (";
    s += row->rule;
    s += ")";
    return s;
}

}  // namespace tcpstate
