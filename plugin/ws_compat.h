/* The differences between the Wireshark releases tcpstate builds against (4.0, 4.4, 4.6), in one
 * place. Everything else in plugin/ is written once. */
#ifndef TCPSTATE_WS_COMPAT_H
#define TCPSTATE_WS_COMPAT_H

#include <wireshark.h>
#include <epan/ftypes/ftypes.h>
#include <epan/proto.h>

#if !defined(WIRESHARK_VERSION_MAJOR)
#include <ws_version.h>
#endif

#define TCPSTATE_WS_AT_LEAST(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* Built and tested against 4.0, 4.4 and 4.6 by scripts/test-matrix (docs/releases.md). */
#if !TCPSTATE_WS_AT_LEAST(4, 0)
#error "tcpstate needs Wireshark 4.0 or later"
#endif

/* field_info's value: embedded in 4.0, a pointer from 4.2 on. */
#if TCPSTATE_WS_AT_LEAST(4, 2)
#define TCPSTATE_FI_VALUE(fi) ((fi)->value)
#else
#define TCPSTATE_FI_VALUE(fi) (&(fi)->value)
#endif

/* Boolean preferences: gboolean in 4.0, bool later. */
#if TCPSTATE_WS_AT_LEAST(4, 2)
typedef bool tcpstate_pref_bool;
#else
typedef gboolean tcpstate_pref_bool;
#endif

/* A data source's label, "Name (N bytes)", allocated for the caller (wmem_free(NULL, ...)):
 * get_data_source_name() up to 4.4, get_data_source_description() from 4.6 on. */
#if TCPSTATE_WS_AT_LEAST(4, 5)
#define TCPSTATE_DATA_SOURCE_LABEL(src) get_data_source_description(src)
#else
#define TCPSTATE_DATA_SOURCE_LABEL(src) get_data_source_name(src)
#endif

/* The init callback of a -z statistic (stat_tap_ui.tap_init_cb) returns whether it started from 4.6
 * on, nothing before. */
#if TCPSTATE_WS_AT_LEAST(4, 6)
typedef bool tcpstate_stat_init_result;
#define TCPSTATE_STAT_INIT_RETURN(ok) return (ok)
#else
typedef void tcpstate_stat_init_result;
#define TCPSTATE_STAT_INIT_RETURN(ok) return
#endif

/* 4.4 and later look for plugin_describe(). */
#if TCPSTATE_WS_AT_LEAST(4, 4)
#include <wsutil/plugins.h>
#define TCPSTATE_HAVE_PLUGIN_DESCRIBE 1
#endif

#endif
