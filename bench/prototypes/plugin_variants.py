# Measurement switches for the plugin cost breakdown of docs/performance.md (made against commit
# c8fe916, updated for the label set once), applied to a COPY of the repository, never to plugin/ itself:
#   python3 bench/prototypes/plugin_variants.py /some/copy, build the copy, then run scripts/tshark with
#   TCPSTATE_BUILD=/some/copy/build and TCPSTATE_VARIANT=1 (analyse, do not draw), 2 (do nothing),
#   3 (do nothing, register no wanted hfids), or TCPSTATE_SKIP bits: 1 the top item's label,
#   2 all fields under the top item, 4 append_info (Info column), 8 draw_conn.
# Count instructions with TCPSTATE_TSHARK set to a script running `valgrind --tool=callgrind tshark "$@"`.
import sys
p = sys.argv[1] + '/plugin/tcpstate_plugin.c'; s = open(p).read()
rep = [
('''    if (!engine)
        return 0;
    if (!PINFO_FD_VISITED(pinfo))
        analyse_frame(pinfo, tree);''', '''    if (!engine)
        return 0;
    static int variant = -1;
    if (variant < 0) { const char *v = getenv("TCPSTATE_VARIANT"); variant = v ? atoi(v) : 0; }
    if (variant >= 2)
        return 0;
    if (!PINFO_FD_VISITED(pinfo))
        analyse_frame(pinfo, tree);
    if (variant == 1)
        return 0;'''),
('''    set_postdissector_wanted_hfids(tcpstate_handle, wanted);''', '''    const char *v = getenv("TCPSTATE_VARIANT");
    if (!v || atoi(v) < 3)
        set_postdissector_wanted_hfids(tcpstate_handle, wanted);'''),
('''/* The full per-segment record''', '''static int skip_bits = -1;
/* The full per-segment record'''),
('''    proto_item_set_text(top, "%s", label);''', '''    if (skip_bits < 0) { const char *v = getenv("TCPSTATE_SKIP"); skip_bits = v ? atoi(v) : 0; }
    if (!(skip_bits & 1)) proto_item_set_text(top, "%s", label);'''),
('''    proto_tree *t = proto_item_add_subtree(top, ett_tcpstate);
''', '''    proto_tree *t = proto_item_add_subtree(top, ett_tcpstate);
    if (skip_bits & 2) return;
'''),
('''    draw_conn(t, tvb, pinfo, r);''', '''    if (!(skip_bits & 8)) draw_conn(t, tvb, pinfo, r);'''),
('''        if (pref_info_summary)
            append_info(pinfo, &r);''', '''        if (pref_info_summary && !(skip_bits & 4))
            append_info(pinfo, &r);'''),
]
for a, b in rep:
    assert a in s, a[:70]
    s = s.replace(a, b, 1)
s = s.replace('#include "ws_compat.h"', '#include "ws_compat.h"\n#include <stdlib.h>', 1)
open(p, 'w').write(s)
