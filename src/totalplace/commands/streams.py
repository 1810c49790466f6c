"""`totalplace streams load|show|flags|review` (the funding-stream register, and the review of the names in the
registers) and `totalplace provision --theme`."""

from __future__ import annotations

from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import (
    Commands, FormatOption, OutputOption, WorkspaceOption, YearOption, err, out, user_errors,
)
from totalplace.count import funding_streams
from totalplace.deepdive import provision as mapping
from totalplace.deepdive import register_review
from totalplace.errors import InputError
from totalplace.money import format_money
from totalplace.present.tables import Format, Table, emit
from totalplace.store.connection import connect, writable
from totalplace.workspace import open_workspace

app = typer.Typer(help="The register of funding streams (funding_streams.csv or .xlsx in the workspace).",
                  no_args_is_help=True)


def _register(workspace: Path):
    ws = open_workspace(workspace)
    streams = funding_streams.read_register(ws)
    if not streams:
        raise InputError(f"{ws.root}: no funding_streams.csv or funding_streams.xlsx (see docs/funding_streams.md)")
    return ws, streams


@app.command("load")
@user_errors
def load(workspace: WorkspaceOption = Path(".")) -> None:
    """Check the register and copy it into the store's funding_stream table."""
    ws = open_workspace(workspace)
    with writable(ws) as con:
        streams = funding_streams.load(con, ws)
    if not streams:
        raise InputError(f"{ws.root}: no funding_streams.csv or funding_streams.xlsx (see docs/funding_streams.md)")
    total = sum((s.amount for s in streams), Decimal(0))
    out.print(f"loaded {len(streams)} funding streams, {format_money(total)}, from {streams[0].path}", highlight=False)


@app.command("show")
@user_errors
def show(
    theme: Annotated[str | None, typer.Option(help="List this theme's streams instead of the measures.")] = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Measures per theme: streams, funders, recipients, ring-fenced share, returns, fragmentation."""
    _, streams = _register(workspace)
    if theme:
        table = funding_streams.streams_table(streams, theme)
    else:
        table = funding_streams.measures_table(funding_streams.by_theme(streams))
    _emit(table, fmt, output)


@app.command("flags")
@user_errors
def flags(
    min_funders: Annotated[int, typer.Option(help="Flag at this many funders or more.")] = 2,
    min_recipients: Annotated[int, typer.Option(help="... paying this many recipients or more.")] = 2,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Theme and client groups where several funders pay several recipients."""
    _, streams = _register(workspace)
    _emit(funding_streams.flags_table(funding_streams.flags(streams, min_funders, min_recipients)), fmt, output)


@app.command("review")
@user_errors
def review(
    theme: Annotated[str | None, typer.Option(help="Also review this theme's programmes and providers.")] = None,
    year: YearOption = None,
    accept: Annotated[list[str] | None, typer.Option(help="Accept the suggestion for this name (repeat).")] = None,
    reject: Annotated[list[str] | None, typer.Option(help="Reject the suggestion for this name (repeat).")] = None,
    by: Annotated[str, typer.Option("--by", help="Who decides (written beside the decision).")] = "",
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """List names in the registers that may be one body, with the evidence; accept or reject them.

    Funders of the funding-stream register always; with --theme, the provision map's programmes (a ledger
    heading renamed) and providers (a supplier spelt two ways). An accepted name is counted under the other
    from then on (rules/funder_aliases.csv, programme_aliases.csv, provider_aliases.csv: editable by hand).
    """
    ws = open_workspace(workspace)
    if accept or reject:
        for register, d in register_review.review(ws, accept or [], reject or [], by, theme, year):
            out.print(f"{d.decision}ed: {d.name!r} as {d.target!r}; written to "
                      f"{ws.root / 'rules' / register_review.TABLES[register].file}", highlight=False)
    found = register_review.suggestions(ws, theme, year)
    rows = [[f.register, f.suggestion.name, f.suggestion.target, round(f.suggestion.score),  # out of 100, not a share
             "; ".join(f.suggestion.evidence)] for f in found]
    _emit(Table("Suggested merges: names in the registers that may be one body",
                ["register", "name", "may be", "score", "evidence"], rows,
                [f"{len(rows)} left for review. Accept with --accept 'NAME', reject with --reject 'NAME' "
                 "(repeat either)."]),
          fmt, output)


def _emit(table: Table, fmt: Format, output: Path | None) -> None:
    written = emit(table, fmt, output, out)
    if written:
        err.print(f"wrote {written}")


@user_errors
def provision(
    theme: Annotated[str, typer.Option(help="The theme to map, e.g. 'Drugs and alcohol'.")],
    year: YearOption = None,
    limit: Annotated[int, typer.Option(help="List at most this many programme-provider rows.")] = 40,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Map provision for a theme: programmes x providers x funding streams, and overlapping funders."""
    ws = open_workspace(workspace)
    with closing(connect(ws, read_only=True)) as con:
        found = mapping.provision(con, ws, theme, year)
    if fmt != Format.table:
        _emit(mapping.commissions_table(found, None, ws), fmt, output)
        return
    out.print(f"{found.theme}, {found.fiscal_year}: {found.headline}; {format_money(found.amount)} mapped.",
              highlight=False)
    _emit(mapping.commissions_table(found, limit, ws), fmt, None)
    _emit(mapping.overlaps_table(found, ws), fmt, None)


COMMANDS: Commands = {"streams": app, "provision": provision}
