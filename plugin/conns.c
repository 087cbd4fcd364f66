/* tcpstate: connection lifecycles ("netstat for a capture"), from the core's per-connection record
 * (src/lifecycle.hpp; every rule and every time is worked out there, this file only shows them):
 *   - per-segment fields tcpstate.conn.client.final, .server.final, .end and .stuck (only when a stuck
 *     condition holds): "so far" in tshark's one pass, final with -2 and in the GUI;
 *   - the stuck conditions as notes (tcpstate.conn.stuck.<id>) on the last segment of the connection,
 *     with -2 and in the GUI (visited passes: the whole capture is known);
 *   - -z tcpstate,conns[,filter] (one row per connection) and -z tcpstate,states (final states per side)
 *     for tshark, printed at the end of the run from the final records;
 *   - Statistics > TCP State > Connections in the GUI: a stat-tap table (sortable, copyable; its display
 *     filter selects the connections, e.g. tcpstate.stream == 3), filled from final records only;
 *   - the stuck thresholds as preferences (tcpstate.stuck.<id>, milliseconds).
 * docs/lifecycle.md describes the outputs. */
#include "ws_compat.h"

#include <stdio.h>
#include <string.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/plugin_if.h>
#include <epan/prefs.h>
#include <epan/stat_tap_ui.h>
#include <epan/tap.h>
#include <epan/to_str.h>

#include "tcpstate_core.h"
#include "tcpstate_plugin.h"

static int hf_client_final = -1;
static int hf_server_final = -1;
static int hf_end = -1;
static int hf_stuck = -1;
static expert_field *ei_stuck; /* one per row of the core's stuck table */
static guint *pref_threshold;  /* milliseconds, one per row (rows without a threshold unused) */

/* ---- Formatting ---------------------------------------------------------------------------------- */

