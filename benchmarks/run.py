"""Run every totalplace benchmark and print figures, ratios against baselines, and goals.

    python benchmarks/run.py                 # everything (a few minutes)
    python benchmarks/run.py --rows 1000000  # a smaller scale test
    python benchmarks/run.py --skip-scale    # load speed only

Each measured program runs in its own subprocess (benchmarks/tasks.py), so
interpreter start-up, imports and memory count the same for us and the
baselines. Wall time is taken from outside the process; peak memory is the
child's ru_maxrss, read with os.wait4 when it exits. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TASKS = HERE / "tasks.py"
SYNTH = HERE / "synth.py"
DATA = Path(os.environ.get("TOTALPLACE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "spend"
LEEDS, BRADFORD = "E08000035", "E08000032"
GIB = 2**30

try:
    from totalplace import reference
    from totalplace.workspace import init_workspace
except ImportError:  # run with a Python that lacks the package: use the project's venv
    venv_python = ROOT / ".venv" / "bin" / "python"
    if venv_python.exists() and Path(sys.executable).resolve() != venv_python.resolve():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])
    raise


@dataclass
class Run:
    wall_s: float
    cpu_s: float  # user + system time of the child, all its threads: steadier than wall on a busy machine
    peak_rss: int  # bytes
    out: dict


def run_child(*args: str, label: str) -> Run:
    """Run one task in a fresh Python process; its wall time, peak RSS and JSON result."""
    os.sync()  # flush earlier steps' writes so they do not land inside this measurement
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=err, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step {label!r} failed (exit {proc.returncode}):\n{stderr[-4000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss * 1024, json.loads(lines[-1]) if lines else {})


def task(*args: str, label: str) -> Run:
    return run_child(str(TASKS), *args, label=label)


def wait_for_reference_data(timeout_s: float = 600) -> None:
    """init_workspace copies the shipped rule tables; one of them may still be being written."""
    from totalplace.workspace import RULE_FILES

    deadline = time.monotonic() + timeout_s
    while True:
        missing = [n for n in RULE_FILES if not Path(str(reference.data_path(n))).exists()]
        if not missing:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"shipped rule tables still missing after {timeout_s:.0f} s: {missing}")
        print(f"  waiting for {', '.join(missing)} to appear ...", flush=True)
        time.sleep(10)


def council_dirs(workspace) -> dict[str, Path]:
    return {a.area: workspace.agency_dir(a.id) for a in workspace.settings.agencies}


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def fmt_mib(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


def median_run(runs: list[Run]) -> tuple[float, float, float]:
    """Median wall time, median CPU time and the largest peak RSS of repeated runs."""
    return (statistics.median(r.wall_s for r in runs), statistics.median(r.cpu_s for r in runs),
            max(r.peak_rss for r in runs))


# ---------------------------------------------------------------------------


def bench_load(reps: int, tmp: Path, summary: list) -> None:
    leeds = sorted((DATA / "leeds").glob("*.csv"))
    bradford = sorted((DATA / "bradford").glob("*.csv"))
    files = leeds + bradford
    size = sum(p.stat().st_size for p in files)
    print(f"\n== 1. Load speed: {len(leeds)} Leeds + {len(bradford)} Bradford files, "
          f"{fmt_mib(size)}, {reps} repetitions, each in a fresh process and a fresh store ==")
    runs: dict[str, list[Run]] = {"ours": [], "duckdb": [], "pandas": []}
    for rep in range(reps):
        rep_dir = tmp / f"load-{rep}"
        workspace = init_workspace(rep_dir / "ws", "Leeds and Bradford", [LEEDS, BRADFORD])
        dirs = council_dirs(workspace)
        for area, group in ((LEEDS, leeds), (BRADFORD, bradford)):
            for path in group:
                shutil.copyfile(path, dirs[area] / path.name)
        order = [("ours", ("ours-ingest", str(workspace.root))),
                 ("duckdb", ("duckdb-raw", str(rep_dir / "raw.duckdb"), *map(str, files))),
                 ("pandas", ("pandas-clean", str(rep_dir / "pandas.duckdb"), *map(str, files)))]
        for name, args in order[rep % 3:] + order[: rep % 3]:  # rotate who goes first
            run = task(*args, label=f"load {name}")
            runs[name].append(run)
            print(f"  rep {rep + 1}  {name:<7} wall {fmt_s(run.wall_s):>9}  cpu {fmt_s(run.cpu_s):>9}  "
                  f"peak {fmt_mib(run.peak_rss):>9}  "
                  f"rows {run.out.get('rows_loaded', 0):,}", flush=True)
        shutil.rmtree(rep_dir, ignore_errors=True)

    ours_s, ours_cpu, ours_rss = median_run(runs["ours"])
    duck_s, duck_cpu, duck_rss = median_run(runs["duckdb"])
    pand_s, pand_cpu, pand_rss = median_run(runs["pandas"])
    o, d, p = runs["ours"][0].out, runs["duckdb"][0].out, runs["pandas"][0].out
    print(f"\n  {'':<44}{'median wall':>12}{'median cpu':>12}{'peak RSS':>11}{'rows loaded':>13}{'rows/s':>10}")
    for label, secs, cpu, rss, rows in (
        ("totalplace ingest (parse, check, classify)", ours_s, ours_cpu, ours_rss, o["rows_loaded"]),
        ("DuckDB read_csv, all text, no cleaning", duck_s, duck_cpu, duck_rss, d["rows_loaded"]),
        ("pandas, the same cleaning", pand_s, pand_cpu, pand_rss, p["rows_loaded"]),
    ):
        print(f"  {label:<44}{fmt_s(secs):>12}{fmt_s(cpu):>12}{fmt_mib(rss):>11}{rows:>13,}{rows / secs:>10,.0f}")
    print(f"  (wall = whole process: start-up, imports, work; work alone inside the process, median: "
          f"ours {fmt_s(statistics.median(r.out['work_s'] for r in runs['ours']))}, "
          f"DuckDB {fmt_s(statistics.median(r.out['work_s'] for r in runs['duckdb']))}, "
          f"pandas {fmt_s(statistics.median(r.out['work_s'] for r in runs['pandas']))})")
    print(f"  totalplace rejected {o['rows_rejected']} rows and loaded £{o['money_loaded']}; "
          f"pandas rejected {p['rows_rejected']} and loaded £{p['money_loaded']}.")
    print("  Notes: DuckDB's read_csv reads UTF-8, UTF-16 and Latin-1 only; the Windows-1252 files\n"
          "  fail as invalid UTF-8, so the baseline uses ignore_errors=true (its row count above shows\n"
          "  what it kept) and does no date/amount parsing, checks or classification.\n"
          "  The pandas baseline uses the C parser with on_bad_lines='skip', so rows with more cells\n"
          "  than the header are dropped (totalplace keeps or rejects them with a reason); amounts are\n"
          "  floats; it does no classification, hashing or per-file accounting.")
    vs_duck, vs_pandas = duck_s / ours_s, pand_s / ours_s
    print(f"\n  SPEED RATIO (their wall / our wall; above 1 = we are faster):\n"
          f"    vs DuckDB read_csv: {duck_s:.2f} / {ours_s:.2f} = {vs_duck:.2f}x   (goal >= 0.5x)\n"
          f"    vs pandas cleaning: {pand_s:.2f} / {ours_s:.2f} = {vs_pandas:.2f}x   (goal >= 5x)\n"
          f"  the same by CPU time (user + system, all threads; steadier when the machine is shared):\n"
          f"    vs DuckDB read_csv: {duck_cpu / ours_cpu:.2f}x    vs pandas cleaning: {pand_cpu / ours_cpu:.2f}x")
    summary += [
        ("load: totalplace wall (median)", fmt_s(ours_s), "-", None),
        ("load: DuckDB read_csv wall (median)", fmt_s(duck_s), "-", None),
        ("load: pandas cleaning wall (median)", fmt_s(pand_s), "-", None),
        ("load: speed vs DuckDB read_csv (theirs/ours)", f"{vs_duck:.2f}x", ">= 0.5x", vs_duck >= 0.5),
        ("load: speed vs pandas cleaning (theirs/ours)", f"{vs_pandas:.2f}x", ">= 5x", vs_pandas >= 5),
        ("load: totalplace peak RSS", fmt_mib(ours_rss), "-", None),
    ]


def bench_scale(rows: int, files: int, runs: int, tmp: Path, summary: list) -> None:
    print(f"\n== 2. Scale: a synthetic Bradford-layout ledger of {rows:,} rows in {files} files ==")
    workspace = init_workspace(tmp / "scale" / "ws", "Bradford", [BRADFORD])
    folder = council_dirs(workspace)[BRADFORD]
    gen = run_child(str(SYNTH), str(folder), "--rows", str(rows), "--files", str(files), label="generate")
    size = sum(p.stat().st_size for p in folder.glob("*.csv"))
    print(f"  generated {fmt_mib(size)} of CSV in {fmt_s(gen.wall_s)} (not part of any figure)", flush=True)

    run = task("scale", str(workspace.root), label="scale ingest + count")
    out = run.out
    per_s = out["rows_read"] / out["ingest_s"]
    store = workspace.store_path.stat().st_size
    print(f"  ingest {fmt_s(out['ingest_s'])}: {out['rows_read']:,} rows read, {out['rows_loaded']:,} loaded, "
          f"{out['rows_rejected']:,} rejected -> {per_s:,.0f} rows/s")
    print(f"  first count by theme ({out['year']}, cold): {fmt_s(out['count_s'])}, {out['themes']} themes, "
          f"{out['count_lines']:,} lines, £{out['count_total']}")
    print(f"  whole process (ingest + count): {fmt_s(run.wall_s)}, peak RSS {fmt_mib(run.peak_rss)} "
          f"(goal < 2 GiB); store file {fmt_mib(store)}", flush=True)
    summary += [
        ("scale: ingest rows/s", f"{per_s:,.0f}", "-", None),
        ("scale: peak RSS, ingest + count", fmt_mib(run.peak_rss), "< 2048 MiB", run.peak_rss < 2 * GIB),
    ]

    print(f"\n== 3. Count speed on that store: warm, 1 run then {runs} timed, median ==")
    warm = task("count-warm", str(workspace.root), str(runs), label="count warm")
    w = warm.out
    ratio = w["count_median_s"] / w["sum_median_s"]
    print(f"  count(by='theme'): median {fmt_s(w['count_median_s'])}  runs "
          + ", ".join(f"{t:.3f}" for t in w["count_runs_s"]))
    print(f"  baseline SELECT sum(amount) FROM spend_line: median {fmt_s(w['sum_median_s'])}  runs "
          + ", ".join(f"{t:.3f}" for t in w["sum_runs_s"]))
    print(f"  {w['spend_lines']:,} spend lines; count takes {ratio:.1f}x the plain sum; "
          f"process peak RSS {fmt_mib(warm.peak_rss)}")
    summary += [
        ("count: by theme, warm median", fmt_s(w["count_median_s"]), "< 1 s", w["count_median_s"] < 1),
        ("count: vs plain sum(amount) (ours/theirs)", f"{ratio:.1f}x", "-", None),
    ]
    shutil.rmtree(tmp / "scale", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="totalplace benchmarks")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of the load benchmark (3)")
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the synthetic ledger (10M)")
    parser.add_argument("--files", type=int, default=10, help="files of the synthetic ledger (10)")
    parser.add_argument("--count-runs", type=int, default=5, help="timed warm count runs (5)")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    import duckdb
    import pandas

    print(f"totalplace benchmarks: Python {sys.version.split()[0]}, duckdb {duckdb.__version__}, "
          f"pandas {pandas.__version__}, {os.cpu_count()} CPUs")
    wait_for_reference_data()
    summary: list[tuple[str, str, str, bool | None]] = []
    with tempfile.TemporaryDirectory(prefix="totalplace-bench-") as name:
        tmp = Path(name)
        if not args.skip_load:
            bench_load(args.reps, tmp, summary)
        if not args.skip_scale:
            bench_scale(args.rows, args.files, args.count_runs, tmp, summary)

    print("\n== Summary ==")
    print(f"  {'figure':<46}{'value':>12}  {'goal':<12}met")
    for figure, value, goal, met in summary:
        print(f"  {figure:<46}{value:>12}  {goal:<12}{'-' if met is None else ('yes' if met else 'NO')}")
    print(f"\n  total benchmark time {fmt_s(time.perf_counter() - started)}")


if __name__ == "__main__":
    main()
