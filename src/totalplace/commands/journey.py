"""`totalplace journey`: cost a customer journey, compare a redesign, draw the swimlane."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml

from totalplace.commands.common import Commands, FormatOption, OutputOption, WorkspaceOption, err, out, user_errors
from totalplace.deepdive import journey_report as tables
from totalplace.deepdive.journeys import AS_IS, JOURNEY_FOLDER, compare as compare_versions, find_journey, \
    intervention_draft, load_journeys, summarise
from totalplace.deepdive.swimlane import svg
from totalplace.deepdive.unit_costs import load_library
from totalplace.errors import InputError
from totalplace.present.tables import Format, Table, emit
from totalplace.workspace import open_workspace

app = typer.Typer(help=f"Customer journeys: steps, costs per person by agency, and redesigns "
                       f"(files in {JOURNEY_FOLDER}/<name>.yaml or .xlsx).", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="The journey's name: its file name without .yaml/.xlsx.")]


class Part(StrEnum):
    summary = "summary"
    steps = "steps"
    agencies = "agencies"
    assessments = "assessments"
    gaps = "gaps"
    waits = "waits"
    missed = "missed"


@app.command("list")
@user_errors
def list_journeys(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
                  output: OutputOption = None) -> None:
    """The journeys in the workspace, with their versions."""
    ws = open_workspace(workspace)
    rows = [[j.name, j.title, ", ".join(j.versions), j.price_year, j.cohort, j.path] for j in load_journeys(ws).values()]
    emit(Table("Journeys", ["name", "title", "versions", "price year", "cohort", "file"], rows,
               [] if rows else [f"No journeys yet: write {ws.root / JOURNEY_FOLDER}/<name>.yaml (see docs/journeys.md)."]),
         fmt, output, out)


@app.command("show")
@user_errors
def show(
    name: NameArgument,
    version: Annotated[str, typer.Option("--version", "-v", help="Which version (default: as-is).")] = AS_IS,
    part: Annotated[Part | None, typer.Option(help="Only this table (needed for csv, json and xlsx).")] = None,
    svg_file: Annotated[Path | None, typer.Option("--svg", help="Also write the swimlane diagram to this SVG file.")] = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Cost per person (total and by agency), elapsed time, agencies, hand-offs, duplicate assessments, gaps."""
    ws = open_workspace(workspace)
    summary = summarise(find_journey(ws, name), version, load_library(ws))
    built = {Part.summary: tables.summary_table, Part.steps: tables.steps_table, Part.agencies: tables.agency_table,
             Part.assessments: tables.duplicates_table, Part.gaps: tables.gaps_table, Part.waits: tables.waits_table,
             Part.missed: tables.missed_table}
    if fmt != Format.table and part is None:
        part = Part.summary
    for chosen in [part] if part else list(Part):
        emit(built[chosen](summary), fmt, output, out)
    if svg_file:
        _write_svg(svg_file, svg(summary))


@app.command("compare")
@user_errors
def compare(
    name: NameArgument,
    cohort: Annotated[int | None, typer.Option(help="How many people take the journey (default: the file's cohort).")] = None,
    to_be: Annotated[str | None, typer.Option("--to-be", help="Which to-be version (default: the first).")] = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Saving per person and for the cohort by the agency that gains it; time per person, like for like."""
    ws = open_workspace(workspace)
    comparison = compare_versions(find_journey(ws, name), to_be, cohort, load_library(ws))
    emit(tables.comparison_table(comparison), fmt, output, out)
    if fmt == Format.table:
        emit(tables.time_table(comparison), fmt, None, out)


@app.command("to-intervention")
@user_errors
def to_intervention(
    name: NameArgument,
    intervention_id: Annotated[str | None, typer.Option("--id", help="The intervention's id (default: NAME-redesign).")] = None,
    cohort: Annotated[int | None, typer.Option(help="How many people take the journey (default: the file's cohort).")] = None,
    to_be: Annotated[str | None, typer.Option("--to-be", help="Which to-be version (default: the first).")] = None,
    replace: Annotated[bool, typer.Option(help="Replace an intervention file of that name.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Write the redesign's savings by agency as interventions/<id>.yaml, ready for `totalplace appraise`."""
    ws = open_workspace(workspace)
    comparison = compare_versions(find_journey(ws, name), to_be, cohort, load_library(ws))
    chosen = intervention_id or f"{name}-redesign"
    path = ws.root / "interventions" / f"{chosen}.yaml"
    if path.exists() and not replace:
        raise InputError(f"{path} already exists; give --replace to replace it, or --id for another name")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(intervention_draft(comparison, chosen), sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    err.print(f"wrote {path}: appraise it with `totalplace appraise {chosen}`", highlight=False)


@app.command("swimlane")
@user_errors
def swimlane(
    name: NameArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="The SVG file to write ({version} is replaced).")],
    version: Annotated[str | None, typer.Option("--version", "-v", help="One version (default: every version).")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Draw the journey as a swimlane diagram (one lane per agency) in SVG."""
    ws = open_workspace(workspace)
    journey = find_journey(ws, name)
    library = load_library(ws)
    chosen = [version] if version else list(journey.versions)
    if len(chosen) > 1 and "{version}" not in str(output):
        raise InputError(f"{output}: several versions need '{{version}}' in the file name, or give --version")
    for each in chosen:
        _write_svg(Path(str(output).replace("{version}", each)), svg(summarise(journey, each, library)))


def _write_svg(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    err.print(f"wrote {path}", highlight=False)


COMMANDS: Commands = {"journey": app}
