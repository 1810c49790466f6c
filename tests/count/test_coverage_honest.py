"""Coverage is honest: how many months of each agency's year its files cover, part years flagged, --annualise.

On the real files: Leeds published no file for August 2011, so its 2011-12 is eleven months;
Bradford's 2018-19 is whole; a council with no file in a year is said to have none.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count import bottomup, coverage
from totalplace.report.contents import report_sections

runner = CliRunner()


def _year(real_con, agency: str, year: str) -> coverage.AgencyYear:
    return next(c for c in coverage.agency_years(real_con, year) if c.agency_id == agency)


def test_a_part_year_agency_is_flagged(real_place, real_con):
    workspace, _ = real_place
    leeds = _year(real_con, "leeds-council", "2011-12")
    assert (leeds.months_covered, leeds.missing, leeds.part_year) == (11, ["2011-08"], True)
    bradford = _year(real_con, "bradford-council", "2018-19")
    assert (bradford.months_covered, bradford.missing, bradford.part_year) == (12, [], False)
    absent = _year(real_con, "bradford-council", "2011-12")
    assert absent.months_covered == 0 and absent.part_year and len(absent.missing) == 12

    result = bottomup.count(real_con, workspace, "theme", "2011-12")
    assert result.part_year
    assert {c.agency_id: c.months_covered for c in result.coverage} == {"leeds-council": 11, "bradford-council": 0}
    whole = bottomup.count(real_con, workspace, "theme", "2018-19")
    assert [c.months_covered for c in whole.coverage if c.agency_id == "bradford-council"] == [12]


def test_the_cli_says_the_months_covered_and_flags_a_part_year(real_place):
    workspace, _ = real_place
    result = runner.invoke(app, ["count", "-w", str(workspace.root), "--year", "2011-12"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "PART YEAR" in text and "Leeds council: 11 of 12 months" in text and "2011-08" in text  # by its name
    as_json = runner.invoke(app, ["count", "-w", str(workspace.root), "--year", "2011-12", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    notes = " ".join(json.loads(as_json.output)["notes"])
    assert "PART YEAR" in notes and "11 of 12 months" in notes


def test_the_report_flags_a_part_year(real_place):
    workspace, _ = real_place
    sections = {s.id: s for s in report_sections(workspace)}
    text = " ".join(sections["count-bottom-up"].paragraphs)
    # the report's bottom-up section is of the latest year (Bradford's whole 2018-19): Leeds has no file in it
    assert "12 of 12 months" in text and "Leeds council: no file" in text  # agencies by their names
    coverage_table = next(t for s in sections.values() for t in s.all_tables() if t.title.startswith("Months covered"))
    rows = {(r[0], r[1]): r[2] for r in coverage_table.rows}
    assert rows[("Leeds council", "2011-12")] == 11 and rows[("Bradford council", "2018-19")] == 12


def test_annualise_scales_each_agency_by_its_months_and_says_it_is_an_estimate(real_place, real_con):
    workspace, _ = real_place
    plain = bottomup.count(real_con, workspace, "theme", "2011-12")
    scaled = bottomup.count(real_con, workspace, "theme", "2011-12", annualise=True)
    assert scaled.estimate and "estimate" in scaled.estimate and "12/11" in scaled.estimate
    assert not plain.estimate
    by_key = {r.key: r.amount for r in plain.rows}
    for row in scaled.rows:
        assert row.amount == (by_key[row.key] * 12 / 11).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert scaled.total == sum((r.amount for r in scaled.rows), Decimal(0))
    assert scaled.per_head == (scaled.total / scaled.population.value).quantize(Decimal("0.01"))
    whole = bottomup.count(real_con, workspace, "theme", "2018-19", annualise=True)
    assert whole.total == bottomup.count(real_con, workspace, "theme", "2018-19").total
    cli = runner.invoke(app, ["count", "-w", str(workspace.root), "--year", "2011-12", "--annualise"])
    assert cli.exit_code == 0, cli.output
    text = " ".join(cli.output.split())
    assert "ESTIMATE" in text and f"{scaled.total:,.2f}" in text
