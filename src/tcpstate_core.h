/* The C ABI of the tcpstate core. The plugin (C) sees only this header: opaque handles, new/free
 * pairs, plain structs. Every function is noexcept on the C++ side and never lets an exception out.
 * No Wireshark type appears here. */
#ifndef TCPSTATE_CORE_H
#define TCPSTATE_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TCP flag bits, as in the TCP header (RFC 9293 3.1) */
enum {
    TCPSTATE_FIN = 0x001, TCPSTATE_SYN = 0x002, TCPSTATE_RST = 0x004, TCPSTATE_PSH = 0x008,
    TCPSTATE_ACK = 0x010, TCPSTATE_URG = 0x020, TCPSTATE_ECE = 0x040, TCPSTATE_CWR = 0x080
};

/* One TCP segment as seen on the wire. */
typedef struct tcpstate_segment {
    uint32_t stream;           /* connection id (Wireshark's tcp.stream) */
    uint32_t frame;            /* frame number, 1-based */
    const uint8_t *src_addr;   /* network source address bytes (4 or 16), may be NULL */
    const uint8_t *dst_addr;
    uint8_t addr_len;
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t seq;              /* raw sequence number */
    uint32_t ack;              /* raw acknowledgment number */
    uint16_t flags;            /* TCPSTATE_* bits */
    uint16_t window;           /* raw window field, unscaled */
    int16_t wscale;            /* window-scale option shift, -1 when absent */
    uint32_t payload_len;      /* TCP payload length (tcp.len) */
    const uint8_t *payload;    /* captured payload bytes, may be NULL */
    uint32_t payload_captured; /* how many payload bytes `payload` holds (<= payload_len) */
    int64_t time_ns;           /* capture time, nanoseconds since the epoch; 0 = unknown */
} tcpstate_segment;

/* States (RFC 9293 3.3.2) plus UNKNOWN */
enum {
    TCPSTATE_S_CLOSED, TCPSTATE_S_LISTEN, TCPSTATE_S_SYN_SENT, TCPSTATE_S_SYN_RCVD,
    TCPSTATE_S_ESTABLISHED, TCPSTATE_S_FIN_WAIT_1, TCPSTATE_S_FIN_WAIT_2, TCPSTATE_S_CLOSE_WAIT,
    TCPSTATE_S_CLOSING, TCPSTATE_S_LAST_ACK, TCPSTATE_S_TIME_WAIT, TCPSTATE_S_UNKNOWN,
    TCPSTATE_S_COUNT
};

/* Result flag bits */
enum {
    TCPSTATE_R_SENDER_SERVER = 0x01,  /* the sender is the server */
    TCPSTATE_R_RETRANSMISSION = 0x02,
    TCPSTATE_R_ACCEPTABLE = 0x04,
    TCPSTATE_R_SEQ_OK = 0x08,
    TCPSTATE_R_ACK_OK = 0x10,
    TCPSTATE_R_MIDSTREAM = 0x20,
    TCPSTATE_R_HAS_SEQ_EXPECTED = 0x40,
    TCPSTATE_R_HAS_ACK_EXPECTED = 0x80
};

/* WebSocket bits of a result */
enum {
    TCPSTATE_WS_UPGRADE_MASK = 0x07,  /* 0 none, 1 request, 2 accepted, 3 rejected, 4 bad-accept */
    TCPSTATE_WS_ACTIVE = 0x08,        /* segment belongs to the WebSocket session */
    TCPSTATE_WS_CLOSE = 0x10,         /* a Close frame completed in this segment (code in ws_close_code) */
    TCPSTATE_LAST_SEGMENT = 0x40,     /* the connection's last segment: set by tcpstate_engine_finish
                                         once the first pass is over (lifecycles, below) */
    TCPSTATE_VALID = 0x80             /* the slot holds a result */
};

/* The annotation of one segment, kept per frame for redraws: 32 bytes. */
typedef struct tcpstate_result {
    uint32_t stream;
    uint32_t seq_expected;
    uint32_t ack_expected;
    uint32_t findings;        /* bit i = finding i of the findings table */
    uint32_t detail_seen;     /* the value the first violation saw (see tcpstate_finding_message) */
    uint32_t detail_bound;    /* the bound it broke */
    uint8_t step;             /* TCPSTATE_STEP_* (low nibble); the sender's state once a peer SYN/FIN
                                 that crossed this segment is processed (high nibble) */
    uint8_t sender_states;    /* before (low nibble), after (high nibble) */
    uint8_t receiver_states;  /* before (low nibble), expected (high nibble) */
    uint8_t flags;            /* TCPSTATE_R_* */
    uint8_t ws;               /* TCPSTATE_WS_*, TCPSTATE_LAST_SEGMENT and TCPSTATE_VALID */
    uint8_t detail_finding;   /* finding id that detail_seen/detail_bound belong to, 0xff none */
    uint16_t ws_close_code;
} tcpstate_result;

