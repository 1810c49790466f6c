#!/usr/bin/env bash
# Build the demo places end to end from the shipped real payment files:
#   Bradford (City of Bradford MDC, 2018-19) and Leeds (Leeds City Council, 2011-12 and 2012-13).
# The example workspaces are copied to ./demo/ so that examples/ stays as shipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
demo="$root/demo"
rm -rf "$demo"
mkdir -p "$demo"
for place in bradford leeds; do
  cp -r "$root/examples/$place" "$demo/$place"
  ws="$demo/$place"
  echo
  echo "=== $place: load the payment files"
  totalplace ingest -w "$ws"
  echo
  echo "=== $place: coverage, gaps and likely duplicates"
  totalplace status -w "$ws" | tail -n 20
  echo
  echo "=== $place: how much of the money the rules classify"
  totalplace classify -w "$ws"
  echo
  echo "=== $place: the count by theme, latest year"
  totalplace count -w "$ws" --by theme
  totalplace count -w "$ws" --by transfer
  out="$ws/output"
  for by in theme agency cofog month supplier transfer; do
    totalplace count -w "$ws" --by "$by" --year all --format csv -o "$out/count-by-$by.csv"
  done
  totalplace count -w "$ws" --by theme --format xlsx -o "$out/count-by-theme.xlsx"
  totalplace status -w "$ws" --format csv -o "$out/coverage.csv"
  totalplace rejects -w "$ws" --format csv -o "$out/rejected-rows.csv"
done
echo
echo "Demo built. Workspaces: $demo/bradford and $demo/leeds"
echo "Outputs (CSV and XLSX): $demo/bradford/output and $demo/leeds/output"
echo "Try: totalplace trace -w $demo/bradford --by theme --key 'Drugs and alcohol' --limit 10"
