#!/usr/bin/env bash
# One capture test: annotate CAPTURE with tshark in one pass and with -2, and compare both with the
# hand-worked EXPECTED file (test-captures/README.md explains each). Fails on any difference, on any
# difference between the two passes, and on anything tshark prints on stderr.
#
#   run_capture_test.sh CAPTURE EXPECTED [MODE [TSHARK-OPTION...]]
#
# MODE "both" (default) compares both passes with EXPECTED and with each other. The per-connection
# summary fields (tcpstate.conn.*) are "so far" in one-pass output and final with -2, by design:
# their expected files say which pass they describe, MODE "one" or "two".
#
# TSHARK-OPTIONs go to both tshark runs, e.g. "-o tls.keylog_file:X.keys" for a TLS capture whose
# records Wireshark must decrypt (X.decrypted.expected, test-captures/wss/README.md).
#
# EXPECTED is tab-separated; its header line names the columns to compare (see COLUMNS below), one
# line per annotated TCP segment follows. Booleans are written 1/0 whatever the Wireshark release
# prints.
set -euo pipefail

capture=$1
expected=$2
mode=${3:-both}
shift $(($# < 3 ? $# : 3))
extra=("$@")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}

declare -A COLUMNS=(
  [frame]=frame.number [stream]=tcpstate.stream [role]=tcpstate.sender.role [phase]=tcpstate.phase
  [step]=tcpstate.step [hs_step]=tcpstate.handshake.step [td_step]=tcpstate.teardown.step
  [snd_before]=tcpstate.sender.state_before [snd_after]=tcpstate.sender.state_after
  [rcv_before]=tcpstate.receiver.state_before [rcv_expected]=tcpstate.receiver.state_expected
  [client]=tcpstate.client.state [server]=tcpstate.server.state
  [seq_expected]=tcpstate.seq.expected [ack_expected]=tcpstate.ack.expected
  [seq_ok]=tcpstate.seq.ok [ack_ok]=tcpstate.ack.ok [acceptable]=tcpstate.acceptable
  [retrans]=tcpstate.retransmission [midstream]=tcpstate.midstream [findings]=tcpstate.findings
  [ws]=tcpstate.ws [ws_upgrade]=tcpstate.ws.upgrade [ws_close]=tcpstate.ws.close
  [ws_key]=tcpstate.ws.key [ws_accept]=tcpstate.ws.accept [ws_accept_ok]=tcpstate.ws.accept_ok
  [ws_request_frame]=tcpstate.ws.request_frame [ws_response_frame]=tcpstate.ws.response_frame
  [conn_state]=tcpstate.conn.state [conn_history]=tcpstate.conn.history
  [conn_syn_frame]=tcpstate.conn.syn_frame [conn_fin_frame]=tcpstate.conn.fin_frame
  [conn_rst_frame]=tcpstate.conn.rst_frame
)

IFS=$'\t' read -r -a header < "$expected"
fields=()
for col in "${header[@]}"; do
  f=${COLUMNS[$col]:-}
  if [ -z "$f" ]; then echo "unknown column '$col' in $expected" >&2; exit 2; fi
  fields+=(-e "$f")
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

annotate() {  # $1: output name, rest: extra tshark options
  local out=$1; shift
  "$tshark" "$@" ${extra[@]+"${extra[@]}"} -r "$capture" -Y tcpstate -T fields -E separator=/t -E occurrence=a -E aggregator=, \
    "${fields[@]}" >"$work/$out.raw" 2>"$work/$out.err"
  # Booleans print 1/0 in 4.0 and True/False later: compare as 1/0.
  { printf '%s\n' "$(IFS=$'\t'; echo "${header[*]}")"
    sed -e 's/\bTrue\b/1/g' -e 's/\bFalse\b/0/g' "$work/$out.raw"; } >"$work/$out.tsv"
}

annotate one
annotate two -2

status=0
for pass in one two; do
  if [ -s "$work/$pass.err" ]; then
    echo "FAIL: tshark wrote to stderr ($pass pass):"; cat "$work/$pass.err"; status=1
  fi
done
case "$mode" in
  both)
    if ! diff -u "$work/one.tsv" "$work/two.tsv" >"$work/passes.diff"; then
      echo "FAIL: one-pass and -2 output differ:"; cat "$work/passes.diff"; status=1
    fi
    compare=(one) ;;
  one) compare=(one) ;;
  two) compare=(two) ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
for pass in "${compare[@]}"; do
  if ! diff -u "$expected" "$work/$pass.tsv" >"$work/expected.diff"; then
    echo "FAIL: annotation ($pass pass) differs from $expected (- expected, + tshark):"
    cat "$work/expected.diff"; status=1
  fi
done
[ $status = 0 ] && echo "ok: $(basename "$capture"): $(($(wc -l <"$expected") - 1)) segments ($mode)"
exit $status