/* Seconds with 6 decimals; "-" for none. */
static void
fmt_seconds(char *buf, size_t size, gint64 ns)
{
    if (ns < 0)
        g_strlcpy(buf, "-", size);
    else
        g_snprintf(buf, size, "%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT, ns / 1000000000, (ns / 1000) % 1000000);
}

/* Milliseconds with 3 decimals; "-" for none. */
static void
fmt_ms(char *buf, size_t size, gint64 ns)
{
    if (ns < 0)
        g_strlcpy(buf, "-", size);
    else
        g_snprintf(buf, size, "%" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT, ns / 1000000, (ns / 1000) % 1000);
}

/* The time of the capture's first frame (Wireshark's time origin, frame.time_relative = 0). */
static gint64
origin_ns(const packet_info *pinfo)
{
    nstime_t o;
    nstime_delta(&o, &pinfo->abs_ts, &pinfo->rel_ts);
    return (gint64)o.secs * 1000000000 + o.nsecs;
}

/* A capture time relative to `origin`, "-" when unknown. */
static void
fmt_since(char *buf, size_t size, const tcpstate_lifecycle *l, gint64 abs_ns, gint64 origin)
{
    if (!l->timed || abs_ns < 0)
        g_strlcpy(buf, "-", size);
    else
        fmt_seconds(buf, size, abs_ns - origin);
}

/* The longest time an end spent in `state` (a state one end at most is in, except TIME_WAIT after
 * a simultaneous close); -1 when neither was. */
static gint64
time_in(const tcpstate_lifecycle *l, unsigned state)
{
    gint64 c = l->client.time_in_ns[state], s = l->server.time_in_ns[state];
    return c > s ? c : s;
}

static const char *
closer_name(unsigned closer)
{
    return closer == 1 ? "client" : closer == 2 ? "server" : "none";
}

/* ---- Per-segment fields and the stuck notes ------------------------------------------------------ */

void
tcpstate_conns_draw(tcpstate_engine *engine, proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const tcpstate_result *r)
{
    tcpstate_lifecycle l;
    if (PINFO_FD_VISITED(pinfo))
        tcpstate_engine_finish(engine);
    if (!tcpstate_engine_lifecycle(engine, r->stream, &l))
        return;
    const char *when = PINFO_FD_VISITED(pinfo) ? "final" : "so far";
    gboolean shown = tcpstate_labels_shown(tree);
    gint64 origin = origin_ns(pinfo);
    char since[32], a[32], b[32], c[32];
    const struct { int hf; const char *who; const tcpstate_side_lifecycle *side; } ends[2] = {
        { hf_client_final, "Client", &l.client }, { hf_server_final, "Server", &l.server } };
    for (int i = 0; i < 2; i++) {
        proto_item *ti = tcpstate_generated(proto_tree_add_string(tree, ends[i].hf, tvb, 0, 0,
                                                      tcpstate_state_name(ends[i].side->final_state)));
        if (shown) {
            fmt_since(since, sizeof since, &l, ends[i].side->since_ns, origin);
            proto_item_set_text(ti, "%s at the end: %s since %s s (%s)", ends[i].who,
                                tcpstate_state_name(ends[i].side->final_state), since, when);
        }
    }
    proto_item *ti = tcpstate_generated(proto_tree_add_string(tree, hf_end, tvb, 0, 0, tcpstate_end_name(l.end)));
    if (shown) {
        fmt_ms(a, sizeof a, l.syn_to_synack_ns);
        fmt_ms(b, sizeof b, l.synack_to_ack_ns);
        fmt_ms(c, sizeof c, l.close_ns);
        proto_item_set_text(ti, "Connection end: %s (%s; closed first: %s; handshake %s + %s ms; close %s ms)",
                            tcpstate_end_name(l.end), when, closer_name(l.closed_first), a, b, c);
    }
    /* One item per condition, so that tcpstate.conn.stuck == "close_wait_open" matches whatever else
     * holds (-T fields prints them comma-separated). */
    unsigned n = tcpstate_stuck_count();
    for (unsigned i = 0; i < n && i < 32; i++)
        if (l.stuck & (1u << i))
            tcpstate_generated(proto_tree_add_string(tree, hf_stuck, tvb, 0, 0, tcpstate_stuck_name(i)));
}

/* The note of stuck condition `id` on `l`: what it saw, against which threshold. Ids 0-3 are an end
 * left in a state (stuck table order: close_wait_open, fin_wait_2_open, syn_unanswered,
 * syn_rcvd_open). */
static void
stuck_note(char *buf, size_t size, tcpstate_engine *engine, const tcpstate_lifecycle *l, unsigned id)
{
    static const unsigned held[4] = { TCPSTATE_S_CLOSE_WAIT, TCPSTATE_S_FIN_WAIT_2, TCPSTATE_S_SYN_SENT, TCPSTATE_S_SYN_RCVD };
    char threshold[48], t[32];
    tcpstate_engine_stuck_threshold_text(engine, id, threshold, sizeof threshold);
    if (id < 4) {
        const tcpstate_side_lifecycle *side = l->server.final_state == held[id] ? &l->server : &l->client;
        fmt_seconds(t, sizeof t, l->capture_end_ns - side->since_ns);
        g_snprintf(buf, size, "Stuck: %s: the %s has been in %s for %s s at the end of the capture (%s): %s",
                   tcpstate_stuck_name(id), side == &l->server ? "server" : "client", tcpstate_state_name(held[id]), t,
                   threshold, tcpstate_stuck_summary(id));
    } else {
        g_snprintf(buf, size, "Stuck: %s: %s%s%s%s", tcpstate_stuck_name(id), tcpstate_stuck_summary(id),
                   threshold[0] ? " (" : "", threshold, threshold[0] ? ")" : "");
    }
}

void
tcpstate_conns_draw_notes(tcpstate_engine *engine, proto_item *top, packet_info *pinfo, const tcpstate_result *r)
{
    tcpstate_lifecycle l;
    if (!PINFO_FD_VISITED(pinfo))
        return; /* the last segment is known once the first pass is over */
    tcpstate_engine_finish(engine);
    if (!(r->ws & TCPSTATE_LAST_SEGMENT) || !tcpstate_engine_lifecycle(engine, r->stream, &l) || !l.stuck)
        return;
    unsigned n = tcpstate_stuck_count();
    for (unsigned i = 0; i < n && i < 32; i++) {
        if (!(l.stuck & (1u << i)))
            continue;
        char note[240];
        stuck_note(note, sizeof note, engine, &l, i);
        expert_add_info_format(pinfo, top, &ei_stuck[i], "%s", note);
    }
}

/* ---- Rows: one per connection, shared by -z tcpstate,conns and the GUI table -------------------------- */

typedef struct conn_row {
    guint32 stream;
    char *client, *server; /* "addr:port", "[v6addr]:port" */
} conn_row;

static char *
endpoint_str(const address *addr, guint32 port)
{
    char *a = address_to_str(NULL, addr);
    char *s = addr->type == AT_IPv6 ? g_strdup_printf("[%s]:%u", a, port) : g_strdup_printf("%s:%u", a, port);
    wmem_free(NULL, a);
    return s;
}

static void
free_row(gpointer p)
{
    conn_row *row = (conn_row *)p;
    g_free(row->client);
    g_free(row->server);
    g_free(row);
}

/* The row of r's stream in `rows` (stream -> conn_row), created from this segment's addresses. */
static conn_row *
row_of(GHashTable *rows, packet_info *pinfo, const tcpstate_result *r)
{
    conn_row *row = (conn_row *)g_hash_table_lookup(rows, GUINT_TO_POINTER(r->stream));
    if (row)
        return row;
    const address *src = &pinfo->net_src, *dst = &pinfo->net_dst;
    if (src->type != AT_IPv4 && src->type != AT_IPv6) {
        src = &pinfo->src;
        dst = &pinfo->dst;
    }
    gboolean from_server = (r->flags & TCPSTATE_R_SENDER_SERVER) != 0;
    row = g_new0(conn_row, 1);
    row->stream = r->stream;
    char *s = endpoint_str(src, pinfo->srcport), *d = endpoint_str(dst, pinfo->destport);
    row->client = from_server ? d : s;
    row->server = from_server ? s : d;
    g_hash_table_insert(rows, GUINT_TO_POINTER(r->stream), row);
    return row;
}

/* The columns of a connection's row, as text ("-" for none), in the order of conn_columns. */
enum {
    COL_STREAM, COL_CLIENT, COL_SERVER, COL_CLIENT_STATE, COL_SERVER_STATE, COL_CLIENT_SINCE, COL_SERVER_SINCE,
    COL_CLOSE_WAIT, COL_FIN_WAIT_2, COL_TIME_WAIT, COL_SYN_SYNACK, COL_SYNACK_ACK, COL_CLOSE, COL_CLOSED_FIRST,
    COL_END, COL_STUCK, COL_CLIENT_TIMES, COL_SERVER_TIMES, COL_COUNT
};
static const char *const conn_columns[COL_COUNT] = {
    "stream", "client", "server", "client_state", "server_state", "client_since", "server_since",
    "close_wait", "fin_wait_2", "time_wait", "syn_synack_ms", "synack_ack_ms", "close_ms", "closed_first",
    "end", "stuck", "client_times", "server_times",
};

static void
row_text(char *cells[COL_COUNT], const conn_row *row, const tcpstate_lifecycle *l, gint64 origin)
{
    char buf[512];
    cells[COL_STREAM] = g_strdup_printf("%u", row->stream);
    cells[COL_CLIENT] = g_strdup(row->client);
    cells[COL_SERVER] = g_strdup(row->server);
    cells[COL_CLIENT_STATE] = g_strdup(tcpstate_state_name(l->client.final_state));
    cells[COL_SERVER_STATE] = g_strdup(tcpstate_state_name(l->server.final_state));
    fmt_since(buf, sizeof buf, l, l->client.since_ns, origin);
    cells[COL_CLIENT_SINCE] = g_strdup(buf);
    fmt_since(buf, sizeof buf, l, l->server.since_ns, origin);
    cells[COL_SERVER_SINCE] = g_strdup(buf);
    const unsigned waits[3] = { TCPSTATE_S_CLOSE_WAIT, TCPSTATE_S_FIN_WAIT_2, TCPSTATE_S_TIME_WAIT };
    for (int i = 0; i < 3; i++) {
        fmt_seconds(buf, sizeof buf, l->timed ? time_in(l, waits[i]) : -1);
        cells[COL_CLOSE_WAIT + i] = g_strdup(buf);
    }
    fmt_ms(buf, sizeof buf, l->syn_to_synack_ns);
    cells[COL_SYN_SYNACK] = g_strdup(buf);
    fmt_ms(buf, sizeof buf, l->synack_to_ack_ns);
    cells[COL_SYNACK_ACK] = g_strdup(buf);
    fmt_ms(buf, sizeof buf, l->close_ns);
    cells[COL_CLOSE] = g_strdup(buf);
    cells[COL_CLOSED_FIRST] = g_strdup(closer_name(l->closed_first));
    cells[COL_END] = g_strdup(tcpstate_end_name(l->end));
    tcpstate_stuck_list(l->stuck, buf, sizeof buf);
    cells[COL_STUCK] = g_strdup(buf[0] ? buf : "-");
    for (int side = 0; side < 2; side++) {
        tcpstate_lifecycle_times(l, side, buf, sizeof buf);
        cells[COL_CLIENT_TIMES + side] = g_strdup(buf[0] ? buf : "-");
    }
}

/* ---- -z tcpstate,conns[,filter] and -z tcpstate,states ------------------------------------------ */

typedef struct conns_cli {
    gboolean states; /* -z tcpstate,states */
    char *filter;
    GHashTable *rows;
    gint64 origin;
    gboolean have_origin;
} conns_cli;

static tap_packet_status
conns_cli_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data, tap_flags_t flags _U_)
{
    conns_cli *cli = (conns_cli *)tapdata;
    if (!cli->have_origin) {
        cli->origin = origin_ns(pinfo);
        cli->have_origin = TRUE;
    }
    row_of(cli->rows, pinfo, &((const tcpstate_tap_data *)data)->result);
    return TAP_PACKET_DONT_REDRAW;
}

