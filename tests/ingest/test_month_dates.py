"""Dates at month precision: a month, a period code or a file's name place a payment in its month."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import duckdb
import pytest
from support.data import store_rows, write_csv
from support.properties import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.ingest.dates import fiscal_year_in_name, month_in_name
from totalplace.ingest.load import ingest
from totalplace.store import macros

CON = duckdb.connect()
macros.install(CON)
FAST = settings(max_examples=examples(150), deadline=None)
months = st.dates(min_value=date(1990, 1, 1), max_value=date(2098, 12, 31)).map(lambda d: d.replace(day=1))


def tp_month(text: str, fiscal_year: int | None = None, fiscal: bool = False) -> date | None:
    return CON.execute("SELECT tp_month(?, ?, ?)", [text, fiscal_year, fiscal]).fetchone()[0]


def fiscal_period(month: date) -> tuple[int, int]:
    """(first year of the financial year, period): April is period 1, March period 12."""
    return (month.year if month.month >= 4 else month.year - 1), (month.month - 4) % 12 + 1


@FAST
@given(months.filter(lambda m: m.year < 2069))  # a two-digit year of 69 or more is the 1900s, as in strptime
def test_every_way_of_writing_a_month_gives_its_first_day(month):
    for text in (f"{month.year}-{month.month:02d}", f"{month:%b}-{month:%y}", f"{month:%B} {month.year}",
                 f"{month:%b %Y}", f"{month.month:02d}/{month.year}", f"{month.year}{month.month:02d}",
                 f"{month:%b}-{month.year}".upper()):
        assert tp_month(text) == month, text


@FAST
@given(months)
def test_a_financial_period_code_gives_its_month(month):
    year, period = fiscal_period(month)
    for text in (f"{year}-P{period:02d}", f"{year}/{(year + 1) % 100:02d} P{period}", f"{year}P{period:02d}"):
        assert tp_month(text) == month, text
    for bare in (f"P{period:02d}", str(period), f"p{period}"):
        assert tp_month(bare, year) == month, bare
    # a six-digit code of a file that uses financial periods
    assert tp_month(f"{year}{period:02d}", fiscal=True) == month


@FAST
@given(st.integers(1990, 2098), st.integers(13, 16))
def test_year_end_adjustment_periods_fall_in_march(year, period):
    assert tp_month(f"{year}{period}", fiscal=True) == date(year + 1, 3, 1)


@FAST
@given(months.filter(lambda m: m.year >= 2000),  # a two-digit year in a name is read as 20yy
       st.sampled_from(["spend-{y}-{m:02d}.csv", "{y}{m:02d}_payments.xlsx", "{B} {y}.csv",
                        "Over 500 {b}{yy:02d}.csv", "{y} {B} spend.csv", "{m:02d}-{y} council.csv"]))
def test_the_month_in_a_files_name(month, pattern):
    name = pattern.format(y=month.year, m=month.month, B=f"{month:%B}", b=f"{month:%b}".lower(), yy=month.year % 100)
    assert month_in_name(name) == month, name


@pytest.mark.parametrize("name", ["BART 01 - April.xlsx", "spend.csv", "2018-19 payments.csv", "transparency.csv"])
def test_a_name_without_a_month_gives_none(name):
    assert month_in_name(name) is None


def test_the_financial_year_in_a_files_name():
    assert fiscal_year_in_name("period-spend-2013-14.csv") == 2013
    assert fiscal_year_in_name("spend_201314.csv") == 2013
    assert fiscal_year_in_name("spend-2013.csv") is None


# --------------------------------------------------------------------------- loaded, and what status and count say


def lines(workspace) -> list[tuple]:
    return store_rows(workspace, "SELECT payment_date::VARCHAR, date_precision, fiscal_year, amount::VARCHAR "
                                 "FROM spend_line ORDER BY row_number")


def test_a_date_column_holding_months_loads_every_row_at_month_precision(small_place):
    write_csv(small_place.agency_dir("bradford-council") / "spend.csv",
              "Supplier,Date,Amount,Expense Type\n"
              "A LTD,2012-06,100.00,Fuel\nB LTD,Jun-12,50.00,Fuel\nC LTD,2013-03,25.00,Fuel\n"
              "D LTD,12/04/2013,10.00,Fuel\n")
    report = ingest(small_place).files[0]
    assert report.rows_rejected == 0 and report.rows_loaded == 4
    assert lines(small_place) == [("2012-06-01", "month", "2012-13", "100.00"), ("2012-06-01", "month", "2012-13", "50.00"),
                                  ("2013-03-01", "month", "2012-13", "25.00"), ("2013-04-12", "day", "2013-14", "10.00")]
    assert any("month precision" in note for note in report.notes)


def test_a_period_code_is_the_date_when_the_file_has_no_payment_date(small_place):
    # 'Updated' is when the file was made, not when anything was paid
    write_csv(small_place.agency_dir("bradford-council") / "spend.csv",
              "Period,Updated,Supplier,Spend\n"
              + "".join(f"201503,01/05/2015,S{i} LTD,{i}.50\n" for i in range(6))
              + "201504,01/05/2015,T LTD,9.00\n")
    report = ingest(small_place).files[0]
    assert report.mapping["payment_date"] == "Period" and report.mapping["amount"] == "Spend"
    got = lines(small_place)
    assert {row[:3] for row in got[:6]} == {("2015-03-01", "month", "2014-15")}
    assert got[6][:3] == ("2015-04-01", "month", "2015-16")


def test_a_file_without_dates_takes_the_month_in_its_name(small_place):
    write_csv(small_place.agency_dir("bradford-council") / "payments-2019-06.csv",
              "Supplier,Amount,Expense Type\nA LTD,10.00,Fuel\nB LTD,20.00,Fuel\n,30.00,\n")
    report = ingest(small_place).files[0]
    assert lines(small_place) == [("2019-06-01", "month", "2019-20", "10.00"), ("2019-06-01", "month", "2019-20", "20.00")]
    assert report.rows_rejected == 1  # the total row
    assert any("June 2019" in note for note in report.notes)


def test_status_and_count_treat_month_precision_lines_as_their_month(small_place):
    folder = small_place.agency_dir("bradford-council")
    write_csv(folder / "a.csv", "Supplier,Month,Amount\n" + "".join(f"S{i},2019-0{m},1.00\n" for m in (4, 5) for i in range(3)))
    write_csv(folder / "b.csv", "Supplier,Date,Amount\n" + "".join(f"S{i},1{i}/07/2019,2.00\n" for i in range(3)))
    ingest(small_place)
    runner = CliRunner()
    status = runner.invoke(app, ["status", "-w", str(small_place.root), "--format", "json"])
    assert status.exit_code == 0, status.output
    sections = json.loads(status.output)
    assert [(r["month"], r["coverage"]) for r in sections["coverage"]["rows"]] == [
        ("2019-04", "covered"), ("2019-05", "covered"), ("2019-06", "GAP"), ("2019-07", "covered")]
    assert sections["lines"]["rows"] == [{"agency": "bradford-council", "lines at month precision": 6,
                                          "their money": "6.00", "lines to withheld suppliers": 0,
                                          "money to withheld suppliers": "0.00"}]
    count = runner.invoke(app, ["count", "-w", str(small_place.root), "--by", "month", "--format", "csv"])
    assert [(row["month"], row["amount"]) for row in csv.DictReader(io.StringIO(count.output))] == [
        ("2019-04", "3.00"), ("2019-05", "3.00"), ("2019-07", "6.00")]
    trace = runner.invoke(app, ["trace", "-w", str(small_place.root), "--by", "month", "--key", "2019-04",
                                "--format", "csv"])
    assert ",2019-04,S" in trace.output  # a month-precision line shows its month, not a made-up day
    table = runner.invoke(app, ["status", "-w", str(small_place.root)])
    assert "6 lines at month precision" in table.output