enum {
    TCPSTATE_STEP_NONE, TCPSTATE_STEP_SYN, TCPSTATE_STEP_SYN_ACK, TCPSTATE_STEP_HANDSHAKE_ACK,
    TCPSTATE_STEP_FIN1, TCPSTATE_STEP_ACK2, TCPSTATE_STEP_FIN3, TCPSTATE_STEP_FIN_ACK23,
    TCPSTATE_STEP_ACK4, TCPSTATE_STEP_RST, TCPSTATE_STEP_DATA, TCPSTATE_STEP_ACK,
    TCPSTATE_STEP_KEEPALIVE, TCPSTATE_STEP_WINDOW_PROBE, TCPSTATE_STEP_COUNT
};

typedef struct tcpstate_engine tcpstate_engine;

tcpstate_engine *tcpstate_engine_new(void);
void tcpstate_engine_free(tcpstate_engine *engine);

/* Analyse one segment (first pass, in frame order) and keep its result under (frame, layer).
 * Returns 1 and fills *out when annotated, 0 when skipped. */
int tcpstate_engine_process(tcpstate_engine *engine, const tcpstate_segment *segment,
                            uint32_t layer, tcpstate_result *out);
/* One TLS record that Wireshark decrypted (its "Decrypted TLS" data source), as the WebSocket tracker
 * reads it: the HTTP exchange of a TLS connection is in its application_data records. */
typedef struct tcpstate_tls_record {
    const uint8_t *data;   /* the plaintext */
    uint32_t len;
    uint8_t content_type;  /* RFC 8446 5.1 ContentType: 21 alert, 22 handshake, 23 application_data, 24 heartbeat */
} tcpstate_tls_record;

/* tcpstate_engine_process() for a segment that ends TLS records Wireshark decrypted: `records` are
 * those records (records[0..count), in stream order; none is kept after the call). The TCP analysis
 * is the same; the WebSocket tracker reads the HTTP exchange from the application_data records of a
 * connection whose client stream starts with a TLS record, and notes one it cannot read
 * (ws_tls_not_examined). count 0 is tcpstate_engine_process(). */
int tcpstate_engine_process_decrypted(tcpstate_engine *engine, const tcpstate_segment *segment, uint32_t layer,
                                      const tcpstate_tls_record *records, size_t count, tcpstate_result *out);
/* The result kept for (frame, layer) by the first pass. Returns 1 if there is one. */
int tcpstate_engine_lookup(const tcpstate_engine *engine, uint32_t frame, uint32_t layer,
                           tcpstate_result *out);

/* Names */
const char *tcpstate_state_name(unsigned state);          /* "ESTABLISHED", ... */
const char *tcpstate_step_name(unsigned step);            /* "SYN (handshake 1/3)", ... */
const char *tcpstate_step_short(unsigned step);           /* "SYN-ACK 2/3", for the Info column */
const char *tcpstate_step_phase(unsigned step);           /* "handshake", "data", "teardown", "reset" */
unsigned tcpstate_step_handshake_number(unsigned step);   /* 1..3, 0 when not a handshake step */
unsigned tcpstate_step_teardown_number(unsigned step);    /* 1..4, 23 for FIN-ACK 2+3/4, 0 otherwise */
const char *tcpstate_ws_upgrade_name(unsigned upgrade);   /* "", "request", "accepted", ... */

/* Helpers to read a result */
unsigned tcpstate_result_step(const tcpstate_result *r);
unsigned tcpstate_result_sender_before(const tcpstate_result *r);
unsigned tcpstate_result_sender_after(const tcpstate_result *r);
unsigned tcpstate_result_receiver_before(const tcpstate_result *r);
unsigned tcpstate_result_receiver_expected(const tcpstate_result *r);
/* Both sides after the segment: the receiver's expected state, and the sender's state once any
 * crossing SYN/FIN of the peer is processed (docs/model.md, "Crossing segments"). */
unsigned tcpstate_result_client_state(const tcpstate_result *r);
unsigned tcpstate_result_server_state(const tcpstate_result *r);

