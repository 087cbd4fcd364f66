/* tcpstate: the Wireshark-facing side. Registration, field extraction, drawing, expert info.
 *
 * Pass rules (WIRESHARK-NOTES.md): the analysis runs only on the first pass (!visited), in frame
 * order; the core keeps each frame's 32-byte result; every pass, including tshark -2 and GUI
 * clicks in any order, draws the tree from that stored result only. Nothing here is C++, so a
 * Wireshark exception (longjmp) never skips a destructor.
 */
#include "ws_compat.h"

#include <string.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>

#include "tcpstate_core.h"
#include "tcpstate_plugin.h"

static int proto_tcpstate = -1;
static dissector_handle_t tcpstate_handle;
static tcpstate_engine *engine;

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

static expert_field *ei_findings; /* one per row of the core's findings table */

static int tcpstate_tap = -1;

/* Preferences (tcpstate.<name>, settable with -o tcpstate.<name>:<value>) */
static tcpstate_pref_bool pref_info_summary = TRUE;
static tcpstate_pref_bool pref_details = TRUE;

/* ---- Field extraction ------------------------------------------------------------------------
 * Few wanted fields: Wireshark primes every wanted field on every frame, even with tcpstate
 * disabled (docs/performance.md, P2). tcp.stream and tcp.srcport locate each TCP layer's header in
 * its data source; tcp.seq_raw marks a real TCP layer (an ICMP error quoting a TCP header gets no
 * tcp.seq_raw); tcp.len needs the IP layer. Everything else is read from the header bytes. */
enum wanted_field { W_STREAM, W_SRCPORT, W_SEQ, W_LEN, W_COUNT };
static const char *const wanted_names[W_COUNT] = { "tcp.stream", "tcp.srcport", "tcp.seq_raw", "tcp.len" };
static int wanted_ids[W_COUNT];

/* The finfo of a wanted field that belongs to the TCP header at [hdr_start, hdr_end) of `ds`. */
static field_info *
field_in_header(GPtrArray *arr, tvbuff_t *ds, gint hdr_start, gint hdr_end)
{
    if (!arr)
        return NULL;
    for (guint i = 0; i < arr->len; i++) {
        field_info *fi = (field_info *)g_ptr_array_index(arr, i);
        if (fi->ds_tvb == ds && fi->start >= hdr_start && fi->start < hdr_end)
            return fi;
    }
    return NULL;
}

static guint32
uint_of(field_info *fi, guint32 fallback)
{
    return fi ? fvalue_get_uinteger(TCPSTATE_FI_VALUE(fi)) : fallback;
}

/* The srcport finfo of the layer whose tcp.stream is `st`: same data source, the last one that
 * starts at or before it (tcp.stream is added at the TCP header's offset). */
static field_info *
srcport_of(GPtrArray *ports, field_info *st)
{
    field_info *best = NULL;
    for (guint i = 0; ports && i < ports->len; i++) {
        field_info *fi = (field_info *)g_ptr_array_index(ports, i);
        if (fi->ds_tvb == st->ds_tvb && fi->start <= st->start && (!best || fi->start > best->start))
            best = fi;
    }
    return best;
}

static guint32
be32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

