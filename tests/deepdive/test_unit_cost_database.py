"""The GMCA Unit Cost Database v1.4 as the shipped default library: every cost, by sheet, uprated, replacing starters."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.deepdive.deflator import shipped_series
from totalplace.deepdive.unit_costs import SHEETS, load_library, shipped_costs
from totalplace.errors import InputError
from totalplace.reference import data_path

from support.data import SHARED_DATA

DATABASE = SHARED_DATA / "unit_costs" / "gmca_unit_cost_database_v1_4.csv"
SHEET_COUNTS = {"Crime": 184, "Health": 201, "Social Services": 137, "Employment & Economy": 75, "Housing": 36,
                "Education & Skills": 26, "Fire": 15}


def database_rows() -> list[dict[str, str]]:
    with DATABASE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def starter_rows() -> list[dict[str, str]]:
    with data_path("unit_costs.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture()
def workspace(small_place):
    return small_place


def test_every_cost_of_the_database_ships_and_parses_as_published():
    library = load_library()
    rows = database_rows()
    assert len(rows) == 674
    for row in rows:
        cost = library.get(row["code"])
        assert cost.code == row["code"]
        assert (cost.description, cost.unit, cost.agency) == (row["description"], row["unit"], row["agency"])
        assert cost.value == Decimal(row["cost_gbp"]), row["code"]
        assert cost.price_year == row["source_detail"].replace("/", "-"), row["code"]
        assert cost.sheet == row["sheet"] and cost.detail == row["detail"]
        assert (cost.second_agency or "") == ("" if row["agency_detail"] in ("", "-") else row["agency_detail"])
        assert not cost.illustrative  # published figures, not transcribed from memory
        assert "GMCA Unit Cost Database v1.4" in cost.source and row["code"] in cost.source
        # the copy's `notes` column is the workbook's uprating formula: it must not reach any field
        assert not any("VLOOKUP" in str(value) for value in cost.model_dump().values()), row["code"]


def test_the_library_lists_by_sheet_with_the_databases_counts():
    library = load_library()
    gmca = [c for c in library if c.origin.startswith("totalplace/data/gmca/")]
    assert {s: sum(1 for c in gmca if c.sheet == s) for s in SHEET_COUNTS} == SHEET_COUNTS
    assert all(cost.sheet in SHEETS for cost in library)  # the starter costs have a sheet too
    by_sheet = [cost.sheet for cost in library.by_sheet()]
    assert by_sheet == sorted(by_sheet, key=SHEETS.index)  # grouped in the sheets' order


def test_starter_costs_stay_only_where_the_database_has_no_equivalent():
    starters = starter_rows()
    library_codes = {c.code for c in load_library()}
    for row in starters:
        assert row["code"] in library_codes
        assert row["illustrative"] == "true", row["code"]  # still unchecked
        assert len(row["source"]) > 20 and row["note"], row["code"]  # its publication, and why it is kept
    with data_path("unit_cost_replacements.csv").open(encoding="utf-8", newline="") as handle:
        replaced = list(csv.DictReader(handle))
    assert len(starters) + len(replaced) == 33  # the 33 starter costs: kept or replaced, none lost
    assert not {r["old_code"] for r in replaced} & {r["code"] for r in starters}
    for row in replaced:
        assert row["code"] in library_codes and "GMCA" in load_library().get(row["code"]).source


def test_a_replaced_starter_code_resolves_to_its_database_cost_or_says_how():
    library = load_library()
    arrest = library.get("police.arrest")  # same unit: the database's cost, under its own code
    assert (arrest.code, arrest.value, arrest.price_year) == ("CR7.0", Decimal("593.0"), "2006-07")
    with pytest.raises(InputError, match=r"prison.short_sentence.*replaced by CR3\.1.*per month"):
        library.get("prison.short_sentence")  # a different unit: never a silent substitute


def test_uprating_two_price_years_by_hand():
    library = load_library()
    index = shipped_series().index
    assert (index["2006-07"], index["2010-11"], index["2023-24"]) == (Decimal("70.6"), Decimal("76.9"),
                                                                      Decimal("107.0"))
    # CR7.0 arrest, £593 at 2006-07 prices: 593 x 107.0 / 70.6 = 898.739... -> £898.74
    assert library.value("CR7.0", "2023-24") == Decimal("898.74")
    # HO4.1 B&B a week, £334.95 at 2010-11 prices: 334.95 x 107.0 / 76.9 = 466.0553... -> £466.06
    assert library.value("HO4.1", "2023-24") == Decimal("466.06")


def test_a_price_year_outside_the_series_is_an_error_naming_the_cost(workspace):
    (workspace.root / "unit_costs.csv").write_text(
        "code,description,unit,agency,second_agency,value,price_year,source,illustrative\n"
        "old.survey,An old survey cost,each,Council,,100,1990-91,Local costing 1991,false\n", encoding="utf-8")
    library = load_library(workspace)
    with pytest.raises(InputError, match=r"unit cost old\.survey \(1990-91 prices\).*no GDP deflator for 1990-91"):
        library.value("old.survey", "2022-23")


def test_the_deflator_says_which_release_and_that_it_is_not_official():
    series = shipped_series()
    assert series.release and series.official is False
    assert "not a published hm treasury release" in series.describe().lower()


def test_cli_search_sheet_and_show(workspace):
    runner = CliRunner()
    listed = runner.invoke(app, ["unit-costs", "list", "-w", str(workspace.root), "--sheet", "housing",
                                 "--search", "bed and breakfast", "--price-year", "2023-24", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    table = json.loads(listed.output)
    rows = {r["code"]: r for r in table["rows"]}
    assert set(rows) == {"HO3.0.3", "HO4.1"} and all(r["sheet"] == "Housing" for r in rows.values())
    assert rows["HO4.1"]["value in 2023-24 prices"] == "466.06"
    assert any("not a published hm treasury release" in note.lower() for note in table["notes"])
    shown = runner.invoke(app, ["unit-costs", "show", "HE4.0", "-w", str(workspace.root), "--format", "csv"])
    assert shown.exit_code == 0 and "sheet,Health" in shown.output and "price_year,2011-12" in shown.output
    bad = runner.invoke(app, ["unit-costs", "list", "--sheet", "transport", "-w", str(workspace.root)])
    assert bad.exit_code == 2 and "transport" in bad.output and "Crime" in bad.output


def test_an_imported_newer_workbook_replaces_the_shipped_cost_code_by_code(workspace):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Crime"
    book.active.append(["Cost code", "Description", "Unit", "Agency", "Fiscal value", "Price year"])
    book.active.append(["CR7.0", "Arrest - detained (newer)", "Per incident", "Police", 650, "2016/17"])
    (workspace.root / "unit_costs").mkdir()
    book.save(workspace.root / "unit_costs" / "ucd-v2.xlsx")
    library = load_library(workspace)
    assert library.get("CR7.0").value == Decimal("650") and library.get("CR7.0").sheet == "Crime"
    assert library.get("CR7.1").value == Decimal("285.0")  # the rest of the shipped database is still there
    assert len(library) == len(shipped_costs())
