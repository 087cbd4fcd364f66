/* tcpstate: drawing. The tree, expert info and the Info column of one segment, from its stored
 * result only (every pass: tshark one-pass and -2, GUI clicks in any order), and the registration of
 * the fields and expert items drawn here. */
#include "ws_compat.h"

#include <string.h>

#include <epan/expert.h>
#include <epan/packet.h>

#include "tcpstate_core.h"
#include "tcpstate_plugin.h"

static gint ett_tcpstate = -1;
static gint ett_tcpstate_analysis = -1;
static gint ett_tcpstate_ws = -1;
static gint ett_tcpstate_conn = -1;

static int hf_stream = -1;
static int hf_role = -1;
static int hf_phase = -1;
static int hf_step = -1;
static int hf_handshake_step = -1;
static int hf_teardown_step = -1;
static int hf_sender_before = -1;
static int hf_sender_after = -1;
static int hf_receiver_before = -1;
static int hf_receiver_expected = -1;
static int hf_client_state = -1;
static int hf_server_state = -1;
static int hf_seq_expected = -1;
static int hf_ack_expected = -1;
static int hf_seq_ok = -1;
static int hf_ack_ok = -1;
static int hf_acceptable = -1;
static int hf_retransmission = -1;
static int hf_midstream = -1;
static int hf_findings = -1;
static int hf_analysis = -1;
static int hf_conn_state = -1;
static int hf_conn_history = -1;
static int hf_conn_syn_frame = -1;
static int hf_conn_fin_frame = -1;
static int hf_conn_rst_frame = -1;
static int hf_ws = -1;
static int hf_ws_upgrade = -1;
static int hf_ws_key = -1;
static int hf_ws_accept = -1;
static int hf_ws_accept_expected = -1;
static int hf_ws_accept_ok = -1;
static int hf_ws_request_frame = -1;
static int hf_ws_response_frame = -1;
static int hf_ws_close = -1;
static int hf_explain = -1;

static expert_field *ei_findings; /* one per row of the core's findings table */

/* Appends `text` to buf[*len], truncating at the buffer's end (always NUL-terminated). */
static void
put(char *buf, size_t size, size_t *len, const char *text)
{
    size_t n = strlen(text);
    if (n > size - 1 - *len)
        n = size - 1 - *len;
    memcpy(buf + *len, text, n);
    *len += n;
    buf[*len] = '\0';
}



#define add_generated tcpstate_generated

static void
draw_ws(tcpstate_engine *engine, proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r)
{
    unsigned upgrade = r->ws & TCPSTATE_WS_UPGRADE_MASK;
    if (!(r->ws & (TCPSTATE_WS_ACTIVE | TCPSTATE_WS_CLOSE)) && upgrade == 0)
        return;
    if (r->ws & TCPSTATE_WS_ACTIVE)
        add_generated(proto_tree_add_boolean(tree, hf_ws, tvb, 0, 0, TRUE));
    if (upgrade != 0) {
        proto_item *ti = add_generated(proto_tree_add_string(tree, hf_ws_upgrade, tvb, 0, 0,
                                                             tcpstate_ws_upgrade_name(upgrade)));
        proto_tree *wt = proto_item_add_subtree(ti, ett_tcpstate_ws);
        tcpstate_ws_info info;
        if (tcpstate_engine_ws_info(engine, r->stream, pinfo->num, &info)) {
            if (info.key[0])
                add_generated(proto_tree_add_string(wt, hf_ws_key, tvb, 0, 0, info.key));
            if (upgrade != 1) {
                if (info.accept_seen[0])
                    add_generated(proto_tree_add_string(wt, hf_ws_accept, tvb, 0, 0, info.accept_seen));
                if (info.accept_expected[0])
                    add_generated(proto_tree_add_string(wt, hf_ws_accept_expected, tvb, 0, 0, info.accept_expected));
                if (upgrade == 2 || upgrade == 4)
                    add_generated(proto_tree_add_boolean(wt, hf_ws_accept_ok, tvb, 0, 0, upgrade == 2));
            }
            if (info.request_frame)
                add_generated(proto_tree_add_uint(wt, hf_ws_request_frame, tvb, 0, 0, info.request_frame));
            if (info.response_frame)
                add_generated(proto_tree_add_uint(wt, hf_ws_response_frame, tvb, 0, 0, info.response_frame));
        }
    }
    if (r->ws & TCPSTATE_WS_CLOSE)
        add_generated(proto_tree_add_uint(tree, hf_ws_close, tvb, 0, 0, r->ws_close_code));
}

