"""`totalplace cohort ...`: person-level event files, pseudonymised, linked and summarised."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from totalplace.commands.common import (
    Commands, FormatOption, OutputOption, WorkspaceOption, YearOption, err, out, user_errors,
)
from totalplace.deepdive import cohort_report as figures
from totalplace.deepdive import cohorts, synthetic
from totalplace.deepdive.pseudonym import KEY_ENV, Pseudonymiser, load_key, show
from totalplace.errors import InputError
from totalplace.money import format_money
from totalplace.present.tables import Format, Table, emit
from totalplace.workspace import open_workspace

app = typer.Typer(help="High-cost people and families: load agencies' person-level events "
                       "(pseudonymised as they are read), link them and find where the money goes.",
                  no_args_is_help=True)

KeyFileOption = Annotated[Path | None, typer.Option(
    "--key-file", help=f"File holding the pseudonymisation key, outside the workspace (default: ${KEY_ENV}).")]


def _emit(table: Table, fmt: Format, output: Path | None) -> None:
    written = emit(table, fmt, output, out)
    if written:
        err.print(f"wrote {written}")


def _published(workspace: Path) -> figures.Publication:
    """Every cohort output, suppressed together; each command prints its part."""
    ws = open_workspace(workspace)
    con = figures.open_cohort(ws)
    try:
        return figures.publish(con, ws)
    finally:
        con.close()


def _figures(make: Callable[[figures.Publication], Table], workspace: Path, fmt: Format, output: Path | None) -> None:
    _emit(make(_published(workspace)), fmt, output)


@app.command()
@user_errors
def synth(
    people: Annotated[int, typer.Option(help="How many people.")] = 3000,
    year: Annotated[list[str] | None, typer.Option(help="Fiscal year of events, e.g. 2023-24 (repeat for several).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files.")] = 1,
    events_per_person: Annotated[float, typer.Option(help="Mean events per person per year.")] = 20.0,
    agencies: Annotated[int, typer.Option(help=f"How many agencies (1-{len(synthetic.AGENCIES)}).")] = len(synthetic.AGENCIES),
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Write a SYNTHETIC cohort (made-up people, heavy-tailed costs, real household groupings) into cohort/."""
    ws = open_workspace(workspace)
    folder = ws.root / cohorts.COHORT_DIR
    if cohorts.cohort_files(ws) and not synthetic.is_synthetic(folder):
        raise InputError(f"{folder} holds event files that are not synthetic; use an empty workspace for a synthetic cohort")
    result = synthetic.generate(folder, people, year or ["2023-24"], seed, events_per_person, agencies)
    out.print(f"SYNTHETIC cohort: {result.people:,} people in {result.households:,} households, "
              f"{result.events:,} events in {len(result.files)} files under {folder}. "
              f"Next: totalplace cohort load (with ${KEY_ENV} set)")


@app.command()
@user_errors
def load(key_file: KeyFileOption = None, workspace: WorkspaceOption = Path(".")) -> None:
    """Load the event files under cohort/<agency>/, pseudonymising identifiers as they are read."""
    ws = open_workspace(workspace)
    key = load_key(key_file, ws.root)
    files = cohorts.cohort_files(ws)
    if not files:
        raise InputError(f"no event files: put each agency's files in {ws.root / cohorts.COHORT_DIR}/<agency-id>/")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task("loading", total=len(files))
        result = cohorts.load(ws, key, lambda path: progress.update(task, advance=1,
                              description=f"loading {Path(path).name}"))
    for gone in result.removed:
        out.print(f"[yellow]forgot[/] {gone} (deleted or changed since it was loaded)")
    for report in result.files:
        if report.outcome != "loaded":
            out.print(f"{report.path}: {report.outcome}", highlight=False)
            continue
        out.print(f"{report.path}: read {report.rows_read:,} rows {format_money(report.cost_read)} = loaded "
                  f"{report.rows_loaded:,} {format_money(report.cost_loaded)} + rejected {report.rows_rejected:,} "
                  f"{format_money(report.cost_rejected)}", highlight=False)
    out.print(f"Linked {result.people:,} people in {result.households:,} households across agencies. "
              f"Rows rejected: {sum(r.rows_rejected for r in result.files):,} (see `totalplace cohort rejects`).")
    published = _published(workspace)
    for table in (published.linkage_by_agency(), published.linkage_by_identifier()):
        _emit(table, Format.table, None)


