#!/usr/bin/env bash
# The lifecycle's per-segment fields, notes, filters and preferences on the real captures of
# test-captures/lifecycle/ (README.md there gives every expected value and why):
#   - tcpstate.conn.stuck == "close_wait_open" selects every segment of such connections with -2 (the
#     final records) and none in one pass (so far, the leak is 48 ms old at its last segment);
#   - the stuck notes (tcpstate.conn.stuck.<id>) sit on the connection's last segment only, with -2;
#   - tcpstate.conn.client.final / .server.final / .end: final with -2, so far in one pass;
#   - -z tcpstate,conns,FILTER keeps the connections the filter selects;
#   - a threshold preference changes the verdict and the thresholds line;
#   - tcpstate.details:FALSE drops the fields, keeps the notes;
#   - the GUI table's generic tshark printer (-z tcpstate,connections) fills rows with -2 only.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
caps=$here/test-captures/lifecycle
open=$caps/real-close-wait-open.pcap
status=0

check() {  # NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok: $1"; else printf 'FAIL: %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"; status=1; fi
}
frames() {  # CAPTURE FILTER [tshark options...]: the selected frame numbers, space-separated
  local cap=$1 filter=$2; shift 2
  "$tshark" "$@" -r "$cap" -Y "$filter" -T fields -e frame.number 2>&1 | tr '\n' ' ' | sed 's/ $//'
}
fields() {  # CAPTURE FRAME FIELD... [-- tshark options]
  local cap=$1 frame=$2; shift 2
  local e=() opt=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do e+=(-e "$1"); shift; done
  [ "${1:-}" = -- ] && { shift; opt=("$@"); }
  "$tshark" "${opt[@]}" -r "$cap" -Y "frame.number == $frame" -T fields -E separator=' ' "${e[@]}" 2>&1
}
conns_rows() {  # CAPTURE -z-ARG [tshark options]: the stream column of the table's rows
  local cap=$1 z=$2; shift 2
  "$tshark" "$@" -r "$cap" -q -z "$z" 2>&1 | awk '/^stream  /{t=1; next} /^====/{t=0} t {print $1}' | tr '\n' ' ' | sed 's/ $//'
}

check "stuck filter, -2: every segment of the leaking connection (stream 0)" "1 2 3 4 5 6 7 8 16" \
  "$(frames "$open" 'tcpstate.conn.stuck == "close_wait_open"' -2)"
check "stuck filter, one pass: none (so far)" "" "$(frames "$open" 'tcpstate.conn.stuck == "close_wait_open"')"
check "fin_wait_2_open on the same segments" "1 2 3 4 5 6 7 8 16" "$(frames "$open" 'tcpstate.conn.stuck == "fin_wait_2_open"' -2)"
check "close_wait_open note: the last segment only" "16" "$(frames "$open" tcpstate.conn.stuck.close_wait_open -2)"
check "no note in one pass" "" "$(frames "$open" tcpstate.conn.stuck.close_wait_open)"
check "note text" "Stuck: close_wait_open: the server has been in CLOSE_WAIT for 2.506193 s at the end of the capture (>= 1 s): the application has not closed its socket" \
  "$("$tshark" -2 -r "$open" -Y frame.number==16 -T fields -e _ws.expert.message 2>&1 | cut -d, -f1)"
check "final fields, -2, frame 1" "FIN_WAIT_2 CLOSE_WAIT open close_wait_open,fin_wait_2_open" \
  "$(fields "$open" 1 tcpstate.conn.client.final tcpstate.conn.server.final tcpstate.conn.end tcpstate.conn.stuck -- -2)"
check "so-far fields, one pass, frame 1" "SYN_SENT SYN_RCVD open " \
  "$(fields "$open" 1 tcpstate.conn.client.final tcpstate.conn.server.final tcpstate.conn.end tcpstate.conn.stuck)"
check "heartbeat connection: not stuck" "ESTABLISHED ESTABLISHED open " \
  "$(fields "$open" 31 tcpstate.conn.client.final tcpstate.conn.server.final tcpstate.conn.end tcpstate.conn.stuck -- -2)"

check "-z tcpstate,conns,FILTER" "1" "$(conns_rows "$open" 'tcpstate,conns,tcp.port == 18091')"
check "-z tcpstate,conns,FILTER: the filter line" "Filter: tcp.port == 18091" \
  "$("$tshark" -r "$open" -q -z 'tcpstate,conns,tcp.port == 18091' 2>&1 | grep '^Filter:')"
check "-z tcpstate,conns,tcpstate.conn.stuck (-2: final)" "0" "$(conns_rows "$open" 'tcpstate,conns,tcpstate.conn.stuck' -2)"

hold=(-o tcpstate.stuck.close_wait_open:3000)
check "threshold preference: 2.5 s < 3 s, no close_wait_open" "" \
  "$(frames "$open" 'tcpstate.conn.stuck == "close_wait_open"' -2 "${hold[@]}")"
check "threshold preference: fin_wait_2_open stays" "1 2 3 4 5 6 7 8 16" \
  "$(frames "$open" 'tcpstate.conn.stuck == "fin_wait_2_open"' -2 "${hold[@]}")"
check "threshold preference in the thresholds line" \
  "Stuck thresholds: close_wait_open >= 3 s, fin_wait_2_open >= 1 s, syn_unanswered >= 1 s, syn_rcvd_open >= 1 s, time_wait_reuse < 60 s" \
  "$("$tshark" "${hold[@]}" -r "$open" -q -z tcpstate,conns 2>&1 | grep '^Stuck thresholds:')"

check "details off: no conn fields" "" "$(fields "$open" 16 tcpstate.conn.client.final -- -2 -o tcpstate.details:FALSE)"
check "details off: the note stays" "16" "$(frames "$open" tcpstate.conn.stuck.fin_wait_2_open -2 -o tcpstate.details:FALSE)"

syn=$caps/real-syn-unanswered.pcap
check "syn_unanswered note on the last SYN" "4" "$(frames "$syn" tcpstate.conn.stuck.syn_unanswered -2)"
reuse=$caps/real-time-wait-reuse.pcap
check "time_wait_reuse: the new incarnation's segments" "12 13 14 15 16 17 18 19 20 21 22" \
  "$(frames "$reuse" 'tcpstate.conn.stuck == "time_wait_reuse"' -2)"
check "time_wait_reuse note" "22" "$(frames "$reuse" tcpstate.conn.stuck.time_wait_reuse -2)"
check "the reused incarnation's TIME_WAIT ended at the new SYN" "CLOSED CLOSED FIN" \
  "$(fields "$reuse" 11 tcpstate.conn.client.final tcpstate.conn.server.final tcpstate.conn.end -- -2)"

gui_rows() { local z=$1; shift; "$tshark" "$@" -r "$open" -q -z "$z" 2>&1 | grep -c '^[0-9]* |'; }
check "GUI table printer, -2: both connections" "2" "$(gui_rows tcpstate,connections -2)"
check "GUI table printer, one pass: no rows (final values only)" "0" "$(gui_rows tcpstate,connections)"
check "GUI table with a filter (tcpstate.stream == 1): one row" "1" "$(gui_rows 'tcpstate,connections,tcpstate.stream == 1' -2)"

exit $status
