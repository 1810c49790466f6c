"""The measured programs: run.py starts each one in its own subprocess.

    python benchmarks/tasks.py TASK ARGS...

Each prints one JSON line on stdout with what it did and how long its work
took inside the process (run.py also times the whole process from outside and
reads its peak memory).
"""

from __future__ import annotations

import json
import statistics
import sys
import time

START = time.perf_counter()


def ours_ingest(workspace_dir: str) -> dict:
    """totalplace: ingest every agency folder of a fresh workspace."""
    from pathlib import Path

    from totalplace.ingest.load import ingest
    from totalplace.workspace import open_workspace

    workspace = open_workspace(Path(workspace_dir))
    started = time.perf_counter()
    result = ingest(workspace)
    return {
        "work_s": time.perf_counter() - started,
        "files": len(result.files),
        "rows_loaded": sum(f.rows_loaded for f in result.files),
        "rows_rejected": sum(f.rows_rejected for f in result.files),
        "money_loaded": str(sum(f.money_loaded for f in result.files)),
    }


def duckdb_raw(db_path: str, *paths: str) -> dict:
    """DuckDB alone: each file into its own table, all text, no cleaning."""
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(db_path)
    rows = 0
    for index, path in enumerate(paths):
        con.execute(
            f"CREATE TABLE t{index} AS SELECT * FROM read_csv(?, all_varchar=true, ignore_errors=true)",
            [path],
        )
        rows += con.execute(f"SELECT count(*) FROM t{index}").fetchone()[0]
    con.close()
    return {"work_s": time.perf_counter() - started, "files": len(paths), "rows_loaded": rows}


def pandas_clean(db_path: str, *paths: str) -> dict:
    """The pandas baseline of the same cleaning (see pandas_baseline.py)."""
    from pathlib import Path

    import pandas_baseline

    started = time.perf_counter()
    out = pandas_baseline.load(Path(db_path), [Path(p) for p in paths])
    return {"work_s": time.perf_counter() - started, "files": len(paths), **out}


def scale(workspace_dir: str) -> dict:
    """Ingest a big synthetic ledger, then count it by theme once (cold)."""
    from pathlib import Path

    from totalplace.count.bottomup import count
    from totalplace.ingest.load import ingest
    from totalplace.store.connection import connect
    from totalplace.workspace import open_workspace

    workspace = open_workspace(Path(workspace_dir))
    started = time.perf_counter()
    result = ingest(workspace)
    ingest_s = time.perf_counter() - started
    con = connect(workspace, read_only=True)
    started = time.perf_counter()
    counted = count(con, workspace, by="theme")
    count_s = time.perf_counter() - started
    con.close()
    return {
        "ingest_s": ingest_s, "count_s": count_s,
        "rows_read": sum(f.rows_read for f in result.files),
        "rows_loaded": sum(f.rows_loaded for f in result.files),
        "rows_rejected": sum(f.rows_rejected for f in result.files),
        "year": counted.fiscal_year, "count_lines": counted.lines, "count_total": str(counted.total),
        "themes": len(counted.rows),
    }


def count_warm(workspace_dir: str, runs: str = "5") -> dict:
    """count(by='theme') warm: once to warm up, then `runs` timed; the same for a plain sum."""
    from pathlib import Path

    from totalplace.count.bottomup import count
    from totalplace.store.connection import connect
    from totalplace.workspace import open_workspace

    workspace = open_workspace(Path(workspace_dir))
    con = connect(workspace, read_only=True)

    def timed(fn) -> list[float]:
        fn()
        times = []
        for _ in range(int(runs)):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return times

    ours = timed(lambda: count(con, workspace, by="theme"))
    plain = timed(lambda: con.execute("SELECT sum(amount) FROM spend_line").fetchall())
    lines = con.execute("SELECT count(*) FROM spend_line").fetchone()[0]
    con.close()
    return {
        "count_runs_s": ours, "count_median_s": statistics.median(ours),
        "sum_runs_s": plain, "sum_median_s": statistics.median(plain), "spend_lines": lines,
    }


TASKS = {
    "ours-ingest": ours_ingest, "duckdb-raw": duckdb_raw, "pandas-clean": pandas_clean,
    "scale": scale, "count-warm": count_warm,
}

if __name__ == "__main__":
    name, *args = sys.argv[1:]
    out = TASKS[name](*args)
    out["process_s"] = time.perf_counter() - START
    print(json.dumps(out))
