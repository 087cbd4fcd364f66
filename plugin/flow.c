/* tcpstate: the "TCP State" flow type of Statistics > Flow Graph, also `tshark -z flow,tcpstate,...`.
 *
 * One arrow per annotated TCP segment, built from the "tcpstate" tap, which register.c queues from
 * each frame's stored result on every pass (the GUI's Flow Graph re-dissects frames already seen,
 * without the post-dissector's wanted fields; tshark -2 does too). The arrow's label is the short
 * step (`SYN 1/3`, `FIN-ACK 2+3/4`, `RST`), its comment the two ends' transitions and the segment's
 * findings (`C: SYN_SENT->ESTABLISHED | S: SYN_RCVD`). The release-specific struct layouts are in
 * flow_compat.h. */
#include "ws_compat.h"

#include <string.h>

#include <epan/packet.h>
#include <epan/tap.h>

#include "flow_compat.h"
#include "tcpstate_core.h"
#include "tcpstate_plugin.h"

#ifdef TCPSTATE_HAVE_FLOW

/* "C: ESTABLISHED->FIN_WAIT_1 | S: ESTABLISHED->CLOSE_WAIT | retransmission | simultaneous_close" */
static gchar *
flow_comment(const tcpstate_result *r)
{
    char buf[256];
    size_t len = 0;
    buf[0] = '\0';
    tcpstate_put_transitions(buf, sizeof buf, &len, r);
    GString *s = g_string_new(buf);
    if (r->flags & TCPSTATE_R_RETRANSMISSION)
        g_string_append(s, " | retransmission");
    if (r->findings) {
        char list[512];
        g_string_append(s, " | ");
        g_string_append(s, tcpstate_findings_list(r, list, sizeof list));
    }
    return g_string_free(s, FALSE);
}

static tap_packet_status
tcpstate_flow_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                     tap_flags_t flags _U_)
{
    seq_analysis_info_t *sainfo = (seq_analysis_info_t *)tapdata;
    const tcpstate_result *r = (const tcpstate_result *)data;
    /* NULL when the frame is filtered out ("Limit to display filter") or has no addresses. */
    seq_analysis_item_t *sai = sequence_analysis_create_sai_with_addresses(pinfo, sainfo);
    if (!sai)
        return TAP_PACKET_DONT_REDRAW;
    sai->frame_number = pinfo->num;
    sai->port_src = (guint16)pinfo->srcport;
    sai->port_dst = (guint16)pinfo->destport;
    sai->frame_label = g_strdup(tcpstate_step_short(tcpstate_result_step(r)));
    sai->comment = flow_comment(r);
    sai->line_style = 1;
    sai->conv_num = (guint16)r->stream;
    sai->display = TRUE;
    sequence_analysis_use_color_filter(pinfo, sai); /* the packet list's colours (profile tcpstate) */
    g_queue_push_tail(sainfo->items, sai);
    return TAP_PACKET_REDRAW;
}

void
tcpstate_flow_register(void)
{
    register_seq_analysis("tcpstate", "TCP State", proto_tcpstate, "tcpstate", TL_REQUIRES_NOTHING,
                          tcpstate_flow_packet);
}

#else

void
tcpstate_flow_register(void)
{
    /* This release's Flow Graph structs are not checked (flow_compat.h): no "TCP State" flow type. */
}

#endif
