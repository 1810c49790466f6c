"""`totalplace deal`: the asks of the place proposition, pooled budgets and the reporting burden."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from totalplace.commands.common import Commands, FormatOption, OutputOption, WorkspaceOption, err, out, user_errors
from totalplace.deal import burden as burden_model
from totalplace.deal import pool as pool_model
from totalplace.deal.asks import CONDITIONS, Ask, Freedom, add_ask, history, load_register, parse_status
from totalplace.deal.proposition import export as export_proposition
from totalplace.deal.report import (
    burden_notes, burden_table, equivalents_table, framework_table, indicator_text, pool_table,
)
from totalplace.deal.review import AskReview, change_status, review, submit
from totalplace.money import format_money
from totalplace.present.tables import Format, Table, emit
from totalplace.workspace import open_workspace

app = typer.Typer(help="The deal with Whitehall: asks and offers, pooled budgets, reporting burden.",
                  no_args_is_help=True)
ask_app = typer.Typer(help="The asks of the place proposition, with their evidence.", no_args_is_help=True)
pool_app = typer.Typer(help="Pooled and aligned budgets.", no_args_is_help=True)
burden_app = typer.Typer(help="The reporting burden and a single outcomes framework.", no_args_is_help=True)
app.add_typer(ask_app, name="ask")
app.add_typer(pool_app, name="pool")
app.add_typer(burden_app, name="burden")

ByOption = Annotated[str, typer.Option("--by", help="Who made the change (default: your login).")]
NoteOption = Annotated[str, typer.Option("--note", help="A note for the history.")]


def _flag_text(r: AskReview) -> str:
    return "; ".join(f"{f.kind}: {f.text}" for f in r.flags)


# --- asks ----------------------------------------------------------------------------------------

@ask_app.command("list")
@user_errors
def ask_list(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
             output: OutputOption = None) -> None:
    """Every ask: department, freedom, money, status, owner, reply due and flags."""
    ws = open_workspace(workspace)
    reviews = review(ws)
    rows = [[r.ask.id, r.ask.title, r.ask.department, r.ask.freedom.value, r.ask.money, r.status.value,
             r.ask.owner, r.ask.reply_due.isoformat() if r.ask.reply_due else "", len(r.flags), _flag_text(r)]
            for r in reviews]
    emit(Table("Asks of the place proposition", ["id", "title", "department", "freedom", "money", "status",
                                                 "owner", "reply due", "flags", "flagged"], rows,
               [f"{sum(1 for r in reviews if r.flags)} of {len(reviews)} asks flagged; "
                "see `totalplace deal ask show ID`."]), fmt, output, out)


@ask_app.command("show")
@user_errors
def ask_show(ask_id: Annotated[str, typer.Argument(help="The ask's id.")],
             workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
             output: OutputOption = None) -> None:
    """One ask: its evidence now and at submission, the three conditions, flags and history."""
    ws = open_workspace(workspace)
    register = load_register(ws)
    register.ask(ask_id)  # an unknown id: the register's error lists the asks it has
    r = next(r for r in review(ws, register=register) if r.ask.id == ask_id)
    rows = [[e.link, e.figure.label if e.figure else "MISSING", e.figure.amount if e.figure else None,
             e.submitted, "CHANGED" if e.changed else ("MISSING: " + e.missing if e.missing else "ok"),
             e.figure.basis if e.figure else ""] for e in r.evidence]
    a = r.ask
    notes = [f"{a.id}: {a.title}", f"To {a.department}; {a.freedom.value}; money it touches {format_money(a.money)}; "
             f"status {r.status.value}; owner {a.owner}; reply due {a.reply_due or 'not set'}",
             f"Offer: savings {format_money(a.offer.savings)}; outcomes: {'; '.join(a.offer.outcomes) or 'none stated'}"]
    notes += [f"Offer moves indicator {indicator_text(i)}" for i in r.indicators]
    notes += [f"{text}: {_answer(getattr(a.checklist, name))}" for name, text in CONDITIONS.items()]
    notes += [f"FLAG {f.kind}: {f.text}" for f in r.flags] or ["No flags."]
    notes += [f"history: {h['when']} {h['from']} -> {h['to']} by {h['by']} {h['note']}"
              for h in history(ws) if h["ask"] == a.id]
    if a.reply:
        notes.append(f"Reply: {a.reply}")
    emit(Table(f"Evidence for ask {a.id}", ["link", "figure", "now", "when submitted", "state", "basis"],
               rows, notes), fmt, output, out)


def _answer(answer) -> str:
    shown = {None: "NOT ANSWERED", True: "yes", False: "NO"}[answer.answer]
    return f"{shown} ({answer.reason})" if answer.reason else shown


@ask_app.command("add")
@user_errors
def ask_add(
    ask_id: Annotated[str, typer.Argument(help="A short id, e.g. A4.")],
    title: Annotated[str, typer.Option(help="What is asked, in a line.")],
    department: Annotated[str, typer.Option(help="The Whitehall department asked.")],
    freedom: Annotated[Freedom, typer.Option(help="The kind of freedom.")],
    money_touched: Annotated[str, typer.Option("--money", help="The money the ask touches, in pounds.")],
    owner: Annotated[str, typer.Option(help="Who answers for the ask.")],
    evidence: Annotated[list[str] | None, typer.Option(help="An evidence link, e.g. 'count:theme=Education;year=2018-19' (repeat).")] = None,
    reply_due: Annotated[str | None, typer.Option(help="Date a reply is due (YYYY-MM-DD).")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Add a draft ask to deal/asks.yaml (answer the three conditions there before submitting)."""
    from totalplace.inputs import validate

    ws = open_workspace(workspace)
    fields = {"id": ask_id, "title": title, "department": department, "freedom": freedom, "money": money_touched,
              "owner": owner, "evidence": evidence or [], "reply_due": reply_due}
    ask = validate(Ask, {k: v for k, v in fields.items() if v is not None}, "the new ask", noun="field")
    path = add_ask(ws, ask)
    out.print(f"Added ask {ask.id} (draft) to {path}")


