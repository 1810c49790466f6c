"""A user's path through the CLI on small files, and every bad-input message."""

from __future__ import annotations

import gzip
import tomllib
from decimal import Decimal

import pytest
from support.data import BRADFORD, LEEDS, write_csv
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.errors import InputError
from totalplace.ingest.load import ingest
from totalplace.store.connection import connect
from totalplace.workspace import Agency, AgencyKind, open_workspace

runner = CliRunner()
HEADER = "Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name\n"


def run(*args: str):
    return runner.invoke(app, list(args))


def spend_total(workspace) -> tuple[int, Decimal]:
    con = connect(workspace, read_only=True)
    try:
        return con.execute("SELECT count(*), coalesce(sum(amount), 0) FROM spend_line").fetchall()[0]
    finally:
        con.close()


def test_init_writes_settings_with_region_and_council(tmp_path):
    result = run("init", str(tmp_path / "wy"), "--place", "West Yorkshire pair", "--area", BRADFORD, "--area", LEEDS)
    assert result.exit_code == 0, result.output
    settings = tomllib.loads((tmp_path / "wy" / "totalplace.toml").read_text())
    assert settings["place"] == {"name": "West Yorkshire pair", "areas": [BRADFORD, LEEDS],
                                 "region": "Yorkshire and The Humber"}
    assert [a["id"] for a in settings["agencies"]] == ["bradford-council", "leeds-council"]
    assert (tmp_path / "wy" / "agencies" / "leeds-council").is_dir()
    assert (tmp_path / "wy" / "rules" / "classification_rules.csv").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["init", "{tmp}/x", "--place", "X", "--area", "E99999999"], "area 'E99999999' is not an ONS"),
        (["count", "-w", "{tmp}/nowhere"], "is not a workspace: no totalplace.toml"),
        (["count", "-w", "{ws}", "--by", "colour"], "cannot count by 'colour'"),
        (["count", "-w", "{ws}", "--year", "2030-31"], "no spending loaded for '2030-31'"),
        (["count", "-w", "{ws}", "--format", "xlsx"], "give --output FILE.xlsx"),
        (["ingest", "-w", "{ws}", "{tmp}/missing.csv", "--agency", "bradford-council"], "missing.csv: no such file"),
        (["ingest", "-w", "{ws}", "{tmp}/a.csv"], "say which agency"),
        (["ingest", "-w", "{ws}", "--agency", "nhs-leeds"], "no agency 'nhs-leeds'"),
        (["agency", "add", "Bradford council", "-w", "{ws}", "--kind", "council"], "already in"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(make_workspace, tmp_path, args, message):
    one_payment = HEADER + "Place,Fuel,2018-04-12,1,10.00,A LTD\n"
    workspace = make_workspace(files={"agencies/bradford-council/m.csv": one_payment}, load=True)
    result = run(*[a.format(tmp=tmp_path, ws=workspace.root) for a in args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output


def test_ingest_explain_count_and_trace_through_the_cli(small_place, tmp_path):
    source = write_csv(tmp_path / "in" / "2018-04.csv",
                       HEADER + "Health & Wellbeing,Rest Home Payment,12/04/2018,T1,\"£1,000.50\",CARE HOME LTD\n"
                       "Children's Services,Foster Care,13/04/2018,T2,(200.25),FOSTER LTD\n")
    ws = str(small_place.root)
    result = run("ingest", "-w", ws, "--agency", "bradford-council", "--explain", str(source))
    assert result.exit_code == 0, result.output
    assert "amount            <- 'Net Amount'" in result.output
    assert (small_place.agency_dir("bradford-council") / "2018-04.csv").exists()
    assert spend_total(small_place) == (2, Decimal("800.25"))
    result = run("count", "-w", ws, "--by", "theme", "--format", "csv")
    rows = dict(line.split(",")[:2] for line in result.output.strip().splitlines()[1:])
    assert rows == {"Older people and adult social care": "1000.50", "Children and families": "-200.25"}
    result = run("trace", "-w", ws, "--by", "theme", "--key", "Children and families", "--format", "csv")
    assert "agencies/bradford-council/2018-04.csv,3,2018-04-13,FOSTER LTD" in result.output


def test_count_writes_an_xlsx_workbook(small_place, tmp_path):
    from openpyxl import load_workbook

    write_csv(small_place.agency_dir("bradford-council") / "m.csv",
              HEADER + "Adult Services,Residential Care,2018-04-12,1,10.50,A LTD\n")
    ingest(small_place)
    target = tmp_path / "count.xlsx"
    assert run("count", "-w", str(small_place.root), "--format", "xlsx", "-o", str(target)).exit_code == 0
    sheet = load_workbook(target)["figures"]
    assert [c.value for c in sheet[2]][:2] == ["Theme", "Amount"]
    assert sheet["B3"].value == 10.5


def test_a_failed_ingest_leaves_the_store_as_it_was(small_place):
    folder = small_place.agency_dir("bradford-council")
    write_csv(folder / "a.csv", HEADER + "Adult Services,Residential Care,2018-04-12,1,10.00,A LTD\n")
    ingest(small_place)
    before = spend_total(small_place)
    write_csv(folder / "b.csv", HEADER + "Adult Services,Residential Care,2018-05-12,2,99.00,B LTD\n")
    write_csv(folder / "c.csv", "Colour,Shape\nred,square\n")
    with pytest.raises(InputError, match=r"c\.csv: cannot find the payment_date and amount column"):
        ingest(small_place)
    assert spend_total(small_place) == before


def test_a_mapping_in_the_workspace_places_an_unusual_file(small_place):
    folder = small_place.agency_dir("bradford-council")
    write_csv(folder / "odd.csv", "When,How much,Who\n2018-04-12,12.34,A LTD\n")
    with pytest.raises(InputError, match="odd.csv"):
        ingest(small_place)
    agency = small_place.settings.agencies[0]
    agency.columns = {"payment_date": "When", "amount": "How much", "supplier_name": "Who"}
    small_place.save()
    workspace = open_workspace(small_place.root)
    report = ingest(workspace).files[0]
    assert report.reasons["amount"].startswith("set in totalplace.toml: amount = 'How much'")
    assert spend_total(workspace) == (1, Decimal("12.34"))


def test_an_edited_file_replaces_its_old_rows(small_place):
    path = write_csv(small_place.agency_dir("bradford-council") / "a.csv",
                     HEADER + "Place,Fuel,2018-04-12,1,10.00,A LTD\n")
    ingest(small_place)
    write_csv(path, HEADER + "Place,Fuel,2018-04-12,1,10.00,A LTD\nPlace,Fuel,2018-04-13,2,5.00,B LTD\n")
    result = ingest(small_place)
    assert result.removed == ["agencies/bradford-council/a.csv"]
    assert spend_total(small_place) == (2, Decimal("15.00"))
    path.unlink()
    assert ingest(small_place).removed == ["agencies/bradford-council/a.csv"]
    assert spend_total(small_place) == (0, Decimal(0))


def test_rejected_rows_keep_text_and_name_the_column(small_place):
    write_csv(small_place.agency_dir("bradford-council") / "a.csv.gz", "")
    (small_place.agency_dir("bradford-council") / "a.csv.gz").write_bytes(gzip.compress((
        HEADER + "Place,Fuel,2018-04-12,1,ten pounds,A LTD\nPlace,Fuel,31/02/2018,2,5.00,B LTD\n"
        "Place,Fuel,,3,5.00,C LTD\nPlace,Fuel,2018-04-12,4,,D LTD\nPlace,Fuel,2018-04-12,5,7.00,E LTD,extra\n"
        "Place,Fuel,2018-04-12,6,1.00,F LTD\n").encode("utf-8")))
    report = ingest(small_place).files[0]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (6, 1, 5)
    assert report.money_read == report.money_loaded + report.money_rejected == Decimal("18.00")
    con = connect(small_place, read_only=True)
    rejected = con.execute("SELECT row_number, column_name, reason, raw_text FROM rejected_row ORDER BY 1").fetchall()
    con.close()
    assert rejected == [
        (2, "Net Amount", "'ten pounds' is not an amount in pounds and pence", "Place,Fuel,2018-04-12,1,ten pounds,A LTD"),
        (3, "Payment date", "'31/02/2018' is not a date in a form this tool reads", "Place,Fuel,31/02/2018,2,5.00,B LTD"),
        (4, "Payment date", "the date is blank", "Place,Fuel,,3,5.00,C LTD"),
        (5, "Net Amount", "the amount is blank", "Place,Fuel,2018-04-12,4,,D LTD"),
        (6, "(beyond the last column)", "the row has more values than the file has columns (6)",
         "Place,Fuel,2018-04-12,5,7.00,E LTD,extra"),
    ]


def test_payments_between_agencies_of_the_count_are_counted_once(make_workspace):
    bradford = HEADER + "Place,Fuel,2018-04-12,1,100.00,LEEDS CITY COUNCIL\nPlace,Fuel,2018-04-12,2,50.00,A LTD\n"
    leeds = HEADER + "City Development,Fuel,2018-04-20,9,100.00,FUEL LTD\n"
    workspace = make_workspace("Pair", [BRADFORD, LEEDS], files={"agencies/bradford-council/b.csv": bradford,
                                                                 "agencies/leeds-council/l.csv": leeds}, load=True)
    con = connect(workspace, read_only=True)
    from totalplace.count import bottomup

    result = bottomup.count(con, workspace, "agency", "2018-19")
    con.close()
    assert result.total == Decimal("150.00")
    assert result.within_count_transfers == Decimal("100.00")
    assert {r.key: r.amount for r in result.rows} == {"leeds-council": Decimal("100.00"),
                                                      "bradford-council": Decimal("50.00")}


def test_an_agency_added_by_name_is_recognised_as_payee(small_place):
    small_place.add_agency(Agency(id="bdct", name="Bradford District Care NHS Foundation Trust",
                                  kind=AgencyKind.nhs, aliases=["BRADFORD DISTRICT CARE NHS FOUNDATI"]))
    write_csv(small_place.agency_dir("bradford-council") / "b.csv",
              HEADER + "Health & Wellbeing,Drugs & Alcohol,2018-04-12,1,70.00,BRADFORD DISTRICT CARE NHS FOUNDATI\n")
    ingest(small_place)
    con = connect(small_place, read_only=True)
    row = con.execute("SELECT transfer_kind, counterpart_agency FROM classification").fetchall()
    con.close()
    assert row == [("nhs", "bdct")]


def test_a_bad_rule_names_file_row_and_column(small_place):
    rules = small_place.root / "rules" / "classification_rules.csv"
    text = rules.read_text(encoding="utf-8").splitlines()
    text.insert(1, "X1,council,(unclosed,,Education,09")
    rules.write_text("\n".join(text) + "\n", encoding="utf-8")
    write_csv(small_place.agency_dir("bradford-council") / "a.csv", HEADER + "Place,Fuel,2018-04-12,1,1.00,A\n")
    with pytest.raises(InputError, match=r"classification_rules.csv: row 2, column service_pattern: '\(unclosed'"):
        ingest(small_place)
    assert spend_total(small_place) == (0, Decimal(0))


def test_population_override_changes_per_head(small_place):
    from totalplace.count.population import population

    assert population(small_place, "2018-19").method.startswith("census 2011 and 2021, interpolated")
    assert population(small_place, "2024-25").method.startswith("census 2011 and 2021, extrapolated")
    small_place.settings.population["2018-19"] = 500000
    assert population(small_place, "2018-19").value == 500000
    with pytest.raises(InputError, match="not a fiscal year"):
        population(small_place, "2018-20")
