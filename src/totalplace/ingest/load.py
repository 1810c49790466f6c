"""Load agencies' spend files into the store: detect, parse, check, account, classify.

Every record of a file is loaded, rejected with its reason and raw text, or
counted as blank; rows and money balance (read = loaded + rejected). A file is
known by its content hash: loading it again adds nothing, and a file whose
payments are mostly loaded already (from another file) is refused. An ingest
is all or nothing: if any file fails, the store, and the agency folders, are
left as they were (see `ingest`). An ingest of one agency touches no other's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from totalplace.classify.apply import Rules, publish_lines
from totalplace.errors import InputError
from totalplace.ingest import columns, parse
from totalplace.ingest.placing import clear_unfinished, place_file
from totalplace.ingest.reading import Reading, read_layout, settings_for
from totalplace.money import format_money
from totalplace.store.suppliers import redacted_sql
from totalplace.ingest.sources import SPEND_SUFFIXES, TextTable, int64_array, read_spend_tables, sha256_of
from totalplace.store.connection import StoreConnection, fetch_one, pending_tables, temp_table, transaction, writable
from totalplace.store.files import changed_files, drop_files
from totalplace.store.schema import LINE_ID_FACTOR, PAYMENT_KEY
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
# A file more than this share of whose payments are already loaded (from other files) is refused:
# it repeats them (a .csv beside its .csv.gz, a re-export), and loading it would count them twice.
MOSTLY_REPEATED = 0.5
SAMPLE_ROWS = 2_000  # a file's first rows, in which its date form and decimal mark are looked for


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    agency_id: str
    outcome: str  # loaded | unchanged (...) | not read: ... (a sheet with no payments)
    sheet: str | None = None  # the sheet of a workbook
    mapping: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    unused_headers: list[str] = field(default_factory=list)
    runners_up: dict[str, str] = field(default_factory=dict)  # field -> the next best column and its evidence
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    money_read: Decimal = Decimal(0)
    money_loaded: Decimal = Decimal(0)
    money_rejected: Decimal = Decimal(0)
    notes: list[str] = field(default_factory=list)  # how the file was read, where a user should know it


@dataclass
class IngestResult:
    files: list[FileReport]
    removed: list[str]  # files whose rows left the store: edited, deleted, or of a removed agency
    pending: list[str] = field(default_factory=list)  # other agencies' changed or new files, left as they were
    notes: list[str] = field(default_factory=list)  # whole agencies that left the store, and why
    remapped: list[str] = field(default_factory=list)  # read again: their mapping in totalplace.toml changed


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
    """Bring the store in line with the agencies' folders (or one agency's), adding any new files given.

    New files are copied into the agency's folder first (whole or not at all,
    see placing.place_file), unless their content is loaded already; if the
    ingest then fails they are removed again. Files are loaded into a pending
    file beside the store, committed every COMMIT_ROWS rows (DuckDB keeps every
    Arrow table a transaction has read until it ends, so one transaction for
    10 million rows would hold them all in memory). An ingest of fewer rows has
    one commit, and nothing to gain from a file: its pending tables are in
    memory. The new files' payments are checked against those already loaded
    (see _refuse_repeated_files). One last transaction then moves the pending
    rows into the store, classifying them on the way in, drops the files that
    were edited or deleted (and those of agencies no longer in totalplace.toml)
    and re-applies the rules to the lines already there. Until that commit the
    store is untouched, and readers never see half an ingest; a failure or a
    crash anywhere leaves the store as it was. With `agency_id`, other
    agencies' edited, new or deleted files are only reported as pending.
    """
    if new_files and not agency_id:
        raise InputError("say which agency the files belong to with --agency")
    for path in new_files or []:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    scope = [workspace.agency(agency_id)] if agency_id else workspace.settings.agencies
    with writable(workspace) as con:
        for agency in workspace.settings.agencies:
            clear_unfinished(workspace.agency_dir(agency.id))
        digest_of = cache(lambda path: sha256_of(path.resolve()))  # each file is hashed once per ingest
        changes = _Changes.of(con, workspace, {a.id for a in scope}, digest_of, whole=agency_id is None)
        remapped = {i: p for i, p in _remapped_files(con, workspace, {a.id for a in scope}).items()
                    if i not in changes.dropped}
        dropped = changes.dropped | remapped
        into = Destination.of(con, dropped)
        reports: list[FileReport] = []
        placed: list[Path] = []
        try:
            if agency_id and new_files:
                _place_new_files(workspace, workspace.agency(agency_id), new_files, into, digest_of, reports, placed)
            files = [(agency, path) for agency in scope for path in spend_files(workspace.agency_dir(agency.id))]
            one_commit, batches = _fits_one_commit(_read_batches(workspace, files, into, digest_of, progress, reports))
            with pending_tables(con, workspace, INGEST_TABLES, in_memory=one_commit) as prefix:
                rules = _write_pending(con, workspace, batches, prefix)
                _refuse_repeated_files(con, prefix, dropped)
                with transaction(con):
                    drop_files(con, dropped, ("spend_line", "rejected_row", "source_file"))
                    con.execute(f"INSERT INTO source_file SELECT * FROM {prefix}source_file")
                    publish_lines(con, rules, f"{prefix}spend_line")
                    con.execute(f"INSERT INTO rejected_row SELECT * FROM {prefix}rejected_row")
        except BaseException:
            for target in placed:  # a failed ingest leaves the agency's folder as it was
                target.unlink(missing_ok=True)
            raise
    return IngestResult(reports, changes.removed_paths(), changes.pending, changes.notes,
                        sorted(set(remapped.values())))


def _place_new_files(workspace: Workspace, agency: Agency, new_files: list[Path], into: Destination,
                     digest_of: Callable[[Path], str], reports: list[FileReport], placed: list[Path]) -> None:
    """Copy the files given into the agency's folder, adding each one placed to `placed` (to be removed if
    the ingest fails).

    A file whose content is loaded already is not copied: its report says where
    that content is. A different file of the same name in the folder is refused.
    """
    for path in new_files:
        target = workspace.agency_dir(agency.id) / path.name
        if target.exists() and target.resolve() == path.resolve():
            continue
        known = into.known.get(digest_of(path))
        if known and known != _relative(workspace, agency, target):
            reports.append(FileReport(path=str(path), agency_id=agency.id, outcome=f"unchanged (same content as "
                                      f"{known}): not copied"))
            continue
        if target.exists():
            if digest_of(target) != digest_of(path):
                raise InputError(f"{path}: a different file named {path.name} is already in {target.parent}; "
                                 "rename one")
            continue
        place_file(path, target)
        placed.append(target)


@dataclass
class _Changes:
    """What changed in the agencies' folders since the last ingest, and what this ingest does about it."""

    dropped: dict[int, str]  # file id -> path: files whose rows leave the store now
    pending: list[str]  # other agencies' edited, deleted or new files, left for an ingest of theirs
    notes: list[str]  # whole agencies whose files leave the store, and why
    summarised: set[int]  # dropped files said by a note, not one by one

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, workspace: Workspace, scope: set[str],
           digest_of: Callable[[Path], str], whole: bool) -> _Changes:
        """Edited or deleted files of the agencies in scope are dropped (to be loaded again if edited).
        Files of agencies no longer in totalplace.toml are dropped by a whole ingest, else pending."""
        loaded = con.execute("SELECT file_id, agency_id, path, money_loaded FROM source_file").fetchall()
        changed = changed_files(con, workspace, "source_file", digest_of)
        agencies = {a.id for a in workspace.settings.agencies}
        removed = {f: path for f, agency, path, _ in loaded if agency not in agencies}
        dropped = {f: path for f, agency, path, _ in loaded
                   if (f in changed and agency in scope) or (f in removed and whole)}
        pending = sorted({path for f, agency, path, _ in loaded if f in changed or f in removed} - set(dropped.values())
                         | _new_files_outside(workspace, scope, {path for _, _, path, _ in loaded}))
        notes, summarised = _whole_agencies_gone(workspace, loaded, dropped, agencies)
        return cls(dropped, pending, notes, summarised)

    def removed_paths(self) -> list[str]:
        """The dropped files not said by a note, each once (a workbook's sheets share a path)."""
        return sorted({path for f, path in self.dropped.items() if f not in self.summarised})


