"""Cohorts: loading and accounting, linking across agencies, the figures (checked by hand) and suppression."""

from __future__ import annotations

import gzip
from contextlib import closing
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings, strategies as st
from support.properties import examples
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.deepdive import cohort_report as figures
from totalplace.deepdive import cohorts
from totalplace.deepdive.disclosure import Disclosure
from totalplace.deepdive.pseudonym import KEY_ENV
from totalplace.deepdive.unit_costs import load_library
from totalplace.errors import InputError
from totalplace.workspace import open_workspace

KEY = b"cohort-test-key-0123456789abcdef"

COUNCIL = """person id,household id,date,service,kind,cost
A1,H1,2023-04-10,Care Act assessment,assessment,300.00
A1,H1,10/06/2023,Care Act assessment,assessment,300.00
A2,H1,2023-05-01,Home care visit,appointment,50.00
B1,H2,2023-05-01,Home care visit,appointment,50.00
C1,,2022-12-01,Home care visit,appointment,10.00
"""
NHS = """person,date,service,cost
a 1,2023-07-01,Mental health assessment,200
B1,2023-07-02,GP appointment,40
D1,2023-07-03,GP appointment,40
"""
POLICE = """person id,date,service,unit cost code,units
A1,2023-08-01,Arrest,police.arrest,2
"""


def _workspace(make_workspace, extra_settings: str = ""):
    ws = make_workspace()
    if extra_settings:
        with ws.config_path.open("a", encoding="utf-8") as handle:
            handle.write("\n" + extra_settings + "\n")
    return open_workspace(ws.root)


def _put(ws, agency: str, name: str, text: str) -> None:
    folder = ws.root / "cohort" / agency
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def small(make_workspace):
    ws = _workspace(make_workspace, "[privacy]\nsuppress_below = 1\n[cohort]\ntop_percent = 34")
    _put(ws, "council", "events.csv", COUNCIL)
    _put(ws, "nhs", "events.csv", NHS)
    _put(ws, "police", "events.csv", POLICE)
    cohorts.load(ws, KEY)
    con = figures.open_cohort(ws)
    yield ws, con
    con.close()


def arrest_cost(ws) -> Decimal:
    return (load_library(ws).value("police.arrest", "2023-24") * 2).quantize(Decimal("0.01"))


def test_events_link_across_agencies_by_pseudonym(small):
    ws, con = small
    agencies = dict(con.execute("""
        SELECT p.household_known, count(DISTINCT agency_id) FROM cohort_event JOIN cohort_person p USING (person)
        GROUP BY person, p.household_known ORDER BY 2 DESC LIMIT 1""").fetchall())
    assert agencies == {True: 3}  # 'A1' at the council and police and 'a 1' at the NHS are one person
    households = con.execute("""
        SELECT household_key, count(*) FROM cohort_person GROUP BY 1 ORDER BY 2 DESC""").fetchall()
    assert [n for _, n in households] == [2, 1, 1, 1]  # H1 = A1 + A2; H2 = B1; C1 and D1 alone
    assert con.execute("SELECT count(*) FROM cohort_person WHERE NOT household_known").fetchall() == [(2,)]


def test_summary_by_hand(small):
    ws, con = small
    table = figures.summary(con, ws, "all")
    rows = {r[0]: r for r in table.rows}
    total = Decimal("300") * 2 + 200 + arrest_cost(ws) + 50 + 50 + 40 + 40
    assert rows["2022-23"][1:6] == [1, 1, 1, 1, Decimal("10.00")]
    year = rows["2023-24"]
    assert year[1:6] == [4, 3, 8, 3, total]  # people A1 A2 B1 D1; households H1 H2 D1; 8 events; 3 agencies
    assert year[6] == (total / 4).quantize(Decimal("0.01"))
    assert year[8] == (total / 3).quantize(Decimal("0.01"))
    assert year[9] == Decimal("90.00")  # households cost H1 (most), H2 90, D1 40: median 90


