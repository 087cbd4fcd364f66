#!/usr/bin/env bash
# verdicts/real-loss: the real captures with loss, reordering and resets after close
# (test-captures/real-loss-*, real-rst-after-*, made by scripts/record-loss.sh) carry no warning at
# all (-Y tcpstate.analysis selects nothing), and each connection ends in the states worked out by
# hand from RFC 9293 in test-captures/README.md ("Real captures with loss and reordering"), listed
# in test-captures/real-loss.final (capture, stream, client, server). Both passes.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
table=$here/test-captures/real-loss.final
status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for cap in $(tail -n +2 "$table" | cut -f1 | uniq); do
  file=$here/test-captures/$cap.pcap
  for pass in "" "-2"; do
    flagged=$("$tshark" -n -r "$file" $pass -Y tcpstate.analysis -T fields -e frame.number 2>&1)
    [ -z "$flagged" ] || { echo "FAIL: $cap ${pass:-one pass}: warnings on frames $(echo $flagged)"; status=1; }
    # The states after each connection's last segment.
    "$tshark" -n -r "$file" $pass -Y tcpstate -T fields -e tcpstate.stream -e tcpstate.client.state \
      -e tcpstate.server.state 2>&1 |
      awk -F'\t' -v c="$cap" '{ last[$1] = $2 "\t" $3 } END { for (s in last) printf "%s\t%s\t%s\n", c, s, last[s] }' |
      sort -t$'\t' -k2,2n >"$work/got"
    awk -F'\t' -v c="$cap" '$1 == c' "$table" | sort -t$'\t' -k2,2n >"$work/want"
    if ! diff -u "$work/want" "$work/got" >"$work/diff"; then
      echo "FAIL: $cap ${pass:-one pass}: final states (- README, + tcpstate):"; cat "$work/diff"; status=1
    fi
  done
done
[ $status = 0 ] && echo "ok: $(($(wc -l <"$table") - 1)) connections of $(tail -n +2 "$table" | cut -f1 | uniq | wc -l) real captures end as worked out, no warning"
exit $status