@ask_app.command("status")
@user_errors
def ask_status(ask_id: Annotated[str, typer.Argument(help="The ask's id.")],
               to: Annotated[str, typer.Argument(help="submitted, in-dialogue, agreed, declined or draft.")],
               by: ByOption = "", note: NoteOption = "", workspace: WorkspaceOption = Path(".")) -> None:
    """Move an ask on; the change is appended to deal/history.csv."""
    ws = open_workspace(workspace)
    target = parse_status(to)
    old = change_status(ws, ask_id, target, by or getpass.getuser(), note)
    out.print(f"Ask {ask_id}: {old.value} -> {target.value}")


@ask_app.command("submit")
@user_errors
def ask_submit(ask_id: Annotated[str, typer.Argument(help="The ask's id.")],
               by: ByOption = "", note: NoteOption = "", workspace: WorkspaceOption = Path(".")) -> None:
    """Submit an ask: its evidence figures are recorded as they stand (deal/submitted_evidence.csv)."""
    ws = open_workspace(workspace)
    r = submit(ws, ask_id, by or getpass.getuser(), note)
    out.print(f"Ask {ask_id} submitted; evidence recorded:")
    for e in r.evidence:
        assert e.figure is not None, f"{e.link}: submitted with its evidence missing"  # submit refuses that
        out.print(f"  {e.link}: {e.figure.label}: {format_money(e.figure.amount)}", highlight=False)


@ask_app.command("check")
@user_errors
def ask_check(strict: Annotated[bool, typer.Option(help="Exit 1 if any ask is flagged.")] = False,
              workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
              output: OutputOption = None) -> None:
    """Every flag: evidence gone or changed since submission, conditions unanswered or not met, replies overdue."""
    ws = open_workspace(workspace)
    reviews = review(ws)
    rows = [[r.ask.id, r.status.value, f.kind, f.text] for r in reviews for f in r.flags]
    emit(Table("Flags on the asks", ["ask", "status", "flag", "detail"], rows,
               [f"{len(rows)} flag(s) on {sum(1 for r in reviews if r.flags)} of {len(reviews)} asks."]),
         fmt, output, out)
    if strict and rows:
        raise typer.Exit(1)


