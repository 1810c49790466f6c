"""The place report a board reads: one self-contained HTML file, an XLSX workbook and a PDF.

The report opens with an executive summary, then each section's text, charts and
the few tables a board reads; the detail tables (and every chart's table) follow
in an appendix, as they do in the workbook. The HTML inlines its styles, charts
(SVG) and every table's CSV (as a data: link), so it opens offline, attached to an
email, with nothing fetched. The PDF is the same HTML printed on A4, each table laid
out so that no column is narrower than its longest word (`report.layout`).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from totalplace import __version__, tabular
from totalplace.report.contents import PlaceReport, place_report
from totalplace.report.layout import TableView, kept_whole, view_of
from totalplace.present.section import Chart, Section
from totalplace.present.tables import Table
from totalplace.report.workbook import write_workbook
from totalplace.workspace import Workspace


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    xlsx: Path
    pdf: Path | None
    csv_dir: Path
    sections: int


@dataclass
class SectionView:
    """A section as the report prints it: the tables read in the body, and those put in the appendix."""
    section: Section
    charts: list[tuple[Chart, TableView]]
    tables: list[TableView]
    appendix: list[TableView] = field(default_factory=list)


def write_report(workspace: Workspace, folder: Path, pdf: bool = True, year: str | None = None) -> ReportFiles:
    """Gather the sections the workspace supports for the year and write the report in every format."""
    report = place_report(workspace, year)
    folder.mkdir(parents=True, exist_ok=True)
    html = render_html(report)
    html_path = folder / "report.html"
    html_path.write_text(html, encoding="utf-8")
    csv_dir = write_csvs(report.sections, folder / "csv")
    xlsx_path = write_workbook(report, folder / "report.xlsx")
    pdf_path = write_pdf(html, folder / "report.pdf") if pdf else None
    return ReportFiles(html_path, xlsx_path, pdf_path, csv_dir, len(report.sections))


def section_views(sections: list[Section], names: dict[str, str] | None = None) -> list[SectionView]:
    """Each section's tables placed: short, narrow ones in the body; chart tables, detail tables and the
    wide or long ones in the appendix, numbered A1, A2, ... in reading order."""
    views = []
    for section in sections:
        tables = [view_of(table, names) for table in section.tables]
        body = [v for v in tables if v.fits_body]
        in_body = {id(v.table): v for v in body}  # a chart's table the body shows already points there
        charts = [(chart, in_body.get(id(chart.table)) or view_of(chart.table, names)) for chart in section.charts]
        moved = [v for v in tables if not v.fits_body]
        views.append(SectionView(section, charts, body, [v for _, v in charts if id(v.table) not in in_body] + moved
                                 + [view_of(table, names) for table in section.appendix]))
    number = 0
    for view in views:
        for table in view.appendix:
            number += 1
            table.number = f"A{number}"
    for view in views:
        for table in [v for _, v in view.charts] + view.tables + view.appendix:
            table.anchor = f"{view.section.id}--{table_slug(table.table)}"
    return views


def render_html(report: PlaceReport) -> str:
    environment = Environment(loader=PackageLoader("totalplace.report"), autoescape=select_autoescape(["j2"]))
    environment.filters["whole"] = kept_whole
    environment.filters["csv_href"] = csv_data_uri
    environment.filters["slug"] = table_slug
    environment.filters["svg_src"] = svg_data_uri
    environment.filters["css_string"] = css_string
    views = section_views(report.sections, report.names)
    return environment.get_template("report.html.j2").render(
        place=report.place, year=report.year, summary=report.summary,
        body=[v for v in views if v.section.has_body], views=views,
        generated=datetime.now(timezone.utc).strftime("%d %B %Y"), version=__version__,
    )


def write_pdf(html: str, path: Path) -> Path:
    """The same HTML printed to PDF for the board papers (SVG charts stay vector)."""
    from weasyprint import HTML  # imported here: it loads pango, which only the PDF needs

    HTML(string=html).write_pdf(path)
    return path


def write_csvs(sections: list[Section], folder: Path) -> Path:
    """Every table of the report as its own CSV file, named after its section and title."""
    folder.mkdir(parents=True, exist_ok=True)
    for section in sections:
        for table in section.all_tables():
            (folder / f"{section.id}--{table_slug(table)}.csv").write_text(csv_text(table), encoding="utf-8")
    return folder


def csv_text(table: Table) -> str:
    return tabular.csv_text(table.columns, table.rows)


def csv_data_uri(table: Table) -> str:
    """The table as a CSV download inside the HTML itself (works offline)."""
    return "data:text/csv;charset=utf-8," + quote(csv_text(table))


def svg_data_uri(svg: str) -> str:
    """A chart as an image source: each SVG keeps its own ids (matplotlib reuses them), and stays vector."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def css_string(text: str) -> Markup:
    """Text to put inside a quoted CSS string (the page headers): quotes and backslashes escaped, no tags."""
    return Markup(re.sub(r'(["\\])', r"\\\1", text).replace("<", "\\3c "))


def table_slug(table: Table) -> str:
    return re.sub(r"[^a-z0-9]+", "-", table.title.lower()).strip("-")[:60] or "table"
