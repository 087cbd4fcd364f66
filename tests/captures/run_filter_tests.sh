#!/usr/bin/env bash
# Display-filter checks, as users type them:
#  1. -Y tcpstate.analysis selects exactly the frames whose expected findings hold a violation
#     (a warning id), on every bundled capture: the clean ones select nothing.
#  2. On the real WebSocket captures (wss/ ones with their key logs), -Y tcpstate.ws selects every
#     segment from the accepted 101 on, and -Y 'tcpstate.ws.upgrade == "accepted"' exactly one.
#  3. No capture under ../shared/captures without a WebSocket upgrade gets any tcpstate.ws field.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
status=0
fail() { echo "FAIL: $*"; status=1; }

# The violation ids, from the registered expert fields (tcpstate.analysis.<id>).
warnings=$("$tshark" -G fields | awk -F'\t' '$3 ~ /^tcpstate\.analysis\./ { sub(/^tcpstate\.analysis\./, "", $3); print $3 }')
[ -n "$warnings" ] || fail "no tcpstate.analysis.* fields registered"

# 1
checked=0
while IFS= read -r expected; do
  base=${expected%.expected}
  opts=()
  case "$base" in *.decrypted) base=${base%.decrypted}; opts=(-o "tls.keylog_file:$base.keys") ;; esac
  cap=$base.pcap; [ -f "$cap" ] || cap=$base.pcapng
  want=$(awk -F'\t' -v w="$warnings" '
    BEGIN { n = split(w, ids, "\n"); for (i = 1; i <= n; i++) warn[ids[i]] = 1 }
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == "findings") col = i; next }
    { m = split($col, f, ","); for (i = 1; i <= m; i++) if (f[i] in warn) { print $1; break } }' "$expected")
  got=$("$tshark" ${opts[@]+"${opts[@]}"} -r "$cap" -Y tcpstate.analysis -T fields -e frame.number 2>&1)
  [ "$want" = "$got" ] || fail "$(basename "$expected"): -Y tcpstate.analysis gives [$(echo $got)], expected [$(echo $want)]"
  checked=$((checked + 1))
done < <(find "$here/test-captures" -name '*.expected' ! -name '*.onepass.expected' ! -name '*.final.expected' | sort)
echo "tcpstate.analysis filter checked on $checked captures"

# 2
for cap in "$here"/test-captures/ws/ws-real-*.pcap "$here"/test-captures/wss/ws*.pcap; do
  opts=()
  [ -f "${cap%.pcap}.keys" ] && opts=(-o "tls.keylog_file:${cap%.pcap}.keys")
  first=$("$tshark" ${opts[@]+"${opts[@]}"} -r "$cap" -Y 'tcpstate.ws.upgrade == "accepted"' -T fields -e frame.number)
  [ "$(echo "$first" | wc -w)" = 1 ] || { fail "$(basename "$cap"): accepted on frames [$first]"; continue; }
  want=$("$tshark" -r "$cap" -Y "tcp && frame.number >= $first" -T fields -e frame.number)
  got=$("$tshark" ${opts[@]+"${opts[@]}"} -r "$cap" -Y tcpstate.ws -T fields -e frame.number)
  [ "$want" = "$got" ] || fail "$(basename "$cap"): -Y tcpstate.ws gives [$(echo $got)], expected frames $first.. [$(echo $want)]"
done
echo "tcpstate.ws filters checked on the real WebSocket captures"

# 3
shared="$here/../shared/captures"
if [ -d "$shared" ]; then
  while IFS= read -r cap; do
    case "$cap" in */websocket/*|*/http/websocket.pcap) continue ;; esac
    got=$("$tshark" -r "$cap" -Y 'tcpstate.ws || tcpstate.ws.upgrade || tcpstate.ws.close' -T fields -e frame.number)
    [ -z "$got" ] || fail "$cap: WebSocket fields on frames [$(echo $got)]"
  done < <(find "$shared" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
  echo "no WebSocket field on the plain captures of $shared"
else
  echo "skip: $shared not found"
fi
exit $status
