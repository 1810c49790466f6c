"""Load agencies' spend files into the store: detect, parse, check, account, classify.

Every record of a file is loaded, rejected with its reason and raw text, or
counted as blank; rows and money balance (read = loaded + rejected). A file is
known by its content hash: loading it again adds nothing. An ingest is all or
nothing: if any file fails, the store is left as it was (see `ingest`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from totalplace.classify.apply import Rules, publish_lines
from totalplace.errors import InputError
from totalplace.ingest import columns, parse
from totalplace.ingest.reading import Reading, read_layout, settings_for
from totalplace.ingest.suppliers import redacted_sql
from totalplace.ingest.sources import SPEND_SUFFIXES, TextTable, int64_array, read_spend_file, sha256_of
from totalplace.store.connection import pending_tables, temp_table, transaction, writable
from totalplace.store.files import changed_files, drop_files
from totalplace.store.schema import LINE_ID_FACTOR
from totalplace.workspace import Agency, Workspace

TEXT_FIELDS = (
    "body_name", "service_code", "service_label", "service_division", "expense_code",
    "expense_category", "expense_type", "supplier_name", "supplier_id", "transaction_ref",
    "capital_revenue",
)
# A month a file reports on holds at least this share of the payments of its
# busiest month. Monthly files carry late payments of the month before (Leeds
# 2011-09 holds 17% August dates), which must not make that month covered;
# a quarterly file's three months are all near its busiest.
PERIOD_SHARE = 0.5
INGEST_TABLES = ("source_file", "spend_line", "rejected_row")
# The pending work is committed each time this many rows have been read: it
# bounds memory (about 400 MB a million rows) and keeps commits few. An ingest
# of fewer rows is committed once, and its pending tables are kept in memory.
COMMIT_ROWS = 500_000


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    agency_id: str
    outcome: str  # loaded | unchanged | replaced
    mapping: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    unused_headers: list[str] = field(default_factory=list)
    runners_up: dict[str, str] = field(default_factory=dict)  # field -> the next best column and its evidence
    notes: list[str] = field(default_factory=list)  # how the file was read: net or gross, date order, precision
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    money_read: Decimal = Decimal(0)
    money_loaded: Decimal = Decimal(0)
    money_rejected: Decimal = Decimal(0)


@dataclass
class IngestResult:
    files: list[FileReport]
    removed: list[str]
    remapped: list[str] = field(default_factory=list)  # reloaded: their mapping in totalplace.toml changed


def spend_files(folder: Path) -> list[Path]:
    """The spend files in an agency's folder, in name order."""
    if not folder.exists():
        return []
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.name.lower().endswith(SPEND_SUFFIXES) and not p.name.startswith("~$")
    )


