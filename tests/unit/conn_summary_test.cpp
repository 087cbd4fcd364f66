// Zeek-style connection summary (src/conn_summary.hpp). Table style: every trace is a segment
// script and the conn_state / history expected for it.
//
// The traces are the Zeek test captures in /work/shared/captures (README.md there), written out by
// hand from `tshark -r FILE -T fields -e tcp.srcport -e tcp.flags.str -e tcp.len` (plus tcp.seq
// for RSTs, the window and "ACKed unseen segment"). Expected values are Zeek's test baselines
// (zeek/_expected/<test>/conn.log or out) where they exist; where Zeek starts the history with '^'
// because it flipped roles on a first SYN-ACK, our roles are already the flipped ones
// (docs/model.md) and our history is Zeek's without the '^'.
//
// Script syntax, one token per segment, separated by spaces:
//   [#FRAME] ('>' originator | '<' responder) FLAGS [':' LEN] ['!' MARKS] ['@' SEQ] ['*' COUNT]
//   FLAGS: S F R P A U (TCP flags); LEN: payload length; SEQ: raw sequence number (used for RSTs);
//   MARKS: t = retransmission, z = zero window, g = acknowledges unseen bytes of the peer;
//   COUNT: the same segment COUNT times; #FRAME: frame number of this segment (default: previous + 1,
//   starting at 1).
#include "conn_summary.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tcpstate_core.h"

