"""What the store holds: files and their balance, months covered and gaps, duplicates.

A month counts as covered when a loaded file reports on it (see the loader's
file period). A month inside an agency's span that no file covers is a gap:
unknown, not zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb


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
    agency_id: str
    transaction_ref: str
    amount: Decimal
    places: str  # 'file row; file row'


def file_balances(con: duckdb.DuckDBPyConnection) -> list[FileBalance]:
    rows = con.execute(
        """SELECT path, agency_id, rows_read, rows_loaded, rows_rejected,
                  money_read, money_loaded, money_rejected,
                  coalesce(strftime(period_start, '%Y-%m') ||
                      CASE WHEN period_end > period_start THEN ' to ' || strftime(period_end, '%Y-%m') ELSE '' END,
                      '(no dated rows)')
           FROM source_file ORDER BY agency_id, path"""
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


def likely_duplicates(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[LikelyDuplicate]:
    """Payments whose transaction reference and amount appear in more than one file."""
    rows = con.execute(
        f"""SELECT s.agency_id, s.transaction_ref, s.amount,
                   string_agg(f.path || ' row ' || s.row_number, '; ' ORDER BY f.path, s.row_number)
            FROM spend_line s JOIN source_file f USING (file_id)
            WHERE s.transaction_ref IS NOT NULL
            GROUP BY 1, 2, 3
            HAVING count(DISTINCT s.file_id) > 1
            ORDER BY abs(s.amount) DESC LIMIT {int(limit)}"""
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
        f"""SELECT f.path, r.row_number, r.column_name, r.reason, r.raw_text
            FROM rejected_row r JOIN source_file f USING (file_id)
            ORDER BY f.path, r.row_number {f'LIMIT {int(limit)}' if limit else ''}"""
    ).fetchall()
    return [Rejection(*r) for r in rows]
