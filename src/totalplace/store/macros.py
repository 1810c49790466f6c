"""The store's money type and the SQL macros that parse dates and amounts, installed on every connection.

They live with the store because every connection to it has them (store.connection installs
them) and its tables are declared with MONEY; the loader (ingest/parse.py) builds its queries
on them. The macros are the only parser of payment files: the loader and the tests both use them.

Amounts: '£1,234.56', ' 1,234.56 ', '(1,234.56)' and '1,234.56-' (negatives),
'-£12', '£-12'. A comma is a thousands separator only between groups of three
digits ('234,56' is no amount). At most two decimal places: money is held in
pence, exactly; four or more are Excel's float noise ('1234.5600000000002')
when they are within a tenth of a penny of a whole penny, and are rounded to it.
Dates: ISO '2018-04-12', '12/04/2018', '12/04/18', '06-Apr-2011', '30-May-12',
'6 April 2011', ISO date-times, and Excel serial day numbers (e.g. 43202).
"""

from __future__ import annotations

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
# A month with no day: the payment is placed in that month, at month precision.
MONTH_FORMATS = ["%Y-%m", "%Y/%m", "%b-%y", "%b-%Y", "%B-%y", "%B-%Y", "%b %Y", "%B %Y", "%b %y", "%B %y",
                 "%m/%Y", "%m-%Y", "%m.%Y", "%Y %b", "%Y %B", "%Y-%b", "%b%y"]
# Dates outside these years are typing errors, not payments (e.g. 20118 read as a serial).
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100

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


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Define the parsing macros on a connection (they are temporary: per connection)."""
    con.execute(MACROS)
    con.execute(MONTH_MACROS)