/* The connection summary: as of this frame on the first pass (tshark one-pass shows "so far"),
 * final on every later pass (GUI, tshark -2). */
static void
draw_conn(tcpstate_engine *engine, proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r)
{
    tcpstate_conn_info ci;
    if (!tcpstate_engine_conn_info(engine, r->stream, &ci))
        return;
    proto_item *ti = add_generated(proto_tree_add_string(tree, hf_conn_state, tvb, 0, 0, ci.state));
    if (tcpstate_labels_shown(tree)) {
        char label[96];
        size_t len = 0;
        put(label, sizeof label, &len, "Connection state (Zeek): ");
        put(label, sizeof label, &len, ci.state);
        put(label, sizeof label, &len, PINFO_FD_VISITED(pinfo) ? " (final)" : " (so far)");
        proto_item_set_text(ti, "%s", label);  /* set once, as the top item's (P3) */
    }
    proto_tree *ct = proto_item_add_subtree(ti, ett_tcpstate_conn);
    add_generated(proto_tree_add_string(ct, hf_conn_history, tvb, 0, 0, ci.history));
    if (ci.syn_frame)
        add_generated(proto_tree_add_uint(ct, hf_conn_syn_frame, tvb, 0, 0, ci.syn_frame));
    if (ci.fin_frame)
        add_generated(proto_tree_add_uint(ct, hf_conn_fin_frame, tvb, 0, 0, ci.fin_frame));
    if (ci.rst_frame)
        add_generated(proto_tree_add_uint(ct, hf_conn_rst_frame, tvb, 0, 0, ci.rst_frame));
    tcpstate_conns_draw(engine, ct, tvb, pinfo, r);
}

static void
draw_findings(tcpstate_engine *engine, proto_tree *tree, proto_item *top, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r)
{
    if (r->findings == 0)
        return;
    char list[512];
    add_generated(proto_tree_add_string(tree, hf_findings, tvb, 0, 0, tcpstate_findings_list(r, list, sizeof list)));
    proto_item *analysis = NULL;
    unsigned n = tcpstate_finding_count();
    for (unsigned i = 0; i < n && i < 32; i++) {
        if (!(r->findings & (1u << i)))
            continue;
        char msg[256];
        tcpstate_engine_finding_message(engine, r, pinfo->num, i, msg, sizeof msg);
        proto_item *anchor = top;
        if (tcpstate_finding_is_warning(i)) {
            if (!analysis)
                analysis = add_generated(proto_tree_add_item(tree, hf_analysis, tvb, 0, 0, ENC_NA));
            anchor = analysis;
        }
        expert_add_info_format(pinfo, anchor, &ei_findings[i], "%s", msg);
    }
}

