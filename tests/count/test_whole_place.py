"""One whole-place figure, counted once: every kind of agency reconciled, agreed ledgers of any kind in the best
estimate, and one headline (the CLI, the report and the web overview show the same one).

On the real data: the shipped CRA releases, Bradford's council payments, the NHS Redbridge CCG's 2020-21 payments,
and the CCG lookup's share of each district (the Bradford District and Craven CCG serves all of Bradford and 89% of
Craven's people).
"""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal

import pytest
from support.data import BRADFORD, SHARED_DATA, SPEND, write_csv
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from support.web import signed_in
from totalplace import partners
from totalplace.cli import app
from totalplace.count import headline, reconcile, topdown
from totalplace.ingest.load import ingest
from totalplace.money import per_head
from totalplace.report.contents import report_sections
from totalplace.store.connection import connect, writable
from totalplace.workspace import Agency, AgencyKind, open_workspace

runner = CliRunner()
CRAVEN = "E07000163"
REDBRIDGE = "E09000026"
CCG = "E38000232"  # NHS Bradford District and Craven CCG
WEST_YORKSHIRE_POLICE = "E23000010"
CCG_LEDGER = """Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name
Acute services,Clinical services,15/05/2018,C1,2500000.00,Airedale General Hospital Services Ltd
Community services,Clinical services,20/06/2018,C2,1200000.50,Locala Community Partnerships CIC
"""
POLICE_LEDGER = """Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name
Operational policing,Vehicles,15/05/2018,P1,400000.00,Northern Police Vehicles Ltd
"""


def _share(con, workspace, areas: list[str], year: str, level: str, cofog: str = "") -> Decimal:
    """An independent look at the apportioned top-down lines of one level of control (and COFOG group prefix)."""
    topdown.apportion(con, workspace, areas, [year])
    return con.execute(
        """SELECT coalesce(sum(s.amount), 0) FROM topdown_share s JOIN topdown_line l USING (line_id)
           JOIN topdown_assign a USING (line_id)
           WHERE a.control_level = ? AND coalesce(l.cofog_group, l.cofog) LIKE ? || '%'""",
        [level, cofog]).fetchall()[0][0]


@pytest.fixture(scope="module")
def bradford(make_workspace):
    """Bradford with two months of council payments, a CCG and the police (small ledgers), and the CRA loaded."""
    workspace = make_workspace(cra_read=True)
    for month in ("2018-05", "2018-06"):
        shutil.copyfile(SPEND / "bradford" / f"{month}.csv", workspace.agency_dir("bradford-council") / f"{month}.csv")
    workspace.add_agency(Agency(id="bradford-ccg", name="NHS Bradford District and Craven CCG", kind=AgencyKind.nhs,
                                area=CCG))
    workspace.add_agency(Agency(id="wy-police", name="West Yorkshire Police", kind=AgencyKind.police,
                                area=WEST_YORKSHIRE_POLICE))
    write_csv(workspace.agency_dir("bradford-ccg") / "2018.csv", CCG_LEDGER)
    write_csv(workspace.agency_dir("wy-police") / "2018.csv", POLICE_LEDGER)
    ingest(workspace)
    with writable(workspace) as con:
        topdown.load(con, workspace)
    return workspace


@pytest.fixture(scope="module")
def bradford_report(bradford):
    """The report's sections on the Bradford place, made once: the tests below only read them."""
    return {s.id: s for s in report_sections(bradford)}


def _rows(workspace, year: str | None = None) -> list[reconcile.ReconRow]:
    con = connect(workspace)
    try:
        return reconcile.reconcile(con, workspace, year)
    finally:
        con.close()


