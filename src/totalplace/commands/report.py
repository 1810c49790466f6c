"""`totalplace report`: the place report, made of every capability's sections (it belongs to none of them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import Commands, WorkspaceOption, err, out, user_errors
from totalplace.workspace import open_workspace


@user_errors
def report(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder to write to (default: output/report).")] = None,
    pdf: Annotated[bool, typer.Option(help="Also write the PDF (slower).")] = True,
    year: Annotated[str | None, typer.Option(
        help="The fiscal year to report, like 2018-19 (default: the latest year of the ledgers, else of the CRA). "
             "Where a source has no figures for it, its nearest year stands in, and the report says so.")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """The place report a board reads: self-contained HTML, an XLSX workbook, a PDF, and every table as CSV."""
    from totalplace.report.document import write_report

    ws = open_workspace(workspace)
    folder = output or ws.output_dir / "report"
    with err.status("writing the report"):
        files = write_report(ws, folder, pdf=pdf, year=year)
    out.print(f"Report with {files.sections} sections:", highlight=False)
    for path in (files.html, files.xlsx, files.pdf, files.csv_dir):
        if path:
            out.print(f"  {path}", highlight=False)


COMMANDS: Commands = {"report": report}