def _new_files_outside(workspace: Workspace, scope: set[str], loaded_paths: set[str]) -> set[str]:
    """Files in the folders of agencies outside the scope that were never loaded."""
    return {str(path.relative_to(workspace.root)) for agency in workspace.settings.agencies if agency.id not in scope
            for path in spend_files(workspace.agency_dir(agency.id))} - loaded_paths


def _whole_agencies_gone(workspace: Workspace, loaded: list[tuple], dropped: dict[int, str],
                         agencies: set[str]) -> tuple[list[str], set[int]]:
    """One line for each agency all of whose files leave the store at once: removed from totalplace.toml,
    or its folder gone. Their file ids, said by these lines."""
    notes, said = [], set()
    by_agency: dict[str, list[tuple]] = {}
    for row in loaded:
        by_agency.setdefault(row[1], []).append(row)
    for agency, rows in sorted(by_agency.items()):
        gone = agency not in agencies or not workspace.agency_dir(agency).exists()
        if not gone or not all(f in dropped for f, *_ in rows):
            continue
        files = len({path for _, _, path, _ in rows})
        money = sum((m for *_, m in rows), Decimal(0))
        why = (f"{agency} is no longer in totalplace.toml" if agency not in agencies
               else f"{agency}: its folder is gone ({workspace.agency_dir(agency).relative_to(workspace.root)})")
        notes.append(f"{why}: its {files} file{'s' if files > 1 else ''} ({format_money(money)} loaded) "
                     f"leave{'s' if files == 1 else ''} the store")
        said |= {f for f, *_ in rows}
    return notes, said


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
        file_reports, reads = _read_file(workspace, agency, path, digest_of(path), into)
        reports += file_reports
        batch += reads
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


