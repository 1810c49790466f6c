"""What the store holds: files and their balance, months covered and gaps, payments in two files.

A month counts as covered when a loaded file reports on it (see the loader's
file period). A month inside an agency's span that no file covers is a gap:
unknown, not zero. A sheet of a workbook is a file of its own here, named
with its sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from totalplace.ingest.load import Destination, FileReport, load_file
from totalplace.ingest.sources import sha256_of
from totalplace.store.connection import StoreConnection, scratch_store
from totalplace.store.schema import PAYMENT_KEY
from totalplace.workspace import Agency, Workspace

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


def file_balances(con: StoreConnection) -> list[FileBalance]:
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


@dataclass(frozen=True)
class LineFlags:
    """An agency's lines that carry less than the usual: no day in their date, or no supplier's name."""

    agency_id: str
    month_lines: int
    month_amount: Decimal
    redacted_lines: int
    redacted_amount: Decimal


def line_flags(con: StoreConnection) -> list[LineFlags]:
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


def month_coverage(con: StoreConnection) -> list[MonthCoverage]:
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


def likely_duplicates(con: StoreConnection) -> list[LikelyDuplicate]:
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


def rejections(con: StoreConnection, limit: int | None = None) -> list[Rejection]:
    rows = con.execute(
        f"""SELECT {FILE_NAME}, r.row_number, r.column_name, r.reason, r.raw_text
            FROM rejected_row r JOIN source_file f USING (file_id)
            ORDER BY f.path, f.sheet, r.row_number {f'LIMIT {int(limit)}' if limit else ''}"""
    ).fetchall()
    return [Rejection(*r) for r in rows]


@dataclass(frozen=True)
class AgencyYear:
    """How many months of one fiscal year an agency's files cover (a file covers the months it reports on)."""

    agency_id: str
    fiscal_year: str
    months_covered: int
    missing: list[str]  # 'YYYY-MM' of each month of the year no file covers

    @property
    def part_year(self) -> bool:
        return bool(self.missing)

    def said(self, name: str | None = None) -> str:
        """'Leeds council: 11 of 12 months (PART YEAR: no file for 2011-08)', as every output says it, the agency
        by its `name` (its id when none is given)."""
        who = name or self.agency_id
        if not self.months_covered:
            return f"{who}: no file for {self.fiscal_year} (PART YEAR: nothing counted)"
        months = len(self.missing) + self.months_covered
        if not self.missing:
            return f"{who}: {self.months_covered} of {months} months"
        return f"{who}: {self.months_covered} of {months} months (PART YEAR: no file for {', '.join(self.missing)})"


def fiscal_months(fiscal_year: str) -> list[date]:
    """The first day of each month of a fiscal year, April to March."""
    start = int(fiscal_year[:4])
    return [date(start + (m < 4), m, 1) for m in (*range(4, 13), *range(1, 4))]


def agency_years(con: StoreConnection, fiscal_year: str | None = None) -> list[AgencyYear]:
    """Every agency's months covered in a year (every agency of the place, files or none); or, with no year,
    in each year some agency has lines in."""
    agencies = [r[0] for r in con.execute(
        "SELECT agency_id FROM agency UNION SELECT agency_id FROM source_file ORDER BY 1").fetchall()]
    periods = con.execute("SELECT agency_id, period_start, period_end FROM source_file "
                          "WHERE period_start IS NOT NULL").fetchall()
    years = [fiscal_year] if fiscal_year else [r[0] for r in con.execute(
        "SELECT DISTINCT fiscal_year FROM spend_line ORDER BY 1").fetchall()]
    covered: dict[str, set[date]] = {a: set() for a in agencies}
    for agency, first, last in periods:
        month = date(first.year, first.month, 1)
        while month <= last:
            covered[agency].add(month)
            month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    found = []
    for year in years:
        months = fiscal_months(year)
        for agency in agencies:
            have = [m for m in months if m in covered[agency]]
            missing = [m.strftime("%Y-%m") for m in months if m not in covered[agency]]
            found.append(AgencyYear(agency, year, len(have), missing))
    return found


def preview_load(loaded: Destination, workspace: Workspace, agency: Agency, path: Path,
                 limit: int) -> tuple[FileReport, list[Rejection]]:
    """What loading the file would do, and its first `limit` rejected rows: the loader itself, run into a
    scratch database that knows what the store holds (`loaded`, so a file already loaded reads as such).
    The store is untouched, and not held while the file is read."""
    with scratch_store() as scratch:
        return load_file(scratch, workspace, agency, path, sha256_of(path), loaded), rejections(scratch, limit)