/* The findings table */
unsigned tcpstate_finding_count(void);
const char *tcpstate_finding_name(unsigned id);     /* stable filter id, e.g. "synack_bad_ack" */
int tcpstate_finding_is_warning(unsigned id);
const char *tcpstate_finding_rule(unsigned id);     /* "RFC 9293 3.10.7.3" */
const char *tcpstate_finding_summary(unsigned id);
/* The message for finding `id` of result `r`: what was expected, what was seen, which rule.
 * Writes at most `size` bytes including the NUL; returns buf. */
char *tcpstate_finding_message(const tcpstate_result *r, unsigned id, char *buf, size_t size);
/* The same, with what only the engine knows added (e.g. the WebSocket head's problem, the expected
 * and seen Sec-WebSocket-Accept of the upgrade attempt whose request or answer is in `frame`, the
 * frame `r` belongs to). */
char *tcpstate_engine_finding_message(const tcpstate_engine *engine, const tcpstate_result *r, uint32_t frame,
                                      unsigned id, char *buf, size_t size);
/* Comma-separated ids of the findings of `r`, in table order. */
char *tcpstate_findings_list(const tcpstate_result *r, char *buf, size_t size);

/* The learner's sentence for `r` (one table in the core, src/explain.cpp): what the step does and
 * why, with the RFC section, e.g. "The client's FIN takes one sequence number, so the server
 * acknowledges 102; ... (RFC 9293 3.6)". Numbers are relative to the ISN, as Wireshark shows them,
 * from what the engine knows of the connection. "" for a result with no step. Writes at most
 * `size` bytes including the NUL; returns buf. */
char *tcpstate_engine_explain(const tcpstate_engine *engine, const tcpstate_result *r, char *buf, size_t size);

/* The WebSocket upgrade attempt of a stream whose request head or answer head completed in `frame`
 * (a connection may try more than once: a refused upgrade, then another request), for display.
 * Strings are owned by the engine, valid until it is freed or the next call. Returns 0 when there is
 * no such attempt. */
typedef struct tcpstate_ws_info {
    const char *key;
    const char *accept_seen;
    const char *accept_expected;
    uint32_t request_frame;
    uint32_t response_frame;
} tcpstate_ws_info;
int tcpstate_engine_ws_info(const tcpstate_engine *engine, uint32_t stream, uint32_t frame, tcpstate_ws_info *out);

/* Per-connection summary in Zeek's terms (conn.log), as of the last segment processed: "so far"
 * during the first pass, final afterwards. Returns 0 for an unknown stream. */
typedef struct tcpstate_conn_info {
    const char *state;          /* Zeek conn_state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH */
    char history[24];           /* Zeek history letters, upper case = client (originator) */
    uint32_t syn_frame;         /* first SYN or SYN-ACK, 0 none */
    uint32_t fin_frame;         /* first FIN, 0 none */
    uint32_t rst_frame;         /* first RST, 0 none */
    uint32_t packets_client, packets_server;
    uint64_t bytes_client, bytes_server;  /* payload bytes, retransmissions not counted */
    int first_closer;           /* 0 none, 1 client, 2 server: the earlier of the first FIN and first RST */
} tcpstate_conn_info;
int tcpstate_engine_conn_info(const tcpstate_engine *engine, uint32_t stream, tcpstate_conn_info *out);

/* ---- Connection lifecycles ("netstat for a capture") ------------------------------------------------
 * Per connection, from each segment's result and its time_ns: when each side entered each state and
 * how long it stayed, handshake and close times, who closed first, how it ended, and the stuck
 * conditions. As of the last segment processed: "so far" during the first pass, final afterwards.
 * Absolute times are nanoseconds since the epoch; durations are nanoseconds; -1 = none / unknown.
 * "The end of the capture" is its last TCP segment. src/lifecycle.hpp explains the precision
 * (microseconds; exact for a connection's first 134 s). */

enum { TCPSTATE_END_OPEN, TCPSTATE_END_FIN, TCPSTATE_END_RST_CLIENT, TCPSTATE_END_RST_SERVER };
enum { TCPSTATE_THRESHOLD_NONE, TCPSTATE_THRESHOLD_AT_LEAST, TCPSTATE_THRESHOLD_BELOW };