def test_means_and_medians_between_two_pennies_are_rounded_exactly(make_workspace):
    """1.015 is rounded half up to 1.02 on either engine, not truncated (DuckDB's median) or
    taken through a binary float (its avg, and Spark's median)."""
    ws = _workspace(make_workspace, "[privacy]\nsuppress_below = 1")
    _put(ws, "nhs", "events.csv", "person,date,service,cost\n"
                                  "P1,2023-07-01,GP appointment,1.01\nP2,2023-07-02,GP appointment,1.02\n")
    cohorts.load(ws, KEY)
    with closing(figures.open_cohort(ws)) as con:
        row = figures.summary(con, ws, "2023-24").rows[0]
    assert row[1:3] == [2, 2]
    assert row[6:10] == [Decimal("1.02")] * 4  # mean and median, per person and per household


def test_concentration_by_hand(small):
    ws, con = small
    curve = figures.concentration(con, "2023-24", "household", 34)
    h1 = Decimal(600 + 200 + 50) + arrest_cost(ws)
    total = h1 + 90 + 40
    top = {p.percent: p for p in curve.points}
    assert (top[1].units, top[1].cost) == (1, h1)
    assert (top[34].units, top[34].cost) == (2, h1 + 90)  # ceil(3 * 34%) = 2 households
    assert top[100].cost == total and top[100].share == 1.0
    assert abs(top[1].share - float(h1 / total)) < 1e-9
    people = figures.concentration(con, "2023-24", "person")
    assert people.units == 4 and {p.percent: p.units for p in people.points}[50] == 2


def test_agency_contact_and_assessments_by_hand(small):
    ws, con = small
    contact = {r[0]: r for r in figures.agency_contact(con, ws, "2023-24").rows}
    assert contact["1 agency"][1] == 2 and contact["1 agency"][3] == Decimal("90.00")  # A2 50, D1 40
    assert contact["2 agencies"][1] == 1 and contact["3 agencies"][1] == 1  # B1; A1
    table = figures.assessments(con, ws, "2023-24")
    bands = {r[0]: r[1] for r in table.rows}
    assert bands == {"once": 0, "twice": 0, "3 to 4 times": 1, "5 to 9 times": 0, "10 or more times": 0}  # A1: 2 Care Act + 1 NHS (by name)
    assert "(duplicate assessments): 1." in table.notes[0]
    by_service = {(r[0], r[1]): r for r in figures.assessments_by_service(con, ws, "2023-24").rows}
    assert by_service[("council", "Care Act assessment")][2:5] == [2, 1, 1]


def test_top_cohort_by_agency_by_hand(small):
    ws, con = small
    rows = {r[0]: r for r in figures.top_cohort(con, ws, "2023-24").rows}  # top 34%: H1 and H2
    assert rows["council"][1:3] == [3, Decimal("700.00")]  # A1, A2, B1: 600 + 50 + 50
    assert rows["nhs"][1:3] == [2, Decimal("240.00")]  # A1 200, B1 40 (D1 is not in the top cohort)
    assert rows["nhs"][4] == Decimal("280.00") and abs(rows["nhs"][5] - 240 / 280) < 1e-9
    assert rows["police"][2] == arrest_cost(ws)


def test_unit_cost_codes_and_price_year(make_workspace):
    ws = _workspace(make_workspace, '[privacy]\nsuppress_below = 1\n[cohort]\nprice_year = "2022-23"')
    _put(ws, "police", "events.csv", POLICE + "A2,2023-08-02,Arrest,no.such.code,1\n")
    result = cohorts.load(ws, KEY)
    con = duckdb.connect(str(ws.store_path), read_only=True)
    cost, year = con.execute("SELECT cost, price_year FROM cohort_event").fetchall()[0]
    rejected = cohorts.rejections(con)
    con.close()
    assert (cost, year) == ((load_library(ws).value("police.arrest", "2022-23") * 2).quantize(Decimal("0.01")), "2022-23")
    assert result.files[0].rows_rejected == 1
    assert rejected[0][2] == "unit cost code" and "no.such.code" in rejected[0][3]


