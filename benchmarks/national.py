"""Benchmark: a national ledger and cohort on the Spark engine (local mode), against DuckDB (issue 8).

    python benchmarks/national.py                                   # 100M lines, 10M people, 200M events
    python benchmarks/national.py --lines 1000000 --people 100000 --events 2000000 --chunk 250000   # CI size

Steps, each in a fresh Python process (wall time from outside, peak RSS from
os.wait4; see benchmarks/README.md):
1. generate the Parquet store (benchmarks/national_synth.py; not part of any figure);
2. Spark local[2]: `count` by agency, theme and year over all years, on the whole ledger;
3. DuckDB: the project's `store import` of the ledger's Parquet into a workspace (timed on its own),
   then the same three counts on the DuckDB store, and on the Parquet read directly by DuckDB;
4. Spark local[2]: cohort `link` (written to the Parquet store by Spark) and the concentration curve;
5. scaling: the three counts on Spark with 1 and 2 cores at several ledger sizes (the first
   files of the same ledger), from which the cores for 1 billion lines in 10 minutes are projected.
Each Spark child also reports the JVM's own peak RSS (VmHWM of the java process it started), as
the Python driver's ru_maxrss does not include it. Every count must agree to the penny between engines.
Goal: peak driver memory (Python and JVM) under 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import GIB, fmt_mib, fmt_s, run_child  # noqa: E402  (the shared measuring of a child process)

BYS = ("agency", "theme", "year")
TARGET_LINES = 1_000_000_000
TARGET_S = 600.0
LEDGER_TABLES = ("spend_line", "source_file", "agency", "place")


def child(*args: str, label: str):
    started = time.strftime("%H:%M:%S")
    load = os.getloadavg()
    print(f"[{started}] {label} ... (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})", flush=True)
    run = run_child(str(Path(__file__).resolve()), "--task", *args, label=label)
    run.out["load_before"] = load
    run.out["load_after"] = os.getloadavg()
    print(f"    {fmt_s(run.wall_s)} wall, {fmt_s(run.cpu_s)} CPU, peak RSS {fmt_mib(run.peak_rss)}"
          + (f", JVM peak {fmt_mib(run.out['jvm_peak'])}" if run.out.get("jvm_peak") else ""), flush=True)
    return run


# ---- memory of the process and the JVM it started ---------------------------------------------------

def status_field(pid: int | str, field: str) -> int:
    """A size from /proc/PID/status (VmHWM: the peak resident set), in bytes; 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def descendants(root: int) -> list[int]:
    """Every process below `root` (the JVM is a child of spark-submit's launcher or of Python itself)."""
    parent_of = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parent_of[int(entry.name)] = int(fields[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parent_of.items() if parent == pid]
        found += children
        frontier += children
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def jvms() -> list[int]:
    return [pid for pid in descendants(os.getpid())
            if Path(f"/proc/{pid}/comm").exists() and Path(f"/proc/{pid}/comm").read_text().strip() == "java"]


def jvm_cpu() -> float:
    """The JVM's CPU time: on a shared machine a steadier measure of Spark's work than wall time."""
    return sum(cpu_seconds(pid) for pid in jvms())


def jvm_peak() -> int:
    """The peak RSS of the JVM(s) this process started: read before Spark stops, as it is lost after."""
    return max((status_field(pid, "VmHWM") for pid in jvms()), default=0)


# ---- the measured programs ---------------------------------------------------------------------------

def counts(con, workspace) -> dict:
    """The three counts over all years: time, and every figure (to compare engines to the penny)."""
    from totalplace.count.bottomup import count

    result = {}
    for by in BYS:
        started, cpu = time.perf_counter(), jvm_cpu()
        c = count(con, workspace, by, "all")
        result[by] = {"seconds": time.perf_counter() - started, "jvm_cpu_s": jvm_cpu() - cpu,
                      "total": str(c.total), "lines": c.lines,
                      "rows": [[r.key, str(r.amount), r.lines] for r in c.rows]}
    return result


def finish(result: dict, con=None) -> dict:
    """Memory peaks, read while the JVM still runs; then Spark stopped."""
    result["python_peak"] = status_field("self", "VmHWM")
    result["jvm_peak"] = jvm_peak()
    result["jvm_cpu_s"] = jvm_cpu()
    if con is not None and getattr(con, "engine", None) == "spark":
        con.spark.stop()
    return result


def task_spark_count(workspace: Path) -> dict:
    from totalplace.store.connection import connect
    from totalplace.workspace import open_workspace

    ws = open_workspace(workspace)
    started = time.perf_counter()
    con = connect(ws, read_only=True)  # starts the JVM and registers the Parquet store's tables
    startup = time.perf_counter() - started
    return finish({"startup_s": startup, "counts": counts(con, ws)}, con)


def task_spark_cohort(workspace: Path) -> dict:
    from totalplace.deepdive.cohort_report import concentration
    from totalplace.deepdive.cohorts import link
    from totalplace.store.connection import connect
    from totalplace.workspace import open_workspace

    ws = open_workspace(workspace)
    started = time.perf_counter()
    con = connect(ws, read_only=True)
    startup = time.perf_counter() - started
    started = time.perf_counter()
    people, households = link(con)
    link_s = time.perf_counter() - started
    started = time.perf_counter()
    curve = concentration(con, "all")
    top5 = next(p for p in curve.points if p.percent == 5.0)
    return finish({"startup_s": startup, "link_s": link_s, "concentration_s": time.perf_counter() - started,
                   "people": people, "households": households, "units": curve.units, "total": str(curve.total),
                   "top5_share": top5.share, "top5_units": top5.units, "top1_share": curve.points[0].share}, con)


def task_duckdb_import(workspace: Path, store: Path) -> dict:
    from totalplace.store.portable import import_store
    from totalplace.workspace import open_workspace

    started = time.perf_counter()
    tables = import_store(open_workspace(workspace), store)
    return finish({"work_s": time.perf_counter() - started, "tables": tables})


def task_duckdb_count(workspace: Path) -> dict:
    from totalplace.store.connection import connect
    from totalplace.workspace import open_workspace

    ws = open_workspace(workspace)
    con = connect(ws, read_only=True)
    result = finish({"counts": counts(con, ws)})
    con.close()
    return result


def task_duckdb_parquet(workspace: Path, store: Path) -> dict:
    """The same counts with DuckDB reading the Parquet store in place (no import)."""
    import duckdb

    from totalplace.workspace import open_workspace

    con = duckdb.connect()
    con.execute(f"CREATE VIEW spend_line AS SELECT * FROM read_parquet('{store}/spend_line/*.parquet')")
    return finish({"counts": counts(con, open_workspace(workspace))})


TASKS = {"spark-count": task_spark_count, "spark-cohort": task_spark_cohort, "duckdb-import": task_duckdb_import,
         "duckdb-count": task_duckdb_count, "duckdb-parquet": task_duckdb_parquet}


# ---- setting up data, stores and workspaces (not timed) ----------------------------------------------

def generate(data: Path, sizes: dict) -> None:
    """The Parquet store, unless one of these sizes is already there (generating 100M lines takes minutes)."""
    manifest = data / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("sizes") == sizes:
        print(f"reusing the generated store in {data}", flush=True)
        return
    shutil.rmtree(data, ignore_errors=True)
    args = [str(HERE / "national_synth.py"), str(data)] + [f"--{k}={v}" for k, v in sizes.items()]
    made = run_child(*args, label="generate")
    manifest.write_text(json.dumps({"sizes": sizes, "made": made.out}))
    print(f"generated {made.out} in {fmt_s(made.wall_s)} (not part of any figure)", flush=True)


def ledger_store(data: Path, stores: Path, parts: int | None) -> tuple[Path, int]:
    """A store of the ledger's first `parts` files (all if None), by symlinks; and its line count."""
    import pyarrow.parquet as pq

    files = sorted((data / "spend_line").glob("*.parquet"))[:parts]
    name = f"ledger-{len(files)}"
    store = stores / name
    shutil.rmtree(store, ignore_errors=True)
    (store / "spend_line").mkdir(parents=True)
    for f in files:
        (store / "spend_line" / f.name).symlink_to(f)
    for table in LEDGER_TABLES[1:]:
        (store / table).symlink_to(data / table)
    return store, sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def cohort_store(data: Path, stores: Path) -> Path:
    """The cohort's events, by symlink; `link` writes its derived tables beside them."""
    store = stores / "cohort"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    for table in ("cohort_event", "agency", "place"):
        (store / table).symlink_to(data / table)
    return store


def make_workspace(root: Path, store: Path | None, cores: int, config: dict[str, str]) -> Path:
    """A workspace on Spark local[cores] over `store`, or on DuckDB when store is None."""
    from totalplace.workspace import Engine, SparkSettings, init_workspace

    shutil.rmtree(root, ignore_errors=True)
    ws = init_workspace(root, "England (synthetic)", ["E08000032"])
    if store is not None:
        ws.settings.engine = Engine.SPARK
        ws.settings.spark = SparkSettings(master=f"local[{cores}]", store=str(store), config=config)
    ws.save()
    return root


# ---- checking and reporting --------------------------------------------------------------------------

def same_figures(a: dict, b: dict) -> list[str]:
    """Where two runs' counts differ (exact decimals), as lines to print; empty when they agree."""
    differ = []
    for by in BYS:
        rows_a = [(k, Decimal(v), n) for k, v, n in a[by]["rows"]]
        rows_b = [(k, Decimal(v), n) for k, v, n in b[by]["rows"]]
        if Decimal(a[by]["total"]) != Decimal(b[by]["total"]) or rows_a != rows_b:
            differ.append(f"count by {by}: totals {a[by]['total']} vs {b[by]['total']}")
    return differ


def count_seconds(run) -> float:
    return sum(run.out["counts"][by]["seconds"] for by in BYS)


def fit_line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares t = a + b * n over (n, t) points: a fixed cost and seconds per line."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    b = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx if sxx else mean_y / mean_x
    return mean_y - b * mean_x, b


def project(scaling: dict[int, list[tuple[int, float]]]) -> dict:
    """Cores for TARGET_LINES in TARGET_S, by Amdahl's law from the measured 1- and 2-core fits.

    Per core count: t(n) = a + b n by least squares over the sizes. The parallel
    fraction p comes from the speedup of the per-line cost, b1/b2 = 1 / ((1-p) + p/2).
    Then t(N, c) = a2 + b1 N ((1-p) + p/c), solved for c.
    """
    a1, b1 = fit_line(scaling[1])
    a2, b2 = fit_line(scaling[2])
    if b1 <= 0 or b2 <= 0:  # fixed costs swamp the per-line cost at these sizes: nothing to project from
        return {"a1": a1, "b1": b1, "a2": a2, "b2": b2, "cores": None, "unmeasurable": True}
    speedup = b1 / b2
    if not 1.0 < speedup <= 2.0:  # two cores slower than one: other work took the cores; Amdahl cannot be fitted
        linear = math.ceil(b1 * TARGET_LINES / (TARGET_S - max(a1, 0))) if a1 < TARGET_S else None
        return {"a1": a1, "b1": b1, "a2": a2, "b2": b2, "speedup": speedup, "efficiency": speedup / 2,
                "parallel_fraction": None, "per_core_lines_s": 1 / b1, "cores": None, "cores_linear": linear,
                "serial_s": None, "contended": True}
    p = min(1.0, max(0.0, 2 * (1 - 1 / speedup)))
    serial_s = a2 + b1 * TARGET_LINES * (1 - p)
    parallel_s = b1 * TARGET_LINES * p
    cores = math.ceil(parallel_s / (TARGET_S - serial_s)) if serial_s < TARGET_S and p > 0 else None
    # Without Amdahl: perfectly linear scaling at the measured per-core rate (a lower bound on cores).
    linear = math.ceil(b1 * TARGET_LINES / (TARGET_S - a2)) if a2 < TARGET_S else None
    return {"a1": a1, "b1": b1, "a2": a2, "b2": b2, "speedup": speedup, "efficiency": speedup / 2,
            "parallel_fraction": p, "per_core_lines_s": 1 / b1, "cores": cores, "cores_linear": linear,
            "serial_s": serial_s}


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)))


