"""One money module (totalplace.money): one penny, one rounding rule, one parser, one formatter, one per head.

(That deal/ and estate/ take money from here, not the CLI, and store/ imports nothing above itself is
the import-layer contract's: tests/architecture/test_one_way_through.py.)
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from totalplace import money
from totalplace.errors import InputError
from totalplace.inputs import open_workbook

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
    ("8934.5", "£8,934"), ("8935.5", "£8,936"), ("457123", "£457k"), ("-12345678", "-£12.3m"),
    ("4834999999", "£4.83bn"), ("4835000000", "£4.84bn"), ("99999.5", "£100,000"),
])
def test_an_estimate_is_shown_rounded_by_the_same_rule(amount, shown):
    assert money.format_money(Decimal(amount), rounded=True) == shown


@pytest.mark.parametrize(("exact", "pennies"), [
    ("0.005", "0.00"), ("0.015", "0.02"), ("0.025", "0.02"), ("-0.025", "-0.02"), ("2.675", "2.68"),
    ("1.00500", "1.00"), ("1.0051", "1.01"),
])
def test_half_a_penny_rounds_to_the_even_penny(exact, pennies):
    assert money.ROUNDING == "ROUND_HALF_EVEN"
    assert str(money.to_pennies(Decimal(exact))) == pennies


def test_rounding_many_halves_does_not_push_the_sum_one_way():
    """Banker's rounding: of the half pennies 0.005 to 9.995, as many go down as up (half-up adds 5p a pound)."""
    halves = [Decimal(n) / 100 + Decimal("0.005") for n in range(1000)]
    assert sum(money.to_pennies(x) for x in halves) == sum(halves)


def test_per_head_is_to_the_penny_and_none_without_people():
    assert money.per_head(Decimal("1000"), 3) == Decimal("333.33")
    assert money.per_head(Decimal("0.05"), 2) == Decimal("0.02")  # 0.025: half a penny to the even one
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
