// One table of findings: id, severity, rule. The plugin turns each row into an expert-info field
// (`tcpstate.analysis.<id>` for violations, `tcpstate.note.<id>` for notes) mechanically.
// Ids are a public filter contract: never rename or renumber a shipped row; append new rows only.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace tcpstate {

enum class Severity : std::uint8_t { Note, Warning };

enum class Finding : std::uint8_t {
    SynAckBadAck,
    AckUnsent,
    OutOfWindow,
    RstOutOfWindow,
    RstNotExact,
    RstBadAck,
    SynInSynchronized,
    DataAfterFin,
    WrongState,
    AckFlagMissing,
    BadFlags,
    WscaleTooLarge,
    SimultaneousOpen,
    SimultaneousClose,
    PortReuse,
    Midstream,
    Refused,
    RstInTimeWait,
    UnseenSegment,
    // WebSocket (RFC 6455)
    WsBadRequest,
    WsBadAccept,
    WsRejected,
    WsDataAfterClose,
    WsClientClosedFirst,
    WsAbnormalClosure,
    WsHeadTooLarge,
    // Issue 11: verdicts judged against every delivery history the capture allows
    HandshakeBadAck,
    RstFromClosed,
    CompetingSynAck,
    AssumedUndelivered,
    Count_
};

inline constexpr std::size_t kFindingCount = static_cast<std::size_t>(Finding::Count_);

struct FindingInfo {
    Finding id;
    std::string_view name;     // filter id, stable
    Severity severity;
    std::string_view rule;     // RFC section the finding applies
    std::string_view summary;  // one line, for the field's blurb
};

