"""Uprating with the GDP deflator: hand-worked figures, the file format, and rounding properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from totalplace.deepdive.deflator import fiscal_year, read_series, series_for, shipped_series, uprate
from totalplace.errors import InputError


def test_uprate_by_hand():
    # shipped index: 2015-16 = 82.9, 2022-23 = 100.0
    # £100 in 2015-16 prices = 100 * 100.0 / 82.9 = 120.6272... -> £120.63
    assert uprate(Decimal("100"), "2015-16", "2022-23") == Decimal("120.63")
    # and back down: 120.63 * 82.9 / 100 = 100.002... -> £100.00
    assert uprate(Decimal("120.63"), "2022-23", "2015-16") == Decimal("100.00")
    # £8.62 in 2011-12 (78.4) to 2018-19 (87.9): 8.62 * 87.9 / 78.4 = 9.6645... -> £9.66
    assert uprate(Decimal("8.62"), "2011-12", "2018-19") == Decimal("9.66")


def test_same_year_is_unchanged_and_spellings_agree():
    assert uprate(Decimal("3217740"), "2015-16", "2015/16") == Decimal("3217740")
    assert uprate(Decimal("100"), "2015/2016", "2022–23") == Decimal("120.63")


@pytest.mark.parametrize("text, expected", [("2015-16", "2015-16"), ("2015/16", "2015-16"),
                                            ("2015-2016", "2015-16"), (" 1999/00 ", "1999-00"),
                                            ("2015\u201316", "2015-16")])
def test_fiscal_year_spellings(text, expected):
    assert fiscal_year(text) == expected


@pytest.mark.parametrize("text", ["2015", 2015, "2015-17", "2015/2017", "15-16", "", None, "2015-16-17"])
def test_not_fiscal_years_are_refused(text):
    with pytest.raises(ValueError):
        fiscal_year(text)


def test_year_outside_the_series_names_the_range():
    with pytest.raises(InputError, match=r"no GDP deflator for 2040-41 \(the series covers 2000-01 to 2023-24\)"):
        uprate(Decimal("1"), "2015-16", "2040-41")
    with pytest.raises(InputError, match="not a fiscal year"):
        uprate(Decimal("1"), "2015", "2022-23")


def test_shipped_series_is_sourced_labelled_and_has_no_gaps():
    series = shipped_series()
    assert "HM Treasury" in series.source and "GDP deflators at market prices" in series.source
    assert series.status.startswith("APPROXIMATE")  # honest about how it was transcribed
    starts = sorted(int(y[:4]) for y in series.index)
    assert starts == list(range(starts[0], starts[-1] + 1))
    assert series.index["2022-23"] == Decimal("100.0")


def test_workspace_series_replaces_the_shipped_one(make_workspace):
    ws = make_workspace()
    (ws.root / "gdp_deflator.csv").write_text(
        "# source: HM Treasury GDP deflators, official release pasted by the analyst\n"
        "fiscal_year,index\n2015/16,50\n2022-23,100\n", encoding="utf-8")
    series = series_for(ws)
    assert series.source.startswith("HM Treasury GDP deflators, official")
    assert uprate(Decimal("10"), "2015-16", "2022-23", series) == Decimal("20.00")


@pytest.mark.parametrize("body, message", [
    ("fiscal_year,index\n2015-16,-3\n", "data row 2, column index"),
    ("fiscal_year,index\n2015-16,82.9\n2016,84\n", "data row 3"),
    ("year,value\n2015-16,82.9\n", "needs the columns fiscal_year,index"),
    ("fiscal_year,index\n", "no years"),
])
def test_bad_series_files(body, message):
    with pytest.raises(InputError, match=message):
        read_series("mine.csv", body)


YEARS = sorted(shipped_series().index)
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(money, st.sampled_from(YEARS), st.sampled_from(YEARS))
def test_uprate_is_within_half_a_penny_of_the_exact_ratio(value, start, end):
    series = shipped_series()
    exact = value * series.index[end] / series.index[start]
    assert abs(uprate(value, start, end) - exact) <= Decimal("0.005")


@given(money, money, st.sampled_from(YEARS), st.sampled_from(YEARS))
def test_uprate_keeps_order(first, second, start, end):
    low, high = sorted((first, second))
    assert uprate(low, start, end) <= uprate(high, start, end)


@given(money, st.sampled_from(YEARS), st.sampled_from(YEARS), st.sampled_from(YEARS))
def test_chained_uprating_agrees_with_direct_to_rounding(value, a, b, c):
    series = shipped_series()
    chained = uprate(uprate(value, a, b), b, c)
    # each rounding is at most half a penny; the first one is scaled by index c / index b
    tolerance = Decimal("0.005") * (1 + series.index[c] / series.index[b]) + Decimal("0.005")
    assert abs(chained - uprate(value, a, c)) <= tolerance
