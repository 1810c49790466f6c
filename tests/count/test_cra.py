"""Reading the CRA: every spelling variant in the two shipped releases, units, the newest release per year, the cache."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from support.data import CRA_DIR
from hypothesis import given, strategies as st

from support.cra_workbook import EDUCATION, line, write_cra
from totalplace.errors import InputError
from totalplace.ingest import cra

CRA_2010, CRA_2018 = CRA_DIR / "cra_2010_database.xlsx", CRA_DIR / "cra_2018_database.xlsx"


@pytest.fixture(scope="session")
def releases():
    return cra.read_workbook(CRA_2010), cra.read_workbook(CRA_2018)


def notes_for(release, field):
    return {n.raw: (n.normalised, n.rows) for n in release.notes if n.field == field}


def column(release, name):
    return set(release.lines.column(name).to_pylist())


def test_every_region_spelling_becomes_one_name(releases):
    old, new = releases
    # Row counts below were counted in the workbooks with openpyxl, not by this code.
    assert notes_for(old, "region")["ENGLAND_Yorkshire and the Humber"] == ("Yorkshire and The Humber", 1372)
    assert notes_for(old, "region")["ENGLAND_Yorkshire and The Humber"] == ("Yorkshire and The Humber", 38)
    assert notes_for(new, "region")["ENGLAND_Yorkshire and the Humber"] == ("Yorkshire and The Humber", 835)
    assert notes_for(new, "region")["ENGLAND_Yorkshire and The Humber"] == ("Yorkshire and The Humber", 741)
    assert notes_for(old, "region")["Not Identifiable"] == ("Not identifiable", 475)
    assert notes_for(new, "region")["NON-REGIONAL"] == ("Not identifiable", 274)
    assert notes_for(old, "region")["SCOTLAND"] == ("Scotland", 1371)
    assert notes_for(old, "region")["ENGLAND_East"] == ("East of England", 1410)
    for release in releases:
        assert column(release, "region") <= set(cra.REGIONS)
    # 'Not identifiable', 'Scotland', 'Wales', 'Outside UK', 'Northern Ireland' were already right in 2010
    assert {"Not identifiable", "Scotland", "Wales", "Outside UK", "Northern Ireland"} <= column(old, "region")


def test_id_flags_spenders_and_functions_normalised(releases):
    old, new = releases
    assert "non-ID" not in notes_for(old, "identifiable")  # already the canonical spelling on its 56 rows
    assert column(old, "identifiable") == {True, False}
    assert notes_for(old, "identifiable")["Non-ID"] == ("non-ID", 419)
    assert notes_for(new, "identifiable")["Non-ID"] == ("non-ID", 274)
    assert notes_for(old, "spender")["LA"] == ("LG", 553)
    assert column(old, "spender") == {"CG", "LG", "PC"}
    assert column(new, "spender") == {"CG", "LG", "PC", "BOE"}
    assert notes_for(old, "hmt_function")["10. Social Protection"] == ("Social protection", 52)
    assert notes_for(old, "hmt_function")["4. Economic affairs - of which: Enterprise and economic development"][0] \
        == "Economic affairs: enterprise and economic development"
    assert notes_for(new, "hmt_function")["EU TRANSACTIONS"] == ("EU transactions", 10)
    shared = column(old, "hmt_function") & column(new, "hmt_function")
    assert "Economic affairs: agriculture, fisheries and forestry" in shared
    assert column(old, "hmt_function") - column(new, "hmt_function") == {"Departmental unallocated provision"}
    assert notes_for(old, "department")["ENG_LA"] == ("Local Government England", 324)
    assert column(old, "cofog") >= {"01", "07", "09", "10"} and column(new, "cofog_group") >= {"07.A", "10.2"}


def test_units_and_amounts_to_the_penny(releases):
    old, new = releases
    first_old = old.lines.slice(0, 1).to_pylist()[0]
    # row 2 of the 2010 sheet: OFGEM, Scotland, 2004-05 = 0.08214446287753811 (£ million)
    assert (first_old["row_number"], first_old["region"], first_old["fiscal_year"]) == (2, "Scotland", "2004-05")
    assert first_old["amount"] == Decimal("82144.46")
    first_new = new.lines.slice(0, 1).to_pylist()[0]
    # row 2 of the 2018 sheet: AFPS pensions, Scotland, 2013-14 = 166556 (£ thousand)
    assert first_new["amount"] == Decimal("166556000.00") and first_new["fiscal_year"] == "2013-14"
    assert "£ million" in old.unit and "£ thousand" in new.unit


def test_year_totals_match_the_workbook(releases):
    old, _ = releases
    # the 2009-10 column of the 2010 sheet adds up to £644,047.518149325 million (summed by openpyxl as floats)
    total = sum(a for a, y in zip(old.lines.column("amount").to_pylist(), old.lines.column("fiscal_year").to_pylist())
                if y == "2009-10")
    lines = old.lines.column("fiscal_year").to_pylist().count("2009-10")
    assert abs(total - Decimal("644047518149.325")) <= Decimal("0.005") * lines


def test_a_year_in_two_releases_comes_from_the_newer(tmp_path):
    old = write_cra(tmp_path / "a.xlsx", ["2009-10", "2010-11"], [line("DfE", EDUCATION, "LG", "ENGLAND_London", [1, 2])])
    new = write_cra(tmp_path / "b.xlsx", ["2010-11", "2011-12"], [line("DfE", EDUCATION, "LG", "ENGLAND_London", [5, 6])])
    choices = {c.fiscal_year: c for c in cra.choose_years([cra.read_workbook(old), cra.read_workbook(new)])}
    assert choices["2010-11"].release == "b.xlsx" and choices["2010-11"].not_used == ("a.xlsx",)
    assert choices["2009-10"].release == "a.xlsx" and choices["2011-12"].release == "b.xlsx"


def test_bad_region_and_bad_amount_name_the_row_and_column(tmp_path):
    bad_region = write_cra(tmp_path / "r.xlsx", ["2017-18"], [line("DfE", EDUCATION, "LG", "ENGLAND_Atlantis", [1])])
    with pytest.raises(InputError, match=r"r\.xlsx: row 2, column 'NUTS Region': 'ENGLAND_Atlantis'"):
        cra.read_workbook(bad_region)
    bad_amount = write_cra(tmp_path / "m.xlsx", ["2017-18"], [line("DfE", EDUCATION, "LG", "ENGLAND_London", ["lots"])])
    with pytest.raises(InputError, match=r"m\.xlsx: row 2, column '2017-18': 'lots' is not an amount"):
        cra.read_workbook(bad_amount)
    no_unit = write_cra(tmp_path / "u.xlsx", ["2017-18"], [line("DfE", EDUCATION, "LG", "ENGLAND_London", [1])],
                        unit_note="nothing about units")
    with pytest.raises(InputError, match="unit"):
        cra.read_workbook(no_unit)


def test_cache_is_keyed_by_content(tmp_path):
    path = write_cra(tmp_path / "c.xlsx", ["2017-18"], [line("DfE", EDUCATION, "LG", "ENGLAND_London", [7])])
    first = cra.cached_release(path, tmp_path / "cache")
    again = cra.cached_release(path, tmp_path / "cache")
    assert again.lines.equals(first.lines) and again.notes == first.notes
    write_cra(path, ["2017-18"], [line("DfE", EDUCATION, "LG", "ENGLAND_London", [9])])
    changed = cra.cached_release(path, tmp_path / "cache")
    assert changed.lines.column("amount").to_pylist() == [Decimal("9000.00")]
    assert len(list((tmp_path / "cache").glob("*.parquet"))) == 2


@given(st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_amount_in_thousands_is_exact(value):
    normaliser = cra._Normaliser(Path("x.xlsx"), cra._Log("x"))
    assert normaliser.amount(str(value), Decimal(1000), 2, "2017-18") == (value * 1000).quantize(Decimal("0.01"))
