#!/usr/bin/env bash
# Times zoom, reset and search in headless Chromium for one SVG:
#   bench/svg_interaction.sh FILE.svg
# Prints the JSON written by bench/svg_harness.js (times in ms, the zoomed
# frame's width, the URL state, the "Matched" text).
set -euo pipefail
svg=$1
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/lib/chromium/chromium}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Insert the harness before the closing tag, in its own CDATA script.
{
  sed '$d' "$svg" | sed '/^<\/svg>$/d'
  printf '<script type="text/ecmascript"><![CDATA[\n'
  cat "$here/../tests/render/svg_harness.js"
  printf ']]></script>\n</svg>\n'
} > "$tmp/page.svg"
start=$(date +%s.%N)
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --virtual-time-budget=60000 --dump-dom "file://$tmp/page.svg" 2>/dev/null |
  grep -o '<text id="harness">[^<]*' | sed 's/<text id="harness">//; s/&quot;/"/g'
end=$(date +%s.%N)
echo "{\"browser_wall_s\": $(echo "$end - $start" | bc)}"
