"""`totalplace topdown ...` and `totalplace reconcile`: the whole-place count from the Treasury's CRA."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from totalplace.classify import control
from totalplace.commands.common import (
    Commands, FormatOption, OutputOption, WorkspaceOption, err, out, user_errors,
)
from totalplace.count import compare as comparing
from totalplace.count import headline as headlining
from totalplace.count import reconcile as reconciling
from totalplace.count import topdown
from totalplace.count import trend as trending
from totalplace.errors import InputError
from totalplace.money import format_money, per_head
from totalplace.present.tables import Format, Table, emit
from totalplace.store.connection import StoreConnection, connect, writable
from totalplace.workspace import Workspace, open_workspace

app = typer.Typer(help="The top-down count: HM Treasury's CRA brought down to the place.", no_args_is_help=True)

CraYear = Annotated[str | None, typer.Option("--year", "-y", help="Fiscal year like 2009-10 (default: latest CRA year).")]
AreaOption = Annotated[
    list[str] | None,
    typer.Option("--area", "-a", help="ONS code, region name, 'England' or 'Wales' (repeat; default: the place's areas)."),
]


@contextmanager
def _open(workspace: Path) -> Iterator[tuple[Workspace, StoreConnection]]:
    """The workspace and its store to read, closed again whatever happens (a failed command must not hold the file).

    It is the workspace's engine (Spark's Parquet store on Spark): the
    top-down count keeps its apportionment in temporary tables, which either allows.
    """
    ws = open_workspace(workspace)
    with closing(connect(ws, read_only=True)) as con:
        yield ws, con


@contextmanager
def _open_writable(workspace: Path) -> Iterator[tuple[Workspace, duckdb.DuckDBPyConnection]]:
    """The workspace and its store to change (the embedded database), closed again whatever happens."""
    ws = open_workspace(workspace)
    with writable(ws) as con:
        yield ws, con


def _emit(table: Table, fmt: Format, output: Path | None) -> None:
    written = emit(table, fmt, output, out)
    if written:
        err.print(f"wrote {written}")


@app.command()
@user_errors
def load(
    files: Annotated[list[Path] | None, typer.Argument(help="CRA database workbooks to add (copied into cra/).")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Read the CRA workbooks in the workspace's cra/ folder into the store, normalised."""
    with _open_writable(workspace) as (ws, con):
        result = topdown.load(con, ws, files, lambda p: err.print(f"reading {p.name}"))
    for release in result.releases:
        out.print(f"{release.name}: {release.layout}, {release.years[0]} to {release.years[-1]}, "
                  f"{release.lines.num_rows:,} lines, unit {release.unit}", highlight=False)
        out.print(f"    {len(release.notes)} kinds of value normalised (see `totalplace topdown normalisation`)")
    for choice in result.choices:
        if choice.not_used:
            out.print(f"{choice.fiscal_year}: from {choice.release} (newer); not used: {', '.join(choice.not_used)}")
    out.print(f"{result.lines:,} CRA lines in the store, years {result.choices[0].fiscal_year} to "
              f"{result.choices[-1].fiscal_year}.")


@app.command()
@user_errors
def normalisation(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
                  output: OutputOption = None) -> None:
    """Every value the CRA reader changed: as written, what it became, on how many rows, and why."""
    with _open(workspace) as (ws, con):
        log = topdown.normalisation(con)
    notes = [f"{y}: from {r}" + (f" (newer; not used: {', '.join(n)})" if n else "") for y, r, n in log.years]
    _emit(Table("CRA normalisation log", ["release", "field", "as written", "normalised", "rows", "why"],
                [list(r) for r in log.changes], notes), fmt, output)


