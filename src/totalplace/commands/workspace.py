"""`totalplace init` and `totalplace agency ...`: the workspace itself, which every capability works in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from totalplace import partners, reference
from totalplace.commands.common import Commands, FormatOption, WorkspaceOption, out, user_errors
from totalplace.ingest.load import spend_files
from totalplace.present.tables import Format, Table, emit
from totalplace.workspace import Agency, AgencyKind, init_workspace, open_workspace, slug

agency_app = typer.Typer(help="The agencies (public bodies) of the place.", no_args_is_help=True)


@user_errors
def init(
    folder: Annotated[Path, typer.Argument(help="Folder to create for the place's workspace.")],
    place: Annotated[str, typer.Option(help="The place's name, e.g. 'Bradford'.")],
    area: Annotated[list[str], typer.Option(help="ONS code of an area of the place (repeat for several).")],
    with_partners: Annotated[bool, typer.Option(
        help="Also add the police force, fire authority, county and CCG/ICB serving the place as agencies.")] = False,
) -> None:
    """Start a place: a workspace folder with totalplace.toml, rule tables and a folder per agency."""
    workspace = init_workspace(folder, place, area, partners.agencies_serving(area) if with_partners else ())
    settings = workspace.settings
    out.print(f"Created workspace {folder} for {settings.place.name} ({', '.join(settings.place.areas)}), "
              f"region {settings.place.region}.")
    for agency in settings.agencies:
        out.print(f"  agency {agency.id}: put its spend files in {workspace.agency_dir(agency.id)}", highlight=False)
    served = partners.serving(settings.place.areas)
    if served:
        out.print("Who else serves this place (ONS and NHS lookups): gather their spending files too.")
        for p in served:
            share = "" if p.share >= 0.9995 else f", {p.share:.1%} of {reference.area(p.district).name}'s people"
            out.print(f"  {p.kind:<6} {p.name} ({p.code}{share})", highlight=False)
        if not with_partners:
            out.print("Add them as agencies with `totalplace init ... --with-partners` or `totalplace agency add`.")


@agency_app.command("add")
@user_errors
def agency_add(
    name: Annotated[str, typer.Argument(help="The body's name, e.g. 'West Yorkshire Police'.")],
    kind: Annotated[AgencyKind, typer.Option(help="What kind of public body it is.")],
    agency_id: Annotated[str | None, typer.Option("--id", help="Short id (default: from the name).")] = None,
    area: Annotated[str | None, typer.Option(help="ONS code of its area, for councils.")] = None,
    alias: Annotated[list[str] | None, typer.Option(help="Another name suppliers columns use for it.")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Add an agency to the place; its files go in agencies/<id>/."""
    ws = open_workspace(workspace)
    agency = Agency(id=agency_id or slug(name), name=name, kind=kind, area=area, aliases=alias or [])
    ws.add_agency(agency)
    out.print(f"Added {agency.id}: put its spend files in {ws.agency_dir(agency.id)}")


@agency_app.command("list")
@user_errors
def agency_list(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table) -> None:
    """List the place's agencies and how many spend files each has."""
    ws = open_workspace(workspace)
    rows = [[a.id, a.name, a.kind.value, a.area or "", len(spend_files(ws.agency_dir(a.id)))]
            for a in ws.settings.agencies]
    emit(Table("Agencies", ["id", "name", "kind", "area", "files"], rows), fmt, console=out)


COMMANDS: Commands = {"init": init, "agency": agency_app}
