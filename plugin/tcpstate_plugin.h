/* The plugin's files, one per Wireshark facility, and what they share. C only: no C++ type and no
 * destructor may meet Wireshark's longjmp.
 *   entry.c     the loader's entry points
 *   register.c  the protocol, its preferences, the post-dissector and the per-file engine
 *   extract.c   field extraction: a frame's TCP layers -> tcpstate_segment (first pass only)
 *   draw.c      tree, expert info, Info column, from the stored result (every pass)
 *   taps.c      the tcpstate tap and the statistics built on it
 *   flow.c      the "TCP State" flow type (Flow Graph, tshark -z flow,tcpstate); flow_compat.h
 */
#ifndef TCPSTATE_PLUGIN_H
#define TCPSTATE_PLUGIN_H

#include "ws_compat.h"

#include <epan/packet.h>

#include "tcpstate_core.h"

/* entry.c -> register.c */
void tcpstate_register_protoinfo(void);
void tcpstate_register_handoff(void);

/* register.c */
extern int proto_tcpstate;
extern tcpstate_pref_bool tcpstate_pref_details;
extern tcpstate_pref_bool tcpstate_pref_explain;

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
void tcpstate_taps_register(void);
void tcpstate_taps_handoff(void);
void tcpstate_taps_queue(packet_info *pinfo, const tcpstate_result *r);

/* flow.c */
void tcpstate_flow_register(void);

#endif
