"""Each spend line carries its classification: set as it is loaded, re-set by `totalplace classify`."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import duckdb
from support.data import write_csv
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.classify.apply import Rules, theme_rules
from totalplace.count import bottomup
from totalplace.ingest.load import ingest
from totalplace.store.connection import connect

runner = CliRunner()
HEADER = "Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name\n"
CARE = "Health & Wellbeing,Rest Home Payment,12/04/2018,T1,1000.50,CARE HOME LTD\n"
FOSTER = "Children's Services,Foster Care,13/04/2018,T2,200.25,FOSTER LTD\n"
# A rule put first in the table, so that it wins for the rest-home line only.
NEW_RULE = "X1,council,,^rest home payment /,Housing and homelessness,10.6,test rule\n"


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def csv_rows(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def add_first_rule(workspace, row: str) -> None:
    rules = workspace.root / "rules" / "classification_rules.csv"
    header, *rest = rules.read_text(encoding="utf-8").splitlines(keepends=True)
    rules.write_text(header + row + "".join(rest), encoding="utf-8")


def first_rule_for(workspace, service: str, expense: str) -> str:
    """Independently of the store: the first rule of the table matching the label, by the rules' own test."""
    rules = theme_rules(workspace)
    return next(r.rule_id for r in rules if r.matches("council", f"{service} / ", f"{expense} / "))


def theme_counts(ws: str) -> dict[str, str]:
    return {r["theme"]: r["amount"] for r in csv_rows(run("count", "-w", ws, "--by", "theme", "--format", "csv"))}


def traced_rules(ws: str, theme: str) -> list[tuple[str, str]]:
    rows = csv_rows(run("trace", "-w", ws, "--by", "theme", "--key", theme, "--format", "csv"))
    return [(r["amount"], r["rule"]) for r in rows]


def test_classify_after_editing_a_rule_changes_the_count_and_the_traced_rule(small_place):
    write_csv(small_place.agency_dir("bradford-council") / "2018-04.csv", HEADER + CARE + FOSTER)
    ws = str(small_place.root)
    run("ingest", "-w", ws)
    before_rule = first_rule_for(small_place, "Health & Wellbeing", "Rest Home Payment")
    assert theme_counts(ws) == {"Older people and adult social care": "1000.50", "Children and families": "200.25"}
    assert traced_rules(ws, "Older people and adult social care") == [("1000.50", before_rule)]

    add_first_rule(small_place, NEW_RULE)
    assert theme_counts(ws)["Older people and adult social care"] == "1000.50"  # not applied until classify
    run("classify", "-w", ws)
    assert theme_counts(ws) == {"Housing and homelessness": "1000.50", "Children and families": "200.25"}
    assert traced_rules(ws, "Housing and homelessness") == [("1000.50", "X1")]
    foster_rule = first_rule_for(small_place, "Children's Services", "Foster Care")
    assert traced_rules(ws, "Children and families") == [("200.25", foster_rule)]


def test_an_ingest_classifies_new_lines_and_reapplies_edited_rules_to_old_ones(small_place):
    write_csv(small_place.agency_dir("bradford-council") / "2018-04.csv", HEADER + CARE)
    ingest(small_place)
    add_first_rule(small_place, NEW_RULE)
    write_csv(small_place.agency_dir("bradford-council") / "2018-05.csv",
              HEADER + CARE.replace("12/04/2018,T1,1000.50", "12/05/2018,T3,3.00") + FOSTER)
    ingest(small_place)
    con = connect(small_place, read_only=True)
    try:
        lines = con.execute("SELECT amount, theme, rule_id FROM spend_line ORDER BY amount").fetchall()
        view = con.execute("SELECT count(*) FROM classification WHERE rule_id = 'X1'").fetchall()[0][0]
    finally:
        con.close()
    foster_rule = first_rule_for(small_place, "Children's Services", "Foster Care")
    assert lines == [(Decimal("3.00"), "Housing and homelessness", "X1"),
                     (Decimal("200.25"), "Children and families", foster_rule),
                     (Decimal("1000.50"), "Housing and homelessness", "X1")]
    assert view == 2


