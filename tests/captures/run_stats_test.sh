#!/usr/bin/env bash
# -z tcpstate,tree must count exactly what the per-segment fields say: segments per step, sender and
# receiver state transitions, findings per id. Usage: run_stats_test.sh CAPTURE...
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for capture in "$@"; do
  # From the fields: one "section<TAB>name" line per counted item.
  "$tshark" -r "$capture" -Y tcpstate -T fields -E separator=/t -E occurrence=f \
    -e tcpstate.step -e tcpstate.sender.state_before -e tcpstate.sender.state_after \
    -e tcpstate.receiver.state_before -e tcpstate.receiver.state_expected -e tcpstate.findings |
    awk -F'\t' '{
      print "Segments per step\t" $1
      if ($2 != $3) print "State transitions\tsender " $2 " -> " $3
      if ($4 != $5) print "State transitions\treceiver " $4 " -> " $5
      n = split($6, ids, ","); for (i = 1; i <= n; i++) if (ids[i] != "") print "Findings\t" ids[i]
    }' | sort | uniq -c | sed -E 's/^ *([0-9]+) (.*)$/\2\t\1/' | sort >"$work/fields"
  # From the statistics tree: children are indented by one space under their section.
  "$tshark" -q -r "$capture" -z tcpstate,tree |
    awk '/^Segments per step|^State transitions|^Findings/ { match($0, /^[A-Za-z ]+[a-z]/); section = substr($0, 1, RLENGTH); next }
         /^ [^ ]/ && section != "" {
           line = substr($0, 2)
           if (match(line, /  +[0-9]+ /)) {
             name = substr(line, 1, RSTART - 1); count = substr(line, RSTART, RLENGTH); gsub(/ /, "", count)
             print section "\t" name "\t" count
           }
         }' | sort >"$work/stats"
  if diff -u "$work/fields" "$work/stats" >"$work/diff"; then
    echo "ok: $(basename "$capture"): $(wc -l <"$work/stats") statistics rows match the fields"
  else
    echo "FAIL: $(basename "$capture"): -z tcpstate,tree differs from the fields (- fields, + stats)"
    cat "$work/diff"; status=1
  fi
done
exit $status