@app.command("count")
@user_errors
def count_command(
    by: Annotated[str, typer.Option(help=f"One of: {', '.join(topdown.DIMENSIONS)}.")] = "control",
    area: AreaOption = None, year: CraYear = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """The top-down count of the place (or any areas) for a year, by a dimension, with £ per head."""
    with _open(workspace) as (ws, con):
        areas = topdown.resolve_areas(area) if area else ws.settings.place.areas
        result = topdown.count(con, ws, areas, year, by)
    name = ", ".join(area) if area else ws.settings.place.name
    _emit(Table(f"{name}: top-down count by {by}, {result.fiscal_year}",
                [by, "amount", "£ per head", "share"],
                [[r.label, r.amount, r.per_head, r.share] for r in result.rows], _count_notes(result)), fmt, output)


def _count_notes(result: topdown.TopdownCount) -> list[str]:
    return [
        f"Total {format_money(result.total)}; £ per head {format_money(result.per_head)}; population {result.population:,} "
        f"({result.population_method}).",
        "Method: each region's identifiable CRA spending shared among its authorities by the drivers of "
        "rules/topdown_drivers.csv, in whole pennies (largest remainder).",
        *result.provenance()[:-1],
        *[f"MISSING: {m.words}." for m in result.missing],
        f"Not counted: spending with no region (defence, debt interest...), {format_money(result.not_identifiable_per_head)} "
        f"per head of {topdown.NOT_IDENTIFIABLE_PEOPLE}.",
    ]


@app.command("control")
@user_errors
def control_command(
    area: AreaOption = None, year: CraYear = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """The headline: total, £ per head and the share at each level of the sliding scale of control."""
    with _open(workspace) as (ws, con):
        areas = topdown.resolve_areas(area) if area else ws.settings.place.areas
        result = topdown.count(con, ws, areas, year, "control")
    say = topdown.local_say(result, ws)
    notes = [f"Local say: {say.share:.1%}. {say.definition} ({say.nhs_share:.1%}).",
             "Levels come from rules/control_rules.csv and rules/control_levels.csv: edit them and run "
             "again."] + _count_notes(result)
    _emit(Table(f"{ws.settings.place.name if not area else ', '.join(area)}: the sliding scale of control, "
                f"{result.fiscal_year}", ["level", "amount", "£ per head", "share"],
                [[r.label, r.amount, r.per_head, r.share] for r in result.rows], notes), fmt, output)


def _other_places(specs: list[str] | None) -> dict[str, list[str]]:
    """'Leeds=E08000035' or 'E08000035' or a pilot's name, as named sets of areas."""
    found = {}
    for spec in specs or []:
        name, _, codes = spec.partition("=")
        if codes:
            found[name] = topdown.resolve_areas(codes.split("+"))
        elif spec in comparing.pilot_areas():
            found[spec] = comparing.pilot_areas()[spec]
        else:
            found[spec] = topdown.resolve_areas([spec])
    return found


@app.command("compare")
@user_errors
def compare_command(
    other: Annotated[list[str] | None, typer.Option("--with", help="Another place: CODE, NAME=CODE+CODE, a region "
                                                                   "or a pilot's name (repeat).")] = None,
    year: CraYear = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """£ per head by function: the place beside its region, England and other places."""
    with _open(workspace) as (ws, con):
        result = comparing.compare(con, ws, year, _other_places(other))
    names = [c.name for c in result.columns]
    rows = [[f, *result.per_head(f)] for f in result.functions] + [["Total", *result.total_per_head()]]
    notes = ["£ per head of identifiable spending. Places are top-down shares by the drivers of "
             "rules/topdown_drivers.csv; regions and England are the CRA's own regional figures over their "
             "population (ONS mid-year estimates; census 2011 before 2010-11)."]
    _emit(Table(f"£ per head by function, {result.fiscal_year}", ["function", *names], rows, notes), fmt, output)


@app.command("pilots")
@user_errors
def pilots_command(
    pilot: Annotated[list[str] | None, typer.Option(help="A pilot's name or part of it (repeat; default: all 13).")] = None,
    year: Annotated[str, typer.Option("--year", "-y", help="Fiscal year of our count.")] = comparing.PILOT_YEAR,
    explain: Annotated[bool, typer.Option(help="Say where and why each pilot differs.")] = True,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """The pilot areas' counts beside the Total Place pilots' published figures (not tuned to match)."""
    with _open(workspace) as (ws, con):
        results = comparing.pilots(con, ws, pilot, year)
    rows = [[r.pilot, r.figures.population, r.figures.total, r.per_head, r.local_say, r.nhs_share, r.council_share,
             r.discretion_per_head, r.discretion_share] for r in results]
    notes = ["Published: about £7,000 per head; about 30% with a local say; about £350 per head at the council's "
             "discretion (5-16% of the total). Sources: totalplace/data/pilot_figures.csv.",
             f"{results[0].definition}." if results else ""]
    if explain and fmt == Format.table:
        for r in results:
            notes += [f"{r.pilot}:"] + [f"  - {d}" for d in r.differences]
    _emit(Table(f"The pilot areas, {year}: our count beside the published figures",
                ["pilot", "population", "total", "£ per head", "local say", "the local NHS", "council share",
                 "council discretion £ per head", "council discretion share"], rows, notes), fmt, output)


@app.command("trend")
@user_errors
def trend_command(
    base_year: Annotated[str | None, typer.Option("--base-year", help="Prices of this fiscal year for real terms "
                                                                      "(default: the latest CRA year).")] = None,
    by: Annotated[str, typer.Option(help="Columns per head in real terms by 'control' or 'function'.")] = "control",
    area: AreaOption = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """The top-down count for every CRA year, in cash and real terms, per head, beside the region and England."""
    if by not in ("control", "function"):
        raise InputError(f"cannot show the trend by {by!r}; choose control or function")
    with _open(workspace) as (ws, con):
        areas = topdown.resolve_areas(area) if area else ws.settings.place.areas
        result = trending.trend(con, ws, areas, base_year)
        labels = {k: level.label for k, level in control.read_levels(ws).items()}
    table = trending.table(result, by, labels, ", ".join(area) if area else ws.settings.place.name)
    _emit(table, fmt, output)


@app.command()
@user_errors
def estimate(
    year: Annotated[str | None, typer.Option(
        "--year", "-y", help="Fiscal year of the ledgers, e.g. 2018-19 (default: the latest ledger year, "
                             "or the latest CRA year if no ledger is loaded).")] = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """The best-estimate count: agreed ledger figures where they exist, top-down elsewhere (saved in the store)."""
    with _open_writable(workspace) as (ws, con):
        year = headlining.headline_year(con, year)
        result = reconciling.best_estimate(con, ws, year)
        reconciling.save(con, ws, result)
    labels = {k: level.label for k, level in control.read_levels(ws).items()}
    rows = [[f.direction, f.agency_or_department, f.cofog, f.function, labels[f.control_level], f.amount,
             f.method, f.confidence, f.agreed_by] for f in sorted(result.figures, key=lambda f: -f.amount)]
    head = per_head(result.total, result.population)
    notes = [f"Total {format_money(result.total)}; £ per head {format_money(head)}; top-down figures from CRA "
             f"{result.top_down_year} ({result.release}).",
             f"Agreed ledger figures replaced {format_money(result.replaced)} of top-down spending: the lines each agreed "
             "agency's ledger holds (rules/counterparts.csv), counted once.",
             *[f"MISSING (the total leaves it out): {m.words}." for m in result.missing]]
    _emit(Table(f"{ws.settings.place.name}: best-estimate count, {year}",
                ["direction", "agency or department", "cofog", "function", "control level", "amount", "method",
                 "confidence", "agreed by"], rows, notes), fmt, output)


@user_errors
def reconcile(
    year: Annotated[str | None, typer.Option("--year", "-y", help="Ledger year, e.g. 2018-19 (default: all).")] = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Each agency's ledger beside its top-down counterpart by function: the gap and its likely causes."""
    with _open(workspace) as (ws, con):
        rows = reconciling.reconcile(con, ws, year)
    table_rows = [[r.agency, r.cofog, r.function, r.bottom_up_year, r.top_down_year,
                   "YEARS DIFFER" if r.years_differ else "", r.coverage.months_covered if r.coverage else "",
                   r.bottom_up, "missing" if r.top_down is None else r.top_down, "" if r.gap is None else r.gap,
                   "agreed" if r.agreed else "", "; ".join(r.causes)] for r in rows]
    kinds = dict.fromkeys(r.counterpart for r in rows)
    notes = ["Bottom-up: each agency's payments, counted once, by COFOG division. Top-down: the CRA lines its ledger "
             "would hold, brought down to its area by their drivers (a district it serves in part, by the share of "
             "its people). 'missing': the CRA year has no such line (never compared as zero).",
             *[f"Set beside it, for {k}" for k in kinds],
             f"Mark a figure as agreed in {reconciling.AGREED_FILE} (agency,fiscal_year,cofog,amount,agreed_by,note); "
             "then `totalplace headline` or `totalplace topdown estimate --year YEAR`."]
    _emit(Table(f"{ws.settings.place.name}: reconciliation", [
        "agency", "cofog", "function", "ledger year", "CRA year", "years", "months covered", "bottom-up", "top-down",
        "gap", "agreed", "likely causes"], table_rows, notes), fmt, output)


@user_errors
def headline(
    year: Annotated[str | None, typer.Option(
        "--year", "-y", help="Fiscal year (default: the latest ledger year, or the latest CRA year).")] = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """The one headline: the whole-place best estimate, counted once, per head beside the region and England."""
    with _open(workspace) as (ws, con):
        found = headlining.headline(con, ws, year)
    rows = [["agreed ledgers", found.from_ledgers, found.ledger_share],
            ["top-down (CRA " + found.top_down_year + ")", found.from_top_down, 1 - found.ledger_share],
            ["the whole place, counted once", found.amount, 1.0]]
    if fmt == Format.table and output is None:
        out.print(found.sentence(), highlight=False)  # a line of its own: a table title would wrap it narrow
        title = "What the headline is made of"
    else:
        title = found.sentence()
    _emit(Table(title, ["part", "amount", "share"], rows, found.notes()), fmt, output)


COMMANDS: Commands = {"topdown": app, "reconcile": reconcile, "headline": headline}