static gint
by_stream(gconstpointer a, gconstpointer b)
{
    guint32 x = (*(conn_row *const *)a)->stream, y = (*(conn_row *const *)b)->stream;
    return x < y ? -1 : x > y;
}

/* The rows in stream order. */
static GPtrArray *
sorted_rows(GHashTable *rows)
{
    GPtrArray *v = g_ptr_array_new();
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, rows);
    while (g_hash_table_iter_next(&it, &key, &value))
        g_ptr_array_add(v, value);
    g_ptr_array_sort(v, by_stream);
    return v;
}

static const char rule[] =
    "====================================================================================================";

static void
print_header(const conns_cli *cli, tcpstate_engine *engine, const char *title)
{
    char thresholds[512];
    printf("\n%s\n%s\n", rule, title);
    printf("Filter: %s\n", cli->filter ? cli->filter : "none");
    printf("Stuck thresholds: %s\n", tcpstate_engine_stuck_thresholds(engine, thresholds, sizeof thresholds));
}

static void
conns_cli_draw_conns(conns_cli *cli, tcpstate_engine *engine, GPtrArray *v)
{
    print_header(cli, engine, "TCP State connections (tcpstate,conns): one row per connection, final values");
    printf("Times: *_since in seconds since the first frame; close_wait, fin_wait_2, time_wait in seconds "
           "(the longest an end spent in that state, up to the end of the capture); *_ms in milliseconds; "
           "*_times: seconds in each state, + = still in it at the end; - = none\n");
    char ***cells = g_new0(char **, v->len);
    size_t width[COL_COUNT];
    for (int c = 0; c < COL_COUNT; c++)
        width[c] = strlen(conn_columns[c]);
    for (guint i = 0; i < v->len; i++) {
        const conn_row *row = (const conn_row *)g_ptr_array_index(v, i);
        tcpstate_lifecycle l;
        if (!tcpstate_engine_lifecycle(engine, row->stream, &l))
            continue;
        cells[i] = g_new0(char *, COL_COUNT);
        row_text(cells[i], row, &l, cli->origin);
        for (int c = 0; c < COL_COUNT; c++)
            if (strlen(cells[i][c]) > width[c])
                width[c] = strlen(cells[i][c]);
    }
    /* Columns apart by two spaces, values with at most one space in a row ("RST by client"): a
     * reader splits a line at runs of two or more spaces (scripts/annotate does). */
    for (int c = 0; c < COL_COUNT; c++)
        printf("%-*s%s", c + 1 < COL_COUNT ? (int)width[c] : 0, conn_columns[c], c + 1 < COL_COUNT ? "  " : "\n");
    for (guint i = 0; i < v->len; i++) {
        if (!cells[i])
            continue;
        for (int c = 0; c < COL_COUNT; c++) {
            printf("%-*s%s", c + 1 < COL_COUNT ? (int)width[c] : 0, cells[i][c], c + 1 < COL_COUNT ? "  " : "\n");
            g_free(cells[i][c]);
        }
        g_free(cells[i]);
    }
    g_free(cells);
    printf("%s\n", rule);
}

