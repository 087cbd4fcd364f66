#!/usr/bin/env bash
# `tshark -q -z flow,tcpstate,MODE[,FILTER]` (plugin/flow.c) against a hand-written ladder
# (tests/flow/README.md), one-pass and with -2 (the flow is queued from the stored result on every
# pass). Both are reduced to one line per arrow, "time | label | comment | port dir port", plus the
# node line, so that only what tcpstate decides is compared, not how a release pads the picture.
#   run_flow_test.sh CAPTURE EXPECTED MODE [FILTER]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
cap=$1 expected=$2 mode=$3 filter=${4:-}
z="flow,tcpstate,$mode${filter:+,$filter}"

# The ASCII ladder of tshark (ui/cli/tap-flow.c, sequence_analysis_dump_to_file): a header of two
# lines naming the nodes, the last "|" of the first line marks where comments start; then per item
# a line "|TIME |  LABEL ... |COMMENT" and a line "|  |(PORT)  ----->  (PORT)  |".
reduce() {
  awk '
    NR == 1 { ccol = length($0); nodes = $0; sub(/^\|Time *\|/, "", nodes); next }
    NR == 2 { nodes = nodes " " $0; gsub(/\|/, " ", nodes); gsub(/  +/, " ", nodes); sub(/^ /, "", nodes); sub(/ $/, "", nodes)
              print "nodes: " nodes; next }
    /^\|[0-9]+\.[0-9]+ *\|/ {
      t = $0; sub(/^\|/, "", t); sub(/ *\|.*/, "", t)
      label = substr($0, 11, ccol - 11); gsub(/\|/, " ", label); gsub(/^ +| +$/, "", label); gsub(/  +/, " ", label)
      comment = substr($0, ccol + 1)
      row = t " | " label " | " comment; next
    }
    /\([0-9]+\) +<?-+>? +\([0-9]+\)/ {
      a = $0; dir = (index(a, "->") ? ">" : "<")
      match(a, /\([0-9]+\)/); p1 = substr(a, RSTART + 1, RLENGTH - 2); a = substr(a, RSTART + RLENGTH)
      match(a, /\([0-9]+\)/); p2 = substr(a, RSTART + 1, RLENGTH - 2)
      print row " | " p1 " " (dir == ">" ? "-->" : "<--") " " p2; next
    }
    NF { print "unparsed: " $0 }
  '
}

want=$(reduce <"$expected")
[ -n "$want" ] || { echo "FAIL: $expected reduces to nothing"; exit 1; }
status=0
for pass in one two; do
  args=(-q -r "$cap" -z "$z")
  [ "$pass" = two ] && args=(-2 "${args[@]}")
  out=$("$tshark" "${args[@]}" 2>"${TMPDIR:-/tmp}/flow-test.$$.err")
  err=$(grep -v '^Running as user' "${TMPDIR:-/tmp}/flow-test.$$.err"); rm -f "${TMPDIR:-/tmp}/flow-test.$$.err"
  [ -z "$err" ] || { echo "FAIL ($pass pass): tshark stderr: $err"; status=1; }
  got=$(reduce <<<"$out")
  if [ "$got" != "$want" ]; then
    echo "FAIL ($pass pass): $z on $(basename "$cap") differs from $(basename "$expected") (- expected, + tshark):"
    diff <(echo "$want") <(echo "$got") | sed 's/^/  /'
    echo "tshark printed:"; echo "$out" | sed 's/^/  /'
    status=1
  fi
done
[ $status = 0 ] && echo "ok: $z on $(basename "$cap"), $(grep -c ' | ' <<<"$want") arrows, one-pass and -2"
exit $status