def test_an_nhs_ledger_reconciles_against_the_health_lines_of_its_area(make_workspace):
    """The NHS Redbridge CCG's own payments beside the CRA's NHS health lines brought down to Redbridge."""
    workspace = make_workspace("Redbridge", [REDBRIDGE], cra_read=True)
    workspace.add_agency(Agency(id="redbridge-ccg", name="NHS Redbridge CCG", kind=AgencyKind.nhs, area=REDBRIDGE))
    shutil.copyfile(SHARED_DATA / "nhs" / "redbridge-ccg-2020-21.csv",
                    workspace.agency_dir("redbridge-ccg") / "redbridge-ccg-2020-21.csv")
    ingest(workspace)
    con = connect(workspace)
    try:
        topdown.load(con, workspace)
        loaded = con.execute("SELECT sum(amount) FROM spend_line WHERE agency_id = 'redbridge-ccg' AND "
                             "(counterpart_agency IS NULL OR counterpart_agency = agency_id) AND pass_through IS NULL"
                             ).fetchall()[0][0]
        rows = [r for r in reconcile.reconcile(con, workspace) if r.agency == "redbridge-ccg"]
        health = _share(con, workspace, [REDBRIDGE], "2017-18", "nhs")
    finally:
        con.close()
    assert rows, "an NHS body's ledger reconciles, not only a council's"
    assert sum((r.bottom_up for r in rows), Decimal(0)) == loaded
    row = next(r for r in rows if r.cofog == "07")
    assert row.top_down == health > 0
    assert (row.bottom_up_year, row.top_down_year) == ("2020-21", "2017-18")
    assert any("different years" in c and "2020-21" in c and "2017-18" in c for c in row.causes)
    assert "nhs" in row.counterpart and row.area == REDBRIDGE


def test_a_ccg_is_set_beside_the_nhs_lines_of_its_districts_by_each_districts_share(bradford):
    con = connect(bradford)
    try:
        rows = [r for r in reconcile.reconcile(con, bradford) if r.agency == "bradford-ccg"]
        whole = _share(con, bradford, [BRADFORD], "2017-18", "nhs")
        craven = _share(con, bradford, [CRAVEN], "2017-18", "nhs")
    finally:
        con.close()
    share = Decimal(repr(partners.districts_of(CCG)[CRAVEN]))
    assert share == Decimal("0.8943806899438418")  # from lad21_to_ccg21_stp21_popweighted.csv
    row = next(r for r in rows if r.cofog == "07")
    assert row.top_down == whole + (craven * share).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert row.bottom_up == Decimal("3700000.50")


def test_police_ledgers_are_set_beside_public_order_and_safety_of_the_force_area(bradford):
    districts = sorted(partners.districts_of(WEST_YORKSHIRE_POLICE))
    assert len(districts) == 5 and BRADFORD in districts  # Bradford, Calderdale, Kirklees, Leeds, Wakefield
    con = connect(bradford)
    try:
        rows = [r for r in reconcile.reconcile(con, bradford) if r.agency == "wy-police"]
        police = _share(con, bradford, districts, "2017-18", "police_fire", "03.1")
    finally:
        con.close()
    row = next(r for r in rows if r.cofog == "03")
    assert row.top_down == police > 0 and row.bottom_up == Decimal("400000.00")


def test_an_agreed_nhs_ledger_replaces_its_top_down_counterpart_once(bradford, tmp_path):
    shutil.copytree(bradford.root, tmp_path / "b")
    workspace = open_workspace(tmp_path / "b")
    con = connect(workspace)
    try:
        plain = reconcile.best_estimate(con, workspace, "2018-19")
        nhs_here = _share(con, workspace, [BRADFORD], "2017-18", "nhs")
        (workspace.root / "agreed.csv").write_text(
            "agency,fiscal_year,cofog,amount,agreed_by,note\nbradford-ccg,2018-19,07,900000000,CCG finance,\n",
            encoding="utf-8")
        agreed = reconcile.best_estimate(con, workspace, "2018-19")
        people = topdown.apportion(con, workspace, [BRADFORD, CRAVEN], ["2017-18"])
        bradford_people = people.population([BRADFORD], "2017-18")[0]
        craven_people = people.population([CRAVEN], "2017-18")[0]
    finally:
        con.close()
    share = Decimal(repr(partners.districts_of(CCG)[CRAVEN]))
    in_place = (Decimal(900000000) * bradford_people / (bradford_people + share * craven_people)).quantize(
        Decimal("0.01"), ROUND_HALF_UP)
    assert agreed.total == plain.total - nhs_here + in_place
    assert agreed.replaced == nhs_here
    ledger = [f for f in agreed.figures if f.direction == "bottom-up"]
    assert {f.agency_or_department for f in ledger} == {"bradford-ccg"}
    assert sum((f.amount for f in ledger), Decimal(0)) == in_place