def ingest(
    workspace: Workspace,
    agency_id: str | None = None,
    new_files: list[Path] | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestResult:
    """Bring the store in line with the agencies' folders, adding any new files given.

    Files are loaded into a pending file beside the store, committed every
    COMMIT_ROWS rows (DuckDB keeps every Arrow table a transaction has read
    until it ends, so one transaction for 10 million rows would hold them all
    in memory). An ingest of fewer rows has one commit, and nothing to gain
    from a file: its pending tables are in memory, which saves writing them
    to disk and reading them back. One last transaction then moves the
    pending rows into the store, classifying them on the way in, drops the files
    that were edited or deleted and re-applies the rules to the lines already
    there. Until that commit the store is untouched, and readers never see
    half an ingest; a failure or a crash anywhere leaves the store as it was.
    """
    if new_files and not agency_id:
        raise InputError("say which agency the files belong to with --agency")
    for path in new_files or []:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        target = workspace.agency_dir(agency_id) / path.name
        if target.exists() and target.resolve() != path.resolve() and sha256_of(target) != sha256_of(path):
            raise InputError(f"{path}: a different file named {path.name} is already in {target.parent}; rename one")
    agencies = [workspace.agency(agency_id)] if agency_id else workspace.settings.agencies
    with writable(workspace) as con:
        digest_of = cache(lambda path: sha256_of(path.resolve()))  # each file is hashed once per ingest
        changed = changed_files(con, workspace, "source_file", digest_of)
        remapped = {i: p for i, p in _remapped_files(con, workspace).items() if i not in changed}
        into = Destination.of(con, changed | remapped)
        files = [
            (agency, path)
            for agency in agencies
            for path in spend_files(workspace.agency_dir(agency.id))
            + [p for p in new_files or [] if agency_id == agency.id]
        ]
        reports: list[FileReport] = []
        one_commit, batches = _fits_one_commit(_read_batches(workspace, files, into, digest_of, progress, reports))
        with pending_tables(con, workspace, INGEST_TABLES, in_memory=one_commit) as prefix:
            rules = _write_pending(con, workspace, batches, prefix)
            with transaction(con):
                drop_files(con, changed | remapped, ("spend_line", "rejected_row", "source_file"))
                con.execute(f"INSERT INTO source_file SELECT * FROM {prefix}source_file")
                publish_lines(con, rules, f"{prefix}spend_line")
                con.execute(f"INSERT INTO rejected_row SELECT * FROM {prefix}rejected_row")
    _keep_new_files(workspace, agency_id, new_files or [])
    return IngestResult(reports, list(changed.values()), list(remapped.values()))


def _read_batches(workspace: Workspace, files: list[tuple[Agency, Path]], into: Destination,
                  digest_of: Callable[[Path], str], progress: Callable[[str], None] | None,
                  reports: list[FileReport]) -> Iterator[list[_ReadFile]]:
    """The files read, in batches cut as soon as they hold COMMIT_ROWS records; the last may hold fewer.

    Each file's report is added to `reports` as it is read.
    """
    batch: list[_ReadFile] = []
    for agency, path in files:
        if progress:
            progress(str(path))
        report, read = _read_file(workspace, agency, path, digest_of(path), into)
        reports.append(report)
        batch += [read] if read else []
        if _records(batch) >= COMMIT_ROWS:
            yield batch
            batch = []
    yield batch


def _records(batch: list[_ReadFile]) -> int:
    return sum(read.records for read in batch)


def _fits_one_commit(batches: Iterator[list[_ReadFile]]) -> tuple[bool, Iterator[list[_ReadFile]]]:
    """Whether there is only one batch, and the batches still to write (the first one read here among them).

    Batches are cut at COMMIT_ROWS: a first batch short of it is the only one.
    """
    held = [next(batches)]
    return _records(held[0]) < COMMIT_ROWS, _handed_on(held, batches)


def _handed_on(held: list[list[_ReadFile]], rest: Iterator[list[_ReadFile]]) -> Iterator[list[_ReadFile]]:
    """The held batch, then the rest; nothing here keeps the held one once it is handed on."""
    yield held.pop()
    yield from rest


def _write_pending(con: duckdb.DuckDBPyConnection, workspace: Workspace, batches: Iterable[list[_ReadFile]],
                   prefix: str) -> Rules:
    """Write each batch into the pending tables (see _write_batch) and commit it; the rules, read meanwhile.

    A commit lets DuckDB free the Arrow tables read so far; committing less
    often saves the cost of each commit on a small ingest. DuckDB releases the
    GIL while it writes: a worker thread reads the rules and recognises the
    batches' suppliers (Python's regular expressions) on the other core, and
    publishing finds them done.
    """
    with ThreadPoolExecutor(max_workers=1) as worker:
        rules = worker.submit(Rules.of, workspace)
        learnt = []
        for batch in batches:
            learnt.append(worker.submit(_learn_suppliers, rules, _supplier_cells(batch)))
            with transaction(con):
                _write_batch(con, batch, prefix)
            del batch  # its Arrow tables go before the next batch is read
        for done in learnt:
            done.result()  # a failure there is raised here
        return rules.result()


def _supplier_cells(batch: list[_ReadFile]) -> list[pa.ChunkedArray]:
    """The supplier column of each file of the batch that has one."""
    return [read.table.rows[f"c{read.mapping.columns['supplier_name']}"]
            for read in batch if "supplier_name" in read.mapping.columns]


def _learn_suppliers(rules: Future[Rules], cells: list[pa.ChunkedArray]) -> None:
    """Recognise the supplier names in these cells as the lines will hold them (trimmed, blanks left out).

    Only a head start: a name trimmed otherwise by DuckDB is recognised when the lines are published.
    """
    names = {cell.strip() for column in cells for cell in column.unique().to_pylist()}
    rules.result().learn_suppliers(names - {""})


def _keep_new_files(workspace: Workspace, agency_id: str | None, new_files: list[Path]) -> None:
    """Files given on the command line join the agency's folder: inputs live in the workspace."""
    for path in new_files:
        target = workspace.agency_dir(agency_id) / path.name
        if path.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _relative(workspace: Workspace, agency: Agency, path: Path) -> str:
    """Where the file lives (or will live) inside the workspace."""
    try:
        return str(path.resolve().relative_to(workspace.root.resolve()))
    except ValueError:
        return str((workspace.agency_dir(agency.id) / path.name).relative_to(workspace.root))


def _remapped_files(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> dict[int, str]:
    """Files loaded with a mapping totalplace.toml no longer gives (a layout settled by `totalplace map`,
    an agency's columns, the amount basis changed since): they are read again (file_id -> path)."""
    agencies = {a.id: a for a in workspace.settings.agencies}
    return {
        file_id: path
        for file_id, path, agency_id, layout, key in con.execute(
            "SELECT file_id, path, agency_id, layout, settings_key FROM source_file "
            "WHERE settings_key IS NOT NULL").fetchall()
        if agency_id in agencies and settings_for(workspace, agencies[agency_id], layout)[1] != key
    }


@dataclass
class Destination:
    """What is loaded already, and the id the next file loaded takes."""

    known: dict[str, str]  # sha256 -> path of each file loaded
    next_file_id: int
    explained: dict[str, tuple] = field(default_factory=dict)  # sha256 -> how it was read (see _unchanged_report)

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, replaced: Collection[int] = ()) -> Destination:
        """The store as it stands, less the files this ingest replaces."""
        files = con.execute("SELECT sha256, path, file_id, mapping, mapping_reasons, reading, unused_headers "
                            "FROM source_file").fetchall()
        kept = [f for f in files if f[2] not in replaced]
        return cls({f[0]: f[1] for f in kept}, max((f[2] for f in files), default=0) + 1,
                   {f[0]: (*(json.loads(part or "{}") for part in f[3:6]), f[6] or []) for f in kept})


@dataclass
class _ReadFile:
    """A file read and its columns found, waiting to be parsed and written with others of its layout."""

    report: FileReport  # its counts are filled in when the file is written
    file_id: int
    agency: Agency
    table: TextTable
    reading: Reading

    @property
    def mapping(self) -> columns.ColumnMapping:
        return self.reading.mapping

    @property
    def records(self) -> int:
        return self.table.rows.num_rows + len(self.table.odd_rows)

    @property
    def layout(self) -> tuple:
        """What the file's staging query depends on but for its dates' order and year (see _staging_sql)."""
        return (tuple(self.table.headers), tuple(sorted(self.mapping.columns.items())), self.mapping.sign,
                self.reading.dates.fiscal_codes)


def load_file(con: duckdb.DuckDBPyConnection, workspace: Workspace, agency: Agency, path: Path,
              digest: str, into: Destination | None = None) -> FileReport:
    """Load one file into the store's tables unless the same content is already there."""
    into = into or Destination.of(con)
    report, read = _read_file(workspace, agency, path, digest, into)
    _write_batch(con, [read] if read else [], "")
    return report


def _read_file(workspace: Workspace, agency: Agency, path: Path, digest: str,
               into: Destination) -> tuple[FileReport, _ReadFile | None]:
    """Read a file and find its columns, unless the same content is loaded already (then None)."""
    rel = _relative(workspace, agency, path)
    known = into.known.get(digest)
    if known:
        return _unchanged_report(rel, agency, known, into.explained.get(digest, ({}, {}, {}, []))), None
    table = read_spend_file(path, columns.header_score, digest)
    reading = read_layout(workspace, agency, table, rel)
    mapping = reading.mapping
    report = FileReport(path=rel, agency_id=agency.id, outcome="loaded", mapping=mapping.as_dict(),
                        reasons=mapping.reasons, unused_headers=mapping.unused_headers(),
                        runners_up=mapping.runners_up, notes=reading.notes())
    read = _ReadFile(report, into.next_file_id, agency, table, reading)
    into.known[digest] = rel
    into.next_file_id += 1
    return report, read


def _unchanged_report(rel: str, agency: Agency, known: str, explained: tuple) -> FileReport:
    """A file loaded already: how it was read then, from source_file (for `ingest --explain`)."""
    mapping, reasons, reading, unused = explained
    return FileReport(path=rel, agency_id=agency.id,
                      outcome=f"unchanged (same content as {known})" if known != rel else "unchanged",
                      mapping=mapping, reasons=reasons, unused_headers=list(unused),
                      runners_up=reading.get("runners_up", {}), notes=reading.get("notes", []))


def _likely_date_formats(con: duckdb.DuckDBPyConnection, batch: list[_ReadFile]) -> dict[int, str | None]:
    """The form of each file's own dates (files of one layout may write them differently), by file id."""
    dated = [read for read in batch if "payment_date" in read.mapping.columns]
    if not dated:
        return {}
    con.register("date_cells", pa.concat_tables(
        read.table.rows.select([f"c{read.mapping.columns['payment_date']}", "row_number"])
        .rename_columns(["cell", "row_number"])
        .append_column("file_id", int64_array(np.full(read.table.rows.num_rows, read.file_id)))
        for read in dated))
    month_first = frozenset(read.file_id for read in dated if read.reading.dates.month_first)
    try:
        return parse.likely_date_formats(con, "date_cells", "cell", "file_id", "row_number", month_first)
    finally:
        con.unregister("date_cells")


def _write_batch(con: duckdb.DuckDBPyConnection, batch: list[_ReadFile], prefix: str) -> None:
    """Parse, check and write the files read, one query for all the files of a layout and agency.

    One query over many files costs less than one per file, and DuckDB
    parallelises a scan over several files' rows, not over one small file.
    """
    if not batch:
        return
    date_forms = _likely_date_formats(con, batch)
    groups: dict[tuple, list[_ReadFile]] = {}
    for read in batch:
        groups.setdefault((read.agency.id, read.layout), []).append(read)
    for (agency_id, _layout), reads in groups.items():
        _stage_rows(con, reads, _date_sql(reads, date_forms), _month_sql(reads))
        _write_rows(con, reads, agency_id, prefix)
        con.execute("DROP TABLE staged")


def _date_sql(reads: list[_ReadFile], date_forms: dict[int, str | None]) -> str:
    """SQL for the day of a row of these files (one layout), tried first in its own file's likely form and order."""
    if "payment_date" not in reads[0].mapping.columns:
        return "CAST(NULL AS DATE)"
    cell = f"c{reads[0].mapping.columns['payment_date']}"
    return _per_file(reads, lambda read: parse.date_sql(cell, date_forms.get(read.file_id),
                                                        read.reading.dates.month_first))


def _month_sql(reads: list[_ReadFile]) -> str | None:
    """SQL for the month of a row whose date has no day: a month or period code in the date column
    (its year, for a bare period, from the year column or the file's name), or the month the file's name gives.
    None when no file of these has such dates in the rows looked at: reading every row that is not a
    date a second time, as a month, costs time (and such a row is rejected, as it was)."""
    if not any(read.reading.dates.no_days for read in reads):
        return None
    mapping = reads[0].mapping
    if "payment_date" not in mapping.columns:
        return _per_file(reads, lambda read: f"DATE '{read.reading.dates.name_month.isoformat()}'")
    cell = f"c{mapping.columns['payment_date']}"
    fiscal = str(reads[0].reading.dates.fiscal_codes).upper()
    if "period_year" in mapping.columns:
        return f"tp_month({cell}, tp_fiscal_start(c{mapping.columns['period_year']}), {fiscal})"
    return _per_file(reads, lambda read: f"tp_month({cell}, {read.reading.dates.fiscal_year or 'NULL'}, {fiscal})")


def _per_file(reads: list[_ReadFile], sql_of: Callable[[_ReadFile], str]) -> str:
    """SQL that is each file's own `sql_of` (a CASE on file_id when the files differ)."""
    files_of: dict[str, list[str]] = {}
    for read in reads:
        files_of.setdefault(sql_of(read), []).append(str(read.file_id))
    *others, (last, _) = files_of.items()
    if not others:
        return last
    return "CASE " + " ".join(f"WHEN file_id IN ({', '.join(ids)}) THEN {sql}"
                              for sql, ids in others) + f" ELSE {last} END"


def _stage_rows(con: duckdb.DuckDBPyConnection, reads: list[_ReadFile], date_sql: str, month_sql: str | None) -> None:
    """Parse every row of these files (one layout) into the temp table `staged`, with the first problem found.

    A temp table, not Arrow: DuckDB writes it without converting every cell out
    and back, and it is read four times. Most files have no odd rows: their
    table is made only when there are some (each statement has a fixed cost).
    """
    con.register("file_rows", pa.concat_tables(
        r.table.rows.append_column("file_id", int64_array(np.full(r.table.rows.num_rows, r.file_id)))
        for r in reads))
    odd_rows = any(r.table.odd_rows for r in reads)
    if odd_rows:
        _odd_rows_table(con, reads)
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS "
                f"{_staging_sql(reads[0].table, reads[0].mapping, date_sql, month_sql, odd_rows)}")
    con.unregister("file_rows")
    if odd_rows:
        con.execute("DROP TABLE odd_rows")


