"""Fiscal Data Package export and import: valid for Frictionless, same figures to the penny both ways."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from support.properties import examples
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count import bottomup
from totalplace.errors import InputError
from totalplace.exchange import fdp, imports
from totalplace.exchange.figures import Figure, bottomup_figures, store_figures
from totalplace.store.connection import connect

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20).map(str.strip)
figures = st.lists(st.builds(
    Figure,
    place=st.just("Testplace"),
    fiscal_year=st.integers(2000, 2030).map(lambda y: f"{y}-{(y + 1) % 100:02d}"),
    direction=st.sampled_from(["bottom-up", "top-down", "best-estimate"]),
    agency=text, theme=text, cofog=st.sampled_from(["", "07.4", "10", "Unclassified"]),
    amount=st.integers(-10**14, 10**14).map(lambda p: Decimal(p) / 100),
    method=text.filter(bool), source=text, confidence=st.sampled_from(["", "high", "low"]), control_level=text,
), min_size=1, max_size=15)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(figures)
def test_export_then_import_gives_the_same_figures(tmp_path, made):
    folder = tmp_path / "package"
    fdp.export_package(made, folder, "Round trip")
    assert fdp.read_package(folder).figures == made


def test_exported_package_is_valid_and_fiscal(tmp_path):
    made = [Figure("Testplace", "2018-19", "bottom-up", "council", "Education", "09", Decimal("1234.56"), "m", "s"),
            Figure("Testplace", "2019-20", "top-down", "", "", "", Decimal("-0.01"), "m", "s", "low", "national")]
    fdp.export_package(made, tmp_path, "Testplace count")
    assert fdp.validate(tmp_path) == []
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    assert descriptor["model"]["measures"]["amount"]["currency"] == "GBP"
    assert descriptor["fiscalPeriod"] == {"start": "2018-04-01", "end": "2020-03-31"}
    dims = descriptor["model"]["dimensions"]
    assert dims["cofog"]["classificationType"] == "functional"
    assert dims["administrative-classification"]["attributes"]["agency"]["source"] == "agency"
    assert dims["fiscal-period"]["dimensionType"] == "datetime"
    with (tmp_path / "data" / "count.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["amount"] for r in rows] == ["1234.56", "-0.01"]
    assert rows[0]["cofog_name"] == "Education"


def _break_amount(folder: Path, value: str) -> None:
    data = folder / "data" / "count.csv"
    lines = data.read_text().splitlines()
    cells = next(csv.reader([lines[1]]))
    cells[9] = value
    lines[1] = ",".join(f'"{c}"' for c in cells)
    data.write_text("\n".join(lines) + "\n")


def test_validator_and_importer_refuse_a_broken_package(tmp_path, small_place):
    made = [Figure("P", "2018-19", "bottom-up", "a", "t", "09", Decimal("1.00"), "m", "s")]
    fdp.export_package(made, tmp_path / "pkg", "Broken")
    _break_amount(tmp_path / "pkg", "lots")
    problems = fdp.validate(tmp_path / "pkg")
    assert problems and "row 2" in problems[0] and "amount" in problems[0]
    con = connect(small_place)
    with pytest.raises(InputError, match="not a valid data package: .*row 2, column amount"):
        imports.import_package(con, small_place, tmp_path / "pkg")
    con.close()
    assert not (small_place.root / "imports").exists()
    with pytest.raises(InputError, match="no datapackage.json"):
        fdp.read_package(tmp_path / "nowhere")


def _foreign_package(folder: Path, currency: str = "GBP") -> None:
    """An OpenSpending-style package: other column names, amounts in £ thousand."""
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "spend.csv").write_text(
        "Year,Dept,COFOG code,Value\n2017-18,Home Office,03.1,1500.5\n2017-18,MoJ,03.3,0.01\n")
    descriptor = {
        "name": "other-place", "title": "Other place", "profile": "tabular-data-package",
        "resources": [{"name": "spend", "path": "data/spend.csv", "profile": "tabular-data-resource",
                       "schema": {"fields": [{"name": "Year", "type": "string"}, {"name": "Dept", "type": "string"},
                                             {"name": "COFOG code", "type": "string"},
                                             {"name": "Value", "type": "number"}]}}],
        "model": {"measures": {"value": {"source": "Value", "currency": currency, "factor": 1000}},
                  "dimensions": {
                      "date": {"dimensionType": "datetime", "attributes": {"year": {"source": "Year"}},
                               "primaryKey": "year"},
                      "department": {"dimensionType": "classification", "classificationType": "administrative",
                                     "attributes": {"name": {"source": "Dept"}}, "primaryKey": "name"},
                      "functional": {"dimensionType": "classification", "classificationType": "functional",
                                     "attributes": {"cofog": {"source": "COFOG code"}}, "primaryKey": "cofog"}}},
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor))


def test_a_foreign_package_is_read_through_its_model(tmp_path):
    _foreign_package(tmp_path / "other")
    package = fdp.read_package(tmp_path / "other")
    assert [(f.fiscal_year, f.agency, f.cofog, f.amount, f.direction) for f in package.figures] == [
        ("2017-18", "Home Office", "03.1", Decimal("1500500.00"), "imported"),
        ("2017-18", "MoJ", "03.3", Decimal("10.00"), "imported")]
    _foreign_package(tmp_path / "dollars", currency="USD")
    with pytest.raises(InputError, match="currency: 'USD' is not GBP"):
        fdp.read_package(tmp_path / "dollars")


def test_count_figure_table_is_exported_beside_the_bottom_up_count(small_place):
    con = connect(small_place)
    assert store_figures(con, small_place) == []
    con.execute("CREATE TABLE count_figure (fiscal_year VARCHAR, direction VARCHAR, agency_or_department VARCHAR, "
                "theme VARCHAR, control_level VARCHAR, amount DECIMAL(38,2), method VARCHAR, confidence VARCHAR)")
    con.execute("INSERT INTO count_figure VALUES ('2018-19', 'top-down', 'DWP', NULL, 'demand-led', 123.45, "
                "'CRA apportioned by population', 'medium')")
    found = store_figures(con, small_place)
    con.close()
    assert found == [Figure("Bradford", "2018-19", "top-down", "DWP", "", "", Decimal("123.45"),
                            "CRA apportioned by population", "", "medium", "demand-led")]


def test_real_bottom_up_count_round_trips_and_compares_to_zero(real_place, real_con, tmp_path):
    workspace, _ = real_place
    made = bottomup_figures(real_con, workspace, "all")
    for year in ("2011-12", "2012-13", "2018-19"):
        expected = bottomup.count(real_con, workspace, "agency", year).total
        assert sum(f.amount for f in made if f.fiscal_year == year) == expected
    assert len({(f.fiscal_year, f.agency, f.theme, f.cofog) for f in made}) == len(made)
    fdp.export_package(made, tmp_path / "pkg", "Leeds and Bradford")
    assert fdp.validate(tmp_path / "pkg") == []
    back = fdp.read_package(tmp_path / "pkg")
    assert back.figures == made
    for by in imports.CUTS:
        _, rows = imports.compare(real_con, workspace, back, by, "2012-13")
        assert rows and all(r.difference == 0 for r in rows), by


def test_cli_export_import_list_and_compare(real_place, tmp_path):
    workspace, _ = real_place
    runner = CliRunner()
    folder = tmp_path / "out"
    exported = runner.invoke(app, ["export", "fdp", str(folder), "-w", str(workspace.root), "--year", "2018-19"])
    assert exported.exit_code == 0, exported.output
    assert "valid" in exported.output and (folder / "datapackage.json").is_file()
    imported = runner.invoke(app, ["import", "fdp", str(folder), "-w", str(workspace.root), "--name", "neighbour"])
    assert imported.exit_code == 0, imported.output
    assert (workspace.root / "imports" / "neighbour" / "datapackage.json").is_file()
    con = connect(workspace, read_only=True)
    stored = con.execute("SELECT sum(amount) FROM imported_figure WHERE package = 'neighbour'").fetchall()[0][0]
    assert stored == bottomup.count(con, workspace, "agency", "2018-19").total
    con.close()
    listed = runner.invoke(app, ["import", "list", "-w", str(workspace.root), "--format", "json"])
    assert json.loads(listed.output)["rows"][0]["figures"] > 0
    compared = runner.invoke(app, ["import", "compare", "neighbour", "-w", str(workspace.root), "--by", "agency",
                                   "--year", "2018-19", "--format", "csv"])
    assert compared.exit_code == 0, compared.output
    assert "bradford-council" in compared.output and ",0.00" in compared.output
    again = runner.invoke(app, ["import", "fdp", str(tmp_path / "out"), "-w", str(workspace.root), "--name", "neighbour"])
    assert again.exit_code == 2 and "exists already" in again.output
    shutil.rmtree(workspace.root / "imports")  # the session's shared workspace goes back as it was
    missing = runner.invoke(app, ["import", "fdp", str(tmp_path / "none"), "-w", str(workspace.root)])
    assert missing.exit_code == 2 and "no datapackage.json" in missing.output
