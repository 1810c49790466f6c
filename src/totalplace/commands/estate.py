"""`totalplace estate`: the register of public buildings, co-location, needs and offers, the map."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import Commands, FormatOption, OutputOption, WorkspaceOption, err, out, user_errors
from totalplace.errors import InputError
from totalplace.estate import synthetic
from totalplace.estate.colocate import Settings, opportunities
from totalplace.estate.mapping import svg_map, write_geojson
from totalplace.estate.match import load_needs, match_needs, needs_path
from totalplace.estate.register import import_register, load_estate, register_path
from totalplace.estate.report import match_table, opportunity_table, register_table, uses_table
from totalplace.estate.sharing import load_sharing, uses_path, write_default
from totalplace.present.tables import Format, emit
from totalplace.workspace import open_workspace

app = typer.Typer(help="The shared public estate: buildings, co-location, needs and offers, map.",
                  no_args_is_help=True)

RadiusOption = Annotated[float, typer.Option("--radius", help="Distance in metres within which buildings could share.")]
FillOption = Annotated[float, typer.Option("--fill", help="Highest utilisation a kept building is filled to (0-1).")]
VariableOption = Annotated[str, typer.Option("--variable-share", help="Share of a disposal's running cost that moves with its people.")]
MovingOption = Annotated[str, typer.Option("--moving-cost", help="One-off cost of moving a m² of occupied space, in "
                                                                  "pounds (an assumption; a building's own moving_cost wins).")]
YearsOption = Annotated[int, typer.Option("--years", help="Years the net saving is counted over.")]
FromOption = Annotated[str | None, typer.Option("--from", help="When those years start (YYYY-MM-DD; default today): "
                                                               "lease breaks count from it.")]


def _settings(radius: float, fill: float, variable_share: str, moving_cost: str = "200", years: int = 5,
              start: str | None = None) -> Settings:
    if radius <= 0 or not 0 < fill <= 1:
        raise InputError("--radius must be above 0 and --fill between 0 and 1")
    share, per_m2 = _number("--variable-share", variable_share), _number("--moving-cost", moving_cost)
    if not 0 <= share <= 1:
        raise InputError("--variable-share must be between 0 and 1")
    if per_m2 < 0 or years < 1:
        raise InputError("--moving-cost must be 0 or more and --years at least 1")
    try:
        begins = dt.date.fromisoformat(start) if start else dt.date.today()
    except ValueError:
        raise InputError(f"--from {start!r} is not a date like 2026-04-01") from None
    return Settings(radius, fill, share, per_m2, years, begins)


def _number(option: str, text: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        raise InputError(f"{option} {text!r} is not a number") from None


@app.command("load")
@user_errors
def load(source: Annotated[Path | None, typer.Argument(help="A register (CSV or XLSX) to check and bring into the workspace.")] = None,
         workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None) -> None:
    """Check a register of buildings (every row, or one clear error) and summarise it by agency."""
    ws = open_workspace(workspace)
    estate = import_register(ws, source) if source else load_estate(ws)
    emit(register_table(estate, ws), fmt, output, out)


@app.command("colocate")
@user_errors
def colocate(radius: RadiusOption = 500.0, fill: FillOption = 0.85, variable_share: VariableOption = "0.2",
             moving_cost: MovingOption = "200", years: YearsOption = 5, start: FromOption = None,
             workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
             output: OutputOption = None) -> None:
    """Co-location opportunities: nearby buildings of different agencies, whose uses can share, that fit in fewer;
    ranked by the saving net of one-off moving costs."""
    ws = open_workspace(workspace)
    settings = _settings(radius, fill, variable_share, moving_cost, years, start)
    estate, sharing = load_estate(ws), load_sharing(ws)
    emit(opportunity_table(estate, opportunities(estate, settings, sharing=sharing), settings, sharing), fmt, output, out)


@app.command("uses")
@user_errors
def uses(write: Annotated[bool, typer.Option("--write", help="Copy the table shipped with totalplace into "
                                                               "estate/uses.csv to edit (an existing one is kept).")] = False,
         workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None) -> None:
    """Which uses can share a building (estate/uses.csv, or the table shipped with totalplace)."""
    ws = open_workspace(workspace)
    if write:
        err.print(f"wrote {write_default(ws)}" if not uses_path(ws).exists() else f"kept {uses_path(ws)}")
    emit(uses_table(load_sharing(ws)), fmt, output, out)


@app.command("match")
@user_errors
def match(fill: FillOption = 0.85, workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
          output: OutputOption = None) -> None:
    """Match agencies that need space (estate/needs.csv) to spare space in other agencies' buildings."""
    ws = open_workspace(workspace)
    estate = load_estate(ws)
    needs = load_needs(ws)
    if not needs:
        raise InputError(f"no needs for space: write {needs_path(ws)}")
    emit(match_table(match_needs(estate, needs, fill, load_sharing(ws)), estate.synthetic), fmt, output, out)


@app.command("map")
@user_errors
def draw_map(output: Annotated[Path, typer.Option("--output", "-o", help="The SVG file to write.")],
             radius: RadiusOption = 500.0, fill: FillOption = 0.85, variable_share: VariableOption = "0.2",
             top: Annotated[int, typer.Option(help="How many opportunities to mark.")] = 10,
             workspace: WorkspaceOption = Path(".")) -> None:
    """An offline map (SVG, no tile server) of the buildings and the top opportunities."""
    ws = open_workspace(workspace)
    estate = load_estate(ws)
    found = opportunities(estate, _settings(radius, fill, variable_share), sharing=load_sharing(ws))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(svg_map(estate, found, top=top), encoding="utf-8")
    out.print(f"wrote {output}")


@app.command("geojson")
@user_errors
def export_geojson(output: Annotated[Path, typer.Option("--output", "-o", help="The .geojson file to write.")],
                   radius: RadiusOption = 500.0, fill: FillOption = 0.85, variable_share: VariableOption = "0.2",
                   workspace: WorkspaceOption = Path(".")) -> None:
    """The buildings and opportunities as GeoJSON for GIS tools."""
    ws = open_workspace(workspace)
    estate = load_estate(ws)
    found = opportunities(estate, _settings(radius, fill, variable_share), sharing=load_sharing(ws))
    out.print(f"wrote {write_geojson(estate, found, output)}")


@app.command("synthetic")
@user_errors
def make_synthetic(buildings: Annotated[int, typer.Option(help="How many buildings.")] = 150,
                   seed: Annotated[int, typer.Option(help="Random seed (same seed, same estate).")] = 2010,
                   force: Annotated[bool, typer.Option(help="Replace an existing register.")] = False,
                   workspace: WorkspaceOption = Path(".")) -> None:
    """Write a SYNTHETIC estate and needs for a demo (made-up buildings around the Bradford district's towns)."""
    ws = open_workspace(workspace)
    target = register_path(ws)
    if target.exists() and not force:
        raise InputError(f"{target} exists; use --force to replace it with a synthetic estate")
    rows = synthetic.buildings(buildings, seed)
    synthetic.write(target.with_suffix(".csv"), synthetic.COLUMNS, rows)
    synthetic.write(needs_path(ws).with_suffix(".csv"), synthetic.NEED_COLUMNS, synthetic.needs(rows, seed))
    err.print(f"wrote {len(rows)} SYNTHETIC buildings to {target.with_suffix('.csv')} and needs to "
              f"{needs_path(ws).with_suffix('.csv')}")


COMMANDS: Commands = {"estate": app}