/* The full per-segment record (tcpstate.details on, the default). */
static void
draw_details(tcpstate_engine *engine, proto_tree *t, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r, const char *step)
{
    add_generated(proto_tree_add_string(t, hf_role, tvb, 0, 0,
                                        (r->flags & TCPSTATE_R_SENDER_SERVER) ? "server" : "client"));
    add_generated(proto_tree_add_string(t, hf_phase, tvb, 0, 0, tcpstate_step_phase(tcpstate_result_step(r))));
    add_generated(proto_tree_add_string(t, hf_step, tvb, 0, 0, step));
    unsigned hs = tcpstate_step_handshake_number(tcpstate_result_step(r)), td = tcpstate_step_teardown_number(tcpstate_result_step(r));
    if (hs)
        add_generated(proto_tree_add_uint(t, hf_handshake_step, tvb, 0, 0, hs));
    if (td)
        add_generated(proto_tree_add_uint(t, hf_teardown_step, tvb, 0, 0, td));
    add_generated(proto_tree_add_string(t, hf_sender_before, tvb, 0, 0,
                                        tcpstate_state_name(tcpstate_result_sender_before(r))));
    add_generated(proto_tree_add_string(t, hf_sender_after, tvb, 0, 0,
                                        tcpstate_state_name(tcpstate_result_sender_after(r))));
    add_generated(proto_tree_add_string(t, hf_receiver_before, tvb, 0, 0,
                                        tcpstate_state_name(tcpstate_result_receiver_before(r))));
    add_generated(proto_tree_add_string(t, hf_receiver_expected, tvb, 0, 0,
                                        tcpstate_state_name(tcpstate_result_receiver_expected(r))));
    add_generated(proto_tree_add_string(t, hf_client_state, tvb, 0, 0,
                                        tcpstate_state_name(tcpstate_result_client_state(r))));
    add_generated(proto_tree_add_string(t, hf_server_state, tvb, 0, 0,
                                        tcpstate_state_name(tcpstate_result_server_state(r))));
    if (r->flags & TCPSTATE_R_HAS_SEQ_EXPECTED) {
        add_generated(proto_tree_add_uint(t, hf_seq_expected, tvb, 0, 0, r->seq_expected));
        add_generated(proto_tree_add_boolean(t, hf_seq_ok, tvb, 0, 0, (r->flags & TCPSTATE_R_SEQ_OK) != 0));
    }
    if (r->flags & TCPSTATE_R_HAS_ACK_EXPECTED) {
        add_generated(proto_tree_add_uint(t, hf_ack_expected, tvb, 0, 0, r->ack_expected));
        add_generated(proto_tree_add_boolean(t, hf_ack_ok, tvb, 0, 0, (r->flags & TCPSTATE_R_ACK_OK) != 0));
    }
    add_generated(proto_tree_add_boolean(t, hf_acceptable, tvb, 0, 0, (r->flags & TCPSTATE_R_ACCEPTABLE) != 0));
    add_generated(proto_tree_add_boolean(t, hf_retransmission, tvb, 0, 0, (r->flags & TCPSTATE_R_RETRANSMISSION) != 0));
    add_generated(proto_tree_add_boolean(t, hf_midstream, tvb, 0, 0, (r->flags & TCPSTATE_R_MIDSTREAM) != 0));
    draw_conn(engine, t, tvb, pinfo, r);
}

/* The short record (tcpstate.details off): what the tcpstate profile shows as columns. Each tree
 * item costs tshark ~1.2k instructions even under -T fields, which builds the whole tree
 * (docs/performance.md, P1); this is for batch runs that print only these fields. */
static void
draw_short(proto_tree *t, tvbuff_t *tvb, const tcpstate_result *r, const char *step)
{
    add_generated(proto_tree_add_string(t, hf_step, tvb, 0, 0, step));
    add_generated(proto_tree_add_string(t, hf_client_state, tvb, 0, 0,
                                        tcpstate_state_name(tcpstate_result_client_state(r))));
    add_generated(proto_tree_add_string(t, hf_server_state, tvb, 0, 0,
                                        tcpstate_state_name(tcpstate_result_server_state(r))));
}

void
tcpstate_draw(tcpstate_engine *engine, proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r)
{
    const char *step = tcpstate_step_name(tcpstate_result_step(r));
    proto_item *top = proto_tree_add_item(tree, proto_tcpstate, tvb, 0, 0, ENC_NA);
    /* "TCP State: SYN-ACK (handshake 2/3) | C: ESTABLISHED | S: SYN_RCVD", assembled here and set
     * once: cheaper than proto_item_append_text's label fill plus formatting (docs/performance.md P3). */
    if (tcpstate_labels_shown(tree)) {
        char label[160];
        size_t len = 0;
        put(label, sizeof label, &len, "TCP State: ");
        put(label, sizeof label, &len, step);
        put(label, sizeof label, &len, " | C: ");
        put(label, sizeof label, &len, tcpstate_state_name(tcpstate_result_client_state(r)));
        put(label, sizeof label, &len, " | S: ");
        put(label, sizeof label, &len, tcpstate_state_name(tcpstate_result_server_state(r)));
        proto_item_set_text(top, "%s", label);
    }
    proto_tree *t = proto_item_add_subtree(top, ett_tcpstate);

    add_generated(proto_tree_add_uint(t, hf_stream, tvb, 0, 0, r->stream));
    if (tcpstate_pref_details)
        draw_details(engine, t, tvb, pinfo, r, step);
    else
        draw_short(t, tvb, r, step);
    if (tcpstate_pref_explain) {
        char text[512];
        add_generated(proto_tree_add_string(t, hf_explain, tvb, 0, 0, tcpstate_engine_explain(engine, r, text, sizeof text)));
    }
    draw_ws(engine, t, tvb, pinfo, r);
    draw_findings(engine, t, top, tvb, pinfo, r);
    tcpstate_conns_draw_notes(engine, top, pinfo, r);
}

