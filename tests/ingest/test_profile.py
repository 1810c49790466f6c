"""The column profiler: what a column's cells hold, counted right, and never claiming what the loader cannot read."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.properties import examples

from totalplace.ingest.profile import (
    DATE, DAY_FIRST, LETTERS, MONEY, MONTH, MONTH_FIRST, NUMBER, PERIOD, SAMPLE_ROWS, WHOLE, date_order_counts,
    profile_column, sample_rows, shape,
)
from totalplace.store import macros

CON = duckdb.connect()
macros.install(CON)
FAST = settings(max_examples=examples(150), deadline=None)

pence = st.integers(-10**10, 10**10)
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))


def money_text(value: int, style: int) -> str:
    """An amount in pence written as publishers write it."""
    pounds = Decimal(abs(value)) / 100
    body = [f"{pounds:.2f}", f"{pounds:,.2f}", f"£{pounds:,.2f}", f" {pounds:.2f} "][style % 4]
    if value < 0:
        return [f"-{body.strip()}", f"({body.strip()})", f"{body.strip()}-"][style % 3]
    return body


@FAST
@given(st.lists(st.tuples(pence, st.integers(0, 11)), min_size=1, max_size=30))
def test_every_written_amount_is_money_and_the_loader_reads_it(values):
    for value, style in values:
        text = money_text(value, style).strip()
        assert shape(text) & MONEY and shape(text) & NUMBER, text
        read = CON.execute("SELECT tp_amount(?)", [text]).fetchone()[0]
        assert read == Decimal(value) / 100, text


@FAST
@given(st.lists(st.tuples(pence, st.integers(0, 11)), min_size=1, max_size=30))
def test_an_amount_written_with_a_decimal_comma_is_a_number(values):
    """1.000.000 and 1.000,50 are numbers in a file that writes a decimal comma: an amount column of them is one
    (a column of such amounts read as text was refused as no amount column at all)."""
    for value, style in values:
        text = money_text(value, style).strip().translate(str.maketrans(",.", ".,"))
        assert shape(text) & NUMBER, text


@pytest.mark.parametrize("text", ["01.02.2018", "1.2.2018", "1.00.000", "1.000.00,5"])
def test_dotted_dates_and_odd_groupings_are_not_numbers(text):
    assert not shape(text) & NUMBER


@FAST
@given(st.text(alphabet="£,.()-+ 0123456789GBPabcxyz/", max_size=14))
def test_the_profiler_never_calls_money_what_the_loader_cannot_read(text):
    text = text.strip()
    if text and shape(text) & MONEY:
        assert CON.execute("SELECT tp_amount(?)", [text]).fetchone()[0] is not None, text


@FAST
@given(days)
def test_a_date_that_reads_one_way_only_is_marked_with_that_order(day):
    day_first, month_first = f"{day.day}/{day.month}/{day.year}", f"{day.month}/{day.day}/{day.year}"
    for text in (day_first, month_first):
        assert shape(text) & DATE
    if day.day > 12:
        assert shape(day_first) & DAY_FIRST and not shape(day_first) & MONTH_FIRST
        assert shape(month_first) & MONTH_FIRST and not shape(month_first) & DAY_FIRST
    else:
        assert not shape(day_first) & (DAY_FIRST | MONTH_FIRST)
    # the loader reads each in the order the profiler says it must be read
    assert CON.execute("SELECT tp_date_any(?)", [day_first]).fetchone()[0] == day
    assert CON.execute("SELECT tp_date_us(?)", [month_first]).fetchone()[0] == day


@FAST
@given(days)
def test_months_and_period_codes_are_not_taken_for_days(day):
    for text in (f"{day.year}-{day.month:02d}", f"{day:%b}-{day:%y}", f"{day:%B} {day.year}", f"{day.month:02d}/{day.year}"):
        assert shape(text) & MONTH and not shape(text) & DATE, text
    assert shape(f"{day.year}{day.month:02d}") & PERIOD
    assert shape(f"{day.year}-P{day.month:02d}") & PERIOD


kinds = st.sampled_from(["money", "date", "text", "id", "blank", "month"])


def cell_of(kind: str, n: int) -> str:
    return {"money": f"{n}.{n % 100:02d}", "date": f"{n % 28 + 1:02d}/0{n % 9 + 1}/2019",
            "text": f"Supplier {n} Ltd", "id": str(10_000_000 + n), "blank": "  ",
            "month": f"2019-{n % 12 + 1:02d}"}[kind]


@FAST
@given(st.lists(st.tuples(kinds, st.integers(0, 500)), min_size=1, max_size=60))
def test_a_column_profile_counts_each_kind_of_cell(cells):
    texts = [cell_of(kind, n) for kind, n in cells]
    profile = profile_column(0, "x", pa.array(texts))
    kind_count = Counter(kind for kind, _ in cells)
    filled = len(cells) - kind_count["blank"]
    assert profile.sampled == len(cells) and profile.filled == filled
    assert profile.distinct == len({t.strip() for t in texts if t.strip()})
    assert profile.count(MONEY) == kind_count["money"] + kind_count["id"]
    assert profile.count(WHOLE) == kind_count["id"]
    assert profile.count(DATE) == kind_count["date"]
    assert profile.count(MONTH) == kind_count["month"]
    assert profile.count(LETTERS) == kind_count["text"]
    if filled:
        assert profile.share(DATE) == kind_count["date"] / filled


@FAST
@given(st.lists(days, min_size=1, max_size=80), st.booleans())
def test_the_whole_column_order_count_finds_every_date_that_reads_one_way(dates, month_first):
    texts = [f"{d.month}/{d.day}/{d.year}" if month_first else f"{d.day}/{d.month}/{d.year}" for d in dates]
    one_way = sum(1 for d in dates if d.day > 12)
    assert date_order_counts(pa.array(texts)) == ((0, one_way) if month_first else (one_way, 0))


@pytest.mark.parametrize("rows", [1, 5, SAMPLE_ROWS, SAMPLE_ROWS + 1, 5000])
def test_the_sample_is_spread_over_the_whole_file(rows):
    table = pa.table({"c0": [str(i) for i in range(rows)]})
    sample = sample_rows(table)
    values = [int(v) for v in sample["c0"].to_pylist()]
    assert len(values) == min(rows, SAMPLE_ROWS) and values[0] == 0 and values[-1] == rows - 1
    assert values == sorted(set(values))