/* The window-scale option's shift (RFC 7323 2.2), -1 when absent or the options are malformed. */
static gint16
wscale_option(const guint8 *opt, guint len)
{
    guint i = 0;
    while (i < len) {
        guint8 kind = opt[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            break;
        guint8 olen = opt[i + 1];
        if (olen < 2 || i + olen > len)
            break;
        if (kind == 3 && olen == 3)
            return opt[i + 2];
        i += olen;
    }
    return -1;
}

static void
analyse_frame(packet_info *pinfo, proto_tree *tree)
{
    GPtrArray *arr[W_COUNT];
    for (int w = 0; w < W_COUNT; w++)
        arr[w] = wanted_ids[w] > 0 ? proto_get_finfo_ptr_array(tree, wanted_ids[w]) : NULL;
    if (!arr[W_STREAM] || arr[W_STREAM]->len == 0)
        return; /* no TCP */

    const address *src = &pinfo->net_src, *dst = &pinfo->net_dst;
    if (src->type != AT_IPv4 && src->type != AT_IPv6) {
        src = &pinfo->src;
        dst = &pinfo->dst;
    }

    for (guint layer = 0; layer < arr[W_STREAM]->len && layer < 256; layer++) {
        field_info *st = (field_info *)g_ptr_array_index(arr[W_STREAM], layer);
        field_info *sport = srcport_of(arr[W_SRCPORT], st);
        if (!sport)
            continue;
        tvbuff_t *ds = sport->ds_tvb;
        gint hdr_start = sport->start;
        /* Bounded by what was captured, so no accessor below can throw. */
        gint avail = tvb_captured_length_remaining(ds, hdr_start);
        if (avail < 20 || !field_in_header(arr[W_SEQ], ds, hdr_start, hdr_start + 20))
            continue; /* header cut short, or a header quoted by ICMP: nothing reliable */
        const guint8 *h = tvb_get_ptr(ds, hdr_start, 20);
        gint hdr_len = (h[12] >> 4) * 4;
        if (hdr_len < 20)
            continue; /* invalid data offset */

        tcpstate_segment seg;
        memset(&seg, 0, sizeof seg);
        seg.stream = uint_of(st, 0);
        seg.frame = pinfo->num;
        if (src->len == dst->len && (src->len == 4 || src->len == 16)) {
            seg.src_addr = (const guint8 *)src->data;
            seg.dst_addr = (const guint8 *)dst->data;
            seg.addr_len = (guint8)src->len;
        }
        seg.src_port = (guint16)((h[0] << 8) | h[1]);
        seg.dst_port = (guint16)((h[2] << 8) | h[3]);
        seg.seq = be32(h + 4);
        seg.ack = be32(h + 8);
        seg.flags = (guint16)(h[13] | ((h[12] & 0x01) << 8));
        seg.window = (guint16)((h[14] << 8) | h[15]);
        seg.wscale = -1;
        if (hdr_len > 20 && avail >= hdr_len)
            seg.wscale = wscale_option(tvb_get_ptr(ds, hdr_start + 20, hdr_len - 20), (guint)(hdr_len - 20));
        /* tcp.len is generated from the IP length; take the layer's by position, else by order. */
        field_info *len = field_in_header(arr[W_LEN], ds, hdr_start, hdr_start + hdr_len);
        if (!len && arr[W_LEN] && arr[W_LEN]->len == arr[W_STREAM]->len)
            len = (field_info *)g_ptr_array_index(arr[W_LEN], layer);
        seg.payload_len = uint_of(len, 0);

        if (avail > hdr_len && seg.payload_len > 0) {
            guint32 n = (guint32)(avail - hdr_len);
            if (n > seg.payload_len)
                n = seg.payload_len;
            seg.payload = tvb_get_ptr(ds, hdr_start + hdr_len, (gint)n);
            seg.payload_captured = n;
        }
        tcpstate_result ignored;
        tcpstate_engine_process(engine, &seg, layer, &ignored);
    }
}

/* ---- Drawing ---------------------------------------------------------------------------------- */

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

/* Whether item labels will be shown (GUI details pane, -V, -T fields/pdml). In a tree built only
 * to filter or colour, Wireshark discards label text: it is then not assembled at all. */
static gboolean
labels_shown(proto_tree *tree)
{
    return tree && PTREE_DATA(tree)->visible;
}


static proto_item *
add_generated(proto_item *ti)
{
    proto_item_set_generated(ti);
    return ti;
}

static void
draw_ws(proto_tree *tree, tvbuff_t *tvb, const tcpstate_result *r)
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
        if (tcpstate_engine_ws_info(engine, r->stream, &info)) {
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
draw_conn(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r)
{
    tcpstate_conn_info ci;
    if (!tcpstate_engine_conn_info(engine, r->stream, &ci))
        return;
    proto_item *ti = add_generated(proto_tree_add_string(tree, hf_conn_state, tvb, 0, 0, ci.state));
    if (labels_shown(tree)) {
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
}

static void
draw_findings(proto_tree *tree, proto_item *top, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r)
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
        tcpstate_engine_finding_message(engine, r, i, msg, sizeof msg);
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
draw_details(proto_tree *t, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r, const char *step)
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
    draw_conn(t, tvb, pinfo, r);
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

static void
draw_result(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r)
{
    const char *step = tcpstate_step_name(tcpstate_result_step(r));
    proto_item *top = proto_tree_add_item(tree, proto_tcpstate, tvb, 0, 0, ENC_NA);
    /* "TCP State: SYN-ACK (handshake 2/3) | C: ESTABLISHED | S: SYN_RCVD", assembled here and set
     * once: cheaper than proto_item_append_text's label fill plus formatting (docs/performance.md P3). */
    if (labels_shown(tree)) {
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
    if (pref_details)
        draw_details(t, tvb, pinfo, r, step);
    else
        draw_short(t, tvb, r, step);
    draw_ws(t, tvb, r);
    draw_findings(t, top, tvb, pinfo, r);
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

/* " [SYN-ACK 2/3 | C: SYN_SENT->ESTABLISHED | S: SYN_RCVD]" plus the violations, if any. Built
 * by plain appends into one buffer (no printf), and not at all when no Info column is being
 * filled: tshark -T fields without _ws.col.* fields passes no column info (docs/performance.md P3). */
static void
append_info(packet_info *pinfo, const tcpstate_result *r)
{
    if (!pinfo->cinfo)
        return;
    gboolean server = (r->flags & TCPSTATE_R_SENDER_SERVER) != 0;
    unsigned c0 = server ? tcpstate_result_receiver_before(r) : tcpstate_result_sender_before(r);
    unsigned s0 = server ? tcpstate_result_sender_before(r) : tcpstate_result_receiver_before(r);
    char buf[384];
    size_t len = 0;
    put(buf, sizeof buf, &len, " [");
    put(buf, sizeof buf, &len, tcpstate_step_short(tcpstate_result_step(r)));
    put_states(buf, sizeof buf, &len, " | C: ", c0, tcpstate_result_client_state(r));
    put_states(buf, sizeof buf, &len, " | S: ", s0, tcpstate_result_server_state(r));
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

/* ---- Statistics: -z tcpstate,tree and Statistics > TCP State ----------------------------------- */

static const char st_steps[] = "Segments per step";
static const char st_transitions[] = "State transitions";
static const char st_findings[] = "Findings";
static int st_node_steps = -1, st_node_transitions = -1, st_node_findings = -1;

static void
tcpstate_stats_init(stats_tree *st)
{
    st_node_steps = stats_tree_create_node(st, st_steps, 0, STAT_DT_INT, TRUE);
    st_node_transitions = stats_tree_create_node(st, st_transitions, 0, STAT_DT_INT, TRUE);
    st_node_findings = stats_tree_create_node(st, st_findings, 0, STAT_DT_INT, TRUE);
}

static void
tick_transition(stats_tree *st, const char *who, unsigned from, unsigned to)
{
    if (from == to)
        return;
    char name[96];
    g_snprintf(name, sizeof name, "%s %s -> %s", who, tcpstate_state_name(from), tcpstate_state_name(to));
    tick_stat_node(st, st_transitions, 0, TRUE);
    tick_stat_node(st, name, st_node_transitions, FALSE);
}

static tap_packet_status
tcpstate_stats_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *p,
                      tap_flags_t flags _U_)
{
    const tcpstate_result *r = (const tcpstate_result *)p;
    tick_stat_node(st, st_steps, 0, TRUE);
    tick_stat_node(st, tcpstate_step_name(tcpstate_result_step(r)), st_node_steps, FALSE);
    tick_transition(st, "sender", tcpstate_result_sender_before(r), tcpstate_result_sender_after(r));
    tick_transition(st, "receiver", tcpstate_result_receiver_before(r), tcpstate_result_receiver_expected(r));
    unsigned n = tcpstate_finding_count();
    for (unsigned i = 0; i < n && i < 32; i++) {
        if (r->findings & (1u << i)) {
            tick_stat_node(st, st_findings, 0, TRUE);
            tick_stat_node(st, tcpstate_finding_name(i), st_node_findings, FALSE);
        }
    }
    return TAP_PACKET_REDRAW;
}

static int
dissect_tcpstate(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!engine)
        return 0;
    if (!PINFO_FD_VISITED(pinfo))
        analyse_frame(pinfo, tree);
    tcpstate_result r;
    for (guint32 layer = 0; layer < 256 && tcpstate_engine_lookup(engine, pinfo->num, layer, &r); layer++) {
        draw_result(tree, tvb, pinfo, &r);
        if (pref_info_summary)
            append_info(pinfo, &r);
        if (have_tap_listener(tcpstate_tap)) {
            tcpstate_result *copy = wmem_new(pinfo->pool, tcpstate_result);
            *copy = r;
            tap_queue_packet(tcpstate_tap, pinfo, copy);
        }
    }
    return 0;
}

/* ---- Per-file state ----------------------------------------------------------------------------- */

static void
tcpstate_init(void)
{
    tcpstate_engine_free(engine);
    engine = tcpstate_engine_new();
}

static void
tcpstate_cleanup(void)
{
    tcpstate_engine_free(engine);
    engine = NULL;
}

/* ---- Registration ------------------------------------------------------------------------------- */

#define OBSERVER " (passive observer's estimate, see docs/model.md)"

void
tcpstate_register_protoinfo(void)
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
            "The state the receiver must reach once it processes the segment (unchanged if unacceptable)", HFILL } },
        { &hf_client_state, { "Client state", "tcpstate.client.state", FT_STRING, BASE_NONE, NULL, 0x0,
            "The client's state after this segment" OBSERVER, HFILL } },
        { &hf_server_state, { "Server state", "tcpstate.server.state", FT_STRING, BASE_NONE, NULL, 0x0,
            "The server's state after this segment" OBSERVER, HFILL } },
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
    };
    static gint *ett[] = { &ett_tcpstate, &ett_tcpstate_analysis, &ett_tcpstate_ws, &ett_tcpstate_conn };

    proto_tcpstate = proto_register_protocol("TCP State", "TCP State", "tcpstate");
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

    module_t *prefs = prefs_register_protocol(proto_tcpstate, NULL);
    prefs_register_bool_preference(prefs, "info_summary", "Summary in the Info column",
        "Append \"[step | C: client state | S: server state | violations]\" to the Info column",
        &pref_info_summary);
    prefs_register_bool_preference(prefs, "details", "Per-segment details",
        "Add every field to each segment (default). Off: only tcpstate.stream, step, client.state, "
        "server.state, the findings, expert info and the WebSocket tags; the analysis is the same, "
        "the other fields are absent. Makes large tshark -T fields runs cheaper (docs/performance.md)",
        &pref_details);

    tcpstate_tap = register_tap("tcpstate");
    tcpstate_handle = register_dissector("tcpstate", dissect_tcpstate, proto_tcpstate);
    register_postdissector(tcpstate_handle);
    register_init_routine(tcpstate_init);
    register_cleanup_routine(tcpstate_cleanup);
}

void
tcpstate_register_handoff(void)
{
    GArray *wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    for (int w = 0; w < W_COUNT; w++) {
        wanted_ids[w] = proto_registrar_get_id_byname(wanted_names[w]);
        if (wanted_ids[w] > 0)
            g_array_append_val(wanted, wanted_ids[w]);
    }
    set_postdissector_wanted_hfids(tcpstate_handle, wanted);
    stats_tree_register_plugin("tcpstate", "tcpstate", "TCP State", 0, tcpstate_stats_packet,
                               tcpstate_stats_init, NULL);
}
