#!/usr/bin/env bash
# tcpstate.so exports only the loader's entry points (nm -D: defined dynamic symbols).
set -euo pipefail
so=$1
defined=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
extra=$(echo "$defined" | grep -v -x -E 'plugin_version|plugin_want_major|plugin_want_minor|plugin_register|plugin_describe' || true)
for s in plugin_version plugin_want_major plugin_want_minor plugin_register; do
  echo "$defined" | grep -q -x "$s" || { echo "FAIL: $so does not export $s"; exit 1; }
done
[ -z "$extra" ] || { echo "FAIL: $so exports more than the entry points:"; echo "$extra"; exit 1; }
echo "ok: $so exports only: $(echo $defined)"
