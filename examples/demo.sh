#!/usr/bin/env bash
# Build the demo places end to end from the shipped real data:
#   Bradford (City of Bradford MDC payments 2018-19) and Leeds (Leeds City Council payments 2011-12 and 2012-13),
#   each with the Treasury's Country and Regional Analysis brought down to the place.
# Bradford also carries a complete deep dive, an invest-to-save appraisal, a deal and a (synthetic) estate.
# The example workspaces are copied to ./demo/ so that examples/ stays as shipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
demo="$root/demo"
rm -rf "$demo"
mkdir -p "$demo"

say() { echo; echo "=== $*"; }

count_place() {  # the count, bottom-up and top-down, for one workspace
  local place="$1" ws="$2" out="$2/output"
  say "$place: load the payment files"
  totalplace ingest -w "$ws"
  say "$place: coverage, gaps and likely duplicates"
  totalplace status -w "$ws" | tail -n 20
  say "$place: how much of the money the rules classify"
  totalplace classify -w "$ws"
  say "$place: the count by theme, latest year"
  totalplace count -w "$ws" --by theme
  totalplace count -w "$ws" --by transfer   # spending by kind of body paid, and pass-through payments apart
  totalplace transfers review -w "$ws"        # payees that may be agencies of the count, with their evidence
  for by in theme agency cofog month supplier transfer; do
    totalplace count -w "$ws" --by "$by" --year all --format csv -o "$out/count-by-$by.csv"
  done
  totalplace count -w "$ws" --by theme --format xlsx -o "$out/count-by-theme.xlsx"
  totalplace status -w "$ws" --format csv -o "$out/coverage.csv"
  totalplace rejects -w "$ws" --format csv -o "$out/rejected-rows.csv"
  say "$place: the whole place, top-down from the Treasury's CRA (shipped 2010 and 2018 releases)"
  totalplace topdown load -w "$ws"
  totalplace topdown control -w "$ws"
  say "$place: the council's ledger beside the top-down figure, and the best estimate"
  totalplace reconcile -w "$ws" --format csv -o "$out/reconciliation.csv"
  totalplace topdown estimate -w "$ws" --format csv -o "$out/best-estimate.csv"
  say "$place: the one headline: the whole place, counted once"
  totalplace headline -w "$ws"
  totalplace export fdp "$out/fiscal-data-package" -w "$ws" --year all
}

bradford_deep_dive() {  # funding streams, provision, a journey, a cohort, an appraisal, the deal, the estate
  local ws="$1" out="$1/output"
  say "bradford: the 2009-10 count beside the Total Place pilots' published figures"
  totalplace topdown pilots -w "$ws" --pilot Bradford
  say "bradford: funding streams and the provision map for drugs and alcohol"
  totalplace streams load -w "$ws"
  totalplace streams show -w "$ws"
  totalplace streams flags -w "$ws"
  say "bradford: names in the registers that may be one body (funders, renamed headings, respelt providers)"
  totalplace streams review -w "$ws" --theme "Drugs and alcohol"
  # Decided as an analyst who checked the files would: Bradford relabelled its 'Health & Wellbeing' headings
  # 'Public Health' in September 2018, and the same find-and-replace respelt Bevan Healthcare in the earlier months.
  totalplace streams review -w "$ws" --theme "Drugs and alcohol" --by demo \
    --accept "Health & Wellbeing / PH1 DrugsAlco misuse" --accept "Health & Wellbeing / PH2 DrugsAlco misuse" \
    --accept "Health & Wellbeing / PH3 DrugsAlco misuse" --accept "Health & Wellbeing / PH4 DrugsAlco misuse" \
    --accept "Health & Wellbeing / PH6 DrugsAlco misuse" --accept "BEVAN Health & WellbeingCARE CIC"
  totalplace provision -w "$ws" --theme "Drugs and alcohol" --limit 15
  say "bradford: a customer journey (leaving prison), as-is against the redesign"
  totalplace journey show prison-leaver -w "$ws" --part summary
  totalplace journey compare prison-leaver -w "$ws"
  totalplace journey compare prison-leaver -w "$ws" --format xlsx -o "$out/journey-prison-leaver-compare.xlsx"
  totalplace journey swimlane prison-leaver -w "$ws" -o "$out/journey-prison-leaver-{version}.svg"
  say "bradford: a SYNTHETIC cohort (3,000 people, 5 agencies): the high-cost people and families"
  totalplace cohort synth -w "$ws" --people 3000 --year 2022-23 --year 2023-24 --seed 1
  key="$(mktemp)"; printf 'demo-only-key-not-a-secret-0123456789' > "$key"  # a real key never sits in the workspace
  totalplace cohort load -w "$ws" --key-file "$key"; rm -f "$key"
  totalplace cohort summary -w "$ws"
  totalplace cohort concentration -w "$ws" --chart "$out/cohort-concentration.svg"
  totalplace cohort contact -w "$ws"
  totalplace cohort assessments -w "$ws"
  totalplace cohort top -w "$ws" --format csv -o "$out/cohort-top-by-agency.csv"
  say "bradford: invest to save (family support): appraisal, wrong pocket, gain-share, Monte Carlo"
  totalplace appraise family-support -w "$ws" --matrix
  totalplace appraise gainshare family-support -w "$ws"
  totalplace appraise montecarlo family-support -w "$ws" --seed 1
  totalplace appraise export family-support -w "$ws" -o "$out/appraisal-family-support.xlsx"
  say "bradford: the deal (asks linked to the count), pooled budgets, reporting burden"
  totalplace deal ask submit A1 -w "$ws" --by demo
  totalplace deal ask list -w "$ws"
  totalplace deal ask export -w "$ws" -o "$out/proposition.html"
  totalplace deal ask export -w "$ws" -o "$out/proposition.pdf"
  totalplace deal pool show -w "$ws"
  totalplace deal burden framework -w "$ws"
  say "bradford: the shared estate (synthetic buildings): co-location and needs against offers"
  totalplace estate colocate -w "$ws"
  totalplace estate match -w "$ws"
  totalplace estate map -w "$ws" -o "$out/estate.svg"
  totalplace estate geojson -w "$ws" -o "$out/estate.geojson"
}

for place in bradford leeds; do
  cp -r "$root/examples/$place" "$demo/$place"
  ws="$demo/$place"
  count_place "$place" "$ws"
  if [ "$place" = bradford ]; then bradford_deep_dive "$ws"; fi
  say "$place: the place report (HTML, XLSX, PDF, CSV)"
  totalplace report -w "$ws"
done
echo
echo "Demo built. Workspaces: $demo/bradford and $demo/leeds"
echo "Reports: $demo/bradford/output/report/report.html and $demo/leeds/output/report/report.html"
echo "Try: totalplace trace -w $demo/bradford --by theme --key 'Drugs and alcohol' --limit 10"
echo "     totalplace serve $demo/bradford"