static void
conns_cli_draw_states(conns_cli *cli, tcpstate_engine *engine, GPtrArray *v)
{
    guint count[TCPSTATE_S_COUNT][2];
    guint ends[4] = { 0, 0, 0, 0 };
    guint stuck[32];
    memset(count, 0, sizeof count);
    memset(stuck, 0, sizeof stuck);
    guint conns = 0;
    for (guint i = 0; i < v->len; i++) {
        tcpstate_lifecycle l;
        if (!tcpstate_engine_lifecycle(engine, ((const conn_row *)g_ptr_array_index(v, i))->stream, &l))
            continue;
        conns++;
        count[l.client.final_state % TCPSTATE_S_COUNT][0]++;
        count[l.server.final_state % TCPSTATE_S_COUNT][1]++;
        ends[l.end & 3]++;
        for (unsigned s = 0; s < tcpstate_stuck_count() && s < 32; s++)
            if (l.stuck & (1u << s))
                stuck[s]++;
    }
    print_header(cli, engine, "TCP State final states (tcpstate,states): each end's state after its connection's last segment");
    printf("%-12s  %8s  %8s  %8s\n", "state", "client", "server", "total");
    for (unsigned s = 0; s < TCPSTATE_S_COUNT; s++)
        if (count[s][0] || count[s][1])
            printf("%-12s  %8u  %8u  %8u\n", tcpstate_state_name(s), count[s][0], count[s][1], count[s][0] + count[s][1]);
    printf("connections: %u (ended by FIN %u, RST by client %u, RST by server %u, open %u)\n", conns,
           ends[TCPSTATE_END_FIN], ends[TCPSTATE_END_RST_CLIENT], ends[TCPSTATE_END_RST_SERVER], ends[TCPSTATE_END_OPEN]);
    printf("stuck:");
    for (unsigned s = 0; s < tcpstate_stuck_count() && s < 32; s++)
        printf(" %s %u%s", tcpstate_stuck_name(s), stuck[s], s + 1 < tcpstate_stuck_count() ? "," : "\n");
    printf("%s\n", rule);
}

