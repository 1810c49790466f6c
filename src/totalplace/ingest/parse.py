"""Parsing dates and amounts as DuckDB SQL macros, so the whole file is parsed in one pass.

The macros are the only parser: the loader and the tests both use them.

Amounts: '£1,234.56', ' 1,234.56 ', '(1,234.56)' and '1,234.56-' (negatives),
'-£12', '£-12'. A comma is a thousands separator only between groups of three
digits ('234,56' is no amount). At most two decimal places: money is held in
pence, exactly; four or more are Excel's float noise ('1234.5600000000002')
when they are within a tenth of a penny of a whole penny, and are rounded to it. A file
written with decimal commas ('1.234,56') is read with them (see amount_sql).
Dates: ISO '2018-04-12', '12/04/2018', '12/04/18', '06-Apr-2011', '30-May-12',
'6 April 2011', ISO date-times, and Excel serial day numbers (e.g. 43202).
"""

from __future__ import annotations

from datetime import date

import duckdb

MONEY = "DECIMAL(18,2)"
NOISE = "0.001"  # Excel's float noise: within a tenth of a penny of a whole penny
PLAIN_AMOUNT = r"-?\d{1,16}(\.\d{1,2})?"  # most amounts: a cast reads them
EXCEL_EPOCH = "DATE '1899-12-30'"  # Excel's day 0, allowing for its 1900 leap-year bug
# Two-digit-year forms come first: '%Y' would read '18' in '12/04/18' as the year 18.
DATE_FORMATS = [
    "%d/%m/%y", "%d-%b-%y", "%d-%m-%y", "%Y-%m-%d", "%d/%m/%Y", "%d-%b-%Y", "%d-%m-%Y", "%d.%m.%Y",
    "%d %b %Y", "%d %B %Y", "%d-%B-%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y/%m/%d",
]
# Month-first forms ('3/31/2021', as some NHS systems export): a file whose own dates say it is
# month-first tries them first, any other file after the day-first forms (see ingest/dates.py).
MONTH_FIRST_FORMATS = [
    "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
]
# Forms whose day and month cannot be swapped (year first, or the month in words): either order reads them.
ORDERLESS_FORMATS = [f for f in DATE_FORMATS if f.startswith("%Y") or "%b" in f or "%B" in f]
# A month with no day: the payment is placed in that month, at month precision.
MONTH_FORMATS = ["%Y-%m", "%Y/%m", "%b-%y", "%b-%Y", "%B-%y", "%B-%Y", "%b %Y", "%B %Y", "%b %y", "%B %y",
                 "%m/%Y", "%m-%Y", "%m.%Y", "%Y %b", "%Y %B", "%Y-%b", "%b%y"]
# Dates outside these years are typing errors, not payments (e.g. 20118 read as a serial).
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
LIKELY_SAMPLE = 100  # filled-in date cells looked at to find a column's likely form