def _relative(workspace: Workspace, agency: Agency, path: Path) -> str:
    """Where the file lives (or will live) inside the workspace."""
    try:
        return str(path.resolve().relative_to(workspace.root.resolve()))
    except ValueError:
        return str((workspace.agency_dir(agency.id) / path.name).relative_to(workspace.root))


def _remapped_files(con: duckdb.DuckDBPyConnection, workspace: Workspace, scope: set[str]) -> dict[int, str]:
    """Files of the agencies in scope loaded with a mapping totalplace.toml no longer gives (a layout settled
    by `totalplace map`, an agency's columns, the amount basis changed since): read again (file_id -> path)."""
    agencies = {a.id: a for a in workspace.settings.agencies if a.id in scope}
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
    def of(cls, con: StoreConnection, replaced: Collection[int] = ()) -> Destination:
        """The store as it stands, less the files this ingest replaces."""
        files = con.execute("SELECT sha256, path, file_id, mapping, mapping_reasons, reading, unused_headers, "
                            "reading_notes FROM source_file ORDER BY file_id").fetchall()
        kept = [f for f in files if f[2] not in replaced]
        explained: dict[str, tuple] = {}
        for digest, _path, _id, mapping, reasons, reading, unused, notes in kept:
            explained.setdefault(digest, (*(json.loads(part or "{}") for part in (mapping, reasons, reading)),
                                          unused or [], notes or []))
        return cls({f[0]: f[1] for f in kept}, max((f[2] for f in files), default=0) + 1, explained)


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
    """Load one file into the store's tables unless the same content is already there; its (first sheet's)
    report."""
    into = into or Destination.of(con)
    reports, reads = _read_file(workspace, agency, path, digest, into)
    _write_batch(con, reads, "")
    return reports[0]


def _read_file(workspace: Workspace, agency: Agency, path: Path, digest: str,
               into: Destination) -> tuple[list[FileReport], list[_ReadFile]]:
    """Read a file (each sheet of a workbook) and find its columns, unless the same content is loaded already.

    A sheet without the columns a payment needs is reported as not read, if
    another sheet of the workbook has them; the file is refused if none has.
    """
    rel = _relative(workspace, agency, path)
    known = into.known.get(digest)
    if known:
        return [_unchanged_report(rel, agency, known, into.explained.get(digest, ({}, {}, {}, [], [])))], []
    tables = read_spend_tables(path, columns.header_score, digest, agency.sheet)
    where = [rel if table.sheet is None else f"{rel} (sheet {table.sheet})" for table in tables]
    readings = [read_layout(workspace, agency, table, name, required=False) for table, name in zip(tables, where)]
    usable = [reading.has_payments for reading in readings]
    if not any(usable):
        columns.require(readings[0].mapping, where[0])
    reports, reads = [], []
    for table, reading, has_payments in zip(tables, readings, usable):
        if not has_payments:
            reports.append(FileReport(path=rel, agency_id=agency.id, sheet=table.sheet, outcome=(
                "not read: no payment date and amount columns among its headers "
                f"{', '.join(repr(h) for h in table.headers if h.strip()) or '(none)'}")))
            continue
        mapping = reading.mapping
        _refuse_ambiguous_headers(table, mapping, rel)
        report = FileReport(path=rel, agency_id=agency.id, outcome="loaded", sheet=table.sheet,
                            mapping=mapping.as_dict(), reasons=mapping.reasons,
                            unused_headers=mapping.unused_headers(), runners_up=mapping.runners_up)
        reads.append(_ReadFile(report, into.next_file_id, agency, table, reading))
        reports.append(report)
        into.next_file_id += 1
    into.known[digest] = rel
    return sorted(reports, key=lambda r: r.outcome != "loaded"), reads