def _odd_rows_table(con: duckdb.DuckDBPyConnection, reads: list[_ReadFile]) -> None:
    """Temp table `odd_rows`: rows with too few cells, padded; rows whose extra cells are all blank, trimmed.

    Spreadsheet exports often end some lines with a stray comma. Rows with
    values beyond the header are marked `overflow`, to be rejected with their text.
    """
    width = len(reads[0].table.headers)
    odd = [(r.file_id, o) for r in reads for o in r.table.odd_rows]
    padded = [(o.cells + [""] * width)[:width] for _, o in odd]
    temp_table(con, "odd_rows", {
        **{f"c{index}": ("VARCHAR", [row[index] for row in padded]) for index in range(width)},
        "row_number": ("BIGINT", [o.row_number for _, o in odd]),
        "file_id": ("BIGINT", [file_id for file_id, _ in odd]),
        "raw_line": ("VARCHAR", [o.text.rstrip("\r\n") for _, o in odd]),
        "overflow": ("BOOLEAN", [any(v.strip() for v in o.cells[width:]) for _, o in odd]),
    })


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _all_blank(cells: list[str]) -> str:
    """SQL: every one of these cells is blank (one trim of their concatenation, not one per cell)."""
    return f"tp_blank(concat({', '.join(cells)}))" if cells else "TRUE"


