"""One money module (totalplace.money): one penny, one rounding rule, one parser, one formatter, one per head.

(That deal/ and estate/ take money from here, not the CLI, and store/ imports nothing above itself is
the import-layer contract's: tests/architecture/test_one_way_through.py.)
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from totalplace import money
from totalplace.errors import InputError
from totalplace.inputs import open_workbook
from totalplace.store.macros import MONEY

TWO_PLACES = st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)


@given(TWO_PLACES)
def test_formatted_money_parses_back_to_the_same_amount(amount):
    text = money.format_money(amount)
    assert text.startswith("-£" if amount < 0 else "£")
    assert money.parse_money(text) == amount


@given(TWO_PLACES)
def test_money_in_brackets_or_with_a_trailing_pound_sign_is_read(amount):
    assert money.parse_money(f"({money.format_money(abs(amount))})") == -abs(amount)
    assert money.parse_money(f" {amount:,.2f} ") == amount
    assert money.parse_money(float(amount)) == amount  # a number from Excel, read through its shortest text


@pytest.mark.parametrize("text", ["", "£", "twelve", "1.2.3", "NaN", "Infinity", "()", None, True])
def test_what_is_not_money_is_refused(text):
    with pytest.raises(ValueError, match="not an amount of money"):
        money.parse_money(text)


def test_missing_amount_says_the_word_each_place_needs():
    assert money.format_money(None) == "n/a"
    assert money.format_money(None, missing="suppressed") == "suppressed"
    assert money.format_money(Decimal("1234.5")) == "£1,234.50"
    assert money.format_money(Decimal("-1234.5"), places=0) == "-£1,234"


@pytest.mark.parametrize(("amount", "shown"), [
    ("8934.5", "£8,935"), ("8935.4", "£8,935"), ("-8934.5", "-£8,935"), ("457123", "£457k"), ("-12345678", "-£12.3m"),
    ("4834999999", "£4.83bn"), ("4835000000", "£4.84bn"), ("99999.5", "£100,000"),
])
def test_an_estimate_is_shown_rounded_by_the_same_rule(amount, shown):
    assert money.format_money(Decimal(amount), rounded=True) == shown


@pytest.mark.parametrize(("exact", "pennies"), [
    ("0.005", "0.01"), ("0.015", "0.02"), ("0.025", "0.03"), ("-0.025", "-0.03"), ("2.675", "2.68"),
    ("1.00500", "1.01"), ("1.0049", "1.00"), ("120.625", "120.63"),
])
def test_half_a_penny_rounds_away_from_zero(exact, pennies):
    """As Excel's ROUND does, which the figures are checked against, and as the store's DECIMAL does."""
    assert str(money.to_pennies(Decimal(exact))) == pennies


@pytest.fixture(scope="module")
def sql_engine():
    """One in-memory DuckDB for every example: opening one each time cost more than the check (and, on a busy
    machine, took an example past hypothesis's deadline)."""
    con = duckdb.connect()
    yield con
    con.close()


@given(st.integers(-10**14, 10**14).map(lambda thousandths: Decimal(thousandths).scaleb(-3)))
def test_a_figure_rounded_here_equals_the_same_figure_rounded_by_the_store(sql_engine, exact):
    """A penny rounded in Python and one rounded in the store's SQL must agree, or a table and its trace differ."""
    sql = f"SELECT CAST({exact}::DECIMAL(18,3) AS {MONEY}), round({exact}::DECIMAL(18,3), 2)"
    in_sql = sql_engine.execute(sql).fetchone()
    assert money.to_pennies(exact) == in_sql[0] == in_sql[1]


def test_per_head_is_to_the_penny_and_none_without_people():
    assert money.per_head(Decimal("1000"), 3) == Decimal("333.33")
    assert money.per_head(Decimal("0.05"), 2) == Decimal("0.03")  # 0.025: half a penny away from zero
    assert money.per_head(Decimal("1000"), 0) is None and money.per_head(Decimal("1000"), None) is None


def test_a_workbook_that_is_not_one_is_an_input_error_naming_it(tmp_path):
    path = tmp_path / "budget.xlsx"
    path.write_text("this is not a workbook")
    with pytest.raises(InputError, match="budget.xlsx"), open_workbook(path):
        pass


def test_a_workbook_is_closed_when_reading_it_fails(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "rates.xlsx"
    book = Workbook()
    book.active.append(["rate", 0.035])
    book.save(path)
    with pytest.raises(ZeroDivisionError), open_workbook(path) as opened:
        assert opened.worksheets[0].cell(1, 2).value == 0.035
        raise ZeroDivisionError
    assert opened._archive.fp is None  # openpyxl's zip file, closed