def _unchanged_report(rel: str, agency: Agency, known: str, explained: tuple) -> FileReport:
    """A file loaded already: how it was read then, from source_file (for `ingest --explain`)."""
    mapping, reasons, reading, unused, notes = explained
    return FileReport(path=rel, agency_id=agency.id,
                      outcome=f"unchanged (same content as {known})" if known != rel else "unchanged",
                      mapping=mapping, reasons=reasons, unused_headers=list(unused),
                      runners_up=reading.get("runners_up", {}), notes=list(notes))


def _refuse_ambiguous_headers(table: TextTable, mapping: columns.ColumnMapping, rel: str) -> None:
    """One clear error when a column the load uses shares its header with another column holding other values
    (which of them is meant cannot be told); twins holding the same values are harmless."""
    for field, index in mapping.columns.items():
        name = columns.normalise(table.headers[index])
        for twin, header in enumerate(table.headers):
            if twin != index and columns.normalise(header) == name \
                    and not table.rows[f"c{index}"].equals(table.rows[f"c{twin}"]):
                first, second = sorted((index, twin))
                raise InputError(f"{rel}: the header {table.headers[index]!r} names columns {first + 1} and "
                                 f"{second + 1}, which hold different values, so which is the {field} cannot "
                                 "be told; rename one of them")


@dataclass(frozen=True)
class _Forms:
    """How each file of a batch writes its dates and amounts, by file id, and the latest plausible date."""

    dates: dict[int, str | None]  # the likely date form
    decimal_commas: dict[int, bool]  # amounts written '1.234,56'
    latest: date  # a payment date after this is a typing error (see parse.latest_plausible_date)

    def date_sql(self, reads: list[_ReadFile]) -> str:
        """SQL for the day of a row of these files (one layout), tried first in its own file's likely form
        and order (day-first or month-first); none for files whose name gives their month."""
        if "payment_date" not in reads[0].mapping.columns:
            return "CAST(NULL AS DATE)"
        cell = f"c{reads[0].mapping.columns['payment_date']}"
        ways = {read.file_id: (self.dates.get(read.file_id), read.reading.dates.month_first) for read in reads}
        return _per_file(reads, ways, lambda way: parse.date_sql(cell, *(way or (None, False))))

    def amount_sql(self, reads: list[_ReadFile], sql_of: Callable[[str, bool], str]) -> str:
        """SQL (made by `sql_of(cell, decimal_comma)`) about the amount of a row, in its own file's decimal mark."""
        cell = f"c{reads[0].mapping.columns['amount']}"
        return _per_file(reads, self.decimal_commas, lambda comma: sql_of(cell, bool(comma)))

    def comma_files(self, reads: list[_ReadFile]) -> list[int]:
        return [read.file_id for read in reads if self.decimal_commas.get(read.file_id)]


def _per_file(reads: list[_ReadFile], choice: dict, sql_of: Callable) -> str:
    """SQL choosing, by file id, the SQL `sql_of` makes for each file's own choice (one CASE for them all)."""
    files_of: dict = {}
    for read in reads:
        files_of.setdefault(choice.get(read.file_id), []).append(str(read.file_id))
    *others, (last, _) = files_of.items()
    if not others:
        return sql_of(last)
    return "CASE " + " ".join(f"WHEN file_id IN ({', '.join(ids)}) THEN {sql_of(option)}"
                              for option, ids in others) + f" ELSE {sql_of(last)} END"


def _likely_forms(con: duckdb.DuckDBPyConnection, batch: list[_ReadFile]) -> _Forms:
    """The form of each file's own dates and amounts (files of one layout may write them differently), from
    each file's first SAMPLE_ROWS rows: a slice of its Arrow table, not a scan of all its rows."""
    # A file dated by its name has no date column: its amounts stand in, and no date form is found in them.
    con.register("sample_cells", pa.concat_tables(
        read.table.rows.slice(0, SAMPLE_ROWS)
        .select([f"c{read.mapping.columns.get('payment_date', read.mapping.columns['amount'])}",
                 f"c{read.mapping.columns['amount']}", "row_number"])
        .rename_columns(["date_cell", "amount_cell", "row_number"])
        .append_column("file_id", int64_array(np.full(min(read.table.rows.num_rows, SAMPLE_ROWS), read.file_id)))
        for read in batch))
    try:
        month_first = frozenset(read.file_id for read in batch if read.reading.dates.month_first)
        return _Forms(parse.likely_date_formats(con, "sample_cells", "date_cell", "file_id", "row_number",
                                                month_first),
                      parse.likely_decimal_commas(con, "sample_cells", "amount_cell", "file_id", "row_number"),
                      parse.latest_plausible_date(date.today()))
    finally:
        con.unregister("sample_cells")