/* "C: SYN_SENT->ESTABLISHED" or "C: ESTABLISHED" when unchanged */
static void
put_states(char *buf, size_t size, size_t *len, const char *who, unsigned from, unsigned to)
{
    put(buf, size, len, who);
    if (from != to) {
        put(buf, size, len, tcpstate_state_name(from));
        put(buf, size, len, "->");
    }
    put(buf, size, len, tcpstate_state_name(to));
}

/* "C: SYN_SENT->ESTABLISHED | S: SYN_RCVD": both ends before -> after the segment (the Info
 * column's summary, the Flow Graph's comment). */
void
tcpstate_put_transitions(char *buf, size_t size, size_t *len, const tcpstate_result *r)
{
    gboolean server = (r->flags & TCPSTATE_R_SENDER_SERVER) != 0;
    unsigned c0 = server ? tcpstate_result_receiver_before(r) : tcpstate_result_sender_before(r);
    unsigned s0 = server ? tcpstate_result_sender_before(r) : tcpstate_result_receiver_before(r);
    put_states(buf, size, len, "C: ", c0, tcpstate_result_client_state(r));
    put_states(buf, size, len, " | S: ", s0, tcpstate_result_server_state(r));
}

/* " [SYN-ACK 2/3 | C: SYN_SENT->ESTABLISHED | S: SYN_RCVD]" plus the violations, if any. Built
 * by plain appends into one buffer (no printf), and not at all when no Info column is being
 * filled: tshark -T fields without _ws.col.* fields passes no column info (docs/performance.md P3). */
void
tcpstate_draw_info(packet_info *pinfo, const tcpstate_result *r)
{
    if (!pinfo->cinfo)
        return;
    char buf[384];
    size_t len = 0;
    put(buf, sizeof buf, &len, " [");
    put(buf, sizeof buf, &len, tcpstate_step_short(tcpstate_result_step(r)));
    put(buf, sizeof buf, &len, " | ");
    tcpstate_put_transitions(buf, sizeof buf, &len, r);
    const char *sep = " | ";
    unsigned n = tcpstate_finding_count();
    for (unsigned i = 0; i < n && i < 32; i++) {
        if ((r->findings & (1u << i)) && tcpstate_finding_is_warning(i)) {
            put(buf, sizeof buf, &len, sep);
            put(buf, sizeof buf, &len, tcpstate_finding_name(i));
            sep = ",";
        }
    }
    put(buf, sizeof buf, &len, "]");
    col_append_str(pinfo->cinfo, COL_INFO, buf);
}


/* ---- Registration ------------------------------------------------------------------------------- */

#define OBSERVER " (passive observer's estimate, see docs/model.md)"