def rate(lines: int, seconds: float) -> str:
    return f"{lines / seconds / 1e6:,.1f}M lines/s" if seconds else "-"


def report(lines: int, spark, duck_import, duck, duck_pq, cohort, scaling_runs, projection) -> dict:
    print("\n== national benchmark: figures")
    rows = [["step", "wall", "work", "rate (3 counts: lines x 3 / work)", "Python peak", "JVM peak"]]
    for label, run in (("Spark local[2]: 3 counts", spark), ("DuckDB store: 3 counts", duck),
                       ("DuckDB on Parquet: 3 counts", duck_pq)):
        if run:
            rows.append([label, fmt_s(run.wall_s), fmt_s(count_seconds(run)), rate(3 * lines, count_seconds(run)),
                         fmt_mib(run.out["python_peak"]), fmt_mib(run.out["jvm_peak"]) if run.out["jvm_peak"] else "-"])
    if duck_import:
        rows.append(["DuckDB: store import", fmt_s(duck_import.wall_s), fmt_s(duck_import.out["work_s"]),
                     rate(lines, duck_import.out["work_s"]), fmt_mib(duck_import.out["python_peak"]), "-"])
    if cohort:
        o = cohort.out
        rows.append(["Spark local[2]: cohort link", fmt_s(cohort.wall_s), fmt_s(o["link_s"]), "", "", ""])
        rows.append(["Spark local[2]: concentration", "", fmt_s(o["concentration_s"]), "",
                     fmt_mib(o["python_peak"]), fmt_mib(o["jvm_peak"])])
    print_table(rows)
    for run in (spark, duck):
        if run:
            for by in BYS:
                c = run.out["counts"][by]
                print(f"  {'Spark ' if run is spark else 'DuckDB'} count by {by}: {fmt_s(c['seconds'])}, "
                      f"{len(c['rows'])} rows, total £{Decimal(c['total']):,}, {c['lines']:,} lines")
    if cohort:
        o = cohort.out
        print(f"  cohort: {o['people']:,} people, {o['households']:,} households; top 5% of households "
              f"({o['top5_units']:,}) hold {o['top5_share']:.1%} of £{Decimal(o['total']):,}")
    summary = {"lines": lines}
    wins = []
    if spark and duck:
        agree = same_figures(spark.out["counts"], duck.out["counts"])
        agree_pq = same_figures(spark.out["counts"], duck_pq.out["counts"]) if duck_pq else []
        print(f"  figures agree between engines to the penny: {'YES' if not agree + agree_pq else 'NO'}"
              + "".join(f"\n    {d}" for d in agree + agree_pq))
        summary["agree"] = not agree + agree_pq
        ratio = count_seconds(spark) / count_seconds(duck)
        wall_ratio = spark.wall_s / (duck.wall_s + duck_import.wall_s) if duck_import else None
        wins.append(f"counts, store ready: {'DuckDB' if ratio > 1 else 'Spark'} wins, "
                    f"Spark work time / DuckDB = {ratio:.2f}x")
        if duck_pq:
            wins.append(f"counts straight from Parquet: Spark {fmt_s(spark.wall_s)} wall vs DuckDB "
                        f"{fmt_s(duck_pq.wall_s)}: {'DuckDB' if duck_pq.wall_s < spark.wall_s else 'Spark'} wins")
        if wall_ratio:
            wins.append(f"counts from the Parquet store, DuckDB needing its import first: Spark {fmt_s(spark.wall_s)} "
                        f"vs DuckDB {fmt_s(duck_import.wall_s + duck.wall_s)} "
                        f"({'Spark' if wall_ratio < 1 else 'DuckDB'} wins, {wall_ratio:.2f}x)")
        memory = max(spark.out["jvm_peak"], spark.peak_rss)
        wins.append(f"memory of the counts: Spark {fmt_mib(memory)} (JVM) vs DuckDB {fmt_mib(duck.peak_rss)}: "
                    f"{'DuckDB' if duck.peak_rss < memory else 'Spark'} wins")
        wins.append("beyond one machine: only Spark (DuckDB cannot add a second machine's cores)")
    print("  where each engine wins:" + "".join(f"\n    - {w}" for w in wins))
    peaks = [r.out.get(k, 0) for r in (spark, cohort, *scaling_runs.values()) if r for k in ("python_peak", "jvm_peak")]
    peak = max(peaks, default=0)
    print(f"  peak driver memory over the Spark steps (Python or JVM): {fmt_mib(peak)}  goal < 4 GiB: "
          f"{'MET' if peak < 4 * GIB else 'NOT MET'}")
    if scaling_runs:
        print("\n== scaling: Spark, the 3 counts, work time (lines/s/core)")
        for (n, cores), run in sorted(scaling_runs.items()):
            t = count_seconds(run)
            print(f"  {n:>13,} lines  local[{cores}]  {fmt_s(t):>9}  {3 * n / t / cores / 1e6:,.2f}M lines/s/core "
                  f"(wall {fmt_s(run.wall_s)}, JVM peak {fmt_mib(run.out['jvm_peak'])})")
    if projection and projection.get("unmeasurable"):
        print("  the per-line cost is lost in the fixed costs at these sizes: no projection (run bigger sizes)")
    elif projection:
        p = projection
        print(f"  fit t = a + b*n: 1 core a={p['a1']:.2f} s, {1 / p['b1'] / 1e6:,.2f}M lines/s; "
              f"2 cores a={p['a2']:.2f} s, {1 / p['b2'] / 1e6:,.2f}M lines/s")
        if p.get("contended"):
            print(f"  speedup 1->2 cores {p['speedup']:.2f}x: the machine's other work took the cores, so no "
                  f"parallel fraction can be fitted; projection at perfectly linear scaling of the 1-core rate: "
                  f"{p['cores_linear']} cores (a lower bound)")
            return summary | {"wins": wins, "peak": peak, "projection": projection}
        print(f"  speedup 1->2 cores {p['speedup']:.2f}x, parallel efficiency {p['efficiency']:.0%}, "
              f"Amdahl parallel fraction p={p['parallel_fraction']:.3f}")
        print("  projection, 1 billion lines, the 3 counts in 10 minutes: "
              + (f"{p['cores']} cores (Amdahl); {p['cores_linear']} if scaling were perfectly linear"
                 if p["cores"] else f"not reachable by Amdahl's law (serial part {p['serial_s']:.0f} s); "
                                    f"{p['cores_linear']} cores if scaling were linear"))
    summary.update({"wins": wins, "peak": peak, "projection": projection})
    return summary


