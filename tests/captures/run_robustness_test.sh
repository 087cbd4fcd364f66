#!/usr/bin/env bash
# Every capture under the given folders (default: ../shared/captures and test-captures) is annotated
# with no "Dissector bug", no malformed tcpstate item, nothing on stderr, and the same tcpstate
# fields in one pass and with -2 (the conn summary excepted: "so far" vs final by design).
# The same again on deterministically corrupted copies (editcap -E), which must not crash tshark.
# A capture X.pcap with a TLS key log X.keys beside it (test-captures/wss/) is read with it, and so
# are its corrupted copies (Wireshark decrypts what is left, the tracker reads that).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("$here/../shared/captures" "$here/test-captures")
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

fields=()
for f in stream sender.role phase step sender.state_before sender.state_after receiver.state_before \
         receiver.state_expected client.state server.state seq.expected ack.expected seq.ok ack.ok \
         acceptable retransmission midstream findings ws ws.upgrade ws.close; do
  fields+=(-e "tcpstate.$f")
done

captures=()
for d in "${dirs[@]}"; do
  [ -d "$d" ] || { echo "skip: $d not found"; continue; }
  while IFS= read -r f; do captures+=("$f"); done < <(find "$d" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
done
# Corrupted copies: 2% of bytes flipped, fixed seeds, so every run tests the same inputs.
n=0
for f in "${captures[@]}"; do
  n=$((n + 1))
  editcap -E 0.02 --seed "$n" "$f" "$work/fuzz-$n-$(basename "$f")" >/dev/null 2>&1 && chmod a+r "$work/fuzz-$n-$(basename "$f")"
  keys=${f%.*}.keys
  [ -f "$keys" ] && cp "$keys" "$work/fuzz-$n-$(basename "$keys")" && chmod a+r "$work/fuzz-$n-$(basename "$keys")"
done
while IFS= read -r f; do captures+=("$f"); done < <(find "$work" -name 'fuzz-*' ! -name '*.keys' | sort)

check_one() {  # $1: capture; prints FAIL lines, returns non-zero on a problem
  local f=$1 t keys=()
  [ -f "${f%.*}.keys" ] && keys=(-o "tls.keylog_file:${f%.*}.keys")
  t=$(mktemp -d)
  "$tshark" ${keys[@]+"${keys[@]}"} -r "$f" -V >"$t/v.txt" 2>"$t/err1.txt"; local rc1=$?
  "$tshark" ${keys[@]+"${keys[@]}"} -r "$f" -T fields "${fields[@]}" >"$t/one.txt" 2>>"$t/err1.txt"
  "$tshark" ${keys[@]+"${keys[@]}"} -2 -r "$f" -T fields "${fields[@]}" >"$t/two.txt" 2>"$t/err2.txt"; local rc2=$?
  local problems=""
  case "$(basename "$f")" in fuzz-*) ;;  # a corrupted file may make tshark itself complain on stderr
    *) { [ -s "$t/err1.txt" ] || [ -s "$t/err2.txt" ]; } && problems+=" stderr:$(head -c 300 "$t/err1.txt" "$t/err2.txt" | tr '\n' ' ')" ;;
  esac
  { [ $rc1 -gt 2 ] || [ $rc2 -gt 2 ]; } && problems+=" tshark exit $rc1/$rc2 (crash?)"
  grep -q "Dissector bug" "$t/v.txt" && problems+=" Dissector bug"
  grep -A2 "TCP State" "$t/v.txt" | grep -q "Malformed" && problems+=" malformed tcpstate item"
  cmp -s "$t/one.txt" "$t/two.txt" || problems+=" one-pass and -2 differ"
  rm -rf "$t"
  if [ -n "$problems" ]; then echo "FAIL: $f:$problems"; return 1; fi
}
export -f check_one
export tshark
export fields_list="${fields[*]}"

printf '%s\0' "${captures[@]}" >"$work/list"
if xargs -0 -P "$(nproc)" -n 1 bash -c 'fields=($fields_list); check_one "$1"' _ <"$work/list"; then
  echo "ok: ${#captures[@]} captures (including corrupted copies): no dissector bug, no stderr, one-pass = -2"
else
  exit 1
fi