namespace tcpstate {
namespace {

static_assert(sizeof(ConnSummary) <= 64, "ConnSummary is kept per connection");

std::uint32_t number(std::string_view& t) {
    std::uint32_t n = 0;
    while (!t.empty() && t.front() >= '0' && t.front() <= '9') {
        n = n * 10 + static_cast<std::uint32_t>(t.front() - '0');
        t.remove_prefix(1);
    }
    return n;
}

std::vector<SummarySegment> parse(std::string_view script) {
    std::vector<SummarySegment> out;
    std::uint32_t frame = 1;
    while (!script.empty()) {
        const std::size_t sp = script.find(' ');
        std::string_view t = script.substr(0, sp);
        script = sp == std::string_view::npos ? std::string_view{} : script.substr(sp + 1);
        if (t.empty()) continue;
        if (t.front() == '#') {
            t.remove_prefix(1);
            frame = number(t);
        }
        SummarySegment s;
        s.from_orig = t.front() == '>';
        EXPECT_TRUE(t.front() == '>' || t.front() == '<') << t;
        t.remove_prefix(1);
        for (; !t.empty() && std::string_view("SFRPAU").find(t.front()) != std::string_view::npos; t.remove_prefix(1)) {
            switch (t.front()) {
            case 'S': s.flags |= TCPSTATE_SYN; break;
            case 'F': s.flags |= TCPSTATE_FIN; break;
            case 'R': s.flags |= TCPSTATE_RST; break;
            case 'P': s.flags |= TCPSTATE_PSH; break;
            case 'A': s.flags |= TCPSTATE_ACK; break;
            case 'U': s.flags |= TCPSTATE_URG; break;
            }
        }
        std::uint32_t count = 1;
        while (!t.empty()) {
            const char c = t.front();
            t.remove_prefix(1);
            if (c == ':') {
                s.payload_len = number(t);
            } else if (c == '@') {
                s.seq = number(t);
            } else if (c == '*') {
                count = number(t);
            } else if (c == '!') {
                for (; !t.empty() && std::string_view("tzg").find(t.front()) != std::string_view::npos; t.remove_prefix(1)) {
                    if (t.front() == 't') s.retransmission = true;
                    if (t.front() == 'z') s.zero_window = true;
                    if (t.front() == 'g') s.content_gap = true;
                }
            } else {
                ADD_FAILURE() << "bad token character '" << c << "'";
                break;
            }
        }
        for (std::uint32_t i = 0; i < count; ++i) {
            s.frame = frame++;
            out.push_back(s);
        }
    }
    return out;
}

ConnSummary run(std::string_view script) {
    ConnSummary c;
    for (const SummarySegment& s : parse(script)) c.on_segment(s);
    return c;
}

// ---- The Zeek test traces ------------------------------------------------------------------

struct Trace {
    const char* name;
    const char* segments;
    const char* history;
    const char* state;
    std::uint32_t orig_pkts;
    std::uint32_t resp_pkts;
    // Where the expected values come from, and how they differ from Zeek's.
    const char* source;
};

const Trace kTraces[] = {
    // zeek/tcp/single-rst.pcap .. syn-then-stuff-then-rst.pcap:
    // scripts.base.protocols.conn.conn_state-RST-behavior/out.
    {"single_rst", ">R@0", "R", "OTH", 1, 0, "baseline: R, OTH"},
    {"syn_then_rst", ">S >R@0", "SR", "RSTOS0", 2, 0, "baseline: SR, RSTOS0"},
    // The responder's bare ACK while the originator is in SYN_SENT does not make it active
    // (Zeek's "eccentric TCP" rule), so the RST is still one after an unanswered SYN.
    {"syn_then_ack_then_rst", ">S <A >R@0", "SaR", "RSTOS0", 2, 1, "baseline: SaR, RSTOS0"},
    // The FIN keeps it from RSTOS0 (history /S[^HAFGIQ]*R/): OTH.
    {"syn_then_stuff_then_rst", ">S <A >F!t >R@0", "SaFR", "OTH", 3, 1, "baseline: SaFR, OTH"},

    // zeek/tcp/fin_retransmission.pcap, core.tcp.fin-retransmit/out: originator state 5 (CLOSED),
    // 3 packets; responder state 6 (RESET), 2 packets (no history in the baseline). The FIN/ACK
    // repeats the bare FIN's sequence number: no second F. conn_state() of those states is RSTR.
    {"fin_retransmission", ">S >F!t <SA >FA!t <R@1539553753", "SFhr", "RSTR", 3, 2,
     "baseline: states 5/6, pkts 3/2; history and RSTR derived from Zeek's rules"},

    // zeek/tcp/one-sided-2745.pcap, core.conn-size-flip/conn.log.one-sided: ^haf, 0/3 packets, for
    // both connections. Zeek flips on the SYN-ACK; our roles are the flipped ones: no '^'.
    // conn_state (not in the baseline): the responder closed, the originator never seen: SHR.
    {"one_sided_2745_stream0", "<SA <A <FA", "haf", "SHR", 0, 3, "baseline: ^haf 0/3 (we do not write '^')"},
    {"one_sided_2745_stream1", "#4<SA <A <FA", "haf", "SHR", 0, 3, "baseline: ^haf 0/3 (we do not write '^')"},

    // zeek/tcp/ctu-64702-888.pcap, core.conn-size-flip/conn.log.ctu: ^hAfdtFr, 8/8 packets. The
    // repeated SYN-ACK and FINs are retransmissions (no second h/f/F); the 13 data bytes arrive
    // after the FIN, below its sequence number: t once (the second time is the 2nd of 10); the
    // RSTs carry window 0 (never a w) and the same sequence number (one r); both sides had closed,
    // so the RST changes nothing: SF.
    {"ctu_64702_888",
     "<SA <SA!t >A*2 <FA <FA!t <PA:13!t*2 >A*4 >FA >FA!t <R!z@2500392592*2", "hAfdtFr", "SF", 8, 8,
     "baseline: ^hAfdtFr 8/8 (we do not write '^'); SF derived"},

    // zeek/tcp/missing-syn.pcap, core.tcp.missing-syn/conn.log and core.history-flip/conn.log:
    // SF, ^hADdFaf, 11/10 packets.
    {"missing_syn",
     "<SA >A >PA:98 <A:1448*2 >A*2 <A:1448*4 >A*4 <PA:729 >A >FA <A <FA >A", "hADdFaf", "SF", 11, 10,
     "baseline: SF ^hADdFaf 11/10 (we do not write '^')"},

    // zeek/tcp/http-on-irc-port-missing-syn.pcapng, core.tcp.flip-without-syn/conn.log:
    // SF, ^hADadFf, 6/7 packets.
    {"http_on_irc_port_missing_syn", "<SA >A >PA:136 <A <A:1448*3 <PA:663 >A*2 >FA <FA >A", "hADadFf", "SF", 6, 7,
     "baseline: SF ^hADadFf 6/7 (we do not write '^')"},

    // zeek/tcp/miss_end_data.pcap, core.tcp.miss-end-data/conn.log: SF, ShADafgF, 5/4 packets.
    // The originator's ACK of the responder's FIN covers 2902 bytes never captured: g.
    {"miss_end_data", ">S <SA >A >PA:538 <A <FA >A!g >FA <A", "ShADafgF", "SF", 5, 4,
     "baseline: SF ShADafgF 5/4"},

    // zeek/tcp/retransmit-timeout.pcapng, core.expire-all-timers/conn-limited.log: OTH, DaT, 2/1.
    {"retransmit_timeout", ">A:18 <A >A:18!t", "DaT", "OTH", 2, 1, "baseline: OTH DaT 2/1"},

    // zeek/modbus/modbus-and-non-modbus-p502.pcap,
    // scripts.base.protocols.modbus.modbus_and_non_modbus_on_port_502/conn.log.
    {"modbus_stream0",
     ">S <SA >A >PA:12 <PA:10 >A >PA:12 <PA:10 >A >PA:12 <PA:13 >A >PA:12 <PA:12 >A >PA:12 <PA:12 >A "
     ">PA:12 <PA:12 >A >FA <A <FA >A",
     "ShADdFaf", "SF", 16, 9, "baseline: SF ShADdFaf 16/9"},
    {"modbus_stream1", "#26>S <SA >A >PA:72 <A <PA:9 >A >FA <FA >A", "ShADadFf", "SF", 6, 4,
     "baseline: SF ShADadFf 6/4"},
    {"modbus_stream2", "#36>S <SA >A >PA:44 <A <PA:9 >A >FA <FA >A", "ShADadFf", "SF", 6, 4,
     "baseline: SF ShADadFf 6/4"},
    {"modbus_stream3", "#46>S <SA >A >PA:138 <A <PA:9 >A*2 <A >A <A >A <A >FA <FA >A", "ShADadFf", "SF", 9, 7,
     "baseline: SF ShADadFf 9/7"},
    // Stream 4: the client answers the SYN-ACK with a RST. Zeek logs that connection (frames
    // 62-64) as RSTO ShR 2/1, and the client's later data and the server's RST (frames 65-66) as a
    // second connection, RSTRH Dr 1/1. Wireshark keeps all five frames in one tcp.stream: see
    // ConnSummary.ModbusRstStreamIsOneConnection for both halves.
    {"modbus_stream4_until_rst", "#62>S <SA >R!z@1", "ShR", "RSTO", 2, 1, "baseline: RSTO ShR 2/1"},
    {"modbus_stream4_after_rst", "#65>A:109 <R!z@3565456409", "Dr", "RSTRH", 1, 1, "baseline: RSTRH Dr 1/1"},
    {"modbus_stream5", "#67>S <SA >A >PA:24 <A <PA:9 >A >FA <FA >A", "ShADadFf", "SF", 6, 4,
     "baseline: SF ShADadFf 6/4"},
    {"modbus_stream6", "#77>S <SA >A >PA:43 <A <PA:9 >A >FA <FA >A", "ShADadFf", "SF", 6, 4,
     "baseline: SF ShADadFf 6/4"},

    // zeek/websocket/*.pcap, scripts.base.protocols.websocket.*/conn.log (history only; the
    // conn_state is derived from Zeek's rules).
    {"broker_websocket",
     ">S <SA >A >PA:281 <A <PA:129 >A >PA:30 <PA:93 >A <PA:537 >A >PA:369 <PA:537 >PA:369 <PA:537 >PA:369 "
     ">PA:8 <A <FA >FA <A",
     "ShADadfF", "SF", 12, 10, "baseline: ShADadfF"},
    {"jupyter_websocket",
     ">S <SA >A >PA:1103 <A <PA:252 >A >PA:270 <A <PA:543 >A <PA:5940 >A <PA:544 >A >PA:6 <PA:2 <FA >FA <A",
     "ShADadfF", "SF", 10, 10, "baseline: ShADadfF"},
    // The client's RST after its FIN, the server not closed: RSTO (its zero window comes with the
    // RST: no W).
    {"wstunnel_http", ">S <SA >A >PA:398 <A <PA:194 >A >PA:74 <PA:413 >PA:4 >FA <PA:4 >R!z@3154291606",
     "ShADadFR", "RSTO", 8, 5, "baseline: ShADadFR"},
    {"wstunnel_ssh_stream0",
     ">S <SA >A >PA:408 <A <PA:194 >A >PA:47 <A <PA:43 >A:1448 >PA:96 <A*2 <PA:1060 >PA:54 <PA:440 >PA:22 <A "
     ">PA:50 <A <PA:46 >PA:74 <A <PA:46 >PA:380 <A <PA:46 >PA:636 <PA:46 >PA:380 <PA:46 >PA:508 <PA:46 >A "
     ">PA:6 <A >PA:8 <A <PA:4 >A >RA@3388861774",
     "ShADadR", "RSTO", 20, 22, "baseline: ShADadR"},

    // Zeek's documented meanings on the smallest Zeek traces (no conn.log baseline for these).
    {"syn", ">S", "S", "S0", 1, 0, "zeek/tcp/syn.pcap: attempt, no reply: S0"},
    {"syn_synack", ">S <SA", "Sh", "S1", 1, 1, "zeek/tcp/syn-synack.pcap: established (Zeek: SYN-ACK seen), not closed: S1"},
    // A RST carrying data: its payload is outside the sequence space and not beyond the sender's
    // next sequence number, so Zeek's update_last_seq counts it as retransmitted: T.
    {"rst_with_data", ">RA:58@1617159969", "RT", "OTH", 1, 0, "tcpdump/tcp_rst_data.pcap: derived from Zeek's rules"},
};

class ConnSummaryTrace : public ::testing::TestWithParam<Trace> {};

TEST_P(ConnSummaryTrace, HistoryStateAndPackets) {
    const Trace& t = GetParam();
    SCOPED_TRACE(t.source);
    const ConnSummary c = run(t.segments);
    EXPECT_EQ(c.history(), t.history);
    EXPECT_EQ(c.state(), t.state);
    EXPECT_EQ(c.packets(true), t.orig_pkts);
    EXPECT_EQ(c.packets(false), t.resp_pkts);
}

INSTANTIATE_TEST_SUITE_P(ConnSummaryZeek, ConnSummaryTrace, ::testing::ValuesIn(kTraces),
                         [](const ::testing::TestParamInfo<Trace>& i) { return std::string(i.param.name); });

// ---- Details of the traces -----------------------------------------------------------------

TEST(ConnSummary, FinRetransmissionEndpointStates) {
    // core.tcp.fin-retransmit/out: [size=0, state=5, num_pkts=3], [size=0, state=6, num_pkts=2].
    const ConnSummary c = run(">S >F!t <SA >FA!t <R@1539553753");
    EXPECT_EQ(static_cast<int>(c.endpoint_state(true)), 5);
    EXPECT_EQ(static_cast<int>(c.endpoint_state(false)), 6);
    EXPECT_EQ(c.payload_bytes(true), 0u);
    EXPECT_EQ(c.payload_bytes(false), 0u);
    EXPECT_EQ(c.first_syn_frame(), 1u);
    EXPECT_EQ(c.first_fin_frame(), 2u);
    EXPECT_EQ(c.first_rst_frame(), 5u);
    EXPECT_EQ(c.first_closer(), Closer::Orig);
}

TEST(ConnSummary, ModbusRstStreamIsOneConnection) {
    // Zeek: RSTO ShR, then a new connection RSTRH Dr. One tcp.stream here: the so-far values at
    // the RST are those of Zeek's first connection; then the reset client's data (D, and no T from
    // a reset sender) and the server's RST make it RSTR.
    const std::vector<SummarySegment> segs = parse("#62>S <SA >R!z@1 >A:109 <R!z@3565456409");
    ConnSummary c;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        c.on_segment(segs[i]);
        if (i == 2) {
            EXPECT_EQ(c.history(), "ShR");
            EXPECT_EQ(c.state(), "RSTO");
        }
    }
    EXPECT_EQ(c.history(), "ShRDr");
    EXPECT_EQ(c.state(), "RSTR");
    EXPECT_EQ(c.first_syn_frame(), 62u);
    EXPECT_EQ(c.first_fin_frame(), 0u);
    EXPECT_EQ(c.first_rst_frame(), 64u);
    EXPECT_EQ(c.first_closer(), Closer::Orig);
    EXPECT_EQ(c.payload_bytes(true), 109u);
}

TEST(ConnSummary, MissEndDataFramesAndCloser) {
    const ConnSummary c = run(">S <SA >A >PA:538 <A <FA >A!g >FA <A");
    EXPECT_EQ(c.first_syn_frame(), 1u);
    EXPECT_EQ(c.first_fin_frame(), 6u);
    EXPECT_EQ(c.first_rst_frame(), 0u);
    EXPECT_EQ(c.first_closer(), Closer::Resp);
    EXPECT_EQ(c.payload_bytes(true), 538u);
    EXPECT_EQ(c.payload_bytes(false), 0u);
}

// ---- conn_state "so far", segment by segment -----------------------------------------------

struct Progress {
    const char* name;
    const char* segments;
    std::vector<std::pair<const char*, const char*>> after;  // (state, history) after each segment
};

TEST(ConnSummary, StateSoFar) {
    const Progress cases[] = {
        {"normal close, originator first",
         ">S <SA >A >PA:10 <A <PA:20 >FA <FA >A",
         {{"S0", "S"}, {"S1", "Sh"}, {"S1", "ShA"}, {"S1", "ShAD"}, {"S1", "ShADa"}, {"S1", "ShADad"},
          {"S2", "ShADadF"}, {"SF", "ShADadFf"}, {"SF", "ShADadFf"}}},
        {"responder closes first", ">S <SA >A <FA >FA",
         {{"S0", "S"}, {"S1", "Sh"}, {"S1", "ShA"}, {"S3", "ShAf"}, {"SF", "ShAfF"}}},
        {"rejected", ">S <RA", {{"S0", "S"}, {"REJ", "Sr"}}},
        {"originator aborts", ">S <SA >A >R@1", {{"S0", "S"}, {"S1", "Sh"}, {"S1", "ShA"}, {"RSTO", "ShAR"}}},
        {"responder aborts", ">S <SA >A <R@1", {{"S0", "S"}, {"S1", "Sh"}, {"S1", "ShA"}, {"RSTR", "ShAr"}}},
        {"SYN-ACK then RST, SYN never seen", "<SA <R@1", {{"OTH", "h"}, {"RSTRH", "hr"}}},
        {"SYN then FIN, no SYN-ACK", ">S >F", {{"S0", "S"}, {"SH", "SF"}}},
        {"SYN-ACK then FIN, SYN never seen", "<SA <FA", {{"OTH", "h"}, {"SHR", "hf"}}},
        {"mid-stream", ">A:10 <A", {{"OTH", "D"}, {"OTH", "Da"}}},
        // Zeek's "FIN followed by RST was a normal close": the peer's FIN turns the RST back.
        {"FIN, RST, then the peer's FIN", ">S <SA >A >PA:5 <PA:5 >FA >R@7 <FA",
         {{"S0", "S"}, {"S1", "Sh"}, {"S1", "ShA"}, {"S1", "ShAD"}, {"S1", "ShADd"}, {"S2", "ShADdF"},
          {"RSTO", "ShADdFR"}, {"SF", "ShADdFRf"}}},
        // A RST after both FINs changes no state.
        {"RST after both FINs", ">S <SA >A >FA <FA <R@9", {{"S0", "S"}, {"S1", "Sh"}, {"S1", "ShA"}, {"S2", "ShAF"},
                                                           {"SF", "ShAFf"}, {"SF", "ShAFfr"}}},
        // A handshake, then both reset without a payload byte: Zeek's REJ (both RESET, sizes 0).
        {"both reset without data", ">S <SA >R@1 <R@1", {{"S0", "S"}, {"S1", "Sh"}, {"RSTO", "ShR"}, {"REJ", "ShRr"}}},
    };
    for (const Progress& p : cases) {
        SCOPED_TRACE(p.name);
        const std::vector<SummarySegment> segs = parse(p.segments);
        ASSERT_EQ(segs.size(), p.after.size());
        ConnSummary c;
        EXPECT_EQ(c.state(), "OTH");
        EXPECT_EQ(c.history(), "");
        for (std::size_t i = 0; i < segs.size(); ++i) {
            c.on_segment(segs[i]);
            EXPECT_EQ(c.state(), p.after[i].first) << "after segment " << i + 1;
            EXPECT_EQ(c.history(), p.after[i].second) << "after segment " << i + 1;
        }
    }
}

// ---- History letters -----------------------------------------------------------------------

struct Letters {
    const char* name;
    const char* segments;
    const char* history;
};

TEST(ConnSummary, HistoryLetters) {
    const Letters cases[] = {
        // a, d, i, q once per direction.
        {"pure ACKs and data once", ">S <SA >A >A >PA:1 >PA:2 <A <A <PA:3 <PA:4", "ShADad"},
        {"FIN+RST is I", ">S <SA >FRA >FRA", "ShI"},
        {"SYN+FIN is Q", ">SF >SF", "Q"},
        {"SYN+RST is Q", "<SRA", "q"},
        // F again only for a FIN at another sequence number (not a retransmission).
        {"FIN retransmitted", ">S <SA >A >FA >FA!t", "ShAF"},
        {"FIN at another sequence number", ">S <SA >A >FA >FA", "ShAFF"},
        // R again only at another sequence number, also 64 KiB apart.
        {"RST repeated", ">S <SA >A <R@100 <R@100", "ShAr"},
        {"RST at other sequence numbers", ">S <SA >A <R@100 <R@200 <R@65636", "ShArrr"},
        // S/H again only once CLOSED or RESET (elsewhere Zeek re-bases on the SYN: equal).
        {"SYN with a new ISS in SYN_SENT", ">S >S", "S"},
        {"SYN retransmitted after RST", ">S >R@1 >S!t", "SR"},
        {"SYN with a new ISS after RST", ">S >R@1 >S", "SRS"},
        {"SYN-ACK retransmitted", ">S <SA <SA!t", "Sh"},
        // t/T, w/W, g/G at the 1st, 10th, 100th event.
        {"one retransmission", ">S <SA >A >PA:10 >PA:10!t", "ShADT"},
        {"nine retransmissions", ">S <SA >A >PA:10 >PA:10!t*9", "ShADT"},
        {"ten retransmissions", ">S <SA >A >PA:10 >PA:10!t*10", "ShADTT"},
        {"a hundred retransmissions", ">S <SA >A >PA:10 <PA:10!t*100", "ShADdttt"},
        {"retransmitted pure ACK is no t", ">S <SA >A >A!t", "ShA"},
        {"no t after the sender's RST", ">S <SA >A >R@1 >PA:5!t", "ShARD"},
        {"zero window", ">S <SA >A!z <A!z*10", "ShAWaww"},
        {"zero window after the peer closed", ">S <SA >A <FA >A!z", "ShAf"},
        {"zero window on a RST", ">S <SA >A >R!z@1", "ShAR"},
        {"gap in the originator's bytes", ">S <SA >A >PA:10 <A!g", "ShADaG"},
        {"ten gaps", ">S <SA >A <A!g*10", "ShAaGG"},
        {"no gap before both are established", ">A:10 <A!g", "Da"},
        {"no gap after a RST", ">S <SA >A <R@1 >A!g", "ShAr"},
        // At most 16 letters.
        {"history is capped", ">R@1 >R@2 >R@3 >R@4 >R@5 >R@6 >R@7 >R@8 >R@9 >R@10 >R@11 >R@12 >R@13 >R@14 >R@15 >R@16 >R@17 >R@18",
         "RRRRRRRRRRRRRRRR"},
    };
    for (const Letters& l : cases) {
        SCOPED_TRACE(l.name);
        EXPECT_EQ(run(l.segments).history(), l.history);
    }
}

// ---- Counts --------------------------------------------------------------------------------

TEST(ConnSummary, PacketsAndPayloadBytes) {
    // Retransmitted payload and RST payload are not counted as bytes; every segment is a packet.
    const ConnSummary c = run(">S:5 <SA >A >PA:100 >PA:100!t <PA:40 <RA:7@1");
    EXPECT_EQ(c.packets(true), 4u);
    EXPECT_EQ(c.packets(false), 3u);
    EXPECT_EQ(c.payload_bytes(true), 105u);
    EXPECT_EQ(c.payload_bytes(false), 40u);
    EXPECT_EQ(c.first_closer(), Closer::Resp);
}

TEST(ConnSummary, PayloadBytesBeyond32Bits) {
    ConnSummary c;
    SummarySegment s;
    s.from_orig = true;
    s.flags = TCPSTATE_ACK;
    s.payload_len = 0x80000000u;
    for (int i = 0; i < 3; ++i) c.on_segment(s);
    EXPECT_EQ(c.payload_bytes(true), 3ull * 0x80000000u);
    EXPECT_EQ(c.history(), "D");
}

TEST(ConnSummary, CloserIsTheEarlierOfFinAndRst) {
    EXPECT_EQ(run(">S <SA").first_closer(), Closer::None);
    EXPECT_EQ(run(">S <SA >A <R@1 >FA").first_closer(), Closer::Resp);
    EXPECT_EQ(run(">S <SA >A >FA <R@1").first_closer(), Closer::Orig);
}

}  // namespace
}  // namespace tcpstate
