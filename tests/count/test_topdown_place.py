"""Each place its own top-down figure: every CRA release and year, drivers from real data, the sliding scale
applied the same way in every release, missing figures said in words, and the count year after year."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from support.data import CRA_2014, CRA_DIR, GEOGRAPHY, SHARED_DATA, only_cra_releases
from typer.testing import CliRunner

from totalplace import reference
from totalplace.cli import app
from totalplace.classify import control
from totalplace.count import compare, reconcile, topdown
from totalplace.ingest import cra
from totalplace.store.connection import connect, writable

BRADFORD, LEEDS, BIRMINGHAM, LEWISHAM = "E08000032", "E08000035", "E08000025", "E09000023"
YORKSHIRE, WEST_MIDLANDS = "Yorkshire and The Humber", "West Midlands"
EVERY_YEAR = [f"{y}-{(y + 1) % 100:02d}" for y in range(2004, 2018)]


@pytest.fixture(scope="module")
def shipped_place(make_workspace):
    """A Bradford workspace loaded from the CRA releases shipped with totalplace (no files named)."""
    workspace = make_workspace(cra_read=True)
    with writable(workspace) as con:
        topdown.load(con, workspace)
    return workspace


@pytest.fixture()
def con(shipped_place):
    connection = duckdb.connect(str(shipped_place.store_path))
    yield connection
    connection.close()


def one_release_place(make_workspace, workbook: Path):
    """A workspace holding one CRA release only (its lines from the run's CRA cache: these tests load a release,
    they do not test reading one)."""
    workspace = make_workspace(cra_read=[workbook])
    only_cra_releases(workspace, {workbook.name})
    connection = connect(workspace)
    topdown.load(connection, workspace, [workbook])
    shutil.rmtree(workspace.root / "cra")  # keep only the one release: nothing shipped is added back by count
    return workspace, connection


# --- releases --------------------------------------------------------------------------------

@pytest.mark.slow  # reads the whole 2014 release
def test_the_2014_release_is_read_in_pounds():
    release = cra.read_workbook(CRA_2014)
    assert release.layout == "CRA database 2014 layout"
    assert release.years == ["2009-10", "2010-11", "2011-12", "2012-13", "2013-14"]
    assert release.unit.startswith("£ thousand")
    lines = release.lines.to_pylist()
    # the workbook's second row: Civil Superannuation in Scotland, 106600 (£'000) in 2009-10
    first = next(r for r in lines if r["row_number"] == 2 and r["fiscal_year"] == "2009-10")
    assert (first["department"], first["region"], first["amount"]) == (
        "Cabinet Office: Civil Superannuation", "Scotland", Decimal("106600000.00"))
    assert first["cofog_group"] == "10.2" and first["sub_function"] == "10.2 Old age; of which: pensions"


def test_all_three_releases_are_shipped_and_each_year_says_its_release(con):
    shipped = sorted(p.name for p in Path(str(reference.data_path("cra"))).glob("*.xlsx"))
    assert shipped == ["cra_2010_database.xlsx", "cra_2014_database.xlsx", "cra_2018_database.xlsx"]
    chosen = dict(con.execute("SELECT fiscal_year, release FROM topdown_year").fetchall())
    assert sorted(chosen) == EVERY_YEAR
    assert {y for y, r in chosen.items() if r == "cra_2010_database.xlsx"} == set(EVERY_YEAR[:5])
    assert {y for y, r in chosen.items() if r == "cra_2014_database.xlsx"} == set(EVERY_YEAR[5:9])
    assert {y for y, r in chosen.items() if r == "cra_2018_database.xlsx"} == set(EVERY_YEAR[9:])


def test_every_year_has_local_government_lines_in_every_english_region(con):
    found = set(con.execute("SELECT fiscal_year, region FROM topdown_line WHERE spender = 'LG' AND amount <> 0 "
                            "GROUP BY 1, 2").fetchall())
    wanted = {(y, r) for y in EVERY_YEAR for r in cra.ENGLISH_REGIONS}
    assert wanted - found == set()


def test_each_figure_says_its_release(shipped_place, con):
    result = topdown.count(con, shipped_place, [BRADFORD], "2011-12", "control")
    assert result.release == "cra_2014_database.xlsx"
    assert result.missing == []
    assert any("HM Treasury, Country and Regional Analysis 2014" in note for note in result.provenance())


# --- drivers ---------------------------------------------------------------------------------

def shipped_driver(name: str, year: str) -> dict[str, Decimal]:
    with reference.data_path(f"drivers/{name}.csv").open(encoding="utf-8", newline="") as handle:
        return {r["area_code"]: Decimal(r["value"]) for r in csv.DictReader(handle) if r["fiscal_year"] == year}


def share_of_region(values: dict[str, Decimal], area: str, region: str) -> Decimal:
    members = [a.code for a in reference.areas().values() if a.region == region]
    return values[area] / sum(values[m] for m in members)


@pytest.mark.parametrize("area, region", [(BRADFORD, YORKSHIRE), (LEEDS, YORKSHIRE), (BIRMINGHAM, WEST_MIDLANDS)])
def test_a_place_differs_from_its_region_as_its_age_profile_implies(shipped_place, con, area, region):
    year = "2017-18"
    people = shipped_driver("population", year)
    for driver in ("children", "over65"):
        younger_or_older = share_of_region(shipped_driver(driver, year), area, region) - \
            share_of_region(people, area, region)
        place = topdown.count(con, shipped_place, [area], year, "driver")
        region_count = topdown.count(con, shipped_place, [a.code for a in reference.areas().values()
                                                          if a.region == region], year, "driver")
        mine = next(r.per_head for r in place.rows if r.key == driver)
        average = next(r.per_head for r in region_count.rows if r.key == driver)
        assert younger_or_older != 0
        assert (mine - average > 0) == (younger_or_older > 0), (driver, mine, average)
    whole_region = topdown.count(con, shipped_place, [a.code for a in reference.areas().values()
                                                      if a.region == region], year, "control")
    assert topdown.count(con, shipped_place, [area], year, "control").per_head != whole_region.per_head


def test_leeds_and_bradford_no_longer_share_one_figure(shipped_place, con):
    bradford = topdown.count(con, shipped_place, [BRADFORD], "2009-10", "control")
    leeds = topdown.count(con, shipped_place, [LEEDS], "2009-10", "control")
    assert bradford.per_head != leeds.per_head


def test_count_by_driver_says_each_drivers_share_source_and_year(shipped_place, con):
    result = topdown.count(con, shipped_place, [BRADFORD], "2017-18", "driver")
    keys = {r.key for r in result.rows}
    assert {"population", "children", "over65", "working_age"} <= keys
    assert sum(r.amount for r in result.rows) == result.total
    assert sum(r.share for r in result.rows) == pytest.approx(1.0)
    used = {d.name: d for d in result.drivers}
    assert used["over65"].source.startswith("ONS mid-year population estimates, mid-2017")
    assert used["children"].year == "mid-2017" and used["population"].year == "mid-2017"
    assert used["population"].confidence.startswith("low") and used["over65"].confidence.startswith("medium")
    before = topdown.count(con, shipped_place, [BRADFORD], "2008-09", "driver")
    assert {d.name: d.year for d in before.drivers}["population"] == "census 2011"


def test_population_is_the_nearest_mid_year_estimate_and_census_2011_before(shipped_place, con):
    mid_years = {}
    with (GEOGRAPHY / "la_population_2010_2024.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            mid_years[(row["lad_code"], row["year"])] = int(row["population"])
    assert topdown.count(con, shipped_place, [BRADFORD], "2013-14", "control").population == \
        mid_years[(BRADFORD, "2013")]
    assert topdown.count(con, shipped_place, [LEEDS], "2017-18", "control").population == mid_years[(LEEDS, "2017")]
    assert topdown.count(con, shipped_place, [BRADFORD], "2006-07", "control").population == \
        reference.area(BRADFORD).population_2011


def test_a_district_split_in_2023_still_adds_up_to_its_new_unitary():
    # North Yorkshire (E06000065, April 2023) was seven districts; each keeps its own share of the mid-year total
    people = shipped_driver("population", "2015-16")
    with (GEOGRAPHY / "la_population_2010_2024.csv").open(encoding="utf-8", newline="") as handle:
        total = next(int(r["population"]) for r in csv.DictReader(handle)
                     if r["lad_code"] == "E06000065" and r["year"] == "2015")
    districts = ["E07000163", "E07000164", "E07000165", "E07000166", "E07000167", "E07000168", "E07000169"]
    assert sum(people[d] for d in districts) == total
    assert len({people[d] for d in districts}) == 7


def test_the_shipped_drivers_are_rebuilt_from_the_public_data(tmp_path):
    from totalplace.ingest import drivers as building

    written = building.build(SHARED_DATA, tmp_path)
    assert sorted(p.name for p in written) == ["children.csv", "over65.csv", "population.csv", "sources.csv",
                                                "uc_households.csv", "working_age.csv"]
    for path in written:
        assert path.read_text(encoding="utf-8") == \
            reference.data_path(f"drivers/{path.name}").read_text(encoding="utf-8"), path.name


# --- missing, never zero ---------------------------------------------------------------------

def test_a_year_with_no_local_government_lines_is_missing_not_zero(make_workspace):
    workspace, con = one_release_place(make_workspace, CRA_DIR / "cra_2010_database.xlsx")
    result = topdown.count(con, workspace, [BRADFORD], "2010-11", "control")
    assert result.missing, "the 2010 release has no local government lines for 2010-11"
    words = " ".join(m.words for m in result.missing)
    assert "local government" in words.lower() and "missing" in words and "2010-11" in words
    # a council ledger for 2011-12 is set beside 2010-11, the nearest CRA year: missing, not 0.00
    con.execute("INSERT INTO spend_line (line_id, file_id, row_number, agency_id, payment_date, fiscal_year, amount,"
                " cofog) VALUES (1, 1, 1, 'bradford-council', DATE '2011-06-01', '2011-12', 1000.00, '09.2')")
    rows = reconcile.reconcile(con, workspace, "2011-12")
    education = next(r for r in rows if r.cofog == "09")
    assert education.top_down is None and education.gap is None
    assert any("missing" in c for c in education.causes)
    assert not any("more in the ledger" in c for c in education.causes)
    estimate = reconcile.best_estimate(con, workspace, "2011-12")
    assert estimate.missing and all("2010-11" in m.words for m in estimate.missing)
    con.close()


def test_the_cli_says_missing_in_words(make_workspace):
    workspace, con = one_release_place(make_workspace, CRA_DIR / "cra_2010_database.xlsx")
    con.close()
    shown = CliRunner().invoke(app, ["topdown", "count", "--year", "2010-11", "-w", str(workspace.root)])
    assert shown.exit_code == 0, shown.output
    assert "missing" in shown.output and "not zero" in shown.output


# --- the sliding scale of control ------------------------------------------------------------

def levels_by_line(con, workspace, year: str, region: str) -> list[tuple]:
    topdown.apportion(con, workspace, [a.code for a in reference.areas().values() if a.region == region], [year])
    return con.execute("""SELECT l.release, l.spender, l.department, l.programme, l.cofog, l.cofog_group,
                                 l.sub_function, a.control_level, l.amount
                          FROM topdown_line l JOIN topdown_assign a USING (line_id)
                          WHERE l.fiscal_year = ? AND l.region = ?""", [year, region]).fetchall()


def housing_benefit_2014(region: str) -> Decimal:
    """Local government housing benefit (COFOG 10.6) in a region, 2009-10, as the 2014 release gives it."""
    return sum(r["amount"] for r in cra.read_workbook(CRA_2014).lines.to_pylist()
               if r["spender"] == "LG" and r["cofog_group"] == "10.6" and r["fiscal_year"] == "2009-10"
               and r["region"] == region)


@pytest.mark.slow  # loads each whole release (and the 2010 case reads the 2014 workbook to compare with)
@pytest.mark.parametrize("workbook, year", [(CRA_DIR / "cra_2010_database.xlsx", "2009-10"),
                                            (CRA_2014, "2009-10"), (CRA_DIR / "cra_2018_database.xlsx", "2013-14")])
def test_higher_education_and_housing_benefit_have_one_level_in_every_release(make_workspace, workbook, year):
    workspace, con = one_release_place(make_workspace, workbook)
    lines = levels_by_line(con, workspace, year, YORKSHIRE)
    higher = [r for r in lines if r[5] == "09.4" or "higher education" in (r[3] or "").lower()]
    assert higher and {r[7] for r in higher} == {"national"}
    housing_benefit = [r for r in lines if r[1] == "LG" and r[5] == "10.6"]
    if not housing_benefit:
        # the 2010 release has no COFOG groups: of its local government social protection lines, housing benefit
        # is the one nearest the 2014 release's housing benefit for the same year and region
        social = [r for r in lines if r[1] == "LG" and r[4] == "10" and r[8] > 0]
        target = housing_benefit_2014(YORKSHIRE)
        housing_benefit = [min(social, key=lambda r: abs(r[8] - target))]
        others = [r for r in social if r is not housing_benefit[0]]
        assert {r[7] for r in others} == {"council_ringfenced"}
    assert housing_benefit and {r[7] for r in housing_benefit} == {"demand_led"}
    con.close()


@pytest.mark.slow  # loads two whole releases
def test_the_levels_agree_between_two_releases_of_one_year(make_workspace):
    """2009-10 is in the 2010 and the 2014 release: each level's share of the region agrees within 3 points."""
    shares = []
    for workbook in (CRA_DIR / "cra_2010_database.xlsx", CRA_2014):
        workspace, con = one_release_place(make_workspace, workbook)
        region = [a.code for a in reference.areas().values() if a.region == YORKSHIRE]
        result = topdown.count(con, workspace, region, "2009-10", "control")
        shares.append({r.key: r.share for r in result.rows})
        con.close()
    old, new = shares
    assert set(old) == set(new)
    for level in old:
        assert abs(old[level] - new[level]) < 0.03, (level, old[level], new[level])


