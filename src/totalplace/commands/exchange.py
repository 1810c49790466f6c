"""`totalplace export fdp` and `totalplace import fdp|list|compare`: a count as a Fiscal Data Package."""

from __future__ import annotations

from contextlib import closing

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import (
    Commands, FormatOption, OutputOption, WorkspaceOption, YearOption, err, out, user_errors,
)
from totalplace.errors import InputError
from totalplace.exchange import fdp, imports
from totalplace.exchange.figures import bottomup_figures, store_figures
from totalplace.money import format_money
from totalplace.present.tables import Format, Table, emit
from totalplace.store.connection import connect, writable
from totalplace.workspace import open_workspace

export_app = typer.Typer(help="Export the count for other tools.", no_args_is_help=True)
import_app = typer.Typer(help="Import counts made elsewhere (Fiscal Data Packages).", no_args_is_help=True)


@export_app.command("fdp")
@user_errors
def export_fdp(
    directory: Annotated[Path, typer.Argument(help="Folder to write datapackage.json and data/count.csv into.")],
    year: YearOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Write the count as a Fiscal Data Package: the bottom-up count, plus the store's count_figure
    figures (top-down, reconciled, best estimate) when there are any; then check it with Frictionless."""
    ws = open_workspace(workspace)
    with closing(connect(ws, read_only=True)) as con:
        figures = bottomup_figures(con, ws, year) + store_figures(con, ws)
    years = sorted({f.fiscal_year for f in figures})
    title = f"{ws.settings.place.name} count {years[0]}" + (f" to {years[-1]}" if len(years) > 1 else "") \
        if figures else ws.settings.place.name
    path = fdp.export_package(figures, directory, title,
                              f"Public spending in {ws.settings.place.name} by agency, theme and COFOG "
                              f"({', '.join(sorted({f.direction for f in figures}))}), from totalplace.")
    problems = fdp.validate(directory)
    for problem in problems:
        err.print(f"invalid: {problem}", highlight=False, markup=False)
    if problems:
        raise typer.Exit(1)
    by_direction: dict[str, list] = {}
    for f in figures:
        by_direction.setdefault(f.direction, []).append(f.amount)
    for direction, amounts in sorted(by_direction.items()):
        out.print(f"{direction}: {len(amounts):,} figures, {format_money(sum(amounts))}", highlight=False)
    out.print(f"wrote {path} and {directory / fdp.DATA_PATH} (valid: Frictionless)", highlight=False)


@import_app.command("fdp")
@user_errors
def import_fdp(
    directory: Annotated[Path, typer.Argument(help="Folder holding datapackage.json (or the file itself).")],
    name: Annotated[str | None, typer.Option(help="Name for it under imports/ (default: the package's name).")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Check a Fiscal Data Package, copy it into imports/ and load its figures beside the count."""
    ws = open_workspace(workspace)
    with writable(ws) as con:
        package = imports.import_package(con, ws, directory, name)
    total = sum((f.amount for f in package.figures), start=Decimal(0))
    out.print(f"imported {package.title or package.name!r} as {package.path.parent.relative_to(ws.root)}: "
              f"{len(package.figures):,} figures, {format_money(total)}", highlight=False)


@import_app.command("list")
@user_errors
def import_list(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
                output: OutputOption = None) -> None:
    """The packages imported into the workspace."""
    ws = open_workspace(workspace)
    rows = [[p.path.parent.name, p.title, ", ".join(sorted({f.fiscal_year for f in p.figures})),
             ", ".join(sorted({f.direction for f in p.figures})), len(p.figures),
             sum((f.amount for f in p.figures), start=Decimal(0))] for p in imports.packages(ws)]
    emit(Table("Imported packages", ["name", "title", "years", "directions", "figures", "amount"], rows),
         fmt, output, out)


@import_app.command("compare")
@user_errors
def import_compare(
    name: Annotated[str, typer.Argument(help="The imported package (see `totalplace import list`).")],
    by: Annotated[str, typer.Option(help=f"One of: {', '.join(imports.CUTS)}.")] = "theme",
    direction: Annotated[str | None, typer.Option(help="Only the package's figures of this direction.")] = None,
    year: YearOption = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """This place's bottom-up count beside an imported package, by agency, theme, COFOG or year."""
    ws = open_workspace(workspace)
    package = imports.find_package(ws, name)
    with closing(connect(ws, read_only=True)) as con:
        fiscal_year, rows = imports.compare(con, ws, package, by, year, direction)
    if not any(r.theirs for r in rows):
        raise InputError(f"{name}: no figures for {fiscal_year}"
                         + (f" with direction {direction!r}" if direction else ""))
    ours, theirs = (sum((getattr(r, a) for r in rows), start=Decimal(0)) for a in ("ours", "theirs"))
    emit(Table(f"{ws.settings.place.name} (bottom-up) beside {name}, by {by}, {fiscal_year}",
               [by, "ours", "theirs", "theirs - ours"], [[r.key, r.ours, r.theirs, r.difference] for r in rows],
               [f"Totals: ours {format_money(ours)}, theirs {format_money(theirs)}."]), fmt, output, out)


COMMANDS: Commands = {"export": export_app, "import": import_app}
