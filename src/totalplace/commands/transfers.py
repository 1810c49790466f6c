"""`totalplace transfers ...`: payees matched to the agencies of the count, and the review of suggested matches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import Commands, FormatOption, OutputOption, WorkspaceOption, err, out, user_errors
from totalplace.count import transfers
from totalplace.present.tables import Format, Table, emit
from totalplace.workspace import open_workspace

app = typer.Typer(help="Money between the agencies of the count: payees matched, with review.", no_args_is_help=True)


@app.command()
@user_errors
def review(
    accept: Annotated[list[str] | None, typer.Option(help="Accept the suggestion for this payee (repeat).")] = None,
    reject: Annotated[list[str] | None, typer.Option(help="Reject the suggestion for this payee (repeat).")] = None,
    by: Annotated[str, typer.Option("--by", help="Who decides (written beside the decision).")] = "",
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """List payees that resemble an agency of the count, with the evidence; accept or reject them.

    An accepted payee is that agency from then on (written to rules/payee_aliases.csv):
    money paid to it is a transfer within the count, counted once, by the agency that spends it.
    """
    ws = open_workspace(workspace)
    if accept or reject:
        decided = transfers.review(ws, accept or [], reject or [], by)
        for d in decided:
            out.print(f"{d.decision}ed: {d.name!r} as {d.target}", highlight=False)
        out.print(f"Written to {ws.root / 'rules' / transfers.ALIAS_FILE}; the store is re-classified.",
                  highlight=False)
    found = transfers.match_payees(ws)
    rows = [[s.name, s.target, s.target_name, round(s.score), "; ".join(s.evidence)]  # out of 100, not a share
            for s in found.suggestions]
    notes = [f"{found.payees:,} payees; {len(found.matched):,} are agencies of the count by the rules "
             f"({found.accepted_by_rules:,} by name, alias or the shipped list of public bodies, "
             f"{found.accepted_on_review:,} accepted on review); {len(found.suggestions):,} left for review.",
             "Accept with --accept 'PAYEE NAME', reject with --reject 'PAYEE NAME' (repeat either)."]
    written = emit(Table("Suggested matches: payees that may be an agency of the count",
                         ["payee", "agency", "resembles", "score", "evidence"], rows, notes), fmt, output, out)
    if written:
        err.print(f"wrote {written}")


COMMANDS: Commands = {"transfers": app}
