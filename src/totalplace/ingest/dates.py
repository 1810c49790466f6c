"""How a file's dates are read, decided from the file itself: the order, the precision, the source.

- Order: a date like 3/31/2021 can only be month-first, 31/3/2021 only
  day-first. A file is read month-first when more of its dates can only be
  read that way than the other; each date that reads only one way is read
  that way whatever the file's order (files merged from several publications
  mix them). A file whose every date reads either way is read day-first, the
  UK order, and says so.
- Precision: a month ('2012-06', 'Jun-12'), or a period code ('201503',
  '2013-P05', 'P05' with the year from a year column or the file name), places
  a payment in its month; the line is marked as month precision.
- Source: a file with no date column takes the month its name gives
  ('spend-2019-06.csv', 'June 2019.xlsx'), at month precision.
The SQL that reads the cells is in ingest/parse.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from totalplace.errors import InputError
from totalplace.ingest.columns import ColumnMapping
from totalplace.ingest.profile import (
    BARE_PERIOD, DAY_FIRST, MONTH, MONTH_FIRST, NUMERIC_DATE, PERIOD, ColumnProfile, date_order_counts,
)

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_WORD = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_NAME_MONTHS = (  # (pattern, year group, month group), tried in turn on the file's name
    (re.compile(r"(?<!\d)((?:19|20)\d{2})[-_. ]?(0[1-9]|1[0-2])(?!\d)"), 1, 2),                 # 2019-06, 201906
    (re.compile(rf"(?<![a-z]){_MONTH_WORD}[-_. ,]*((?:19|20)\d{{2}}|\d{{2}})(?!\d)"), 2, 1),      # June 2019, jun19
    (re.compile(rf"(?<!\d)((?:19|20)\d{{2}})[-_. ]*{_MONTH_WORD}"), 1, 2),                       # 2019 June
    (re.compile(r"(?<!\d)(0[1-9]|1[0-2])[-_.]((?:19|20)\d{2})(?!\d)"), 2, 1),                   # 06-2019
)
_NAME_FISCAL_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_/ ]?(\d{2})(?!\d)")  # 2013-14, 201314
_FISCAL_CODE = re.compile(r"^\s*(?:19|20)\d{2}1[3-6]\s*$")  # period 13 to 16: six-digit codes are fiscal periods


@dataclass(frozen=True)
class DateReading:
    """How one file's dates are read."""

    month_first: bool = False
    fiscal_codes: bool = False  # six-digit codes are fiscal periods (201501 = April 2015), not calendar months
    fiscal_year: int | None = None  # the financial year (its first year) a bare period code belongs to
    name_month: date | None = None  # a file with no date column: the month its name gives
    notes: tuple[str, ...] = ()
    months: bool = False  # dates with no day (a month, a period code) were seen: they are looked for

    @property
    def no_days(self) -> bool:
        """Some or all of the file's dates are months: its rows' months are read where they have no day."""
        return self.months or self.name_month is not None


def month_in_name(name: str) -> date | None:
    """The month a file's name gives ('spend-2019-06.csv', 'June 2019.xlsx', 'jun19.csv'), if any."""
    stem = name.lower()
    for pattern, year_group, month_group in _NAME_MONTHS:
        found = pattern.search(stem)
        if found:
            year, month = found.group(year_group), found.group(month_group)
            year_number = int(year) if len(year) == 4 else 2000 + int(year)
            month_number = int(month) if month.isdigit() else _MONTHS.index(month[:3]) + 1
            return date(year_number, month_number, 1)
    return None


def fiscal_year_in_name(name: str) -> int | None:
    """The first year of a financial year a file's name gives ('2013-14', '201314'), if any."""
    for found in _NAME_FISCAL_YEAR.finditer(name):
        first, second = int(found.group(1)), int(found.group(2))
        if (first + 1) % 100 == second:
            return first
    return None


def read_dates(mapping: ColumnMapping, profiles: list[ColumnProfile], rows: pa.Table, file_name: str,
               path: str) -> DateReading:
    """How the file's dates are read, from its date column's cells (or its name, when it has none)."""
    if "payment_date" not in mapping.columns:
        month = month_in_name(file_name)
        return DateReading(name_month=month, notes=(
            f"no date column: every payment is placed in {month:%B %Y}, the month the file's name gives "
            "(month precision)",) if month else ())
    index = mapping.columns["payment_date"]
    profile, cells = profiles[index], rows[f"c{index}"]
    month_first, order_note = _order(profile, cells, rows.num_rows)
    notes = [order_note] if order_note else []
    months = bool(profile.count(MONTH) or profile.count(PERIOD) or profile.count(BARE_PERIOD))
    if months:
        notes.append("dates at month precision (a month or a period code, no day) place a payment in its month")
    fiscal_codes = bool(profile.count(PERIOD)) and bool(pc.any(pc.match_substring_regex(cells, _FISCAL_CODE.pattern)).as_py())
    if fiscal_codes:
        notes.append("six-digit period codes are read as financial periods (period 13 or more is in the file): "
                     "201501 is April 2015")
    fiscal_year = None
    if _bare_periods(profile) and "period_year" not in mapping.columns:
        fiscal_year = fiscal_year_in_name(file_name)
        if fiscal_year is None:
            raise InputError(f"{path}: the column {mapping.header_of('payment_date')!r} holds period numbers "
                             "without a year; add a year column (e.g. 'Financial Year') or put the financial "
                             "year in the file's name (e.g. 2013-14)")
        notes.append(f"period numbers are months of the financial year {fiscal_year}-{(fiscal_year + 1) % 100:02d}, "
                     "from the file's name")
    return DateReading(month_first, fiscal_codes, fiscal_year, None, tuple(notes), months)


def _bare_periods(profile: ColumnProfile) -> bool:
    """Most cells are period numbers with no year (5, P05)."""
    return profile.filled > 0 and profile.count(BARE_PERIOD) >= profile.filled / 2


def _order(profile: ColumnProfile, cells: pa.ChunkedArray, rows: int) -> tuple[bool, str]:
    """Whether the column's dates are month-first, and what to say about it (nothing when its dates
    are written in a form whose order is plain: ISO, or the month in words)."""
    if not profile.count(NUMERIC_DATE):
        return False, ""
    day, month = profile.count(DAY_FIRST), profile.count(MONTH_FIRST)
    where = "of the rows sampled"
    if profile.sampled < rows and not (day or month):
        day, month = date_order_counts(cells)  # the whole column: a rare date that reads only one way settles it
        where = "in the file"
    if month > day:
        mixed = f", {day:,} only day-first (each read its own way)" if day else ""
        return True, f"dates read month-first: {month:,} {where} can only be month-first (e.g. 3/31/2021){mixed}"
    if day and month:
        return False, (f"dates read day-first: {day:,} {where} can only be day-first, {month:,} only month-first "
                       "(each read its own way)")
    if not day:
        return False, "every date reads either way (day and month both 12 or less): read day-first, the UK order"
    return False, ""