def _write_batch(con: duckdb.DuckDBPyConnection, batch: list[_ReadFile], prefix: str) -> None:
    """Parse, check and write the files read, one query for all the files of a layout and agency.

    One query over many files costs less than one per file, and DuckDB
    parallelises a scan over several files' rows, not over one small file.
    """
    if not batch:
        return
    forms = _likely_forms(con, batch)
    groups: dict[tuple, list[_ReadFile]] = {}
    for read in batch:
        groups.setdefault((read.agency.id, read.layout), []).append(read)
    for (agency_id, _layout), reads in groups.items():
        _stage_rows(con, reads, forms)
        _write_rows(con, reads, agency_id, prefix, forms)
        con.execute("DROP TABLE staged")


def _stage_rows(con: duckdb.DuckDBPyConnection, reads: list[_ReadFile], forms: _Forms) -> None:
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
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS {_staging_sql(reads, forms, odd_rows)}")
    con.unregister("file_rows")
    if odd_rows:
        con.execute("DROP TABLE odd_rows")


def _odd_rows_table(con: duckdb.DuckDBPyConnection, reads: list[_ReadFile]) -> None:
    """Temp table `odd_rows`: rows with too few cells, padded; rows whose extra cells are all blank, trimmed.

    Spreadsheet exports often end some lines with a stray comma. Rows with
    values beyond the header are marked `overflow`, to be rejected with their
    text; a row whose quote never closes carries that problem and the column
    the quote opens in.
    """
    headers = reads[0].table.headers
    width = len(headers)
    odd = [(r.file_id, o) for r in reads for o in r.table.odd_rows]
    padded = [(o.cells + [""] * width)[:width] for _, o in odd]
    temp_table(con, "odd_rows", {
        **{f"c{index}": ("VARCHAR", [row[index] for row in padded]) for index in range(width)},
        "row_number": ("BIGINT", [o.row_number for _, o in odd]),
        "file_id": ("BIGINT", [file_id for file_id, _ in odd]),
        "raw_line": ("VARCHAR", [o.text.rstrip("\r\n") for _, o in odd]),
        "overflow": ("BOOLEAN", [any(v.strip() for v in o.cells[width:]) for _, o in odd]),
        "quote_problem": ("VARCHAR", [o.problem for _, o in odd]),
        "quote_column": ("VARCHAR", [_column_name(headers, len(o.cells) - 1) if o.problem else None
                                     for _, o in odd]),
    })


def _column_name(headers: list[str], index: int) -> str:
    if index >= len(headers):
        return "(beyond the last column)"
    return headers[index] or f"column {index + 1} (no header)"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _all_blank(cells: list[str]) -> str:
    """SQL: every one of these cells is blank (one trim of their concatenation, not one per cell)."""
    return f"tp_blank(concat({', '.join(cells)}))" if cells else "TRUE"