# Parsing is split in two steps (parts, then value) so that a query can compute
# the parts once per row in one SELECT and derive the value in the next:
# macros are expanded inline, and a part used twice would be computed twice.
MACROS = f"""
CREATE OR REPLACE TEMP MACRO tp_blank(s) AS coalesce(trim(s), '') = '';
CREATE OR REPLACE TEMP MACRO tp_amount_parts(s) AS regexp_extract(
    regexp_replace(coalesce(s, ''), '[£\\s]|GBP', '', 'g'),
    '^([(]?)([-+]?)((?:\\d{{1,3}}(?:,\\d{{3}})+|\\d{{1,16}})(?:\\.\\d{{0,20}})?|\\.\\d{{1,20}})(-?)([)]?)$',
    ['open', 'sign', 'digits', 'trail', 'close']);
-- Pounds and pence from plain digits. Four or more decimal places may be float noise; three never
-- are, so that no text is an amount both with a decimal point and with a decimal comma ('1,000').
CREATE OR REPLACE TEMP MACRO tp_penny_of_noise(x) AS CASE
    WHEN abs(x - round(x, 2)) < {NOISE} THEN CAST(round(x, 2) AS {MONEY}) END;
CREATE OR REPLACE TEMP MACRO tp_amount_number(d) AS CASE
    WHEN NOT regexp_matches(d, '\\.\\d{{3}}') THEN TRY_CAST(d AS {MONEY})
    WHEN regexp_matches(d, '\\.\\d{{4}}') THEN tp_penny_of_noise(TRY_CAST(d AS DECIMAL(38,20))) END;
CREATE OR REPLACE TEMP MACRO tp_amount_value(p) AS CASE
    WHEN p.digits <> '' AND (p.open = '') = (p.close = '')
         AND (p.open <> '')::INT + (p.sign = '-')::INT + (p.trail = '-')::INT <= 1
    THEN tp_amount_number(replace(p.digits, ',', ''))
         * CASE WHEN p.open <> '' OR p.sign = '-' OR p.trail = '-' THEN -1 ELSE 1 END
    END;
-- Most amounts are plainly written ('1234.56', '-12'): a cast reads them without
-- the extraction; every other form goes through parts and value.
CREATE OR REPLACE TEMP MACRO tp_amount(s) AS CASE
    WHEN regexp_full_match(s, '{PLAIN_AMOUNT}') THEN CAST(s AS {MONEY})
    ELSE tp_amount_value(tp_amount_parts(s)) END;
-- A blank cell is no date; testing that first spares trying every form on it.
CREATE OR REPLACE TEMP MACRO tp_date_any(s) AS CASE WHEN NOT tp_blank(s) THEN coalesce(
    CAST(try_strptime(trim(s), {DATE_FORMATS!r}) AS DATE),
    CASE WHEN regexp_full_match(trim(s), '\\d{{5}}(\\.0+)?')
         THEN {EXCEL_EPOCH} + CAST(CAST(trim(s) AS DOUBLE) AS INTEGER) END) END;
CREATE OR REPLACE TEMP MACRO tp_date_value(d) AS CASE
    WHEN year(d) BETWEEN {EARLIEST_YEAR} AND {LATEST_YEAR} THEN d END;
CREATE OR REPLACE TEMP MACRO tp_date(s) AS tp_date_value(tp_date_any(s));
CREATE OR REPLACE TEMP MACRO tp_fiscal_year(d) AS
    CAST(year(d) - CASE WHEN month(d) < 4 THEN 1 ELSE 0 END AS VARCHAR) || '-'
    || lpad(CAST((year(d) - CASE WHEN month(d) < 4 THEN 1 ELSE 0 END + 1) % 100 AS VARCHAR), 2, '0');
"""


# Months and period codes (see ingest/dates.py). A financial period p of the year starting in April
# of year fy: period 1 is April, 12 is March; 13 to 16 are the year-end adjustments, placed in March.
MONTH_MACROS = f"""
-- Month-first forms only: tried after the day-first ones (tp_date_any), or before them for a month-first file.
CREATE OR REPLACE TEMP MACRO tp_date_us(s) AS CASE WHEN NOT tp_blank(s) THEN
    TRY_CAST(try_strptime(trim(s), {MONTH_FIRST_FORMATS!r}) AS DATE) END;
CREATE OR REPLACE TEMP MACRO tp_fiscal_month(fy, p) AS CASE WHEN p BETWEEN 1 AND 16
    THEN make_date(TRY_CAST(fy AS INTEGER) + CASE WHEN least(p, 12) >= 10 THEN 1 ELSE 0 END,
                   (least(p, 12) + 2) % 12 + 1, 1) END;
CREATE OR REPLACE TEMP MACRO tp_period(s, fy, fiscal) AS CASE
    WHEN regexp_full_match(s, '(19|20)\\d{{2}}(0[1-9]|1[0-2])') AND NOT fiscal
        THEN make_date(TRY_CAST(s[1:4] AS INTEGER), TRY_CAST(s[5:6] AS INTEGER), 1)
    WHEN regexp_full_match(s, '(19|20)\\d{{2}}(0[1-9]|1[0-6])')
        THEN tp_fiscal_month(TRY_CAST(s[1:4] AS INTEGER), TRY_CAST(s[5:6] AS INTEGER))
    WHEN regexp_full_match(s, '(19|20)\\d{{2}}([-/]\\d{{2}})?[-/ ]?P\\d{{1,2}}')
        THEN tp_fiscal_month(TRY_CAST(s[1:4] AS INTEGER), TRY_CAST(regexp_extract(s, 'P(\\d{{1,2}})$', 1) AS INTEGER))
    WHEN regexp_full_match(s, '(P|PERIOD ?|MONTH ?)?\\d{{1,2}}')
        THEN tp_fiscal_month(fy, TRY_CAST(regexp_extract(s, '(\\d{{1,2}})$', 1) AS INTEGER))
    END;
-- The first year of a financial year written '2013-14', '2013/14', '201314' or '2013'.
CREATE OR REPLACE TEMP MACRO tp_fiscal_start(s) AS
    TRY_CAST(regexp_extract(trim(s), '^((19|20)\\d{{2}})([-/]?\\d{{2}})?$', 1) AS INTEGER);
CREATE OR REPLACE TEMP MACRO tp_month(s, fy, fiscal) AS CASE WHEN NOT tp_blank(s) THEN coalesce(
    TRY_CAST(try_strptime(trim(s), {MONTH_FORMATS!r}) AS DATE), tp_period(upper(trim(s)), fy, fiscal)) END;
"""