@ask_app.command("export")
@user_errors
def ask_export(output: Annotated[Path, typer.Option("--output", "-o", help="The .html or .pdf to write.")],
               workspace: WorkspaceOption = Path(".")) -> None:
    """Export the whole proposition, each ask with its evidence inline, as HTML or PDF."""
    ws = open_workspace(workspace)
    out.print(f"wrote {export_proposition(ws, output)}")


# --- pooled budgets ------------------------------------------------------------------------------

@pool_app.command("show")
@user_errors
def pool_show(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
              output: OutputOption = None) -> None:
    """Each pool: contributed, drawn down, balance, and its share of the count; the pooled share of the place."""
    ws = open_workspace(workspace)
    result = pool_model.pooling(ws)
    emit(pool_table(result), fmt, output, out)


@pool_app.command("contributions")
@user_errors
def pool_contributions(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
                       output: OutputOption = None) -> None:
    """Contributions by partner and funding stream, with whose budget year and cycle each follows."""
    ws = open_workspace(workspace)
    result = pool_model.pooling(ws)
    flagged = {(m.pool, m.partner, m.funding_stream) for m in result.misalignments}
    rows = [[c.pool, c.partner, c.funding_stream, c.amount, c.year_start, c.cycle_years,
             c.confirmed_until.isoformat() if c.confirmed_until else "",
             "MISALIGNED" if (c.pool, c.partner, c.funding_stream) in flagged else ""] for c in result.contributions]
    emit(Table("Contributions to pooled and aligned budgets", ["pool", "partner", "funding stream", "amount",
               "budget year starts", "cycle (years)", "confirmed until", "timetable"], rows,
               [f"{m.pool} {m.partner} / {m.funding_stream}: {m.problem}" for m in result.misalignments]),
         fmt, output, out)


@pool_app.command("drawdowns")
@user_errors
def pool_drawdowns(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
                   output: OutputOption = None) -> None:
    """Spending drawn down from each pool."""
    ws = open_workspace(workspace)
    result = pool_model.pooling(ws)
    rows = [[d.pool, d.date.isoformat(), d.amount, d.purpose, d.paid_to] for d in result.drawdowns]
    emit(Table("Drawdowns", ["pool", "date", "amount", "purpose", "paid to"], rows), fmt, output, out)


# --- reporting burden ----------------------------------------------------------------------------

@burden_app.command("list")
@user_errors
def burden_list(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
                output: OutputOption = None) -> None:
    """Every return, indicator and inspection: frequency, recipient, hours and cost a year."""
    ws = open_workspace(workspace)
    burden = burden_model.load_burden(ws)
    rows = [[i.id, i.agency, i.item, i.kind.value, i.frequency, i.recipient, i.hours, i.cost] for i in burden.items]
    emit(Table("Reporting burden", ["id", "agency", "item", "kind", "times a year", "recipient", "hours a year",
                                    "cost a year"], rows, burden_notes(burden)), fmt, output, out)


@burden_app.command("total")
@user_errors
def burden_total(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
                 output: OutputOption = None) -> None:
    """The burden by agency and in total for the place."""
    ws = open_workspace(workspace)
    burden = burden_model.load_burden(ws)
    emit(burden_table(burden), fmt, output, out)


@burden_app.command("equivalents")
@user_errors
def burden_equivalents(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
                       output: OutputOption = None) -> None:
    """The same measure collected by more than one agency."""
    ws = open_workspace(workspace)
    emit(equivalents_table(burden_model.load_burden(ws)), fmt, output, out)


@burden_app.command("framework")
@user_errors
def burden_framework(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
                     output: OutputOption = None) -> None:
    """The single outcomes framework: outcomes, indicators, baselines, targets, and the returns each replaces."""
    ws = open_workspace(workspace)
    result = burden_model.replacement(ws)
    if result is None:
        err.print(f"no outcomes framework yet: write {burden_model.framework_path(ws)}")
        raise typer.Exit(2)
    emit(framework_table(result), fmt, output, out)


COMMANDS: Commands = {"deal": app}