def _staging_sql(reads: list[_ReadFile], forms: _Forms, odd_rows: bool) -> str:
    table, mapping = reads[0].table, reads[0].mapping
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
    dated_ok, date_problems = _date_problems(mapping, cell, forms)
    problems = [
        ("quote_problem IS NOT NULL", "quote_column", "quote_problem"),
        ("overflow", "'(beyond the last column)'",
         f"'the row has more values than the file has columns ({width})'"),
        *[(f"NOT tp_blank({c})", f"'column {int(c[1:]) + 1} (no header)'",
           f"'the value ' || {c} || ' is in a column with no header'") for c in unnamed],
        (f"tp_blank({amount_cell})", amount_header, "'the amount is blank'"),
        *[(condition, amount_header, reason) for condition, reason in _amount_problems(reads, forms, amount_cell)],
        ("amount IS NULL", amount_header,
         f"'''' || {amount_cell} || ''' is not an amount in pounds and pence'"),
        *sign_problems,
        *date_problems,
    ]
    # Most rows are fine: one cheap test settles them, and only the others are
    # asked which problem comes first (CASE evaluates a branch only for the rows that reach it).
    fine = (f"amount IS NOT NULL AND payment_date <= DATE '{forms.latest}' AND NOT overflow "
            f"AND quote_problem IS NULL AND {_all_blank(unnamed)} AND {sign_ok} AND {dated_ok}")
    problem_no = f"CASE WHEN {fine} THEN NULL " + " ".join(
        f"WHEN {w} THEN {n}" for n, (w, _, _) in enumerate(problems)) + " END"
    column_case = "CASE problem_no " + " ".join(f"WHEN {n} THEN {c}" for n, (_, c, _) in enumerate(problems)) + " END"
    reason_case = "CASE problem_no " + " ".join(f"WHEN {n} THEN {r}" for n, (_, _, r) in enumerate(problems)) + " END"
    # A blank row has a blank amount: only rows without an amount need every cell looked at.
    is_blank = f"CASE WHEN amount IS NULL AND NOT overflow THEN {_all_blank(all_cells)} ELSE FALSE END"
    return f"""
        WITH raw_rows AS (
            SELECT *, CAST(NULL AS VARCHAR) AS raw_line, FALSE AS overflow,
                   CAST(NULL AS VARCHAR) AS quote_problem, CAST(NULL AS VARCHAR) AS quote_column FROM file_rows
            {"UNION ALL SELECT * FROM odd_rows" if odd_rows else ""}),
        parts AS (
            SELECT *, {_signed_amount_sql(mapping, cell, forms.amount_sql(reads, parse.amount_sql))} AS amount,
                   {forms.amount_sql(reads, parse.rounded_amount_sql)} AS amount_rounded,
                   {forms.date_sql(reads)} AS any_date
            FROM raw_rows),
        parsed AS (SELECT *, tp_date_value(any_date) AS day_date FROM parts),
        dated AS (SELECT *, {_payment_date_sql(_month_sql(reads))} AS payment_date FROM parsed),
        checked AS (
            SELECT *, {problem_no} AS problem_no, {is_blank} AS is_blank FROM dated)
        SELECT file_id, row_number, {texts}, payment_date,
            CASE WHEN day_date IS NULL THEN 'month' ELSE 'day' END AS date_precision, amount,
            CASE WHEN problem_no IS NOT NULL THEN {amount_cell} END AS amount_text,
            amount_rounded AND amount IS NOT NULL AS amount_rounded,
            is_blank, {column_case} AS problem_column, {reason_case} AS problem,
            CASE WHEN problem_no IS NOT NULL THEN {raw_text} END AS raw_text
        FROM checked
    """


def _month_sql(reads: list[_ReadFile]) -> str | None:
    """SQL for the month of a row whose date has no day: a month or period code in the date column
    (its year, for a bare period, from the year column or the file's name), or the month the file's name gives.
    None when no file of these has such dates in the rows looked at: reading every row that is not a
    date a second time, as a month, costs time (and such a row is rejected, as it was)."""
    if not any(read.reading.dates.no_days for read in reads):
        return None
    mapping = reads[0].mapping
    if "payment_date" not in mapping.columns:
        months = {read.file_id: read.reading.dates.name_month for read in reads}
        return _per_file(reads, months, lambda month: f"DATE '{month.isoformat()}'")
    cell = f"c{mapping.columns['payment_date']}"
    fiscal = str(reads[0].reading.dates.fiscal_codes).upper()
    if "period_year" in mapping.columns:
        return f"tp_month({cell}, tp_fiscal_start(c{mapping.columns['period_year']}), {fiscal})"
    years = {read.file_id: read.reading.dates.fiscal_year for read in reads}
    return _per_file(reads, years, lambda year: f"tp_month({cell}, {year or 'NULL'}, {fiscal})")


def _payment_date_sql(month_sql: str | None) -> str:
    """SQL for a row's payment date: its day, else (when the files have months) its month."""
    if month_sql is None:
        return "day_date"
    # a CASE, not coalesce: DuckDB would read every row's month
    return f"CASE WHEN day_date IS NOT NULL THEN day_date ELSE tp_date_value({month_sql}) END"


def _date_problems(mapping: columns.ColumnMapping, cell: dict[str, str],
                   forms: _Forms) -> tuple[str, list[tuple[str, str, str]]]:
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
        *[(condition, date_header, reason)
          for condition, reason in parse.date_problems("any_date", date_cell, forms.latest)],
        ("payment_date IS NULL", date_header, f"'''' || {date_cell} || ''' is not a date in a form this tool reads'"),
    ]


def _sign_marks(mapping: columns.ColumnMapping, negative: bool) -> str:
    assert mapping.sign is not None, "a sign column's marks, asked of a file without one"
    marks = mapping.sign.negative if negative else mapping.sign.positive
    return ", ".join(_sql_text(mark) for mark in sorted(marks))


def _signed_amount_sql(mapping: columns.ColumnMapping, cell: dict[str, str], amount_sql: str) -> str:
    """SQL for a row's amount: with a sign column, negative where it marks a credit (whether or not
    the amount is written negative too), else as written."""
    if mapping.sign is None:
        return amount_sql
    return (f"CASE WHEN lower(trim({cell['sign']})) IN ({_sign_marks(mapping, True)}) "
            f"THEN -abs({amount_sql}) ELSE {amount_sql} END")