def test_a_store_with_a_classification_table_is_moved_onto_its_lines(small_place):
    """A store made before the classification lived on spend_line keeps its figures."""
    small_place.store_path.parent.mkdir(parents=True, exist_ok=True)
    old = duckdb.connect(str(small_place.store_path))
    old.execute("""CREATE TABLE spend_line (line_id BIGINT NOT NULL, file_id INTEGER NOT NULL,
                   row_number BIGINT NOT NULL, agency_id VARCHAR NOT NULL, body_name VARCHAR,
                   service_code VARCHAR, service_label VARCHAR, service_division VARCHAR,
                   expense_code VARCHAR, expense_category VARCHAR, expense_type VARCHAR,
                   payment_date DATE NOT NULL, fiscal_year VARCHAR NOT NULL, amount DECIMAL(18,2) NOT NULL,
                   supplier_name VARCHAR, supplier_id VARCHAR, transaction_ref VARCHAR, capital_revenue VARCHAR)""")
    old.execute("""INSERT INTO spend_line (line_id, file_id, row_number, agency_id, payment_date, fiscal_year, amount)
                   VALUES (1, 1, 1, 'bradford-council', DATE '2018-05-01', '2018-19', 7.00),
                          (2, 1, 2, 'bradford-council', DATE '2018-05-02', '2018-19', 5.00)""")
    old.execute("""CREATE TABLE classification (line_id BIGINT NOT NULL, theme VARCHAR, cofog VARCHAR,
                   rule_id VARCHAR, transfer_kind VARCHAR, transfer_rule VARCHAR, counterpart_agency VARCHAR)""")
    old.execute("INSERT INTO classification VALUES (1, 'Children and families', '10.4', 'R9', NULL, NULL, NULL), "
                "(2, NULL, NULL, NULL, 'nhs', 'public_body_patterns.csv: P1', NULL)")
    old.close()
    con = connect(small_place)
    try:
        result = bottomup.count(con, small_place, "theme", "2018-19")
        kinds = con.execute("SELECT line_id, rule_id, transfer_kind FROM classification ORDER BY 1").fetchall()
    finally:
        con.close()
    assert {r.key: r.amount for r in result.rows} == {"Children and families": Decimal("7.00"),
                                                      bottomup.UNCLASSIFIED: Decimal("5.00")}
    assert kinds == [(1, "R9", None), (2, None, "nhs")]


def test_suppliers_recognised_ahead_while_loading_are_classified_by_the_names_the_lines_hold(small_place):
    # Python's strip and DuckDB's trim differ on tabs: a name recognised ahead from the
    # file's cells must not stand in for the name the line holds.
    suppliers = ['"  Bradford council "', '"\tLeeds council"', "NHS PROPERTY SERVICES", "CARE HOME LTD", '" "']
    write_csv(small_place.agency_dir("bradford-council") / "2018-04.csv", HEADER + "".join(
        f"Health & Wellbeing,Rest Home Payment,12/04/2018,T{n},{n}.00,{name}\n" for n, name in enumerate(suppliers)))
    ingest(small_place)
    con = connect(small_place, read_only=True)
    try:
        lines = con.execute("SELECT supplier_name, transfer_kind, transfer_rule, counterpart_agency "
                            "FROM spend_line ORDER BY amount").fetchall()
    finally:
        con.close()
    rules = Rules.of(small_place)
    assert [name for name, *_ in lines] == ["Bradford council", "\tLeeds council", "NHS PROPERTY SERVICES",
                                            "CARE HOME LTD", None]
    assert [tuple(recognised) for _, *recognised in lines[:4]] == [rules.supplier(name) for name, *_ in lines[:4]]
    assert lines[0][3] == "bradford-council" and lines[2][1] == "nhs" and lines[4][1:] == (None, None, None)
