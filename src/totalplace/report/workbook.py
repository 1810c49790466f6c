"""The report's workbook: a contents sheet linking to one sheet per table, and the sources of each section.

Every table of the report is on a sheet named after what it holds (within Excel's
31 characters), with a frozen header row, numbers stored as numbers with their
formats, and columns as wide as what they hold (`present.tables.sheet_rows`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from totalplace.present.tables import sheet_rows
from totalplace.tabular import append_row

if TYPE_CHECKING:
    from totalplace.report.contents import PlaceReport

CONTENTS, SOURCES = "Contents", "Sources and methods"
SHEET_NAME = 31  # Excel's longest sheet name
NOT_IN_A_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def write_workbook(report: PlaceReport, path: Path) -> Path:
    """A contents sheet with a link to each table's sheet, the sheets, and the sources and methods."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    contents = book.active
    contents.title = CONTENTS
    append_row(contents, [f"{report.place}: the place report" + (f", {report.year}" if report.year else "")],
               bold=True)
    contents["A1"].font = Font(bold=True, size=14)
    append_row(contents, ["Each table of the report is on a sheet of its own: follow a link to open it. Money is "
                          "exact, to the penny; the report rounds apportioned and modelled figures."])
    append_row(contents, ["Sheet", "Section", "Table", "Rows"], bold=True)
    used = {CONTENTS.lower(), SOURCES.lower()}
    for section in report.sections:
        for table in section.all_tables():
            name = sheet_name(table.title, used)
            sheet = book.create_sheet(name)
            sheet_rows(sheet, table, report.names)
            if table.notes:
                append_row(sheet, [])
                for note in table.notes:
                    append_row(sheet, [note])
            _linked(contents, name, [section.title, table.title, len(table.rows)])
    _linked(contents, SOURCES, ["Appendix", "Sources, methods and confidence of each section", ""])
    contents.freeze_panes = "A4"
    for letter, width in zip("ABCD", (34, 40, 70, 8)):
        contents.column_dimensions[letter].width = width
    _sources(book.create_sheet(SOURCES), report)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _linked(contents, sheet: str, about: list) -> None:
    """A row of the contents sheet whose first cell opens the sheet it names."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    append_row(contents, [sheet, *about])
    link = contents.cell(contents.max_row, 1)
    link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!A1", display=sheet)
    link.style = "Hyperlink"


def _sources(sheet, report: PlaceReport) -> None:
    append_row(sheet, ["Section", "Source, method and confidence"], bold=True)
    for section in report.sections:
        for line in section.provenance:
            append_row(sheet, [section.title, line])
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 120


def sheet_name(title: str, used: set[str]) -> str:
    """A sheet name from a table's title: Excel's characters only, cut at a word within 31 characters, unique."""
    words = " ".join(NOT_IN_A_SHEET_NAME.sub(" ", title).split()).strip("'")
    name, number = _cut(words, SHEET_NAME), 2
    while name.lower() in used:
        suffix = f" ({number})"
        name, number = _cut(words, SHEET_NAME - len(suffix)) + suffix, number + 1
    used.add(name.lower())
    return name


def _cut(words: str, length: int) -> str:
    if len(words) <= length:
        return words
    cut = words[:length + 1].rsplit(" ", 1)[0] if " " in words[:length + 1] else words[:length]
    return cut[:length].rstrip(" ,;.-('")
