"""Layouts English bodies publish that a header list alone does not place: each loads with no mapping given.

Small fixtures, one per layout; every loaded amount is checked, and how the file was read is said.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest
from support.data import store_rows, write_csv
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.errors import InputError
from totalplace.ingest.load import ingest
from totalplace.workspace import open_workspace

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def loaded(workspace) -> list[tuple]:
    """(payment date, amount) of every line, in file and row order."""
    return store_rows(workspace, "SELECT payment_date::VARCHAR, amount::VARCHAR FROM spend_line "
                                 "ORDER BY file_id, row_number")


def folder(workspace):
    return workspace.agency_dir("bradford-council")


ROWS = [("01/04/2019", "A LTD", "100.00", "20.00", "120.00"), ("02/04/2019", "B LTD", "50.50", "10.10", "60.60"),
        ("03/04/2019", "C LTD", "7.00", "0.00", "7.00"), ("04/04/2019", "D LTD", "10.00", "2.00", "12.00"),
        ("05/04/2019", "E LTD", "1.25", "0.25", "1.50"), ("06/04/2019", "F LTD", "-40.00", "-8.00", "-48.00")]


def vat_file(headers: tuple[str, str, str]) -> str:
    return f"Date,Supplier,{','.join(headers)}\n" + "".join(",".join(r) + "\n" for r in ROWS)


# --------------------------------------------------------------------------- Gross, VAT and Net


@pytest.mark.parametrize("headers", [("Net", "VAT", "Gross"), ("Amount excl VAT", "VAT", "Amount incl VAT"),
                                     ("Invoice Line Value (net of VAT)", "VAT Amount", "Total"),
                                     ("Amount", "VAT", "Total")])
def test_gross_vat_and_net_side_by_side_count_the_net_and_say_so(small_place, headers):
    write_csv(folder(small_place) / "a.csv", vat_file(headers))
    report = ingest(small_place).files[0]
    assert report.mapping["amount"] == headers[0]
    assert report.runners_up["amount"].startswith(repr(headers[2]))  # the gross amount, not counted
    assert [a for _, a in loaded(small_place)] == [r[2] for r in ROWS]
    assert any(note.startswith("amounts are net of VAT") for note in report.notes)


def test_amount_basis_gross_counts_the_gross_and_a_change_reloads_the_file(small_place):
    write_csv(folder(small_place) / "a.csv", vat_file(("Net", "VAT", "Gross")))
    ingest(small_place)
    text = small_place.config_path.read_text()
    small_place.config_path.write_text('amount_basis = "gross"\n' + text)
    workspace = open_workspace(small_place.root)
    result = ingest(workspace)
    assert result.remapped == ["agencies/bradford-council/a.csv"]
    assert result.files[0].mapping["amount"] == "Gross"
    assert "amounts are gross (VAT included)" in result.files[0].notes
    assert [a for _, a in loaded(workspace)] == [r[4] for r in ROWS]
    assert ingest(workspace).remapped == []  # read once with the new setting


def test_a_file_with_only_a_gross_amount_says_it_is_gross(small_place):
    write_csv(folder(small_place) / "a.csv", "Date,Supplier,VAT,Gross Amount\n"
              + "".join(f"{r[0]},{r[1]},{r[3]},{r[4]}\n" for r in ROWS))
    report = ingest(small_place).files[0]
    assert report.mapping["amount"] == "Gross Amount"
    assert "amounts are gross (VAT included)" in report.notes
    assert "the file has no net amount" in report.reasons["amount"]


@pytest.mark.parametrize("header", ["Spend", "Total", "Invoice Line Value (net of VAT)", "Amount in Sterling",
                                    "Value £"])
def test_the_amount_under_other_names(small_place, header):
    write_csv(folder(small_place) / "a.csv", f"Date,Supplier,{header}\n" + "".join(f"{r[0]},{r[1]},{r[2]}\n" for r in ROWS))
    assert ingest(small_place).files[0].mapping["amount"] == header
    assert [a for _, a in loaded(small_place)] == [r[2] for r in ROWS]


# --------------------------------------------------------------------------- columns found by content


def test_columns_no_header_names_are_found_by_what_they_hold(small_place):
    write_csv(folder(small_place) / "a.csv", "When,Who,How much,Ref\n"
              + "".join(f"{r[0]},{r[1]},{r[2]},X{i}\n" for i, r in enumerate(ROWS)))
    report = ingest(small_place).files[0]
    assert report.mapping["payment_date"] == "When" and report.mapping["amount"] == "How much"
    assert "no header names the amount" in report.reasons["amount"]
    assert loaded(small_place)[0] == ("2019-04-01", "100.00")


def test_a_column_named_like_the_amount_that_holds_no_money_is_not_the_amount(small_place):
    write_csv(folder(small_place) / "a.csv", "Date,Supplier,Amount,Value\n"
              + "".join(f"{r[0]},{r[1]},see note {i},{r[2]}\n" for i, r in enumerate(ROWS)))
    report = ingest(small_place).files[0]
    assert report.mapping["amount"] == "Value"
    assert [a for _, a in loaded(small_place)] == [r[2] for r in ROWS]


def test_a_department_family_is_not_the_service_and_expenses_area_is(small_place):
    write_csv(folder(small_place) / "a.csv",
              "Department Family,Entity,Date Paid,Expense Type,Expenses Area,Supplier Name,Transaction Reference,Amount\n"
              "Department of Health,X NHS Trust,02/04/2020,Drugs,Pharmacy,Lloyds,41,10.00\n")
    report = ingest(small_place).files[0]
    assert report.mapping["service_label"] == "Expenses Area"
    assert "Department Family" in report.unused_headers


def test_explain_names_the_runner_up_and_the_profile(small_place):
    write_csv(folder(small_place) / "a.csv", "Payment Date,Invoice Date,Supplier,Amount\n"
              + "".join(f"{r[0]},{r[0]},{r[1]},{r[2]}\n" for r in ROWS))
    result = run("ingest", "-w", str(small_place.root), "--explain")
    assert result.exit_code == 0, result.output
    assert "payment_date      <- 'Payment Date'" in result.output
    assert "runner-up 'Invoice Date'" in result.output
    assert "100% dates" in result.output


# --------------------------------------------------------------------------- date order


def test_month_first_dates_are_read_month_first(small_place):
    write_csv(folder(small_place) / "a.csv", "Date,Supplier,Amount\n3/31/2021,A,1.00\n4/1/2021,B,2.00\n"
              "4/13/2021,C,3.00\n")
    report = ingest(small_place).files[0]
    assert report.rows_rejected == 0
    assert loaded(small_place) == [("2021-03-31", "1.00"), ("2021-04-01", "2.00"), ("2021-04-13", "3.00")]
    assert any("month-first" in note for note in report.notes)


def test_a_file_whose_order_shows_only_far_down_is_read_in_that_order(small_place):
    # the first 600 dates read either way; a few at the end can only be month-first
    body = "".join(f"{(i % 12) + 1}/{(i % 12) + 1}/2021,S{i},1.00\n" for i in range(600))
    write_csv(folder(small_place) / "a.csv", "Date,Supplier,Amount\n" + body + "2/1/2021,X,5.00\n6/30/2021,Y,1.00\n")
    ingest(small_place)
    assert loaded(small_place)[600] == ("2021-02-01", "5.00")  # February 1st, read month-first


def test_a_file_with_both_orders_reads_each_date_its_only_way(small_place):
    write_csv(folder(small_place) / "a.csv", "Date,Supplier,Amount\n31/05/2020,A,1.00\n30/04/2020,B,2.00\n"
              "9/30/2020,C,3.00\n")
    report = ingest(small_place).files[0]
    assert loaded(small_place) == [("2020-05-31", "1.00"), ("2020-04-30", "2.00"), ("2020-09-30", "3.00")]
    assert any("each read its own way" in note for note in report.notes)


def test_a_file_whose_dates_read_either_way_is_read_day_first_and_says_so(small_place):
    write_csv(folder(small_place) / "a.csv", "Date,Supplier,Amount\n01/02/2021,A,1.00\n03/04/2021,B,2.00\n")
    report = ingest(small_place).files[0]
    assert loaded(small_place) == [("2021-02-01", "1.00"), ("2021-04-03", "2.00")]
    assert any("read day-first, the UK order" in note for note in report.notes)


# --------------------------------------------------------------------------- sign columns


@pytest.mark.parametrize("header, negative, positive", [
    ("negative", "-1", "1"), ("Dr/Cr", "CR", "DR"), ("Credit", "Y", "N"), ("Debit/Credit", "Credit", "Debit")])
@pytest.mark.parametrize("written_negative", [False, True])
def test_a_sign_column_gives_the_amount_its_sign(small_place, header, negative, positive, written_negative):
    credit = "-30.00" if written_negative else "30.00"
    write_csv(folder(small_place) / "a.csv", f"Date,Supplier,Amount,{header}\n"
              f"01/04/2019,A,100.00,{positive}\n02/04/2019,B,{credit},{negative}\n03/04/2019,C,5.00,{positive}\n"
              f"04/04/2019,D,6.00,{positive}\n05/04/2019,E,7.00,{negative}\n")
    report = ingest(small_place).files[0]
    assert report.mapping["sign"] == header
    assert [a for _, a in loaded(small_place)] == ["100.00", "-30.00", "5.00", "6.00", "-7.00"]


def test_an_unknown_sign_is_rejected_with_its_reason(small_place):
    write_csv(folder(small_place) / "a.csv", "Date,Supplier,Amount,negative\n"
              + "".join(f"0{i}/04/2019,S{i},1.00,1\n" for i in range(1, 7)) + "07/04/2019,X,2.00,maybe\n")
    report = ingest(small_place).files[0]
    assert report.rows_rejected == 1 and report.money_rejected == Decimal("2.00")
    assert store_rows(small_place, "SELECT column_name, reason FROM rejected_row") == [
        ("negative", "'maybe' is not a sign this file uses (-1/1)")]


# --------------------------------------------------------------------------- redacted suppliers


def test_redacted_suppliers_are_kept_counted_and_flagged(small_place):
    write_csv(folder(small_place) / "a.csv", "Date,Supplier,Amount\n01/04/2019,REDACTED,10.00\n"
              "02/04/2019,Personal Data,20.00\n03/04/2019,Withheld,30.00\n04/04/2019,Confidential Shredding Ltd,40.00\n"
              "05/04/2019,Redacted - personal data,50.00\n")
    ingest(small_place)
    assert store_rows(small_place, "SELECT supplier_name, supplier_redacted FROM spend_line ORDER BY row_number") == [
        ("REDACTED", True), ("Personal Data", True), ("Withheld", True), ("Confidential Shredding Ltd", False),
        ("Redacted - personal data", True)]
    status = run("status", "-w", str(small_place.root))
    assert "4 lines to suppliers the publisher withheld (£110.00)" in status.output


# --------------------------------------------------------------------------- asking once, remembering


def two_amounts(month: str) -> str:
    return "Date,Supplier,Amount 1,Amount 2\n" + "".join(
        f"0{i}/{month}/2019,S{i},{i}.00,{i}0.50\n" for i in range(1, 7))


def test_two_columns_with_the_same_evidence_stop_with_one_message_and_the_command(small_place):
    write_csv(folder(small_place) / "2019-04.csv", two_amounts("04"))
    with pytest.raises(InputError) as caught:
        ingest(small_place)
    message = str(caught.value)
    assert "cannot tell which column is the amount: 'Amount 1'" in message and "'Amount 2'" in message
    assert message.startswith("agencies/bradford-council/2019-04.csv: ")
    path = folder(small_place) / "2019-04.csv"
    assert f'settle it with: totalplace map bradford-council "{path}" --set amount="Amount 1"' in message
    result = run("ingest", "-w", str(small_place.root))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1


def test_map_remembers_the_layout_and_next_months_file_loads_with_no_question(small_place, tmp_path):
    config = small_place.config_path
    config.write_text("# our place: ask Sam before editing\n" + config.read_text())
    april = write_csv(tmp_path / "2019-04.csv", two_amounts("04"))
    ws = str(small_place.root)
    shown = run("map", "bradford-council", str(april), "-w", ws, "--set", "amount=Amount 2")
    assert shown.exit_code == 0, shown.output
    assert "Not remembered" in shown.output and "layouts" not in config.read_text()  # not accepted
    accepted = run("map", "bradford-council", str(april), "-w", ws, "--set", "amount=Amount 2", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    settings = tomllib.loads(config.read_text())
    layout = settings["agencies"][0]["layouts"][0]
    assert layout["columns"]["amount"] == "Amount 2" and layout["file"] == "2019-04.csv"
    assert config.read_text().startswith("# our place: ask Sam before editing\n")
    write_csv(folder(small_place) / "2019-05.csv", two_amounts("05"))
    report = ingest(open_workspace(small_place.root)).files[0]
    assert report.mapping["amount"] == "Amount 2"
    assert [a for _, a in loaded(small_place)][:2] == ["10.50", "20.50"]


def test_ingest_explain_shows_how_a_file_already_loaded_was_read(small_place):
    write_csv(folder(small_place) / "a.csv", vat_file(("Net", "VAT", "Gross")))
    ingest(small_place)
    result = run("ingest", "-w", str(small_place.root), "--explain")
    assert result.exit_code == 0, result.output
    assert "agencies/bradford-council/a.csv: unchanged" in result.output
    assert "amount            <- 'Net'" in result.output
    assert "note: amounts are net of VAT" in result.output
