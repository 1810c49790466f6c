"""Benchmark: the whole top-down count, for every English local authority and every year of both CRA files.

    .venv/bin/python benchmarks/topdown.py

Prints wall times for: a cold run (reading both workbooks with openpyxl, then
counting), a warm run (normalised lines from the Parquet cache), and a
baseline in the same process: pandas reading the same workbooks and sharing
each region's lines by population in floats (no penny rounding, no control
levels). The goal is a whole count under 30 seconds.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb

from totalplace import reference
from totalplace.count import topdown
from totalplace.count.population import interpolated
from totalplace.workspace import init_workspace

CRA_DIR = Path(__file__).resolve().parents[1] / "src" / "totalplace" / "data" / "cra"  # the shipped releases
GOAL_SECONDS = 30.0


def whole_count(root: Path) -> tuple[float, int, object]:
    """Load both workbooks and count every English authority, every year, by control level and function."""
    started = time.perf_counter()
    workspace = init_workspace(root, "England", ["E08000032"]) if not (root / "totalplace.toml").exists() \
        else __import__("totalplace.workspace", fromlist=["open_workspace"]).open_workspace(root)
    con = duckdb.connect(str(workspace.store_path))
    topdown.load(con, workspace, sorted(CRA_DIR.glob("*.xlsx")))
    areas = topdown.resolve_areas(["England"])
    topdown.apportion(con, workspace, areas)
    rows = con.execute(
        """SELECT s.area, l.fiscal_year, a.control_level, l.hmt_function, sum(s.amount)
           FROM topdown_share s JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
           GROUP BY ALL""").fetchall()
    total = sum(r[4] for r in rows)
    con.close()
    return time.perf_counter() - started, len(rows), total


def pandas_baseline() -> tuple[float, float]:
    import pandas as pd

    started = time.perf_counter()
    old = pd.read_excel(CRA_DIR / "cra_2010_database.xlsx", sheet_name="CRA 2010 Chapter 9 DB final ")
    new = pd.read_excel(CRA_DIR / "cra_2018_database.xlsx", sheet_name="CRA 2018 database")
    frames = []
    for frame, region_col, unit, years in ((old, "NUTS 1 region", 1e6, [c for c in old.columns if c[:2] == "20"]),
                                           (new, "NUTS Region", 1e3, [c for c in new.columns if c[:2] == "20"])):
        long = frame.melt(id_vars=[region_col], value_vars=years, var_name="year", value_name="amount").dropna()
        long["region"] = long[region_col].str.replace("ENGLAND_", "").str.lower().str.replace("^east$", "east of england",
                                                                                              regex=True)
        frames.append(long.assign(amount=long["amount"] * unit)[["region", "year", "amount"]])
    lines = pd.concat(frames)
    people = pd.DataFrame([(a.code, a.region.lower(), y, interpolated(a, y)) for a in reference.areas().values()
                           if a.code.startswith("E") for y in lines["year"].unique()],
                          columns=["area", "region", "year", "people"])
    people["weight"] = people["people"] / people.groupby(["region", "year"])["people"].transform("sum")
    regional = lines.groupby(["region", "year"], as_index=False)["amount"].sum()
    shared = people.merge(regional, on=["region", "year"])
    total = float((shared["weight"] * shared["amount"]).sum())
    return time.perf_counter() - started, total


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "england"
        cold, rows, total = whole_count(root)
        warm, _, again = whole_count(root)
    baseline, baseline_total = pandas_baseline()
    print(f"whole top-down count, every English authority ({len(topdown.resolve_areas(['England']))}) x every year "
          f"of both CRA files: {rows:,} figures, £{total:,.2f}")
    print(f"  cold (read both workbooks with openpyxl, normalise, cache): {cold:6.1f} s")
    print(f"  warm (normalised lines from the Parquet cache):            {warm:6.1f} s")
    print(f"  baseline, pandas read_excel + float population shares:     {baseline:6.1f} s "
          f"(total £{baseline_total:,.0f}; no pennies, no control levels)")
    print(f"  ratio cold / baseline: {cold / baseline:.2f}; warm / baseline: {warm / baseline:.2f}")
    met = cold < GOAL_SECONDS and total == again
    print(f"  goal: under {GOAL_SECONDS:.0f} s: {'met' if met else 'NOT met'} (cold {cold:.1f} s)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
