/* The plugin entry points Wireshark's loader looks for. Kept in C: in C++ a namespace-scope const
 * would have internal linkage and silently not be exported (see WIRESHARK-NOTES.md). */
#include "ws_compat.h"

#include <epan/packet.h>

#include "tcpstate_plugin.h"

#ifndef TCPSTATE_VERSION
#define TCPSTATE_VERSION "0.0.0"
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = TCPSTATE_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);
#ifdef TCPSTATE_HAVE_PLUGIN_DESCRIBE
WS_DLL_PUBLIC uint32_t plugin_describe(void);
uint32_t plugin_describe(void) { return WS_PLUGIN_DESC_DISSECTOR; }
#endif

void plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = tcpstate_register_protoinfo;
    plug.register_handoff = tcpstate_register_handoff;
    proto_register_plugin(&plug);
}