# ---- the driver --------------------------------------------------------------------------------------

def run_all(args: argparse.Namespace) -> None:
    work: Path = args.work
    data, stores, spaces = work / "data", work / "stores", work / "workspaces"
    sizes = {"lines": args.lines, "people": args.people, "events": args.events, "chunk": args.chunk}
    generate(data, sizes)
    config = {"spark.driver.memory": args.driver_memory,
              "spark.sql.shuffle.partitions": str(args.shuffle_partitions)}
    full, lines = ledger_store(data, stores, None)
    print(f"ledger: {lines:,} lines; load average {os.getloadavg()}", flush=True)
    runs: dict = {}
    scaling_runs: dict = {}
    save = lambda: save_results(work / "results.json", sizes, runs, scaling_runs)  # noqa: E731  after every step

    runs["spark"] = child("spark-count", str(make_workspace(spaces / "spark-2", full, 2, config)),
                          label="Spark count local[2]")
    save()
    duck_ws = make_workspace(spaces / "duckdb", None, 0, {})
    runs["duck_import"] = child("duckdb-import", str(duck_ws), str(full), label="DuckDB store import")
    runs["duck"] = child("duckdb-count", str(duck_ws), label="DuckDB count (store)")
    shutil.rmtree(duck_ws / "store", ignore_errors=True)  # the 100M-line DuckDB file: no longer needed
    runs["duck_parquet"] = child("duckdb-parquet", str(duck_ws), str(full), label="DuckDB count (Parquet in place)")
    save()
    if not args.skip_scaling:  # before the cohort: the projection is the figure the issue asks for most
        scale(data, stores, spaces, config, runs["spark"], args, scaling_runs, save)
    if args.events:
        cstore = cohort_store(data, stores)
        runs["cohort"] = child("spark-cohort", str(make_workspace(spaces / "cohort", cstore, 2, config)),
                               label="Spark cohort link + concentration local[2]")
        save()
    projection = None
    if scaling_runs:
        by_cores = {c: [(n, count_seconds(r)) for (n, cc), r in scaling_runs.items() if cc == c] for c in (1, 2)}
        projection = project(by_cores)
    summary = report(lines, runs["spark"], runs["duck_import"], runs["duck"], runs["duck_parquet"],
                     runs.get("cohort"), scaling_runs, projection)
    save_results(work / "results.json", sizes, runs, scaling_runs, summary)
    print(f"\nresults: {work / 'results.json'}")


