"""Load agencies' person-level event files into the store, pseudonymised as they are read.

An event file (CSV, CSV.gz or XLSX in `cohort/<agency-id>/`) has a row per
contact, assessment, appointment, payment... of one person: a person id, an
optional household id, a date, the service, and a cost or a unit-cost code.

Identifiers are replaced by keyed-hash pseudonyms in memory, before any cell
reaches DuckDB: the raw id columns, and every column the loader does not read
(names, addresses...), are dropped first. A rejected row keeps its number,
column and reason, and its text with identifiers pseudonymised and unread
columns redacted. Rows balance as for spend: read = loaded + rejected (blank
rows counted apart), and the cost too. One load is all or nothing.

Linking: the same identifier gives the same pseudonym in every agency's file,
so events link by pseudonym. Each person belongs to the household their events
name most often; a person no file places in a household is a household of one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from totalplace.deepdive.pseudonym import Pseudonymiser, key_check, nhs_number_valid

if TYPE_CHECKING:
    from totalplace.deepdive.unit_costs import UnitCostLibrary
from totalplace.errors import InputError
from totalplace.ingest import parse
from totalplace.ingest.columns import normalise
from totalplace.ingest.load import spend_files
from totalplace.ingest.sources import TextTable, read_spend_file, sha256_of
from totalplace.store import macros
from totalplace.store.connection import (
    StoreConnection, connect, fetch_aggregate, fetch_one, replace_rows, transaction, writable,
)
from totalplace.store.files import changed_files, drop_files
from totalplace.store.schema import TOTAL
from totalplace.workspace import Engine, Workspace, slug

COHORT_DIR = "cohort"
IDENTIFIERS = {"person_id": "person", "household_id": "household"}  # field -> pseudonym domain
# field -> header names (compared without case, spaces or punctuation), most usual first
FIELDS: dict[str, tuple[str, ...]] = {
    "person_id": ("person id", "person", "person ref", "client id", "customer id", "individual id",
                  "nhs number", "nhs no", "patient id", "pupil id", "claimant id", "subject id", "id"),
    "household_id": ("household id", "household", "household ref", "family id", "family", "family ref"),
    "event_date": ("event date", "date", "contact date", "activity date", "start date", "assessment date"),
    "agency": ("agency", "agency id"),
    "service": ("service", "service name", "activity", "event", "intervention", "contact type"),
    "kind": ("kind", "event kind", "step kind", "event type", "type"),
    "cost": ("cost", "cost gbp", "cost (£)", "amount", "value"),
    "unit_cost_code": ("unit cost code", "cost code", "unit cost"),
    "units": ("units", "quantity", "number of units"),
}
REQUIRED = ("person_id", "event_date", "service")
_KNOWN = {field: {normalise(name) for name in names} for field, names in FIELDS.items()}
# A person id column headed as an NHS number holds NHS numbers: each is checked before it is hashed.
NHS_NUMBER = "NHS number"
_NHS_HEADERS = {normalise(name) for name in ("nhs number", "nhs no", "nhs num", "nhs")}
INVALID_NHS = "(not a valid NHS number: not pseudonymised)"
COST = macros.MONEY
WITHHELD = "(withheld: the row has more cells than the header, so its identifiers cannot be told apart)"

TABLES = f"""
CREATE TABLE IF NOT EXISTS cohort_key (key_check VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS cohort_file (
    file_id INTEGER NOT NULL, agency_id VARCHAR NOT NULL, path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL, format VARCHAR, mapping JSON,
    rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, blank_rows BIGINT,
    cost_read {TOTAL}, cost_loaded {TOTAL}, cost_rejected {TOTAL}, loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS cohort_event (
    file_id INTEGER NOT NULL, row_number BIGINT NOT NULL,
    person BIGINT NOT NULL,           -- pseudonym (keyed hash) of the person id
    household BIGINT,                 -- pseudonym of the household id, when the file gives one
    event_date DATE NOT NULL, fiscal_year VARCHAR NOT NULL,
    agency_id VARCHAR NOT NULL, service VARCHAR NOT NULL, kind VARCHAR,
    unit_cost_code VARCHAR, units DECIMAL(18,4), price_year VARCHAR,
    cost {COST} NOT NULL
);
CREATE TABLE IF NOT EXISTS cohort_rejected_row (
    file_id INTEGER NOT NULL, row_number BIGINT NOT NULL, column_name VARCHAR NOT NULL,
    reason VARCHAR NOT NULL, raw_text VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS cohort_person (
    person BIGINT NOT NULL, household_key BIGINT NOT NULL, household_known BOOLEAN NOT NULL
);
-- derived by `link` from the events, so the figures read a row per person, year and agency, not every event;
-- benefit_cost: the part of the cost paid to the person (benefits), the rest is the cost of services
CREATE TABLE IF NOT EXISTS cohort_person_agency (
    person BIGINT NOT NULL, household_key BIGINT NOT NULL, fiscal_year VARCHAR NOT NULL,
    agency_id VARCHAR NOT NULL, events BIGINT NOT NULL, assessments BIGINT NOT NULL,
    assessment_cost {TOTAL} NOT NULL, cost {TOTAL} NOT NULL, benefit_cost {TOTAL} NOT NULL
);
-- a store linked before payments to people were told apart: `link` fills the column again
ALTER TABLE cohort_person_agency ADD COLUMN IF NOT EXISTS benefit_cost {TOTAL} DEFAULT 0;
CREATE TABLE IF NOT EXISTS cohort_assessment (
    person BIGINT NOT NULL, fiscal_year VARCHAR NOT NULL, agency_id VARCHAR NOT NULL,
    service VARCHAR NOT NULL, assessments BIGINT NOT NULL
);
"""
# An assessment is an event of kind 'assessment', or with no kind, a service whose name says assess.
LOADED_TABLES = ("cohort_file", "cohort_event", "cohort_rejected_row")  # what a load writes, by file_id
ASSESSMENT = "(kind = 'assessment' OR (kind IS NULL AND service ILIKE '%assess%'))"
# A payment to the person (a benefit, an allowance), not the cost of a service: an event of kind 'benefit',
# or with no kind, a service named as one of the usual benefits.
BENEFIT_NAMES = ("benefit", "allowance", "universal credit", "tax credit", "pension credit",
                 "personal independence payment")
BENEFIT = ("(kind = 'benefit' OR (kind IS NULL AND ("
           + " OR ".join(f"service ILIKE '%{name}%'" for name in BENEFIT_NAMES) + ")))")


@dataclass(frozen=True)
class CohortMapping:
    """Which column holds each field of an event file."""

    columns: dict[str, int]
    headers: tuple[str, ...]

    def header_of(self, field: str) -> str:
        return self.headers[self.columns[field]]

    @property
    def identifier_type(self) -> str:
        return identifier_type(self.header_of("person_id"))


def identifier_type(header: str) -> str:
    """The kind of person identifier a column holds, from its header: 'NHS number', or the header as named."""
    return NHS_NUMBER if normalise(header) in _NHS_HEADERS else " ".join(header.lower().split())


@dataclass
class FileReport:
    path: str
    agency_id: str
    outcome: str  # loaded | unchanged
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    cost_read: Decimal = Decimal(0)
    cost_loaded: Decimal = Decimal(0)
    cost_rejected: Decimal = Decimal(0)


@dataclass
class LoadResult:
    files: list[FileReport]
    removed: list[str]
    people: int
    households: int


def detect(headers: list[str]) -> CohortMapping:
    """Each field's column: the first header that is one of the field's known names."""
    columns: dict[str, int] = {}
    for field, names in _KNOWN.items():
        for index, header in enumerate(headers):
            if normalise(header) in names and index not in columns.values():
                columns[field] = index
                break
    return CohortMapping(columns, tuple(headers))


def header_score(record: list[str]) -> int:
    return len(detect([str(cell) for cell in record]).columns) if record else 0


def require(mapping: CohortMapping, path: str) -> None:
    missing = [f for f in REQUIRED if f not in mapping.columns]
    if "cost" not in mapping.columns and "unit_cost_code" not in mapping.columns:
        missing.append("cost (or unit cost code)")
    if missing:
        headers = ", ".join(repr(h) for h in mapping.headers if h.strip())
        raise InputError(f"{path}: cannot find the {', '.join(missing)} column among the headers {headers}; "
                         f"name the columns as in docs/cohorts.md (e.g. 'person id', 'date', 'service', 'cost')")


def cohort_files(workspace: Workspace) -> list[tuple[str, Path]]:
    """(agency id, file) for every event file under cohort/<agency-id>/."""
    root = workspace.root / COHORT_DIR
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        found += [(slug(folder.name), path) for path in spend_files(folder)]
    return found


def load(workspace: Workspace, key: bytes, progress: Callable[[str], None] | None = None) -> LoadResult:
    """Bring the store's cohort in line with the event files under cohort/: all or nothing.

    One transaction drops the files edited or deleted, inserts every new
    file's rows straight into the store's tables, and links. DuckDB writes a
    big insert's row groups to the file as they fill (they become part of
    the store only at the commit), so memory stays bounded; each file is
    staged in Arrow, never in a table, since a table dropped inside a
    transaction is kept until it ends. A failure or a crash anywhere leaves
    the store as it was.
    """
    files = cohort_files(workspace)
    pseudonymiser = Pseudonymiser(key)
    digest_of = cache(lambda path: sha256_of(path.resolve()))
    linked_here = workspace.settings.engine is Engine.DUCKDB
    with writable(workspace) as con:
        # Rows inserted in the order they were read are written to the file twice: once as they are
        # inserted and again, compressed, when the store is closed (4 s of 10 for 4 million events).
        # The rows carry their file and row number; no query relies on the order they are stored in.
        con.execute("SET preserve_insertion_order = false")
        with transaction(con):
            con.execute(TABLES)
            into = _Destination.of(con, workspace, digest_of)
            key_is_new = _check_key(con, key, into.replaced)
            drop_files(con, into.replaced, LOADED_TABLES)
            reports = _load_files(con, workspace, _plan(workspace, files, digest_of, into), pseudonymiser, progress)
            if key_is_new:
                _set_key(con, key)
            linked = link(con) if linked_here else None  # on DuckDB, in the same transaction as the events
    people, households = linked or _link_on_engine(workspace)
    return LoadResult(reports, list(into.replaced.values()), people, households)


def _link_on_engine(workspace: Workspace) -> tuple[int, int]:
    """On Spark, the linkage runs over the events just published to the Parquet store."""
    with closing(connect(workspace, read_only=True)) as store:
        return link(store)


@dataclass
class _Destination:
    """The files a load replaces, and the files already loaded."""

    replaced: dict[int, str]  # file_id -> path of each file edited or deleted since it was loaded
    known: set[str]  # sha256 of each file loaded (and kept), or loaded in this run
    next_file_id: int

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, workspace: Workspace,
           digest_of: Callable[[Path], str]) -> _Destination:
        """The store as it stands: the inputs are the truth, so files deleted or edited will be dropped."""
        stored = con.execute("SELECT file_id, path, sha256 FROM cohort_file").fetchall()
        replaced = changed_files(con, workspace, "cohort_file", digest_of)
        known = {digest for file_id, _, digest in stored if file_id not in replaced}
        return cls(replaced, known, max((f[0] for f in stored), default=0) + 1)


def _check_key(con: duckdb.DuckDBPyConnection, key: bytes, replaced: dict[int, str]) -> bool:
    """Events hashed under two keys would never link: refuse a key other than the store's.

    True when the store's key is to be (re)set: no events will remain from an earlier load.
    """
    remaining = fetch_aggregate(con, "SELECT count(*) FROM cohort_file WHERE rows_loaded > 0 "
                               "AND NOT list_contains(?::INTEGER[], file_id)", [list(replaced)])[0]
    stored = fetch_one(con, "SELECT key_check FROM cohort_key")
    if remaining == 0 or stored is None:
        return True
    if stored[0] != key_check(key):
        raise InputError("this pseudonymisation key is not the one the store's cohort was loaded with; "
                         "use that key, or delete store/ and load again")
    return False


def _set_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    con.execute("DELETE FROM cohort_key")
    con.execute("INSERT INTO cohort_key VALUES (?)", [key_check(key)])


@dataclass(frozen=True)
class _Planned:
    """One event file of the load: where it is, and its file id (none when its content is loaded already)."""

    agency_id: str
    path: Path
    rel: str
    digest: str
    file_id: int | None


def _plan(workspace: Workspace, files: list[tuple[str, Path]], digest_of: Callable[[Path], str],
          into: _Destination) -> list[_Planned]:
    """Which files to load, decided before any is read, so the next file can be read while one is stored.

    A file whose content is loaded already, or earlier in this load, is skipped.
    """
    planned = []
    for agency_id, path in files:
        digest = digest_of(path)
        rel = str(path.resolve().relative_to(workspace.root.resolve()))
        file_id = None
        if digest not in into.known:
            file_id, into.next_file_id = into.next_file_id, into.next_file_id + 1
            into.known.add(digest)
        planned.append(_Planned(agency_id, path, rel, digest, file_id))
    return planned


def _load_files(con: duckdb.DuckDBPyConnection, workspace: Workspace, plan: list[_Planned],
                pseudonymiser: Pseudonymiser, progress: Callable[[str], None] | None) -> list[FileReport]:
    """Load the planned files in order: each file is read and pseudonymised while the one before is stored."""
    new = [p for p in plan if p.file_id is not None]
    staged = _one_ahead(lambda p: _staged(p, pseudonymiser), new)
    reports = []
    for planned in plan:
        if progress:
            progress(str(planned.path))
        if planned.file_id is None:
            reports.append(FileReport(planned.rel, planned.agency_id, "unchanged"))
        else:
            reports.append(_store_file(con, workspace, planned, *next(staged)))
    return reports


def _one_ahead(stage: Callable[[_Planned], _Staged], items: list[_Planned]) -> Iterator[_Staged]:
    """stage(item) for each item in order, the next one worked out in a worker thread while the caller uses this one.

    Reading CSV and Arrow's compute functions release the GIL, and so does DuckDB while it
    inserts: the two cores both work. Only one item is ever ahead, so memory holds two files at most.
    """
    if not items:
        return
    with ThreadPoolExecutor(max_workers=1) as worker:
        ahead = worker.submit(stage, items[0])
        for following in items[1:]:
            current = ahead.result()
            ahead = worker.submit(stage, following)
            yield current
        yield ahead.result()


_Staged = tuple[TextTable, CohortMapping, pa.Table]  # a file as read, its columns, its pseudonymised rows


def _staged(planned: _Planned, pseudonymiser: Pseudonymiser) -> _Staged:
    """Read one file and pseudonymise its rows: no DuckDB, so it can run beside an insert."""
    table = read_spend_file(planned.path, header_score, planned.digest)
    mapping = detect(table.headers)
    require(mapping, planned.rel)
    return table, mapping, _pseudonymised_rows(table, mapping, pseudonymiser)


def _store_file(con: duckdb.DuckDBPyConnection, workspace: Workspace, planned: _Planned, table: TextTable,
                mapping: CohortMapping, cohort_rows: pa.Table) -> FileReport:
    """Check and insert one file's pseudonymised rows.

    The SQL reads each file's Arrow tables through the Python variables it
    names (DuckDB's replacement scan), not through registered views: a view
    dropped inside a transaction keeps its table in memory until the
    transaction ends, and the load is one transaction.
    """
    cohort_dates = _dates(con, con.sql("SELECT DISTINCT event_date FROM cohort_rows").to_arrow_table())
    unit_values = _unit_values(con, workspace, mapping, cohort_rows, cohort_dates)  # noqa: F841 (read by the SQL)
    cohort_checked = con.sql(_checked_sql(mapping, planned.agency_id)).to_arrow_table()
    cohort_problems = con.sql(_problems_sql(mapping)).to_arrow_table()
    assert planned.file_id is not None, "only a file new to the store is stored"
    return _write_rows(con, planned.file_id, planned.agency_id, planned.rel, table, mapping,
                       cohort_checked, cohort_problems)


def _dates(con: duckdb.DuckDBPyConnection, texts: pa.Table) -> pa.Table:
    """Each distinct date text of the file (`texts`), its date and fiscal year.

    A file of millions of events has a few hundred distinct dates: each is
    parsed once, and the rows take theirs by a join. (A registered view of a
    few hundred texts costs nothing to keep until the transaction ends.)
    """
    con.register("cohort_date_texts", texts)
    try:
        date_form = parse.likely_date_format(con, "cohort_date_texts", "event_date")
        return con.sql(f"""
            SELECT event_date AS date_text, date_value, tp_fiscal_year(date_value) AS fiscal_year
            FROM (SELECT event_date, {parse.date_sql('event_date', date_form)} AS date_value
                  FROM cohort_date_texts)""").to_arrow_table()
    finally:
        con.unregister("cohort_date_texts")


def _pseudonymised_rows(table: TextTable, mapping: CohortMapping, pseudonymiser: Pseudonymiser) -> pa.Table:
    """The rows as DuckDB will see them: identifiers as pseudonyms, unread columns gone.

    Rows with too few cells are padded; rows with too many are kept only as a
    row number and an `overflow` flag, since a stray comma may have shifted an
    identifier into any of their cells.
    """
    width = len(table.headers)
    odd = table.odd_rows
    overflow = [any(v.strip() for v in o.cells[width:]) for o in odd]
    columns: dict[str, pa.Array] = {}
    for field, index in mapping.columns.items():
        regular = table.rows.column(f"c{index}")
        extra = pa.array(["" if too_many else (o.cells + [""] * width)[index]
                          for o, too_many in zip(odd, overflow)], type=pa.string())
        cells = pa.chunked_array(regular.chunks + [extra], type=pa.string())
        # Other columns stay in the chunks they were read in: DuckDB scans chunks, and a copy costs
        # a second per few million rows.
        if field == "person_id":
            check = nhs_number_valid if mapping.identifier_type == NHS_NUMBER else None
            columns[field], columns["person_invalid"] = pseudonymiser.checked_column("person", cells, check)
        else:
            columns[field] = pseudonymiser.column(IDENTIFIERS[field], cells) if field in IDENTIFIERS else cells
    if "household_id" not in columns:
        columns["household_id"] = pa.nulls(table.rows.num_rows + len(odd), pa.int64())
    row_number = pa.chunked_array(table.rows.column("row_number").chunks
                                  + [pa.array([o.row_number for o in odd], type=pa.int64())])
    flags = pa.concat_arrays([pa.repeat(False, table.rows.num_rows), pa.array(overflow, pa.bool_())])
    columns.update(row_number=row_number.combine_chunks(), overflow=flags)
    return pa.table(columns)


def _unit_values(con: duckdb.DuckDBPyConnection, workspace: Workspace, mapping: CohortMapping,
                 cohort_rows: pa.Table, cohort_dates: pa.Table) -> pa.Table:
    """The value of each unit-cost code the file uses, at its price year, or why it has none.

    `cohort_rows` and `cohort_dates` are read by the SQL, by name.
    """
    pairs: list[tuple[str, str]] = []
    if "unit_cost_code" in mapping.columns:
        cost_blank = "tp_blank(cost)" if "cost" in mapping.columns else "true"
        pairs = con.execute(f"""
            SELECT DISTINCT trim(unit_cost_code), d.fiscal_year
            FROM cohort_rows JOIN cohort_dates d ON event_date = d.date_text
            WHERE {cost_blank} AND NOT tp_blank(unit_cost_code)""").fetchall()
    price_year = (workspace.settings.cohort.price_year if workspace.settings.cohort else None)
    rows: dict[str, list] = {"code": [], "fiscal_year": [], "price_year": [], "unit_value": [], "problem": []}
    if pairs:  # the library is loaded only when a code needs a value
        library = _library(workspace)
        for code, fiscal_year in pairs:
            if fiscal_year is None:
                continue  # the date is unreadable: that row is rejected for its date
            year = price_year or fiscal_year
            value, problem = None, None
            try:
                value = library.value(code, year)
            except InputError as error:
                problem = f"unit cost code {code!r}: {error}"
            for name, item in zip(rows, (code, fiscal_year, year, value, problem)):
                rows[name].append(item)
    return pa.table({
        "code": pa.array(rows["code"], pa.string()), "fiscal_year": pa.array(rows["fiscal_year"], pa.string()),
        "price_year": pa.array(rows["price_year"], pa.string()),
        "unit_value": pa.array(rows["unit_value"], pa.decimal128(38, 10)),
        "problem": pa.array(rows["problem"], pa.string()),
    })


def _library(workspace: Workspace) -> UnitCostLibrary:
    from totalplace.deepdive.unit_costs import load_library  # the unit cost library (issue 4, part 2)

    return load_library(workspace)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _raw_text_sql(mapping: CohortMapping) -> str:
    """The row's text for a rejection: identifiers as pseudonyms, columns not read redacted."""
    field_at = {index: field for field, index in mapping.columns.items()}
    cells = []
    for index in range(len(mapping.headers)):
        field = field_at.get(index)
        if field == "person_id":
            cells.append(f"CASE WHEN person_invalid THEN {_sql_text(INVALID_NHS)} "
                         f"ELSE coalesce('pseudonym:' || printf('%016x', {field}), '') END")
        elif field in IDENTIFIERS:
            cells.append(f"coalesce('pseudonym:' || printf('%016x', {field}), '')")
        elif field:
            cells.append(f"CASE WHEN regexp_matches({field}, '[,\"\\n]') "
                         f"THEN '\"' || replace({field}, '\"', '\"\"') || '\"' ELSE {field} END")
        else:
            cells.append("'(not read)'")
    return f"CASE WHEN overflow THEN {_sql_text(WITHHELD)} ELSE concat_ws(',', {', '.join(cells)}) END"


def _text(mapping: CohortMapping) -> dict[str, str]:
    """Each field's cell, trimmed, blank as null (null when the file has no such column)."""
    return {f: (f"nullif(trim({f}), '')" if f in mapping.columns else "CAST(NULL AS VARCHAR)") for f in FIELDS}


def _problems(mapping: CohortMapping) -> list[tuple[str, str, str]]:
    """What can be wrong with a row, in the order they are looked for: (condition, column, reason)."""
    has = mapping.columns.__contains__
    header = {f: _sql_text(mapping.header_of(f)) for f in mapping.columns}
    text = _text(mapping)
    cost_header = header["cost"] if has("cost") else header["unit_cost_code"]  # `require` saw one of them
    code_header = header.get("unit_cost_code", cost_header)
    return [
        ("overflow", "'(beyond the last column)'", "'the row has more values than the file has columns'"),
        ("person_invalid", header["person_id"],
         "'not a valid NHS number (ten digits, the last a modulus 11 check digit): the row is not linked'"),
        ("person_id IS NULL", header["person_id"], "'the person id is blank'"),
        (f"{text['event_date']} IS NULL", header["event_date"], "'the date is blank'"),
        ("event_date_value IS NULL", header["event_date"],
         "'''' || event_date || ''' is not a date in a form this tool reads'"),
        (f"{text['service']} IS NULL", header["service"], "'the service is blank'"),
        *([(_units_unread(mapping), header["units"], "'''' || units || ''' is not a number of units'")]
          if has("units") else []),
        *([(f"{text['cost']} IS NOT NULL AND given_cost IS NULL", header["cost"],
            "'''' || cost || ''' is not a cost in pounds and pence'")] if has("cost") else []),
        (f"{text['cost']} IS NULL AND {text['unit_cost_code']} IS NULL", cost_header,
         "'there is no cost and no unit cost code'"),
        ("given_cost IS NULL AND unit_problem IS NOT NULL", code_header, "unit_problem"),
        ("cost_value IS NULL", cost_header, "'no cost could be worked out for the row'"),
    ]


def _units_unread(mapping: CohortMapping) -> str:
    return f"{_text(mapping)['units']} IS NOT NULL AND units_value IS NULL"


def _checked_sql(mapping: CohortMapping, agency_id: str) -> str:
    """Each row as an event, with the number of its first problem (null: the row is loaded).

    Only the problem's number: the column, reason and text are worked out for
    the few rows that have one (`_problems_sql`).
    """
    has = mapping.columns.__contains__
    text = _text(mapping)
    units = "TRY_CAST(replace(trim(units), ',', '') AS DECIMAL(18,4))" if has("units") else "NULL"
    given = "tp_amount(cost)" if has("cost") else "CAST(NULL AS DECIMAL(18,2))"
    agency = (f"coalesce(nullif(trim(both '-' FROM lower(regexp_replace(trim(agency), '[^A-Za-z0-9]+', '-', 'g'))), ''), "
              f"{_sql_text(agency_id)})" if has("agency") else _sql_text(agency_id))
    # Most rows are fine: one cheap test settles them (a cost given rules out every cost problem),
    # and only the others are asked which problem comes first.
    fine = " AND ".join(["NOT overflow", "person_id IS NOT NULL", "event_date_value IS NOT NULL",
                         f"{text['service']} IS NOT NULL", "given_cost IS NOT NULL",
                         *([f"NOT ({_units_unread(mapping)})"] if has("units") else [])])
    problem_no = f"CASE WHEN {fine} THEN NULL " + " ".join(
        f"WHEN {w} THEN {n}" for n, (w, _, _) in enumerate(_problems(mapping))) + " END"
    return f"""
        WITH parsed AS (
            SELECT r.*, d.date_value AS event_date_value, d.fiscal_year,
                   {units} AS units_value, {given} AS given_cost
            FROM cohort_rows r LEFT JOIN cohort_dates d ON r.event_date = d.date_text),
        costed AS (
            SELECT p.*, u.price_year AS unit_price_year, u.problem AS unit_problem,
                   coalesce(given_cost, CAST(round(u.unit_value * coalesce(units_value, 1), 2) AS {COST})) AS cost_value
            FROM parsed p LEFT JOIN unit_values u
              ON given_cost IS NULL AND u.code = {text['unit_cost_code']} AND u.fiscal_year = p.fiscal_year)
        SELECT row_number, person_id AS person, household_id AS household,
               event_date_value AS event_date, fiscal_year,
               {agency} AS agency_id, {text['service']} AS service, lower({text['kind']}) AS kind,
               CASE WHEN given_cost IS NULL THEN {text['unit_cost_code']} END AS unit_cost_code,
               units_value AS units, CASE WHEN given_cost IS NULL THEN unit_price_year END AS price_year,
               cost_value AS cost, unit_problem, {problem_no} AS problem_no
        FROM costed
    """


def _problems_sql(mapping: CohortMapping) -> str:
    """The rows with a problem: its column and reason, the row's text, and whether the row is blank."""
    problems = _problems(mapping)
    column_case = "CASE problem_no " + " ".join(f"WHEN {n} THEN {c}" for n, (_, c, _) in enumerate(problems)) + " END"
    reason_case = "CASE problem_no " + " ".join(f"WHEN {n} THEN {r}" for n, (_, _, r) in enumerate(problems)) + " END"
    text = _text(mapping)
    # A blank row always has a problem (its person id is blank): only those rows need every cell looked at.
    blank = " AND ".join([f"{text[f]} IS NULL" for f in mapping.columns if f not in IDENTIFIERS]
                         + [f"{f} IS NULL" for f in IDENTIFIERS if mapping.columns.__contains__(f)]
                         + ["NOT overflow", "NOT person_invalid"])
    # The cells as read (the checked row's columns are renamed: `cost` here is the cell, not the value).
    return f"""
        SELECT row_number, cost_value, {column_case} AS column_name, {reason_case} AS reason,
               {_raw_text_sql(mapping)} AS raw_text, {blank} AS is_blank
        FROM (SELECT row_number, problem_no, unit_problem, cost AS cost_value
              FROM cohort_checked WHERE problem_no IS NOT NULL)
        JOIN cohort_rows USING (row_number)
    """


def _write_rows(con: duckdb.DuckDBPyConnection, file_id: int, agency_id: str, rel: str, table: TextTable,
                mapping: CohortMapping, cohort_checked: pa.Table, cohort_problems: pa.Table) -> FileReport:
    """Insert the file's events, rejected rows and balance (the two tables are read by the SQL, by name)."""
    con.execute(f"""INSERT INTO cohort_event
        SELECT {file_id}, row_number, person, household, event_date, fiscal_year, agency_id, service, kind,
               unit_cost_code, units, price_year, cost
        FROM cohort_checked WHERE problem_no IS NULL""")
    con.execute(f"""INSERT INTO cohort_rejected_row
        SELECT {file_id}, row_number, column_name, reason, raw_text FROM cohort_problems WHERE NOT is_blank""")
    [(loaded, cost_loaded)] = con.execute("SELECT count(*), coalesce(sum(cost), 0) FROM cohort_checked "
                                          "WHERE problem_no IS NULL").fetchall()
    [(rejected, cost_rejected, blanks)] = con.execute("""
        SELECT count(*) FILTER (WHERE NOT is_blank), coalesce(sum(cost_value) FILTER (WHERE NOT is_blank), 0),
               count(*) FILTER (WHERE is_blank)
        FROM cohort_problems""").fetchall()
    con.execute("INSERT INTO cohort_file VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        file_id, agency_id, rel, table.sha256, table.format,
        json.dumps({f: mapping.header_of(f) for f in mapping.columns}),
        loaded + rejected, loaded, rejected, blanks + table.blank_rows,
        cost_loaded + cost_rejected, cost_loaded, cost_rejected, datetime.now(),
    ])
    return FileReport(rel, agency_id, "loaded", loaded + rejected, loaded, rejected,
                      cost_loaded + cost_rejected, cost_loaded, cost_rejected)


def link(con: StoreConnection) -> tuple[int, int]:
    """Place every person in one household: the one their events name most often (ties: the lowest pseudonym).

    Runs on the workspace's engine (on Spark, over the Parquet store).
    Returns the number of people and households.
    """
    # One pass over the events (a person's unnamed events too), then one row per person: no second scan
    # for the people whose events name no household, and no join (at 200 million events on Spark, each
    # of those cost minutes).
    replace_rows(con, "cohort_person", """
        WITH named AS (SELECT person, household, count(*) AS n FROM cohort_event GROUP BY ALL),
        chosen AS (
            SELECT person, arg_max(household, (n, -household)) FILTER (WHERE household IS NOT NULL) AS household
            FROM named GROUP BY person)
        SELECT person, coalesce(household, person) AS household_key, household IS NOT NULL AS household_known
        FROM chosen""")
    _summarise(con)
    people, households = fetch_aggregate(con, "SELECT count(*), count(DISTINCT household_key) FROM cohort_person")
    return people, households


def _summarise(con: StoreConnection) -> None:
    """Each person's events, assessments and cost by year and agency, and assessments by service."""
    # Grouped first, then joined: the join meets a row per person, year and agency, not every event.
    replace_rows(con, "cohort_person_agency", f"""
        SELECT person, household_key, fiscal_year, agency_id, events, assessments, assessment_cost, cost, benefit_cost
        FROM (SELECT person, fiscal_year, agency_id, count(*) AS events,
                     count(*) FILTER (WHERE {ASSESSMENT}) AS assessments,
                     coalesce(sum(cost) FILTER (WHERE {ASSESSMENT}), 0) AS assessment_cost, sum(cost) AS cost,
                     coalesce(sum(cost) FILTER (WHERE {BENEFIT}), 0) AS benefit_cost
              FROM cohort_event GROUP BY person, fiscal_year, agency_id)
        JOIN cohort_person USING (person)""")
    replace_rows(con, "cohort_assessment", f"""
        SELECT person, fiscal_year, agency_id, service, count(*) AS assessments FROM cohort_event
        WHERE {ASSESSMENT} GROUP BY ALL""")


@dataclass(frozen=True)
class Linked:
    """People seen by an agency (or by agencies whose files use one kind of identifier), and how many of them
    another agency saw too."""
    name: str
    people: int
    linked: int


@dataclass(frozen=True)
class Linkage:
    """How well the files linked, over every year loaded."""
    agencies: list[Linked]
    identifier_types: dict[str, list[str]]  # agency -> the kinds of person identifier its files use
    kinds: list[Linked]
    people: int
    households_of_one: int   # people alone in their household
    no_household: int        # of whom in no household any file names


def linkage(con: StoreConnection) -> Linkage:
    """The linkage rate by agency and by kind of identifier, and the people in households of one.

    Runs on the workspace's engine. A person is linked when the events of more than one agency carry
    the same pseudonym, that is the same identifier once spaces, dashes and case are set aside.
    """
    kinds = _identifier_types(con)
    by_kind: dict[str, list[str]] = {}
    for agency, names in kinds.items():
        for name in names:
            by_kind.setdefault(name, []).append(agency)
    counted = {**{("agency", a): [a] for a in kinds}, **{("kind", k): agencies for k, agencies in by_kind.items()}}
    columns = ", ".join(
        f"count(DISTINCT CASE WHEN {_among(agencies)} THEN person END), "
        f"count(DISTINCT CASE WHEN {_among(agencies)} AND agencies > 1 THEN person END)" for agencies in counted.values())
    row = fetch_aggregate(con, f"""
        WITH seen AS (SELECT DISTINCT person, agency_id FROM cohort_person_agency),
        spread AS (SELECT person, count(*) AS agencies FROM seen GROUP BY person)
        SELECT {columns} FROM seen JOIN spread USING (person)""")
    figures = {key: Linked(key[1], *row[2 * i:2 * i + 2]) for i, key in enumerate(counted)}
    people, alone, unnamed = fetch_aggregate(con, """
        WITH sizes AS (SELECT household_key, count(*) AS n, max(CASE WHEN household_known THEN 1 ELSE 0 END) AS named
                       FROM cohort_person GROUP BY household_key)
        SELECT sum(n), sum(CASE WHEN n = 1 THEN 1 ELSE 0 END), sum(CASE WHEN n = 1 AND named = 0 THEN 1 ELSE 0 END)
        FROM sizes""")
    return Linkage(sorted((v for k, v in figures.items() if k[0] == "agency"), key=lambda f: (-f.people, f.name)),
                   kinds, sorted((v for k, v in figures.items() if k[0] == "kind"), key=lambda f: (-f.people, f.name)),
                   int(people or 0), int(alone or 0), int(unnamed or 0))


def _among(agencies: list[str]) -> str:
    return "agency_id IN (" + ", ".join(_sql_text(a) for a in agencies) + ")"


def _identifier_types(con: StoreConnection) -> dict[str, list[str]]:
    """Each agency with events, and the kinds of person identifier (by the column's header) its files use."""
    rows = con.execute("""
        SELECT DISTINCT e.agency_id, f.mapping
        FROM (SELECT DISTINCT file_id, agency_id FROM cohort_event) e JOIN cohort_file f USING (file_id)""").fetchall()
    kinds: dict[str, set[str]] = {}
    for agency, mapping in rows:
        header = json.loads(mapping)["person_id"]
        kinds.setdefault(agency, set()).add(identifier_type(header))
    return {agency: sorted(names) for agency, names in sorted(kinds.items())}


def balances(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Each loaded event file's rows and cost: read = loaded + rejected."""
    return con.execute("""
        SELECT path, agency_id, rows_read, rows_loaded, rows_rejected, blank_rows,
               cost_read, cost_loaded, cost_rejected
        FROM cohort_file ORDER BY path""").fetchall()


def rejections(con: StoreConnection, limit: int | None = None) -> list[tuple]:
    """Rejected event rows: file, row, column, reason, and text with identifiers pseudonymised."""
    return con.execute(f"""
        SELECT f.path, r.row_number, r.column_name, r.reason, r.raw_text
        FROM cohort_rejected_row r JOIN cohort_file f USING (file_id)
        ORDER BY f.path, r.row_number {f'LIMIT {int(limit)}' if limit else ''}""").fetchall()
