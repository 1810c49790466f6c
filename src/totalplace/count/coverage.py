"""What the store holds: files and their balance, months covered and gaps, payments in two files.

A month counts as covered when a loaded file reports on it (see the loader's
file period). A month inside an agency's span that no file covers is a gap:
unknown, not zero. A sheet of a workbook is a file of its own here, named
with its sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from totalplace.store.schema import PAYMENT_KEY

# How a file (or a sheet of a workbook) is named to a user.
FILE_NAME = "f.path || coalesce(' (sheet ' || f.sheet || ')', '')"


@dataclass(frozen=True)
class FileBalance:
    path: str
    agency_id: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    money_read: Decimal
    money_loaded: Decimal
    money_rejected: Decimal
    period: str
    notes: list[str]  # how it was read, where a user should know


@dataclass(frozen=True)
class MonthCoverage:
    agency_id: str
    month: str
    files: int
    lines: int
    amount: Decimal
    gap: bool


@dataclass(frozen=True)
class LikelyDuplicate:
    """One payment found in more than one file (see schema.PAYMENT_KEY)."""

    agency_id: str
    payment_date: str
    amount: Decimal
    supplier: str | None
    transaction_ref: str | None
    files: int
    counted_twice: Decimal  # the money counted more than once: the amount for each copy after the first
    places: str  # 'file row; file row'


def file_balances(con: duckdb.DuckDBPyConnection) -> list[FileBalance]:
    rows = con.execute(
        f"""SELECT {FILE_NAME}, agency_id, rows_read, rows_loaded, rows_rejected,
                  money_read, money_loaded, money_rejected,
                  coalesce(strftime(period_start, '%Y-%m') ||
                      CASE WHEN period_end > period_start THEN ' to ' || strftime(period_end, '%Y-%m') ELSE '' END,
                      '(no dated rows)'),
                  coalesce(reading_notes, [])
           FROM source_file f ORDER BY agency_id, path, sheet"""
    ).fetchall()
    return [FileBalance(*r) for r in rows]


def month_coverage(con: duckdb.DuckDBPyConnection) -> list[MonthCoverage]:
    """Every month from each agency's first to last covered month, with gaps marked."""
    rows = con.execute(
        """WITH spans AS (
               SELECT agency_id, min(period_start) AS first, max(period_end) AS last
               FROM source_file WHERE period_start IS NOT NULL GROUP BY 1),
           months AS (
               SELECT agency_id, unnest(generate_series(first, last, INTERVAL 1 MONTH)::DATE[]) AS month
               FROM spans),
           covered AS (
               SELECT m.agency_id, m.month, count(f.file_id) AS files
               FROM months m LEFT JOIN source_file f
                 ON f.agency_id = m.agency_id AND m.month BETWEEN f.period_start AND f.period_end
               GROUP BY 1, 2),
           spent AS (
               SELECT agency_id, date_trunc('month', payment_date)::DATE AS month,
                      count(*) AS lines, sum(amount) AS amount
               FROM spend_line GROUP BY 1, 2)
           SELECT c.agency_id, strftime(c.month, '%Y-%m'), c.files,
                  coalesce(s.lines, 0), coalesce(s.amount, 0), c.files = 0
           FROM covered c LEFT JOIN spent s USING (agency_id, month)
           ORDER BY 1, 2"""
    ).fetchall()
    return [MonthCoverage(*r) for r in rows]


def likely_duplicates(con: duckdb.DuckDBPyConnection) -> list[LikelyDuplicate]:
    """Every payment found in more than one file, by its content, largest first."""
    rows = con.execute(
        f"""WITH keyed AS (SELECT *, {PAYMENT_KEY} AS payment FROM spend_line),
            repeated AS (SELECT payment FROM keyed GROUP BY payment HAVING count(DISTINCT file_id) > 1)
            SELECT k.agency_id, strftime(k.payment_date, '%Y-%m-%d'), k.amount, any_value(k.supplier_name),
                   any_value(k.transaction_ref), count(DISTINCT k.file_id),
                   k.amount * (count(DISTINCT k.file_id) - 1),
                   string_agg({FILE_NAME} || ' row ' || k.row_number, '; ' ORDER BY f.path, k.row_number)
            FROM keyed k JOIN repeated USING (payment) JOIN source_file f USING (file_id)
            GROUP BY k.payment, k.agency_id, k.payment_date, k.amount
            ORDER BY abs(k.amount) DESC, 2, 8"""
    ).fetchall()
    return [LikelyDuplicate(*r) for r in rows]


@dataclass(frozen=True)
class Rejection:
    path: str
    row_number: int
    column_name: str
    reason: str
    raw_text: str


def rejections(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> list[Rejection]:
    rows = con.execute(
        f"""SELECT {FILE_NAME}, r.row_number, r.column_name, r.reason, r.raw_text
            FROM rejected_row r JOIN source_file f USING (file_id)
            ORDER BY f.path, f.sheet, r.row_number {f'LIMIT {int(limit)}' if limit else ''}"""
    ).fetchall()
    return [Rejection(*r) for r in rows]
