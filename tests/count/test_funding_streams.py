"""The funding-stream register: reading and checking it, the measures per theme, the flags."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from support.data import PROJECT, write_csv
from support.properties import examples
from totalplace.cli import app
from totalplace.count import funding_streams as fs
from totalplace.errors import InputError
from totalplace.store.connection import connect

HEADER = "name,funder,recipient,theme,client_group,fiscal_year,amount,ring_fenced,reporting_returns,basis\n"
# Three housing streams for homeless people (60/30/10) and one for tenants; one drugs stream.
REGISTER = HEADER + (
    "Homelessness grant,MHCLG,Council,Housing and homelessness,Homeless people,2018-19,\"£60,000.00\",yes,4,illustrative\n"
    "Rough sleeping,MHCLG,Shelter Trust,Housing and homelessness,Homeless people,2018-19,30000,no,12,illustrative\n"
    "Resettlement,Ministry of Justice,Council,Housing and homelessness,Homeless people,2018-19,10000.50,Y,2,illustrative\n"
    "Tenancy support,MHCLG,Housing Assoc,Housing and homelessness,Tenants,2018-19,0,no,0,illustrative\n"
    "Treatment,DHSC,Council,Drugs and alcohol,Adults who misuse drugs,,500,yes,1,published\n"
)


@pytest.fixture()
def register(small_place):
    write_csv(small_place.root / "funding_streams.csv", REGISTER)
    return small_place


def test_register_rows_are_read_exactly(register):
    streams = fs.read_register(register)
    assert [s.row_number for s in streams] == [2, 3, 4, 5, 6]
    assert streams[0].amount == Decimal("60000.00") and streams[2].amount == Decimal("10000.50")
    assert [s.ring_fenced for s in streams] == [True, False, True, False, True]
    assert streams[4].fiscal_year is None and streams[4].basis == "published"


def test_measures_per_theme_by_hand(register):
    housing = {m.theme: m for m in fs.by_theme(fs.read_register(register))}["Housing and homelessness"]
    assert (housing.streams, housing.funders, housing.recipients, housing.client_groups) == (4, 2, 3, 2)
    assert housing.amount == Decimal("100000.50")
    assert housing.ring_fenced_amount == Decimal("70000.50")
    assert housing.ring_fenced_share == pytest.approx(70000.50 / 100000.50)
    assert housing.reporting_returns == 18
    # shares 60000/100000.5, 30000/100000.5, 10000.5/100000.5, 0
    expected = (60000 ** 2 + 30000 ** 2 + 10000.5 ** 2) / 100000.5 ** 2
    assert float(housing.herfindahl) == pytest.approx(expected, abs=0.00005)
    assert (housing.top_funder, housing.top_funder_streams) == ("MHCLG", 3)


def test_flags_need_several_funders_and_several_recipients(register):
    found = fs.flags(fs.read_register(register))
    assert [(f.theme, f.client_group) for f in found] == [("Housing and homelessness", "Homeless people")]
    flag = found[0]
    assert flag.funders == ["MHCLG", "Ministry of Justice"]
    assert flag.recipients == ["Council", "Shelter Trust"]
    assert flag.rows == [2, 3, 4] and flag.reporting_returns == 18
    assert fs.flags(fs.read_register(register), min_funders=3) == []


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=30))
def test_herfindahl_lies_between_one_over_n_and_one(pennies):
    amounts = [Decimal(p) / 100 for p in pennies]
    index = fs.herfindahl(amounts)
    if sum(amounts) == 0:
        assert index is None
        return
    positive = sum(1 for a in amounts if a > 0)
    assert Decimal(1) / positive - Decimal("0.0001") <= index <= 1
    if positive == 1:
        assert index == 1


@settings(max_examples=examples(30), deadline=None)
@given(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=10**9))
def test_equal_streams_give_one_over_n(n, pennies):
    assert fs.herfindahl([Decimal(pennies) / 100] * n) == (Decimal(1) / n).quantize(Decimal("0.0001"))


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # rewritten each time
@given(st.integers(min_value=0, max_value=10**13), st.sampled_from(["£{:,.2f}", "{:.2f}", "{:,.2f}", " £{:.2f} "]))
def test_amounts_are_read_to_the_penny(small_place, pennies, form):
    value = Decimal(pennies) / 100
    write_csv(small_place.root / "funding_streams.csv",
              HEADER + f"S,F,R,Education,Pupils,,\"{form.format(value)}\",no,0,\n")
    assert fs.read_register(small_place)[0].amount == value


BAD_CELLS = [
    ("amount", "12.345", "row 3, column amount"),
    ("amount", "-5", "row 3, column amount"),
    ("amount", "", "row 3, column amount"),
    ("theme", "Housing", "row 3, column theme"),
    ("ring_fenced", "maybe", "row 3, column ring_fenced"),
    ("ring_fenced", "", "row 3, column ring_fenced"),
    ("reporting_returns", "two", "row 3, column reporting_returns"),
    ("funder", "", "row 3, column funder"),
    ("fiscal_year", "2018", "row 3, column fiscal_year"),
    ("basis", "guess", "row 3, column basis"),
]


@pytest.mark.parametrize("column,value,where", BAD_CELLS)
def test_a_bad_cell_names_file_row_and_column(small_place, column, value, where):
    good = {"name": "A", "funder": "F", "recipient": "R", "theme": "Education", "client_group": "Pupils",
            "fiscal_year": "2018-19", "amount": "10", "ring_fenced": "no", "reporting_returns": "1",
            "basis": "estimate"}
    bad = dict(good, name="B", **{column: value})
    lines = [",".join(good), ",".join(good.values()), ",".join(bad.values())]
    write_csv(small_place.root / "funding_streams.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=rf"funding_streams\.csv: {where}"):
        fs.read_register(small_place)


def test_a_repeated_stream_is_refused(small_place):
    row = "A,F,R,Education,Pupils,2018-19,10,no,1,\n"
    write_csv(small_place.root / "funding_streams.csv", HEADER + row + row)
    with pytest.raises(InputError, match="row 3, column name: .* repeats row 2"):
        fs.read_register(small_place)


def test_missing_and_unknown_columns_are_named(small_place):
    write_csv(small_place.root / "funding_streams.csv", "name,funder\nA,B\n")
    with pytest.raises(InputError, match="row 1: missing column.*recipient"):
        fs.read_register(small_place)
    write_csv(small_place.root / "funding_streams.csv", HEADER.strip() + ",colour\n")
    with pytest.raises(InputError, match="row 1, column 'colour'"):
        fs.read_register(small_place)


def test_xlsx_register_reads_like_csv(register):
    from openpyxl import Workbook

    csv_streams = fs.read_register(register)
    book = Workbook()
    sheet = book.active
    sheet.title = "funding_streams"
    sheet.append(HEADER.strip().split(","))
    for s in csv_streams:
        sheet.append([s.name, s.funder, s.recipient, s.theme, s.client_group, s.fiscal_year, float(s.amount),
                      s.ring_fenced, s.reporting_returns, s.basis])
    book.save(register.root / "funding_streams.xlsx")
    with pytest.raises(InputError, match="both funding_streams.csv and funding_streams.xlsx"):
        fs.read_register(register)
    (register.root / "funding_streams.csv").unlink()
    xlsx_streams = fs.read_register(register)
    strip = lambda s: (s.name, s.funder, s.recipient, s.theme, s.amount, s.ring_fenced, s.reporting_returns)  # noqa: E731
    assert [strip(s) for s in xlsx_streams] == [strip(s) for s in csv_streams]


def test_a_failed_load_leaves_the_store_as_it_was(register):
    con = connect(register)
    assert len(fs.load(con, register)) == 5
    write_csv(register.root / "funding_streams.csv", REGISTER + "Bad,F,R,Education,Pupils,,abc,no,0,\n")
    with pytest.raises(InputError, match="row 7, column amount"):
        fs.load(con, register)
    assert con.execute("SELECT count(*), sum(amount) FROM funding_stream").fetchall() == [(5, Decimal("100500.50"))]
    con.close()


def test_cli_show_flags_and_bad_register(register):
    runner = CliRunner()
    shown = runner.invoke(app, ["streams", "show", "-w", str(register.root), "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = {r["theme"]: r for r in json.loads(shown.output)["rows"]}
    assert rows["Housing and homelessness"]["streams"] == 4 and rows["Drugs and alcohol"]["amount"] == "500.00"
    flagged = runner.invoke(app, ["streams", "flags", "-w", str(register.root), "--format", "csv"])
    assert flagged.exit_code == 0 and "Homeless people" in flagged.output and "Tenants" not in flagged.output
    write_csv(register.root / "funding_streams.csv", HEADER + "A,F,R,Nowhere,P,,1,no,0,\n")
    bad = runner.invoke(app, ["streams", "show", "-w", str(register.root)])
    assert bad.exit_code == 2
    assert "funding_streams.csv: row 2, column theme" in bad.output and len(bad.output.strip().splitlines()) == 1


def test_demo_register_is_valid_and_labels_what_is_invented(tmp_path):
    workspace = tmp_path / "bradford"
    shutil.copytree(PROJECT / "examples" / "bradford", workspace, ignore=shutil.ignore_patterns("agencies"))
    from totalplace.workspace import open_workspace

    streams = fs.read_register(open_workspace(workspace))
    assert len(streams) >= 10
    for s in streams:
        assert s.basis in ("spend-file", "illustrative"), s
        if s.basis == "illustrative":
            assert "(illustrative)" in s.name and "illustrative" in s.notes.lower()
        else:
            assert s.service_pattern and s.source.startswith("Bradford council spending over £500, 2018-19")
        assert "illustrative" in s.reporting_duties.lower()  # the returns counts are not published anywhere
    flagged = {(f.theme, f.client_group) for f in fs.flags(streams)}
    assert ("Drugs and alcohol", "Adults who misuse drugs or alcohol") in flagged


def test_demo_spend_file_amounts_are_the_real_payments(real_place, real_con):
    """Each spend-file stream's amount is the sum of the real Bradford lines its pattern names (plain SQL)."""
    workspace, _ = real_place
    streams = fs.read_streams(PROJECT / "examples" / "bradford" / "funding_streams.csv")
    for s in (s for s in streams if s.basis == "spend-file"):
        total = real_con.execute(
            """SELECT sum(amount) FROM spend_line
               WHERE agency_id = 'bradford-council' AND fiscal_year = ? AND theme = ?
                 AND regexp_matches(concat_ws(' / ', service_label, expense_category), ?, 'i')""",
            [s.fiscal_year, s.theme, s.service_pattern]).fetchall()[0][0]
        assert total == s.amount, s.name


def test_report_section_has_charts_with_tables(register):
    sections = fs.report_sections(register)
    assert [s.id for s in sections] == ["funding-streams"]
    section = sections[0]
    assert all(c.svg.startswith("<svg") and c.table.rows for c in section.charts)
    flow = section.charts[1].table
    # every pound leaves a funder once and reaches a theme once
    funders = {"MHCLG", "Ministry of Justice", "DHSC"}
    assert sum(r[2] for r in flow.rows if r[0] in funders) == Decimal("100500.50")
    assert sum(r[2] for r in flow.rows if r[1] in fs.themes()) == Decimal("100500.50")
    assert "illustrative" in section.provenance[0]
