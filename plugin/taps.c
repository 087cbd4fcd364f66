/* tcpstate: taps. The "tcpstate" tap carries each segment's stored result (a tcpstate_tap_data, whose
 * first member is the result; queued on every pass by register.c); -z tcpstate,tree and
 * Statistics > TCP State count it. */
#include "ws_compat.h"

#include <epan/packet.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>

#include "tcpstate_core.h"
#include "tcpstate_plugin.h"

static int tcpstate_tap = -1;

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

void
tcpstate_taps_queue(packet_info *pinfo, const tcpstate_result *r)
{
    if (!have_tap_listener(tcpstate_tap))
        return;
    tcpstate_tap_data *copy = wmem_new(pinfo->pool, tcpstate_tap_data);
    copy->result = *r;
    copy->first_pass = !PINFO_FD_VISITED(pinfo); /* taps run after the frame is marked visited */
    tap_queue_packet(tcpstate_tap, pinfo, copy);
}

void
tcpstate_taps_register(void)
{
    tcpstate_tap = register_tap("tcpstate");
    tcpstate_flow_register();
}

void
tcpstate_taps_handoff(void)
{
    stats_tree_register_plugin("tcpstate", "tcpstate", "TCP State", 0, tcpstate_stats_packet,
                               tcpstate_stats_init, NULL);
}
