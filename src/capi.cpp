// The C ABI (tcpstate_core.h) over the C++ engine. Every entry point is noexcept and catches
// everything: no C++ exception may reach the C plugin, whose caller unwinds with longjmp.
#include <cstdio>
#include <cstring>
#include <string>

#include "engine.hpp"
#include "explain.hpp"
#include "tcpstate_core.h"
#include "ws.hpp"

using namespace tcpstate;

struct tcpstate_engine {
    Engine engine;
    // Backing store for the strings handed out by tcpstate_engine_ws_info.
    mutable std::string ws_key, ws_accept_seen, ws_accept_expected;
};

namespace {

constexpr const char* kStepNames[TCPSTATE_STEP_COUNT] = {
    "",
    "SYN (handshake 1/3)",
    "SYN-ACK (handshake 2/3)",
    "ACK (handshake 3/3)",
    "FIN (teardown 1/4)",
    "ACK (teardown 2/4)",
    "FIN (teardown 3/4)",
    "FIN-ACK (teardown 2+3/4)",
    "ACK (teardown 4/4)",
    "RST",
    "DATA",
    "ACK",
    "KEEP-ALIVE",
    "WINDOW-PROBE",
};

constexpr const char* kStepShort[TCPSTATE_STEP_COUNT] = {
    "", "SYN 1/3", "SYN-ACK 2/3", "ACK 3/3", "FIN 1/4", "ACK 2/4", "FIN 3/4", "FIN-ACK 2+3/4",
    "ACK 4/4", "RST", "DATA", "ACK", "KEEP-ALIVE", "WINDOW-PROBE",
};

char* copy_out(const std::string& s, char* buf, std::size_t size) {
    if (!buf || size == 0) return buf;
    const std::size_t n = std::min(s.size(), size - 1);
    std::memcpy(buf, s.data(), n);
    buf[n] = '\0';
    return buf;
}

template <typename... Args>
std::string format(const char* fmt, Args... args) {
    char tmp[256];
    std::snprintf(tmp, sizeof tmp, fmt, static_cast<unsigned>(args)...);
    return tmp;
}

// The message of a finding: what was expected, what was seen, which rule.
std::string message(const tcpstate_result& r, Finding f) {
    const FindingInfo& row = info(f);
    const bool detail = r.detail_finding == static_cast<std::uint8_t>(f);
    const std::uint32_t seen = r.detail_seen, bound = r.detail_bound;
    std::string text;
    if (detail) {
        switch (f) {
        case Finding::SynAckBadAck: text = format("SYN-ACK acknowledges %u; expected ISN+1 = %u", seen, bound); break;
        case Finding::AckUnsent:
            text = format("ACK %u acknowledges data never sent; the peer's SND.NXT is %u", seen, bound);
            break;
        case Finding::OutOfWindow:
            text = format("SEQ %u is outside the receive window, whose right edge is %u", seen, bound);
            if (r.flags & TCPSTATE_R_HAS_SEQ_EXPECTED) text += format(" (RCV.NXT %u)", r.seq_expected);
            text += ": the receiver drops it";
            break;
        case Finding::RstOutOfWindow:
            text = format("RST SEQ %u is outside the receive window (RCV.NXT %u): ignored", seen, bound);
            break;
        case Finding::RstNotExact:
            text = format("RST SEQ %u is in the window but not RCV.NXT = %u: challenge ACK expected", seen, bound);
            break;
        case Finding::RstBadAck:
            text = format("RST in SYN-SENT acknowledges %u; expected ISN+1 = %u: ignored", seen, bound);
            break;
        case Finding::SynInSynchronized:
            text = format("SYN (SEQ %u) in a synchronized state: challenge ACK expected", seen);
            break;
        case Finding::DataAfterFin: text = format("data up to SEQ %u sent after the sender's FIN at SEQ %u", seen, bound); break;
        case Finding::HandshakeBadAck:
            text = format("ACK %u is outside SND.UNA..SND.NXT (expected ISN+1 = %u): the receiver answers "
                          "<SEQ=%u><CTL=RST> and discards it", seen, bound, seen);
            break;
        case Finding::WscaleTooLarge: text = format("window scale shift %u is above %u; taken as 14", seen, bound); break;
        default: break;
        }
    }
    if (f == Finding::WrongState) {
        text = std::string(tcpstate_step_name(tcpstate_result_step(&r))) + " sent in state " +
               tcpstate_state_name(tcpstate_result_sender_before(&r));
    }
    if (text.empty()) text = std::string(row.summary);
    text += " (";
    text += row.rule;
    text += ")";
    return text;
}

}  // namespace