// Rows in enum order (checked by a static_assert below).
inline constexpr std::array<FindingInfo, kFindingCount> kFindings{{
    {Finding::SynAckBadAck, "synack_bad_ack", Severity::Warning, "RFC 9293 3.10.7.3",
     "SYN-ACK does not acknowledge ISN+1"},
    {Finding::AckUnsent, "ack_unsent", Severity::Warning, "RFC 9293 3.10.7.4",
     "ACK acknowledges data never sent (SEG.ACK > SND.NXT)"},
    {Finding::OutOfWindow, "out_of_window", Severity::Warning, "RFC 9293 3.10.7.4",
     "data or FIN outside the receive window"},
    {Finding::RstOutOfWindow, "rst_out_of_window", Severity::Warning, "RFC 9293 3.10.7.4, RFC 5961 3.2",
     "RST outside the receive window, ignored"},
    {Finding::RstNotExact, "rst_not_exact", Severity::Warning, "RFC 5961 3.2",
     "RST in window but not at RCV.NXT: challenge ACK expected"},
    {Finding::RstBadAck, "rst_bad_ack", Severity::Warning, "RFC 9293 3.10.7.3",
     "RST in SYN-SENT whose ACK does not acknowledge the SYN, ignored"},
    {Finding::SynInSynchronized, "syn_in_synchronized", Severity::Warning, "RFC 5961 4",
     "SYN in a synchronized state: challenge ACK expected"},
    {Finding::DataAfterFin, "data_after_fin", Severity::Warning, "RFC 9293 3.10.4",
     "data sent beyond the sender's own FIN"},
    {Finding::WrongState, "wrong_state", Severity::Warning, "RFC 9293 3.3.2",
     "segment not legal in the sender's state"},
    {Finding::AckFlagMissing, "ack_flag_missing", Severity::Warning, "RFC 9293 3.10.7.4",
     "ACK flag missing on a segment after the SYN"},
    {Finding::BadFlags, "bad_flags", Severity::Warning, "RFC 9293 3.1",
     "invalid flag combination"},
    {Finding::WscaleTooLarge, "wscale_too_large", Severity::Warning, "RFC 7323 2.3",
     "window scale shift above 14, clamped to 14"},
    {Finding::SimultaneousOpen, "simultaneous_open", Severity::Note, "RFC 9293 3.5",
     "simultaneous open: the SYNs crossed"},
    {Finding::SimultaneousClose, "simultaneous_close", Severity::Note, "RFC 9293 3.6",
     "simultaneous close: the FINs crossed"},
    {Finding::PortReuse, "port_reuse", Severity::Note, "RFC 6191, RFC 1122 4.2.2.13",
     "new incarnation of the connection (port reuse with a new ISN)"},
    {Finding::Midstream, "midstream", Severity::Note, "observer",
     "connection picked up mid-stream: no SYN seen, states UNKNOWN"},
    {Finding::Refused, "refused", Severity::Note, "RFC 9293 3.10.7.3",
     "connection refused: SYN answered by RST"},
    {Finding::RstInTimeWait, "rst_in_time_wait", Severity::Note, "RFC 1337",
     "RST received in TIME-WAIT (TIME-WAIT assassination hazard)"},
    {Finding::UnseenSegment, "unseen_segment", Severity::Note, "observer",
     "segment implies a peer segment the capture does not contain"},
    {Finding::WsBadRequest, "ws_bad_request", Severity::Warning, "RFC 6455 4.1",
     "WebSocket upgrade request with a missing or malformed key or version"},
    {Finding::WsBadAccept, "ws_bad_accept", Severity::Warning, "RFC 6455 4.2.2",
     "Sec-WebSocket-Accept missing or wrong"},
    {Finding::WsRejected, "ws_rejected", Severity::Note, "RFC 6455 4.2.2",
     "WebSocket upgrade refused by the server"},
    {Finding::WsDataAfterClose, "ws_data_after_close", Severity::Warning, "RFC 6455 5.5.1",
     "WebSocket data frame after the sender's Close frame"},
    {Finding::WsClientClosedFirst, "ws_client_closed_tcp_first", Severity::Note, "RFC 6455 7.1.1",
     "TCP teardown started by the client (the server should close first)"},
    {Finding::WsAbnormalClosure, "ws_abnormal_closure", Severity::Note, "RFC 6455 7.1.5",
     "TCP FIN or RST with no WebSocket Close seen (1006)"},
    {Finding::WsHeadTooLarge, "ws_head_too_large", Severity::Note, "observer",
     "HTTP head larger than the buffer limit, upgrade detection abandoned"},
    {Finding::HandshakeBadAck, "handshake_bad_ack", Severity::Warning, "RFC 9293 3.10.7.3, 3.10.7.4",
     "ACK in SYN-SENT or SYN-RECEIVED outside SND.UNA..SND.NXT: answered by a reset"},
    {Finding::RstFromClosed, "rst_from_closed", Severity::Note, "RFC 9293 3.10.7.1",
     "RST from an end that no longer has the connection, answering a segment (<SEQ=SEG.ACK>)"},
    {Finding::CompetingSynAck, "competing_synack", Severity::Note, "RFC 9293 3.10.7.3",
     "another SYN-ACK with a different ISN answers the same SYN: only the one the client acknowledges reached it"},
    {Finding::AssumedUndelivered, "assumed_undelivered", Severity::Note, "observer",
     "legal reading taken: an earlier segment had not been delivered (lost, or in flight) when this one was sent"},
}};

constexpr bool findings_table_in_order() {
    for (std::size_t i = 0; i < kFindings.size(); ++i)
        if (static_cast<std::size_t>(kFindings[i].id) != i) return false;
    return true;
}
static_assert(findings_table_in_order(), "kFindings rows must follow the Finding enum order");

constexpr const FindingInfo& info(Finding f) { return kFindings[static_cast<std::size_t>(f)]; }

// A set of findings, one bit each. Fits the per-frame record.
class FindingSet {
public:
    constexpr void add(Finding f) { bits_ |= bit(f); }
    constexpr bool has(Finding f) const { return (bits_ & bit(f)) != 0; }
    constexpr bool empty() const { return bits_ == 0; }
    constexpr std::uint32_t raw() const { return bits_; }
    constexpr FindingSet& operator|=(FindingSet o) { bits_ |= o.bits_; return *this; }
    constexpr bool has_warning() const {
        for (const auto& row : kFindings)
            if (row.severity == Severity::Warning && has(row.id)) return true;
        return false;
    }

private:
    static constexpr std::uint32_t bit(Finding f) { return std::uint32_t{1} << static_cast<unsigned>(f); }
    std::uint32_t bits_ = 0;
};
static_assert(kFindingCount <= 32, "FindingSet holds 32 findings");

}  // namespace tcpstate