@app.command()
@user_errors
def linkage(by_identifier: Annotated[bool, typer.Option(help="By the kind of person identifier instead.")] = False,
            workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
            output: OutputOption = None) -> None:
    """How well the files linked: people each agency saw that another saw too, and households of one."""
    _figures(lambda p: p.linkage_by_identifier() if by_identifier else p.linkage_by_agency(), workspace, fmt, output)


@app.command()
@user_errors
def status(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None) -> None:
    """The event files loaded: rows and cost read = loaded + rejected."""
    ws = open_workspace(workspace)
    con = figures.open_cohort(ws)
    try:
        table = figures.files_table(con, ws)
    finally:
        con.close()
    _emit(table, fmt, output)


@app.command()
@user_errors
def rejects(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
            limit: Annotated[int | None, typer.Option(help="At most this many.")] = None) -> None:
    """Event rows that did not load: file, row, column, reason, and the text with identifiers pseudonymised."""
    ws = open_workspace(workspace)
    con = figures.open_cohort(ws)
    try:
        rows = cohorts.rejections(con, limit)
    finally:
        con.close()
    _emit(Table(f"Rejected event rows: {len(rows)}", ["file", "row", "column", "reason", "text (identifiers pseudonymised)"],
                [list(r) for r in rows]), fmt, output)


@app.command()
@user_errors
def summary(year: YearOption = None, workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
            output: OutputOption = None) -> None:
    """Cost per person and per household across all agencies, by year (--year all: every year)."""
    _figures(lambda p: p.summary(year or "all"), workspace, fmt, output)


@app.command()
@user_errors
def payments(year: YearOption = None, workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
             output: OutputOption = None) -> None:
    """Each year's cost split into payments to people (benefits) and the cost of services."""
    _figures(lambda p: p.payments(year or "all"), workspace, fmt, output)


@app.command()
@user_errors
def bands(year: YearOption = None, workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
          output: OutputOption = None) -> None:
    """People by their cost to all agencies together: how few cost how much."""
    _figures(lambda p: p.bands(year), workspace, fmt, output)


@app.command("by-agency")
@user_errors
def by_agency(year: YearOption = None, workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
              output: OutputOption = None) -> None:
    """Each agency's people in contact, events, cost and cost per person in contact."""
    _figures(lambda p: p.by_agency(year), workspace, fmt, output)


@app.command()
@user_errors
def concentration(
    year: YearOption = None,
    unit: Annotated[str, typer.Option(help="household or person.")] = "household",
    measure: Annotated[str, typer.Option(help="all (every cost), services (the cost of services) or "
                                              "payments (payments to people: benefits).")] = "all",
    chart: Annotated[Path | None, typer.Option(help="Also write the curves (all three measures) as an SVG chart.")] = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """The concentration curve: the top x% of households account for y% of the cost."""
    published = _published(workspace)
    table = published.concentration(year, unit, measure)
    if chart:
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_text(published.concentration_svg(year, unit), encoding="utf-8")
        err.print(f"wrote {chart}")
    _emit(table, fmt, output)


@app.command()
@user_errors
def contact(year: YearOption = None, workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
            output: OutputOption = None) -> None:
    """People by the number of agencies they were in contact with (3 or more called out)."""
    _figures(lambda p: p.contact(year), workspace, fmt, output)


@app.command()
@user_errors
def assessments(
    year: YearOption = None,
    by_service: Annotated[bool, typer.Option(help="Each agency's assessment services instead.")] = False,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Repeat assessments: people by how often they were assessed, and by how many agencies."""
    _figures(lambda p: p.assessments_by_service(year) if by_service else p.assessments(year), workspace, fmt, output)


@app.command()
@user_errors
def top(year: YearOption = None, workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
        output: OutputOption = None) -> None:
    """The cost of the top cohort ([cohort] top_percent of households, default 5%) agency by agency."""
    _figures(lambda p: p.top(year), workspace, fmt, output)


@app.command()
@user_errors
def pseudonym(
    identifier: Annotated[list[str], typer.Argument(help="Person ids whose pseudonyms to show.")],
    household: Annotated[bool, typer.Option(help="The ids are household ids.")] = False,
    key_file: KeyFileOption = None, workspace: WorkspaceOption = Path("."),
) -> None:
    """The pseudonyms of identifiers an agency holds (needs the key), to find its own people in the store."""
    ws = open_workspace(workspace)
    hashed = Pseudonymiser(load_key(key_file, ws.root)).column(
        "household" if household else "person", pa.array(identifier, pa.string()))
    for raw, value in zip(identifier, hashed.to_pylist()):
        out.print(f"{raw}\t{show(value)}", highlight=False)


COMMANDS: Commands = {"cohort": app}