static void
conns_cli_draw(void *tapdata)
{
    conns_cli *cli = (conns_cli *)tapdata;
    tcpstate_engine *engine = tcpstate_current_engine();
    if (!engine) {
        printf("\n%s\ntcpstate: no capture analysed\n%s\n", rule, rule);
        return;
    }
    tcpstate_engine_finish(engine);
    GPtrArray *v = sorted_rows(cli->rows);
    if (cli->states)
        conns_cli_draw_states(cli, engine, v);
    else
        conns_cli_draw_conns(cli, engine, v);
    g_ptr_array_free(v, TRUE);
}

static void
conns_cli_reset(void *tapdata)
{
    conns_cli *cli = (conns_cli *)tapdata;
    g_hash_table_remove_all(cli->rows);
    cli->have_origin = FALSE;
}

static void
conns_cli_finish(void *tapdata)
{
    conns_cli *cli = (conns_cli *)tapdata;
    g_hash_table_destroy(cli->rows);
    g_free(cli->filter);
    g_free(cli);
}

static tcpstate_stat_init_result
conns_cli_init(const char *opt_arg, void *userdata _U_)
{
    conns_cli *cli = g_new0(conns_cli, 1);
    cli->states = g_str_has_prefix(opt_arg, "tcpstate,states");
    const char *prefix = cli->states ? "tcpstate,states," : "tcpstate,conns,";
    if (g_str_has_prefix(opt_arg, prefix) && opt_arg[strlen(prefix)])
        cli->filter = g_strdup(opt_arg + strlen(prefix));
    cli->rows = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_row);
    GString *err = register_tap_listener("tcpstate", cli, cli->filter, 0, conns_cli_reset, conns_cli_packet,
                                         conns_cli_draw, conns_cli_finish);
    if (err) {
        fprintf(stderr, "tcpstate: -z %s: %s\n", opt_arg, err->str);
        g_string_free(err, TRUE);
        conns_cli_finish(cli);
        TCPSTATE_STAT_INIT_RETURN(FALSE);
    }
    TCPSTATE_STAT_INIT_RETURN(TRUE);
}

static stat_tap_ui conns_cli_ui = { REGISTER_STAT_GROUP_GENERIC, "TCP State connections", "tcpstate,conns",
                                    conns_cli_init, 0, NULL };
static stat_tap_ui states_cli_ui = { REGISTER_STAT_GROUP_GENERIC, "TCP State final states", "tcpstate,states",
                                     conns_cli_init, 0, NULL };

/* ---- The GUI table: Statistics > TCP State > Connections -------------------------------------------- */
/* A stat-tap table. Wireshark's dialog retaps the capture when it opens and when its display filter
 * is applied; rows are filled from tap data queued after the first pass only (the records are final
 * then), so the table is empty in a tshark one-pass run of its generic printer (-z
 * tcpstate,connections needs -2; the tshark table is -z tcpstate,conns). A row is written when its
 * connection first shows and again on its last segment. Numbers are columns of their own so that
 * they sort as numbers; 0 where a time does not apply (never in that state, no handshake seen). */

