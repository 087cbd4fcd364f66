#!/usr/bin/env bash
# audit/findings: the frames -Y tcpstate.analysis selects on every capture under test-captures/ and
# ../shared/captures (when present), with their warning ids, must be exactly the rows of the table
# in docs/findings-audit.md (each with the rule it breaks). Fails on a new warning, a vanished one,
# or a changed id, and prints the difference.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tshark=${TCPSTATE_TSHARK_WRAPPER:-$here/scripts/tshark}
doc=$here/docs/findings-audit.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The violation ids, from the registered expert fields (tcpstate.analysis.<id>).
warnings=$("$tshark" -G fields | awk -F'\t' '$3 ~ /^tcpstate\.analysis\./ { sub(/^tcpstate\.analysis\./, "", $3); print $3 }')
[ -n "$warnings" ] || { echo "FAIL: no tcpstate.analysis.* fields registered"; exit 1; }

# The table: "| capture | frame | warnings | rule |" -> "capture<TAB>frame<TAB>id,id".
awk -F'|' 'NF >= 5 && $3 ~ /^ *[0-9]+ *$/ {
    cap = $2; gsub(/^ +| +$/, "", cap); fr = $3; gsub(/ /, "", fr); ids = $4; gsub(/ /, "", ids)
    printf "%s\t%s\t%s\n", cap, fr, ids }' "$doc" | sort >"$work/want"

roots=("$here/test-captures:test-captures")
if [ -d "$here/../shared/captures" ]; then
  roots+=("$(cd "$here/../shared/captures" && pwd):shared/captures")
else
  # A checkout without ../shared (a clean CI clone): the table's shared/ rows cannot be checked.
  echo "note: ../shared/captures is absent; checking the test-captures/ rows only"
  grep -v '^shared/captures/' "$work/want" >"$work/want.local" || true
  mv "$work/want.local" "$work/want"
fi
n=0
for root in "${roots[@]}"; do
  dir=${root%%:*} prefix=${root#*:}
  while IFS= read -r cap; do
    rel=$prefix/${cap#"$dir"/}
    "$tshark" -n -r "$cap" -Y tcpstate.analysis -T fields -E occurrence=a -E aggregator=, \
      -e frame.number -e tcpstate.findings 2>/dev/null |
      awk -F'\t' -v cap="$rel" -v w="$warnings" '
        BEGIN { k = split(w, a, "\n"); for (i = 1; i <= k; i++) warn[a[i]] = 1 }
        { m = split($2, f, ","); out = ""
          for (i = 1; i <= m; i++) if (f[i] in warn) out = out (out == "" ? "" : ",") f[i]
          printf "%s\t%s\t%s\n", cap, $1, out }'
    n=$((n + 1))
  done < <(find "$dir" -name '*.pcap' -o -name '*.pcapng' | sort)
done | sort >"$work/got"

if ! diff -u "$work/want" "$work/got" >"$work/diff"; then
  echo "FAIL: the warnings differ from docs/findings-audit.md (- the table, + tcpstate):"
  cat "$work/diff"
  exit 1
fi
echo "ok: $(wc -l <"$work/got") flagged frames, each justified in docs/findings-audit.md"
