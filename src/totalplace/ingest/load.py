"""Load agencies' spend files into the store: detect, parse, check, account, classify.

Every record of a file is loaded, rejected with its reason and raw text, or
counted as blank; rows and money balance (read = loaded + rejected). A file is
known by its content hash: loading it again adds nothing. One ingest is one
transaction: if any file fails, the store is left as it was.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from totalplace.classify.apply import classify_all
from totalplace.errors import InputError
from totalplace.ingest import columns, parse
from totalplace.ingest.sources import SPEND_SUFFIXES, TextTable, read_spend_file, sha256_of
from totalplace.store.connection import connect, fetch_one, transaction
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


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    agency_id: str
    outcome: str  # loaded | unchanged | replaced
    mapping: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    unused_headers: list[str] = field(default_factory=list)
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
    """Bring the store in line with the agencies' folders, adding any new files given."""
    if new_files and not agency_id:
        raise InputError("say which agency the files belong to with --agency")
    for path in new_files or []:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        target = workspace.agency_dir(agency_id) / path.name
        if target.exists() and target.resolve() != path.resolve() and sha256_of(target) != sha256_of(path):
            raise InputError(f"{path}: a different file named {path.name} is already in {target.parent}; rename one")
    agencies = [workspace.agency(agency_id)] if agency_id else workspace.settings.agencies
    con = connect(workspace)
    try:
        with transaction(con):
            digest_of = cache(lambda path: sha256_of(path.resolve()))  # each file is hashed once per ingest
            removed = _drop_changed_files(con, workspace, digest_of)
            reports: list[FileReport] = []
            for agency in agencies:
                paths = spend_files(workspace.agency_dir(agency.id)) + [
                    p for p in new_files or [] if agency_id == agency.id
                ]
                for path in paths:
                    if progress:
                        progress(str(path))
                    reports.append(load_file(con, workspace, agency, path, digest_of(path)))
            classify_all(con, workspace)
    finally:
        con.close()
    _keep_new_files(workspace, agency_id, new_files or [])
    return IngestResult(reports, removed)


def _keep_new_files(workspace: Workspace, agency_id: str | None, new_files: list[Path]) -> None:
    """Files given on the command line join the agency's folder: inputs live in the workspace."""
    for path in new_files:
        target = workspace.agency_dir(agency_id) / path.name
        if path.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _drop_changed_files(con: duckdb.DuckDBPyConnection, workspace: Workspace,
                        digest_of: Callable[[Path], str]) -> list[str]:
    """Forget files that were deleted or edited since they were loaded: the store follows the inputs."""
    gone = []
    for file_id, rel, digest in con.execute("SELECT file_id, path, sha256 FROM source_file").fetchall():
        path = workspace.root / rel
        if not path.exists() or digest_of(path) != digest:
            _delete_file(con, file_id)
            gone.append(rel)
    return gone


