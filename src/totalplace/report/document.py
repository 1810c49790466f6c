"""The place report a board reads: one self-contained HTML file, an XLSX workbook and a PDF.

The HTML inlines its styles, charts (SVG) and every table's CSV (as a data:
link), so it opens offline, attached to an email, with nothing fetched.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape

from totalplace import __version__, tabular
from totalplace.report.contents import report_sections
from totalplace.report.section import Section
from totalplace.report.tables import Table, cell_text, sheet_rows
from totalplace.tabular import append_row
from totalplace.workspace import Workspace


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    xlsx: Path
    pdf: Path | None
    csv_dir: Path
    sections: int


def write_report(workspace: Workspace, folder: Path, pdf: bool = True) -> ReportFiles:
    """Gather the sections the workspace supports and write the report in every format."""
    sections = report_sections(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    html = render_html(workspace.settings.place.name, sections)
    html_path = folder / "report.html"
    html_path.write_text(html, encoding="utf-8")
    csv_dir = write_csvs(sections, folder / "csv")
    xlsx_path = write_workbook(workspace.settings.place.name, sections, folder / "report.xlsx")
    pdf_path = write_pdf(html, folder / "report.pdf") if pdf else None
    return ReportFiles(html_path, xlsx_path, pdf_path, csv_dir, len(sections))


def render_html(place_name: str, sections: list[Section]) -> str:
    environment = Environment(loader=PackageLoader("totalplace.report"), autoescape=select_autoescape(["j2"]))
    environment.filters["cell"] = cell_text
    environment.filters["csv_href"] = csv_data_uri
    environment.filters["slug"] = table_slug
    environment.filters["svg_src"] = svg_data_uri
    return environment.get_template("report.html.j2").render(
        place=place_name, sections=sections,
        generated=datetime.now(timezone.utc).strftime("%d %B %Y %H:%M UTC"), version=__version__,
    )


def write_pdf(html: str, path: Path) -> Path:
    """The same HTML printed to PDF for the board papers (SVG charts stay vector)."""
    from weasyprint import HTML  # imported here: it loads pango, which only the PDF needs

    HTML(string=html).write_pdf(path)
    return path


def write_csvs(sections: list[Section], folder: Path) -> Path:
    """Every table of the report as its own CSV file, named after its section and title."""
    folder.mkdir(parents=True, exist_ok=True)
    for section, table in _all_tables(sections):
        (folder / f"{section.id}--{table_slug(table)}.csv").write_text(csv_text(table), encoding="utf-8")
    return folder


def write_workbook(place_name: str, sections: list[Section], path: Path) -> Path:
    """One sheet per table (real numbers, money to pence), a contents sheet and a provenance sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    contents = book.active
    contents.title = "contents"
    append_row(contents, [f"{place_name}: the place report"])
    contents["A1"].font = Font(bold=True, size=14)
    append_row(contents, ["sheet", "section", "table"])
    used: set[str] = {"contents", "provenance"}
    for section, table in _all_tables(sections):
        name = _sheet_name(f"{section.id} {table_slug(table)}", used)
        append_row(contents, [name, section.title, table.title])
        sheet_rows(book.create_sheet(name), table)
    provenance = book.create_sheet("provenance")
    append_row(provenance, ["section", "source, method and confidence"])
    for section in sections:
        for line in section.provenance:
            append_row(provenance, [section.title, line])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def csv_text(table: Table) -> str:
    return tabular.csv_text(table.columns, table.rows)


def csv_data_uri(table: Table) -> str:
    """The table as a CSV download inside the HTML itself (works offline)."""
    return "data:text/csv;charset=utf-8," + quote(csv_text(table))


def svg_data_uri(svg: str) -> str:
    """A chart as an image source: each SVG keeps its own ids (matplotlib reuses them), and stays vector."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def table_slug(table: Table) -> str:
    return re.sub(r"[^a-z0-9]+", "-", table.title.lower()).strip("-")[:60] or "table"


def _all_tables(sections: list[Section]) -> list[tuple[Section, Table]]:
    return [(s, t) for s in sections for t in [c.table for c in s.charts] + s.tables]


def _sheet_name(wanted: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "-", wanted)[:28]
    name, number = base, 2
    while name.lower() in used:
        name, number = f"{base[:26]}~{number}", number + 1
    used.add(name.lower())
    return name