enum {
    GT_STREAM, GT_CLIENT, GT_SERVER, GT_CLIENT_STATE, GT_SERVER_STATE, GT_STUCK, GT_END, GT_CLOSED_FIRST,
    GT_CLIENT_SINCE, GT_SERVER_SINCE, GT_CLOSE_WAIT, GT_FIN_WAIT_2, GT_TIME_WAIT, GT_SYN_SYNACK, GT_SYNACK_ACK,
    GT_CLOSE, GT_CLIENT_TIMES, GT_SERVER_TIMES, GT_COUNT
};
/* The stuck conditions and the end come early: the columns a reader scans first. */
static stat_tap_table_item gui_fields[GT_COUNT] = {
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Stream", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Client", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Server", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Client state", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Server state", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Stuck", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "End", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Closed first", "%s" },
    { TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "Client since (s)", "%.6f" },
    { TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "Server since (s)", "%.6f" },
    { TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "CLOSE_WAIT (s)", "%.6f" },
    { TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "FIN_WAIT_2 (s)", "%.6f" },
    { TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "TIME_WAIT (s)", "%.6f" },
    { TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "SYN>SYN-ACK (ms)", "%.3f" },
    { TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "SYN-ACK>ACK (ms)", "%.3f" },
    { TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "Close (ms)", "%.3f" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Client time in states (s)", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Server time in states (s)", "%s" },
};
static GHashTable *gui_row_of; /* stream -> row index + 1 in the one table */

static void
gui_init(stat_tap_table_ui *ui)
{
    stat_tap_table *table = stat_tap_find_table(ui, "Connections");
    if (!table) {
        table = stat_tap_init_table("Connections", GT_COUNT, 0, "tcpstate.stream == %d");
        stat_tap_add_table(ui, table);
    }
    if (!gui_row_of)
        gui_row_of = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_remove_all(gui_row_of);
}

static double
seconds_or_zero(gint64 ns)
{
    return ns < 0 ? 0.0 : (double)ns / 1e9;
}

static void
gui_set(stat_tap_table *table, guint row, guint col, stat_tap_table_item_type *item)
{
    stat_tap_table_item_type *old = stat_tap_get_field_data(table, row, col);
    if (old->type == TABLE_ITEM_STRING)
        g_free((char *)old->value.string_value);
    stat_tap_set_field_data(table, row, col, item);
}

static tap_packet_status
gui_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data, tap_flags_t flags _U_)
{
    stat_data_t *sd = (stat_data_t *)tapdata;
    const tcpstate_tap_data *td = (const tcpstate_tap_data *)data;
    const tcpstate_result *r = &td->result;
    tcpstate_engine *engine = tcpstate_current_engine();
    if (td->first_pass || !engine || sd->stat_tap_data->tables->len == 0)
        return TAP_PACKET_DONT_REDRAW;
    stat_tap_table *table = g_array_index(sd->stat_tap_data->tables, stat_tap_table *, 0);
    tcpstate_engine_finish(engine);
    tcpstate_lifecycle l;
    if (!tcpstate_engine_lifecycle(engine, r->stream, &l))
        return TAP_PACKET_DONT_REDRAW;
    guint row = GPOINTER_TO_UINT(g_hash_table_lookup(gui_row_of, GUINT_TO_POINTER(r->stream)));
    if (row != 0 && !(r->ws & TCPSTATE_LAST_SEGMENT))
        return TAP_PACKET_DONT_REDRAW; /* filled already; refreshed on the connection's last segment */
    if (row == 0) {
        stat_tap_table_item_type items[GT_COUNT];
        memset(items, 0, sizeof items);
        for (int c = 0; c < GT_COUNT; c++) {
            items[c].type = gui_fields[c].type;
            if (items[c].type == TABLE_ITEM_STRING)
                items[c].value.string_value = g_strdup("");
        }
        row = table->num_elements + 1;
        stat_tap_init_table_row(table, row - 1, GT_COUNT, items);
        g_hash_table_insert(gui_row_of, GUINT_TO_POINTER(r->stream), GUINT_TO_POINTER(row));
    }
    GHashTable *rows = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_row);
    char *cells[COL_COUNT];
    row_text(cells, row_of(rows, pinfo, r), &l, origin_ns(pinfo));
    g_hash_table_destroy(rows);
    stat_tap_table_item_type item;
    for (int c = 0; c < GT_COUNT; c++) {
        memset(&item, 0, sizeof item);
        item.type = gui_fields[c].type;
        switch (c) {
        case GT_STREAM: item.value.uint_value = r->stream; break;
        case GT_CLIENT_SINCE: item.value.float_value = l.timed ? seconds_or_zero(l.client.since_ns - origin_ns(pinfo)) : 0; break;
        case GT_SERVER_SINCE: item.value.float_value = l.timed ? seconds_or_zero(l.server.since_ns - origin_ns(pinfo)) : 0; break;
        case GT_CLOSE_WAIT: item.value.float_value = l.timed ? seconds_or_zero(time_in(&l, TCPSTATE_S_CLOSE_WAIT)) : 0; break;
        case GT_FIN_WAIT_2: item.value.float_value = l.timed ? seconds_or_zero(time_in(&l, TCPSTATE_S_FIN_WAIT_2)) : 0; break;
        case GT_TIME_WAIT: item.value.float_value = l.timed ? seconds_or_zero(time_in(&l, TCPSTATE_S_TIME_WAIT)) : 0; break;
        case GT_SYN_SYNACK: item.value.float_value = l.syn_to_synack_ns < 0 ? 0 : (double)l.syn_to_synack_ns / 1e6; break;
        case GT_SYNACK_ACK: item.value.float_value = l.synack_to_ack_ns < 0 ? 0 : (double)l.synack_to_ack_ns / 1e6; break;
        case GT_CLOSE: item.value.float_value = l.close_ns < 0 ? 0 : (double)l.close_ns / 1e6; break;
        default: {
            /* the text columns are those of -z tcpstate,conns, in the same order */
            int col = c == GT_CLIENT ? COL_CLIENT : c == GT_SERVER ? COL_SERVER : c == GT_CLIENT_STATE ? COL_CLIENT_STATE
                    : c == GT_SERVER_STATE ? COL_SERVER_STATE : c == GT_CLOSED_FIRST ? COL_CLOSED_FIRST
                    : c == GT_END ? COL_END : c == GT_STUCK ? COL_STUCK : c == GT_CLIENT_TIMES ? COL_CLIENT_TIMES
                    : COL_SERVER_TIMES;
            item.value.string_value = g_strdup(strcmp(cells[col], "-") ? cells[col] : "");
            break;
        }
        }
        gui_set(table, row - 1, c, &item);
    }
    for (int c = 0; c < COL_COUNT; c++)
        g_free(cells[c]);
    return TAP_PACKET_REDRAW;
}