def likely_date_format(con: duckdb.DuckDBPyConnection, relation: str, column: str,
                       month_first: bool = False) -> str | None:
    """The date form most of a column's first rows are written in, among the forms of the column's order.

    Parsing with one known form is many times faster than trying every form
    on every row; rows in another form still fall back to all of them.
    """
    sample = f"SELECT {column} AS cell FROM {relation} WHERE NOT tp_blank({column}) LIMIT {LIKELY_SAMPLE}"
    forms = _forms_to_count(month_first)
    return _most_found(forms, con.execute(f"SELECT {_form_counts(forms)} FROM ({sample})").fetchall()[0],
                       month_first)


def likely_date_formats(con: duckdb.DuckDBPyConnection, relation: str, column: str, key: str,
                        order: str, month_first: frozenset = frozenset()) -> dict:
    """likely_date_format for each value of `key`, its first rows taken in `order`: one query for them all.

    The keys in `month_first` are read month-first. A key whose cells are all blank is left out.
    """
    sample = (f"SELECT {key} AS k, {column} AS cell FROM {relation} WHERE NOT tp_blank({column}) "
              f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {order}) <= {LIKELY_SAMPLE}")
    forms = _forms_to_count(bool(month_first))
    rows = con.execute(f"SELECT k, {_form_counts(forms)} FROM ({sample}) GROUP BY k").fetchall()
    return {k: _most_found(forms, hits, k in month_first) for k, *hits in rows}


def _forms_to_count(any_month_first: bool) -> list[str]:
    """The forms worth trying on the sample: the month-first ones only when some column is read month-first
    (each form tried costs a strptime per sampled cell, and most files are day-first)."""
    return DATE_FORMATS + MONTH_FIRST_FORMATS if any_month_first else DATE_FORMATS


def _form_counts(forms: list[str]) -> str:
    """SQL: how many of the sampled cells each form reads.

    A failed strptime is slow (about 1 us), and every form is tried on every
    sampled value: a short sample of filled-in cells keeps this to a millisecond.
    """
    return ", ".join(f"count(try_strptime(trim(cell), '{form}'))" for form in forms)


def _most_found(counted: list[str], hits: tuple | list, month_first: bool = False) -> str | None:
    """The form of the column's order that read the most cells (the first listed, on a tie), or None."""
    forms = MONTH_FIRST_FORMATS + ORDERLESS_FORMATS if month_first else DATE_FORMATS
    found = dict(zip(counted, hits))
    best = max(forms, key=lambda form: found[form])
    return best if found[best] else None