def test_the_headline_is_the_best_estimate_beside_the_region_and_england(bradford):
    con = connect(bradford)
    try:
        found = headline.headline(con, bradford)
        estimate = reconcile.best_estimate(con, bradford, "2018-19")
        from totalplace.count import compare
        region, england = compare.regions(con, bradford, ["Yorkshire and The Humber", topdown.ENGLAND], "2017-18")
    finally:
        con.close()
    assert (found.fiscal_year, found.top_down_year, found.years_differ) == ("2018-19", "2017-18", True)
    assert found.amount == estimate.total and found.per_head == per_head(estimate.total, estimate.population)
    assert found.region_per_head == region.per_head(region.total)
    assert found.england_per_head == england.per_head(england.total)
    assert found.from_ledgers == 0 and found.from_top_down == found.amount and found.ledger_share == 0.0
    text = found.sentence()
    assert "2018-19" in text and "2017-18" in text and "different years" in text
    assert f"£{found.per_head:,.0f}" in text
    assert found.sources and any("Country and Regional Analysis" in s for s in found.sources)


def test_a_part_year_ledger_in_the_headline_is_flagged(bradford, tmp_path):
    shutil.copytree(bradford.root, tmp_path / "b")
    workspace = open_workspace(tmp_path / "b")
    (workspace.root / "agreed.csv").write_text(
        "agency,fiscal_year,cofog,amount,agreed_by,note\nbradford-council,2018-19,10,,Head of Finance,\n",
        encoding="utf-8")
    con = connect(workspace)
    try:
        found = headline.headline(con, workspace)
    finally:
        con.close()
    assert found.from_ledgers != 0 and 0 < found.ledger_share < 1
    assert found.from_ledgers + found.from_top_down == found.amount
    council = next(p for p in found.ledgers if p.agency == "bradford-council")
    assert council.months_covered == 2 and council.part_year
    assert found.part_year and "PART YEAR" in found.sentence()
    assert "Bradford council: 2 of 12 months" in " ".join(found.notes())  # the agency by its name


def test_the_report_the_web_overview_and_the_cli_show_the_same_headline(bradford, bradford_report, tmp_path, web_app):
    con = connect(bradford)
    try:
        found = headline.headline(con, bradford)
    finally:
        con.close()
    text = found.sentence()
    cli = runner.invoke(app, ["headline", "-w", str(bradford.root)])
    assert cli.exit_code == 0, cli.output
    assert text in " ".join(cli.output.split())

    first = next(iter(bradford_report.values()))
    assert first.id == "headline" and text in first.paragraphs

    web, passwords = web_app(bradford, tmp_path / "web.sqlite")
    with TestClient(web):
        page = signed_in(web, "partner", passwords["partner"]).get("/").text
        api = signed_in(web, "partner", passwords["partner"]).get("/api/overview").json()
    assert text in " ".join(page.replace("&#39;", "'").replace("&amp;", "&").split())
    assert api["headline"]["amount"] == f"{found.amount:.2f}" and api["headline"]["sentence"] == text


def test_a_council_ledger_is_labelled_as_that_councils_ledger(bradford, bradford_report, tmp_path, web_app):
    web, passwords = web_app(bradford, tmp_path / "web.sqlite")
    with TestClient(web):
        page = signed_in(web, "partner", passwords["partner"]).get("/").text
    assert "All the public money counted in Bradford" not in page
    assert "The agencies' own ledgers" in page
    assert "not all the public money" in " ".join(bradford_report["count-bottom-up"].paragraphs)