BAD = """person id,date,service,cost,units
P1,2023-05-01,Visit,10.00,1
,2023-05-01,Visit,10.00,1
P2,,Visit,10.00,1
P3,31/02/2023,Visit,10.00,1
P4,2023-05-01,,10.00,1
P5,2023-05-01,Visit,ten pounds,1
P6,2023-05-01,Visit,,1
P7,2023-05-01,Visit,5.00,two
,,,,
P8,2023-05-02,Visit,"1,234.50",1
"""


def test_every_row_is_loaded_or_rejected_with_its_reason(make_workspace):
    ws = _workspace(make_workspace)
    _put(ws, "council", "bad.csv", BAD)
    report = cohorts.load(ws, KEY).files[0]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (9, 2, 7)
    assert report.cost_loaded == Decimal("1244.50")
    assert report.cost_read == report.cost_loaded + report.cost_rejected
    con = duckdb.connect(str(ws.store_path), read_only=True)
    reasons = [(r[1], r[2], r[3]) for r in cohorts.rejections(con)]
    blank = con.execute("SELECT blank_rows FROM cohort_file").fetchall()
    con.close()
    assert blank == [(1,)]
    assert reasons == [
        (3, "person id", "the person id is blank"),
        (4, "date", "the date is blank"),
        (5, "date", "'31/02/2023' is not a date in a form this tool reads"),
        (6, "service", "the service is blank"),
        (7, "cost", "'ten pounds' is not a cost in pounds and pence"),
        (8, "cost", "there is no cost and no unit cost code"),
        (9, "units", "'two' is not a number of units"),
    ]


def test_a_failed_load_leaves_the_store_as_it_was(make_workspace):
    ws = _workspace(make_workspace)
    _put(ws, "council", "events.csv", COUNCIL)
    cohorts.load(ws, KEY)
    _put(ws, "nhs", "events.csv", COUNCIL)  # a good new file...
    _put(ws, "police", "broken.csv", "who,when\nA1,2023-01-01\n")  # ...and one the loader cannot read
    with pytest.raises(InputError, match=r"cohort/police/broken.csv: cannot find the person_id, event_date, service"):
        cohorts.load(ws, KEY)
    con = duckdb.connect(str(ws.store_path), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT agency_id) FROM cohort_event").fetchall() == [(5, 1)]
    con.close()


def test_reloading_adds_nothing_and_an_edited_file_replaces_its_rows(make_workspace):
    ws = _workspace(make_workspace)
    _put(ws, "council", "events.csv", COUNCIL)
    cohorts.load(ws, KEY)
    assert [f.outcome for f in cohorts.load(ws, KEY).files] == ["unchanged"]
    _put(ws, "council", "events.csv", COUNCIL.rsplit("C1", 1)[0])  # drop the last row
    result = cohorts.load(ws, KEY)
    assert result.removed == ["cohort/council/events.csv"] and result.files[0].rows_loaded == 4
    with pytest.raises(InputError, match="not the one the store's cohort was loaded with"):
        cohorts.load(ws, KEY[::-1])


def test_gzip_and_xlsx_event_files(make_workspace):
    from openpyxl import Workbook

    ws = _workspace(make_workspace)
    folder = ws.root / "cohort" / "nhs"
    folder.mkdir(parents=True)
    (folder / "a.csv.gz").write_bytes(gzip.compress(NHS.encode()))
    book = Workbook()
    for line in COUNCIL.splitlines():
        book.active.append(line.split(","))
    book.save(ws.root / "cohort" / "nhs" / "b.xlsx")
    result = cohorts.load(ws, KEY)
    assert [(f.rows_read, f.rows_loaded) for f in result.files] == [(3, 3), (5, 5)]
    assert result.people == 5  # A1 (also 'a 1'), A2, B1, C1, D1


# ---- suppression ------------------------------------------------------------------------------

def test_suppress_count():
    assert [figures.suppress_count(n, 5) for n in (0, 1, 4, 5, 6)] == [0, "<5", "<5", 5, 6]
    assert figures.suppress_count(9, 10) == "<10"