def test_london_regional_bodies_have_their_own_level(shipped_place, con):
    lewisham = topdown.count(con, shipped_place, [LEWISHAM], "2009-10", "control")
    levels = {r.key: r for r in lewisham.rows}
    assert levels["regional"].amount > 0
    assert levels["council_discretion"].share < 0.06  # was 8.3% with the GLA and TfL inside it
    bradford = {r.key: r for r in topdown.count(con, shipped_place, [BRADFORD], "2009-10", "control").rows}
    assert "regional" not in bradford or bradford["regional"].amount == 0


def test_local_say_is_local_government_with_the_nhs_beside_it(shipped_place, con):
    levels = control.read_levels(shipped_place)
    assert [k for k, level in levels.items() if level.local_say] == \
        ["council_discretion", "council_ringfenced", "police_fire", "regional"]
    definition = control.local_say_definition(shipped_place)
    assert "police and fire" in definition and "NHS" in definition
    bradford = compare.pilots(con, shipped_place, ["Bradford"])[0]
    assert 0.25 < bradford.local_say < 0.31  # the seeds' 30%; Bradford 28.1% expected
    assert bradford.nhs_share > 0.1
    assert any(definition in d for d in bradford.differences)


def test_the_comparison_with_the_pilots_follows_the_rules_in_force(shipped_place, con, make_workspace):
    workspace = make_workspace()
    shutil.copytree(shipped_place.root / "store", workspace.root / "store", dirs_exist_ok=True)
    topdown.ensure_rules(workspace)  # as `topdown load` does: the rule tables, to edit
    own = duckdb.connect(str(workspace.store_path))
    before = compare.pilots(own, workspace, ["Bradford"])[0]
    path = workspace.root / "rules" / control.LEVEL_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("nhs,The local NHS,no", "nhs,The local NHS,yes"),
                    encoding="utf-8")
    after = compare.pilots(own, workspace, ["Bradford"])[0]
    assert after.local_say == pytest.approx(before.local_say + before.nhs_share)
    assert any("The local NHS" in d for d in after.differences if "Local say" in d)
    own.close()


