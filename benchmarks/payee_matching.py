"""Payee matching on the real Leeds and Bradford ledgers: how many payees, matched by the shipped rules, suggested
for review, and how long the matching takes.

    .venv/bin/python benchmarks/payee_matching.py [--reps 5] [--data ../shared/data]

Each place is set up as a new user would: `init --with-partners` (the council, and the police force,
fire authority, CCG and ICB serving it, from the shipped lookups), every shipped payment file loaded.
Then, timed, each alone and repeated:

- matching: `count.transfers.match_payees` after the payees are read (the decisions table read, the
  matcher built, every payee the rules know as a public body but not as an agency looked up by name,
  alias and rapidfuzz similarity);
- baseline: an exact lookup, in a dict of the agencies' names, of the normalised name of every payee the
  matcher looks at (the public bodies that are not agencies by the rules: the least any matcher could do),
  in the same run;
- every payee: the same fuzzy look-up for every payee named, whatever the rules say of it (what matching
  would cost without the rules narrowing it down).

It prints the counts, the medians and the ratio of matching to the baseline, and the suggestions left for review.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from totalplace import partners
from totalplace.classify import names
from totalplace.classify.names import normalised_name
from totalplace.count import transfers
from totalplace.ingest.load import ingest
from totalplace.store.connection import connect
from totalplace.workspace import init_workspace

PLACES = {"Leeds": ("E08000035", "leeds"), "Bradford": ("E08000032", "bradford")}


def build(root: Path, data: Path, name: str) -> object:
    code, folder = PLACES[name]
    workspace = init_workspace(root / folder, name, [code], partners.agencies_serving([code]))
    council = workspace.settings.agencies[0].id
    for path in sorted((data / "spend" / folder).glob("*.csv")):
        shutil.copyfile(path, workspace.agency_dir(council) / path.name)
    ingest(workspace)
    return workspace


def baseline_seconds(workspace, payees: list[transfers.Payee]) -> float:
    start = time.perf_counter()
    known = {normalised_name(n): a.id for a in workspace.settings.agencies for n in [a.name, *a.aliases]}
    sum(1 for p in payees if p.kind and not p.agency and normalised_name.__wrapped__(p.name) in known)
    return time.perf_counter() - start


def every_payee_seconds(workspace, payees: list[transfers.Payee]) -> float:
    start = time.perf_counter()
    matcher = names.NameMatcher(transfers.targets(workspace.settings.agencies), generic=transfers.GENERIC,
                                exclusive=transfers.ROLES)
    for p in payees:
        for target in {t.kind for t in matcher.targets.values()}:
            matcher.suggest(p.name, target)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in PLACES:
            workspace = build(Path(tmp), args.data, name)
            con = connect(workspace, read_only=True)
            try:
                payees = transfers.payees(con)
            finally:
                con.close()
            runs = [transfers.match_payees(workspace) for _ in range(args.reps)]
            base = [baseline_seconds(workspace, payees) for _ in range(args.reps)]
            every = statistics.median(every_payee_seconds(workspace, payees) for _ in range(args.reps))
            found = runs[-1]
            matching, baseline = statistics.median(r.seconds for r in runs), statistics.median(base)
            public = sum(1 for p in payees if p.kind)
            print(f"{name}: {found.payees:,} payees ({public:,} public bodies by the rules); "
                  f"agencies: {', '.join(a.id for a in workspace.settings.agencies)}")
            print(f"  matched by the shipped rules: {found.accepted_by_rules:,} "
                  f"(£{sum(p.amount for p in found.matched):,.2f}); accepted on review: {found.accepted_on_review:,}; "
                  f"suggested and left for review: {len(found.suggestions):,}")
            print(f"  matching {matching * 1000:.1f} ms, baseline (exact lookup) {baseline * 1000:.1f} ms, "
                  f"ratio {matching / baseline:.1f}x; every payee, every kind of agency {every * 1000:.0f} ms, "
                  f"ratio {every / baseline:.0f}x (medians of {args.reps})")
            for p in found.matched:
                print(f"    matched: {p.name!r} -> {p.agency} ({p.rule}), £{p.amount:,.2f}")
            for s in found.suggestions:
                print(f"    suggested: {s.name!r} -> {s.target} ({s.score:.0f}): {'; '.join(s.evidence)}")


if __name__ == "__main__":
    main()