def test_a_lone_small_row_takes_the_next_smallest_with_it():
    plan = Disclosure(5)
    for row, n in (("a", 3), ("b", 7), ("c", 50)):
        plan.add(row, n)
    plan.relate(plan.add("total", 60, tier=3), ["a", "b", "c"])
    assert plan.withheld() == {"a", "b"}


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8), st.integers(2, 10))
def test_no_small_count_is_ever_published(counts, threshold):
    """Rows adding up to a total that is shown: every small row withheld, and never one alone, nor a group of
    withheld rows that are together under the threshold."""
    plan = Disclosure(threshold)
    rows = [plan.add(f"r{i}", n) for i, n in enumerate(counts)]
    plan.relate(plan.add("total", sum(counts), tier=3), rows)
    withheld = plan.withheld() - {"total"}
    assert {f"r{i}" for i, n in enumerate(counts) if 0 < n < threshold} <= withheld
    if "total" not in plan.withheld():
        hidden = [counts[int(k[1:])] for k in withheld]
        assert len([n for n in hidden if n]) != 1 and not 0 < sum(hidden) < threshold


def test_outputs_suppress_small_counts_and_the_threshold_is_configurable(small, tmp_path):
    ws, con = small
    assert figures.summary(con, ws, "2023-24").rows[0][1] == 4  # threshold 1 in this workspace
    default = open_workspace(ws.root)
    default.settings.privacy = None  # the default threshold, 5
    row = figures.summary(con, default, "2023-24").rows[0]
    assert row[1:3] == ["<5", "<5"] and row[5] == figures.WITHHELD
    assert all(r[1] in (0, "<5", figures.WITHHELD) for r in figures.agency_contact(con, default, "2023-24").rows)
    assert "fewer than 5" in figures.concentration_table(con, default, "2023-24").notes[0]
    top = figures.top_cohort(con, default, "2023-24")
    assert all(r[2] == figures.WITHHELD for r in top.rows)


# ---- the command line and the report ----------------------------------------------------------

def test_cli_load_needs_a_key_and_prints_figures(make_workspace, monkeypatch):
    ws = _workspace(make_workspace, "[privacy]\nsuppress_below = 1")
    _put(ws, "council", "events.csv", COUNCIL)
    runner = CliRunner()
    monkeypatch.delenv(KEY_ENV, raising=False)
    refused = runner.invoke(app, ["cohort", "load", "-w", str(ws.root)])
    assert refused.exit_code == 2 and "no pseudonymisation key" in refused.output
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    loaded = runner.invoke(app, ["cohort", "load", "-w", str(ws.root)])
    assert loaded.exit_code == 0 and "read 5 rows £710.00 = loaded 5 £710.00 + rejected 0" in loaded.output
    summary = runner.invoke(app, ["cohort", "summary", "-w", str(ws.root), "--format", "csv"])
    assert summary.exit_code == 0
    assert summary.output.splitlines()[2].startswith("2023-24,3,2,4,1,700.00,")
    bad_year = runner.invoke(app, ["cohort", "top", "-w", str(ws.root), "--year", "1999-00"])
    assert bad_year.exit_code == 2 and "years loaded: 2022-23, 2023-24" in bad_year.output


def test_report_section(small):
    ws, _con = small
    [section] = figures.report_sections(ws)
    assert section.id == "cohort" and section.charts[0].svg.lstrip().startswith("<?xml")
    assert "account for" in section.paragraphs[0] and len(section.tables) + len(section.appendix) == 12


def test_no_cohort_no_section(make_workspace):
    assert figures.report_sections(_workspace(make_workspace)) == []


