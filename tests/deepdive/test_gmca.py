"""Importing the GMCA Unit Cost Database workbook layout, with a fixture built here that has its mess."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.deepdive.gmca import NOT_STATED, header_fields, read_gmca_workbook
from totalplace.deepdive.unit_costs import load_library
from totalplace.errors import InputError

CRIME_HEADER = ["Cost code", "Description", "Unit", "Agency", "Second agency",
                "Fiscal / economic / social", "Fiscal value (£)", "Price year", "Source"]


def gmca_workbook(path: Path) -> Path:
    """A small workbook in the GMCA layout: a contents sheet, title rows, and messy rows."""
    book = Workbook()
    contents = book.active
    contents.title = "Contents"
    contents.append(["Unit Cost Database v2.0"])
    contents.append(["Code", "Description", "Value", "Price year"])  # looks like a header, but not a theme sheet

    crime = book.create_sheet("Crime")
    crime.append(["Unit Cost Database"])
    crime.append(["Crime theme: costs to the police, courts and prisons"])
    crime.append([])
    crime.append(CRIME_HEADER)
    crime.append(["Police"])  # sub-heading row: layout
    crime.append(["CR1.0", "Arrest, detention and processing", "per arrest", "Police", None,
                  "Fiscal", 744.2, "2016/17", "Home Office"])
    crime.append(["CR2.0", "  Magistrates' court case ", "per case", "HMCTS", "CPS", "Fiscal",
                  "£1,234.50", "2016-17", None])
    crime.append([])
    crime.append(["CR3.0", "Cost not yet estimated", "per case", "Police", None, "Fiscal", "N/A", "2016/17", None])
    crime.append([None, "Orphan value", "each", "Police", None, "Fiscal", 99, "2016/17", None])
    crime.append(["CR4.0", "Bare calendar year", "each", "Police", None, "Fiscal", 10, 2016, None])
    crime.append(["CR1.0", "Same code again", "each", "Police", None, "Fiscal", 5, "2016/17", None])
    crime.append(["CR5.0", None, "each", "Police", None, "Fiscal", 5, "2016/17", None])

    education = book.create_sheet("Education and Skills")  # '&' spelled 'and'
    education.append(["Education & Skills"])
    education.append(["Price year", "Fiscal value", "Ref", "Detail", "Unit", "Agency 2", "Agency"])
    education.append(["2014-15", 4637, "ED1.0", "NEET young person, per year", "per year", "Local authority", "DWP"])

    housing = book.create_sheet("Housing")
    housing.append(["Cost code", "Description", "Unit", "Agency", "Second agency", "Fiscal value", "Price year"])
    housing.append([" HO1.0 ", "Homelessness application", None, None, None, 2700, "2015/2016"])
    return save(book, path)


def save(book: Workbook, path: Path) -> Path:
    book.save(path)
    return path


def test_reads_theme_sheets_and_reports_every_row_it_cannot_read(tmp_path):
    imported = read_gmca_workbook(gmca_workbook(tmp_path / "ucd.xlsx"))
    assert imported.sheets == ["Crime", "Education and Skills", "Housing"]
    costs = {c.code: c for c in imported.costs}
    assert set(costs) == {"CR1.0", "CR2.0", "ED1.0", "HO1.0"}
    arrest = costs["CR1.0"]
    assert (arrest.value, arrest.price_year, arrest.agency, arrest.unit) == (Decimal("744.2"), "2016-17", "Police",
                                                                            "per arrest")
    assert arrest.description == "Arrest, detention and processing"
    assert arrest.source == "GMCA Unit Cost Database (ucd.xlsx), Crime sheet, CR1.0; original source: Home Office"
    assert arrest.origin == "ucd.xlsx sheet 'Crime' row 6" and not arrest.illustrative
    court = costs["CR2.0"]
    assert (court.value, court.description, court.second_agency) == (Decimal("1234.50"), "Magistrates' court case",
                                                                     "CPS")
    neet = costs["ED1.0"]  # columns in another order, header in row 2
    assert (neet.value, neet.price_year, neet.agency, neet.second_agency) == (Decimal("4637"), "2014-15", "DWP",
                                                                              "Local authority")
    homeless = costs["HO1.0"]
    assert (homeless.agency, homeless.unit, homeless.price_year) == (NOT_STATED, NOT_STATED, "2015-16")
    reasons = {(s.sheet, s.row): s.reason for s in imported.skipped}
    assert set(reasons) == {("Crime", 9), ("Crime", 10), ("Crime", 11), ("Crime", 12), ("Crime", 13)}
    assert "'N/A' is not an amount" in reasons[("Crime", 9)]
    assert "has no cost code" in reasons[("Crime", 10)]
    assert "price year 2016 is not a fiscal year" in reasons[("Crime", 11)]
    assert "already read at ucd.xlsx sheet 'Crime' row 6" in reasons[("Crime", 12)]
    assert "no description" in reasons[("Crime", 13)]


def test_fiscal_value_column_wins_over_a_cost_type_column():
    fields = header_fields(tuple(CRIME_HEADER))
    assert fields["value"] == CRIME_HEADER.index("Fiscal value (£)")
    assert (fields["agency"], fields["second_agency"]) == (3, 4)


def test_not_a_gmca_workbook(tmp_path):
    book = Workbook()
    book.active.title = "Sheet1"
    with pytest.raises(InputError, match="no theme sheet"):
        read_gmca_workbook(save(book, tmp_path / "other.xlsx"))
    book.active.title = "Fire"
    book.active.append(["just a title"])
    with pytest.raises(InputError, match=r"sheet 'Fire': no header row with code, description, value, price_year"):
        read_gmca_workbook(save(book, tmp_path / "fire.xlsx"))
    (tmp_path / "text.xlsx").write_text("not a workbook")
    with pytest.raises(InputError, match="not a readable Excel workbook"):
        read_gmca_workbook(tmp_path / "text.xlsx")


def test_import_joins_the_library_under_the_workspace_own_costs(make_workspace, tmp_path):
    ws = make_workspace()
    source = gmca_workbook(tmp_path / "ucd.xlsx")
    runner = CliRunner()
    result = runner.invoke(app, ["unit-costs", "import-gmca", str(source), "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert "Imported 4 unit costs" in result.output and "5 row(s) could not be read" in result.output
    assert "sheet 'Crime' row 9" in result.output
    assert (ws.root / "unit_costs" / "ucd.xlsx").exists()
    (ws.root / "unit_costs.csv").write_text(
        "code,description,unit,agency,second_agency,value,price_year,source,illustrative\n"
        "CR2.0,Bradford magistrates' case,per case,HMCTS,,900,2016-17,Local costing,false\n", encoding="utf-8")
    library = load_library(ws)
    assert library.get("cr1.0").value == Decimal("744.2")  # from the workbook
    assert library.get("CR2.0").value == Decimal("900")  # the workspace's own file wins
    assert len(library.skipped) == 5
    # 744.2 * 100.0 / 84.6 = 879.669... -> 879.67
    assert library.value("CR1.0", "2022-23") == Decimal("879.67")
    (tmp_path / "copy").mkdir()
    again = runner.invoke(app, ["unit-costs", "import-gmca", str(gmca_workbook(tmp_path / "copy" / "ucd.xlsx")),
                                "-w", str(ws.root)])
    assert again.exit_code == 0, again.output  # the same workbook again changes nothing
    other = Workbook()
    other.active.title = "Housing"
    other.active.append(["Cost code", "Description", "Fiscal value", "Price year"])
    other.active.append(["HO9.9", "Something else", 1, "2015-16"])
    clash = runner.invoke(app, ["unit-costs", "import-gmca", str(save(other, tmp_path / "copy" / "ucd.xlsx")),
                                "-w", str(ws.root)])
    assert clash.exit_code == 2 and "give --replace" in clash.output
