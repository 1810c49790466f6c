"""Pooled and aligned budgets: who puts in what from which funding stream, what is drawn down,
the pooled share of the place's spending, and whose budget timetable each contribution follows.

Inputs in ``deal/``: ``pools.csv`` (one row a pool), ``contributions.csv`` (partner and funding
stream into a pool), ``drawdowns.csv`` (spending out of a pool). CSV or XLSX.

A pooled share is money set beside the count it is a share of, so both sides cover the same
bodies (`Scope`): every partner's money beside the whole-place best estimate (the headline), or
only the money of the agencies whose ledgers the count holds beside those ledgers, with the
other partners' money said to be left out. Each share says which it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from totalplace.classify.names import NameMatcher
from totalplace.count import bottomup, headline, topdown
from totalplace.count.transfers import targets
from totalplace.display import agency_name
from totalplace.inputs import Money, TextList, read_table
from totalplace.deal.sources import POOLED_HEALTH_AND_CARE_2008
from totalplace.errors import InputError
from totalplace.money import format_money
from totalplace.store.connection import connect
from totalplace.workspace import FISCAL_YEAR, Workspace

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]


class PoolKind(StrEnum):
    pooled = "pooled"    # one budget, one set of decisions
    aligned = "aligned"  # separate budgets steered to shared aims


class Scope(StrEnum):
    """What a pooled share is a share of."""
    whole_place = "whole place"  # every partner's money, beside the whole-place best estimate (the headline)
    ledgers = "ledgers"          # the money of the agencies whose ledgers the count holds, beside those ledgers


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
    themes_counted: Decimal | None  # the ledgers' spending on the pool's themes that year
    from_ledgers: Decimal           # contributed by the agencies whose ledgers the count holds that year

    @property
    def balance(self) -> Decimal:
        return self.contributed - self.drawn

    @property
    def share_of_themes(self) -> float | None:
        """The ledger agencies' money in the pool, of their ledgers' spending on its themes (same scope)."""
        return float(self.from_ledgers / self.themes_counted) if self.themes_counted else None


@dataclass(frozen=True)
class LeftOut:
    """A contribution outside a share's scope: its partner's ledger is not in the count."""
    pool: str
    partner: str
    amount: Decimal


@dataclass(frozen=True)
class PooledShare:
    """The money in one kind of pool in a year, as a share of a count of the same scope, saying which."""
    fiscal_year: str
    kind: PoolKind
    scope: Scope
    pooled: Decimal
    base: Decimal | None     # None when that count cannot be made (said in base_said)
    base_said: str           # what the base is, in words
    left_out: tuple[LeftOut, ...] = ()

    @property
    def share(self) -> float | None:
        return float(self.pooled / self.base) if self.base else None

    def sentence(self) -> str:
        """The share in one sentence, as the CLI and the report print it."""
        if self.share is None:
            return f"{self.fiscal_year}: {self.kind.value} budgets, share of the {self.scope.value}: {self.base_said}."
        whose = "every partner" if self.scope == Scope.whole_place else "the agencies of those ledgers"
        said = (f"{self.fiscal_year}: {self.kind.value} budgets are {self.share:.1%} of {format_money(self.base)}, "
                f"{self.base_said}: {format_money(self.pooled)} from {whose}")
        if self.left_out:
            said += ("; left out, as their ledgers are not in the count: "
                     + "; ".join(f"{o.partner} {format_money(o.amount)} ({o.pool})" for o in self.left_out))
        return said + "."


@dataclass(frozen=True)
class Pooling:
    pools: list[PoolSummary]
    contributions: list[Contribution]
    drawdowns: list[Drawdown]
    misalignments: list[Misalignment]
    shares: list[PooledShare]  # each year and kind, on each scope

    def share(self, fiscal_year: str, kind: PoolKind, scope: Scope) -> PooledShare:
        return next(s for s in self.shares if (s.fiscal_year, s.kind, s.scope) == (fiscal_year, kind, scope))

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
    return ([p for _, p in pools], _pool_rows(workspace, "contributions", Contribution, known, pools_file),
            _pool_rows(workspace, "drawdowns", Drawdown, known, pools_file))


PoolRow = TypeVar("PoolRow", Contribution, Drawdown)


def _pool_rows(workspace: Workspace, name: str, model: type[PoolRow], known: set[str],
               pools_file: Path) -> list[PoolRow]:
    """A table of money into or out of pools, each row naming a pool that pools_file defines."""
    path = _path(workspace, name)
    rows = read_table(path, model) if path.exists() else []
    for number, row in rows:
        if row.pool not in known:
            raise InputError(f"{path}, row {number}, column 'pool': no pool {row.pool!r} in {pools_file}")
    return [row for _, row in rows]


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


@dataclass(frozen=True)
class _Counted:
    """What the store says of one year: the count of the ledgers it holds (None without ledgers for the year),
    their spending by theme, whose ledgers they are, and the whole-place best estimate (or why there is none)."""
    ledgers: Decimal | None
    themes: dict[str, Decimal]
    agencies: dict[str, str]      # agency id -> how its ledger covers the year
    whole_place: headline.Headline | None
    no_whole_place: str = ""


def _counted(workspace: Workspace, years: list[str]) -> dict[str, _Counted]:
    """The counts each pool year is set beside."""
    if not workspace.store_path.exists():
        return {}
    con = connect(workspace, read_only=True)
    try:
        loaded = set(bottomup.fiscal_years(con))
        try:
            topdown.require_loaded(con)
            no_cra = ""
        except InputError as error:
            no_cra = str(error)
        found = {}
        for year in years:
            result = bottomup.count(con, workspace, "theme", year) if year in loaded else None
            found[year] = _Counted(
                result.total if result else None, {r.key: r.amount for r in result.rows} if result else {},
                {c.agency_id: c.said(agency_name(workspace, c.agency_id))
                 for c in result.coverage if c.months_covered} if result else {},
                None if no_cra else headline.headline(con, workspace, year), no_cra)
    finally:
        con.close()
    return found


def _partner_agency(workspace: Workspace, contributions: list[Contribution]) -> dict[str, str | None]:
    """Each contribution's partner as an agency of the place (by its id, name or an alias), or None."""
    ids = {a.id for a in workspace.settings.agencies}
    matcher = NameMatcher(targets(workspace.settings.agencies))
    return {c.partner: c.partner if c.partner in ids else (found[0] if (found := matcher.exact(c.partner)) else None)
            for c in contributions}


