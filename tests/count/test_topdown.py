"""The top-down count on the real CRA: conservation to the penny, drivers, the sliding scale, Wales, the CLI."""

from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb
import pytest
from support.data import CRA_2014, CRA_DIR, only_cra_releases
from typer.testing import CliRunner

from totalplace import reference
from totalplace.cli import app
from totalplace.classify import control
from totalplace.count import compare, drivers, topdown
from totalplace.errors import InputError
from totalplace.ingest import cra_files
from totalplace.store.connection import writable

BRADFORD = "E08000032"


@pytest.fixture(scope="session")
def cra_place(make_workspace):
    """A Bradford workspace with both shipped CRA workbooks loaded."""
    workspace = make_workspace(cra_read=sorted(CRA_DIR.glob("*.xlsx")))
    only_cra_releases(workspace, {path.name for path in CRA_DIR.glob("*.xlsx")})
    with writable(workspace) as con:
        topdown.load(con, workspace, sorted(CRA_DIR.glob("*.xlsx")))
    return workspace


@pytest.fixture()
def con(cra_place):
    connection = duckdb.connect(str(cra_place.store_path))
    yield connection
    connection.close()


def test_every_region_and_year_is_conserved_to_the_penny(cra_place, con):
    every = topdown.resolve_areas(["England", "Wales"])
    topdown.apportion(con, cra_place, every)
    # each line's shares add back to the line, for every line of every region and year
    wrong = con.execute("""SELECT count(*) FROM (SELECT line_id, sum(amount) AS shared FROM topdown_share GROUP BY 1)
                           JOIN topdown_line USING (line_id) WHERE shared <> amount""").fetchall()[0][0]
    assert wrong == 0
    shared = dict(((r, y), a) for r, y, a in con.execute(
        "SELECT l.region, l.fiscal_year, sum(s.amount) FROM topdown_share s JOIN topdown_line l USING (line_id) "
        "GROUP BY 1, 2").fetchall())
    totals = {k: v for k, v in topdown.region_totals(con).items()
              if k[0] in {a.region for a in reference.areas().values()}}
    assert len(totals) == 10 * 12  # nine English regions and Wales, twelve years
    assert shared == totals
    # shares are whole pennies: no amount with a fraction of a penny
    assert con.execute("SELECT count(*) FROM topdown_share WHERE amount * 100 <> round(amount * 100)").fetchall()[0][0] == 0


def test_population_shares_follow_population(cra_place, con):
    result = topdown.count(con, cra_place, [BRADFORD], "2017-18", "driver")
    lines = con.execute("""SELECT sum(l.amount), count(*) FROM topdown_line l JOIN topdown_assign a USING (line_id)
                           WHERE l.fiscal_year = '2017-18' AND l.region = 'Yorkshire and The Humber'
                             AND a.driver = 'population'""").fetchall()[0]
    people = {a.code: drivers.population(drivers.population_table(cra_place), [a.code], "2017-18")[0]
              for a in reference.areas().values() if a.region == "Yorkshire and The Humber"}
    expected = lines[0] * people[BRADFORD] / sum(people.values())
    shared = next(r.amount for r in result.rows if r.key == "population")
    assert abs(shared - expected) <= Decimal("0.01") * lines[1]  # at most a penny a line from rounding
    assert result.population == people[BRADFORD]
    assert sum(r.share for r in result.rows) == pytest.approx(1.0)


def test_sliding_scale_places_known_lines(cra_place, con):
    topdown.apportion(con, cra_place, [BRADFORD], ["2017-18"])
    levels = dict(con.execute(
        """SELECT l.department || ' | ' || coalesce(l.sub_function, l.hmt_function), any_value(a.control_level)
           FROM topdown_line l JOIN topdown_assign a USING (line_id) WHERE l.fiscal_year = '2017-18'
           GROUP BY 1""").fetchall())
    assert levels["Department for Work and Pensions | 10.2 Old age; of which: pensions"] == "demand_led"
    assert levels["Local Government England | 9.2 Secondary education"] == "council_ringfenced"
    assert levels["Local Government England | 3.1 of which: other police services"] == "police_fire"
    assert levels["Local Government England | 5.1 Waste management"] == "council_discretion"
    assert levels["Ministry of Justice | 3.4 Prisons"] == "national"
    # every identifiable line of the year and region counted is placed (lines are placed for what is counted)
    unplaced = con.execute("SELECT count(*) FROM topdown_line l ANTI JOIN topdown_assign a USING (line_id) "
                           "WHERE l.identifiable AND l.fiscal_year = '2017-18' "
                           "AND l.region = 'Yorkshire and The Humber'").fetchall()[0][0]
    assert unplaced == 0