def _staging_sql(table: TextTable, mapping: columns.ColumnMapping, date_sql: str, month_sql: str | None,
                 odd_rows: bool) -> str:
    cell = {field: f"c{index}" for field, index in mapping.columns.items()}
    width = len(table.headers)
    all_cells = [f"c{i}" for i in range(width)]
    csv_cells = [
        f"CASE WHEN regexp_matches({c}, '[,\"\\n]') THEN '\"' || replace({c}, '\"', '\"\"') || '\"' ELSE {c} END"
        for c in all_cells
    ]
    raw_text = "coalesce(raw_line, concat_ws(',', " + ", ".join(csv_cells) + "))"
    texts = ",\n".join(
        f"nullif(trim({cell[f]}), '') AS {f}" if f in cell else f"CAST(NULL AS VARCHAR) AS {f}"
        for f in TEXT_FIELDS
    )
    amount_header = _sql_text(mapping.header_of("amount"))
    amount_cell = cell["amount"]
    unnamed = [f"c{i}" for i, h in enumerate(table.headers) if not h.strip()]
    sign_ok, sign_problems = _sign_problems(mapping, cell)
    dated_ok, date_problems = _date_problems(mapping, cell)
    problems = [
        ("overflow", "'(beyond the last column)'",
         f"'the row has more values than the file has columns ({width})'"),
        *[(f"NOT tp_blank({c})", f"'column {int(c[1:]) + 1} (no header)'",
           f"'the value ' || {c} || ' is in a column with no header'") for c in unnamed],
        (f"tp_blank({amount_cell})", amount_header, "'the amount is blank'"),
        ("amount IS NULL", amount_header,
         f"'''' || {amount_cell} || ''' is not an amount in pounds and pence'"),
        *sign_problems,
        *date_problems,
    ]
    # Most rows are fine: one cheap test settles them, and only the others are
    # asked which problem comes first (CASE evaluates a branch only for the rows that reach it).
    fine = (f"amount IS NOT NULL AND payment_date IS NOT NULL AND NOT overflow AND {_all_blank(unnamed)}"
            f" AND {sign_ok} AND {dated_ok}")
    problem_no = f"CASE WHEN {fine} THEN NULL " + " ".join(
        f"WHEN {w} THEN {n}" for n, (w, _, _) in enumerate(problems)) + " END"
    column_case = "CASE problem_no " + " ".join(f"WHEN {n} THEN {c}" for n, (_, c, _) in enumerate(problems)) + " END"
    reason_case = "CASE problem_no " + " ".join(f"WHEN {n} THEN {r}" for n, (_, _, r) in enumerate(problems)) + " END"
    # A blank row has a blank amount: only rows without an amount need every cell looked at.
    is_blank = f"CASE WHEN amount IS NULL AND NOT overflow THEN {_all_blank(all_cells)} ELSE FALSE END"
    return f"""
        WITH raw_rows AS (
            SELECT *, CAST(NULL AS VARCHAR) AS raw_line, FALSE AS overflow FROM file_rows
            {"UNION ALL SELECT * FROM odd_rows" if odd_rows else ""}),
        parts AS (
            SELECT *, {_signed_amount_sql(mapping, cell)} AS amount,
                   {date_sql} AS any_date
            FROM raw_rows),
        parsed AS (SELECT *, tp_date_value(any_date) AS day_date FROM parts),
        dated AS (SELECT *, {_payment_date_sql(month_sql)} AS payment_date FROM parsed),
        checked AS (
            SELECT *, {problem_no} AS problem_no, {is_blank} AS is_blank FROM dated)
        SELECT file_id, row_number, {texts}, payment_date,
            CASE WHEN day_date IS NULL THEN 'month' ELSE 'day' END AS date_precision, amount,
            CASE WHEN problem_no IS NOT NULL THEN {amount_cell} END AS amount_text,
            is_blank, {column_case} AS problem_column, {reason_case} AS problem,
            CASE WHEN problem_no IS NOT NULL THEN {raw_text} END AS raw_text
        FROM checked
    """


