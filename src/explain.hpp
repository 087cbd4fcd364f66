// The learner's sentence for each step (scripts/ladder --explain, field tcpstate.explain): one table,
// one row per step and case, first match wins, as in the step table of docs/model.md.
//
// A row's text may name the sender and receiver by role ({sender}, {receiver}: "client", "server"),
// their states ({sender_state}: after sending; {receiver_state}: the state the receiver must reach;
// {receiver_before}), and {ack}: the acknowledgment number the step is about, relative to the ISN
// as Wireshark shows it (the ISN + 1 for a handshake step; the FIN's sequence number + 1 for a
// teardown step), worked out from what the engine knows of the connection.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "engine.hpp"
#include "findings.hpp"
#include "state.hpp"
#include "tcpstate_core.h"

namespace tcpstate {

enum class ExplainWhen : std::uint8_t {
    Always,          // the step's general case
    Retransmission,  // the segment repeats sequence space already sent (tcpstate.retransmission)
    Finding,         // the segment has finding `finding`
    SenderBefore,    // the sender was in `state` when it sent the segment
    SenderAfter,     // the sender is in `state` right after sending it
    ReceiverBefore,  // the receiver was in `state`
    NotAcceptable,   // the receiver must not act on the segment (tcpstate.acceptable false)
};

struct ExplainRow {
    Step step;
    ExplainWhen when;
    Finding finding;  // for ExplainWhen::Finding
    State state;      // for the state conditions
    std::string_view text;
    std::string_view rule;
};

// The table, in match order.
std::span<const ExplainRow> explain_table();

// The row that explains `r`: the first one of its step whose condition holds; nullptr for a
// result with no step.
const ExplainRow* explain_row(const tcpstate_result& r);

// The sentence for `r`, "... (rule)", with the placeholders filled in; `c` is the segment's
// connection (nullptr when unknown: {ack} is then said in words). "" for a result with no step.
std::string explain(const tcpstate_result& r, const Connection* c);

}  // namespace tcpstate