def test_a_user_driver_moves_pensions_and_still_conserves(cra_place, con, make_workspace):
    workspace = make_workspace()
    shutil.copytree(cra_place.root / "store", workspace.root / "store", dirs_exist_ok=True)
    region = [a for a in reference.areas().values() if a.region == "Yorkshire and The Humber"]
    drivers = workspace.root / "drivers"
    drivers.mkdir()
    # Bradford gets twice its population's weight for pensions; everyone else their population
    (drivers / "over65.csv").write_text("area_code,value\n" + "".join(
        f"{a.code},{a.population_2011 * (2 if a.code == BRADFORD else 1)}\n" for a in region), encoding="utf-8")
    (workspace.root / "rules" / "topdown_drivers.csv").write_text(
        "rule_id,spender,department,cofog,function,driver,note\n"
        "P1,CG,Work and Pensions,^10\\.2,pensions,over65,pensions by over-65s\n"
        "D99,,,,,population,default\n", encoding="utf-8")
    own = duckdb.connect(str(workspace.store_path))
    topdown.apportion(own, workspace, [a.code for a in region], ["2017-18"])
    rows = own.execute("""SELECT s.area, sum(s.amount), any_value(l.amount) FROM topdown_share s
                          JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
                          WHERE a.driver = 'over65' GROUP BY s.line_id, s.area""").fetchall()
    assert rows, "the rule should send DWP pensions to the over65 driver"
    by_line = own.execute("""SELECT count(*) FROM (SELECT line_id, sum(amount) t FROM topdown_share GROUP BY 1)
                             JOIN topdown_line USING (line_id) WHERE t <> amount""").fetchall()[0][0]
    assert by_line == 0
    weights = {a.code: a.population_2011 * (2 if a.code == BRADFORD else 1) for a in region}
    share = Decimal(weights[BRADFORD]) / sum(weights.values())
    bradford_total = sum(r[1] for r in rows if r[0] == BRADFORD)
    line_total = sum(r[2] for r in rows if r[0] == BRADFORD)
    assert abs(bradford_total - line_total * share) <= Decimal("0.01") * len(rows)
    (drivers / "over65.csv").write_text("area_code,value\nE08000032,10\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"over65\.csv: no value for \d+ area-year"):
        topdown.apportion(own, workspace, [BRADFORD], ["2017-18"])
    own.close()


def test_wales_as_a_whole_is_the_cra_wales_total(cra_place, con):
    wales = topdown.resolve_areas(["Wales"])
    assert len(wales) == 22
    result = topdown.count(con, cra_place, wales, "2015-16", "department")
    assert result.total == topdown.region_totals(con, "2015-16")[("Wales", "2015-16")]


def test_pilots_are_compared_with_published_figures(cra_place, con):
    results = {r.pilot: r for r in compare.pilots(con, cra_place, ["Bradford", "Lewisham", "Coventry"])}
    assert set(results) == {"Bradford", "Lewisham", "Coventry, Solihull and Warwickshire"}
    lewisham = results["Lewisham"]
    measures = {p.measure for p in lewisham.published}
    assert {"per_head", "local_say_share", "council_share", "council_discretion_share"} <= measures
    assert any("against 20% published for Lewisham" in d for d in lewisham.differences)
    for result in results.values():
        assert result.figures.total == sum(result.figures.by_control.values())
        assert 0 < result.local_say < 1
        assert all(p.source for p in result.published)


def test_cli_counts_and_refuses_bad_input(cra_place):
    runner = CliRunner()
    good = runner.invoke(app, ["topdown", "control", "--year", "2009-10", "-f", "csv", "-w", str(cra_place.root)])
    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[0] == "level,amount,£ per head,share"
    assert len(good.output.splitlines()) == 7  # the header and six levels (no London regional bodies in Bradford)
    bad = runner.invoke(app, ["topdown", "count", "--by", "colour", "-w", str(cra_place.root)])
    assert bad.exit_code == 2 and "cannot count by 'colour'" in bad.output
    year = runner.invoke(app, ["topdown", "count", "--year", "2011-12", "-w", str(cra_place.root)])
    assert year.exit_code == 2 and "no CRA figures for '2011-12'" in year.output


def test_flows_from_funder_to_function_carry_the_whole_count(cra_place, con):
    """The flow diagram's table drops nothing: its rows add up to the place's top-down total to the penny."""
    areas = cra_place.settings.place.areas
    whole = topdown.count(con, cra_place, areas, "2009-10", "department")
    links = topdown.flows(con, cra_place, areas, "2009-10", keep=3)
    departments = {department for department, _level, _function, _amount in links}
    assert len(departments) == 4 and "Other departments" in departments
    assert sum(amount for *_keys, amount in links) == whole.total


def test_a_deal_can_rest_on_a_top_down_figure(cra_place, con):
    from totalplace.deal.evidence import Context, EvidenceMissing, resolve

    expected = topdown.count(con, cra_place, cra_place.settings.place.areas, "2009-10", "control")
    police_fire = next(r.amount for r in expected.rows if r.key == "police_fire")
    con.close()  # the resolver opens the store read-only itself
    with Context(cra_place) as context:
        assert resolve(context, "topdown:by=control;key=police_fire;year=2009-10").amount == police_fire
        assert resolve(context, "topdown:year=2009-10").amount == expected.total
        with pytest.raises(EvidenceMissing, match="no 'nowhere'"):
            resolve(context, "topdown:by=control;key=nowhere;year=2009-10")


class CountingConnection:
    """A DuckDB connection that counts the statements that apportion lines into topdown_share."""

    def __init__(self, con) -> None:
        self.con = con
        self.apportioned = 0

    def execute(self, sql, params=None):
        self.apportioned += "TEMP TABLE topdown_share AS" in sql
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def __getattr__(self, name):
        return getattr(self.con, name)


def test_a_report_asking_for_the_same_shares_again_is_answered_from_the_ones_made(cra_place, con):
    """A report asks for a year's top-down shares many times (headline, breakdown, flows, local say): the
    lines are placed and shared once a connection, not once a question (on Spark each time cost seconds)."""
    counting = CountingConnection(con)
    first = topdown.count(counting, cra_place, [BRADFORD], "2017-18", "control")
    by_department = topdown.count(counting, cra_place, [BRADFORD], "2017-18", "department")
    flows = topdown.flows(counting, cra_place, [BRADFORD], "2017-18")
    assert counting.apportioned == 1
    assert topdown.count(counting, cra_place, [BRADFORD], "2017-18", "control") == first
    assert by_department.total == first.total == sum(f[3] for f in flows)
    topdown.count(counting, cra_place, [BRADFORD], "2016-17", "control")  # another question: shared afresh
    assert counting.apportioned == 2
    fresh = duckdb.connect(str(cra_place.store_path))
    try:
        assert topdown.count(fresh, cra_place, [BRADFORD], "2017-18", "control") == first
    finally:
        fresh.close()


def test_shares_kept_on_a_connection_follow_every_change_to_what_they_came_from(make_workspace):
    """The kept shares are used only while the areas, years, rules, drivers and loaded releases are the same:
    an edited control rule, another region's placing, an edited driver and a reload are each seen."""
    workspace = make_workspace(cra_read=True)
    only_cra_releases(workspace, {"cra_2010_database.xlsx", "cra_2018_database.xlsx"})
    own = duckdb.connect(str(workspace.store_path))
    try:
        topdown.load(own, workspace)
        before = topdown.count(own, workspace, [BRADFORD], "2009-10", "control")

        rules = workspace.rule_path(control.RULE_FILE)
        text = rules.read_text(encoding="utf-8")  # a first row for each spender sends all of it to the council
        header = text.splitlines()[0].split(",")
        everything = [",".join({"rule_id": f"ALL-{s}", "spender": s, "control_level": "council_discretion",
                                "council_spends": "yes"}.get(c, "") for c in header) for s in ("CG", "LG", "PC")]
        rules.write_text("\n".join([text.splitlines()[0], *everything, *text.splitlines()[1:]]) + "\n",
                         encoding="utf-8")
        edited = topdown.count(own, workspace, [BRADFORD], "2009-10", "control")
        assert [r.key for r in edited.rows if r.amount] == ["council_discretion"]
        assert [r.key for r in before.rows if r.amount] != ["council_discretion"]
        assert edited.total == before.total

        compare.regions(own, workspace, ["England"], "2009-10")  # places every English region's lines too
        assert topdown.count(own, workspace, [BRADFORD], "2009-10", "control") == edited

        region = [a for a in reference.areas().values() if a.region == "Yorkshire and The Humber"]
        (workspace.root / "drivers").mkdir()
        (workspace.root / "drivers" / "population.csv").write_text("area_code,value\n" + "".join(
            f"{a.code},{a.population_2011 * (3 if a.code == BRADFORD else 1)}\n" for a in region), encoding="utf-8")
        weighted = topdown.count(own, workspace, [BRADFORD], "2009-10", "control")
        assert weighted.total > Decimal("1.5") * edited.total  # a tenth of the region's people, weighed as 3

        shutil.copyfile(CRA_2014, workspace.root / cra_files.CRA_DIR / CRA_2014.name)  # a newer release of 2009-10
        topdown.load(own, workspace)
        reloaded = topdown.count(own, workspace, [BRADFORD], "2009-10", "control")
        assert (weighted.release, reloaded.release) == ("cra_2010_database.xlsx", CRA_2014.name)
        assert reloaded.total != weighted.total
    finally:
        own.close()
    fresh = duckdb.connect(str(workspace.store_path))
    try:
        assert topdown.count(fresh, workspace, [BRADFORD], "2009-10", "control") == reloaded
    finally:
        fresh.close()
