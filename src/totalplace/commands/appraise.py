"""`totalplace appraise`: invest-to-save appraisal, the wrong-pocket matrix, gain-share, uncertainty."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from typer.core import TyperGroup

from totalplace.appraise import tables
from totalplace.appraise.gainshare import METHODS, propose
from totalplace.appraise.sensitivity import MEASURES, switching_values, tornado
from totalplace.appraise.service import appraise_target, load_portfolio, proposed_asks
from totalplace.appraise.tracking import actuals_path, early_intervention_pot, read_actuals, variances
from totalplace.appraise.vector import monte_carlo
from totalplace.commands.common import Commands, FormatOption, OutputOption, WorkspaceOption, err, out, user_errors
from totalplace.errors import InputError
from totalplace.present.tables import Format, Table, emit
from totalplace.workspace import open_workspace


class _SummaryByDefault(TyperGroup):
    """`totalplace appraise NAME` means `totalplace appraise summary NAME`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["summary", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_SummaryByDefault, no_args_is_help=True, help=(
    "Appraise an invest-to-save intervention: `totalplace appraise NAME` (a file in interventions/, or a path) "
    "gives the summary; the subcommands give the matrix, gain-share, sensitivity, Monte Carlo, portfolio, "
    "tracking and the XLSX export."))

Target = Annotated[str, typer.Argument(help="An intervention: its name in interventions/ or a .yaml/.xlsx path.")]
Measure = Annotated[str, typer.Option(help=f"Which NPV: {', '.join(MEASURES)}.")]


def _show(shown: list[Table], fmt: Format, output: Path | None) -> None:
    """Terminal: every table. CSV, JSON, XLSX: the last table asked for (the one the options chose)."""
    if fmt == Format.table:
        for table in shown:
            emit(table, fmt, console=out)
            out.print()
        return
    written = emit(shown[-1], fmt, output, out)
    if written:
        err.print(f"wrote {written}")


def _measure(measure: str) -> str:
    if measure not in MEASURES:
        raise InputError(f"--measure {measure!r}: choose one of {', '.join(MEASURES)}")
    return measure


@app.command("summary")
@user_errors
def summary(
    target: Target,
    matrix: Annotated[bool, typer.Option("--matrix", help="Also the wrong-pocket matrix and each agency's NPV.")] = False,
    cashflow: Annotated[bool, typer.Option("--cashflow", help="Also each agency's net cash flow by year.")] = False,
    outcomes: Annotated[bool, typer.Option("--outcomes", help="Also the outcome lines and their sources.")] = False,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """The appraisal's headline figures: NPVs, BCR, ROI, payback, cashable share."""
    _, appraisal = appraise_target(open_workspace(workspace), target)
    shown = [tables.summary_table(appraisal), tables.return_table(appraisal)]
    if outcomes:
        shown.append(tables.outcome_table(appraisal))
    if matrix:
        shown += [tables.agency_table(appraisal), tables.matrix_table(appraisal)]
    if cashflow:
        shown.append(tables.cashflow_table(appraisal))
    _show(shown, fmt, output)


@app.command("gainshare")
@user_errors
def gainshare(
    target: Target,
    method: Annotated[str, typer.Option(help=f"How to share the gains: {', '.join(METHODS)}.")] = "shapley",
    asks: Annotated[bool, typer.Option("--asks", help="Print national bodies' shares as entries for "
                                                      "deal/asks.yaml (YAML), linked as live evidence.")] = False,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """What each partner is due, the cash that can be paid (local, cashable), the asks of Whitehall, checked."""
    ws = open_workspace(workspace)
    if asks:
        entries = [ask.deal_ask(f"G{n}") for n, ask in enumerate(proposed_asks(ws, target, method), start=1)]
        out.print(yaml.safe_dump({"asks": [{**e, "money": float(e["money"])} for e in entries]}, sort_keys=False,
                                 allow_unicode=True), highlight=False, markup=False)
        return
    _, appraisal = appraise_target(ws, target)
    proposal = propose(appraisal, method)
    _show([tables.gainshare_table(appraisal, proposal), tables.asks_table(appraisal, proposal),
           tables.agreement_table(appraisal, proposal)], fmt, output)


@app.command("sensitivity")
@user_errors
def sensitivity(
    target: Target, measure: Measure = "public_value_npv",
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Tornado (NPV with each input 20% down and up) and switching values (where NPV crosses zero)."""
    measure = _measure(measure)
    _, appraisal = appraise_target(open_workspace(workspace), target)
    _show([tables.tornado_table(appraisal, tornado(appraisal, measure), measure),
           tables.switching_table(appraisal, switching_values(appraisal, measure), measure)], fmt, output)


@app.command("montecarlo")
@user_errors
def montecarlo(
    target: Target,
    draws: Annotated[int, typer.Option(help="How many draws.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same results.")] = 1,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Draw the inputs from the intervention's `uncertainty:` distributions: P(NPV > 0) and percentiles."""
    _, appraisal = appraise_target(open_workspace(workspace), target)
    if not appraisal.intervention.uncertainty:
        raise InputError(f"{appraisal.intervention.id}: no `uncertainty:` distributions to draw from")
    _show(tables.montecarlo_tables(appraisal, monte_carlo(appraisal, draws, seed)), fmt, output)


@app.command("portfolio")
@user_errors
def portfolio(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
              output: OutputOption = None) -> None:
    """Every intervention together, totals by agency, overlapping cohorts flagged."""
    _show(tables.portfolio_tables(load_portfolio(open_workspace(workspace))), fmt, output)


@app.command("track")
@user_errors
def track(target: Target, workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
          output: OutputOption = None) -> None:
    """Actual spend and savings (NAME.actuals.csv) against the forecast, and the early-intervention pot."""
    path, appraisal = appraise_target(open_workspace(workspace), target)
    actual_file = actuals_path(path, appraisal.intervention.id)
    if not actual_file.exists():
        raise InputError(f"no actuals yet: write {actual_file} with columns year,agency,kind,amount,cashable")
    actuals = read_actuals(actual_file, appraisal)
    _show([tables.tracking_table(appraisal, variances(appraisal, actuals)),
           tables.pot_table(appraisal, early_intervention_pot(appraisal, actuals))], fmt, output)


@app.command("export")
@user_errors
def export(
    target: Target,
    fmt: Annotated[str, typer.Option("--format", "-f", help="xlsx (the only export format).")] = "xlsx",
    output: OutputOption = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws for the workbook.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Monte Carlo seed.")] = 1,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """A workbook with every input, every working line and every result, for the finance team to check."""
    from totalplace.appraise.export import write_workbook

    if fmt != "xlsx":
        raise InputError(f"--format {fmt!r}: the export is an xlsx workbook")
    ws = open_workspace(workspace)
    _, appraisal = appraise_target(ws, target)
    path = output or ws.output_dir / f"appraisal-{appraisal.intervention.id}.xlsx"
    write_workbook(appraisal, path, draws, seed)
    out.print(f"wrote {path}")


COMMANDS: Commands = {"appraise": app}
