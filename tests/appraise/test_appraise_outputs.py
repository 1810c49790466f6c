"""Sensitivity, tracking, portfolio, export, report and the CLI, on small hand-checked cases and the shipped example."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from totalplace.appraise.engine import appraise, make_context
from totalplace.appraise.model import parse_intervention
from totalplace.appraise.sensitivity import switching_values, tornado
from totalplace.appraise.service import appraise_target, load_portfolio
from totalplace.appraise.tracking import early_intervention_pot, read_actuals, variances
from totalplace.errors import InputError
from totalplace.workspace import open_workspace

D = Decimal
BRADFORD = Path(__file__).resolve().parents[2] / "examples" / "bradford"


def linear_case():
    # Year 0 only, grade 1: NPV = cohort x 100 - 1000, cohort 20 -> NPV 1000. Switching cohort = 10.
    data = {"id": "lin", "name": "Linear", "price_year": "2023-24", "horizon": 1, "cohort": 20,
            "costs": [{"agency": "dwp", "year": 0, "amount": 1000}],
            "outcomes": [{"id": "a", "kind": "fiscal", "agency": "hmrc", "unit_value": 100}]}
    parsed = parse_intervention(data, "lin.yaml")
    return appraise(parsed, make_context(parsed, None))


def test_tornado_and_switching_values_by_hand():
    # cohort 16 / 24 (-/+20%): NPV 1600 - 1000 = 600 and 2400 - 1000 = 1400. Cost x0.8 / x1.2: 1200 / 800.
    # Switching values: cohort 10 (-50%); costs x 2 (+100%); the unit value 50 (-50%).
    appraisal = linear_case()
    bars = {b.key: b for b in tornado(appraisal)}
    assert (bars["cohort"].npv_low, bars["cohort"].npv_high) == (D(600), D(1400))
    assert (bars["cost_multiplier"].npv_low, bars["cost_multiplier"].npv_high) == (D(1200), D(800))
    found = {s.key: s for s in switching_values(appraisal)}
    assert found["cohort"].value == pytest.approx(10, abs=1e-6)
    assert found["cost_multiplier"].value == pytest.approx(2, abs=1e-6)
    assert found["outcome:a.unit_value"].value == pytest.approx(50, abs=1e-6)
    assert found["outcome:a.unit_value"].change == pytest.approx(-0.5, abs=1e-8)
    assert found["deadweight"].value == pytest.approx(0.5, abs=1e-6)   # 20 x (1 - d) x 100 = 1000


@pytest.fixture()
def bradford(tmp_path):
    """A copy of the Bradford example's settings and interventions (no spend files needed)."""
    root = tmp_path / "bradford"
    (root / "interventions").mkdir(parents=True)
    shutil.copy(BRADFORD / "totalplace.toml", root)
    shutil.copy(BRADFORD / "interventions" / "family-support.yaml", root / "interventions")
    return open_workspace(root)


def test_tracking_flags_and_the_pot(bradford):
    path, appraisal = appraise_target(bradford, "family-support")
    # Forecast 2025-26 council spend: (150,000 capital + 1,200,000 revenue) x 1.10 (grade 3) = 1,485,000.
    # Actual 1,700,000 is +14.5% -> overspent. DWP's 2026-27 forecast saving is 461,533.59; actual 300,000
    # (cashable) -> behind. Pot: 5% of local cashable savings: the council's 20,000 = 1,000; DWP's 300,000 is a
    # national saving and the police's 50,000 is not cashable.
    (path.parent / "family-support.actuals.csv").write_text(
        "year,agency,kind,amount,cashable\n2025-26,bradford-council,spend,1700000,\n"
        "2026-27,dwp,saving,300000,yes\n2026-27,bradford-council,saving,20000,yes\n"
        "2026-27,west-yorkshire-police,saving,50000,no\n", encoding="utf-8")
    actuals = read_actuals(path.parent / "family-support.actuals.csv", appraisal)
    rows = {(r.agency, r.year, r.kind): r for r in variances(appraisal, actuals)}
    council = rows[("bradford-council", 0, "spend")]
    assert council.forecast == D(1485000) and council.flag == "overspent"
    assert rows[("dwp", 1, "saving")].flag == "behind"
    assert rows[("nhs-bradford", 1, "spend")].flag == "not yet reported"
    pot = early_intervention_pot(appraisal, actuals)
    assert pot == {1: (D(20000), D(1000))}


def test_tracking_rejects_a_bad_row(bradford):
    path, appraisal = appraise_target(bradford, "family-support")
    bad = path.parent / "bad.csv"
    bad.write_text("year,agency,kind,amount\n2019-20,dwp,saving,5\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, column year: '2019-20' is not a year of the appraisal"):
        read_actuals(bad, appraisal)


