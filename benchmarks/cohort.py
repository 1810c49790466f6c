"""Benchmark: linking and aggregating a person-level cohort, against a straightforward pandas version.

    python benchmarks/cohort.py                      # 1 million people, about 20 million events, 5 agencies
    python benchmarks/cohort.py --people 100000      # a quicker run
    python benchmarks/cohort.py --skip-pandas

Steps, each in a fresh Python process (wall time from outside, peak RSS from
os.wait4 as it exits; see benchmarks/README.md):
1. generate the synthetic cohort's CSV files (`totalplace cohort synth`'s generator; not part of any figure);
2. totalplace load: read every agency's files, pseudonymise ids (HMAC-SHA256), store, link people to
   households across agencies and summarise per person, year and agency (`cohorts.load`);
3. totalplace figures: every cohort output (summary, bands, by agency, concentration by household and
   person of all cost, services and payments, 3+ agencies, repeat assessments, top cohort by agency,
   linkage), with suppression decided across all of them together;
4. pandas: the same from the same files: read_csv, HMAC of each distinct id (spaces and dashes set aside),
   household by the most frequent id, the same figures with groupby (no suppression).
Goal: steps 2 + 3 (linking and aggregating) under 60 s and under 4 GiB peak memory.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import GIB, fmt_mib, fmt_s, run_child  # noqa: E402  (the shared measuring of a child process)

KEY = b"benchmark-key-not-secret-0123456789"
YEAR = "2023-24"


def child(*args: str, label: str):
    return run_child(str(Path(__file__).resolve()), "--task", *args, label=label)


# ---- the measured programs ---------------------------------------------------------------------

def task_generate(workspace: Path, people: int, events_per_person: float) -> dict:
    from totalplace.deepdive import synthetic
    from totalplace.workspace import init_workspace

    ws = init_workspace(workspace, "Bradford", ["E08000032"])
    result = synthetic.generate(ws.root / "cohort", people, [YEAR], seed=1, events_per_person=events_per_person)
    return {"events": result.events, "people": result.people, "files": len(result.files)}


def task_load(workspace: Path) -> dict:
    from totalplace.deepdive import cohorts
    from totalplace.workspace import open_workspace

    started = time.perf_counter()
    result = cohorts.load(open_workspace(workspace), KEY)
    return {"work_s": time.perf_counter() - started, "people": result.people, "households": result.households,
            "events": sum(f.rows_loaded for f in result.files)}


def task_figures(workspace: Path) -> dict:
    from totalplace.deepdive import cohort_report as figures
    from totalplace.workspace import open_workspace

    ws = open_workspace(workspace)
    started = time.perf_counter()
    con = figures.open_cohort(ws)
    published = figures.publish(con, ws)
    tables = published.tables()
    con.close()
    summary = published.summary(YEAR)
    return {"work_s": time.perf_counter() - started, "headline": published.headline(YEAR), "tables": len(tables),
            "withheld": len(published.plan.withheld()), "people": summary.rows[0][1],
            "households": summary.rows[0][2]}


def task_pandas(workspace: Path) -> dict:
    """The straightforward pandas version of load + figures (generous: floats, no accounting of bad rows)."""
    import pandas as pd

    started = time.perf_counter()
    frames = []
    for folder in sorted(p for p in (workspace / "cohort").iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.csv")):
            frame = pd.read_csv(path, dtype={"person id": str, "NHS number": str, "household id": str,
                                             "service": "category", "kind": "category"}, parse_dates=["date"])
            frame = frame.rename(columns={"NHS number": "person id"})
            frame["agency"] = folder.name
            frames.append(frame)
    events = pd.concat(frames, ignore_index=True)
    del frames
    for column, domain in (("person id", "person"), ("household id", "household")):
        normal = events[column].fillna("").str.replace(r"[\s-]+", "", regex=True).str.upper()
        lookup = {v: int.from_bytes(hmac.digest(KEY, f"{domain}:{v}".encode(), "sha256")[:8], "big", signed=True)
                  for v in normal.unique() if v}
        events[domain] = normal.map(lookup)
        events.drop(columns=[column], inplace=True)
    events["fiscal_year"] = events["date"].dt.year - (events["date"].dt.month < 4)
    events["assessment"] = events["kind"].astype(str).eq("assessment")
    named = events.dropna(subset=["household"]).groupby(["person", "household"]).size().reset_index(name="n")
    chosen = named.sort_values(["n", "household"], ascending=[False, False]).drop_duplicates("person")
    events = events.merge(chosen[["person", "household"]].rename(columns={"household": "home"}), on="person", how="left")
    events["household_key"] = events["home"].fillna(events["person"]).astype("int64")
    year = events[events["fiscal_year"] == int(YEAR[:4])]
    people = year.groupby("person").agg(cost=("cost", "sum"), household_key=("household_key", "first"),
                                        agencies=("agency", "nunique"), assessments=("assessment", "sum"))
    households = people.groupby("household_key")["cost"].sum().sort_values(ascending=False)
    share = households.cumsum() / households.sum()
    top_n = max(1, -(-len(households) * 5 // 100))
    top = year[year["household_key"].isin(households.index[:top_n])]
    figures = {
        "people": len(people), "households": len(households),
        "mean_person": people["cost"].mean(), "median_person": people["cost"].median(),
        "bands": pd.cut(people["cost"], [0, 1000, 5000, 20000, 50000, float("inf")], right=False).value_counts().to_dict(),
        "by_agency": year.groupby("agency").agg(people=("person", "nunique"), cost=("cost", "sum")).to_dict(),
        "top_5pc_share": float(share.iloc[top_n - 1]),
        "contact_3plus": int((people["agencies"] >= 3).sum()),
        "assessed_10plus": int((people["assessments"] >= 10).sum()),
        "by_service": year[year["assessment"]].groupby(["agency", "service"], observed=True)["person"].nunique().to_dict(),
        "top_by_agency": top.groupby("agency")["cost"].sum().to_dict(),
    }
    return {"work_s": time.perf_counter() - started, "people": figures["people"], "households": figures["households"],
            "top_5pc_share": figures["top_5pc_share"]}


TASKS = {"generate": task_generate, "load": task_load, "figures": task_figures, "pandas": task_pandas}


# ---- the driver ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--events-per-person", type=float, default=20.0)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--task", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        name, *rest = args.task
        params = [Path(rest[0])] + ([int(rest[1]), float(rest[2])] if name == "generate" else [])
        print(json.dumps(TASKS[name](*params), default=str))
        return
    with tempfile.TemporaryDirectory(prefix="totalplace-cohort-bench-") as tmp:
        workspace = Path(tmp) / "ws"
        made = child("generate", str(workspace), str(args.people), str(args.events_per_person), label="generate")
        print(f"generated {made.out['people']:,} people, {made.out['events']:,} events in {made.out['files']} files "
              f"({fmt_s(made.wall_s)}, not part of any figure)")
        load = child("load", str(workspace), label="totalplace load")
        figures = child("figures", str(workspace), label="totalplace figures")
        report(load, figures, None if args.skip_pandas else child("pandas", str(workspace), label="pandas"))


def report(load, figures, pandas) -> None:
    print(f"load average after the runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min; 2 CPUs)")
    ours_s = load.wall_s + figures.wall_s
    ours_rss = max(load.peak_rss, figures.peak_rss)
    print(f"totalplace load (read, pseudonymise, store, link): {fmt_s(load.wall_s)} wall "
          f"({fmt_s(load.out['work_s'])} of work, {fmt_s(load.cpu_s)} CPU), peak RSS {fmt_mib(load.peak_rss)}; "
          f"{load.out['events']:,} events, {load.out['people']:,} people, {load.out['households']:,} households")
    print(f"totalplace figures (all cohort outputs):            {fmt_s(figures.wall_s)} wall "
          f"({fmt_s(figures.out['work_s'])} of work, {fmt_s(figures.cpu_s)} CPU), peak RSS {fmt_mib(figures.peak_rss)}")
    print(f"  {figures.out['headline']} ({figures.out['tables']} tables, {figures.out['withheld']} figures withheld)")
    print(f"totalplace link + aggregate: {fmt_s(ours_s)}, peak RSS {fmt_mib(ours_rss)}  "
          f"goal < 60 s: {'MET' if ours_s < 60 else 'NOT MET'}; goal < 4 GiB: {'MET' if ours_rss < 4 * GIB else 'NOT MET'}")
    if pandas:
        print(f"pandas (same steps):          {fmt_s(pandas.wall_s)} wall ({fmt_s(pandas.out['work_s'])} of work, "
              f"{fmt_s(pandas.cpu_s)} CPU), "
              f"peak RSS {fmt_mib(pandas.peak_rss)}; top 5% share {pandas.out['top_5pc_share']:.1%}; "
              f"{pandas.out['people']:,} people, {pandas.out['households']:,} households")
        print(f"ratio: pandas time / totalplace time = {pandas.wall_s / ours_s:.2f}x; "
              f"pandas memory / totalplace memory = {pandas.peak_rss / ours_rss:.2f}x")


if __name__ == "__main__":
    main()
