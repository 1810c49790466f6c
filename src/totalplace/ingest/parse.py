"""Parsing dates and amounts in SQL, so the whole file is parsed in one pass.

The SQL macros themselves (the only parser: the loader and the tests both use them) are the
store's, in store/macros.py; this module picks each column's likely form and builds the loader's queries.

A file written with decimal commas ('1.234,56') is read with them (see amount_sql).
"""

from __future__ import annotations

from datetime import date

import duckdb

from totalplace.store.macros import DATE_FORMATS, EARLIEST_YEAR, MONTH_FIRST_FORMATS, PLAIN_AMOUNT

# Forms whose day and month cannot be swapped (year first, or the month in words): either order reads them.
ORDERLESS_FORMATS = [f for f in DATE_FORMATS if f.startswith("%Y") or "%b" in f or "%B" in f]
LIKELY_SAMPLE = 100  # filled-in date cells looked at to find a column's likely form


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