extern "C" {

tcpstate_engine* tcpstate_engine_new(void) {
    try {
        return new tcpstate_engine();
    } catch (...) {
        return nullptr;
    }
}

void tcpstate_engine_free(tcpstate_engine* engine) { delete engine; }

int tcpstate_engine_process_decrypted(tcpstate_engine* engine, const tcpstate_segment* segment, uint32_t layer,
                                      const tcpstate_tls_record* records, size_t count, tcpstate_result* out) {
    tcpstate_result dummy{};
    tcpstate_result& r = out ? *out : dummy;
    r = tcpstate_result{};
    if (!engine || !segment) return 0;
    try {
        return engine->engine.process(*segment, layer, r, records, records ? count : 0) ? 1 : 0;
    } catch (...) {
        r = tcpstate_result{};
        return 0;
    }
}

int tcpstate_engine_process(tcpstate_engine* engine, const tcpstate_segment* segment, uint32_t layer,
                            tcpstate_result* out) {
    return tcpstate_engine_process_decrypted(engine, segment, layer, nullptr, 0, out);
}

int tcpstate_engine_lookup(const tcpstate_engine* engine, uint32_t frame, uint32_t layer, tcpstate_result* out) {
    if (!engine || !out) return 0;
    try {
        return engine->engine.lookup(frame, layer, *out) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

const char* tcpstate_state_name(unsigned state) {
    if (state >= TCPSTATE_S_COUNT) return "UNKNOWN";
    return state_name(static_cast<State>(state)).data();  // the literals are NUL-terminated
}

const char* tcpstate_step_name(unsigned step) { return step < TCPSTATE_STEP_COUNT ? kStepNames[step] : ""; }

const char* tcpstate_step_short(unsigned step) { return step < TCPSTATE_STEP_COUNT ? kStepShort[step] : ""; }

const char* tcpstate_step_phase(unsigned step) {
    switch (step) {
    case TCPSTATE_STEP_SYN:
    case TCPSTATE_STEP_SYN_ACK:
    case TCPSTATE_STEP_HANDSHAKE_ACK: return "handshake";
    case TCPSTATE_STEP_FIN1:
    case TCPSTATE_STEP_ACK2:
    case TCPSTATE_STEP_FIN3:
    case TCPSTATE_STEP_FIN_ACK23:
    case TCPSTATE_STEP_ACK4: return "teardown";
    case TCPSTATE_STEP_RST: return "reset";
    case TCPSTATE_STEP_NONE: return "";
    default: return "data";
    }
}

unsigned tcpstate_step_handshake_number(unsigned step) {
    switch (step) {
    case TCPSTATE_STEP_SYN: return 1;
    case TCPSTATE_STEP_SYN_ACK: return 2;
    case TCPSTATE_STEP_HANDSHAKE_ACK: return 3;
    default: return 0;
    }
}

unsigned tcpstate_step_teardown_number(unsigned step) {
    switch (step) {
    case TCPSTATE_STEP_FIN1: return 1;
    case TCPSTATE_STEP_ACK2: return 2;
    case TCPSTATE_STEP_FIN3: return 3;
    case TCPSTATE_STEP_FIN_ACK23: return 23;
    case TCPSTATE_STEP_ACK4: return 4;
    default: return 0;
    }
}

const char* tcpstate_ws_upgrade_name(unsigned upgrade) {
    if (upgrade > static_cast<unsigned>(ws::Upgrade::BadAccept)) return "";
    return ws::to_string(static_cast<ws::Upgrade>(upgrade)).data();
}

unsigned tcpstate_result_step(const tcpstate_result* r) { return r ? r->step & 0x0fu : unsigned{TCPSTATE_STEP_NONE}; }
static unsigned sender_settled(const tcpstate_result* r) { return unsigned{r->step} >> 4; }
unsigned tcpstate_result_sender_before(const tcpstate_result* r) { return r ? r->sender_states & 0x0fu : unsigned{TCPSTATE_S_UNKNOWN}; }
unsigned tcpstate_result_sender_after(const tcpstate_result* r) { return r ? unsigned{r->sender_states} >> 4 : unsigned{TCPSTATE_S_UNKNOWN}; }
unsigned tcpstate_result_receiver_before(const tcpstate_result* r) { return r ? r->receiver_states & 0x0fu : unsigned{TCPSTATE_S_UNKNOWN}; }
unsigned tcpstate_result_receiver_expected(const tcpstate_result* r) { return r ? unsigned{r->receiver_states} >> 4 : unsigned{TCPSTATE_S_UNKNOWN}; }
unsigned tcpstate_result_client_state(const tcpstate_result* r) {
    if (!r) return TCPSTATE_S_UNKNOWN;
    return (r->flags & TCPSTATE_R_SENDER_SERVER) ? tcpstate_result_receiver_expected(r) : sender_settled(r);
}
unsigned tcpstate_result_server_state(const tcpstate_result* r) {
    if (!r) return TCPSTATE_S_UNKNOWN;
    return (r->flags & TCPSTATE_R_SENDER_SERVER) ? sender_settled(r) : tcpstate_result_receiver_expected(r);
}

unsigned tcpstate_finding_count(void) { return static_cast<unsigned>(kFindingCount); }
const char* tcpstate_finding_name(unsigned id) { return id < kFindingCount ? kFindings[id].name.data() : ""; }
int tcpstate_finding_is_warning(unsigned id) { return id < kFindingCount && kFindings[id].severity == Severity::Warning; }
const char* tcpstate_finding_rule(unsigned id) { return id < kFindingCount ? kFindings[id].rule.data() : ""; }
const char* tcpstate_finding_summary(unsigned id) { return id < kFindingCount ? kFindings[id].summary.data() : ""; }

char* tcpstate_finding_message(const tcpstate_result* r, unsigned id, char* buf, size_t size) {
    try {
        if (!r || id >= kFindingCount) return copy_out("", buf, size);
        return copy_out(message(*r, static_cast<Finding>(id)), buf, size);
    } catch (...) {
        return copy_out("", buf, size);
    }
}

char* tcpstate_engine_finding_message(const tcpstate_engine* engine, const tcpstate_result* r, uint32_t frame,
                                      unsigned id, char* buf, size_t size) {
    try {
        if (!r || id >= kFindingCount) return copy_out("", buf, size);
        const auto f = static_cast<Finding>(id);
        const Connection* c = engine ? engine->engine.connection(r->stream) : nullptr;
        const ws::Attempt* a = c && c->ws ? c->ws->attempt_at(frame) : nullptr;
        if (!a) return copy_out(message(*r, f), buf, size);
        std::string text;
        switch (f) {
        case Finding::WsBadRequest: text = "WebSocket upgrade request: " + a->request_problem; break;
        case Finding::WsBadAccept:
            text = "Sec-WebSocket-Accept is \"" + a->accept_seen + "\"; expected \"" + a->accept_expected + "\"";
            if (!a->answer_problem.empty()) text += " (" + a->answer_problem + ")";
            break;
        case Finding::WsRejected: text = "WebSocket upgrade refused: " + a->answer_problem; break;
        default: return copy_out(message(*r, f), buf, size);
        }
        text += " (" + std::string(info(f).rule) + ")";
        return copy_out(text, buf, size);
    } catch (...) {
        return copy_out("", buf, size);
    }
}

char* tcpstate_findings_list(const tcpstate_result* r, char* buf, size_t size) {
    try {
        std::string s;
        for (const auto& row : kFindings) {
            if (!r || !(r->findings & (1u << static_cast<unsigned>(row.id)))) continue;
            if (!s.empty()) s += ',';
            s += row.name;
        }
        return copy_out(s, buf, size);
    } catch (...) {
        return copy_out("", buf, size);
    }
}

char* tcpstate_engine_explain(const tcpstate_engine* engine, const tcpstate_result* r, char* buf, size_t size) {
    try {
        if (!r) return copy_out("", buf, size);
        return copy_out(explain(*r, engine ? engine->engine.connection(r->stream) : nullptr), buf, size);
    } catch (...) {
        return copy_out("", buf, size);
    }
}

int tcpstate_engine_ws_info(const tcpstate_engine* engine, uint32_t stream, uint32_t frame, tcpstate_ws_info* out) {
    if (!engine || !out) return 0;
    try {
        *out = tcpstate_ws_info{};
        const Connection* c = engine->engine.connection(stream);
        const ws::Attempt* a = c && c->ws ? c->ws->attempt_at(frame) : nullptr;
        if (!a) return 0;
        engine->ws_key = a->key;
        engine->ws_accept_seen = a->accept_seen;
        engine->ws_accept_expected = a->accept_expected;
        out->key = engine->ws_key.c_str();
        out->accept_seen = engine->ws_accept_seen.c_str();
        out->accept_expected = engine->ws_accept_expected.c_str();
        out->request_frame = a->request_frame;
        out->response_frame = a->response_frame;
        return 1;
    } catch (...) {
        return 0;
    }
}

int tcpstate_engine_conn_info(const tcpstate_engine* engine, uint32_t stream, tcpstate_conn_info* out) {
    if (!engine || !out) return 0;
    try {
        *out = tcpstate_conn_info{};
        const Connection* c = engine->engine.connection(stream);
        if (!c) return 0;
        const ConnSummary& sum = c->summary;
        out->state = sum.state().data();  // literals, NUL-terminated
        const std::string_view h = sum.history();
        const std::size_t n = std::min(h.size(), sizeof out->history - 1);
        std::memcpy(out->history, h.data(), n);
        out->history[n] = '\0';
        out->syn_frame = sum.first_syn_frame();
        out->fin_frame = sum.first_fin_frame();
        out->rst_frame = sum.first_rst_frame();
        out->packets_client = sum.packets(true);
        out->packets_server = sum.packets(false);
        out->bytes_client = sum.payload_bytes(true);
        out->bytes_server = sum.payload_bytes(false);
        switch (sum.first_closer()) {
        case Closer::None: out->first_closer = 0; break;
        case Closer::Orig: out->first_closer = 1; break;
        case Closer::Resp: out->first_closer = 2; break;
        }
        return 1;
    } catch (...) {
        return 0;
    }
}

size_t tcpstate_engine_memory(const tcpstate_engine* engine) {
    try {
        return engine ? engine->engine.memory() : 0;
    } catch (...) {
        return 0;
    }
}

}  // extern "C"

static_assert(sizeof(tcpstate_result) == 32, "the per-frame result is 32 bytes");

// ---- Connection lifecycles (lifecycle.hpp) ---------------------------------------------------------

namespace {

tcpstate_side_lifecycle side_out(const LifecycleView::Side& s) {
    tcpstate_side_lifecycle o{};
    o.final_state = static_cast<unsigned>(s.final_state);
    o.since_ns = s.since_ns;
    for (std::size_t i = 0; i < kStateCount; ++i) o.time_in_ns[i] = s.in_state_ns[i];
    for (unsigned i = 0; i < s.visited; ++i) o.order[i] = s.order[i];
    o.visited = s.visited;
    return o;
}

// Seconds with 6 decimals (the times are microseconds).
std::string seconds(std::int64_t ns) {
    char tmp[48];
    const std::int64_t us = ns / 1000;
    std::snprintf(tmp, sizeof tmp, "%lld.%06lld", static_cast<long long>(us / 1000000), static_cast<long long>(us % 1000000));
    return tmp;
}

}  // namespace

extern "C" {

uint32_t tcpstate_engine_stream_count(const tcpstate_engine* engine) {
    return engine ? static_cast<uint32_t>(engine->engine.stream_count()) : 0;
}

int tcpstate_engine_lifecycle(const tcpstate_engine* engine, uint32_t stream, tcpstate_lifecycle* out) {
    if (!engine || !out) return 0;
    try {
        *out = tcpstate_lifecycle{};
        const Connection* c = engine->engine.connection(stream);
        if (!c || !c->life.started()) return 0;
        const LifecycleView v = engine->engine.lifecycles().view(c->life);
        out->timed = v.timed;
        out->truncated = v.truncated;
        out->first_ns = v.first_ns;
        out->capture_end_ns = v.end_ns;
        out->client = side_out(v.side[0]);
        out->server = side_out(v.side[1]);
        out->syn_to_synack_ns = v.syn_to_synack_ns;
        out->synack_to_ack_ns = v.synack_to_ack_ns;
        out->close_ns = v.close_ns;
        out->closed_first = v.closed_first;
        out->end = v.end;
        out->syn_count = v.syns;
        out->stuck = v.stuck;
        return 1;
    } catch (...) {
        return 0;
    }
}

void tcpstate_engine_finish(tcpstate_engine* engine) {
    if (!engine) return;
    try {
        engine->engine.finish_lifecycles();
    } catch (...) {
    }
}

const char* tcpstate_end_name(unsigned end) {
    switch (end) {
    case TCPSTATE_END_FIN: return "FIN";
    case TCPSTATE_END_RST_CLIENT: return "RST by client";
    case TCPSTATE_END_RST_SERVER: return "RST by server";
    default: return "open";
    }
}

char* tcpstate_lifecycle_times(const tcpstate_lifecycle* l, int server, char* buf, size_t size) {
    try {
        std::string s;
        if (l && l->timed) {
            const tcpstate_side_lifecycle& side = server ? l->server : l->client;
            for (unsigned i = 0; i < side.visited && i < TCPSTATE_S_COUNT; ++i) {
                const unsigned st = side.order[i];
                if (st == TCPSTATE_S_CLOSED || st == TCPSTATE_S_LISTEN || st >= TCPSTATE_S_COUNT) continue;
                if (!s.empty()) s += ',';
                s += tcpstate_state_name(st);
                s += ':';
                s += seconds(side.time_in_ns[st]);
                if (st == side.final_state) s += '+';
            }
        }
        return copy_out(s, buf, size);
    } catch (...) {
        return copy_out("", buf, size);
    }
}

unsigned tcpstate_stuck_count(void) { return static_cast<unsigned>(kStuckCount); }
const char* tcpstate_stuck_name(unsigned id) { return id < kStuckCount ? kStuck[id].name.data() : ""; }
const char* tcpstate_stuck_summary(unsigned id) { return id < kStuckCount ? kStuck[id].summary.data() : ""; }
const char* tcpstate_stuck_rule(unsigned id) { return id < kStuckCount ? kStuck[id].rule.data() : ""; }
int tcpstate_stuck_threshold_kind(unsigned id) { return id < kStuckCount ? static_cast<int>(kStuck[id].kind) : TCPSTATE_THRESHOLD_NONE; }
uint32_t tcpstate_stuck_default_ms(unsigned id) { return id < kStuckCount ? kStuck[id].default_ms : 0; }

void tcpstate_engine_set_stuck_threshold(tcpstate_engine* engine, unsigned id, uint32_t ms) {
    if (engine && id < kStuckCount) engine->engine.lifecycles().set_threshold(static_cast<Stuck>(id), ms);
}

uint32_t tcpstate_engine_stuck_threshold(const tcpstate_engine* engine, unsigned id) {
    if (id >= kStuckCount) return 0;
    return engine ? engine->engine.lifecycles().threshold(static_cast<Stuck>(id)) : kStuck[id].default_ms;
}

char* tcpstate_stuck_list(uint32_t mask, char* buf, size_t size) {
    try {
        std::string s;
        for (const auto& row : kStuck) {
            if (!(mask & (1u << static_cast<unsigned>(row.id)))) continue;
            if (!s.empty()) s += ',';
            s += row.name;
        }
        return copy_out(s, buf, size);
    } catch (...) {
        return copy_out("", buf, size);
    }
}

char* tcpstate_engine_stuck_threshold_text(const tcpstate_engine* engine, unsigned id, char* buf, size_t size) {
    if (id >= kStuckCount || kStuck[id].kind == Threshold::None) return copy_out("", buf, size);
    const std::uint32_t ms = tcpstate_engine_stuck_threshold(engine, id);
    char tmp[48];
    const char* op = kStuck[id].kind == Threshold::Below ? "<" : ">=";
    if (ms % 1000 == 0) std::snprintf(tmp, sizeof tmp, "%s %u s", op, ms / 1000);
    else std::snprintf(tmp, sizeof tmp, "%s %u.%03u s", op, ms / 1000, ms % 1000);
    return copy_out(tmp, buf, size);
}

char* tcpstate_engine_stuck_thresholds(const tcpstate_engine* engine, char* buf, size_t size) {
    try {
        std::string s;
        for (const auto& row : kStuck) {
            if (row.kind == Threshold::None) continue;
            char t[48];
            if (!s.empty()) s += ", ";
            s += row.name;
            s += ' ';
            s += tcpstate_engine_stuck_threshold_text(engine, static_cast<unsigned>(row.id), t, sizeof t);
        }
        return copy_out(s, buf, size);
    } catch (...) {
        return copy_out("", buf, size);
    }
}

}  // extern "C"

