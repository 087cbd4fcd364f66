#!/usr/bin/env bash
# The tcpstate.explain preference (learner mode): registered, FALSE by default, and then no
# tcpstate.explain field anywhere; on, every annotated segment of every bundled capture has one
# sentence ending with its rule "(RFC ...)", the same one-pass and with -2 (the sentences come from
# the stored result and what the engine knows of the connection). The sentences themselves are
# checked row by row in tests/unit/explain_test.cpp.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
status=0
fail() { echo "FAIL: $*"; status=1; }

"$tshark" -G fields 2>/dev/null | grep -qP '^F\tExplanation\ttcpstate\.explain\tFT_STRING\t' ||
  fail "no string field tcpstate.explain"
"$tshark" -G defaultprefs 2>/dev/null | grep -qx '#tcpstate.explain: FALSE' ||
  fail "preference tcpstate.explain is not FALSE by default"

args=(-T fields -e frame.number -e tcpstate.step -e tcpstate.explain)
checked=0
while IFS= read -r cap; do
  name=${cap#"$here"/test-captures/}
  off=$("$tshark" -r "$cap" "${args[@]}" 2>&1) || { fail "$name: tshark failed: $off"; continue; }
  [ -z "$(cut -f3 <<<"$off" | tr -d '\n')" ] || fail "$name: tcpstate.explain present with the preference off"
  on=$("$tshark" -r "$cap" -o tcpstate.explain:TRUE "${args[@]}" 2>&1) || { fail "$name: tshark failed: $on"; continue; }
  two=$("$tshark" -2 -r "$cap" -o tcpstate.explain:TRUE "${args[@]}" 2>&1) || { fail "$name: tshark -2 failed: $two"; continue; }
  [ "$on" = "$two" ] || fail "$name: -2 differs: $(diff <(echo "$on") <(echo "$two") | head -3)"
  bad=$(awk -F'\t' '$2 != "" && $3 !~ /^[A-Z].* \((RFC|observer)[^()]*\)$/ { print $1 }' <<<"$on" | head -3)
  [ -z "$bad" ] || fail "$name: frames $(echo $bad) lack a sentence"
  checked=$((checked + 1))
done < <(find "$here/test-captures" \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
[ "$checked" -gt 40 ] || fail "only $checked captures checked"
echo "tcpstate.explain checked on $checked captures"
exit $status
