"""Parsing dates and amounts as DuckDB SQL macros, so the whole file is parsed in one pass.

The macros are the only parser: the loader and the tests both use them.

Amounts: '£1,234.56', ' 1,234.56 ', '(1,234.56)' and '1,234.56-' (negatives),
'-£12', '£-12'. At most two decimal places: money is held in pence, exactly.
Dates: ISO '2018-04-12', '12/04/2018', '12/04/18', '06-Apr-2011', '30-May-12',
'6 April 2011', ISO date-times, and Excel serial day numbers (e.g. 43202).
"""

from __future__ import annotations

import duckdb

MONEY = "DECIMAL(18,2)"
EXCEL_EPOCH = "DATE '1899-12-30'"  # Excel's day 0, allowing for its 1900 leap-year bug
# Two-digit-year forms come first: '%Y' would read '18' in '12/04/18' as the year 18.
DATE_FORMATS = [
    "%d/%m/%y", "%d-%b-%y", "%d-%m-%y", "%Y-%m-%d", "%d/%m/%Y", "%d-%b-%Y", "%d-%m-%Y", "%d.%m.%Y",
    "%d %b %Y", "%d %B %Y", "%d-%B-%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y/%m/%d",
]
# Dates outside these years are typing errors, not payments (e.g. 20118 read as a serial).
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
LIKELY_SAMPLE = 100  # filled-in date cells looked at to find a column's likely form

# Parsing is split in two steps (parts, then value) so that a query can compute
# the parts once per row in one SELECT and derive the value in the next:
# macros are expanded inline, and a part used twice would be computed twice.
MACROS = f"""
CREATE OR REPLACE TEMP MACRO tp_blank(s) AS coalesce(trim(s), '') = '';
CREATE OR REPLACE TEMP MACRO tp_amount_parts(s) AS regexp_extract(
    regexp_replace(coalesce(s, ''), '[£\\s,]|GBP', '', 'g'),
    '^([(]?)([-+]?)(\\d{{1,16}}(?:\\.\\d{{0,2}})?|\\.\\d{{1,2}})(-?)([)]?)$',
    ['open', 'sign', 'digits', 'trail', 'close']);
CREATE OR REPLACE TEMP MACRO tp_amount_value(p) AS CASE
    WHEN p.digits <> '' AND (p.open = '') = (p.close = '')
         AND (p.open <> '')::INT + (p.sign = '-')::INT + (p.trail = '-')::INT <= 1
    THEN TRY_CAST(p.digits AS {MONEY})
         * CASE WHEN p.open <> '' OR p.sign = '-' OR p.trail = '-' THEN -1 ELSE 1 END
    END;
-- Most amounts are plainly written ('1234.56', '-12'): a cast reads them without
-- the extraction; every other form goes through parts and value.
CREATE OR REPLACE TEMP MACRO tp_amount(s) AS CASE
    WHEN regexp_full_match(s, '-?\\d{{1,16}}(\\.\\d{{1,2}})?') THEN CAST(s AS {MONEY})
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


def likely_date_format(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> str | None:
    """The date form most of a column's first rows are written in.

    Parsing with one known form is many times faster than trying every form
    on every row; rows in another form still fall back to all of them.
    """
    sample = f"SELECT {column} AS cell FROM {relation} WHERE NOT tp_blank({column}) LIMIT {LIKELY_SAMPLE}"
    return _most_found(con.execute(f"SELECT {_form_counts()} FROM ({sample})").fetchall()[0])


def likely_date_formats(con: duckdb.DuckDBPyConnection, relation: str, column: str, key: str,
                        order: str) -> dict:
    """likely_date_format for each value of `key`, its first rows taken in `order`: one query for them all.

    A key whose cells are all blank is left out.
    """
    sample = (f"SELECT {key} AS k, {column} AS cell FROM {relation} WHERE NOT tp_blank({column}) "
              f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {order}) <= {LIKELY_SAMPLE}")
    rows = con.execute(f"SELECT k, {_form_counts()} FROM ({sample}) GROUP BY k").fetchall()
    return {k: _most_found(hits) for k, *hits in rows}


def _form_counts() -> str:
    """SQL: how many of the sampled cells each form reads.

    A failed strptime is slow (about 1 us), and every form is tried on every
    sampled value: a short sample of filled-in cells keeps this to a millisecond.
    """
    return ", ".join(f"count(try_strptime(trim(cell), '{form}'))" for form in DATE_FORMATS)


def _most_found(hits: tuple | list) -> str | None:
    """The form that read the most cells (the first listed, on a tie), or None if none read any."""
    best = max(range(len(DATE_FORMATS)), key=lambda i: hits[i])
    return DATE_FORMATS[best] if hits[best] else None


def date_sql(column: str, likely_form: str | None) -> str:
    """SQL for the date in a column, trying its likely form first."""
    if likely_form is None:
        return f"tp_date_any({column})"
    # the range check makes '30-May-12' under '%d-%b-%Y' (year 12) fall back to the other forms
    return (f"coalesce(tp_date_value(CAST(try_strptime(trim({column}), '{likely_form}') AS DATE)), "
            f"tp_date_any({column}))")


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Define the parsing macros on a connection (they are temporary: per connection)."""
    con.execute(MACROS)
