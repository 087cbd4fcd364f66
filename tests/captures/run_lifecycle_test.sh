#!/usr/bin/env bash
# Lifecycle tables: -z tcpstate,conns and -z tcpstate,states on CAPTURE, in one pass and with -2,
# compared with the hand-worked X.conns.tsv and X.states.tsv beside it (test-captures/lifecycle/
# README.md works each value out from the frame times). Both outputs are printed at the end of the
# run, from the final records, so both passes must give them. Fails on any difference and on
# anything tshark prints on stderr.
#
#   run_lifecycle_test.sh CAPTURE
#
# The tables are compared cell by cell: a line of the tshark output is split at runs of two or more
# spaces (the format's column separator) and written tab-separated.
set -euo pipefail

capture=$1
base=${capture%.pcap}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# block FILE TITLE-PREFIX: the table lines of the block whose title starts with the prefix, tab-separated.
block() {
  awk -v t="$2" '
    /^====/ { if (inb) exit; next }
    index($0, t) == 1 { inb = 1; next }
    inb && /^(Filter|Stuck thresholds|Times):/ { next }
    inb { gsub(/  +/, "\t"); print }' "$1"
}
header() {  # FILE TITLE-PREFIX FIELD: a header line of the block
  awk -v t="$2" -v f="$3" 'index($0, t) == 1 { inb = 1; next } inb && index($0, f) == 1 { print; exit }' "$1"
}

for pass in one two; do
  opt=()
  [ $pass = two ] && opt=(-2)
  "$tshark" "${opt[@]}" -r "$capture" -q -z tcpstate,conns -z tcpstate,states >"$work/$pass.txt" 2>"$work/$pass.err"
  if [ -s "$work/$pass.err" ]; then echo "FAIL: tshark wrote to stderr ($pass pass):"; cat "$work/$pass.err"; status=1; fi
  for table in conns states; do
    block "$work/$pass.txt" "TCP State $([ $table = conns ] && echo connections || echo 'final states')" >"$work/$pass.$table.tsv"
    if ! diff -u "$base.$table.tsv" "$work/$pass.$table.tsv" >"$work/diff"; then
      echo "FAIL: -z tcpstate,$table ($pass pass) differs from $base.$table.tsv (- expected, + tshark):"
      cat "$work/diff"; status=1
    fi
  done
  for title in "TCP State connections" "TCP State final states"; do
    [ "$(header "$work/$pass.txt" "$title" "Filter:")" = "Filter: none" ] || { echo "FAIL: $title: no 'Filter: none'"; status=1; }
    want="Stuck thresholds: close_wait_open >= 1 s, fin_wait_2_open >= 1 s, syn_unanswered >= 1 s, syn_rcvd_open >= 1 s, time_wait_reuse < 60 s"
    got=$(header "$work/$pass.txt" "$title" "Stuck thresholds:")
    [ "$got" = "$want" ] || { echo "FAIL: $title: thresholds line is '$got'"; status=1; }
  done
done
[ $status = 0 ] && echo "ok: $(basename "$capture"): -z tcpstate,conns ($(($(wc -l <"$base.conns.tsv") - 1)) connections) and tcpstate,states, one pass and -2"
exit $status
