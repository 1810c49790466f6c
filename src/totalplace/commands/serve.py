"""`totalplace serve`: the partnership's shared view of the workspace, in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import Commands, err, out, user_errors
from totalplace.workspace import open_workspace


@user_errors
def serve(
    workspace: Annotated[Path, typer.Argument(help="The workspace folder (default: $TOTALPLACE_WORKSPACE or here).",
                                              envvar="TOTALPLACE_WORKSPACE")] = Path("."),
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db_url: Annotated[str | None, typer.Option(
        help="Users, roles and audit log database: default SQLite in <workspace>/state/web.sqlite; "
             "postgresql+psycopg://user@host/db for a shared server.", envvar="TOTALPLACE_WEB_DB")] = None,
    max_upload_mb: Annotated[int, typer.Option(help="Largest upload accepted, in MB.")] = 25,
    secure_cookies: Annotated[bool, typer.Option(help="Send the session cookie over HTTPS only (behind TLS).")] = False,
) -> None:
    """Serve the web app: overview, breakdowns, drill-down, data, uploads, and the JSON API at /api."""
    import uvicorn

    from totalplace.web.app import WebSettings, create_app
    from totalplace.web.auth import sample_users

    ws = open_workspace(workspace)
    app = create_app(ws, WebSettings(db_url=db_url, max_upload_mb=max_upload_mb, secure_cookies=secure_cookies))
    made = sample_users(app.state.db, [a.id for a in ws.settings.agencies])
    if made:
        out.print("First start: sample users created. Their passwords are shown this once (only hashes are kept):")
        for username, role, password in made:
            out.print(f"  {username:<28} {role:<14} {password}", highlight=False)
        out.print("Change or deactivate them under Users once you have signed in as admin.")
    err.print(f"Serving {ws.settings.place.name} at http://{host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


COMMANDS: Commands = {"serve": serve}
