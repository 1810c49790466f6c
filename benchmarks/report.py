"""Benchmark: building the place report (HTML, XLSX, PDF, CSVs) of a demo workspace, against a baseline.

    .venv/bin/python benchmarks/report.py [--workspace demo/bradford] [--baseline REF] [--rounds 2]

Measures, in one run, this tree's code and a baseline: the code of a git ref
(default `main`), extracted with `git archive` into a temporary folder. Each
round runs `totalplace report` once with each, one after the other (the
machine may be shared: alternating spreads its load over both), in a fresh
process, and records the wall time, the peak memory of that process and the
PDF's pages. It prints each round, the medians and the ratio this tree /
baseline. Build the demo first: `bash examples/demo.sh`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from topdown import extract  # the baseline's code from a git ref, as benchmarks/topdown.py takes it

PROJECT = Path(__file__).resolve().parents[1]
TIME = "/usr/bin/time"  # GNU time: the peak memory of the process it runs


def build(source: Path, workspace: Path, output: Path) -> dict:
    """One report built by the code in `source`, in a child process: wall seconds, peak MB, PDF pages."""
    from pypdf import PdfReader

    env = {**os.environ, "PYTHONPATH": str(source)}
    started = time.perf_counter()
    done = subprocess.run([TIME, "-f", "%M", sys.executable, "-m", "totalplace.cli", "report", "-w", str(workspace),
                           "-o", str(output)], env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_kb = int(done.stderr.strip().splitlines()[-1])  # GNU time's maximum resident set size
    return {"wall": wall, "peak_mb": peak_kb / 1024, "pages": len(PdfReader(output / "report.pdf").pages)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=PROJECT / "demo" / "bradford")
    parser.add_argument("--baseline", default="main", help="git ref of the baseline code (default: main)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not (args.workspace / "store").exists():
        sys.exit(f"{args.workspace} is not a built workspace: run `bash examples/demo.sh` first")
    with tempfile.TemporaryDirectory() as folder:
        sources = {"baseline": extract(args.baseline, Path(folder)), "this tree": PROJECT / "src"}
        found: dict[str, list[dict]] = {name: [] for name in sources}
        for round_number in range(1, args.rounds + 1):
            for name, source in sources.items():
                figures = build(source, args.workspace, Path(folder) / f"{name}-{round_number}")
                found[name].append(figures)
                print(f"round {round_number} {name:>9}: {figures['wall']:6.1f} s wall, "
                      f"{figures['peak_mb']:4.0f} MB peak, {figures['pages']} pages", flush=True)
    median = {name: statistics.median(r["wall"] for r in runs) for name, runs in found.items()}
    print(f"median wall: baseline ({args.baseline}) {median['baseline']:.1f} s, this tree {median['this tree']:.1f} s; "
          f"ratio {median['this tree'] / median['baseline']:.2f}")
    peak = {name: max(r["peak_mb"] for r in runs) for name, runs in found.items()}
    print(f"peak memory: baseline {peak['baseline']:.0f} MB, this tree {peak['this tree']:.0f} MB")


if __name__ == "__main__":
    main()
