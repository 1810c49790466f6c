"""The place report: self-contained HTML, a workbook and a PDF whose figures are the count's."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from support.data import write_csv
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.ingest.load import ingest
from totalplace.present.charts import flow_chart
from totalplace.report.document import write_report

HEADER = "Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name\n"
ROWS = ("Health & Wellbeing,Rest Home Payment,12/04/2018,T1,\"£1,000.50\",CARE HOME LTD\n"
        "Children's Services,Foster Care,13/04/2018,T2,200.25,FOSTER LTD\n"
        "Children's Services,Foster Care,14/04/2018,T3,99.25,FOSTER LTD\n")


@pytest.fixture()
def reported(small_place, tmp_path):
    write_csv(small_place.agency_dir("bradford-council") / "2018-04.csv", HEADER + ROWS)
    ingest(small_place)
    return write_report(small_place, tmp_path / "report")


def csv_downloads(html: str) -> dict[str, list[dict]]:
    """Every CSV embedded in the HTML as a download link, by its file name."""
    links = re.findall(r'download="([^"]+)" href="data:text/csv;charset=utf-8,([^"]+)"', html)
    return {name: list(csv.DictReader(io.StringIO(unquote(body)))) for name, body in links}


def test_the_html_is_self_contained(reported):
    html = reported.html.read_text(encoding="utf-8")
    assert "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from anywhere
    # the theme chart is inline (with one agency there is no agency chart, nor a flow that would repeat it)
    assert html.count('<img src="data:image/svg+xml;base64,') >= 1


def test_every_chart_has_its_table_as_a_csv_download_that_adds_up(reported):
    html = reported.html.read_text(encoding="utf-8")
    downloads = csv_downloads(html)
    theme = downloads["spending-by-total-place-theme.csv"]
    assert {r["theme"]: r["amount"] for r in theme} == {
        "Older people and adult social care": "1000.50", "Children and families": "299.50"}
    agency = downloads["spending-by-agency-2018-19.csv"]
    assert sum(Decimal(r["amount"]) for r in agency) == Decimal("1300.00")
    assert html.count("<figure") == html.count("The figures: ")


def test_the_workbook_has_a_sheet_per_table_with_real_numbers(reported):
    book = load_workbook(reported.xlsx)
    contents = [row for row in book["Contents"].iter_rows(min_row=4, values_only=True)]
    assert len(contents) == len(list(reported.csv_dir.glob("*.csv"))) + 1  # and the sources and methods
    theme_sheet = next(book[name] for name, _section, table, _rows in contents
                       if table == "Spending by Total Place theme")
    amounts = [row[1] for row in theme_sheet.iter_rows(min_row=3, values_only=True)
               if isinstance(row[1], float)]  # the table's rows; its notes follow below it
    assert sorted(amounts) == [299.5, 1000.5]
    assert any("ledger" in (row[1] or "") for row in book["Sources and methods"].iter_rows(values_only=True))


def test_the_pdf_is_written(reported):
    pdf = PdfReader(reported.pdf)
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert len(pdf.pages) >= 3
    assert "£1,300.00" in text and "Spending by Total Place theme" in text


def test_a_workspace_with_nothing_loaded_still_gets_a_report_that_says_so(small_place, tmp_path):
    files = write_report(small_place, tmp_path / "empty", pdf=False)
    assert files.sections == 0
    assert "has no figures yet" in files.html.read_text(encoding="utf-8")


def test_report_command_writes_every_format(small_place):
    write_csv(small_place.agency_dir("bradford-council") / "2018-04.csv", HEADER + ROWS)
    ingest(small_place)
    result = CliRunner().invoke(app, ["report", "-w", str(small_place.root), "--no-pdf"])
    assert result.exit_code == 0, result.output
    folder = small_place.output_dir / "report"
    assert (folder / "report.html").exists() and (folder / "report.xlsx").exists()
    assert not (folder / "report.pdf").exists()


def test_flow_chart_bands_are_proportional_to_money():
    svg = flow_chart([("DfE", "Council", 300), ("Council", "Schools", 200), ("Council", "Roads", 100)],
                     ["funder", "agency", "theme"])
    for name in ("DfE", "Council", "Schools", "Roads"):
        assert f">{name}<" in svg
    assert svg.count("<path") >= 3


def test_a_table_both_drawn_and_shown_is_printed_and_written_once():
    """The sliding scale of control was a chart's table in the appendix (A1), the same table under the chart, and
    two workbook sheets ('The sliding scale of control', 'The sliding scale of (2)')."""
    from totalplace.report.document import section_views
    from totalplace.present.section import Chart, Section
    from totalplace.present.tables import Table

    scale = Table("The sliding scale of control, 2017-18", ["level", "amount"], [["Police and fire", Decimal(1)]])
    detail = Table("Files loaded", ["file", "rows"], [["a.csv", 3]])
    section = Section("say", "How much say", ["text"], charts=[Chart("The sliding scale", "<svg/>", scale)],
                      tables=[scale], appendix=[detail])
    assert [t.title for t in section.all_tables()] == [scale.title, detail.title]
    (view,) = section_views([section])
    assert [v.table.title for v in view.appendix] == [detail.title]
    assert view.charts[0][1] is view.tables[0]  # the chart points to the table under it
