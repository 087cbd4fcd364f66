#!/usr/bin/env bash
# The tcpstate.details preference (docs/performance.md, P1): off, the tree keeps only the stream,
# step, client and server states, findings, violations and WebSocket tags, with the same values as
# with it on; every other tcpstate field is absent. On (the default), the full record is present on
# every annotated segment. Checked on every bundled capture.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
status=0
fail() { echo "FAIL: $*"; status=1; }

kept=(tcpstate.stream tcpstate.step tcpstate.client.state tcpstate.server.state tcpstate.findings
      tcpstate.analysis tcpstate.ws tcpstate.ws.upgrade tcpstate.ws.close)
detail=(tcpstate.sender.role tcpstate.phase tcpstate.sender.state_before tcpstate.sender.state_after
        tcpstate.receiver.state_before tcpstate.receiver.state_expected tcpstate.acceptable
        tcpstate.retransmission tcpstate.midstream tcpstate.conn.state tcpstate.conn.history)
args=(-T fields -E occurrence=a -e frame.number)
for f in "${kept[@]}" "${detail[@]}"; do args+=(-e "$f"); done
nk=${#kept[@]}

checked=0
while IFS= read -r cap; do
  name=${cap#"$here"/test-captures/}
  full=$("$tshark" -r "$cap" "${args[@]}" 2>&1) || { fail "$name: tshark failed: $full"; continue; }
  short=$("$tshark" -r "$cap" -o tcpstate.details:FALSE "${args[@]}" 2>&1) || { fail "$name: tshark failed: $short"; continue; }
  # The kept columns (frame number + kept fields) are identical.
  a=$(cut -f1-$((nk + 1)) <<<"$full"); b=$(cut -f1-$((nk + 1)) <<<"$short")
  [ "$a" = "$b" ] || fail "$name: details off changes the kept fields: $(diff <(echo "$a") <(echo "$b") | head -4)"
  # Details off: the other columns are empty on every frame.
  extra=$(cut -f$((nk + 2))- <<<"$short" | tr -d '\t\n')
  [ -z "$extra" ] || fail "$name: details off still prints detail fields: ${extra:0:80}"
  # Details on: every annotated segment (it has a step) carries every always-present detail field.
  missing=$(awk -F'\t' -v k="$nk" '$3 != "" { for (i = k + 2; i <= NF; i++) if ($i == "") { print $1; break } }' <<<"$full" | head -3)
  [ -z "$missing" ] || fail "$name: details on, frames $(echo $missing) lack a detail field"
  checked=$((checked + 1))
done < <(find "$here/test-captures" \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
[ "$checked" -gt 40 ] || fail "only $checked captures checked"
echo "tcpstate.details checked on $checked captures"
exit $status
