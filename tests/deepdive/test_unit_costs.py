"""The unit cost library: the shipped starter set, the workspace's own costs, uprating, the CLI."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st
from openpyxl import Workbook
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.deepdive.deflator import shipped_series
from totalplace.deepdive.unit_costs import COLUMNS, load_library, parse_cost, shipped_costs
from totalplace.errors import InputError
from totalplace.reference import data_path

HEADER = ",".join(COLUMNS)


@pytest.fixture()
def workspace(small_place):
    return small_place


def shipped_rows() -> list[dict[str, str]]:
    with data_path("unit_costs.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_shipped_cost_names_a_source_and_can_be_uprated():
    rows = shipped_rows()
    library = load_library()
    assert len(library) == len(rows) + 674 and len({r["code"] for r in rows}) == len(rows)  # starters + database
    for cost in library:
        assert len(cost.source) > 20, cost.code  # a publication, not a word
        assert cost.price_year in shipped_series().index, cost.code
        assert library.value(cost.code, "2022-23") > 0 or cost.value == 0, cost.code  # CR8.18.5 is £0 as published


def test_nothing_unchecked_is_presented_as_official():
    # the starter costs were transcribed without access to the publications: every row must say so
    assert all(row["illustrative"] == "true" for row in shipped_rows())


def test_value_is_uprated_by_hand():
    library = load_library()
    cost = library.get("court.magistrates_case")
    assert (cost.value, cost.price_year) == (Decimal("1000"), "2015-16")
    # 1000 * 100.0 / 82.9 = 1206.2726... -> 1206.27
    assert library.value("court.magistrates_case", "2022-23") == Decimal("1206.27")
    assert library.value("COURT.MAGISTRATES_CASE", "2015-16") == Decimal("1000")  # codes match whatever their case


def test_unknown_code_is_one_clear_error_with_a_suggestion():
    with pytest.raises(InputError, match=r"unknown unit-cost code 'probation.asessment' .*did you mean "
                                         r"probation.assessment\b"):
        load_library().get("probation.asessment")


def test_workspace_costs_override_by_code_and_add_new_ones(workspace):
    (workspace.root / "unit_costs.csv").write_text(
        f"{HEADER}\n"
        "police.arrest,West Yorkshire Police arrest (local costing),per arrest,West Yorkshire Police,,650,2018/19,"
        "WYP finance team costing 2019,false\n"
        "bradford.hub_visit,Visit to the Bradford hub,per visit,Bradford council,,\"£1,234.50\",2022-23,Local costing,\n",
        encoding="utf-8")
    library = load_library(workspace)
    arrest = library.get("police.arrest")
    assert (arrest.value, arrest.price_year, arrest.illustrative) == (Decimal("650"), "2018-19", False)
    assert arrest.origin.endswith("unit_costs.csv row 2")
    assert library.get("bradford.hub_visit").value == Decimal("1234.50")
    assert len(library) == len(shipped_costs()) + 2  # police.arrest is now a database code's old name: a new key
    # 650 * 100.0 / 87.9 = 739.4766... -> 739.48
    assert library.value("police.arrest", "2022-23") == Decimal("739.48")


def test_workspace_costs_in_a_workbook(workspace):
    book = Workbook()
    book.active.append(list(COLUMNS))
    book.active.append(["my.cost", "A thing", "each", "Council", None, 12.5, "2019/20", "Local costing", "yes"])
    book.active.append([None] * len(COLUMNS))  # an empty row is layout, not a cost
    book.save(workspace.root / "unit_costs.xlsx")
    cost = load_library(workspace).get("my.cost")
    assert (cost.value, cost.price_year, cost.illustrative) == (Decimal("12.5"), "2019-20", True)


@pytest.mark.parametrize("line, message", [
    ("a.b,Thing,each,Council,,abc,2019-20,Src,false", r"row 3, column value: 'abc' is not an amount"),
    ("a.b,Thing,each,Council,,-5,2019-20,Src,false", r"row 3, column value"),
    ("a.b,Thing,each,Council,,5,2019,Src,false", r"row 3, column price_year: price year '2019' is not a fiscal"),
    ("a.b,Thing,each,Council,,5,2019-20,,false", r"row 3, column source: empty"),
    ("a.b,Thing,each,Council,,5,2019-20,Src,maybe", r"row 3, column illustrative"),
    ("ok.one,Again,each,Council,,5,2019-20,Src,false", r"code 'ok.one' is already used at .*row 2"),
])
def test_bad_workspace_rows_name_file_row_and_column(workspace, line, message):
    (workspace.root / "unit_costs.csv").write_text(
        f"{HEADER}\nok.one,Fine,each,Council,,5,2019-20,Src,false\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_library(workspace)


def test_missing_column_and_two_files_are_refused(workspace):
    (workspace.root / "unit_costs.csv").write_text("code,value\nx,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        load_library(workspace)
    (workspace.root / "unit_costs.xlsx").write_bytes(b"")
    with pytest.raises(InputError, match="both unit_costs.csv and unit_costs.xlsx"):
        load_library(workspace)


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_money_text_reads_back_exactly(amount):
    assert parse_cost(f"£{amount:,.2f}") == amount
    assert parse_cost(str(amount)) == amount


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_spreadsheet_floats_read_without_binary_noise(number):
    assert parse_cost(number) == Decimal(repr(number))


@pytest.mark.parametrize("bad", ["N/A", "", None, True, "-1", "1..2", float("nan")])
def test_not_money(bad):
    with pytest.raises(ValueError):
        parse_cost(bad)


def test_cli_list_show_and_errors(workspace):
    runner = CliRunner()
    listed = runner.invoke(app, ["unit-costs", "list", "-w", str(workspace.root), "--agency", "police",
                                 "--search", "arrest", "--price-year", "2022-23", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["code"]: r for r in json.loads(listed.output)["rows"]}
    assert set(rows) == {"CR7.0", "CR7.1"}  # only the arrests the police bear
    # 593 * 100.0 / 70.6 = 839.9433... -> 839.94
    assert rows["CR7.0"]["value in 2022-23 prices"] == "839.94" and rows["CR7.0"]["illustrative"] == ""
    kept = runner.invoke(app, ["unit-costs", "list", "-w", str(workspace.root), "--search", "probation.assessment",
                               "--format", "json"])
    assert json.loads(kept.output)["rows"][0]["illustrative"] == "ILLUSTRATIVE"
    shown = runner.invoke(app, ["unit-costs", "show", "health.gp_consultation", "-w", str(workspace.root),
                                "-p", "2022-23", "--format", "csv"])
    assert shown.exit_code == 0 and "code,HE20.2" in shown.output  # the starter code now names the database's
    # 38 * 100.0 / 81.1 = 46.8557... -> 46.86
    assert "value in 2022-23 prices,46.86" in shown.output
    missing = runner.invoke(app, ["unit-costs", "show", "no.such", "-w", str(workspace.root)])
    assert missing.exit_code == 2 and "unknown unit-cost code 'no.such'" in missing.output
