/* tcpstate: registration. The protocol, its preferences, the post-dissector and the engine that
 * holds the open file's analysis.
 *
 * Pass rules (WIRESHARK-NOTES.md): the analysis runs only on the first pass (!visited), in frame
 * order; the core keeps each frame's 32-byte result; every pass, including tshark -2 and GUI
 * clicks in any order, draws the tree from that stored result only. Nothing here is C++, so a
 * Wireshark exception (longjmp) never skips a destructor.
 */
#include "ws_compat.h"

#include <epan/packet.h>
#include <epan/prefs.h>

#include "tcpstate_core.h"
#include "tcpstate_plugin.h"

int proto_tcpstate = -1;
static dissector_handle_t tcpstate_handle;
static tcpstate_engine *engine; /* the open file's; replaced at every file open (init routine) */

/* Preferences (tcpstate.<name>, settable with -o tcpstate.<name>:<value>) */
static tcpstate_pref_bool pref_info_summary = TRUE;
tcpstate_pref_bool tcpstate_pref_details = TRUE;
tcpstate_pref_bool tcpstate_pref_explain = FALSE;

static int
dissect_tcpstate(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!engine)
        return 0;
    if (!PINFO_FD_VISITED(pinfo))
        tcpstate_extract_frame(engine, pinfo, tree);
    tcpstate_result r;
    for (guint32 layer = 0; layer < 256 && tcpstate_engine_lookup(engine, pinfo->num, layer, &r); layer++) {
        tcpstate_draw(engine, tree, tvb, pinfo, &r);
        if (pref_info_summary)
            tcpstate_draw_info(pinfo, &r);
        tcpstate_taps_queue(pinfo, &r);
    }
    return 0;
}

/* ---- Per-file state ----------------------------------------------------------------------------- */

static void
tcpstate_init(void)
{
    tcpstate_engine_free(engine);
    engine = tcpstate_engine_new();
    if (engine)
        tcpstate_conns_configure(engine);
}

tcpstate_engine *
tcpstate_current_engine(void)
{
    return engine;
}

static void
tcpstate_cleanup(void)
{
    tcpstate_engine_free(engine);
    engine = NULL;
}

/* ---- Registration ------------------------------------------------------------------------------- */

void
tcpstate_register_protoinfo(void)
{
    proto_tcpstate = proto_register_protocol("TCP State", "TCP State", "tcpstate");
    tcpstate_draw_register();

    module_t *prefs = prefs_register_protocol(proto_tcpstate, NULL);
    prefs_register_bool_preference(prefs, "info_summary", "Summary in the Info column",
        "Append \"[step | C: client state | S: server state | violations]\" to the Info column",
        &pref_info_summary);
    prefs_register_bool_preference(prefs, "details", "Per-segment details",
        "Add every field to each segment (default). Off: only tcpstate.stream, step, client.state, "
        "server.state, the findings, expert info and the WebSocket tags; the analysis is the same, "
        "the other fields are absent. Makes large tshark -T fields runs cheaper (docs/performance.md)",
        &tcpstate_pref_details);
    prefs_register_bool_preference(prefs, "explain", "Explain each step (learner mode)",
        "Add tcpstate.explain: one sentence saying what the segment's step does and why, with the RFC "
        "section (e.g. \"The client's FIN takes one sequence number, so the server acknowledges 102 ...\")",
        &tcpstate_pref_explain);
    tcpstate_conns_register(prefs);

    tcpstate_taps_register();
    tcpstate_handle = register_dissector("tcpstate", dissect_tcpstate, proto_tcpstate);
    register_postdissector(tcpstate_handle);
    register_init_routine(tcpstate_init);
    register_cleanup_routine(tcpstate_cleanup);
}

void
tcpstate_register_handoff(void)
{
    tcpstate_extract_handoff(tcpstate_handle);
    tcpstate_taps_handoff();
    tcpstate_conns_handoff();
}
