"""`totalplace unit-costs`: the unit cost library (list, show, import a GMCA workbook)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import Commands, FormatOption, OutputOption, WorkspaceOption, err, out, user_errors
from totalplace.deepdive.gmca import GmcaImport, read_gmca_workbook
from totalplace.deepdive.unit_cost_report import library_table
from totalplace.deepdive.unit_costs import GMCA_FOLDER, UnitCostLibrary, load_library
from totalplace.errors import InputError
from totalplace.present.tables import Format, Table, emit
from totalplace.workspace import Workspace, open_workspace

app = typer.Typer(help="The unit cost library: what a step of a journey costs, and who bears it.",
                  no_args_is_help=True)

PriceYearOption = Annotated[
    str | None, typer.Option("--price-year", "-p", help="Also show values uprated to this fiscal year, e.g. 2022-23.")
]


def _library(workspace: Path) -> tuple[Workspace | None, UnitCostLibrary]:
    """The workspace's library, or the shipped starter set when run outside a workspace."""
    ws = open_workspace(workspace) if (workspace / "totalplace.toml").exists() else None
    return ws, load_library(ws)


@app.command("list")
@user_errors
def list_costs(
    sheet: Annotated[str | None, typer.Option(help="Only one sheet: crime, health, social services, employment, "
                                                   "housing, education, fire (or other).")] = None,
    agency: Annotated[str | None, typer.Option(help="Only costs borne by an agency whose name contains this.")] = None,
    search: Annotated[str | None, typer.Option(help="Only costs whose code, description or heading contains this.")] = None,
    price_year: PriceYearOption = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Every unit cost by sheet: code, what it is, who bears it, value, price year, source, and whether illustrative."""
    _, library = _library(workspace)
    emit(library_table(library, library.search(sheet, agency, search), price_year), fmt, output, out)


@app.command("show")
@user_errors
def show(
    code: Annotated[str, typer.Argument(help="The unit-cost code, e.g. police.arrest.")],
    price_year: PriceYearOption = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """One unit cost in full, where it was read from, and its value uprated to a price year."""
    _, library = _library(workspace)
    cost = library.get(code)
    rows = [[name, getattr(cost, name)] for name in
            ("code", "sheet", "detail", "description", "unit", "agency", "second_agency", "value", "price_year",
             "source", "illustrative", "note", "origin")]
    notes = []
    if price_year:
        rows.append([f"value in {price_year} prices", library.value(cost.code, price_year)])
        notes.append(library.series.describe())
    if cost.illustrative:
        notes.append("ILLUSTRATIVE: this value has not been checked against its source; do not quote it as official.")
    emit(Table(f"Unit cost {cost.code}", ["field", "value"], rows, notes), fmt, output, out)


@app.command("import-gmca")
@user_errors
def import_gmca(
    workbook: Annotated[Path, typer.Argument(help="The GMCA Unit Cost Database workbook (.xlsx).")],
    replace: Annotated[bool, typer.Option(help="Replace an imported workbook of the same name.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Add a GMCA Unit Cost Database workbook to the workspace (copied to unit_costs/); its codes join the library."""
    ws = open_workspace(workspace)
    if not workbook.exists():
        raise InputError(f"{workbook}: no such file")
    imported = read_gmca_workbook(workbook)
    target = ws.root / GMCA_FOLDER / workbook.name
    if target.exists() and not replace and _costs_differ(read_gmca_workbook(target), imported):
        raise InputError(f"{target} already holds a different workbook; give --replace to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or not target.samefile(workbook):
        shutil.copyfile(workbook, target)
    out.print(f"Imported {len(imported.costs)} unit costs from sheets {', '.join(imported.sheets)} into {target}.",
              highlight=False)
    for sheet in imported.sheets:
        read = sum(1 for c in imported.costs if f"sheet {sheet!r} " in c.origin)
        out.print(f"  {sheet}: {read} costs", highlight=False)
    if imported.skipped:
        err.print(f"{len(imported.skipped)} row(s) could not be read and are NOT in the library:", highlight=False)
        for skipped in imported.skipped:
            err.print(f"  {skipped}", highlight=False, markup=False)


def _costs_differ(held: GmcaImport, new: GmcaImport) -> bool:
    """Workbooks are compared by what they hold: Excel rewrites its own timestamps on every save."""
    return (held.costs, held.skipped) != (new.costs, new.skipped)


COMMANDS: Commands = {"unit-costs": app}