def _sign_problems(mapping: columns.ColumnMapping, cell: dict[str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """SQL that a row's sign cell is one the file's sign column uses (or blank), and the problem if not."""
    if mapping.sign is None:
        return "TRUE", []
    sign_cell = cell["sign"]
    known = f"{_sign_marks(mapping, True)}, {_sign_marks(mapping, False)}"
    ok = f"(tp_blank({sign_cell}) OR lower(trim({sign_cell})) IN ({known}))"
    return ok, [(f"NOT {ok}", _sql_text(mapping.header_of("sign")),
                 f"'''' || {sign_cell} || ''' is not a sign this file uses ({mapping.sign.kind})'")]


def _amount_problems(reads: list[_ReadFile], forms: _Forms, amount_cell: str) -> list[tuple[str, str]]:
    """The reasons an amount did not read beyond 'not an amount', each for the files of its decimal mark."""
    comma_files = forms.comma_files(reads)
    marks = [mark for mark, files in ((False, len(reads) - len(comma_files)), (True, len(comma_files))) if files]
    return [(f"{_in_files(comma_files, mark) if len(marks) > 1 else 'TRUE'} AND {condition}", reason)
            for mark in marks for condition, reason in parse.amount_problems(amount_cell, mark)]


def _in_files(file_ids: list[int], inside: bool) -> str:
    """SQL: the row's file is (or, not `inside`, is not) one of these."""
    return f"{'' if inside else 'NOT '}file_id IN ({', '.join(map(str, file_ids))})"


def _write_rows(con: duckdb.DuckDBPyConnection, reads: list[_ReadFile], agency_id: str, prefix: str,
                forms: _Forms) -> None:
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
                  count(*) FILTER (WHERE is_blank),
                  count(*) FILTER (WHERE amount_rounded AND NOT is_blank)
           FROM staged GROUP BY file_id""").fetchall()}
    periods = _periods(con)
    for read in reads:
        *counts, rounded = totals.get(read.file_id, (0, Decimal(0), 0, Decimal(0), 0, 0))
        _account(con, read, prefix, tuple(counts), periods.get(read.file_id, (None, None)),
                 _reading_notes(read, forms, rounded))


def _reading_notes(read: _ReadFile, forms: _Forms, rounded: int) -> list[str]:
    """What a user should know about how the file was read, beyond its rows' own reasons."""
    notes = list(read.table.notes) + read.reading.notes()
    if forms.decimal_commas.get(read.file_id):
        notes.append("amounts are written with a decimal comma (1.234,56) and were read with it")
    if rounded:
        notes.append(f"{rounded:,} amount{'s' if rounded > 1 else ''} carried float noise beyond the penny "
                     "(within a tenth of a penny, as Excel leaves it) and "
                     f"{'were' if rounded > 1 else 'was'} rounded to the penny")
    return notes


def _account(con: duckdb.DuckDBPyConnection, read: _ReadFile, prefix: str, totals: tuple, period: tuple,
             notes: list[str]) -> None:
    """The file's row in source_file, and its report: rows and money read = loaded + rejected."""
    loaded, money_loaded, rejected, money_rejected, blanks = totals
    table, mapping, report = read.table, read.mapping, read.report
    con.execute(
        f"""INSERT INTO {prefix}source_file BY NAME SELECT
            ? AS file_id, ? AS agency_id, ? AS path, ? AS sha256, ? AS format, ? AS encoding, ? AS sheet,
            ? AS header_row, ? AS mapping, ? AS mapping_reasons, ? AS unused_headers, ? AS rows_read,
            ? AS rows_loaded, ? AS rows_rejected, ? AS blank_rows, ? AS money_read, ? AS money_loaded,
            ? AS money_rejected, ? AS period_start, ? AS period_end, ? AS loaded_at, ?::VARCHAR[] AS reading_notes,
            ? AS layout, ? AS reading, ? AS settings_key""",
        [read.file_id, read.agency.id, report.path, table.sha256, table.format, table.encoding, table.sheet,
         table.header_row, json.dumps(mapping.as_dict()), json.dumps(mapping.reasons),
         mapping.unused_headers(), loaded + rejected, loaded, rejected, blanks + table.blank_rows,
         money_loaded + money_rejected, money_loaded, money_rejected, *period, datetime.now(), notes,
         read.reading.fingerprint, json.dumps(read.reading.summary()), read.reading.settings_key],
    )
    report.rows_read, report.rows_loaded, report.rows_rejected = loaded + rejected, loaded, rejected
    report.money_read, report.money_loaded = money_loaded + money_rejected, money_loaded
    report.money_rejected = money_rejected
    report.notes = notes


def _periods(con: duckdb.DuckDBPyConnection) -> dict[int, tuple]:
    """The first and last month each staged file reports on (see PERIOD_SHARE)."""
    return {row[0]: row[1:] for row in con.execute(
        f"""WITH months AS (
                SELECT file_id, date_trunc('month', payment_date) AS month, count(*) AS n
                FROM staged WHERE problem IS NULL AND NOT is_blank GROUP BY ALL),
            busiest AS (SELECT file_id, max(n) AS most FROM months GROUP BY ALL)
            SELECT file_id, min(month)::DATE, max(month)::DATE FROM months JOIN busiest USING (file_id)
            WHERE n >= {PERIOD_SHARE} * most GROUP BY file_id""").fetchall()}


# ---------------------------------------------------------------------------- payments loaded twice

def _refuse_repeated_files(con: duckdb.DuckDBPyConnection, prefix: str, dropped: Collection[int]) -> None:
    """One clear error if a new file's payments are mostly loaded already, from other files: it repeats them.

    A payment is known by its content (see schema.PAYMENT_KEY). Its first copy
    is the one in the earliest file (the store's files come before this
    ingest's); a new file more than MOSTLY_REPEATED of whose payments have an
    earlier copy is refused, naming the file holding most of them. Fewer
    repeats are loaded, and `status` lists each one. Only the store's lines of
    the new files' agencies and dates are looked at.
    """
    worst = fetch_one(con, f"""
        WITH new AS (SELECT file_id, {PAYMENT_KEY} AS payment FROM {prefix}spend_line),
        span AS (SELECT min(payment_date) AS first, max(payment_date) AS last,
                        list(DISTINCT agency_id) AS agencies FROM {prefix}spend_line),
        old AS (SELECT file_id, {PAYMENT_KEY} AS payment FROM spend_line
                WHERE payment_date BETWEEN (SELECT first FROM span) AND (SELECT last FROM span)
                  AND list_contains((SELECT agencies FROM span), agency_id)
                  AND NOT list_contains(?::INTEGER[], file_id)),
        in_two_files AS (SELECT payment, min(file_id) AS first FROM (FROM new UNION ALL FROM old) GROUP BY payment
                         HAVING min(file_id) <> max(file_id)),
        repeated AS (SELECT n.file_id, c.first AS earlier, count(*) AS payments
                     FROM new n JOIN in_two_files c USING (payment) WHERE c.first < n.file_id GROUP BY ALL),
        by_file AS (SELECT file_id, sum(payments) AS payments, arg_max(earlier, payments) AS earlier
                    FROM repeated GROUP BY file_id)
        SELECT r.payments, f.rows_loaded, f.path, coalesce(e.path, p.path)
        FROM by_file r JOIN {prefix}source_file f USING (file_id)
        LEFT JOIN source_file e ON e.file_id = r.earlier LEFT JOIN {prefix}source_file p ON p.file_id = r.earlier
        WHERE r.payments > {MOSTLY_REPEATED} * f.rows_loaded
        ORDER BY r.file_id LIMIT 1""", [list(dropped)])
    if worst:
        payments, loaded, path, earlier = worst
        raise InputError(f"{path}: {payments:,} of its {loaded:,} payments are already in {earlier}: it repeats "
                         "that file, and loading it would count them twice; remove one of the two")


# ---------------------------------------------------------------------------- what an ingest would change

def changes_not_loaded(con: StoreConnection, workspace: Workspace) -> list[str]:
    """What the next ingest would change, found without reading any file: agencies no longer in
    totalplace.toml, loaded files now gone, files not loaded yet. (An edited file needs reading to tell.)"""
    loaded = con.execute("SELECT agency_id, path, money_loaded FROM source_file").fetchall()
    agencies = {a.id for a in workspace.settings.agencies}
    removed: dict[str, tuple[set[str], Decimal]] = {}
    for agency, path, money in loaded:
        if agency not in agencies:
            paths, total = removed.get(agency, (set(), Decimal(0)))
            removed[agency] = (paths | {path}, total + money)
    lines = [f"{agency} is no longer in totalplace.toml: {len(paths)} file{'s' if len(paths) > 1 else ''} of it "
             f"({format_money(money)}) still in the store until the next `totalplace ingest`"
             for agency, (paths, money) in sorted(removed.items())]
    lines += [f"{path} is gone: its rows are still in the store until the next `totalplace ingest`"
              for path in sorted({p for a, p, _ in loaded if a in agencies and not (workspace.root / p).exists()})]
    lines += [f"{path} is not loaded yet: run `totalplace ingest`"
              for path in sorted(_new_files_outside(workspace, set(), {p for _, p, _ in loaded}))]
    return lines
