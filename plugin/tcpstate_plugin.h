/* The plugin's files, one per Wireshark facility, and what they share. C only: no C++ type and no
 * destructor may meet Wireshark's longjmp.
 *   entry.c     the loader's entry points
 *   register.c  the protocol, its preferences, the post-dissector and the per-file engine
 *   extract.c   field extraction: a frame's TCP layers -> tcpstate_segment (first pass only)
 *   draw.c      tree, expert info, Info column, from the stored result (every pass)
 *   taps.c      the tcpstate tap and the statistics built on it
 *   flow.c      the "TCP State" flow type (Flow Graph, tshark -z flow,tcpstate); flow_compat.h
 *   conns.c     connection lifecycles: tcpstate.conn.* fields, stuck notes, -z tcpstate,conns and
 *               tcpstate,states, the GUI's Connections table, the stuck thresholds
 */
#ifndef TCPSTATE_PLUGIN_H
#define TCPSTATE_PLUGIN_H

#include "ws_compat.h"

#include <epan/packet.h>
#include <epan/prefs.h>

#include "tcpstate_core.h"

/* entry.c -> register.c */
void tcpstate_register_protoinfo(void);
void tcpstate_register_handoff(void);

/* register.c */
extern int proto_tcpstate;
extern tcpstate_pref_bool tcpstate_pref_details;
extern tcpstate_pref_bool tcpstate_pref_explain;
tcpstate_engine *tcpstate_current_engine(void);  /* the open file's, NULL when none */

/* Marks a tree item as generated (not from the packet's bytes) and returns it. */
static inline proto_item *
tcpstate_generated(proto_item *ti)
{
    proto_item_set_generated(ti);
    return ti;
}

/* Whether item labels will be shown (GUI details pane, -V, -T fields/pdml). In a tree built only
 * to filter or colour, Wireshark discards label text: it is then not assembled at all. */
static inline gboolean
tcpstate_labels_shown(proto_tree *tree)
{
    return tree && PTREE_DATA(tree)->visible;
}

/* extract.c */
void tcpstate_extract_handoff(dissector_handle_t handle);  /* the wanted fields */
void tcpstate_extract_frame(tcpstate_engine *engine, packet_info *pinfo, proto_tree *tree);

/* draw.c */
void tcpstate_draw_register(void);  /* fields, subtrees and expert items */
void tcpstate_draw(tcpstate_engine *engine, proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                   const tcpstate_result *r);
void tcpstate_draw_info(packet_info *pinfo, const tcpstate_result *r);
/* "C: SYN_SENT->ESTABLISHED | S: SYN_RCVD", appended to buf[*len] (truncated at size) */
void tcpstate_put_transitions(char *buf, size_t size, size_t *len, const tcpstate_result *r);

/* taps.c */
typedef struct tcpstate_tap_data {  /* what the "tcpstate" tap carries */
    tcpstate_result result;         /* first: a listener may read the data as a tcpstate_result */
    gboolean first_pass;            /* queued by the first pass (the record may still change) */
} tcpstate_tap_data;
void tcpstate_taps_register(void);
void tcpstate_taps_handoff(void);
void tcpstate_taps_queue(packet_info *pinfo, const tcpstate_result *r);

/* flow.c */
void tcpstate_flow_register(void);
/* conns.c */
void tcpstate_conns_register(module_t *prefs);     /* fields, notes, threshold preferences */
void tcpstate_conns_handoff(void);                  /* -z tcpstate,conns / tcpstate,states, GUI table */
void tcpstate_conns_configure(tcpstate_engine *engine);  /* the thresholds, into a new engine */
void tcpstate_conns_draw(tcpstate_engine *engine, proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                         const tcpstate_result *r);
void tcpstate_conns_draw_notes(tcpstate_engine *engine, proto_item *top, packet_info *pinfo,
                               const tcpstate_result *r);

#endif
