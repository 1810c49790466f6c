"""Pooled and aligned budgets: who puts in what from which funding stream, what is drawn down,
the pooled share of the place's counted spending, and whose budget timetable each contribution follows.

Inputs in ``deal/``: ``pools.csv`` (one row a pool), ``contributions.csv`` (partner and funding
stream into a pool), ``drawdowns.csv`` (spending out of a pool). CSV or XLSX.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from totalplace.count import bottomup
from totalplace.inputs import Money, TextList, read_table
from totalplace.deal.sources import POOLED_HEALTH_AND_CARE_2008
from totalplace.errors import InputError
from totalplace.store.connection import connect
from totalplace.workspace import FISCAL_YEAR, Workspace

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]


class PoolKind(StrEnum):
    pooled = "pooled"    # one budget, one set of decisions
    aligned = "aligned"  # separate budgets steered to shared aims


def _month(value: str) -> str:
    text = value.strip().lower()
    matches = [m for m in MONTHS if m.startswith(text[:3])] if len(text) >= 3 else []
    if not matches:
        raise ValueError(f"{value!r} is not a month (the month the budget year starts, e.g. April)")
    return matches[0].capitalize()


def _fiscal_year(value: str) -> str:
    if not FISCAL_YEAR.match(value):
        raise ValueError(f"{value!r} is not a fiscal year like 2018-19")
    return value


class Pool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pool: str
    name: str
    kind: PoolKind
    host: str
    fiscal_year: str
    themes: TextList = Field(default_factory=list)
    year_start: str = "April"
    cycle_years: int = Field(default=1, ge=1)
    runs_until: dt.date | None = None
    _year = field_validator("fiscal_year")(_fiscal_year)
    _start = field_validator("year_start")(_month)


class Contribution(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pool: str
    partner: str
    funding_stream: str
    amount: Money
    year_start: str = "April"
    cycle_years: int = Field(default=1, ge=1)
    confirmed_until: dt.date | None = None
    _start = field_validator("year_start")(_month)


class Drawdown(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pool: str
    date: dt.date
    amount: Money
    purpose: str
    paid_to: str = ""


@dataclass(frozen=True)
class Misalignment:
    pool: str
    partner: str
    funding_stream: str
    problem: str


@dataclass(frozen=True)
class PoolSummary:
    pool: Pool
    contributed: Decimal
    drawn: Decimal
    themes_counted: Decimal | None  # the count's spending on the pool's themes that year

    @property
    def balance(self) -> Decimal:
        return self.contributed - self.drawn

    @property
    def share_of_themes(self) -> float | None:
        return float(self.contributed / self.themes_counted) if self.themes_counted else None


@dataclass(frozen=True)
class Pooling:
    pools: list[PoolSummary]
    contributions: list[Contribution]
    drawdowns: list[Drawdown]
    misalignments: list[Misalignment]
    count_totals: dict[str, Decimal]  # fiscal year -> the count's total

    def pooled_share(self, fiscal_year: str, kind: PoolKind = PoolKind.pooled) -> float | None:
        total = self.count_totals.get(fiscal_year)
        money_in = sum((p.contributed for p in self.pools
                        if p.pool.fiscal_year == fiscal_year and p.pool.kind == kind), Decimal(0))
        return float(money_in / total) if total else None

    @property
    def years(self) -> list[str]:
        return sorted({p.pool.fiscal_year for p in self.pools})


def _path(workspace: Workspace, name: str) -> Path:
    folder = workspace.root / "deal"
    xlsx = folder / f"{name}.xlsx"
    return xlsx if xlsx.exists() else folder / f"{name}.csv"


def load_pools(workspace: Workspace) -> tuple[list[Pool], list[Contribution], list[Drawdown]]:
    pools_file = _path(workspace, "pools")
    if not pools_file.exists():
        return [], [], []
    pools = read_table(pools_file, Pool)
    known = {p.pool for _, p in pools}
    if len(known) < len(pools):
        raise InputError(f"{pools_file}: a pool id is used twice")
    found = []
    for name, model in (("contributions", Contribution), ("drawdowns", Drawdown)):
        path = _path(workspace, name)
        rows = read_table(path, model) if path.exists() else []
        for number, row in rows:
            if row.pool not in known:
                raise InputError(f"{path}, row {number}, column 'pool': no pool {row.pool!r} in {pools_file}")
        found.append([row for _, row in rows])
    return [p for _, p in pools], found[0], found[1]


def misalignments(pools: list[Pool], contributions: list[Contribution]) -> list[Misalignment]:
    """Contributions whose budget year, cycle or confirmed funding does not match the pool's."""
    by_id = {p.pool: p for p in pools}
    found = []
    for c in contributions:
        pool = by_id[c.pool]
        problems = []
        if c.year_start != pool.year_start:
            problems.append(f"budget year starts in {c.year_start}, the pool's in {pool.year_start}")
        if c.cycle_years != pool.cycle_years:
            problems.append(f"{c.cycle_years}-year budget cycle, the pool's is {pool.cycle_years}-year")
        if pool.runs_until and c.confirmed_until and c.confirmed_until < pool.runs_until:
            problems.append(f"confirmed only until {c.confirmed_until}, the pool runs until {pool.runs_until}")
        found += [Misalignment(c.pool, c.partner, c.funding_stream, p) for p in problems]
    return found


def _counted(workspace: Workspace, years: list[str], themes_by_year: dict[str, set[str]]) -> tuple[dict, dict]:
    """The count's total for each year, and its spending by theme, where the store has that year."""
    totals: dict[str, Decimal] = {}
    themes: dict[tuple[str, str], Decimal] = {}
    if not workspace.store_path.exists():
        return totals, themes
    con = connect(workspace, read_only=True)
    try:
        loaded = set(bottomup.fiscal_years(con))
        for year in [y for y in years if y in loaded]:
            result = bottomup.count(con, workspace, "theme", year)
            totals[year] = result.total
            for row in result.rows:
                if row.key in themes_by_year.get(year, set()):
                    themes[(year, row.key)] = row.amount
    finally:
        con.close()
    return totals, themes


def pooling(workspace: Workspace) -> Pooling:
    pools, contributions, drawdowns = load_pools(workspace)
    years = sorted({p.fiscal_year for p in pools})
    wanted: dict[str, set[str]] = {}
    for p in pools:
        wanted.setdefault(p.fiscal_year, set()).update(p.themes)
    totals, themes = _counted(workspace, years, wanted)
    summaries = []
    for p in pools:
        counted = ([themes.get((p.fiscal_year, t), Decimal(0)) for t in p.themes]
                   if p.themes and p.fiscal_year in totals else None)
        summaries.append(PoolSummary(
            p,
            sum((c.amount for c in contributions if c.pool == p.pool), Decimal(0)),
            sum((d.amount for d in drawdowns if d.pool == p.pool), Decimal(0)),
            sum(counted, Decimal(0)) if counted is not None else None,
        ))
    return Pooling(summaries, contributions, drawdowns, misalignments(pools, contributions), totals)


def benchmark_note() -> str:
    return POOLED_HEALTH_AND_CARE_2008.citation()
