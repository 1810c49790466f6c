"""`totalplace store export|import`: the store as Parquet, to move a workspace between engines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import Commands, WorkspaceOption, out, user_errors
from totalplace.store.portable import export_store, import_store
from totalplace.workspace import open_workspace

app = typer.Typer(help="Move the store between engines (DuckDB, Spark) as Parquet.", no_args_is_help=True)
FolderArgument = Annotated[Path, typer.Argument(help="The Parquet store: a folder holding one folder per table.")]


@app.command("export")
@user_errors
def export(folder: FolderArgument, workspace: WorkspaceOption = Path(".")) -> None:
    """Write every table of the store to FOLDER as Parquet (readable by either engine)."""
    ws = open_workspace(workspace)
    tables = export_store(ws, folder)
    out.print(f"wrote {len(tables)} tables from the {ws.settings.engine.value} store to {folder}", highlight=False)


@app.command("import")
@user_errors
def import_(folder: FolderArgument, workspace: WorkspaceOption = Path(".")) -> None:
    """Load a Parquet store (from `store export`) into this workspace's store, replacing the tables it holds."""
    ws = open_workspace(workspace)
    tables = import_store(ws, folder)
    out.print(f"loaded {len(tables)} tables into the {ws.settings.engine.value} store from {folder}", highlight=False)


COMMANDS: Commands = {"store": app}