def _payment_date_sql(month_sql: str | None) -> str:
    """SQL for a row's payment date: its day, else (when the files have months) its month."""
    if month_sql is None:
        return "day_date"
    # a CASE, not coalesce: DuckDB would read every row's month
    return f"CASE WHEN day_date IS NOT NULL THEN day_date ELSE tp_date_value({month_sql}) END"


def _date_problems(mapping: columns.ColumnMapping,
                   cell: dict[str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """SQL that a row with a date and an amount may still be a problem, and (when, column, reason)
    of each date problem, in the order they are reported."""
    others_blank = _all_blank([c for f, c in cell.items() if f != "amount"])
    if "payment_date" not in cell:  # the file's name gives every row its month: a total row has one too
        return f"NOT {others_blank}", [(others_blank, _sql_text(mapping.header_of("amount")),
                                        "'only the amount is filled in: a total row, not a payment'")]
    date_header, date_cell = _sql_text(mapping.header_of("payment_date")), cell["payment_date"]
    return "TRUE", [
        (others_blank, date_header, "'the date is blank and only the amount is filled in: a total row, not a payment'"),
        (f"tp_blank({date_cell})", date_header, "'the date is blank'"),
        ("payment_date IS NULL", date_header, f"'''' || {date_cell} || ''' is not a date in a form this tool reads'"),
    ]


def _sign_marks(mapping: columns.ColumnMapping, negative: bool) -> str:
    marks = mapping.sign.negative if negative else mapping.sign.positive
    return ", ".join(_sql_text(mark) for mark in sorted(marks))


def _signed_amount_sql(mapping: columns.ColumnMapping, cell: dict[str, str]) -> str:
    """SQL for a row's amount: with a sign column, negative where it marks a credit (whether or not
    the amount is written negative too), else as written."""
    if mapping.sign is None:
        return f"tp_amount({cell['amount']})"
    return (f"CASE WHEN lower(trim({cell['sign']})) IN ({_sign_marks(mapping, True)}) "
            f"THEN -abs(tp_amount({cell['amount']})) ELSE tp_amount({cell['amount']}) END")


def _sign_problems(mapping: columns.ColumnMapping, cell: dict[str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """SQL that a row's sign cell is one the file's sign column uses (or blank), and the problem if not."""
    if mapping.sign is None:
        return "TRUE", []
    sign_cell = cell["sign"]
    known = f"{_sign_marks(mapping, True)}, {_sign_marks(mapping, False)}"
    ok = f"(tp_blank({sign_cell}) OR lower(trim({sign_cell})) IN ({known}))"
    return ok, [(f"NOT {ok}", _sql_text(mapping.header_of("sign")),
                 f"'''' || {sign_cell} || ''' is not a sign this file uses ({mapping.sign.kind})'")]


def _write_rows(con: duckdb.DuckDBPyConnection, reads: list[_ReadFile], agency_id: str, prefix: str) -> None:
    """Write the staged rows of these files to the lines and the rejected rows, and each file's account."""
    line_id = f"file_id::BIGINT * {LINE_ID_FACTOR} + row_number"
    con.execute(
        f"""INSERT INTO {prefix}spend_line BY NAME
        SELECT {line_id} AS line_id, file_id, row_number, ? AS agency_id, {", ".join(TEXT_FIELDS)},
               payment_date, tp_fiscal_year(payment_date) AS fiscal_year, amount, date_precision,
               {redacted_sql("supplier_name")} AS supplier_redacted
        FROM staged WHERE problem IS NULL AND NOT is_blank""",
        [agency_id],
    )
    con.execute(
        f"""INSERT INTO {prefix}rejected_row
        SELECT file_id, row_number, problem_column, problem, raw_text, amount_text, amount
        FROM staged WHERE problem IS NOT NULL AND NOT is_blank"""
    )
    totals = {row[0]: row[1:] for row in con.execute(
        """SELECT file_id,
                  count(*) FILTER (WHERE problem IS NULL AND NOT is_blank),
                  coalesce(sum(amount) FILTER (WHERE problem IS NULL AND NOT is_blank), 0),
                  count(*) FILTER (WHERE problem IS NOT NULL AND NOT is_blank),
                  coalesce(sum(amount) FILTER (WHERE problem IS NOT NULL AND NOT is_blank), 0),
                  count(*) FILTER (WHERE is_blank)
           FROM staged GROUP BY file_id""").fetchall()}
    periods = _periods(con)
    for read in reads:
        _account(con, read, prefix, totals.get(read.file_id, (0, Decimal(0), 0, Decimal(0), 0)),
                 periods.get(read.file_id, (None, None)))


def _account(con: duckdb.DuckDBPyConnection, read: _ReadFile, prefix: str, totals: tuple, period: tuple) -> None:
    """The file's row in source_file, and its report: rows and money read = loaded + rejected."""
    loaded, money_loaded, rejected, money_rejected, blanks = totals
    table, mapping, report = read.table, read.mapping, read.report
    account = {
        "file_id": read.file_id, "agency_id": read.agency.id, "path": report.path, "sha256": table.sha256,
        "format": table.format, "encoding": table.encoding, "sheet": table.sheet, "header_row": table.header_row,
        "mapping": json.dumps(mapping.as_dict()), "mapping_reasons": json.dumps(mapping.reasons),
        "unused_headers": mapping.unused_headers(), "rows_read": loaded + rejected, "rows_loaded": loaded,
        "rows_rejected": rejected, "blank_rows": blanks + table.blank_rows,
        "money_read": money_loaded + money_rejected, "money_loaded": money_loaded, "money_rejected": money_rejected,
        "period_start": period[0], "period_end": period[1], "loaded_at": datetime.now(),
        "layout": read.reading.fingerprint, "reading": json.dumps(read.reading.summary()),
        "settings_key": read.reading.settings_key,
    }
    con.execute(f"INSERT INTO {prefix}source_file ({', '.join(account)}) VALUES ({', '.join('?' * len(account))})",
                list(account.values()))
    report.rows_read, report.rows_loaded, report.rows_rejected = loaded + rejected, loaded, rejected
    report.money_read, report.money_loaded = money_loaded + money_rejected, money_loaded
    report.money_rejected = money_rejected


def _periods(con: duckdb.DuckDBPyConnection) -> dict[int, tuple]:
    """The first and last month each staged file reports on (see PERIOD_SHARE)."""
    return {row[0]: row[1:] for row in con.execute(
        f"""WITH months AS (
                SELECT file_id, date_trunc('month', payment_date) AS month, count(*) AS n
                FROM staged WHERE problem IS NULL AND NOT is_blank GROUP BY ALL),
            busiest AS (SELECT file_id, max(n) AS most FROM months GROUP BY ALL)
            SELECT file_id, min(month)::DATE, max(month)::DATE FROM months JOIN busiest USING (file_id)
            WHERE n >= {PERIOD_SHARE} * most GROUP BY file_id""").fetchall()}
