"""Benchmark: `topdown load` of the shipped CRA releases and the top-down count of every district of England.

    .venv/bin/python benchmarks/topdown.py [--baseline REF]

Measures, in one run, this tree's code and a baseline: the code of a git ref
(default `main`), extracted with `git archive` into a temporary folder and run
in its own process. For each it times:
- load, cold: reading the workbooks with openpyxl, normalising, caching, storing;
- load, warm: the same with the normalised lines from the Parquet cache;
- count: every district of England x every loaded year in one apportionment,
  grouped by district, year, level of control and function.
This tree loads all three shipped releases (2010, 2014, 2018); it is also
measured on the two releases the baseline can read (2010 and 2018), which is
the like-for-like comparison. Ratios are this tree / the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SHIPPED = PROJECT / "src" / "totalplace" / "data" / "cra"
BOTH = ["cra_2010_database.xlsx", "cra_2018_database.xlsx"]
ALL = BOTH + ["cra_2014_database.xlsx"]


def measure(workbooks: list[Path]) -> dict:
    """Run in a child process whose PYTHONPATH picks the code measured."""
    import duckdb

    from totalplace.count import topdown
    from totalplace.workspace import init_workspace

    figures: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        workspace = init_workspace(Path(folder) / "england", "England", ["E08000032"])
        for run in ("cold", "warm"):
            con = duckdb.connect(str(workspace.store_path))
            started = time.perf_counter()
            topdown.load(con, workspace, workbooks)
            figures[f"load_{run}"] = time.perf_counter() - started
            con.close()
        con = duckdb.connect(str(workspace.store_path))
        started = time.perf_counter()
        areas = topdown.resolve_areas(["England"])
        topdown.apportion(con, workspace, areas)
        rows = con.execute(
            """SELECT s.area, l.fiscal_year, a.control_level, l.hmt_function, sum(s.amount)
               FROM topdown_share s JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
               GROUP BY ALL""").fetchall()
        figures["count"] = time.perf_counter() - started
        figures["districts"] = len(areas)
        figures["years"] = len(topdown.require_loaded(con))
        figures["figures"] = len(rows)
        figures["total"] = str(sum(r[4] for r in rows))
        con.close()
    return figures


def run(source: Path, workbooks: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(source)}
    paths = [str(SHIPPED / name) for name in workbooks]
    done = subprocess.run([sys.executable, __file__, "--measure", *paths], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def extract(ref: str, folder: Path) -> Path:
    archive = folder / "baseline.tar"
    subprocess.run(["git", "-C", str(PROJECT), "archive", "-o", str(archive), ref, "src"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--measure", nargs="*")
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure([Path(p) for p in args.measure])))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        baseline_src = extract(args.baseline, Path(folder))
        baseline = run(baseline_src, BOTH)
        like = run(PROJECT / "src", BOTH)
        every = run(PROJECT / "src", ALL)
    rows = ((f"baseline ({args.baseline}), 2010 + 2018 releases", baseline), ("this tree, 2010 + 2018", like),
            ("this tree, 2010 + 2014 + 2018", every))
    print("topdown load and the count of every district of England, every loaded year (seconds, wall)")
    print(f"{'':38} {'load cold':>10} {'load warm':>10} {'count':>8} {'districts':>10} {'years':>6} "
          f"{'figures':>10}")
    for name, f in rows:
        print(f"{name:38} {f['load_cold']:10.1f} {f['load_warm']:10.1f} {f['count']:8.1f} {f['districts']:10} "
              f"{f['years']:6} {f['figures']:10,}")
    for name, f in rows[1:]:
        print(f"ratio {name} / baseline: load cold {f['load_cold'] / baseline['load_cold']:.2f}, "
              f"load warm {f['load_warm'] / baseline['load_warm']:.2f}, count {f['count'] / baseline['count']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