def save_results(path: Path, sizes: dict, runs: dict, scaling_runs: dict, summary: dict | None = None) -> None:
    """Every figure so far, as JSON: a run cut short still leaves what it measured."""
    record = {k: {"wall_s": r.wall_s, "cpu_s": r.cpu_s, "peak_rss": r.peak_rss, **r.out} for k, r in runs.items()}
    record["scaling"] = [{"lines": n, "cores": c, "wall_s": r.wall_s, "count_s": count_seconds(r),
                          "jvm_cpu_s": r.out.get("jvm_cpu_s"), "jvm_peak": r.out["jvm_peak"],
                          "load": r.out["load_before"]}
                         for (n, c), r in sorted(scaling_runs.items())]
    path.write_text(json.dumps({"sizes": sizes, "summary": summary, "runs": record}, default=str, indent=1))


def scale(data: Path, stores: Path, spaces: Path, config: dict, full_run, args, runs: dict, save) -> None:
    """The 3 counts at each fraction of the ledger with 1 and 2 cores (the full 2-core run is reused)."""
    parts_total = len(list((data / "spend_line").glob("*.parquet")))
    for fraction in args.fractions:
        parts = max(1, round(parts_total * fraction))
        store, n = ledger_store(data, stores, parts)
        for cores in (1, 2):
            if parts == parts_total and cores == 2:
                runs[(n, cores)] = full_run
                save()
                continue
            ws = make_workspace(spaces / f"scale-{parts}-{cores}", store, cores, config)
            runs[(n, cores)] = child("spark-count", str(ws), label=f"Spark count local[{cores}], {n:,} lines")
            save()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000_000)
    parser.add_argument("--people", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=200_000_000, help="0: no cohort")
    parser.add_argument("--chunk", type=int, default=5_000_000, help="rows per generated Parquet file")
    parser.add_argument("--work", type=Path, default=Path("/tmp/totalplace-national"),
                        help="where data, stores and workspaces go (tens of GB at full size)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data for another run")
    parser.add_argument("--driver-memory", default="2g", help="spark.driver.memory (the JVM's heap)")
    parser.add_argument("--shuffle-partitions", type=int, default=64)
    parser.add_argument("--fractions", type=lambda s: [float(x) for x in s.split(",")], default=[0.25, 0.5, 1.0],
                        help="ledger sizes for the scaling runs, as fractions of --lines")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--task", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        name, *rest = args.task
        print(json.dumps(TASKS[name](*map(Path, rest)), default=str))
        return
    try:
        run_all(args)
    finally:
        if not args.keep:
            shutil.rmtree(args.work / "stores", ignore_errors=True)
            shutil.rmtree(args.work / "workspaces", ignore_errors=True)
            shutil.rmtree(args.work / "data", ignore_errors=True)


if __name__ == "__main__":
    main()
