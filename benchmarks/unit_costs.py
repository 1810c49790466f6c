"""Unit cost library lookup speed: listing or searching the shipped 674-cost GMCA database.

    .venv/bin/python benchmarks/unit_costs.py [--reps 7]

Goal (issue 21): listing or searching the library answers in under 0.2 s of work. Each
repetition runs in a fresh Python process, so the library is read cold, as the CLI reads it;
imports are done before the clock starts ("of work": reading, searching, building the table).
Timed, each alone:

- list: read the library cold, every cost by sheet, each uprated to 2023-24 (the slowest list);
- search: read the library cold, then `--sheet housing --search "bed and breakfast"`;
- baseline: csv.reader over the same shipped CSV, nothing else (the least any reader could do).

It prints the medians, and each ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

GOAL_SECONDS = 0.2

CHILD = r"""
import csv, json, sys, time
from totalplace.deepdive.unit_cost_report import library_table
from totalplace.deepdive.unit_costs import load_library
from totalplace.reference import data_path

task = sys.argv[1]
start = time.perf_counter()
if task == "baseline":
    with data_path("gmca/unit_cost_database_v1_4.csv").open(encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
elif task == "list":
    library = load_library()
    rows = len(library_table(library, library.search(), "2023-24").rows)
else:
    library = load_library()
    rows = len(library_table(library, library.search(sheet="housing", text="bed and breakfast")).rows)
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""


def run(task: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, task], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    tasks = ("baseline", "list", "search")
    times: dict[str, list[float]] = {t: [] for t in tasks}
    rows: dict[str, int] = {}
    for rep in range(args.reps):
        for task in tasks[rep % 3:] + tasks[:rep % 3]:  # rotate which goes first
            result = run(task)
            times[task].append(result["seconds"])
            rows[task] = result["rows"]
    base = statistics.median(times["baseline"])
    print(f"unit cost library, {args.reps} fresh processes each (median seconds of work, imports excluded)")
    for task in tasks:
        median = statistics.median(times[task])
        goal = "" if task == "baseline" else f"  goal < {GOAL_SECONDS} s: {'MET' if median < GOAL_SECONDS else 'NOT MET'}"
        print(f"  {task:8} {median:8.4f} s  {rows[task]:4d} rows  x{median / base:7.1f} the baseline{goal}")


if __name__ == "__main__":
    main()
