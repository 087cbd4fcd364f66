/* The sequence-analysis (Flow Graph) API of Wireshark, as far as plugin/flow.c uses it.
 *
 * Debian's wireshark-dev installs no epan/sequence_analysis.h (4.0, 4.4 and 4.6), but libwireshark
 * exports its functions. The two structs are declared here, per release, and pinned with
 * static_asserts (x86-64 offsets; ../shared/FLOW-GRAPH-NOTES.md):
 *   4.0  from the 4.0 source; checked in the 4.0.17 binary (sequence_analysis_create_sai_with_addresses
 *        allocates 0x90, sequence_analysis_use_color_filter writes 0x64/0x68/0x6c, the ASCII dump
 *        reads conv_num at 0x60 and display at 0x70);
 *   4.4  read from the 4.4.19 binary: allocates 0x88, has_color_filter a bool at 0x6c, display a
 *        bool at 0x6d;
 *   4.6  read from the 4.6.9 binary: as 4.4 plus a function pointer at 0x88, size 0x90.
 * The fields after line_style are never written by tcpstate (they stay zero, as g_malloc0 left them).
 * Other releases (4.2, later than 4.6) are not checked: TCPSTATE_HAVE_FLOW stays undefined and
 * flow.c registers nothing. scripts/test-matrix proves the three layouts (tests/flow/). */
#ifndef TCPSTATE_FLOW_COMPAT_H
#define TCPSTATE_FLOW_COMPAT_H

#include "ws_compat.h"

#include <stddef.h>

#include <epan/address.h>
#include <epan/packet_info.h>
#include <epan/tap.h>

#if (WIRESHARK_VERSION_MAJOR == 4 && (WIRESHARK_VERSION_MINOR == 0 || WIRESHARK_VERSION_MINOR == 4 || \
                                      WIRESHARK_VERSION_MINOR == 6)) && defined(__x86_64__)
#define TCPSTATE_HAVE_FLOW 1

#if TCPSTATE_WS_AT_LEAST(4, 4)
typedef bool tcpstate_sai_bool;
#else
typedef gboolean tcpstate_sai_bool;
#endif

/* seq_analysis_item_t */
typedef struct _seq_analysis_item {
    guint32 frame_number;
    address src_addr;
    guint16 port_src;
    address dst_addr;
    guint16 port_dst;
    gchar *frame_label;   /* above the arrow; g_free'd by Wireshark */
    gchar *time_str;      /* set by sequence_analysis_create_sai_with_addresses */
    gchar *comment;       /* right of the graph; g_free'd by Wireshark */
    guint16 conv_num;
    unsigned fg_color;
    unsigned bg_color;
    tcpstate_sai_bool has_color_filter;
    tcpstate_sai_bool display;
    guint src_node;
    guint dst_node;
    guint16 line_style;
    int info_type;        /* ga_info_type_t */
    gpointer info_ptr;
#if TCPSTATE_WS_AT_LEAST(4, 6)
    void (*free_info)(void *);
#endif
} seq_analysis_item_t;

/* seq_analysis_info_t: only `items` is used; the rest stays opaque. */
typedef struct _seq_analysis_info {
    const char *name;
    guint8 opaque_0x08[8];  /* all_packets, any_addr (int in 4.0, bools later), ... */
    GQueue *items;
} seq_analysis_info_t;

_Static_assert(offsetof(seq_analysis_item_t, port_src) == 0x20, "seq_analysis_item_t.port_src");
_Static_assert(offsetof(seq_analysis_item_t, frame_label) == 0x48, "seq_analysis_item_t.frame_label");
_Static_assert(offsetof(seq_analysis_item_t, comment) == 0x58, "seq_analysis_item_t.comment");
_Static_assert(offsetof(seq_analysis_item_t, conv_num) == 0x60, "seq_analysis_item_t.conv_num");
_Static_assert(offsetof(seq_analysis_item_t, bg_color) == 0x68, "seq_analysis_item_t.bg_color");
_Static_assert(offsetof(seq_analysis_item_t, has_color_filter) == 0x6c, "seq_analysis_item_t.has_color_filter");
_Static_assert(offsetof(seq_analysis_info_t, items) == 0x10, "seq_analysis_info_t.items");
#if TCPSTATE_WS_AT_LEAST(4, 6)
_Static_assert(offsetof(seq_analysis_item_t, display) == 0x6d, "4.6: seq_analysis_item_t.display");
_Static_assert(offsetof(seq_analysis_item_t, line_style) == 0x78, "4.6: seq_analysis_item_t.line_style");
_Static_assert(offsetof(seq_analysis_item_t, info_ptr) == 0x80, "4.6: seq_analysis_item_t.info_ptr");
_Static_assert(sizeof(seq_analysis_item_t) == 0x90, "4.6: sizeof(seq_analysis_item_t)");
#elif TCPSTATE_WS_AT_LEAST(4, 4)
_Static_assert(offsetof(seq_analysis_item_t, display) == 0x6d, "4.4: seq_analysis_item_t.display");
_Static_assert(offsetof(seq_analysis_item_t, line_style) == 0x78, "4.4: seq_analysis_item_t.line_style");
_Static_assert(offsetof(seq_analysis_item_t, info_ptr) == 0x80, "4.4: seq_analysis_item_t.info_ptr");
_Static_assert(sizeof(seq_analysis_item_t) == 0x88, "4.4: sizeof(seq_analysis_item_t)");
#else
_Static_assert(offsetof(seq_analysis_item_t, display) == 0x70, "4.0: seq_analysis_item_t.display");
_Static_assert(offsetof(seq_analysis_item_t, line_style) == 0x7c, "4.0: seq_analysis_item_t.line_style");
_Static_assert(offsetof(seq_analysis_item_t, info_ptr) == 0x88, "4.0: seq_analysis_item_t.info_ptr");
_Static_assert(sizeof(seq_analysis_item_t) == 0x90, "4.0: sizeof(seq_analysis_item_t)");
#endif

/* Exported by libwireshark (epan/sequence_analysis.h upstream). */
WS_DLL_PUBLIC void register_seq_analysis(const char *name, const char *ui_name, const int proto_id,
                                         const char *tap_listener, guint tap_flags, tap_packet_cb tap_func);
WS_DLL_PUBLIC seq_analysis_item_t *sequence_analysis_create_sai_with_addresses(packet_info *pinfo,
                                                                               seq_analysis_info_t *sainfo);
WS_DLL_PUBLIC void sequence_analysis_use_color_filter(packet_info *pinfo, seq_analysis_item_t *sai);
#endif

#endif