void
tcpstate_draw_register(void)
{
    static hf_register_info hf[] = {
        { &hf_stream, { "Stream", "tcpstate.stream", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Connection index: Wireshark's tcp.stream, except that a SYN-ACK which Wireshark 4.4+ puts on a new stream after a RST keeps the index of the SYN it answers", HFILL } },
        { &hf_role, { "Sender role", "tcpstate.sender.role", FT_STRING, BASE_NONE, NULL, 0x0,
            "client or server: the client sent the first SYN without ACK (mid-stream: the first sender)", HFILL } },
        { &hf_phase, { "Phase", "tcpstate.phase", FT_STRING, BASE_NONE, NULL, 0x0,
            "handshake, data, teardown or reset", HFILL } },
        { &hf_step, { "Step", "tcpstate.step", FT_STRING, BASE_NONE, NULL, 0x0,
            "Step of the three-way handshake or four-way teardown, or DATA/ACK/RST/KEEP-ALIVE/WINDOW-PROBE", HFILL } },
        { &hf_handshake_step, { "Handshake step", "tcpstate.handshake.step", FT_UINT8, BASE_DEC, NULL, 0x0,
            "1 SYN, 2 SYN-ACK, 3 ACK", HFILL } },
        { &hf_teardown_step, { "Teardown step", "tcpstate.teardown.step", FT_UINT8, BASE_DEC, NULL, 0x0,
            "1 FIN, 2 ACK of it, 3 the other FIN, 4 its ACK; 23 FIN and ACK merged", HFILL } },
        { &hf_sender_before, { "Sender state before", "tcpstate.sender.state_before", FT_STRING, BASE_NONE, NULL, 0x0,
            "The sender's RFC 9293 state when it sent the segment" OBSERVER, HFILL } },
        { &hf_sender_after, { "Sender state after", "tcpstate.sender.state_after", FT_STRING, BASE_NONE, NULL, 0x0,
            "The sender's state after sending it" OBSERVER, HFILL } },
        { &hf_receiver_before, { "Receiver state before", "tcpstate.receiver.state_before", FT_STRING, BASE_NONE, NULL, 0x0,
            "The receiver's state before processing the segment" OBSERVER, HFILL } },
        { &hf_receiver_expected, { "Receiver state expected", "tcpstate.receiver.state_expected", FT_STRING, BASE_NONE, NULL, 0x0,
            "The state the receiver must reach once it processes the segment (unchanged if unacceptable; "
            "a reset returns a SYN_RCVD that came from LISTEN to LISTEN, RFC 9293 3.10.7.4)", HFILL } },
        { &hf_client_state, { "Client state", "tcpstate.client.state", FT_STRING, BASE_NONE, NULL, 0x0,
            "The client's state after this segment" OBSERVER, HFILL } },
        { &hf_server_state, { "Server state", "tcpstate.server.state", FT_STRING, BASE_NONE, NULL, 0x0,
            "The server's state after this segment; LISTEN again after a reset in SYN_RCVD (RFC 9293 3.10.7.4)" OBSERVER, HFILL } },
        { &hf_seq_expected, { "Expected SEQ", "tcpstate.seq.expected", FT_UINT32, BASE_DEC, NULL, 0x0,
            "The sender's SND.NXT before this segment (raw): the receiver's RCV.NXT if all it sent arrived", HFILL } },
        { &hf_ack_expected, { "Expected ACK", "tcpstate.ack.expected", FT_UINT32, BASE_DEC, NULL, 0x0,
            "The receiver's SND.NXT (raw); for a SYN-ACK the client's ISN+1", HFILL } },
        { &hf_seq_ok, { "SEQ as expected", "tcpstate.seq.ok", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "SEG.SEQ equals the expected SEQ (false for retransmissions, keep-alives, gaps)", HFILL } },
        { &hf_ack_ok, { "ACK valid", "tcpstate.ack.ok", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The ACK acknowledges nothing never sent (SYN-ACK: exactly ISN+1)", HFILL } },
        { &hf_acceptable, { "Acceptable", "tcpstate.acceptable", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "RFC 9293 3.10.7 acceptability for the receiver (window, ACK and RST rules)" OBSERVER, HFILL } },
        { &hf_retransmission, { "Retransmission", "tcpstate.retransmission", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Repeats sequence space already sent (SYN, FIN, data) or a teardown ACK", HFILL } },
        { &hf_midstream, { "Mid-stream", "tcpstate.midstream", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The connection was picked up without its SYN: states are UNKNOWN until evidence", HFILL } },
        { &hf_findings, { "Findings", "tcpstate.findings", FT_STRING, BASE_NONE, NULL, 0x0,
            "Comma-separated ids of the violations and notes of this segment", HFILL } },
        { &hf_analysis, { "Violations", "tcpstate.analysis", FT_NONE, BASE_NONE, NULL, 0x0,
            "Present when the segment breaks an RFC rule; details as expert info", HFILL } },
        { &hf_conn_state, { "Connection state (Zeek)", "tcpstate.conn.state", FT_STRING, BASE_NONE, NULL, 0x0,
            "Zeek conn_state (S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH): as of this frame in "
            "tshark one-pass output (so far), final in the GUI and with -2", HFILL } },
        { &hf_conn_history, { "Connection history (Zeek)", "tcpstate.conn.history", FT_STRING, BASE_NONE, NULL, 0x0,
            "Zeek history letters, upper case = client; so far in one-pass output, final with -2 and in the GUI", HFILL } },
        { &hf_conn_syn_frame, { "First SYN in frame", "tcpstate.conn.syn_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "First SYN or SYN-ACK of the connection", HFILL } },
        { &hf_conn_fin_frame, { "First FIN in frame", "tcpstate.conn.fin_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            NULL, HFILL } },
        { &hf_conn_rst_frame, { "First RST in frame", "tcpstate.conn.rst_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            NULL, HFILL } },
        { &hf_ws, { "WebSocket", "tcpstate.ws", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The segment belongs to a WebSocket session (from the accepted 101 on)", HFILL } },
        { &hf_ws_upgrade, { "WebSocket upgrade", "tcpstate.ws.upgrade", FT_STRING, BASE_NONE, NULL, 0x0,
            "request, accepted, rejected or bad-accept, on the segment completing the head", HFILL } },
        { &hf_ws_key, { "Sec-WebSocket-Key", "tcpstate.ws.key", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_ws_accept, { "Sec-WebSocket-Accept", "tcpstate.ws.accept", FT_STRING, BASE_NONE, NULL, 0x0,
            "As sent by the server", HFILL } },
        { &hf_ws_accept_expected, { "Expected Sec-WebSocket-Accept", "tcpstate.ws.accept_expected", FT_STRING,
            BASE_NONE, NULL, 0x0, "base64(SHA-1(key + GUID)) (RFC 6455 4.2.2)", HFILL } },
        { &hf_ws_accept_ok, { "Sec-WebSocket-Accept valid", "tcpstate.ws.accept_ok", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            NULL, HFILL } },
        { &hf_ws_request_frame, { "Upgrade request in frame", "tcpstate.ws.request_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0, NULL, HFILL } },
        { &hf_ws_response_frame, { "Upgrade answer in frame", "tcpstate.ws.response_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0, NULL, HFILL } },
        { &hf_ws_close, { "WebSocket Close", "tcpstate.ws.close", FT_UINT16, BASE_DEC, NULL, 0x0,
            "Status code of a Close frame completed in this segment (1005: none given)", HFILL } },
        { &hf_explain, { "Explanation", "tcpstate.explain", FT_STRING, BASE_NONE, NULL, 0x0,
            "What this step does and why, with the RFC section (preference tcpstate.explain, off by default)", HFILL } },
    };
    static gint *ett[] = { &ett_tcpstate, &ett_tcpstate_analysis, &ett_tcpstate_ws, &ett_tcpstate_conn };

    proto_register_field_array(proto_tcpstate, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));

    /* Expert info, one per row of the core's findings table: violations under
     * tcpstate.analysis.<id>, notes under tcpstate.note.<id>. Registered once, kept for the
     * process lifetime as Wireshark requires. */
    unsigned n = tcpstate_finding_count();
    ei_findings = g_new0(expert_field, n);
    ei_register_info *ei = g_new0(ei_register_info, n);
    for (unsigned i = 0; i < n; i++) {
        gboolean warn = tcpstate_finding_is_warning(i) != 0;
        ei_findings[i].ei = EI_INIT_EI;
        ei_findings[i].hf = EI_INIT_HF;
        ei[i].ids = &ei_findings[i];
        ei[i].eiinfo.name = g_strdup_printf("tcpstate.%s.%s", warn ? "analysis" : "note", tcpstate_finding_name(i));
        ei[i].eiinfo.group = warn ? PI_SEQUENCE : PI_SEQUENCE;
        ei[i].eiinfo.severity = warn ? PI_WARN : PI_NOTE;
        ei[i].eiinfo.summary = g_strdup_printf("%s (%s)", tcpstate_finding_summary(i), tcpstate_finding_rule(i));
        ei[i].eiinfo.hf_info.hfinfo.type = FT_NONE;
        ei[i].eiinfo.hf_info.hfinfo.display = BASE_NONE;
        ei[i].eiinfo.hf_info.hfinfo.id = -1;
        ei[i].eiinfo.hf_info.hfinfo.ref_type = HF_REF_TYPE_NONE;
        ei[i].eiinfo.hf_info.hfinfo.same_name_prev_id = -1;
    }
    expert_module_t *expert = expert_register_protocol(proto_tcpstate);
    expert_register_field_array(expert, ei, n);

}
