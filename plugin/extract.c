/* tcpstate: field extraction. Reads one frame's TCP layers (the few wanted fields locate each
 * header; everything else is read from the header bytes) into tcpstate_segment values for the core.
 * Runs on the first pass only (register.c). Every tvb access is bounded by what was captured, so
 * nothing here can throw. */
#include "ws_compat.h"

#include <string.h>

#include <epan/packet.h>

#include "tcpstate_core.h"
#include "tcpstate_plugin.h"


/* ---- Field extraction ------------------------------------------------------------------------
 * Few wanted fields: Wireshark primes every wanted field on every frame, even with tcpstate
 * disabled (docs/performance.md, P2). tcp.stream and tcp.srcport locate each TCP layer's header in
 * its data source; tcp.seq_raw marks a real TCP layer (an ICMP error quoting a TCP header gets no
 * tcp.seq_raw); tcp.len needs the IP layer. Everything else is read from the header bytes. The
 * three tls.* fields tell decrypted application data from other decrypted records (below); they
 * exist only in TLS frames. */
enum wanted_field { W_STREAM, W_SRCPORT, W_SEQ, W_LEN, W_TLS_HANDSHAKE, W_TLS_ALERT, W_TLS_HEARTBEAT, W_COUNT };
static const char *const wanted_names[W_COUNT] = {
    "tcp.stream", "tcp.srcport", "tcp.seq_raw", "tcp.len",
    "tls.handshake", "tls.alert_message", "tls.heartbeat_message", /* see decrypted_records() */
};
static int wanted_ids[W_COUNT];
static int proto_tls = -1; /* decrypted records are looked for only in frames holding TLS */

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
/* ---- Decrypted TLS records ---------------------------------------------------------------------
 * Wireshark's TLS dissector adds every record it decrypted to the frame's data sources, named
 * "Decrypted TLS", in record order, and then dissects the plaintext from that tvb (packet-tls.c,
 * dissect_ssl3_record): a handshake message puts tls.handshake on it, an alert tls.alert_message,
 * a heartbeat tls.heartbeat_message; application data is handed to the next protocol (HTTP). So a
 * "Decrypted TLS" tvb that carries none of the three holds application data. Records are decrypted
 * on the first pass and their plaintext kept (file scope); every later pass adds the same data
 * sources again from it. tcpstate reads them on the first pass only, like everything else. */

/* The content type of the decrypted record in `tvb`: what the TLS dissector found in it. */
static guint8
decrypted_type(GPtrArray *arr[W_COUNT], tvbuff_t *tvb)
{
    static const struct { enum wanted_field field; guint8 type; } kinds[] = {
        { W_TLS_HANDSHAKE, 22 }, { W_TLS_ALERT, 21 }, { W_TLS_HEARTBEAT, 24 },
    };
    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
        GPtrArray *a = arr[kinds[k].field];
        for (guint i = 0; a && i < a->len; i++)
            if (((field_info *)g_ptr_array_index(a, i))->ds_tvb == tvb)
                return kinds[k].type;
    }
    return 23; /* application_data */
}

/* The frame's decrypted TLS records, in order, in pinfo->pool (nothing to free; *count 0: none). */
static tcpstate_tls_record *
decrypted_records(GPtrArray *arr[W_COUNT], packet_info *pinfo, size_t *count)
{
    static const char kName[] = "Decrypted TLS (";
    *count = 0;
    if (!pinfo->data_src || !pinfo->data_src->next)
        return NULL; /* only the frame itself */
    gboolean tls = FALSE;
    for (wmem_list_frame_t *f = proto_tls > 0 ? wmem_list_head(pinfo->layers) : NULL; f && !tls; f = wmem_list_frame_next(f))
        tls = GPOINTER_TO_INT(wmem_list_frame_data(f)) == proto_tls;
    if (!tls)
        return NULL;
    tcpstate_tls_record *records = NULL;
    size_t n = 0, room = 0;
    for (GSList *l = pinfo->data_src; l; l = l->next) {
        const struct data_source *src = (const struct data_source *)l->data;
        char *label = TCPSTATE_DATA_SOURCE_LABEL(src);
        gboolean decrypted = label && strncmp(label, kName, sizeof kName - 1) == 0;
        wmem_free(NULL, label);
        if (!decrypted)
            continue;
        tvbuff_t *tvb = get_data_source_tvb(src);
        guint len = tvb_captured_length(tvb);
        if (n == room) {
            room = room ? 2 * room : 8;
            records = (tcpstate_tls_record *)wmem_realloc(pinfo->pool, records, room * sizeof *records);
        }
        records[n].data = len ? tvb_get_ptr(tvb, 0, (gint)len) : NULL;
        records[n].len = len;
        records[n].content_type = decrypted_type(arr, tvb);
        n++;
    }
    *count = n;
    return records;
}

void
tcpstate_extract_frame(tcpstate_engine *engine, packet_info *pinfo, proto_tree *tree)
{
    GPtrArray *arr[W_COUNT];
    for (int w = 0; w < W_COUNT; w++)
        arr[w] = wanted_ids[w] > 0 ? proto_get_finfo_ptr_array(tree, wanted_ids[w]) : NULL;
    if (!arr[W_STREAM] || arr[W_STREAM]->len == 0)
        return; /* no TCP */

    /* Decrypted records belong to the innermost TCP layer (TLS over a tunnel's TCP). */
    size_t n_records = 0;
    tcpstate_tls_record *records = decrypted_records(arr, pinfo, &n_records);
    guint last = arr[W_STREAM]->len - 1;

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
        seg.time_ns = (gint64)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
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
        if (layer == last)
            tcpstate_engine_process_decrypted(engine, &seg, layer, records, n_records, &ignored);
        else
            tcpstate_engine_process(engine, &seg, layer, &ignored);
    }
}

void
tcpstate_extract_handoff(dissector_handle_t handle)
{
    GArray *wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    for (int w = 0; w < W_COUNT; w++) {
        wanted_ids[w] = proto_registrar_get_id_byname(wanted_names[w]);
        if (wanted_ids[w] > 0)
            g_array_append_val(wanted, wanted_ids[w]);
    }
    set_postdissector_wanted_hfids(handle, wanted);
    proto_tls = proto_get_id_by_filter_name("tls");
}
