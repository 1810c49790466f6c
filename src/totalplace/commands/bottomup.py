"""`totalplace ingest`, `map`, `status`, `rejects`, `classify`, `count` and `trace`: the bottom-up count, from
the agencies' own ledgers loaded into the store to a figure counted once and the rows behind it."""

from __future__ import annotations

from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from totalplace import display
from totalplace.classify import summary
from totalplace.commands.common import (
    Commands, FormatOption, OutputOption, WorkspaceOption, YearOption, err, out, user_errors,
)
from totalplace.count import bottomup, coverage
from totalplace.errors import InputError
from totalplace.ingest.load import FileReport, changes_not_loaded, ingest as ingest_files, spend_files
from totalplace.ingest.reading import propose, remember
from totalplace.money import format_money
from totalplace.present.tables import Format, Table, emit, emit_sections
from totalplace.store.connection import connect, transaction, writable
from totalplace.workspace import Workspace, open_workspace


@user_errors
def ingest(
    files: Annotated[list[Path] | None, typer.Argument(help="New files to add (copied into the agency's folder).")] = None,
    agency: Annotated[str | None, typer.Option(help="Only this agency (needed with FILES).")] = None,
    explain: Annotated[bool, typer.Option(help="Show the column mapping chosen for each file, and why.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Load the agencies' spend files into the store (files already loaded are skipped)."""
    ws = open_workspace(workspace)
    pending = [p for a in ws.settings.agencies if agency in (None, a.id) for p in spend_files(ws.agency_dir(a.id))]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task("loading", total=len(pending) + len(files or []))
        result = ingest_files(ws, agency, files, lambda path: progress.update(task, advance=1,
                              description=f"loading {Path(path).name}"))
    for note in result.notes:
        out.print(f"[yellow]dropped:[/] {note}", highlight=False)
    for gone in result.removed:
        out.print(f"[yellow]forgot[/] {gone} (deleted or changed since it was loaded)", highlight=False)
    for path in result.pending:
        out.print(f"[yellow]pending[/] {path}: edited, new, deleted or of a removed agency since the last "
                  "ingest; left as it was (run `totalplace ingest` without --agency to bring it in)", highlight=False)
    for again in result.remapped:
        out.print(f"read again: {again} (its columns or amount basis in totalplace.toml changed)", highlight=False)
    for report in result.files:
        _print_file_report(report, explain)
    loaded = [r for r in result.files if r.outcome == "loaded"]
    unchanged = [r for r in result.files if r.outcome.startswith("unchanged")]
    out.print(f"{len(loaded)} file(s) loaded, {len(unchanged)} unchanged. "
              f"Rows rejected: {sum(r.rows_rejected for r in loaded):,} (see `totalplace rejects`).")


def _print_file_report(report: FileReport, explain: bool) -> None:
    name = report.path + (f" sheet {report.sheet}" if report.sheet else "")
    if report.outcome != "loaded":
        out.print(f"{name}: {report.outcome}", highlight=False)
    else:
        out.print(
            f"{name}: read {report.rows_read:,} rows {format_money(report.money_read)} = "
            f"loaded {report.rows_loaded:,} {format_money(report.money_loaded)} + "
            f"rejected {report.rows_rejected:,} {format_money(report.money_rejected)}", highlight=False,
        )
        for note in report.notes:  # net or gross, date order and precision: said whether asked or not
            out.print(f"    note: {note}", highlight=False)
    if explain and report.mapping:
        _print_mapping(report)


def _print_mapping(report: FileReport) -> None:
    """Which column is which, the evidence, and the runner-up (a file loaded before: as it was then)."""
    for field, header in report.mapping.items():
        out.print(f"    {field:<17} <- {header!r}: {report.reasons.get(field, '')}", highlight=False)
        if field in report.runners_up:
            out.print(f"    {'':<17}    runner-up {report.runners_up[field]}", highlight=False)
    if report.outcome != "loaded":
        for note in report.notes:
            out.print(f"    note: {note}", highlight=False)
    if report.unused_headers:
        out.print(f"    not used: {', '.join(repr(h) for h in report.unused_headers)}", highlight=False)


@user_errors
def map_columns(
    agency: Annotated[str, typer.Argument(help="The agency whose file it is.")],
    file: Annotated[Path, typer.Argument(help="A spend file of the layout to map.")],
    settle: Annotated[list[str] | None, typer.Option(
        "--set", help="FIELD=HEADER: the column that holds a field, e.g. --set amount=\"Net Amount\".")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Remember the mapping without asking.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Show how a file's columns would be read, and remember it for the agency's files of that layout."""
    ws = open_workspace(workspace)
    reading = propose(ws, agency, file, _settled(settle or []))
    mapping = reading.mapping
    emit(Table(f"{file.name}: layout {reading.fingerprint}", ["field", "column", "evidence", "runner-up"],
               [[f, mapping.header_of(f), mapping.reasons[f], mapping.runners_up.get(f, "")] for f in mapping.columns],
               [f"note: {note}" for note in reading.notes()]
               + [f"not used: {', '.join(repr(h) for h in mapping.unused_headers())}"]), Format.table, console=out)
    if yes or _confirmed(f"Remember this mapping for {agency}'s files of this layout in totalplace.toml?"):
        remember(ws, agency, reading, file)
        out.print(f"Remembered in {ws.config_path}: {agency}'s files of layout {reading.fingerprint} are read "
                  "this way. Run `totalplace ingest` to load them.", highlight=False)
    else:
        out.print("Not remembered (run again with --yes to remember it).", highlight=False)


def _settled(pairs: list[str]) -> dict[str, str]:
    """--set FIELD=HEADER options as a mapping."""
    settled = {}
    for pair in pairs:
        field, equals, header = pair.partition("=")
        if not equals or not field.strip() or not header.strip():
            raise InputError(f"--set {pair!r}: write it as FIELD=HEADER, e.g. --set amount=\"Net Amount\"")
        settled[field.strip()] = header.strip()
    return settled


def _confirmed(question: str) -> bool:
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:  # no answer (input closed): nothing is written
        return False


@user_errors
def status(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
           output: OutputOption = None) -> None:
    """Files loaded and their balance, coverage by agency and month (gaps), payments in two files, and what
    the next ingest would change. Every format carries all of it."""
    ws = open_workspace(workspace)
    with closing(connect(ws, read_only=True)) as con:
        balances = coverage.file_balances(con)
        months = coverage.month_coverage(con)
        duplicates = coverage.likely_duplicates(con)
        not_loaded = changes_not_loaded(con, ws)
        flags = coverage.line_flags(con)
    plain = fmt != Format.table
    gaps = [f"{m.agency_id} {m.month}" for m in months if m.gap]
    sections = {
        "files": Table("Files", ["file", "agency", "period", "rows read", "loaded", "rejected", "money read",
                                 "money loaded", "money rejected", "notes"],
                       [[b.path, b.agency_id, b.period, b.rows_read, b.rows_loaded, b.rows_rejected, b.money_read,
                         b.money_loaded, b.money_rejected, "; ".join(b.notes)] for b in balances]),
        "coverage": Table("Coverage by agency and month (a gap is unknown spending, not zero)",
                          ["agency", "month", "files", "lines", "amount", "coverage"],
                          [[m.agency_id, m.month, m.files, m.lines, m.amount,
                            ("GAP" if plain else "[red]GAP: no file[/]") if m.gap else "covered"] for m in months],
                          [f"Gaps: {', '.join(gaps) if gaps else 'none'}"]),
        "duplicates": Table(
            "Likely duplicate payments (the same payment in more than one file)",
            ["agency", "date", "amount", "supplier", "transaction", "files", "money counted twice", "where"],
            [[d.agency_id, d.payment_date, d.amount, d.supplier, d.transaction_ref, d.files, d.counted_twice,
              d.places] for d in duplicates],
            [f"{len(duplicates):,} payments in more than one file; money counted more than once: "
             f"{format_money(sum((d.counted_twice for d in duplicates), Decimal(0)))}"]),
        "lines": Table(
            "Lines dated to the month only, and lines to suppliers the publisher withheld (both counted)",
            ["agency", "lines at month precision", "their money", "lines to withheld suppliers",
             "money to withheld suppliers"],
            [[f.agency_id, f.month_lines, f.month_amount, f.redacted_lines, f.redacted_amount] for f in flags],
            [f"{f.agency_id}: {f.month_lines:,} lines at month precision ({format_money(f.month_amount)}): each is "
             "counted in its month, with no day" for f in flags if f.month_lines]
            + [f"{f.agency_id}: {f.redacted_lines:,} lines to suppliers the publisher withheld "
               f"({format_money(f.redacted_amount)}): kept and counted, flagged as redacted" for f in flags if f.redacted_lines]),
        "not_loaded": Table("Changes not loaded yet (the store follows the inputs at the next ingest)",
                            ["change"], [[line] for line in not_loaded]),
    }
    written = emit_sections(sections, fmt, output, out)
    if written:
        err.print(f"wrote {written}")


@user_errors
def rejects(workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table,
            output: OutputOption = None, limit: Annotated[int | None, typer.Option(help="At most this many.")] = None) -> None:
    """The rows that did not load: file, row, column, reason and the row's text."""
    ws = open_workspace(workspace)
    with closing(connect(ws, read_only=True)) as con:
        rows = coverage.rejections(con, limit)
    emit(Table(f"Rejected rows: {len(rows)}", ["file", "row", "column", "reason", "raw text"],
               [[r.path, r.row_number, r.column_name, r.reason, r.raw_text] for r in rows]), fmt, output, out)


@user_errors
def classify(
    unclassified: Annotated[bool, typer.Option(help="List the labels no rule covers, largest money first.")] = False,
    limit: Annotated[int, typer.Option(help="How many labels to list.")] = 50,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Re-apply the workspace's rule tables (after you edit them) and report what they cover."""
    from totalplace.classify.apply import classify_all

    ws = open_workspace(workspace)
    with writable(ws) as con:
        with transaction(con):
            classify_all(con, ws)
        if unclassified:
            labels = summary.unclassified_labels(con, limit)
            table = Table("Labels no rule covers (add rules to rules/classification_rules.csv)",
                          ["agency", "service", "expense", "amount", "lines"],
                          [[u.agency_id, u.service, u.expense, u.amount, u.lines] for u in labels])
        else:
            shares = summary.classified_shares(con)
            table = Table("Money classified by the rules", ["agency", "total", "classified", "share", "lines unclassified"],
                          [[s.agency_id, s.total, s.classified, s.share, s.unclassified_lines] for s in shares])
    emit(table, fmt, output, out)


@user_errors
def count(
    by: Annotated[str, typer.Option(help=f"One of: {', '.join(bottomup.DIMENSIONS)}.")] = "theme",
    year: YearOption = None,
    annualise: Annotated[bool, typer.Option(
        help="Scale each agency's part-year figures to the full year (an estimate, labelled with its method).")] = False,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """Total spending by a dimension, counted once, with £ per head and the months each agency's files cover."""
    ws = open_workspace(workspace)
    with closing(connect(ws, read_only=True)) as con:
        result = bottomup.count(con, ws, by, year, annualise)
    year_text = result.fiscal_year or "all years"
    title = f"{ws.settings.place.name}: spending by {by}, {year_text}"
    if result.estimate:
        title += " (ESTIMATE for the full year)"
    elif result.part_year:
        title += " (PART YEAR)"
    written = emit(bottomup.count_table(result, ws, title, _count_notes(result, by, ws)), fmt, output, out)
    if written:
        err.print(f"wrote {written}")


def _count_notes(result: bottomup.Count, by: str, ws: Workspace) -> list[str]:
    notes = [f"Total {format_money(result.total)} over {result.lines:,} lines; £ per head {format_money(result.per_head)}."]
    if result.estimate:
        notes.append(f"ESTIMATE: {result.estimate}")
    notes += [f"Coverage: {c.said(display.agency_name(ws, c.agency_id))}" for c in result.coverage]
    notes += [
        f"Population: {result.population.value:,} ({result.population.method})." if result.population
        else "No £ per head across several years: choose one with --year.",
        f"Left out as transfers within the count (the payee is an agency of this count): "
        f"{format_money(result.within_count_transfers)}.",
        f"Left out as pass-through payments (precepts, levies, sums paid over to central government, the pension "
        f"fund: the body paid spends them): {format_money(result.pass_through)}"
        + (" (the rows marked pass-through above)." if by == "transfer" else "; see them with --by transfer."),
        f"Trace a figure to its rows: totalplace trace --by {by} --key KEY --year {result.fiscal_year or 'all'}",
    ]
    return notes


@user_errors
def trace(
    key: Annotated[str, typer.Option(help="The figure's key, as `count` printed it.")],
    by: Annotated[str, typer.Option(help="The dimension of the count.")] = "theme",
    year: YearOption = None,
    limit: Annotated[int | None, typer.Option(help="List at most this many rows (largest first).")] = None,
    workspace: WorkspaceOption = Path("."), fmt: FormatOption = Format.table, output: OutputOption = None,
) -> None:
    """The source rows behind one figure of a count: file, row number and rule."""
    ws = open_workspace(workspace)
    with closing(connect(ws, read_only=True)) as con:
        key = bottomup.figure_key(con, by, key, year)
        lines, total, n = bottomup.trace(con, by, key, year, limit)
    rows = [[t.path, t.row_number, t.payment_date, t.supplier_name, t.service, t.expense, t.amount,
             t.rule_id or "(no rule)", t.transfer_rule or ""] for t in lines]
    notes = [f"{n:,} rows, total {format_money(total)}" + (f" (showing {len(lines):,})" if len(lines) < n else "")]
    emit(Table(f"Rows behind {by} = {key!r}", ["file", "row", "date", "supplier", "service", "expense",
                                              "amount", "rule", "transfer"], rows, notes), fmt, output, out)


COMMANDS: Commands = {
    "ingest": ingest, "map": map_columns, "status": status, "rejects": rejects, "classify": classify,
    "count": count, "trace": trace,
}