typedef struct tcpstate_side_lifecycle {
    unsigned final_state;                 /* TCPSTATE_S_*: after the connection's last segment */
    int64_t since_ns;                     /* when the side entered it */
    int64_t time_in_ns[TCPSTATE_S_COUNT]; /* time spent in each state (summed over visits; the final
                                             one up to the end of the capture); -1 never in it */
    uint8_t order[TCPSTATE_S_COUNT];      /* the states visited, in order of first entry */
    unsigned visited;                     /* entries of `order` used */
} tcpstate_side_lifecycle;

typedef struct tcpstate_lifecycle {
    int timed;                 /* the segments carried capture times */
    int truncated;             /* more state changes than a connection keeps: the times of the
                                  changes between the 8th and the last are not known */
    int64_t first_ns;          /* the connection's first segment */
    int64_t capture_end_ns;    /* the end of the capture (last TCP segment so far) */
    tcpstate_side_lifecycle client, server;
    int64_t syn_to_synack_ns;  /* client's first SYN -> first SYN-ACK it accepted */
    int64_t synack_to_ack_ns;  /* that SYN-ACK -> the handshake ACK (3/3) */
    int64_t close_ns;          /* first FIN -> the segment after which both ends are CLOSED or
                                  TIME_WAIT (the last ACK); -1 unless the connection ended by FINs */
    unsigned closed_first;     /* 0 none, 1 client, 2 server: sender of the first FIN or accepted RST */
    unsigned end;              /* TCPSTATE_END_* */
    unsigned syn_count;        /* bare SYNs sent by the client (3 = three or more) */
    uint32_t stuck;            /* bit i = stuck condition i of the stuck table */
} tcpstate_lifecycle;

/* Streams are 0 .. tcpstate_engine_stream_count() - 1; those with no connection return 0 below. */
uint32_t tcpstate_engine_stream_count(const tcpstate_engine *engine);
int tcpstate_engine_lifecycle(const tcpstate_engine *engine, uint32_t stream, tcpstate_lifecycle *out);
/* Settles what needs the whole capture: time_wait_reuse compares a connection with the previous one
 * on its 4-tuple, and the result of each connection's last segment gets TCPSTATE_LAST_SEGMENT. Call
 * once the first pass is over (drawing a visited frame, a tap's draw); cheap when nothing was
 * processed since the last call, one walk over the stored results otherwise. Before it,
 * time_wait_reuse is not reported and no result has TCPSTATE_LAST_SEGMENT. */
void tcpstate_engine_finish(tcpstate_engine *engine);

const char *tcpstate_end_name(unsigned end);  /* "open", "FIN", "RST by client", "RST by server" */
/* One side's time in each state, in order of first entry, seconds with 6 decimals, "+" on the state
 * it is still in at the end of the capture: "SYN_SENT:0.000045,ESTABLISHED:0.300412,TIME_WAIT:0.1+".
 * CLOSED and LISTEN (no connection) are left out. */
char *tcpstate_lifecycle_times(const tcpstate_lifecycle *l, int server, char *buf, size_t size);

/* The stuck table: id, rule, threshold (milliseconds; a preference of the plugin) */
unsigned tcpstate_stuck_count(void);
const char *tcpstate_stuck_name(unsigned id);      /* stable filter id, e.g. "close_wait_open" */
const char *tcpstate_stuck_summary(unsigned id);   /* a few words */
const char *tcpstate_stuck_rule(unsigned id);      /* the exact rule */
int tcpstate_stuck_threshold_kind(unsigned id);    /* TCPSTATE_THRESHOLD_* */
uint32_t tcpstate_stuck_default_ms(unsigned id);
void tcpstate_engine_set_stuck_threshold(tcpstate_engine *engine, unsigned id, uint32_t ms);
uint32_t tcpstate_engine_stuck_threshold(const tcpstate_engine *engine, unsigned id);
/* Comma-separated ids of `mask`, in table order ("" when none). */
char *tcpstate_stuck_list(uint32_t mask, char *buf, size_t size);
/* The engine's threshold of `id` as text: ">= 1 s", "< 60 s", "" when the row has none. */
char *tcpstate_engine_stuck_threshold_text(const tcpstate_engine *engine, unsigned id, char *buf, size_t size);
/* "close_wait_open >= 1 s, fin_wait_2_open >= 1 s, ..., time_wait_reuse < 60 s", the engine's. */
char *tcpstate_engine_stuck_thresholds(const tcpstate_engine *engine, char *buf, size_t size);

/* Memory the engine holds (bytes), for benchmarks */
size_t tcpstate_engine_memory(const tcpstate_engine *engine);

#ifdef __cplusplus
}
#endif

#endif
