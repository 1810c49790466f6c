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
    read_as: str = ""  # what differs from the usual: gross amounts, month-first dates, month precision


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
        """WITH months AS (SELECT file_id, count(*) AS lines FROM spend_line
                           WHERE date_precision = 'month' GROUP BY 1)
           SELECT path, agency_id, rows_read, rows_loaded, rows_rejected,
                  money_read, money_loaded, money_rejected,
                  coalesce(strftime(period_start, '%Y-%m') ||
                      CASE WHEN period_end > period_start THEN ' to ' || strftime(period_end, '%Y-%m') ELSE '' END,
                      '(no dated rows)'),
                  reading->>'amount_basis', (reading->>'month_first')::BOOLEAN, reading->>'name_month',
                  coalesce(m.lines, 0)
           FROM source_file LEFT JOIN months m USING (file_id) ORDER BY agency_id, path"""
    ).fetchall()
    return [FileBalance(*r[:9], _read_as(*r[9:])) for r in rows]


def _read_as(basis: str | None, month_first: bool | None, name_month: str | None, month_lines: int) -> str:
    """How a file was read, where it differs from the usual (amounts as published, dates day-first to the day)."""
    said = [f"{basis} amounts"] if basis in ("net", "gross") else []
    said += ["month-first dates"] if month_first else []
    said += [f"month from its name ({name_month[:7]})"] if name_month else (
        [f"{month_lines:,} lines at month precision"] if month_lines else [])
    return "; ".join(said)


@dataclass(frozen=True)
class LineFlags:
    """An agency's lines that carry less than the usual: no day in their date, or no supplier's name."""

    agency_id: str
    month_lines: int
    month_amount: Decimal
    redacted_lines: int
    redacted_amount: Decimal


def line_flags(con: duckdb.DuckDBPyConnection) -> list[LineFlags]:
    """Per agency: lines at month precision, and lines whose supplier the publisher withheld (both counted)."""
    rows = con.execute(
        """SELECT agency_id,
                  count(*) FILTER (WHERE date_precision = 'month'),
                  coalesce(sum(amount) FILTER (WHERE date_precision = 'month'), 0),
                  count(*) FILTER (WHERE supplier_redacted),
                  coalesce(sum(amount) FILTER (WHERE supplier_redacted), 0)
           FROM spend_line GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    return [LineFlags(*r) for r in rows]


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