def _store_contents(ws) -> dict[str, list]:
    con = duckdb.connect(str(ws.store_path), read_only=True)
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_name LIKE 'cohort%' ORDER BY 1").fetchall()]
    contents = {t: sorted(map(str, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
    con.close()
    return contents


def test_a_load_failing_after_files_were_written_aside_leaves_the_store_and_no_pending_file(make_workspace):
    ws = _workspace(make_workspace)
    _put(ws, "council", "events.csv", COUNCIL)
    cohorts.load(ws, KEY)
    before = _store_contents(ws)
    _put(ws, "council", "events.csv", COUNCIL.replace("300.00", "301.00"))  # edited: its rows would be replaced
    _put(ws, "nhs", "events.csv", NHS)  # loaded into the pending tables and committed there...
    _put(ws, "police", "zz-broken.csv", "who,when\nA1,2023-01-01\n")  # ...before this file fails
    with pytest.raises(InputError, match="zz-broken.csv: cannot find"):
        cohorts.load(ws, KEY)
    assert _store_contents(ws) == before
    assert before["cohort_event"] and before["cohort_person_agency"]
    assert sorted(p.name for p in ws.store_path.parent.iterdir() if "pending" in p.name) == []
    (ws.root / "cohort" / "police" / "zz-broken.csv").unlink()
    result = cohorts.load(ws, KEY)  # and the next load finds the store as the first one left it
    assert result.removed == ["cohort/council/events.csv"]
    assert [(f.path, f.outcome) for f in result.files] == [("cohort/council/events.csv", "loaded"),
                                                           ("cohort/nhs/events.csv", "loaded")]


def test_a_new_key_is_taken_once_no_event_of_the_old_one_remains(make_workspace):
    ws = _workspace(make_workspace)
    _put(ws, "council", "events.csv", COUNCIL)
    cohorts.load(ws, KEY)
    (ws.root / "cohort" / "council" / "events.csv").unlink()
    _put(ws, "council", "other.csv", NHS)
    result = cohorts.load(ws, KEY[::-1])  # every event of the old key goes with its file
    assert result.removed == ["cohort/council/events.csv"] and result.people == 3
    with pytest.raises(InputError, match="not the one the store's cohort was loaded with"):
        _put(ws, "nhs", "events.csv", COUNCIL)
        cohorts.load(ws, KEY)


def test_the_same_content_twice_in_one_load_is_loaded_once(make_workspace):
    ws = _workspace(make_workspace)
    _put(ws, "council", "a.csv", COUNCIL)
    _put(ws, "council", "b.csv", COUNCIL)
    result = cohorts.load(ws, KEY)
    assert [f.outcome for f in result.files] == ["loaded", "unchanged"]
    con = duckdb.connect(str(ws.store_path), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT file_id) FROM cohort_event").fetchall() == [(5, 1)]
    con.close()


@pytest.mark.parametrize("odd_row", [False, True])
def test_a_file_of_many_blocks_keeps_every_row_number(make_workspace, odd_row):
    """Past 16 MB a file is read in blocks on threads (again on one thread when a row has too many cells)."""
    ws = _workspace(make_workspace)
    rows = [f"P{n},H{n % 1000},2023-05-01,Visit with a long enough service name,appointment,10.00"
            for n in range(300_000)]
    rows[250_000] = "P1,H1,2023-05-01,,appointment,10.00"  # blank service, in the second block
    if odd_row:
        rows[260_000] = "P2,H2,2023-05-01,Visit,appointment,10.00,P3"
    _put(ws, "council", "big.csv", "person id,household id,date,service,kind,cost\n" + "\n".join(rows) + "\n")
    assert (ws.root / "cohort" / "council" / "big.csv").stat().st_size > 1 << 24
    report = cohorts.load(ws, KEY).files[0]
    assert (report.rows_read, report.rows_rejected) == (300_000, 1 + odd_row)
    con = duckdb.connect(str(ws.store_path), read_only=True)
    rejected = [r[1:4] for r in cohorts.rejections(con)]
    last = con.execute("SELECT max(row_number), count(DISTINCT row_number) FROM cohort_event").fetchall()
    con.close()
    assert rejected[0] == (250_002, "service", "the service is blank")  # the header is row 1
    assert rejected[1:] == ([(260_002, "(beyond the last column)", "the row has more values than the file has columns")]
                            if odd_row else [])
    assert last == [(300_001, 300_000 - 1 - odd_row)]