def date_sql(column: str, likely_form: str | None, month_first: bool = False) -> str:
    """SQL for the date in a column, trying its likely form first, then every form in the column's
    order (day-first or month-first), then every form in the other order."""
    orders = ("tp_date_us", "tp_date_any") if month_first else ("tp_date_any", "tp_date_us")
    every_form = f"coalesce({orders[0]}({column}), {orders[1]}({column}))"
    if likely_form is None:
        return every_form
    # the range check makes '30-May-12' under '%d-%b-%Y' (year 12) fall back to the other forms
    return f"coalesce(tp_date_value(CAST(try_strptime(trim({column}), '{likely_form}') AS DATE)), {every_form})"


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Define the parsing macros on a connection (they are temporary: per connection)."""
    con.execute(MACROS)
    con.execute(MONTH_MACROS)


# --------------------------------------------------------------------------- decimal commas

DECIMAL_SAMPLE = 200  # amount cells with a '.' or ',' looked at to tell a file's decimal mark


def amount_sql(cell: str, decimal_comma: bool) -> str:
    """SQL for the amount in a cell of a file written with decimal points or (decimal_comma) commas.

    A decimal-comma file is read by swapping its marks: '1.234,56' becomes
    '1,234.56'. Either way a cell in the other convention reads as no amount,
    never as another amount: no text is a valid amount both ways.
    """
    return f"tp_amount({_with_decimal_point(cell, decimal_comma)})"


def _with_decimal_point(cell: str, decimal_comma: bool) -> str:
    return f"translate({cell}, '.,', ',.')" if decimal_comma else cell


def rounded_amount_sql(cell: str, decimal_comma: bool) -> str:
    """SQL: the cell's amount has four or more decimal places (so, if it is read, it was rounded from noise)."""
    text = _with_decimal_point(cell, decimal_comma)
    return f"CASE WHEN regexp_full_match({cell}, '{PLAIN_AMOUNT}') THEN FALSE ELSE regexp_matches({text}, '\\.\\d{{4}}') END"


def amount_problems(cell: str, decimal_comma: bool) -> list[tuple[str, str]]:
    """(SQL condition, SQL reason) for an amount that did not read, where the reason is more than 'not an amount'."""
    mark, other = ("comma", "point") if decimal_comma else ("point", "comma")
    separator = r"\d\.\d{1,2}(\D|$)" if decimal_comma else r"\d,\d{1,2}(\D|$)"
    quoted = f"'''' || {cell} || ''''"
    return [
        (f"amount IS NULL AND regexp_matches({cell}, '{separator}')",
         f"{quoted} || ' is not an amount: its {other} is not a thousands separator, and this file writes "
         f"decimals with a {mark}'"),
        (f"amount IS NULL AND regexp_matches({_with_decimal_point(cell, decimal_comma)}, '\\d\\.\\d{{3}}')",
         f"{quoted} || ' has more than two decimal places: amounts are in pounds and pence (Excel''s float "
         f"noise, four or more places within a tenth of a penny, is rounded; this is not)'"),
    ]


def likely_decimal_commas(con: duckdb.DuckDBPyConnection, relation: str, column: str, key: str,
                          order: str) -> dict:
    """For each value of `key`: whether its amounts are written with decimal commas ('1.234,56', '12,5').

    Among its first cells with a '.' or ',' (in `order`), those that read only
    with a decimal comma must outnumber those that read only with a point.
    """
    sample = (f"SELECT {key} AS k, {column} AS cell FROM {relation} WHERE regexp_matches({column}, '[.,]') "
              f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {order}) <= {DECIMAL_SAMPLE}")
    parts = (f"SELECT k, tp_amount_parts(cell) AS point, tp_amount_parts({_with_decimal_point('cell', True)}) "
             f"AS comma FROM ({sample})")  # the parts once (see MACROS), then the values
    rows = con.execute(f"""
        SELECT k, count(*) FILTER (WHERE tp_amount_value(point) IS NULL AND tp_amount_value(comma) IS NOT NULL),
                  count(*) FILTER (WHERE tp_amount_value(point) IS NOT NULL AND tp_amount_value(comma) IS NULL)
        FROM ({parts}) GROUP BY k""").fetchall()
    return {k: comma_only > point_only for k, comma_only, point_only in rows}


# --------------------------------------------------------------------------- plausible dates

EARLIEST_PLAUSIBLE = date(EARLIEST_YEAR, 1, 1)


def latest_plausible_date(today: date) -> date:
    """The last day of the fiscal year after today's: a later payment date is a typing error."""
    return date(today.year + (2 if today.month >= 4 else 1), 3, 31)


def date_problems(any_date: str, cell: str, latest: date) -> list[tuple[str, str]]:
    """(SQL condition, SQL reason) for a date that reads but cannot be a payment's."""
    quoted = f"'''' || {cell} || ''''"
    year = f"{latest.year - 1}-{latest.year % 100:02d}"
    return [
        (f"{any_date} < DATE '{EARLIEST_PLAUSIBLE}'", f"{quoted} || ' is before {EARLIEST_YEAR}: not a plausible payment date'"),
        (f"{any_date} > DATE '{latest}'",
         f"{quoted} || ' is after the end of the next fiscal year ({year}): not a plausible payment date'"),
    ]