def _of_the_ledgers(contribution: Contribution, agencies: dict[str, str | None], counted: _Counted | None) -> bool:
    """Whether a contribution is the money of an agency whose ledger the count holds that year."""
    return counted is not None and agencies.get(contribution.partner) in counted.agencies


def _shares(workspace: Workspace, pools: list[Pool], contributions: list[Contribution],
            counted: dict[str, _Counted], agencies: dict[str, str | None]) -> list[PooledShare]:
    pool_of = {p.pool: p for p in pools}
    shares = []
    for year in sorted({p.fiscal_year for p in pools}):
        here = counted.get(year)
        for kind in PoolKind:
            paid_in = [c for c in contributions if (pool_of[c.pool].fiscal_year, pool_of[c.pool].kind) == (year, kind)]
            held = [_of_the_ledgers(c, agencies, here) for c in paid_in]
            shares.append(_whole_place(year, kind, paid_in, here, workspace))
            shares.append(PooledShare(
                year, kind, Scope.ledgers, sum((c.amount for c, h in zip(paid_in, held) if h), Decimal(0)),
                here.ledgers if here else None, _ledgers_said(here, year),
                tuple(LeftOut(c.pool, c.partner, c.amount) for c, h in zip(paid_in, held) if not h)))
    return shares


def _whole_place(year: str, kind: PoolKind, paid_in: list[Contribution], here: _Counted | None,
                 workspace: Workspace) -> PooledShare:
    pooled = sum((c.amount for c in paid_in), Decimal(0))
    best = here.whole_place if here else None
    if best is None:
        why = here.no_whole_place if here else "the workspace has no store yet"
        return PooledShare(year, kind, Scope.whole_place, pooled, None, f"no whole-place best estimate: {why}")
    said = (f"the whole-place best estimate of all public money in {workspace.settings.place.name} (the headline: "
            f"{best.ledger_share:.0%} from agreed ledgers, {1 - best.ledger_share:.0%} top-down from CRA "
            f"{best.top_down_year}" + (", a different year" if best.years_differ else "") + ")")
    return PooledShare(year, kind, Scope.whole_place, pooled, best.amount, said)


def _ledgers_said(here: _Counted | None, year: str) -> str:
    if here is None or here.ledgers is None:
        return f"no count of ledgers: the store has no spending for {year}"
    return "the count of the ledgers (" + "; ".join(said for _, said in sorted(here.agencies.items())) + ")"


def pooling(workspace: Workspace) -> Pooling:
    pools, contributions, drawdowns = load_pools(workspace)
    counted = _counted(workspace, sorted({p.fiscal_year for p in pools}))
    agencies = _partner_agency(workspace, contributions)
    summaries = []
    for p in pools:
        here = counted.get(p.fiscal_year)
        mine = [c for c in contributions if c.pool == p.pool]
        on_themes = (sum((here.themes.get(t, Decimal(0)) for t in p.themes), Decimal(0))
                     if p.themes and here and here.ledgers is not None else None)
        summaries.append(PoolSummary(
            p, sum((c.amount for c in mine), Decimal(0)),
            sum((d.amount for d in drawdowns if d.pool == p.pool), Decimal(0)), on_themes,
            sum((c.amount for c in mine if _of_the_ledgers(c, agencies, here)), Decimal(0)),
        ))
    return Pooling(summaries, contributions, drawdowns, misalignments(pools, contributions),
                   _shares(workspace, pools, contributions, counted, agencies))


def benchmark_note() -> str:
    return POOLED_HEALTH_AND_CARE_2008.citation()