def test_spending_with_no_region_is_per_head_of_the_uk(con):
    amount = con.execute("SELECT sum(amount) FROM topdown_line WHERE fiscal_year = '2015-16' "
                         "AND (NOT identifiable OR region = 'Not identifiable')").fetchall()[0][0]
    people = 0
    with (GEOGRAPHY / "la_population_2010_2024.csv").open(encoding="utf-8", newline="") as handle:
        people = sum(int(r["population"]) for r in csv.DictReader(handle) if r["year"] == "2015")
    assert topdown.not_identifiable_per_head(con, "2015-16") == (amount / people).quantize(Decimal("0.01"))


# --- year after year -------------------------------------------------------------------------

def test_the_trend_covers_every_year_in_cash_and_real_terms(shipped_place, con):
    from totalplace.count import trend
    from totalplace.deepdive.deflator import shipped_series

    result = trend.trend(con, shipped_place, [BRADFORD], base_year="2017-18")
    assert [y.fiscal_year for y in result.years] == EVERY_YEAR
    deflator = shipped_series()
    for year in result.years:
        single = topdown.count(con, shipped_place, [BRADFORD], year.fiscal_year, "control")
        assert year.cash == single.total and year.population == single.population
        assert year.real == deflator.uprate(year.cash, year.fiscal_year, "2017-18")
        assert sum(year.by_level.values()) == year.cash and sum(year.by_function.values()) == year.cash
        assert year.region_per_head_real and year.england_per_head_real
        assert year.missing == []
    breaks = [y.fiscal_year for y in result.years if y.break_before]
    assert breaks == ["2009-10", "2013-14"]
    assert result.years[-1].real == result.years[-1].cash  # the base year's prices are its own


def test_the_trend_command_prints_every_year(shipped_place):
    shown = CliRunner().invoke(app, ["topdown", "trend", "--base-year", "2015-16", "-f", "csv",
                                     "-w", str(shipped_place.root)])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.strip().splitlines()
    assert len(lines) == 1 + len(EVERY_YEAR)
    assert "2015-16 prices" in lines[0]
    bad = CliRunner().invoke(app, ["topdown", "trend", "--base-year", "1990-91", "-w", str(shipped_place.root)])
    assert bad.exit_code == 2 and "1990-91" in bad.output
