"""`totalplace streams load|show|flags` (the funding-stream register) and `totalplace provision --theme`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import (
    FormatOption, OutputOption, WorkspaceOption, YearOption, err, money, out, user_errors,
)
from totalplace.count import funding_streams
from totalplace.deepdive.provision import provision as provision_map
from totalplace.errors import InputError
from totalplace.report.tables import Format, Table, emit
from totalplace.store.connection import connect
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
    con = connect(ws)
    streams = funding_streams.load(con, ws)
    con.close()
    if not streams:
        raise InputError(f"{ws.root}: no funding_streams.csv or funding_streams.xlsx (see docs/funding_streams.md)")
    total = sum(s.amount for s in streams)
    out.print(f"loaded {len(streams)} funding streams, {money(total)}, from {streams[0].path}", highlight=False)


@app.command("show")
@user_errors
def show(
    theme: Annotated[str | None, typer.Option(help="List this theme's streams instead of the measures.")] = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Measures per theme: streams, funders, recipients, ring-fenced share, returns, fragmentation."""
    _, streams = _register(workspace)
    if theme:
        table = stream_table(streams, theme)
    else:
        table = measures_table(funding_streams.by_theme(streams))
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
    _emit(flags_table(funding_streams.flags(streams, min_funders, min_recipients)), fmt, output)


def _emit(table: Table, fmt: Format, output: Path | None) -> None:
    written = emit(table, fmt, output, out)
    if written:
        err.print(f"wrote {written}")


def measures_table(measures: list[funding_streams.ThemeMeasures]) -> Table:
    rows = [[m.theme, m.streams, m.funders, m.recipients, m.amount, m.ring_fenced_share, m.reporting_returns,
             str(m.herfindahl) if m.herfindahl is not None else "n/a",
             str(m.equivalent_streams) if m.equivalent_streams is not None else "n/a",
             f"{m.top_funder} ({m.top_funder_streams})"] for m in measures]
    return Table("Funding streams by theme",
                 ["theme", "streams", "funders", "recipients", "amount", "ring-fenced share", "reporting returns",
                  "fragmentation (HHI)", "equivalent streams", "most streams from"], rows,
                 [funding_streams.HHI_MEANING])


def stream_table(streams: list[funding_streams.FundingStream], theme: str) -> Table:
    chosen = [s for s in streams if s.theme == theme]
    if not chosen:
        raise InputError(f"no funding streams for theme {theme!r} in the register")
    rows = [[s.row_number, s.name, s.funder, s.recipient, s.client_group, s.amount,
             "yes" if s.ring_fenced else "no", s.reporting_returns, s.basis] for s in chosen]
    return Table(f"Funding streams: {theme}", ["row", "stream", "funder", "recipient", "client group", "amount",
                                               "ring-fenced", "returns", "basis"], rows,
                 [f"From {chosen[0].path}; 'basis' says whether a figure is published, from the spend files, "
                  "an estimate or illustrative."])


def flags_table(found: list[funding_streams.OverlapFlag]) -> Table:
    rows = [[f.theme, f.client_group, f.streams, len(f.funders), len(f.recipients), f.amount,
             f.reporting_returns, "; ".join(f.funders), "; ".join(f.recipients),
             ", ".join(map(str, f.rows))] for f in found]
    return Table(f"Several funders paying several recipients for the same theme and client group: {len(found)}",
                 ["theme", "client group", "streams", "funders", "recipients", "amount", "returns",
                  "who funds", "who receives", "register rows"], rows)


@user_errors
def provision(
    theme: Annotated[str, typer.Option(help="The theme to map, e.g. 'Drugs and alcohol'.")],
    year: YearOption = None,
    limit: Annotated[int, typer.Option(help="List at most this many programme-provider rows.")] = 40,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Map provision for a theme: programmes x providers x funding streams, and overlapping funders."""
    ws = open_workspace(workspace)
    con = connect(ws, read_only=True)
    found = provision_map(con, ws, theme, year)
    con.close()
    if fmt != Format.table:
        _emit(commissions_table(found, None), fmt, output)
        return
    out.print(f"{found.theme}, {found.fiscal_year}: {found.headline}; {money(found.amount)} mapped.",
              highlight=False)
    _emit(commissions_table(found, limit), fmt, None)
    _emit(overlaps_table(found), fmt, None)


def commissions_table(found, limit: int | None) -> Table:
    shown = found.commissions[:limit] if limit else found.commissions
    rows = [[c.payer, c.programme, c.provider, c.amount, c.lines, c.public_body, "; ".join(c.streams),
             "; ".join(c.funders), "; ".join(c.client_groups)] for c in shown]
    notes = [f"Showing {len(shown)} of {len(found.commissions)}." if len(shown) < len(found.commissions) else "",
             "A programme is an agency's service / expense heading in its ledger, or a stream paid straight to a "
             "provider. A ledger row's funder is the agency itself unless a register stream names the programme."]
    return Table(f"Provision map: {found.theme}, {found.fiscal_year}",
                 ["payer", "programme", "provider", "amount", "lines", "public body", "funding streams", "funders",
                  "client groups"], rows, [n for n in notes if n])


def overlaps_table(found) -> Table:
    rows = [[o.provider, o.client_group, len(o.funders), "; ".join(o.funders), o.amount, "; ".join(o.programmes)]
            for o in found.overlaps]
    return Table(f"Providers paid by several funders for the same client group: {len(rows)}",
                 ["provider", "client group", "funders", "who funds", "amount", "programmes"], rows)