def _delete_file(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    for table in ("spend_line", "rejected_row"):
        con.execute(f"DELETE FROM {table} WHERE file_id = ?", [file_id])
    con.execute("DELETE FROM source_file WHERE file_id = ?", [file_id])


def _relative(workspace: Workspace, agency: Agency, path: Path) -> str:
    """Where the file lives (or will live) inside the workspace."""
    try:
        return str(path.resolve().relative_to(workspace.root.resolve()))
    except ValueError:
        return str((workspace.agency_dir(agency.id) / path.name).relative_to(workspace.root))


def load_file(con: duckdb.DuckDBPyConnection, workspace: Workspace, agency: Agency, path: Path,
              digest: str) -> FileReport:
    """Load one file unless the same content is already in the store."""
    rel = _relative(workspace, agency, path)
    known = fetch_one(con, "SELECT path FROM source_file WHERE sha256 = ?", [digest])
    if known:
        return FileReport(path=rel, agency_id=agency.id, outcome=f"unchanged (same content as {known[0]})"
                          if known[0] != rel else "unchanged")
    table = read_spend_file(path, columns.header_score, digest)
    mapping = columns.detect(table.headers, agency.columns)
    columns.require(mapping, rel)
    file_id = fetch_one(con, "SELECT coalesce(max(file_id), 0) + 1 FROM source_file")[0]
    _stage_rows(con, table, mapping)
    report = _write_rows(con, file_id, agency, rel, table, mapping)
    con.unregister("staged")
    return report


def _stage_rows(con: duckdb.DuckDBPyConnection, table: TextTable, mapping: columns.ColumnMapping) -> None:
    """Parse every row into a temp table `staged`, with the first problem found (if any)."""
    regular = table.rows.append_column("raw_line", pa.nulls(table.rows.num_rows, pa.string()))
    regular = regular.append_column("overflow", pa.array(np.zeros(table.rows.num_rows, dtype=bool)))
    con.register("raw_rows", pa.concat_tables([regular, _repaired_rows(table, regular.schema)]))
    date_cell = f"c{mapping.columns['payment_date']}"
    date_form = parse.likely_date_format(con, "raw_rows", date_cell)
    # Held as Arrow, not a temp table: inside the ingest's one transaction a
    # dropped temp table's memory would only come back at commit.
    staged = con.sql(_staging_sql(table, mapping, date_form)).to_arrow_table()
    con.unregister("raw_rows")
    con.register("staged", staged)


def _repaired_rows(table: TextTable, schema: pa.Schema) -> pa.Table:
    """Rows with too few cells, padded; rows whose extra cells are all blank, trimmed.

    Spreadsheet exports often end some lines with a stray comma. Rows with
    values beyond the header are marked `overflow`, to be rejected with their text.
    """
    width = len(table.headers)
    cells: list[list[str]] = [[] for _ in range(width)]
    for odd in table.odd_rows:
        for index, value in enumerate((odd.cells + [""] * width)[:width]):
            cells[index].append(value)
    arrays = [pa.array(column, type=pa.string()) for column in cells] + [
        pa.array([o.row_number for o in table.odd_rows], type=pa.int64()),
        pa.array([o.text.rstrip("\r\n") for o in table.odd_rows], type=pa.string()),
        pa.array([any(v.strip() for v in o.cells[width:]) for o in table.odd_rows], type=pa.bool_()),
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _staging_sql(table: TextTable, mapping: columns.ColumnMapping, date_form: str | None) -> str:
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
    date_header = _sql_text(mapping.header_of("payment_date"))
    amount_cell, date_cell = cell["amount"], cell["payment_date"]
    unnamed = [f"c{i}" for i, h in enumerate(table.headers) if not h.strip()]
    problems = [
        ("overflow", "'(beyond the last column)'",
         f"'the row has more values than the file has columns ({width})'"),
        *[(f"NOT tp_blank({c})", f"'column {int(c[1:]) + 1} (no header)'",
           f"'the value ' || {c} || ' is in a column with no header'") for c in unnamed],
        (f"tp_blank({amount_cell})", amount_header, "'the amount is blank'"),
        ("amount IS NULL", amount_header,
         f"'''' || {amount_cell} || ''' is not an amount in pounds and pence'"),
        (" AND ".join(f"tp_blank({c})" for f, c in cell.items() if f != "amount"), date_header,
         "'the date is blank and only the amount is filled in: a total row, not a payment'"),
        (f"tp_blank({date_cell})", date_header, "'the date is blank'"),
        ("payment_date IS NULL", date_header,
         f"'''' || {date_cell} || ''' is not a date in a form this tool reads'"),
    ]
    column_case = "CASE " + " ".join(f"WHEN {w} THEN {c}" for w, c, _ in problems) + " END"
    reason_case = "CASE " + " ".join(f"WHEN {w} THEN {r}" for w, _, r in problems) + " END"
    blank = " AND ".join(f"tp_blank({c})" for c in all_cells)
    return f"""
        WITH parts AS (
            SELECT *, tp_amount_parts({amount_cell}) AS amount_parts,
                   {parse.date_sql(date_cell, date_form)} AS any_date
            FROM raw_rows),
        parsed AS (
            SELECT *, tp_amount_value(amount_parts) AS amount,
                   tp_date_value(any_date) AS payment_date
            FROM parts),
        checked AS (
            SELECT *, {column_case} AS problem_column, {reason_case} AS problem FROM parsed)
        SELECT row_number, {texts}, payment_date, amount,
            {amount_cell} AS amount_text,
            {blank} AS is_blank,
            problem_column, problem,
            CASE WHEN problem IS NOT NULL THEN {raw_text} END AS raw_text
        FROM checked
    """


def _write_rows(con, file_id: int, agency: Agency, rel: str, table: TextTable,
                mapping: columns.ColumnMapping) -> FileReport:
    line_id = f"{file_id}::BIGINT * {LINE_ID_FACTOR} + row_number"
    con.execute(
        f"""INSERT INTO spend_line
        SELECT {line_id}, {file_id}, row_number, ?, {", ".join(TEXT_FIELDS[:7])},
               payment_date, tp_fiscal_year(payment_date), amount, {", ".join(TEXT_FIELDS[7:])}
        FROM staged WHERE problem IS NULL AND NOT is_blank""",
        [agency.id],
    )
    con.execute(
        f"""INSERT INTO rejected_row
        SELECT {file_id}, row_number, problem_column, problem, raw_text, amount_text, amount
        FROM staged WHERE problem IS NOT NULL AND NOT is_blank"""
    )
    loaded, money_loaded, rejected, money_rejected, blanks = fetch_one(
        con,
        """SELECT count(*) FILTER (WHERE problem IS NULL AND NOT is_blank),
                  coalesce(sum(amount) FILTER (WHERE problem IS NULL AND NOT is_blank), 0),
                  count(*) FILTER (WHERE problem IS NOT NULL AND NOT is_blank),
                  coalesce(sum(amount) FILTER (WHERE problem IS NOT NULL AND NOT is_blank), 0),
                  count(*) FILTER (WHERE is_blank)
           FROM staged""",
    )
    period_start, period_end = _period(con)
    con.execute(
        """INSERT INTO source_file VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [file_id, agency.id, rel, table.sha256, table.format, table.encoding, table.sheet,
         table.header_row, json.dumps(mapping.as_dict()), json.dumps(mapping.reasons),
         mapping.unused_headers(), loaded + rejected, loaded, rejected, blanks + table.blank_rows,
         money_loaded + money_rejected, money_loaded, money_rejected, period_start, period_end,
         datetime.now()],
    )
    return FileReport(
        path=rel, agency_id=agency.id, outcome="loaded", mapping=mapping.as_dict(),
        reasons=mapping.reasons, unused_headers=mapping.unused_headers(),
        rows_read=loaded + rejected, rows_loaded=loaded, rows_rejected=rejected,
        money_read=money_loaded + money_rejected, money_loaded=money_loaded,
        money_rejected=money_rejected,
    )


def _period(con: duckdb.DuckDBPyConnection):
    """The first and last month the staged file reports on (see PERIOD_SHARE)."""
    return fetch_one(
        con,
        f"""WITH months AS (
                SELECT date_trunc('month', payment_date) AS month, count(*) AS n
                FROM staged WHERE problem IS NULL AND NOT is_blank GROUP BY 1)
            SELECT min(month)::DATE, max(month)::DATE FROM months
            WHERE n >= {PERIOD_SHARE} * (SELECT max(n) FROM months)""",
    )