def test_portfolio_flags_overlap_and_labels_the_judgement(bradford):
    folder = bradford.root / "interventions"
    data = yaml.safe_load((folder / "family-support.yaml").read_text(encoding="utf-8"))
    data["id"] = "family-support-2"
    (folder / "family-support-2.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (folder / "portfolio.yaml").write_text(yaml.safe_dump({"name": "Early help", "overlaps": [
        {"interventions": ["family-support", "family-support-2"], "keep_benefits": 0.5,
         "note": "half the families are in both"}]}), encoding="utf-8")
    portfolio = load_portfolio(bradford)
    assert portfolio.flags and "families-with-multiple-needs" in portfolio.flags[0]
    assert portfolio.judgements[0].startswith("JUDGEMENT")
    single = appraise_target(bradford, "family-support")[1].agency_pv()
    dwp = next(t for t in portfolio.by_agency() if t.agency == "dwp")
    assert dwp.pv_benefit == single["dwp"][1] * D("1.5")  # all of the first + half of the identical second


def test_export_workbook_lets_a_finance_team_check_the_figures(bradford, tmp_path):
    from totalplace.appraise.export import write_workbook

    _, appraisal = appraise_target(bradford, "family-support")
    path = write_workbook(appraisal, tmp_path / "a.xlsx", draws=500, seed=1)
    book = load_workbook(path)
    working = book["Working"]
    rows = [r for r in working.iter_rows(min_row=2, values_only=True) if r and r[1] in ("cost", "benefit")]
    assert len(rows) == len(appraisal.flows)
    pv_costs = sum(r[10] for r in rows if r[1] == "cost")
    assert pv_costs == pytest.approx(float(appraisal.summary().pv_costs), rel=1e-12)
    assert working["L2"].value == "=G2*H2" and working["M2"].value == "=I2*J2"
    assert {"Inputs", "Discount factors", "Matrix", "Gain-share shapley", "Agreement shapley",
            "Monte Carlo 1"} <= set(book.sheetnames)


def test_report_sections_have_charts_and_tables(bradford):
    from totalplace.appraise.report import report_sections

    sections = report_sections(bradford)
    ids = [s.id for s in sections]
    assert ids == [f"appraisal-family-support-{p}" for p in ("summary", "matrix", "sensitivity", "gainshare",
                                                              "montecarlo")]
    charts = [c for s in sections for c in s.charts]
    assert len(charts) == 3 and all(c.svg.startswith("<svg") and c.table.rows for c in charts)
    assert any("Green Book" in p for p in sections[0].provenance)


def run_cli(*args: str):
    from totalplace.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_summary_matrix_and_gainshare(bradford):
    root = str(bradford.root)
    result = run_cli("appraise", "family-support", "--matrix", "-w", root)
    assert result.exit_code == 0, result.output
    assert "Fiscal NPV" in result.output and "Wrong-pocket matrix" in result.output
    shared = run_cli("appraise", "gainshare", "family-support", "--method", "shapley", "-w", root, "-f", "csv")
    assert shared.exit_code == 0 and shared.output.startswith("payer,payee,year")
    chances = run_cli("appraise", "montecarlo", "family-support", "--draws", "2000", "--seed", "5", "-w", root,
                      "-f", "json")
    assert chances.exit_code == 0 and '"P5"' in chances.output


def test_cli_bad_input_is_one_line_and_exit_2(bradford):
    path = bradford.root / "interventions" / "broken.yaml"
    data = yaml.safe_load((bradford.root / "interventions" / "family-support.yaml").read_text(encoding="utf-8"))
    data["horizon"] = 0
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run_cli("appraise", "broken", "-w", str(bradford.root))
    assert result.exit_code == 2
    assert "field horizon" in result.output


def test_inputs_and_measures_read_with_their_acronyms():
    """'Unit value of tax and NI', 'A&E attendances', 'public value NPV': never 'ni', 'ae' or 'npv' where people
    read."""
    from totalplace.appraise.tables import input_name, switching_table

    data = {"id": "acr", "name": "Acronyms", "price_year": "2023-24", "horizon": 1, "cohort": 20,
            "costs": [{"agency": "dwp", "year": 0, "amount": 1000}],
            "outcomes": [{"id": "tax_and_ni", "kind": "fiscal", "agency": "hmrc", "unit_value": 100},
                         {"id": "ae_attendances", "kind": "fiscal", "agency": "hmrc", "unit_value": 10}]}
    parsed = parse_intervention(data, "acr.yaml")
    appraisal = appraise(parsed, make_context(parsed, None))
    assert input_name(appraisal, "outcome:tax_and_ni.unit_value") == "Unit value of tax and NI"
    assert input_name(appraisal, "outcome:ae_attendances.unit_value") == "Unit value of A&E attendances"
    table = switching_table(appraisal, switching_values(appraisal), "public_value_npv")
    assert table.title.endswith("at which public value NPV is zero")
    shown = {row[0]: row[3] for row in table.rows}
    assert str(shown["cohort"]) == "9.09"  # 1000 / (100 + 10) = 9.0909...: three significant figures, not six