static void
gui_reset(stat_tap_table *table)
{
    /* Every row goes: the retap that follows adds those its filter selects. */
    for (guint row = 0; row < table->num_elements; row++) {
        for (guint c = 0; c < table->num_fields; c++) {
            stat_tap_table_item_type *item = stat_tap_get_field_data(table, row, c);
            if (item->type == TABLE_ITEM_STRING)
                g_free((char *)item->value.string_value);
        }
        g_free(table->elements[row]);
    }
    g_free(table->elements);
    table->elements = NULL;
    table->num_elements = 0;
    if (gui_row_of)
        g_hash_table_remove_all(gui_row_of);
}

static void
gui_free_item(stat_tap_table *table _U_, guint row _U_, guint column _U_, stat_tap_table_item_type *item)
{
    if (item->type == TABLE_ITEM_STRING) {
        g_free((char *)item->value.string_value);
        item->value.string_value = NULL;
    }
}

static tap_param gui_params[] = { { PARAM_FILTER, "filter", "Filter", NULL, TRUE } };

static stat_tap_table_ui gui_table = {
    .group = REGISTER_STAT_GROUP_GENERIC,
    .title = "TCP State Connections",
    .tap_name = "tcpstate",
    .cli_string = "tcpstate,connections",
    .stat_tap_init_cb = gui_init,
    .packet_func = gui_packet,
    .stat_tap_reset_table_cb = gui_reset,
    .stat_tap_free_table_item_cb = gui_free_item,
    .nfields = sizeof gui_fields / sizeof gui_fields[0],
    .fields = gui_fields,
    .nparams = sizeof gui_params / sizeof gui_params[0],
    .params = gui_params,
};

/* ---- Registration --------------------------------------------------------------------------------- */

void
tcpstate_conns_configure(tcpstate_engine *engine)
{
    unsigned n = tcpstate_stuck_count();
    for (unsigned i = 0; i < n; i++)
        if (tcpstate_stuck_threshold_kind(i) != TCPSTATE_THRESHOLD_NONE)
            tcpstate_engine_set_stuck_threshold(engine, i, pref_threshold[i]);
}

void
tcpstate_conns_register(module_t *prefs)
{
    static hf_register_info hf[] = {
        { &hf_client_final, { "Client at the end", "tcpstate.conn.client.final", FT_STRING, BASE_NONE, NULL, 0x0,
            "The client's state after the connection's last segment: so far in tshark one-pass output, final with -2 and in the GUI", HFILL } },
        { &hf_server_final, { "Server at the end", "tcpstate.conn.server.final", FT_STRING, BASE_NONE, NULL, 0x0,
            "The server's state after the connection's last segment: so far in tshark one-pass output, final with -2 and in the GUI", HFILL } },
        { &hf_end, { "Connection end", "tcpstate.conn.end", FT_STRING, BASE_NONE, NULL, 0x0,
            "How the connection ended: FIN, RST by client, RST by server, or open (so far / final as tcpstate.conn.client.final)", HFILL } },
        { &hf_stuck, { "Stuck", "tcpstate.conn.stuck", FT_STRING, BASE_NONE, NULL, 0x0,
            "A stuck condition of the connection (close_wait_open fin_wait_2_open syn_unanswered syn_rcvd_open "
            "half_open_data time_wait_reuse), one item each, present only when one holds; final with -2 and in the GUI", HFILL } },
    };
    proto_register_field_array(proto_tcpstate, hf, array_length(hf));

    /* One note per row of the core's stuck table: tcpstate.conn.stuck.<id>. Kept for the process
     * lifetime, as Wireshark requires. */
    unsigned n = tcpstate_stuck_count();
    ei_stuck = g_new0(expert_field, n);
    ei_register_info *ei = g_new0(ei_register_info, n);
    pref_threshold = g_new0(guint, n);
    for (unsigned i = 0; i < n; i++) {
        ei_stuck[i].ei = EI_INIT_EI;
        ei_stuck[i].hf = EI_INIT_HF;
        ei[i].ids = &ei_stuck[i];
        ei[i].eiinfo.name = g_strdup_printf("tcpstate.conn.stuck.%s", tcpstate_stuck_name(i));
        ei[i].eiinfo.group = PI_SEQUENCE;
        ei[i].eiinfo.severity = PI_NOTE;
        ei[i].eiinfo.summary = g_strdup_printf("Stuck connection (%s): %s", tcpstate_stuck_name(i), tcpstate_stuck_summary(i));
        ei[i].eiinfo.hf_info.hfinfo.type = FT_NONE;
        ei[i].eiinfo.hf_info.hfinfo.display = BASE_NONE;
        ei[i].eiinfo.hf_info.hfinfo.id = -1;
        ei[i].eiinfo.hf_info.hfinfo.ref_type = HF_REF_TYPE_NONE;
        ei[i].eiinfo.hf_info.hfinfo.same_name_prev_id = -1;

        int kind = tcpstate_stuck_threshold_kind(i);
        pref_threshold[i] = tcpstate_stuck_default_ms(i);
        if (kind == TCPSTATE_THRESHOLD_NONE)
            continue;
        prefs_register_uint_preference(prefs, g_strdup_printf("stuck.%s", tcpstate_stuck_name(i)),
            g_strdup_printf("Stuck %s: %s (ms)", tcpstate_stuck_name(i), kind == TCPSTATE_THRESHOLD_BELOW ? "sooner than" : "at least"),
            g_strdup_printf("Threshold of %s, milliseconds (default %u): %s", tcpstate_stuck_name(i),
                            tcpstate_stuck_default_ms(i), tcpstate_stuck_rule(i)),
            10, &pref_threshold[i]);
    }
    expert_register_field_array(expert_register_protocol(proto_tcpstate), ei, n);
}

/* Statistics > TCP State > Connections: Wireshark puts a stat-tap table in the flat list of the
 * Statistics menu (by its title) and makes submenus only for statistics trees. The plugin
 * interface's menu gives the submenu; its entry asks for the table the way "-z" does (the GUI opens
 * the dialog of any registered "-z" string; tshark never shows the menu). */
static void
open_connections(ext_menubar_gui_type gui_type _U_, gpointer gui_object _U_, gpointer user_data)
{
    if (process_stat_cmd_arg((const char *)user_data))
        start_requested_stats();
}

void
tcpstate_conns_handoff(void)
{
    ext_menu_t *menu = ext_menubar_register_menu(proto_tcpstate, "TCP State", TRUE);
    ext_menubar_set_parentmenu(menu, "Statistics");
    ext_menubar_add_entry(menu, "Connections", "One row per connection: final states, time in CLOSE_WAIT, "
                          "FIN_WAIT_2, TIME_WAIT, handshake and close times, stuck conditions",
                          open_connections, (gpointer) "tcpstate,connections");
    register_stat_tap_ui(&conns_cli_ui, NULL);
    register_stat_tap_ui(&states_cli_ui, NULL);
    register_stat_tap_table_ui(&gui_table);
}
